// The console reporter prints what ansible-playbook prints, from events.

import test from 'ava';
import { Writable } from 'node:stream';
import { consoleReporter, jsonReporter, formatReadinessTable } from '../../../../engine/report/report.js';
import type { RunEvent } from '../../../../engine/report/events.js';

function capture(events: RunEvent[], opts: { diff?: boolean; verbosity?: number } = {}): string {
  let text = '';
  const out = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
  const r = consoleReporter({ out, color: false, ...opts });
  for (const e of events) r(e);
  return text;
}

const recap: RunEvent = { kind: 'recap', durationMs: 5, hosts: { web1: { ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 2, rescued: 0, ignored: 0 } } };

test('headings, host lines and the recap', (t) => {
  const text = capture([
    { kind: 'play_start', play: 'Web', hosts: ['web1'] },
    { kind: 'task_start', task: 'conf', play: 'Web', hosts: ['web1'] },
    { kind: 'host_result', host: 'web1', task: 'conf', status: 'changed', msg: 'line added', durationMs: 3 },
    { kind: 'host_result', host: 'web1', task: 'conf', status: 'skipped', item: 'b', durationMs: 1 },
    { kind: 'host_result', host: 'web1', task: 'conf', status: 'failed', msg: 'command failed with exit code 3', result: { rc: 3, stderr: 'boom' }, durationMs: 1 },
    recap,
  ]);
  t.regex(text, /^PLAY \[Web\] \*{60,}$/m);
  t.regex(text, /^TASK \[conf\] \*{60,}$/m);
  // Ansible's shape: the host alone; what changed only from -v on.
  t.regex(text, /^changed: \[web1\]$/m);
  t.regex(text, /^skipping: \[web1\] => \(item=b\)$/m);
  t.regex(text, /^fatal: \[web1\]: FAILED! => command failed with exit code 3\n {2}rc=3\n {2}stderr: boom$/m);
  t.regex(text, /^web1 {22} : ok=3 {4}changed=1 {4}unreachable=0 {4}failed=0 {4}skipped=2 {4}rescued=0 {4}ignored=0$/m);
});

test('-v adds what changed (and what would, in check mode) to the changed line', (t) => {
  const events: RunEvent[] = [
    { kind: 'play_start', play: 'Web', hosts: ['web1'] },
    { kind: 'task_start', task: 'conf', play: 'Web', hosts: ['web1'] },
    { kind: 'host_result', host: 'web1', task: 'conf', status: 'changed', msg: 'line added', durationMs: 3 },
    { kind: 'host_result', host: 'web2', task: 'conf', status: 'changed', msg: 'line added', check: true, durationMs: 3 },
  ];
  const text = capture(events, { verbosity: 1 });
  t.regex(text, /^changed: \[web1\] line added \(0\.00s\)$/m);
  t.regex(text, /^changed: \[web2\] would: line added \(0\.00s\)$/m);
});

test('debug output replaces the plain ok line', (t) => {
  const text = capture([
    { kind: 'task_start', task: 'show', play: 'p', hosts: ['h'] },
    { kind: 'debug', host: 'h', task: 'show', msg: 'hi' },
    { kind: 'host_result', host: 'h', task: 'show', status: 'ok', durationMs: 0 },
  ]);
  t.is(text.match(/ok: \[h\]/g)?.length, 1);
  t.regex(text, /"msg": "hi"/);
});

test("debug output has Ansible's shape: msg of any type under \"msg\", var= under its name, keys sorted, indent 4", (t) => {
  // expected text: ansible-playbook 2.14 on this machine (debug: msg={b: 1, a: {z: 1, c: é}}, msg=[1, 'a'], var=y)
  const text = capture([
    { kind: 'debug', host: 'h', task: 'd1', msg: { b: 1, a: { z: 1, c: 'é' } } },
    { kind: 'debug', host: 'h', task: 'd2', msg: [1, 'a'] },
    { kind: 'debug', host: 'h', task: 'd3', msg: { y: [1] }, var: 'y' },
  ]);
  t.true(text.includes('ok: [h] => {\n    "msg": {\n        "a": {\n            "c": "é",\n            "z": 1\n        },\n        "b": 1\n    }\n}\n'));
  t.true(text.includes('ok: [h] => {\n    "msg": [\n        1,\n        "a"\n    ]\n}\n'));
  t.true(text.includes('ok: [h] => {\n    "y": [\n        1\n    ]\n}\n'));
});

