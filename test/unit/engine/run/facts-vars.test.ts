// Facts as variables, as Ansible 2.14 exposes them (expected values checked
// with ansible-playbook on this machine, local connection: gathered fact X is
// ansible_facts.X and ansible_X; a module's fact Y is ansible_facts.Y and Y,
// never ansible_Y; ansible_local stays ansible_facts.ansible_local;
// gather_subset and module_setup are plain names; setup with a filter
// returns only the matching facts).

import test from 'ava';
import { runPlaybook } from '../../../helpers/run-playbook.js';
import { LoadError } from '../../../../engine/errors.js';

const debugs = (r: Awaited<ReturnType<typeof runPlaybook>>): Record<string, unknown> =>
  Object.fromEntries(r.events.filter((e) => e.kind === 'debug').map((e) => [(e as { task: string }).task, (e as { msg: unknown }).msg]));

test('gathered and module facts, in both forms', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_subset: ['!all']
  tasks:
    - name: gathered
      debug: { msg: "{{ ansible_facts['os_family'] }}|{{ ansible_os_family }}|{{ ansible_facts.distribution }}|{{ ansible_local | length }}|{{ ansible_facts.ansible_local | length }}|{{ gather_subset[0] }}|{{ ansible_facts.gather_subset[0] }}" }
    - name: gathered names
      assert:
        that: [module_setup, ansible_module_setup is not defined, ansible_facts.local is not defined, ansible_mounts is not defined, ansible_default_ipv4 is not defined]
    - getent: { database: group, key: root }
    - name: module fact
      debug: { msg: "{{ ansible_facts.getent_group.root[1] }}|{{ getent_group.root[1] }}" }
    - name: module fact names
      assert: { that: [ansible_getent_group is not defined] }
    - setup: { filter: ansible_mounts, gather_subset: ['!all', 'hardware'] }
      register: r
    - name: setup merges
      debug: { msg: "{{ r.ansible_facts | length }}|{{ ansible_mounts | length > 0 }}|{{ ansible_facts.mounts | length > 0 }}|{{ ansible_os_family }}" }
    - meta: clear_facts
    - name: cleared
      assert: { that: [ansible_facts.os_family is not defined, getent_group is not defined, ansible_os_family is not defined] }
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results().filter((x) => x.status === 'failed')));
  const d = debugs(r);
  t.is(d.gathered, 'Debian|Debian|Debian|0|0|!all|!all');
  t.is(d['module fact'], '0|0');
  t.regex(String(d['setup merges']), /^1\|[Tt]rue\|[Tt]rue\|Debian$/);
  for (const name of ['gathered names', 'module fact names', 'cleared']) t.is(r.results(name)[0]?.status, 'ok', name);
});

test('gather_subset: an unknown subset is refused at load, with its place', async (t) => {
  const e = await t.throwsAsync(runPlaybook({ 'playbook.yml': '- hosts: local1\n  gather_subset: [network, hardwre]\n  tasks: []\n' }));
  t.true(e instanceof LoadError);
  t.regex(e.message, /gather_subset: Bad subset 'hardwre' given to Ansible/);
  t.regex(e.message, /playbook\.yml:2/);
});

test('setup: an unknown subset fails the task with Ansible\'s message', async (t) => {
  const r = await runPlaybook({ 'playbook.yml': '- hosts: local1\n  gather_facts: false\n  tasks:\n    - setup: { gather_subset: bogus }\n' });
  t.is(r.code, 2);
  t.regex(r.results('setup')[0].msg ?? '', /Bad subset 'bogus' given to Ansible/);
});
