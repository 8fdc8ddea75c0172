// The differential harness itself (test/helpers/module-differential.ts): cases
// where the two tools agree give no difference, and the outcome it compares is
// real (the file tree after the run, the changed/failed flags, the second run).

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the differential tests', (t) => t.fail(`missing ${missing}`));
} else {
  test('lineinfile: agreeing cases give no difference; the tree, flags and second run are compared', async (t) => {
    t.timeout(5 * 60_000);
    const outcomes = await runDifferential([
      { name: 'add-line', files: { f: 'a\nb\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'c' } } },
      { name: 'present', files: { f: 'a\nb\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'a' } } },
      { name: 'mode', files: { f: { content: 'x\n', mode: 0o600 } }, task: { file: { path: '@DIR@/f', mode: '0644' } } },
      { name: 'missing-file', task: { lineinfile: { path: '@DIR@/nope', line: 'a' } } },
    ]);
    t.log(differentialSummary('harness', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    t.deepEqual(outcomes.map((o) => o.differences), [[], [], [], []]);
    t.is(by['add-line'].ansible.changed, true);
    t.is(by['add-line'].ansible.changed2, false);
    t.is(by['add-line'].tsplay.tree.f, by['add-line'].ansible.tree.f);
    t.regex(by['add-line'].tsplay.tree.f, /"a\\nb\\nc\\n"$/);
    t.is(by.present.tsplay.changed, false);
    t.regex(by.mode.tsplay.tree.f, /^file 0644 /);
    t.is(by['missing-file'].ansible.failed, true);
    t.is(by['missing-file'].tsplay.failed, true);
  });
}
