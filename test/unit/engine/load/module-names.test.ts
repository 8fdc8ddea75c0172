// Ansible's collection names resolve to tsplay's modules at load, and a module
// tsplay lacks is refused at load with its place and the list of what it has.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import type { Item } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { COLLECTION_NAMES, isCollectionName, resolveActionName } from '../../../../engine/load/module-names.js';
import { LoadError } from '../../../../engine/errors.js';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const known = (n: string) => ['copy', 'mount', 'ini_file', 'debug', 'usermod', 'package', 'systemd', 'systemd_service', 'group', 'find', 'get_url', 'unarchive', 'timezone', 'locale_gen'].includes(n);

for (const [key, expected] of [
  ['copy', 'copy'],
  ['ansible.builtin.copy', 'copy'],
  ['ansible.legacy.copy', 'copy'],
  ['ansible.builtin.debug', 'debug'],
  ['ansible.posix.mount', 'mount'],
  ['community.general.ini_file', 'ini_file'],
  ['usermod', 'usermod'],
  // issue 11's modules
  ['ansible.builtin.package', 'package'],
  ['ansible.builtin.systemd', 'systemd'],
  ['ansible.builtin.systemd_service', 'systemd_service'],
  ['ansible.builtin.group', 'group'],
  ['ansible.builtin.find', 'find'],
  ['ansible.builtin.get_url', 'get_url'],
  ['ansible.builtin.unarchive', 'unarchive'],
  ['community.general.timezone', 'timezone'],
  ['community.general.locale_gen', 'locale_gen'],
  ['ansible.builtin.timezone', undefined],
  // tsplay's own module has no collection name; Ansible's user module is not usermod
  ['ansible.builtin.usermod', undefined],
  ['ansible.builtin.user', undefined],
  ['community.general.mount', undefined],
  ['ansible.builtin', undefined],
] as const) {
  test(`resolve ${key}`, (t) => {
    t.is(resolveActionName(key, known), expected);
  });
}

test('collection names look like namespace.collection.module', (t) => {
  t.true(isCollectionName('ansible.builtin.copy'));
  t.true(isCollectionName('community.general.ini_file'));
  t.false(isCollectionName('copy'));
  t.false(isCollectionName('ansible.copy'));
  t.false(isCollectionName('a.b.c.d'));
});

test('every collection name points at a module or built-in tsplay has', async (t) => {
  const registry = await loadRegistry();
  const { BUILTIN_NAMES } = await import('../../../../engine/run/builtins/index.js');
  for (const [fqcn, name] of COLLECTION_NAMES) t.true(registry.has(name) || BUILTIN_NAMES.includes(name), `${fqcn} -> ${name}`);
});

async function load(playbook: string) {
  const dir = writeTree({ 'p.yml': playbook });
  return { file: join(dir, 'p.yml'), pb: loadPlaybook(join(dir, 'p.yml'), await loadRegistry()) };
}

test('a task written with a collection name loads as the module; its default name is the key as written', async (t) => {
  const { pb } = await load(`
- hosts: all
  tasks:
    - ansible.builtin.debug: { msg: hi }
    - name: named
      ansible.posix.mount: { path: /mnt/x, src: tmpfs, fstype: tmpfs, state: present }
    - community.general.ini_file: { path: /etc/x.ini, section: s, option: o, value: v }
    - ansible.builtin.fail: msg="stop here"
`);
  const tasks = (await pb).plays[0].tasks as Array<Item & { kind: 'task' }>;
  t.deepEqual(tasks.map((x) => [x.action, x.name]), [
    ['debug', 'ansible.builtin.debug'],
    ['mount', 'named'],
    ['ini_file', 'community.general.ini_file'],
    ['fail', 'ansible.builtin.fail'],
  ]);
  // the key=value form of a built-in works under its collection name too
  t.deepEqual(tasks[3].args, { msg: 'stop here' });
});

test('the module\'s own argument checks apply under its collection name, placed at the option', async (t) => {
  const { pb, file } = await load(`
- hosts: all
  tasks:
    - ansible.builtin.copy: { dest: /x, content: y, bogus: 1 }
`);
  const e = await t.throwsAsync(pb, { instanceOf: LoadError });
  t.regex(e.message, /copy: unknown option "bogus"/);
  t.true(e.message.includes(`${file}:4:`), e.message);
});

test('a collection module tsplay lacks is refused at load with its place and the list of what tsplay has', async (t) => {
  const { pb, file } = await load(`
- hosts: all
  tasks:
    - debug: { msg: before }
    - community.general.ufw: { rule: allow }
`);
  const e = await t.throwsAsync(pb, { instanceOf: LoadError });
  t.regex(e.message, /module "community\.general\.ufw" is not available in tsplay; it has: .*\bapt\b.*\bcopy\b/);
  t.true(e.message.includes(`${file}:5:7`), e.message);
});

test('an unknown short name lists what tsplay has', async (t) => {
  const { pb } = await load(`
- hosts: all
  tasks:
    - yum: { name: x }
`);
  const e = await t.throwsAsync(pb, { instanceOf: LoadError });
  t.regex(e.message, /unknown module or task keyword "yum".*tsplay's modules and built-ins: .*\bapt\b/);
});

test('a playbook written with collection names runs as with the short names', async (t) => {
  const run = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - ansible.builtin.copy: { dest: "{{ playbook_dir }}/out.txt", content: "hello\\n" }
    - ansible.builtin.stat: { path: "{{ playbook_dir }}/out.txt" }
      register: st
    - ansible.builtin.assert: { that: [st.stat.exists] }
`,
  });
  t.is(run.code, 0, JSON.stringify(run.results().map((r) => [r.task, r.status, r.result?.msg])));
  t.is(readFileSync(join(run.dir, 'out.txt'), 'utf8'), 'hello\n');
  t.deepEqual(run.results().map((r) => [r.task, r.status]), [
    ['ansible.builtin.copy', 'changed'],
    ['ansible.builtin.stat', 'ok'],
    ['ansible.builtin.assert', 'ok'],
  ]);
});
