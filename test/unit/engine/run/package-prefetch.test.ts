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
import { plannedInstalls } from '../../../../engine/run/package-prefetch.js';
import type { HostRun } from '../../../../engine/run/host-run.js';

const INVENTORY = `
all:
  children:
    controller: { hosts: { c1: { role_pkg: nfs-kernel-server } } }
    compute: { hosts: { n1: {}, n2: { extra_pkg: qemu-kvm } } }
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
