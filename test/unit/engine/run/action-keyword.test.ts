// The `action:` and `local_action:` task keywords, as ansible-playbook 2.14.18
// ran the same tasks on this machine (2026-12-01): the module name written
// first (`action: debug msg=a`) or under `module:` (a mapping); `local_action`
// runs on the controller, also when `delegate_to` names another host; a
// templated module name (`action: "{{ m }} msg=a"`) is resolved per host when
// the task runs and the task's header keeps the template as written
// ("TASK [{{ m }}]"). Errors, as Ansible's: both keywords ("action and
// local_action are mutually exclusive"), a module key beside `action`
// ("conflicting action statements: debug, debug"), a mapping without `module`
// ("no module/action detected in task"), a template naming no module (the task
// fails on the host: Ansible "The module nomodule was not found").

import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook, type PlaybookRun } from '../../../helpers/run-playbook.js';
import { actionKeyword, ActionKeywordError, splitModuleWord } from '../../../../engine/load/action-keyword.js';
import { LoadError } from '../../../../engine/errors.js';

const INVENTORY = 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n';

async function play(tasks: string, vars = '{ m: debug, f: file }'): Promise<PlaybookRun> {
  return runPlaybook({
    'inventory.yml': INVENTORY,
    'playbook.yml': `- hosts: localhost\n  gather_facts: false\n  vars: ${vars}\n  tasks:\n${tasks}`,
  });
}

/** "header status" per result, "  msg" per debug line. */
function trace(run: PlaybookRun): string[] {
  const out: string[] = [];
  for (const e of run.events) {
    if (e.kind === 'host_result') out.push(`${e.task} ${e.status}`);
    else if (e.kind === 'debug') out.push(`  ${String(e.msg)}`);
  }
  return out;
}

test('splitModuleWord: the first word, a {{ }} with its spaces being one piece', (t) => {
  const cases: Array<[string, string, string]> = [
    ['debug msg=a', 'debug', 'msg=a'],
    ['  apt   name=x state=present ', 'apt', 'name=x state=present'],
    ['{{ m }} msg=a', '{{ m }}', 'msg=a'],
    ['{{ansible_pkg_mgr}} pkg={{ p }} state=present', '{{ansible_pkg_mgr}}', 'pkg={{ p }} state=present'],
    ['ansible.builtin.{{ m }} msg=a', 'ansible.builtin.{{ m }}', 'msg=a'],
    ['ping', 'ping', ''],
    ['command echo "a b"', 'command', 'echo "a b"'],
  ];
  for (const [text, word, rest] of cases) t.deepEqual(splitModuleWord(text), { word, rest }, text);
});

test('actionKeyword: the forms and Ansible\'s errors', (t) => {
  t.is(actionKeyword({ name: 'x', debug: 'msg=a' }, ['debug']), undefined);
  t.deepEqual(actionKeyword({ action: 'debug msg=a' }, []), { key: 'action', module: 'debug', value: 'msg=a', templated: false });
  t.deepEqual(actionKeyword({ local_action: { module: 'copy', src: 'a', dest: 'b' } }, []), { key: 'local_action', module: 'copy', value: { src: 'a', dest: 'b' }, templated: false });
  t.deepEqual(actionKeyword({ action: '{{ m }}' }, []), { key: 'action', module: '{{ m }}', value: undefined, templated: true });
  const err = (task: Record<string, unknown>, others: string[] = []) => t.throws(() => actionKeyword(task, others), { instanceOf: ActionKeywordError })?.message;
  t.is(err({ action: 'debug msg=a', local_action: 'debug msg=b' }), 'action and local_action are mutually exclusive');
  t.is(err({ action: 'debug msg=b', debug: 'msg=a' }, ['debug']), 'conflicting action statements: debug, debug');
  t.regex(err({ action: { msg: 'a' } }) ?? '', /^no module\/action detected in task/);
  t.regex(err({ action: '' }) ?? '', /^no module\/action detected in task/);
  t.regex(err({ action: ['debug'] }) ?? '', /expected a module name/);
});