test('a failed loop item prints as Ansible prints it: "failed: [h] (item=x) => ..."; a failed task "fatal: [h]: FAILED! => ..."', (t) => {
  const text = capture([
    { kind: 'host_result', host: 'h', task: 'c', status: 'failed', item: 'a', msg: 'test a = b exited with rc 1', durationMs: 0 },
    { kind: 'host_result', host: 'h', task: 'f', status: 'failed', msg: 'boom', durationMs: 0 },
  ]);
  t.regex(text, /^failed: \[h\] \(item=a\) => test a = b exited with rc 1$/m);
  t.regex(text, /^fatal: \[h\]: FAILED! => boom$/m);
});

test('--diff prints a unified diff before the host line', (t) => {
  const text = capture([
    { kind: 'host_result', host: 'h', task: 't', status: 'changed', durationMs: 0, diff: [{ path: '/etc/x', before: 'a\n', after: 'a\nb\n' }] },
  ], { diff: true });
  t.regex(text, /--- before: \/etc\/x\n\+\+\+ after: \/etc\/x\n@@ -1,1 \+1,2 @@\n a\n\+b\nchanged: \[h\]/);
});

test('readiness table shows ok or the reason per cell', (t) => {
  const table = formatReadinessTable({
    kind: 'readiness', title: 'Readiness', columns: ['storage', 'ids'],
    rows: [
      { host: 'c1', cells: { storage: { ok: true }, ids: { ok: true } } },
      { host: 'c2', cells: { storage: { ok: false, reason: 'not mounted' }, ids: { ok: true } } },
    ],
  });
  t.regex(table, /host \| storage +\| ids/);
  t.regex(table, /c1 +\| ok +\| ok/);
  t.regex(table, /c2 +\| NO: not mounted \| ok/);
  t.regex(table, /1 of 2 hosts ready/);
});

test('json reporter writes one parseable object per line', (t) => {
  let text = '';
  const out = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
  const r = jsonReporter(out);
  r({ kind: 'play_start', play: 'p', hosts: ['a'] });
  r(recap);
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; hosts?: Record<string, { changed: number }> });
  t.deepEqual(lines.map((l) => l.kind), ['play_start', 'recap']);
  t.is(lines[1].hosts?.web1.changed, 1);
});

test('readiness table: an ok cell with a detail shows it; a missing cell is -', (t) => {
  const table = formatReadinessTable({
    kind: 'readiness', title: 'Readiness', columns: ['storage', 'live migration'],
    rows: [
      { host: 'c1', cells: { storage: { ok: true }, 'live migration': { ok: true, detail: 'c1 -> c2 in 1200 ms' } } },
      { host: 'c2', cells: { storage: { ok: true } } },
    ],
  });
  t.regex(table, /c1 +\| ok +\| ok: c1 -> c2 in 1200 ms/);
  t.regex(table, /c2 +\| ok +\| -/);
});

test('a no_log debug prints a bare ok line, and the censored result from -v on (as ansible-playbook 2.14)', (t) => {
  const censored = { censored: "the output has been hidden due to the fact that 'no_log: true' was specified for this result" };
  const events = [
    { kind: 'task_start', task: 'd', play: 'p', hosts: ['h'] },
    { kind: 'debug', host: 'h', task: 'd', msg: censored },
    { kind: 'host_result', host: 'h', task: 'd', status: 'ok', durationMs: 0 },
  ] as RunEvent[];
  const quiet = capture(events);
  t.regex(quiet, /^ok: \[h\]$/m);
  t.notRegex(quiet, /censored/);
  t.regex(capture(events, { verbosity: 1 }), /ok: \[h\] => \{\n {4}"censored": "the output has been hidden/);
});

test('colour: a terminal gets it unless NO_COLOR or ANSIBLE_NOCOLOR; FORCE_COLOR or ANSIBLE_FORCE_COLOR force it into a pipe', async (t) => {
  const { colorWanted } = await import('../../../../engine/report/report.js');
  t.true(colorWanted(true, {}));
  t.false(colorWanted(false, {}));
  t.false(colorWanted(true, { NO_COLOR: '1' }));
  t.false(colorWanted(true, { ANSIBLE_NOCOLOR: 'True' }));
  t.true(colorWanted(false, { FORCE_COLOR: '1' }));
  t.true(colorWanted(false, { ANSIBLE_FORCE_COLOR: 'yes' }));
  t.false(colorWanted(false, { FORCE_COLOR: '0' }));
  t.false(colorWanted(false, { FORCE_COLOR: '1', NO_COLOR: 'x' }));
});
