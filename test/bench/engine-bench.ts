// npm run bench:engine — N hosts x M no-op tasks through the whole engine, next to
// the raw cost of one command round trip measured in the same run.
//
//   local: hosts with ansible_connection=local (each command is a /bin/sh spawn)
//   ssh:   a lab (tsplay lab up), one connection per inventory host; the 100-host
//          run points 100 inventory names at the lab's hosts (100 SSH connections)
//
// The no-op task is `stat` on an existing path: one gather round trip, no change.
// Options: --hosts N --tasks M --ssh-hosts N --no-ssh --lab NAME

import { parseArgs } from 'node:util';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../engine/load/playbook.js';
import { loadRegistry } from '../../engine/load/registry.js';
import { Runner } from '../../engine/run/runner.js';
import { LocalConnection } from '../../engine/connection/local-connection.js';
import { SshConnection } from '../../engine/connection/ssh-connection.js';
import { connectionSettings } from '../../engine/inventory/inventory.js';
import type { RunEvent } from '../../engine/report/events.js';
import { measureRoundTrip } from './ssh-roundtrip.js';

const { values: o } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100' },
    tasks: { type: 'string', default: '20' },
    'ssh-hosts': { type: 'string', default: '100' },
    'no-ssh': { type: 'boolean' },
    lab: { type: 'string', default: 'bench' },
  },
});

const M = Number(o.tasks);

function playbookText(tasks: number): string {
  const lines = ['- hosts: all', '  gather_facts: false', '  tasks:'];
  for (let i = 0; i < tasks; i++) lines.push(`    - name: noop ${i}`, '      stat: { path: / }');
  return lines.join('\n') + '\n';
}

interface Figures {
  hosts: number;
  tasks: number;
  wallMs: number;
  tasksPerSec: number;
  perTaskPerHostMs: number;
  failed: number;
  maxRssMb: number;
  maxFds: number;
}

function fdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

async function runBench(inventoryText: string, hosts: number, tasks: number, forks: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-bench-'));
  writeFileSync(join(dir, 'inv.yml'), inventoryText);
  writeFileSync(join(dir, 'p.yml'), playbookText(tasks));
  const inventory = await loadInventory([join(dir, 'inv.yml')]);
  const registry = await loadRegistry();
  const pb = await loadPlaybook(join(dir, 'p.yml'), registry);
  let failed = 0;
  let maxRss = 0;
  let maxFds = 0;
  const sample = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
    maxFds = Math.max(maxFds, fdCount());
  }, 50);
  const runner = new Runner({
    inventory, registry, check: false, diff: false, forks, strategy: 'linear', tags: [], skipTags: [], extraVars: {}, verbosity: 0,
    emit: (e: RunEvent) => {
      if (e.kind === 'host_result' && (e.status === 'failed' || e.status === 'unreachable')) {
        if (failed++ < 3) console.error(`  ${e.host}: ${e.status}: ${e.msg}`);
      }
    },
  });
  const t0 = performance.now();
  await runner.run([pb]);
  const wallMs = performance.now() - t0;
  clearInterval(sample);
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  return {
    hosts, tasks, wallMs, tasksPerSec: (hosts * tasks) / (wallMs / 1000),
    perTaskPerHostMs: wallMs / tasks, failed, maxRssMb: maxRss / 1048576, maxFds,
  };
}

function show(label: string, f: Figures, rawMs?: number): void {
  const ratio = rawMs ? `  = ${(f.perTaskPerHostMs / rawMs).toFixed(2)}x one round trip (${rawMs.toFixed(2)} ms)` : '';
  console.log(`${label.padEnd(34)} ${f.hosts} hosts x ${f.tasks} tasks: ${(f.wallMs / 1000).toFixed(2)} s, ${f.tasksPerSec.toFixed(0)} tasks/s, ${f.perTaskPerHostMs.toFixed(2)} ms per task step${ratio}; failed ${f.failed}; max RSS ${f.maxRssMb.toFixed(0)} MB; max fds ${f.maxFds}`);
}

async function localBench(): Promise<void> {
  const raw = await measureRoundTrip(new LocalConnection('local'), 50);
  const inv = (n: number) => `all:\n  vars: { ansible_connection: local }\n  hosts:\n${Array.from({ length: n }, (_, i) => `    local${i + 1}:\n`).join('')}`;
  show('local, 1 host', await runBench(inv(1), 1, M, 1), raw.perExecMs);
  show(`local, ${o.hosts} hosts, forks 20`, await runBench(inv(Number(o.hosts)), Number(o.hosts), M, 20));
}

async function sshBench(): Promise<void> {
  const { labUp, labDown, labStatus, labInfoOf } = await import('../../engine/lab/index.js');
  // Reuse a lab of that name when it is up; otherwise bring one up and take it down after.
  const started = !(await labStatus()).some((l) => l.name === o.lab && l.state === 'up');
  const info = started ? await labUp({ name: o.lab, hosts: 3 }) : labInfoOf(o.lab);
  try {
    const common = `ansible_user: root, ansible_ssh_private_key_file: ${info.keyFile}, tsplay_known_hosts_file: ${info.knownHostsFile}`;
    const first = info.hosts[0];
    const conn = new SshConnection(connectionSettings(first.name, { ansible_host: first.address, ansible_user: 'root', ansible_ssh_private_key_file: info.keyFile, tsplay_known_hosts_file: info.knownHostsFile }));
    const raw = await measureRoundTrip(conn, 200);
    await conn.close();
    const one = `all:\n  vars: { ${common} }\n  hosts:\n    ${first.name}: { ansible_host: ${first.address} }\n`;
    show('ssh, 1 host', await runBench(one, 1, M, 1), raw.perExecMs);
    const three = `all:\n  vars: { ${common} }\n  hosts:\n${info.hosts.map((h) => `    ${h.name}: { ansible_host: ${h.address} }\n`).join('')}`;
    show('ssh, 3 hosts', await runBench(three, 3, M, 20), raw.perExecMs);
    const n = Number(o['ssh-hosts']);
    const many = `all:\n  vars: { ${common} }\n  hosts:\n${Array.from({ length: n }, (_, i) => `    b${i + 1}: { ansible_host: ${info.hosts[i % info.hosts.length].address} }\n`).join('')}`;
    show(`ssh, ${n} connections to 3 hosts`, await runBench(many, n, M, 20), raw.perExecMs);
  } finally {
    if (started) await labDown(o.lab);
  }
}

console.log(`tsplay engine benchmark (${new Date().toISOString()}, node ${process.version})`);
await localBench();
if (!o['no-ssh']) {
  if (process.getuid?.() !== 0) console.log('ssh: skipped (the lab needs root)');
  else await sshBench();
}
