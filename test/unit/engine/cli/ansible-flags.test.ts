// ansible-playbook's options (issue 13): --list-tasks, --list-tags,
// --list-hosts, --syntax-check print what ansible-playbook 2.14 prints (each
// compared with the real one on this machine; the expected text below was
// recorded from it); --start-at-task, --force-handlers and -l @FILE run what
// Ansible runs (the TASK lines compared with ansible-playbook's); -u, -T, -b,
// --become-user, --private-key and -c are defaults below every host variable
// and keyword; what tsplay cannot do is refused with exit 5.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../helpers/cli-capture.js';
import { connectionSettings } from '../../../../engine/inventory/host-vars.js';
import { effectiveSettings } from '../../../../engine/run/connection-settings.js';
import { runPlaybook } from '../../../helpers/run-playbook.js';

const ANSIBLE = '/usr/bin/ansible-playbook';
const dir = mkdtempSync(join(tmpdir(), 'tsplay-flags-'));
const at = (p: string) => join(dir, p);
mkdirSync(at('roles/web/tasks'), { recursive: true });
writeFileSync(at('roles/web/tasks/main.yml'), '- name: role task\n  debug: msg=x\n  tags: [rt]\n- debug: msg=unnamed\n');
writeFileSync(at('other.yml'), '- debug: msg=o\n');
writeFileSync(at('inv.ini'), [
  '[web]',
  'w1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3',
  'w2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3',
  '[db]',
  'd1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3',
  '',
].join('\n'));
writeFileSync(at('pb.yml'), `- name: First play
  hosts: web
  tags: [p1]
  pre_tasks:
    - name: pre one
      debug: msg=a
  roles:
    - role: web
      tags: [roletag]
  tasks:
    - name: "Install {{ pkg | default('x') }}"
      debug: msg=b
      tags: [pkg, always]
    - block:
        - name: in block
          debug: msg=c
      tags: [blk]
    - include_tasks: other.yml
    - command: echo hi
  post_tasks:
    - name: post one
      debug: msg=d
  handlers:
    - name: h1
      debug: msg=h
- hosts: all
  gather_facts: false
  tasks:
    - name: second play task
      debug: msg=e
- hosts: nomatch
  tasks:
    - debug: msg=f
`);
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const run = (argv: string[]) => runCli(argv, dir);

function ansible(args: string[]): { code: number; out: string } | undefined {
  const r = spawnSync(ANSIBLE, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'false' } });
  if (r.error) return undefined;
  return { code: r.status ?? -1, out: r.stdout };
}

const ansibleThere = ansible(['--version']) !== undefined;
/** Compare with ansible-playbook when it is installed (CI installs it); fail loudly when it is not. */
function sameAsAnsible(t: { is: (a: unknown, b: unknown, m?: string) => void; fail: (m: string) => void }, args: string[], ours: string): void {
  if (!ansibleThere) return t.fail(`${ANSIBLE} is missing (apt-get install ansible-core)`);
  const a = ansible(args)!;
  t.is(a.code, 0, a.out);
  t.is(ours.trimEnd(), a.out.trimEnd(), `tsplay ${args.join(' ')} against ansible-playbook`);
}

const LIST_TASKS = `
playbook: pb.yml

  play #1 (web): First play\tTAGS: [p1]
    tasks:
      pre one\tTAGS: [p1]
      web : role task\tTAGS: [p1, roletag, rt]
      debug\tTAGS: [p1, roletag]
      Install {{ pkg | default('x') }}\tTAGS: [always, p1, pkg]
      in block\tTAGS: [blk, p1]
      include_tasks\tTAGS: [p1]
      command\tTAGS: [p1]
      post one\tTAGS: [p1]

  play #2 (all): all\tTAGS: []
    tasks:
      second play task\tTAGS: []

  play #3 (nomatch): nomatch\tTAGS: []
    tasks:
      debug\tTAGS: []`;

