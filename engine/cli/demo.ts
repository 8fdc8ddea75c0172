// `tsplay demo`: the live-migration playbook against a lab standing in for an
// OpenStack cloud. Brings up a 3-host lab named "demo" (unless it is up),
// makes it look like OpenStack nodes (playbooks/lab/openstack-like.yml), then
// runs playbooks/live-migration.yml, then playbooks/live-migration-canary.yml
// (a real guest live-migrated between the computes), which ends with the
// readiness table. The fixture and the job are idempotent: running the demo
// again reports changed=0 for them (the canary always creates and removes its guest).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';
import type { LabInfo } from '../lab/index.js';

export const DEMO_LAB = 'demo';

/** The repository root: the nearest directory above this file holding playbooks/live-migration.yml. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'playbooks', 'live-migration.yml'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find playbooks/live-migration.yml above ' + dirname(fileURLToPath(import.meta.url)));
}

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * inventories/lab.yml describes the default lab (lab1 controller, lab2..N
 * computes). For a lab with other host names, map its hosts in order onto
 * lab.yml's (first = controller, the rest = computes, with their per-host
 * fixture variables) and write the result beside the lab's own inventory.
 * Returns the path written.
 */
export function writeLabPlaybookInventory(info: Pick<LabInfo, 'hosts' | 'stateDir' | 'subnet'>, root = projectRoot()): string {
  const src = load(readFileSync(join(root, 'inventories', 'lab.yml'), 'utf8')) as Mapping;
  const all = src.all as Mapping;
  const children = all.children as Mapping;
  const templateHosts: Array<[string, Mapping]> = [];
  for (const group of ['controller', 'compute']) {
    const hosts = (children[group] as Mapping).hosts as Mapping;
    for (const [name, vars] of Object.entries(hosts)) templateHosts.push([name, isMapping(vars) ? vars : {}]);
  }
  if (info.hosts.length < 2) throw new Error('the live-migration lab needs at least 2 hosts (a controller and a compute)');
  const pick = (i: number): Mapping => ({ ...(templateHosts[Math.min(i, templateHosts.length - 1)]?.[1] ?? {}) });
  const out: Mapping = {
    all: {
      vars: { ...(all.vars as Mapping), nfs_network: info.subnet },
      children: {
        controller: { hosts: { [info.hosts[0].name]: pick(0) } },
        compute: {
          hosts: Object.fromEntries(info.hosts.slice(1).map((h, i) => {
            const vars = pick(i + 1);
            // Past lab.yml's hosts: fixture IDs continue the pattern, one step of 20 per host.
            if (i + 1 >= templateHosts.length) {
              for (const k of Object.keys(vars)) if (typeof vars[k] === 'number') vars[k] = (vars[k]) + 20 * (i + 2 - templateHosts.length);
            }
            return [h.name, vars];
          })),
        },
      },
    },
  };
  const path = join(info.stateDir, 'live-migration-inventory.yml');
  writeFileSync(path, `# Written by tsplay (engine/cli/demo.ts) from inventories/lab.yml for this lab's host names.\n${dump(out)}`);
  return path;
}

/** `main` is the CLI's entry (cli.ts), passed in so that the CLI and the demo do not import each other. */
export async function runDemo(main: (argv: string[]) => Promise<number>): Promise<number> {
  const { labStatus, labUp, labInfoOf } = await import('../lab/index.js');
  const root = projectRoot();
  const say = (s: string) => process.stderr.write(`demo: ${s}\n`);

  const status = (await labStatus()).find((l) => l.name === DEMO_LAB);
  let info: LabInfo;
  if (status?.state === 'up') {
    info = labInfoOf(DEMO_LAB);
    say(`lab "${DEMO_LAB}" is already up (${info.hosts.map((h) => h.name).join(', ')})`);
  } else {
    say(`bringing up a 3-host lab "${DEMO_LAB}" (the first run builds the Debian base: a few minutes)`);
    info = await labUp({ name: DEMO_LAB, hosts: 3, log: (l) => say(l) });
    say(`lab up in ${((info.upMs ?? 0) / 1000).toFixed(1)} s`);
  }
  const inventories = ['-i', info.inventoryPath, '-i', writeLabPlaybookInventory(info, root)];

  say(`1/3 LAB FIXTURE: making ${info.hosts.map((h) => h.name).join(', ')} look like OpenStack nodes (controller ${info.hosts[0].name})`);
  const fixture = await main(['run', resolve(root, 'playbooks/lab/openstack-like.yml'), ...inventories]);
  if (fixture !== 0) {
    say(`the lab fixture failed (exit ${fixture})`);
    return fixture;
  }
  say('2/3 playbooks/live-migration.yml');
  const code = await main(['run', resolve(root, 'playbooks/live-migration.yml'), ...inventories]);
  if (code !== 0) {
    say(`live-migration.yml exited ${code}`);
    return code;
  }
  say('3/3 playbooks/live-migration-canary.yml: a real guest live-migrates between the computes');
  const canary = await main(['run', resolve(root, 'playbooks/live-migration-canary.yml'), ...inventories]);
  say(canary === 0
    ? `done. Log in: tsplay lab ssh ${info.hosts[1].name} ; remove: tsplay lab down --name ${DEMO_LAB}`
    : `live-migration-canary.yml exited ${canary}`);
  return canary;
}
