// The job bench's readers of both tools' recaps and its summary (test/bench/job-bench.ts).

import test from 'ava';
import { ansibleChanged, jobSummary, tsplayChanged, type StepTime } from '../../bench/job-bench.js';

test('ansibleChanged sums changed= over the PLAY RECAP lines only', (t) => {
  const out = [
    'TASK [x] ***', 'changed: [a]', 'ok: [b] => {"msg": "changed=9"}',
    'PLAY RECAP *********',
    'bench1                     : ok=14   changed=3    unreachable=0    failed=0    skipped=8    rescued=0    ignored=0   ',
    'bench2                     : ok=63   changed=22   unreachable=0    failed=0    skipped=8    rescued=0    ignored=0   ',
    '',
  ].join('\n');
  t.is(ansibleChanged(out), 25);
  t.is(ansibleChanged('ERROR! the playbook could not be found'), undefined, 'no recap: no figure');
});

test('tsplayChanged reads the JSON recap event', (t) => {
  const out = [
    '{"kind":"host_result","host":"a","status":"changed"}',
    '{"kind":"recap","hosts":{"a":{"ok":3,"changed":2},"b":{"ok":3,"changed":0}},"durationMs":5}',
    '{"kind":"run_end","exitCode":0,"durationMs":6}',
  ].join('\n');
  t.is(tsplayChanged(out), 2);
  t.is(tsplayChanged('{"kind":"error","msg":"x","exitCode":4}'), undefined);
});

test('jobSummary: mean per side and step, ratio Ansible / tsplay', (t) => {
  const st = (side: 'tsplay' | 'ansible', step: 'check' | 'run' | 'rerun', ms: number, round = 1): StepTime => ({ side, step, ms, round, changed: 0, load: 2 });
  const s = jobSummary([
    st('tsplay', 'check', 2000), st('ansible', 'check', 30000),
    st('tsplay', 'run', 10000), st('ansible', 'run', 20000),
    st('tsplay', 'rerun', 1000), st('ansible', 'rerun', 10000), st('tsplay', 'rerun', 3000, 2), st('ansible', 'rerun', 14000, 2),
  ]);
  t.deepEqual(s.map((x) => [x.step, x.ansibleMs, x.tsplayMs, x.ratio, x.n]), [
    ['check', 30000, 2000, 15, 1],
    ['run', 20000, 10000, 2, 1],
    ['rerun', 12000, 2000, 6, 2],
  ]);
});
