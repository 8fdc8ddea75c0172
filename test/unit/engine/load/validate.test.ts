// `tsplay validate`: every variable a playbook reads must be defined somewhere,
// unless the task is guarded by `when: NAME is defined`.

import test from 'ava';
import { join } from 'node:path';
import { loadInventory } from '../../../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { validatePlaybookVariables } from '../../../../engine/load/validate.js';
import { writeTree } from '../../../helpers/run-playbook.js';

async function problems(playbook: string, extra: Record<string, unknown> = {}): Promise<string[]> {
  const dir = writeTree({ 'p.yml': playbook, 'inv.yml': 'all:\n  vars: { site: x }\n  hosts:\n    h1:\n' });
  const registry = await loadRegistry();
  return validatePlaybookVariables([await loadPlaybook(join(dir, 'p.yml'), registry)], await loadInventory([join(dir, 'inv.yml')]), extra);
}

test('inventory, play, registered, set_fact, loop and magic variables are known', async (t) => {
  t.deepEqual(await problems(`
- hosts: all
  vars: { a: 1 }
  tasks:
    - command: echo {{ a }} {{ site }} {{ inventory_hostname }} {{ ansible_hostname }}
      register: r
    - set_fact: { b: "{{ r.stdout }}" }
    - debug: { msg: "{{ b }} {{ item }}" }
      loop: [1]
      when: hostvars.h1.r is defined and groups.all | length > 0
`), []);
});

test('an undefined variable is reported with its place, in templates and conditions', async (t) => {
  const p = await problems(`
- hosts: all
  tasks:
    - debug: { msg: "{{ ghost }}" }
    - debug: { msg: x }
      when: phantom == 1
`);
  t.is(p.length, 2);
  t.regex(p[0], /p\.yml:4:\d+: undefined variable "ghost"/);
  t.regex(p[1], /p\.yml:5:\d+: undefined variable "phantom" in condition/);
});

test('a task or block guarded by "is defined" may read the variable; extra vars count', async (t) => {
  t.deepEqual(await problems(`
- hosts: all
  tasks:
    - debug: { msg: "{{ opt }}" }
      when: opt is defined
    - block:
        - debug: { msg: "{{ opt2.x }}" }
      when: opt2 is defined
    - debug: { msg: "{{ from_cli }}" }
`, { from_cli: 1 }), []);
  t.is((await problems(`
- hosts: all
  tasks:
    - debug: { msg: "{{ opt }}" }
      when: other is defined
`)).length, 1);
});

test('the bundled playbooks validate against the example inventory', async (t) => {
  const root = join(import.meta.dirname ?? '', '..', '..', '..', '..');
  const registry = await loadRegistry();
  const inv = await loadInventory([join(root, 'inventories', 'example.yml')]);
  for (const pb of ['live-migration.yml', 'live-migration-audit.yml']) {
    const loaded = await loadPlaybook(join(root, 'playbooks', pb), registry);
    t.true(loaded.plays.length > 0);
    t.deepEqual(validatePlaybookVariables([loaded], inv, {}), [], pb);
  }
});

test('a templated include_vars (per OS family, with_first_found) makes known every key of the vars/ files it may pick; name: only that name', async (t) => {
  const dir = writeTree({
    'roles/r/tasks/main.yml': '- include_vars: "{{ ansible_os_family }}.yml"\n- debug: { msg: "{{ __pkg }} {{ only_redhat }}" }\n' +
      '- include_vars: { file: "{{ item }}", name: os_vars }\n  with_first_found: ["{{ ansible_distribution }}.yml", default.yml]\n- debug: { msg: "{{ os_vars }} {{ not_anywhere }}" }\n',
    'roles/r/vars/Debian.yml': '__pkg: apt\n',
    'roles/r/vars/RedHat.yml': '__pkg: yum\nonly_redhat: 1\n',
    'p.yml': '- hosts: all\n  roles: [r]\n',
    'inv.yml': 'all:\n  hosts:\n    h1:\n',
  });
  const registry = await loadRegistry();
  const p = validatePlaybookVariables([await loadPlaybook(join(dir, 'p.yml'), registry)], await loadInventory([join(dir, 'inv.yml')]), {});
  t.is(p.length, 1, p.join('\n'));
  t.regex(p[0], /undefined variable "not_anywhere"/);
});