test('action and local_action run the module they name, static or templated', async (t) => {
  const run = await runPlaybook({
    'inventory.yml': INVENTORY,
    'playbook.yml': `- hosts: localhost
  gather_facts: false
  vars: { m: debug, f: file, c: command }
  tasks:
    - action: "{{ m }} msg=hi"
    - action:
        module: "{{ m }}"
        msg: there
    - action: "{{ m }} msg=skipped"
      when: false
    - action: debug msg=static
    - name: local
      local_action: command echo hello
      register: r
      changed_when: false
    - local_action: "{{ c }} argv={{ ['echo', 'x'] }}"
      delegate_to: nowhere.invalid
      register: r2
      changed_when: false
    - action: "{{ f }} path={{ playbook_dir }}/made state=directory mode=0750"
    - action: "{{ f }} path={{ playbook_dir }}/made state=directory mode=0750"
    - action: "{{ c }} argv={{ ['echo', 'a b'] }}"
      register: r3
      changed_when: false
    - copy: content="{{ [r.stdout, r3.stdout] | to_json }}" dest={{ playbook_dir }}/out.json
`,
  });
  t.is(run.code, 0, JSON.stringify(run.results().filter((x) => x.status === 'failed')));
  t.deepEqual(trace(run), [
    '  hi', '{{ m }} ok',
    '  there', '{{ m }} ok',
    '{{ m }} skipped',
    '  static', 'debug ok',
    'local ok',
    '{{ c }} ok',
    '{{ f }} changed',
    '{{ f }} ok',
    '{{ c }} ok',
    'copy changed',
  ]);
  t.is(statSync(join(run.dir, 'made')).mode & 0o777, 0o750);
  t.deepEqual(JSON.parse(readFileSync(join(run.dir, 'out.json'), 'utf8')), ['hello', 'a b']);
});

test('a templated action that names no module fails on the host, naming the task\'s place', async (t) => {
  const run = await play('    - action: "{{ m }} msg=a"\n', '{ m: nomodule }');
  t.is(run.code, 2);
  const r = run.results()[0];
  t.is(r.status, 'failed');
  t.regex(String(r.msg), /the action "\{\{ m \}\}" renders to "nomodule", which is not a tsplay module or built-in \(.*playbook\.yml:5:7\)/);
});

test('a templated action gets its options checked by the module it names', async (t) => {
  const run = await play('    - action: "{{ f }} path=/nonexistent state=bogus"\n');
  t.is(run.code, 2);
  t.regex(String(run.results()[0].msg), /^file: "state" /);
});

test('a templated action cannot take free-form text (as Ansible: the module is unknown at load)', async (t) => {
  const e = await t.throwsAsync(play('    - action: "{{ c }} echo hi"\n', '{ c: command }'), { instanceOf: LoadError });
  t.regex(e?.message ?? '', /"echo hi" is not key=value/);
});

test('load errors name the action keyword\'s place', async (t) => {
  const e1 = await t.throwsAsync(play('    - action: debug msg=a\n      local_action: debug msg=b\n'), { instanceOf: LoadError });
  t.regex(e1?.message ?? '', /action and local_action are mutually exclusive/);
  t.regex(e1?.message ?? '', /playbook\.yml:6:7/);
  const e2 = await t.throwsAsync(play('    - action: nosuchmodule x=1\n'), { instanceOf: LoadError });
  t.regex(e2?.message ?? '', /unknown module or task keyword "nosuchmodule"/);
  t.regex(e2?.message ?? '', /playbook\.yml:5:7/);
  const e3 = await t.throwsAsync(play('    - action: file path=/x state=bogus\n'), { instanceOf: LoadError });
  t.regex(e3?.message ?? '', /playbook\.yml:5:15: file: "state"/);
});
