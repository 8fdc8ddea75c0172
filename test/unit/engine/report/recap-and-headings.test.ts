// Issue 8 item 9: the recap lists only hosts a play ran on (not hosts read
// through hostvars or used by delegate_to), and under --strategy free every
// result is printed under its own task's heading (Ansible's free strategy
// prints a task's banner again when the result being printed changes task).

import test from 'ava';
import { Writable } from 'node:stream';
import { runPlaybook } from '../../../helpers/run-playbook.js';
import { consoleReporter } from '../../../../engine/report/report.js';
import type { RunEvent } from '../../../../engine/report/events.js';

function consoleText(events: RunEvent[], verbosity = 0): string {
  let text = '';
  const out = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
  const r = consoleReporter({ out, color: false, verbosity });
  for (const e of events) r(e);
  return text;
}

test('recap: hosts only read through hostvars or delegated to are not listed', async (t) => {
  const r = await runPlaybook({
    'inventory.yml': `all:
  hosts:
    local1: { ansible_connection: local }
    local2: { ansible_connection: local, color: blue }
    local3: { ansible_connection: local }
`,
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: read another host
      debug: { msg: "{{ hostvars['local2'].color }}" }
    - name: delegated
      command: "true"
      delegate_to: local3
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.is(r.results('read another host').length, 1);
  t.deepEqual(Object.keys(r.recap()), ['local1']);
  const text = consoleText(r.events);
  t.regex(text, /^local1 +: ok=2/m);
  t.notRegex(text, /^local[23] /m);
});

test('recap: a host of an earlier play is still listed', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local2
  gather_facts: false
  tasks:
    - debug: { msg: one }
- hosts: local1
  gather_facts: false
  tasks:
    - debug: { msg: "{{ hostvars.local2.inventory_hostname }}" }
`,
  });
  t.deepEqual(Object.keys(r.recap()).sort(), ['local1', 'local2']);
});

/** Each host line of the console output (with the line after it, for debug output) and the TASK heading above it. */
function headingOfEachResult(text: string): Array<{ heading: string; line: string }> {
  const out: Array<{ heading: string; line: string }> = [];
  let heading = '';
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^TASK \[(.*)\] \*+/.exec(line);
    if (m) heading = m[1];
    else if (/^(ok|changed|skipping|fatal): \[/.test(line)) out.push({ heading, line: `${line} ${lines[i + 1] ?? ''}` });
  });
  return out;
}

test('free strategy: each result is printed under its own task heading', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      shell: "sleep {{ (inventory_hostname == 'local1') | ternary('0.8', '0') }}; echo first-{{ inventory_hostname }}"
    - name: second
      shell: "echo second-{{ inventory_hostname }}"
    - name: third
      debug: { msg: "third-{{ inventory_hostname }}" }
`,
  }, { strategy: 'free' });
  t.is(r.code, 0, JSON.stringify(r.results()));
  // The interleaving this test is about happened: local2 finished "second" before local1 finished "first".
  const order = r.results().map((e) => `${e.task}:${e.host}`);
  t.true(order.indexOf('second:local2') < order.indexOf('first:local1'), order.join(' '));
  // -v: a changed line then says what ran (at verbosity 0 it is `changed: [host]` alone, as Ansible's).
  const text = consoleText(r.events, 1);
  const rows = headingOfEachResult(text);
  t.is(rows.length, 6, text);
  for (const { heading, line } of rows) {
    const m = /(first|second|third)-(local\d)/.exec(line);
    t.truthy(m, line);
    t.is(heading, m![1], `"${line}" is under TASK [${heading}]:\n${text}`);
  }
});