test.serial('--list-tasks: ansible-playbook 2.14\'s text (names as written, role prefix, inherited tags sorted, no handlers)', async (t) => {
  const r = await run(['run', 'pb.yml', '-i', 'inv.ini', '--list-tasks']);
  t.is(r.code, 0, r.err);
  t.is(r.out, `${LIST_TASKS}\n`);
  sameAsAnsible(t, ['-i', 'inv.ini', 'pb.yml', '--list-tasks'], r.out);
});

test.serial('--list-tasks with --tags and --skip-tags: the tasks those tags select (always stays unless skipped)', async (t) => {
  for (const args of [['-t', 'rt'], ['-t', 'blk,pkg'], ['--skip-tags', 'roletag'], ['--skip-tags', 'always', '-t', 'pkg']]) {
    const r = await run(['run', 'pb.yml', '-i', 'inv.ini', '--list-tasks', ...args]);
    t.is(r.code, 0, r.err);
    sameAsAnsible(t, ['-i', 'inv.ini', 'pb.yml', '--list-tasks', ...args], r.out);
  }
  const r = await run(['run', 'pb.yml', '-i', 'inv.ini', '--list-tasks', '-t', 'rt']);
  t.true(r.out.includes('web : role task') && r.out.includes('Install {{') && !r.out.includes('pre one'), r.out);
});

test.serial('--list-tags and --syntax-check: ansible-playbook 2.14\'s text', async (t) => {
  const tags = await run(['run', 'pb.yml', '-i', 'inv.ini', '--list-tags']);
  t.is(tags.code, 0, tags.err);
  t.true(tags.out.includes('      TASK TAGS: [always, blk, p1, pkg, roletag, rt]'), tags.out);
  sameAsAnsible(t, ['-i', 'inv.ini', 'pb.yml', '--list-tags'], tags.out);
  const syntax = await run(['run', 'pb.yml', '-i', 'inv.ini', '--syntax-check']);
  t.is(syntax.code, 0, syntax.err);
  t.is(syntax.out, '\nplaybook: pb.yml\n');
  sameAsAnsible(t, ['-i', 'inv.ini', 'pb.yml', '--syntax-check'], syntax.out);
  // Without an inventory, as Ansible allows it for these.
  t.is((await run(['run', 'pb.yml', '--syntax-check'])).code, 0);
  const bad = await run(['run', 'nope.yml', '--syntax-check']);
  t.is(bad.code, 4, bad.err);
});

test.serial('--list-hosts: the hosts of each play after --limit (Ansible prints them in set order: compared as sets)', async (t) => {
  const r = await run(['run', 'pb.yml', '-i', 'inv.ini', '--list-hosts', '-l', 'w1,d1']);
  t.is(r.code, 0, r.err);
  t.true(r.out.includes("    pattern: ['web']\n    hosts (1):\n      w1\n"), r.out);
  t.true(r.out.includes("    pattern: ['nomatch']\n    hosts (0):"), r.out);
  if (!ansibleThere) return t.fail(`${ANSIBLE} is missing`);
  const a = ansible(['-i', 'inv.ini', 'pb.yml', '--list-hosts', '-l', 'w1,d1'])!;
  const sorted = (text: string) => text.split('\n\n').map((play) => play.split('\n').sort().join('\n')).join('\n\n');
  t.is(sorted(r.out.trimEnd()), sorted(a.out.trimEnd()));
});

/** The TASK lines of a text run, in order. */
const taskLines = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('TASK [') || l.startsWith('RUNNING HANDLER [')).map((l) => l.replace(/ \*+$/, ''));

