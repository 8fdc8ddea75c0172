// Bad input gets a clear error that names its place and a non-zero exit code.
// Each row: files written to a temp dir, the tsplay command line, the expected
// exit code and what the message must say (file:line:col or host and task).

import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMain } from '../../../helpers/main-output.js';
import { ensureSshd, startSshd } from '../../../helpers/sshd.js';
import { writeTree } from '../../../helpers/run-playbook.js';

interface Case {
  name: string;
  files: Record<string, string>;
  /** Command line; DIR is replaced by the temp dir. */
  argv: string;
  exit: number;
  says: RegExp[];
}

const INV = 'all:\n  hosts:\n    h1: { ansible_connection: local }\n';
const play = (tasks: string) => `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`;
const RUN = 'run DIR/p.yml -i DIR/inv.yml';

const cases: Case[] = [
  // YAML syntax
  { name: 'YAML: bad indentation', files: { 'p.yml': '- hosts: all\n  tasks:\n   - debug: {msg: a}\n  - debug: {msg: b}\n' }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /YAML syntax error/] },
  { name: 'YAML: unclosed quote', files: { 'p.yml': '- hosts: all\n  tasks:\n    - debug: { msg: "oops }\n' }, argv: RUN, exit: 4, says: [/p\.yml:\d+:\d+/, /YAML syntax error/] },
  // As Ansible 2.14: a duplicate key is warned about (the mapping's line and column) and the last value is the one read.
  { name: 'YAML: duplicate key (warned; the last value is read)', files: { 'p.yml': '- hosts: all\n  gather_facts: false\n  gather_facts: maybe\n' }, argv: RUN, exit: 4, says: [/\[WARNING\]: While constructing a mapping from \S*p\.yml, line 1, column 3, found a duplicate dict key \(gather_facts\)\. Using last defined value only\./, /p\.yml:3:17/, /gather_facts.*boolean/] },
  { name: 'YAML: tab indentation', files: { 'p.yml': '- hosts: all\n  tasks:\n\t- debug: {msg: a}\n' }, argv: RUN, exit: 4, says: [/p\.yml:3:\d+/] },
  { name: 'YAML: several documents', files: { 'p.yml': '- hosts: all\n---\n- hosts: all\n' }, argv: RUN, exit: 4, says: [/p\.yml/, /one YAML document/] },
  { name: 'YAML: the snippet shows the offending line', files: { 'p.yml': '- hosts: all\n  tasks: [\n' }, argv: RUN, exit: 4, says: [/\| +tasks: \[/] },
  // Structure and schema
  { name: 'play without hosts', files: { 'p.yml': '- name: x\n  tasks: []\n' }, argv: RUN, exit: 4, says: [/p\.yml:1:3/, /missing required option "hosts"/] },
  { name: 'unknown play key', files: { 'p.yml': '- hosts: all\n  taskz: []\n' }, argv: RUN, exit: 4, says: [/p\.yml:2:3/, /unknown option "taskz"/] },
  { name: 'wrong type for gather_facts', files: { 'p.yml': '- hosts: all\n  gather_facts: maybe\n' }, argv: RUN, exit: 4, says: [/p\.yml:2:17/, /gather_facts.*boolean/] },
  { name: 'playbook is not a list', files: { 'p.yml': 'hosts: all\n' }, argv: RUN, exit: 4, says: [/p\.yml:1:1/, /list of plays/] },
  { name: 'tasks is not a list', files: { 'p.yml': '- hosts: all\n  tasks: {debug: {msg: a}}\n' }, argv: RUN, exit: 4, says: [/p\.yml:2:\d+/, /tasks/] },
  { name: 'task without an action', files: { 'p.yml': play('    - name: nothing\n      when: true\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:7/, /no action/] },
  { name: 'unknown module', files: { 'p.yml': play('    - lineinfil: { path: /x, line: y }\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:7/, /unknown module or task keyword "lineinfil"/, /did you mean.*lineinfile/] },
  { name: 'two actions in one task', files: { 'p.yml': play('    - debug: { msg: a }\n      fail: { msg: b }\n') }, argv: RUN, exit: 4, says: [/p\.yml:5:7/, /one action/] },
  { name: 'unknown module option', files: { 'p.yml': play('    - lineinfile: { path: /x, line: y, colour: red }\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /unknown option "colour"/] },
  { name: 'missing required module option', files: { 'p.yml': play('    - lineinfile: { line: y }\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /missing required option "path"/] },
  { name: 'bad enum value', files: { 'p.yml': play('    - lineinfile: { path: /x, line: z, state: presnt }\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /state.*must be one of/] },
  { name: 'wrong type for a module option', files: { 'p.yml': play('    - lineinfile: { path: /x, line: y, create: [1] }\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /create/] },
  { name: 'malformed condition', files: { 'p.yml': play('    - debug: { msg: a }\n      when: a ==\n') }, argv: RUN, exit: 4, says: [/p\.yml:5:13/, /malformed condition/] },
  { name: 'malformed template', files: { 'p.yml': play('    - debug: { msg: "{{ foo" }\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /malformed template/] },
  { name: 'notify names no handler', files: { 'p.yml': play('    - command: "true"\n      notify: restart nfs\n') }, argv: RUN, exit: 4, says: [/p\.yml:5:\d+/, /no handler of that name/] },
  { name: 'import_tasks of a missing file', files: { 'p.yml': play('    - import_tasks: tasks/nope.yml\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /not found.*nope\.yml/] },
  { name: 'rescue without block', files: { 'p.yml': play('    - rescue:\n        - debug: {msg: a}\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:7/, /belong to a block/] },
  { name: 'register with a bad name', files: { 'p.yml': play('    - command: "true"\n      register: my-var\n') }, argv: RUN, exit: 4, says: [/p\.yml:5:\d+/, /register/] },
  { name: 'unknown loop_control key', files: { 'p.yml': play('    - debug: { msg: a }\n      loop: [1]\n      loop_control: { lable: x }\n') }, argv: RUN, exit: 4, says: [/p\.yml:6:\d+/, /unknown option "lable"/] },
  { name: 'wrong type for a block keyword (blocks are checked like tasks)', files: { 'p.yml': play('    - block:\n        - debug: {msg: a}\n      become: maybe\n') }, argv: RUN, exit: 4, says: [/p\.yml:6:\d+/, /become.*boolean/] },
  { name: 'wrong type for an import_tasks keyword', files: { 'p.yml': play('    - import_tasks: t.yml\n      tags: [1]\n'), 't.yml': '- debug: {msg: a}\n' }, argv: RUN, exit: 4, says: [/p\.yml:5:\d+/, /tags/] },
  { name: 'free-form string for a module that takes a mapping', files: { 'p.yml': play('    - lineinfile: /x line=y\n') }, argv: RUN, exit: 4, says: [/p\.yml:4:\d+/, /"\/x" is not key=value/] },
  { name: 'missing playbook file', files: {}, argv: RUN, exit: 4, says: [/p\.yml/, /not found/] },
  // Inventory
  { name: 'inventory YAML syntax error', files: { 'p.yml': play('    - debug: {msg: a}\n'), 'inv.yml': 'all:\n  hosts:\n    h1: { ansible_connection: local\n' }, argv: RUN, exit: 4, says: [/inv\.yml:\d+:\d+/] },
  { name: 'inventory unknown group key', files: { 'p.yml': play('    - debug: {msg: a}\n'), 'inv.yml': 'all:\n  hostz:\n    h1:\n' }, argv: RUN, exit: 4, says: [/inv\.yml:2:3/, /hostz/] },
  { name: 'inventory bad host range', files: { 'p.yml': play('    - debug: {msg: a}\n'), 'inv.yml': 'all:\n  hosts:\n    node[1:\n' }, argv: RUN, exit: 4, says: [/inv\.yml:3:\d+/, /range|pattern|node\[1:/] },
  { name: 'missing inventory file', files: { 'p.yml': play('    - debug: {msg: a}\n') }, argv: 'run DIR/p.yml -i DIR/nope.yml', exit: 4, says: [/nope\.yml/] },
  // Command line
  { name: 'unknown command-line option', files: {}, argv: `${RUN} --frobnicate`, exit: 5, says: [/frobnicate/] },
  { name: 'bad --forks', files: {}, argv: `${RUN} -f 0`, exit: 5, says: [/--forks/] },
  { name: 'bad -e', files: {}, argv: `${RUN} -e novalue`, exit: 5, says: [/KEY=VALUE/] },
  { name: 'no inventory', files: { 'p.yml': play('    - debug: {msg: a}\n') }, argv: 'run DIR/p.yml', exit: 5, says: [/no inventory/] },
  { name: 'bad --strategy', files: {}, argv: `${RUN} --strategy fast`, exit: 5, says: [/--strategy/] },
  { name: 'bad --limit pattern', files: { 'p.yml': play('    - debug: {msg: a}\n') }, argv: `${RUN} -l 'all:&'`, exit: 4, says: [/all:&/] },
  { name: 'unknown subcommand', files: {}, argv: 'runn x', exit: 5, says: [/unknown command "runn"/] },
  // Running
  { name: 'undefined variable at run time', files: { 'p.yml': play('    - name: greet\n      debug: { msg: "{{ missing_var }}" }\n') }, argv: RUN, exit: 2, says: [/undefined variable "missing_var"/, /greet/, /p\.yml:4:7/, /h1/] },
  { name: 'command that fails on a host', files: { 'p.yml': play('    - name: failing\n      shell: "echo to-stderr >&2; exit 3"\n') }, argv: RUN, exit: 2, says: [/fatal: \[h1\]/, /exit code 3|rc=3/, /to-stderr/] },
  { name: 'unreachable host', files: { 'p.yml': play('    - command: "true"\n'), 'inv.yml': 'all:\n  hosts:\n    deadhost: { ansible_host: 127.0.0.1, ansible_port: 1, tsplay_connect_timeout: 2 }\n' }, argv: `${RUN}`, exit: 3, says: [/deadhost/, /UNREACHABLE/, /127\.0\.0\.1:1/] },
  { name: 'unreadable private key file', files: { 'p.yml': play('    - command: "true"\n'), 'inv.yml': 'all:\n  hosts:\n    keyhost: { ansible_host: 127.0.0.1, ansible_port: 1, ansible_ssh_private_key_file: /nonexistent/id_ed25519 }\n' }, argv: RUN, exit: 3, says: [/keyhost/, /\/nonexistent\/id_ed25519/] },
  { name: 'validate: undefined variable named with its place', files: { 'p.yml': play('    - debug: { msg: "{{ not_defined_anywhere }}" }\n') }, argv: 'validate DIR/p.yml -i DIR/inv.yml', exit: 4, says: [/p\.yml:4:\d+/, /undefined variable "not_defined_anywhere"/] },
  { name: 'validate: a condition reading an undefined variable', files: { 'p.yml': play('    - debug: { msg: a }\n      when: ghost == 1\n') }, argv: 'validate DIR/p.yml -i DIR/inv.yml', exit: 4, says: [/p\.yml:4:\d+/, /undefined variable "ghost"/] },
];

function splitArgv(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2]);
  return out;
}

for (const c of cases) {
  test.serial(c.name, async (t) => {
    const dir = writeTree({ 'inv.yml': INV, ...c.files });
    const argv = splitArgv(c.argv.replaceAll('DIR', dir));
    const r = await runMain(argv);
    const code = r.code;
    const text = r.text.replaceAll(dir + '/', '');
    t.is(code, c.exit, text);
    for (const re of c.says) t.regex(text, re);
  });
}

test('the table has at least 30 bad inputs', (t) => {
  t.true(cases.length >= 30);
});

// Host keys through the whole CLI, against a real OpenSSH server on 127.0.0.1.

const sshTest = ensureSshd() ? test.serial : test.serial.skip;



sshTest('unknown and changed host keys make the host unreachable (exit 3), naming the known_hosts file', async (t) => {
  const sshd = await startSshd();
  try {
    const dir = writeTree({ 'p.yml': play('    - command: "true"\n') });
    const inv = (kh: string) => `all:\n  hosts:\n    keyed: { ansible_host: 127.0.0.1, ansible_port: ${sshd.port}, ansible_user: ${sshd.user}, ansible_ssh_private_key_file: ${sshd.clientKeyFile}, tsplay_known_hosts_file: ${kh} }\n`;
    const empty = join(dir, 'kh-empty');
    writeFileSync(empty, '');
    writeFileSync(join(dir, 'inv.yml'), inv(empty));
    const unknown = await runMain(['run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')]);
    t.is(unknown.code, 3, unknown.text);
    t.regex(unknown.text, /keyed/);
    t.regex(unknown.text, /kh-empty/);
    const wrong = join(dir, 'kh-wrong');
    writeFileSync(wrong, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDhZ1TUBxCjiAMQG1QkDO61CJcIuFT5oV7Xf6PA1uKmV\n`);
    writeFileSync(join(dir, 'inv.yml'), inv(wrong));
    const changed = await runMain(['run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')]);
    t.is(changed.code, 3, changed.text);
    t.regex(changed.text, /changed|CHANGED|does not match/i);
    writeFileSync(join(dir, 'inv.yml'), inv(sshd.knownHostsFile));
    const good = await runMain(['run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')]);
    t.is(good.code, 0, good.text);
  } finally {
    await sshd.dispose();
  }
});
