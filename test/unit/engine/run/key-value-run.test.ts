// key=value arguments run as Ansible 2.14 runs them, over the local connection:
// chdir= and creates= inside a free-form command are honoured (not run as part
// of the command), `args:` reaches the module, key=value values are converted
// by the module's schema, set_fact converts yes/no and renders templated keys.
// The expected values are what ansible-playbook 2.14 printed for the same tasks
// on this machine (/tmp for `pwd chdir=/tmp`, "1" a string and `yes` true for
// set_fact, 600 for the copied file's mode).

import test from 'ava';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook } from '../../../helpers/run-playbook.js';

test('chdir=, creates=, args: and key=value conversion are honoured over the local connection', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  vars: { name: port }
  tasks:
    - command: pwd chdir=/tmp
      register: a
    - command: pwd chdir=/usr
      args: { chdir: /etc }
      register: b
    - shell: echo a=b $PWD chdir=/var
      register: c
    - name: creates
      command: touch {{ playbook_dir }}/made creates={{ playbook_dir }}/made
    - name: creates again
      command: touch {{ playbook_dir }}/made creates={{ playbook_dir }}/made
    - file: path={{ playbook_dir }}/d state=directory mode=0750
    - copy: content=hi dest={{ playbook_dir }}/d/f force=yes
      args: { mode: "0600" }
    - set_fact: one=1 flag=yes {{ name }}_x=8
    - set_fact:
        "{{ name }}_y": 9
    - copy: content="{{ [a.stdout, b.stdout, c.stdout, one, flag, port_x, port_y] | to_json }}" dest={{ playbook_dir }}/out.json
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results().filter((x) => x.status === 'failed')));
  t.deepEqual(JSON.parse(readFileSync(join(r.dir, 'out.json'), 'utf8')), ['/tmp', '/usr', 'a=b /var', '1', true, '8', 9]);
  t.true(existsSync(join(r.dir, 'made')));
  t.is(r.results('creates')[0].status, 'changed');
  t.is(r.results('creates again')[0].status, 'ok');
  t.is(statSync(join(r.dir, 'd')).mode & 0o777, 0o750);
  t.is(statSync(join(r.dir, 'd', 'f')).mode & 0o777, 0o600);
});

test('set_fact refuses a templated key that renders to something that is not a variable name', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - set_fact:
        "{{ 'a b' }}": 1
`,
  });
  t.is(r.code, 2);
  t.regex(String(r.results()[0].msg), /variable name "a b" is not valid/);
});