test.serial('--start-at-task: the tasks before the first match are skipped, by name, "ROLE : name" or a pattern', async (t) => {
  for (const start of ['Install {{*', 'web : role task', 'in bl?ck', 'second play task']) {
    const r = await run(['run', 'pb.yml', '-i', 'inv.ini', '-l', 'w1', '--start-at-task', start]);
    t.is(r.code, 0, r.err);
    if (!ansibleThere) return t.fail(`${ANSIBLE} is missing`);
    const a = ansible(['-i', 'inv.ini', 'pb.yml', '-l', 'w1', '--start-at-task', start])!;
    t.deepEqual(taskLines(r.out), taskLines(a.out), start);
  }
  const first = await run(['run', 'pb.yml', '-i', 'inv.ini', '-l', 'w1', '--start-at-task', 'in block']);
  t.deepEqual(taskLines(first.out).slice(0, 3), ['TASK [Gathering Facts]', 'TASK [in block]', 'TASK [include_tasks]']);
});

test.serial('--start-at-task matching no task: an error before any host is touched, exit 1 (Ansible runs nothing and exits 0)', async (t) => {
  const r = await run(['run', 'pb.yml', '-i', 'inv.ini', '--start-at-task', 'nosuch']);
  t.is(r.code, 1);
  t.true(r.err.includes('No matching task "nosuch" found. Note: --start-at-task can only follow static includes.'), r.err);
  t.false(r.out.includes('PLAY'), r.out);
});

test.serial('--force-handlers: a host that fails still runs the handlers it notified; without it, not', async (t) => {
  writeFileSync(at('fh.yml'), [
    '- hosts: w1',
    '  gather_facts: false',
    '  tasks:',
    '    - name: change',
    '      command: "true"',
    '      notify: h',
    '    - name: fail',
    '      command: "false"',
    '  handlers:',
    '    - name: h',
    '      debug: msg=handled',
    '',
  ].join('\n'));
  const without = await run(['run', 'fh.yml', '-i', 'inv.ini']);
  const forced = await run(['run', 'fh.yml', '-i', 'inv.ini', '--force-handlers']);
  t.is(without.code, 2);
  t.is(forced.code, 2);
  t.deepEqual(taskLines(without.out), ['TASK [change]', 'TASK [fail]']);
  t.deepEqual(taskLines(forced.out), ['TASK [change]', 'TASK [fail]', 'RUNNING HANDLER [h]']);
  t.regex(forced.out, /^w1 +: ok=2 +changed=1 .*failed=1 /m);
  if (!ansibleThere) return t.fail(`${ANSIBLE} is missing`);
  t.deepEqual(taskLines(ansible(['-i', 'inv.ini', 'fh.yml'])!.out), taskLines(without.out));
  const a = ansible(['-i', 'inv.ini', 'fh.yml', '--force-handlers'])!;
  t.is(a.code, 2);
  t.deepEqual(taskLines(a.out), taskLines(forced.out));
  t.regex(a.out, /^w1 +: ok=2 +changed=1 .*failed=1 /m);
});

test.serial('-l @FILE: the hosts the file names, one per line', async (t) => {
  writeFileSync(at('retry'), 'w2\n\nd1\n');
  const r = await run(['run', 'pb.yml', '-i', 'inv.ini', '-l', '@retry', '--list-hosts']);
  t.is(r.code, 0, r.err);
  t.true(r.out.includes("    pattern: ['web']\n    hosts (1):\n      w2\n"), r.out);
  t.true(r.out.includes("    pattern: ['all']\n    hosts (2):\n      w2\n      d1"), r.out);
  t.is((await run(['run', 'pb.yml', '-i', 'inv.ini', '-l', '@missing-file'])).code, 5);
});

test.serial('refused options: -K without a terminal, an unsupported -c or --become-method, a bad -T, two list modes, --step without a terminal', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['-K'], /-K\/--ask-become-pass asks for the become password on a terminal, and standard input is not one/],
    [['-c', 'docker'], /-c\/--connection "docker": tsplay connects with ssh or local only/],
    [['--become-method', 'doas'], /--become-method "doas": tsplay becomes with sudo or su only/],
    [['-T', '0'], /-T\/--timeout must be a positive number/],
    [['-T', 'soon'], /-T\/--timeout must be a positive number/],
    [['--list-tasks', '--list-tags'], /--list-tasks and --list-tags cannot be combined/],
    [['--step'], /--step asks before each task: it needs a terminal/],
  ];
  for (const [args, msg] of cases) {
    const r = await run(['run', 'pb.yml', '-i', 'inv.ini', ...args]);
    t.is(r.code, 5, args.join(' '));
    t.regex(r.err, msg, args.join(' '));
  }
});

