// What a --check run looks up in the background from its start
// (engine/run/package-prefetch.ts): per host, the installs its package tasks ask
// for, when they can be told before the run. A table of playbooks and the
// installs each host must get (or none).

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventoryFromText } from '../../../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { contentReads, plannedInstalls } from '../../../../engine/run/package-prefetch.js';
import { loadInventory } from '../../../../engine/inventory/inventory.js';
import type { HostRun } from '../../../../engine/run/host-run.js';

const INVENTORY = `
all:
  children:
    controller: { hosts: { c1: { role_pkg: nfs-kernel-server, conf: /etc/c1.conf } } }
    compute: { hosts: { n1: {}, n2: { extra_pkg: qemu-kvm, conf: /etc/own.conf } } }
`;

const CASES: Array<{ title: string; playbook: string; limit?: string; want: Record<string, unknown> }> = [
  {
    title: 'literal names, a comma list and a YAML list; recommends kept apart',
    playbook: `
- hosts: compute
  become: true
  tasks:
    - apt: { name: nfs-common }
    - apt: { name: "rsync,curl" }
    - apt: { name: [qemu-utils], install_recommends: false }
`,
    want: {
      n1: [{ names: ['nfs-common', 'rsync', 'curl'], become: true }, { names: ['qemu-utils'], installRecommends: false, become: true }],
      n2: [{ names: ['nfs-common', 'rsync', 'curl'], become: true }, { names: ['qemu-utils'], installRecommends: false, become: true }],
    },
  },
  {
    title: "the bundled job's form: a template of group_names, per host",
    playbook: `
- hosts: controller:compute
  tasks:
    - apt:
        name: "{{ (['nfs-kernel-server'] if 'controller' in group_names else []) + (['nfs-common'] if 'compute' in group_names else []) }}"
`,
    want: { c1: [{ names: ['nfs-kernel-server'] }], n1: [{ names: ['nfs-common'] }], n2: [{ names: ['nfs-common'] }] },
  },
  {
    title: 'inventory and play variables; a host lacking the variable is left to its task',
    playbook: `
- hosts: all
  vars: { base: [vim] }
  tasks:
    - package: { name: "{{ base + [extra_pkg] }}" }
    - apt: { name: "{{ role_pkg }}" }
`,
    want: { c1: [{ names: ['nfs-kernel-server'] }], n2: [{ names: ['vim', 'qemu-kvm'] }] },
  },
  {
    title: 'left to the task: removals, versions, wildcards, .debs, registered or fact variables, templated become, another user, delegation',
    playbook: `
- hosts: compute
  tasks:
    - apt: { name: nfs-common, state: absent }
    - apt: { name: "nfs-common=1:2.6.2-4" }
    - apt: { name: "nfs-*" }
    - apt: { name: /tmp/x.deb }
    - apt: { name: "{{ registered.stdout }}" }
    - apt: { name: "{{ ansible_distribution }}" }
    - apt: { name: vim }
      become: "{{ want_root }}"
    - apt: { name: vim }
      remote_user: deploy
    - apt: { name: vim }
      delegate_to: c1
    - apt: { name: vim, install_recommends: "{{ rec }}" }
`,
    want: {},
  },
  {
    title: "a block's become reaches its tasks; --limit keeps its hosts only",
    limit: 'n2',
    playbook: `
- hosts: compute
  tasks:
    - block:
        - apt: { name: nfs-common }
      become: true
      become_user: root
`,
    want: { n2: [{ names: ['nfs-common'], become: true, becomeUser: 'root' }] },
  },
];

let dir: string;
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsplay-prefetch-'));
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

for (const [i, c] of CASES.entries()) {
  test(`prefetch plan: ${c.title}`, async (t) => {
    const file = join(dir, `pb${i}.yml`);
    writeFileSync(file, c.playbook);
    const playbook = await loadPlaybook(file, await loadRegistry());
    const inventory = inventoryFromText(INVENTORY);
    const runner = {
      inventory, extraVars: {}, limit: c.limit,
      hostRun: (): HostRun => t.fail('the plan opens no connection'),
      connection: () => t.fail('the plan opens no connection'),
    };
    t.deepEqual(Object.fromEntries(plannedInstalls(runner, [playbook])), c.want);
  });
}

