// Warnings found while loading reach the run's output: duplicate YAML keys
// in the playbook (before the first play) and in a file read during the run
// (include_vars). The texts are those ansible-playbook 2.14.18 printed for
// the same files on this machine (paths aside).

import test from 'ava';
import { runPlaybook } from '../../../helpers/run-playbook.js';

const INVENTORY = 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n';

test('a duplicate key in the playbook: warned before the play, the last value is used', async (t) => {
  const run = await runPlaybook({
    'inventory.yml': INVENTORY,
    'playbook.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: t\n      debug:\n        msg: one\n        msg: two\n',
  });
  t.is(run.code, 0);
  const kinds = run.events.map((e) => e.kind);
  const w = run.events.find((e) => e.kind === 'warning');
  t.truthy(w);
  t.true(kinds.indexOf('warning') < kinds.indexOf('play_start'));
  t.is(w?.kind === 'warning' ? w.msg : '', `While constructing a mapping from ${run.dir}/playbook.yml, line 6, column 9, found a duplicate dict key (msg). Using last defined value only.`);
  const d = run.events.find((e) => e.kind === 'debug');
  t.is(d?.kind === 'debug' ? d.msg : undefined, 'two');
});

test('a duplicate key in a file read during the run (include_vars): warned when read', async (t) => {
  const run = await runPlaybook({
    'inventory.yml': INVENTORY,
    'v.yml': 'x: 1\ny: 0\nx: 2\n',
    'playbook.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_vars: v.yml\n    - debug: { msg: "{{ x }}" }\n',
  });
  t.is(run.code, 0);
  const kinds = run.events.map((e) => e.kind);
  const i = kinds.indexOf('warning');
  t.true(i > kinds.indexOf('play_start'));
  const w = run.events[i];
  t.is(w.kind === 'warning' ? w.msg : '', `While constructing a mapping from ${run.dir}/v.yml, line 1, column 1, found a duplicate dict key (x). Using last defined value only.`);
  const d = run.events.find((e) => e.kind === 'debug');
  t.is(d?.kind === 'debug' ? d.msg : undefined, 2);
});
