// Facts on a real lab host: tsplay's setup, service_facts and package_facts
// against Ansible 2.14's on the same host (python3, python3-distro and
// python3-apt installed on it for Ansible, through the lab's apt proxy).
// What may differ is listed in test/helpers/compare-facts.ts and documented
// in docs/playbooks.md "Variables and facts".

import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { loadInventory } from '../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../engine/load/playbook.js';
import { loadRegistry } from '../../engine/load/registry.js';
import { Runner } from '../../engine/run/runner.js';
import type { HostResultEvent, RunEvent } from '../../engine/report/events.js';
import { labGate } from '../helpers/lab-gate.js';
import { labOut } from '../helpers/lab-cli.js';
import { compareFacts, EXTRAS, NOT_OURS } from '../helpers/compare-facts.js';

const run = promisify(execFile);
const LAB = 'fcts';
const H = `${LAB}1`;

const canHost = labGate('the facts lab tests');

// gather_subset forms whose fact names are compared with Ansible's: a collector alone
// brings the collectors it requires (service_mgr: platform and distribution; virtual: none).
const SUBSETS = ['!all,!min,service_mgr', '!all,!min,virtual', '!all,!min,pkg_mgr', '!all,!min,network', '!all,!min,hardware',
  '!all,!min,platform', '!all,!min,python', '!all,!min,service_mgr,virtual'];

if (canHost) {
  let info: LabInfo;
  const events: RunEvent[] = [];
  let code = -1;
  const ansible: Record<string, Record<string, unknown>> = {};

  const result = (task: string): Record<string, unknown> => {
    const e = events.find((x): x is HostResultEvent => x.kind === 'host_result' && x.task === task);
    if (!e) throw new Error(`no result for ${task}`);
    return e.result ?? {};
  };

  async function ansibleModule(module: string, args?: string): Promise<Record<string, unknown>> {
    const { stdout } = await run('ansible', [H, '-i', info.inventoryPath, '-m', module, ...(args ? ['-a', args] : []), '-e', 'ansible_python_interpreter=/usr/bin/python3',
      `--ssh-common-args=-o UserKnownHostsFile=${info.knownHostsFile} -o StrictHostKeyChecking=yes`], { maxBuffer: 64 << 20, env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
    return (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { ansible_facts: Record<string, unknown> }).ansible_facts;
  }

  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 1 });
    await labOut(info, H, 'DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-distro python3-apt >/dev/null 2>&1');
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-factlab-'));
    writeFileSync(join(dir, 'playbook.yml'), `
- hosts: ${H}
  gather_facts: true
  tasks:
    - name: both forms
      debug: { msg: "{{ ansible_facts['os_family'] }}|{{ ansible_os_family }}|{{ ansible_distribution }}|{{ ansible_distribution_major_version }}|{{ ansible_facts.service_mgr }}|{{ ansible_hostname }}" }
    - name: setup
      setup:
    - name: services
      service_facts:
    - name: packages
      package_facts:
    - name: module facts
      debug: { msg: "{{ ansible_facts.services['ssh.service'].state }}|{{ services['ssh.service'].status }}|{{ packages['openssh-server'][0].arch }}" }
${SUBSETS.map((s) => `    - name: subset ${s}\n      setup: { gather_subset: '${s}' }\n`).join('')}`);
    const inventory = await loadInventory([info.inventoryPath]);
    const registry = await loadRegistry();
    const pb = await loadPlaybook(join(dir, 'playbook.yml'), registry);
    const runner = new Runner({
      inventory, registry, check: false, diff: false, forks: 5, strategy: 'linear',
      tags: [], skipTags: [], extraVars: {}, verbosity: 0, emit: (e) => events.push(e),
    });
    code = await runner.run([pb]);
    ansible.setup = await ansibleModule('setup');
    ansible.service_facts = await ansibleModule('service_facts');
    ansible.package_facts = await ansibleModule('package_facts');
    await Promise.all(SUBSETS.map(async (s) => (ansible[`subset ${s}`] = await ansibleModule('setup', `gather_subset=${s}`))));
  });

  test.after.always(async () => {
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial('the playbook runs, and facts read in both forms', (t) => {
    t.is(code, 0, JSON.stringify(events.filter((e) => e.kind === 'host_result' && e.status === 'failed')));
    const msg = (task: string) => (events.find((e) => e.kind === 'debug' && e.task === task) as { msg?: unknown } | undefined)?.msg;
    t.is(msg('both forms'), 'Debian|Debian|Debian|12|systemd|fcts1');
    t.is(msg('module facts'), 'running|enabled|amd64');
  });

  test.serial("setup: every fact Ansible's setup reports on the same host, as it reports it", (t) => {
    const facts = result('setup').ansible_facts as Record<string, unknown>;
    const ours = Object.fromEntries(Object.entries(facts).map(([k, v]) => [k.replace(/^ansible_/, ''), v]));
    compareFacts(t, H, ours, ansible.setup);
    // a lab host's sysfs is its own network namespace's: its links, not the machine's (other labs' veths)
    t.deepEqual([...(facts.ansible_interfaces as string[])].sort(), ['eth0', 'lo']);
    t.deepEqual(facts.gather_subset, ['all']);
    t.is(facts.module_setup, true);
  });

  test.serial("gather_subset: the same fact names as Ansible's setup for each subset", (t) => {
    for (const s of SUBSETS) {
      const names = (f: Record<string, unknown>) => Object.keys(f).map((k) => k.replace(/^ansible_/, '')).filter((k) => !EXTRAS.has(k) && !NOT_OURS.has(k)).sort();
      t.deepEqual(names(result(`subset ${s}`).ansible_facts as Record<string, unknown>), names(ansible[`subset ${s}`]), s);
    }
  });

  test.serial("service_facts: Ansible's services, as it reports them", (t) => {
    const ours = (result('services').ansible_facts as { services: Record<string, unknown> }).services;
    t.deepEqual(ours, ansible.service_facts.services);
    t.true(Object.keys(ours).length > 20);
  });

  test.serial("package_facts: Ansible's packages, but for origin (python3-apt's)", (t) => {
    type Pkg = Record<string, unknown>;
    const ours = (result('packages').ansible_facts as { packages: Record<string, Pkg[]> }).packages;
    const theirs = ansible.package_facts.packages as Record<string, Pkg[]>;
    t.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
    const categoryDiffers: string[] = [];
    // each entry's keys in one order, so that two entries compare as text
    const without = (l: Pkg[] | undefined, keys: string[]) =>
      (l ?? []).map((p) => Object.fromEntries(Object.entries(p).filter(([k]) => !keys.includes(k)).sort(([a], [b]) => a.localeCompare(b))));
    for (const [name, list] of Object.entries(theirs)) {
      t.deepEqual(without(ours[name], ['category']), without(list, ['origin', 'category']), name);
      if (JSON.stringify(without(ours[name], [])) !== JSON.stringify(without(list, ['origin']))) categoryDiffers.push(name);
    }
    // category is dpkg's Section; apt's cache may give the archive's (lsb-base: oldlibs vs misc): a few, not most
    t.true(categoryDiffers.length <= Object.keys(theirs).length / 20, `category differs for ${categoryDiffers.join(', ')}`);
  });
}