// ---- --check: what the later tasks could ask of the packages' contents (contentReads)

const READS: Array<{ title: string; playbook: string; want: Record<string, unknown> }> = [
  {
    title: 'files under /etc and units the tasks after the install name; earlier tasks, other paths and built-ins do not count',
    playbook: `
- hosts: compute
  tasks:
    - lineinfile: { path: /etc/before.conf, line: x }
    - apt: { name: nfs-common }
    - lineinfile: { path: /etc/idmapd.conf, line: x }
    - ini_file: { dest: "/etc/{{ 'nova' }}/nova.conf", section: a, option: b, value: c }
    - copy: { dest: /srv/data, content: x }
    - command: { argv: ["true"], creates: /etc/marker }
    - debug: { msg: hi }
    - set_fact: { a: 1 }
    - mount: { path: /mnt, src: "srv:/x", fstype: nfs, state: present }
    - service: { name: nfs-idmapd, state: started }
  handlers:
    - name: h
      systemd: { name: rpcbind.socket, state: restarted }
`,
    want: {
      n1: { paths: ['/etc/idmapd.conf', '/etc/nova/nova.conf', '/etc/marker', '/etc/fstab'], units: ['nfs-idmapd', 'rpcbind.socket'] },
      n2: { paths: ['/etc/idmapd.conf', '/etc/nova/nova.conf', '/etc/marker', '/etc/fstab'], units: ['nfs-idmapd', 'rpcbind.socket'] },
    },
  },
  {
    title: 'cannot be told: a later package task, a module not listed, a run-time variable, an include, delegation',
    playbook: `
- hosts: compute
  tasks:
    - apt: { name: nfs-common }
- hosts: n1
  tasks:
    - apt: { name: rpcbind }
- hosts: n2
  tasks:
    - git: { repo: /srv/r, dest: /etc/r }
`,
    want: { n1: undefined, n2: undefined },
  },
  {
    title: 'cannot be told: a path from a registered variable',
    playbook: `
- hosts: compute
  tasks:
    - apt: { name: nfs-common }
    - stat: { path: "{{ found.stdout }}" }
`,
    want: { n1: undefined, n2: undefined },
  },
  {
    title: 'cannot be told: delegation, include_tasks',
    playbook: `
- hosts: n1
  tasks:
    - apt: { name: nfs-common }
    - stat: { path: /etc/x }
      delegate_to: c1
- hosts: n2
  tasks:
    - apt: { name: nfs-common }
    - include_tasks: "{{ 'more.yml' }}"
`,
    want: { n1: undefined, n2: undefined },
  },
  {
    title: "set_fact as the host will run it: a default where the inventory has none (the settings idiom), a false condition, an override",
    playbook: `
- hosts: compute
  tasks:
    - { set_fact: { conf: /etc/nova/nova.conf }, when: conf is not defined }
    - { set_fact: { unit: "{{ 'nova' }}-compute" }, when: [pkg_name is defined, false] }
    - set_fact: { unit: "{{ conf | basename | replace('.conf', '') }}-compute", pkg_name: nfs-common }
- hosts: compute
  tasks:
    - apt: { name: "{{ pkg_name }}" }
    - lineinfile: { path: "{{ conf }}", line: x }
    - service: { name: "{{ unit }}", state: started }
`,
    want: {
      n1: { paths: ['/etc/nova/nova.conf'], units: ['nova-compute'] },
      n2: { paths: ['/etc/own.conf'], units: ['own-compute'] },
    },
  },
  {
    title: 'cannot be told: a set_fact whose condition, value or place needs the run (registered data, a lookup, a loop, a rescue)',
    playbook: `
- hosts: n1
  tasks:
    - { command: { argv: ["true"] }, register: found }
    - { set_fact: { conf: /etc/a.conf }, when: found.rc == 0 }
    - apt: { name: nfs-common }
    - lineinfile: { path: "{{ conf }}", line: x }
- hosts: n2
  tasks:
    - set_fact: { conf: "{{ lookup('env', 'HOME') }}/x.conf" }
    - apt: { name: nfs-common }
    - lineinfile: { path: "{{ conf }}", line: x }
- hosts: c1
  tasks:
    - block:
        - command: { argv: ["false"] }
      rescue:
        - set_fact: { conf: /etc/b.conf }
    - apt: { name: nfs-common }
    - lineinfile: { path: "{{ conf }}", line: x }
`,
    want: { n1: undefined, n2: undefined, c1: undefined },
  },
  {
    title: 'cannot be told: vars_files, include_vars before the install',
    playbook: `
- hosts: n1
  vars_files: [vars.yml]
  tasks:
    - apt: { name: nfs-common }
    - lineinfile: { path: /etc/a.conf, line: x }
- hosts: n2
  tasks:
    - include_vars: { file: vars.yml }
    - apt: { name: nfs-common }
    - lineinfile: { path: /etc/a.conf, line: x }
`,
    want: { n1: undefined, n2: undefined },
  },
];

