// Backslashes in string literals inside `{{ }}`: in playbook text Ansible's
// Templar keeps them as written (it doubles them before Jinja reads the
// literal), in template files and in conditions (`when:`) they are escapes.
// The table's expected values were printed by ansible-playbook 2.14 on this
// machine; the last test runs the same playbook through both and compares the
// files byte for byte.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderString } from '../../../../engine/template/template.js';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const ANSIBLE = '/usr/bin/ansible-playbook';
const vars = { items: ['a', 'b'] };

// [template text as it reaches the templar (after YAML), playbook text result, template file result]
const rows: Array<[string, unknown, string]> = [
  ["{{ 'a\\nb' }}", 'a\\nb', 'a\nb'],
  ["{{ 'x\\ty' | length }}", 4, '3'],
  ['{{ items | join("\\n") }}', 'a\\nb', 'a\nb'],
  ['{{ "c\\\\d" }}', 'c\\\\d', 'c\\d'],
  ['{% if true %}{{ items | join("\\n") }}{% endif %}', 'a\\nb', 'a\nb'],
  ['pre\\n {{ "\\u00e9" }}', 'pre\\n \\u00e9', 'pre\\n é'],
];

for (const [text, playbook, file] of rows) {
  test(`playbook text ${JSON.stringify(text)} gives ${JSON.stringify(playbook)}; a template file ${JSON.stringify(file)}`, (t) => {
    t.deepEqual(renderString(text, vars), playbook);
    if (!text.includes('{%')) t.is(String(renderString(text, vars, { templateFile: true })), file);
  });
}

const PLAYBOOK = `
- hosts: all
  gather_facts: false
  vars: { items: [a, b] }
  tasks:
    - copy:
        content: '{{ items | join("\\n") }}|{{ "x\\ty" }}|{{ "q\\\\d" | regex_replace("\\\\d", "D") }}'
        dest: "{{ out }}/copy.txt"
    - template: { src: t.j2, dest: "{{ out }}/template.txt" }
    - copy: { content: "when", dest: "{{ out }}/when.txt" }
      when: "'a\\\\tb' | length == 3"
`;
const TEMPLATE = '{{ items | join("\\n") }}|{{ "x\\ty" | length }}\n';

const maybe = existsSync(ANSIBLE) || process.env.CI ? test : test.skip;

maybe('the same files under Ansible and tsplay (copy content, template file, condition)', async (t) => {
  const dir = writeTree({ 'playbook.yml': PLAYBOOK, 't.j2': TEMPLATE });
  const ansibleOut = join(dir, 'ansible');
  const tsplayOut = join(dir, 'tsplay');
  mkdirSync(ansibleOut);
  mkdirSync(tsplayOut);
  writeTree({ 'hosts.ini': `local1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3 out=${ansibleOut}\n` }, dir);
  execFileSync(ANSIBLE, ['-i', join(dir, 'hosts.ini'), join(dir, 'playbook.yml')], {
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'False' }, encoding: 'utf8',
  });
  const ours = await runPlaybook({ 'playbook.yml': PLAYBOOK, 't.j2': TEMPLATE, 'inventory.yml': `all:\n  hosts:\n    local1: { ansible_connection: local, out: ${JSON.stringify(tsplayOut)} }\n` });
  t.is(ours.code, 0);
  for (const f of ['copy.txt', 'template.txt', 'when.txt']) t.is(readFileSync(join(tsplayOut, f), 'latin1'), readFileSync(join(ansibleOut, f), 'latin1'), f);
  t.is(readFileSync(join(ansibleOut, 'copy.txt'), 'latin1'), 'a\\nb|x\\ty|q\\D');
});
