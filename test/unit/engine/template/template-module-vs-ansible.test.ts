// The template module writes the bytes Ansible writes: the same playbook and
// template files run under ansible-playbook (ansible-core 2.14, local
// connection) and under tsplay, and the two output files are compared.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const ANSIBLE = '/usr/bin/ansible-playbook';
const maybe = existsSync(ANSIBLE) || process.env.CI ? test : test.skip;

const files: Record<string, string> = {
  'playbook.yml': `
- hosts: local1
  gather_facts: false
  vars:
    sshd_port: 2222
    listen: [10.0.0.1, 10.0.0.2]
    users:
      - { name: alice, shell: /bin/bash }
      - { name: bob }
    opts: { PermitRootLogin: "no", X11Forwarding: "no" }
  tasks:
    - template: { src: sshd_config.j2, dest: "{{ out }}" }
`,
  'sshd_config.j2': `# {{ ansible_managed }}
{% from "macros.j2" import kv %}
Port {{ sshd_port }}
{% for a in listen %}
ListenAddress {{ a }}
{% endfor %}
{# options from a mapping #}
{% for k, v in opts.items() %}
{{ kv(k, v) }}
{% endfor %}

{% for u in users if u.shell is defined %}
Match User {{ u.name }}
    ForceCommand {{ u.shell }}
{% else %}
# no shells
{% endfor %}
{% include "footer.j2" %}
`,
  'macros.j2': '{% macro kv(k, v, sep=" ") -%}\n{{ k }}{{ sep }}{{ v }}\n{%- endmacro %}\n',
  'footer.j2': '# end ({{ users | length }} users)\n',
};

maybe('a Jinja template file renders to the same bytes as under Ansible 2.14', async (t) => {
  const dir = writeTree({ ...files, 'hosts.ini': 'local1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' });
  execFileSync(ANSIBLE, ['-i', join(dir, 'hosts.ini'), join(dir, 'playbook.yml'), '-e', `out=${join(dir, 'ansible.conf')}`], {
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'False' },
    encoding: 'utf8',
  });
  const expected = readFileSync(join(dir, 'ansible.conf'), 'utf8');
  t.true(expected.startsWith('# Ansible managed\n'), expected);
  const ours = await runPlaybook(files, { extraVars: { out: join(dir, 'tsplay.conf') } });
  t.is(ours.code, 0, JSON.stringify(ours.results().map((r) => r.result)));
  t.is(readFileSync(join(dir, 'tsplay.conf'), 'utf8'), expected);
});
