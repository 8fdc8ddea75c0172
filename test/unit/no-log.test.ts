// no_log hides everything a task would print (issue 8 item 5): debug included,
// in every output (console text at any verbosity with --diff, JSON events),
// results, diffs, loop items and error messages. As Ansible prints it:
// "the output has been hidden due to the fact that 'no_log: true' was specified".

import test from 'ava';
import { Writable } from 'node:stream';
import { runPlaybook } from '../helpers/run-playbook.js';
import { consoleReporter, jsonReporter } from '../../engine/report.js';
import type { RunEvent } from '../../engine/events.js';

const SECRET = 'hunter2-s3cret';

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
    'playbook.yml': `
- hosts: local1
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
`,
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