for (const [i, c] of READS.entries()) {
  test(`check reads: ${c.title}`, async (t) => {
    const file = join(dir, `reads${i}.yml`);
    writeFileSync(file, c.playbook);
    writeFileSync(join(dir, 'more.yml'), '- debug: { msg: x }\n');
    writeFileSync(join(dir, 'vars.yml'), 'x: 1\n');
    const playbook = await loadPlaybook(file, await loadRegistry());
    const runner = {
      inventory: inventoryFromText(INVENTORY), extraVars: {},
      hostRun: (): HostRun => t.fail('no connection'),
      connection: () => t.fail('no connection'),
    };
    for (const [host, want] of Object.entries(c.want)) t.deepEqual(contentReads(runner, [playbook], host), want, host);
  });
}

test('check reads: the bundled job: the computes name files and a unit they have; the controller cannot be told (a handler\'s unit needs facts)', async (t) => {
  const root = join(import.meta.dirname ?? '.', '..', '..', '..', '..');
  const inventory = await loadInventory([join(root, 'inventories', 'example.yml')]);
  const playbook = await loadPlaybook(join(root, 'playbooks', 'live-migration.yml'), await loadRegistry());
  const runner = { inventory, extraVars: {}, hostRun: (): HostRun => t.fail('no connection'), connection: () => t.fail('no connection') };
  t.is(contentReads(runner, [playbook], 'controller'), undefined);
  for (const h of ['compute1', 'compute2']) t.deepEqual(contentReads(runner, [playbook], h), { paths: ['/etc/fstab', '/etc/nova/nova.conf'], units: ['nova-compute'] }, h);
});

test("check reads: the bundled job on an inventory that leaves the settings to the job's defaults (set_fact when not defined)", async (t) => {
  const root = join(import.meta.dirname ?? '.', '..', '..', '..', '..');
  const inventory = inventoryFromText(`
all:
  vars: { nfs_network: 10.0.0.0/24 }
  children:
    controller: { hosts: { controller: { ansible_host: 10.0.0.1 } } }
    compute: { hosts: { compute1: { ansible_host: 10.0.0.2 }, compute2: { ansible_host: 10.0.0.3 } } }
`);
  const playbook = await loadPlaybook(join(root, 'playbooks', 'live-migration.yml'), await loadRegistry());
  const runner = { inventory, extraVars: {}, hostRun: (): HostRun => t.fail('no connection'), connection: () => t.fail('no connection') };
  for (const h of ['compute1', 'compute2']) t.deepEqual(contentReads(runner, [playbook], h), { paths: ['/etc/fstab', '/etc/nova/nova.conf'], units: ['nova-compute'] }, h);
  // An extra var wins over the job's default, as in the run.
  const other = { ...runner, extraVars: { nova_conf_path: '/etc/nova/other.conf' } };
  t.deepEqual(contentReads(other, [playbook], 'compute1'), { paths: ['/etc/fstab', '/etc/nova/other.conf'], units: ['nova-compute'] });
});
