// A task's arguments as Ansible 2.14 assembles them: key=value words for every
// module and built-in, free-form text for command and shell with chdir= and
// creates= taken out, the `args:` keyword under the action's own options, and
// key=value strings converted by the module's schema. Every "Ansible:" row was
// run with ansible-playbook 2.14 on this machine (local connection).

import test from 'ava';
import { join } from 'node:path';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import type { Item } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { LoadError } from '../../../../engine/errors.js';
import { coerceToSchema } from '../../../../engine/load/coerce.js';
import { writeTree } from '../../../helpers/run-playbook.js';

async function tasksOf(tasks: string): Promise<Array<Item & { kind: 'task' }>> {
  const dir = writeTree({ 'p.yml': `- hosts: all\n  tasks:\n${tasks}` });
  const pb = await loadPlaybook(join(dir, 'p.yml'), await loadRegistry());
  return pb.plays[0].tasks as Array<Item & { kind: 'task' }>;
}

async function loadError(tasks: string): Promise<string> {
  const dir = writeTree({ 'p.yml': `- hosts: all\n  tasks:\n${tasks}` });
  try {
    await loadPlaybook(join(dir, 'p.yml'), await loadRegistry());
  } catch (e) {
    if (e instanceof LoadError) return e.message.replace(dir, 'DIR');
    throw e;
  }
  return 'loaded';
}

const LOADS: Array<[title: string, task: string, action: string, args: Record<string, unknown>]> = [
  ['file key=value (mode stays the string "0755")', 'file: path=/x state=directory mode=0755', 'file', { path: '/x', state: 'directory', mode: '0755' }],
  ['copy key=value with quoted value', 'copy: content="a b" dest=/tmp/f', 'copy', { content: 'a b', dest: '/tmp/f' }],
  ['command: chdir= is an option, not a word of the command', 'command: pwd chdir=/tmp', 'command', { chdir: '/tmp', cmd: 'pwd' }],
  ['command: creates= first', 'command: creates=/x touch /x', 'command', { creates: '/x', cmd: 'touch /x' }],
  ['shell: a=b that is not an option stays in the command', 'shell: echo a=b $PWD chdir=/var', 'shell', { chdir: '/var', cmd: 'echo a=b $PWD' }],
  ['debug var=', 'debug: var=x', 'debug', { var: 'x' }],
  ['debug msg= with a template in quotes', 'debug: msg="hello {{ x }}"', 'debug', { msg: 'hello {{ x }}' }],
  ['debug verbosity= converted to an integer', "debug: msg='a b' verbosity=0", 'debug', { msg: 'a b', verbosity: 0 }],
  ['set_fact key=value (values stay strings at load)', 'set_fact: a=1 b=yes', 'set_fact', { a: '1', b: 'yes' }],
  ['include_vars: a bare word is the file', 'include_vars: vars.yml', 'include_vars', { file: 'vars.yml' }],
  ['include_vars: file= name=', 'include_vars: file=vars.yml name=v', 'include_vars', { file: 'vars.yml', name: 'v' }],
  ['meta: a bare word is the action', 'meta: flush_handlers', 'meta', { action: 'flush_handlers' }],
  ['fail msg=', 'fail: msg="stop here"', 'fail', { msg: 'stop here' }],
];

for (const [title, task, action, args] of LOADS) {
  test(`loads: ${title}`, async (t) => {
    const [x] = await tasksOf(`    - ${task}\n`);
    t.is(x.action, action);
    t.deepEqual(x.args, args);
  });
}

test('args: gives defaults; the options under the action win where both name one (Ansible: pwd in /usr)', async (t) => {
  const [a, b, c] = await tasksOf(`    - command: pwd
      args: { chdir: /etc }
    - command: pwd chdir=/usr
      args: { chdir: /etc, creates: /nope }
    - copy: content=hi dest=/tmp/f
      args: { mode: "0600" }
`);
  t.deepEqual(a.args, { chdir: '/etc', cmd: 'pwd' });
  t.deepEqual(b.args, { chdir: '/usr', creates: '/nope', cmd: 'pwd' });
  t.deepEqual(c.args, { mode: '0600', content: 'hi', dest: '/tmp/f' });
});

const REFUSED: Array<[title: string, task: string, says: RegExp]> = [
  // Ansible: "this task 'debug' has extra params, which is only allowed in the following modules: ..."
  ['debug with words that are not key=value', 'debug: hello world', /p\.yml:3:14: debug takes options as a mapping or as key=value words; "hello world" is not key=value/],
  ['fail with a bare message', 'fail: oops', /p\.yml:3:13: fail takes options .* "oops" is not key=value/],
  ['file with a bare path', 'file: /tmp/x state=directory', /p\.yml:3:13: file takes options .* "\/tmp\/x" is not key=value/],
  // Ansible: "failed at splitting arguments, either an unbalanced jinja2 block or quotes"
  ['an unterminated quote', 'debug: msg="unterminated', /p\.yml:3:14: debug: unbalanced quotes or Jinja2 block/],
  // Ansible runs it (the template must give a mapping, with a warning that it is unsafe); tsplay refuses it.
  ['a template standing for all the options', 'debug: "{{ d }}"', /p\.yml:3:15: debug: a template standing for the whole of the options .* not supported by tsplay/],
  ['an unknown option in key=value form, placed at the task', 'copy: dest=/x content=y bogus=1', /p\.yml:3:13: copy: unknown option "bogus"/],
  ['a key=value value the schema refuses after conversion', 'copy: dest=/x content=y force=maybe', /p\.yml:3:13: copy: "force" must be boolean/],
  ['args: that is not a mapping', 'command: pwd\n      args: chdir=/tmp', /p\.yml:4:13: .*args/],
];

for (const [title, task, says] of REFUSED) {
  test(`refused at load with its place: ${title}`, async (t) => {
    t.regex(await loadError(`    - ${task}\n`), says);
  });
}

test('an unknown option given through args: is placed at args:', async (t) => {
  t.regex(await loadError('    - command: pwd\n      args: { chdir: /tmp, nope: 1 }\n'), /p\.yml:4:\d+: command: unknown option "nope"/);
});

test('the schema converts strings as Ansible\'s argument spec does; strings stay strings where the option takes a string', (t) => {
  const schema = {
    type: 'object' as const,
    properties: {
      force: { type: 'boolean' as const }, port: { type: 'integer' as const }, ratio: { type: 'number' as const },
      groups: { type: 'array' as const, items: { type: 'string' as const } }, mode: { type: 'string' as const },
      either: { anyOf: [{ type: 'boolean' as const }, { type: 'string' as const }] },
    },
  };
  const args: Record<string, unknown> = { force: 'yes', port: '22', ratio: '0.5', groups: 'a,b', mode: '0755', either: 'no', other: 'yes' };
  coerceToSchema(schema, args);
  t.deepEqual(args, { force: true, port: 22, ratio: 0.5, groups: ['a', 'b'], mode: '0755', either: 'no', other: 'yes' });
  for (const [s, b] of [['Yes', true], ['on', true], ['1', true], ['t', true], ['y', true], ['False', false], ['off', false], ['0', false], ['n', false], ['f', false]] as const) {
    const a: Record<string, unknown> = { force: s };
    coerceToSchema(schema, a);
    t.is(a.force, b, s);
  }
  const bad: Record<string, unknown> = { force: 'maybe', port: '2x' };
  coerceToSchema(schema, bad);
  t.deepEqual(bad, { force: 'maybe', port: '2x' });
});