test('-u, -T, -b, --become-user, --become-method, --private-key, -c: below every host variable, and a keyword beats them', (t) => {
  const defaults = { remoteUser: 'deploy', timeoutSec: 42, become: true, becomeUser: 'nova', becomeMethod: 'su', privateKeyFile: '/k', connection: 'local' };
  const s = connectionSettings('h', {}, defaults);
  t.like(s, { user: 'deploy', connectTimeoutMs: 42_000, become: true, becomeUser: 'nova', becomeMethod: 'su', privateKeyFile: '/k', connection: 'local' });
  const v = connectionSettings('h', {
    ansible_user: 'admin', ansible_timeout: 5, ansible_become: false, ansible_become_user: 'root', ansible_become_method: 'sudo',
    ansible_ssh_private_key_file: '/v', ansible_connection: 'ssh',
  }, defaults);
  t.like(v, { user: 'admin', connectTimeoutMs: 5000, become: false, becomeUser: 'root', becomeMethod: 'sudo', privateKeyFile: '/v', connection: 'ssh' });
  // The play's remote_user keyword beats -u; ansible_user beats both (Ansible's precedence).
  const base = connectionSettings('h', {}, { remoteUser: 'deploy' });
  t.is(effectiveSettings(base, { remoteUser: 'kw' }, {}).user, 'kw');
  t.is(effectiveSettings(base, undefined, {}).user, 'deploy');
  t.is(effectiveSettings(base, { remoteUser: 'kw' }, { ansible_user: 'var' }).user, 'var');
  t.is(connectionSettings('h', {}, { hostKeyChecking: false }).hostKeyChecking, 'off');
  t.is(connectionSettings('h', { ansible_host_key_checking: true }, { hostKeyChecking: false }).hostKeyChecking, 'strict');
});

test('--step: the runner asks before each task, skips one answered "no", and asks nothing about handlers', async (t) => {
  const asked: string[] = [];
  const answers: Array<'yes' | 'no' | 'continue'> = ['yes', 'no', 'continue'];
  const r = await runPlaybook({
    'playbook.yml': [
      '- hosts: local1',
      '  gather_facts: false',
      '  tasks:',
      '    - { name: one, command: "true", notify: h }',
      '    - { name: two, debug: { msg: skipped } }',
      '    - { name: three, debug: { msg: ran } }',
      '    - { name: four, debug: { msg: ran too } }',
      '  handlers:',
      '    - { name: h, debug: { msg: handled } }',
      '',
    ].join('\n'),
  }, { confirmTask: (task) => { asked.push(task); return Promise.resolve(answers.shift() ?? 'yes'); } });
  t.deepEqual(asked, ['one', 'two', 'three', 'four']);
  t.deepEqual(r.events.filter((e) => e.kind === 'task_start').map((e) => (e as { task: string }).task), ['one', 'three', 'four', 'h']);
});

test.serial('--ssh-common-args / --ssh-extra-args: the next word is the value even when it starts with "-" (as ansible-playbook takes it); what tsplay cannot honour is refused', async (t) => {
  const ok = await run(['run', 'pb.yml', '-i', 'inv.ini', '-l', 'd1', '--ssh-common-args', '-o StrictHostKeyChecking=no', '--ssh-extra-args=-o ConnectTimeout=5']);
  t.regex(ok.out, /^d1 +: ok=\d+ /m, ok.err);
  const bad = await run(['run', 'pb.yml', '-i', 'inv.ini', '--ssh-extra-args', '-o LocalCommand=x']);
  t.not(bad.code, 0);
  t.regex(bad.err, /--ssh-extra-args: -o LocalCommand=x is not supported/);
});
