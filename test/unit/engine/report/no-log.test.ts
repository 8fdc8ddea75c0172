// no_log hides everything a task would print (issue 8 item 5): debug included,
// in every output (console text at any verbosity with --diff, JSON events),
// results, diffs, loop items and error messages. As Ansible prints it:
// "the output has been hidden due to the fact that 'no_log: true' was specified".

import test from 'ava';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runPlaybook, writeTree, LOCAL_INVENTORY } from '../../../helpers/run-playbook.js';
import { consoleReporter, jsonReporter } from '../../../../engine/report/report.js';
import type { RunEvent } from '../../../../engine/report/events.js';

const SECRET = 'hunter2-s3cret';

const PLAYBOOK = `- hosts: local1
  gather_facts: false
  vars:
    secret: ${SECRET}
  tasks:
    - name: debug msg
      debug: { msg: "the password is {{ secret }}" }
      no_log: true
    - name: debug var
      debug: { var: secret }
      no_log: true
    - name: command
      command: echo {{ secret }}
      environment: { TOKEN: "{{ secret }}" }
      no_log: true
    - name: lineinfile
      lineinfile: { path: "{{ playbook_dir }}/conf.txt", line: "password={{ secret }}" }
      no_log: true
    - name: failing
      shell: "echo {{ secret }} >&2; exit 3"
      no_log: true
      ignore_errors: true
    - name: fail
      fail: { msg: "{{ secret }}" }
      no_log: true
      ignore_errors: true
    - name: bad template
      debug: { msg: "{{ secret | from_json }}" }
      no_log: true
      ignore_errors: true
    - name: loop
      debug: { msg: "{{ item }}" }
      loop: ["{{ secret }}", "x{{ secret }}"]
      no_log: true
    - name: block
      no_log: true
      block:
        - name: in block
          debug: { msg: "{{ secret }}" }
        - name: assert in block
          assert: { that: "secret == 'other'", fail_msg: "{{ secret }}" }
          ignore_errors: true
`;

function render(events: RunEvent[], reporter: (out: Writable) => (e: RunEvent) => void): string {
  let text = '';
  const out = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
  const r = reporter(out);
  for (const e of events) r(e);
  return text;
}

test('no_log: the secret appears in no output: console -vvv --diff, JSON events', async (t) => {
  const r = await runPlaybook({
    'conf.txt': 'a=1\n',
    'playbook.yml': PLAYBOOK,
  }, { diff: true, verbosity: 3 });
  t.is(r.code, 0, JSON.stringify(r.results().filter((e) => e.status === 'failed' && !e.ignored)));
  // Every task ran (the checks below would pass vacuously otherwise).
  t.deepEqual([...new Set(r.results().map((e) => e.task))], ['debug msg', 'debug var', 'command', 'lineinfile', 'failing', 'fail', 'bad template', 'loop', 'in block', 'assert in block']);
  t.is(r.results('lineinfile')[0].status, 'changed');
  const text = render(r.events, (out) => consoleReporter({ out, color: false, verbosity: 3, diff: true }));
  const json = render(r.events, (out) => jsonReporter(out));
  for (const [name, output] of [['console', text], ['json', json]]) {
    t.false(output.includes(SECRET), `${name} output shows the secret:\n${output.split('\n').filter((l) => l.includes(SECRET)).join('\n')}`);
  }
  t.regex(text, /ok: \[local1\] => \{\n\s+"censored": "the output has been hidden due to the fact that 'no_log: true' was specified for this result"/);
  t.true(r.events.filter((e) => e.kind === 'debug').length >= 4, 'debug events are still emitted, censored');
});

// The whole CLI in its own process: everything it writes to stdout and stderr.
const CLI = fileURLToPath(new URL('../../../../engine/cli/cli.ts', import.meta.url));
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const script = `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(process.argv.slice(1));`;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { maxBuffer: 1 << 24 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

test('no_log through the CLI: -vvv --diff text and --output json, stdout and stderr', async (t) => {
  const dir = writeTree({ 'inventory.yml': LOCAL_INVENTORY, 'conf.txt': 'a=1\n', 'playbook.yml': PLAYBOOK.replace('hosts: local1', 'hosts: all') });
  const base = ['run', join(dir, 'playbook.yml'), '-i', join(dir, 'inventory.yml')];
  const text = await cli([...base, '-vvv', '--diff']);
  const json = await cli([...base, '--diff', '--output', 'json']);
  t.is(text.code, 0, text.out);
  t.is(json.code, 0, json.out);
  t.regex(text.out, /TASK \[assert in block\]/, 'the run went through every task');
  t.regex(json.out, /"task":"assert in block"/);
  for (const [name, r] of [['text', text], ['json', json]] as const) {
    t.false(r.out.includes(SECRET), `${name} output shows the secret:\n${r.out.split('\n').filter((l) => l.includes(SECRET)).join('\n')}`);
  }
});

test('no_log on a play covers its tasks and handlers; a task may set it back to false', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  no_log: true
  tasks:
    - name: hidden
      command: echo ${SECRET}
      notify: h
    - name: shown
      debug: { msg: visible }
      no_log: false
  handlers:
    - name: h
      debug: { msg: "${SECRET}" }
`,
  });
  t.is(r.code, 0);
  t.deepEqual(r.results().map((e) => e.task), ['hidden', 'shown', 'h']);
  t.false(JSON.stringify(r.events).includes(SECRET));
  t.true(r.events.some((e) => e.kind === 'debug' && e.msg === 'visible'));
});
