// Fact `debconf_selections`: debconf-show output -> answers; predictions + answers -> predicted answers.

import test from 'ava';
import { debconfSelections, parseDebconfShow } from '../../../../engine/facts/debconf.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { Prediction } from '../../../../engine/module-api.js';
import type { DebconfSelections } from '../../../../engine/facts/debconf.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

test('debconf_selections: debconf-show PACKAGE, after --', (t) => {
  t.deepEqual(debconfSelections.sections(['postfix'], readCtx()), [quoteArgv(['debconf-show', '--', 'postfix'])]);
});

// The output as debconf-show printed it on this machine (DEBCONF_SYSTEMRC in a temporary directory).
const SHOW = '* mypkg/pw: (password omitted)\n* mypkg/m: a, b\n  mypkg/u: v\n* mypkg/s: hello world\n  mypkg/e:\n';

test('debconf_selections: lines -> answers (key without * and blanks, value trimmed), seen marks', (t) => {
  t.deepEqual(parseDebconfShow(SHOW), {
    answers: { 'mypkg/pw': '(password omitted)', 'mypkg/m': 'a, b', 'mypkg/u': 'v', 'mypkg/s': 'hello world', 'mypkg/e': '' },
    seen: ['mypkg/pw', 'mypkg/m', 'mypkg/s'],
  });
  t.deepEqual(parseDebconfShow(''), { answers: {}, seen: [] });
  t.deepEqual(parseDebconfShow('  a/url: http://x:80/\n'), { answers: { 'a/url': 'http://x:80/' }, seen: [] }, 'split at the first colon');
  t.deepEqual(parseRows(debconfSelections, ['mypkg'], [out(SHOW)])[0].answers['mypkg/s'], 'hello world');
  t.throws(() => parseRows(debconfSelections, ['x'], [out('', 1, 'boom')]), { message: /^h: debconf-show x failed \(rc 1\): boom/ });
});

const base: DebconfSelections = { answers: { 'p/s': 'hello' }, seen: ['p/s'] };
const ROWS: Array<{ what: string; predictions: Prediction[][]; expected: DebconfSelections }> = [
  { what: 'nothing predicted', predictions: [], expected: base },
  { what: 'a new answer, seen', predictions: [[{ kind: 'debconf', package: 'p', question: 'p/n', value: 'v', seen: true }]], expected: { answers: { 'p/s': 'hello', 'p/n': 'v' }, seen: ['p/s', 'p/n'], predicted: true } },
  { what: 'a changed answer, later wins', predictions: [[{ kind: 'debconf', package: 'p', question: 'p/s', value: 'a', seen: true }], [{ kind: 'debconf', package: 'p', question: 'p/s', value: 'b', seen: true }]], expected: { answers: { 'p/s': 'b' }, seen: ['p/s'], predicted: true } },
  { what: 'an unseen new answer', predictions: [[{ kind: 'debconf', package: 'p', question: 'p/u', value: 'v', seen: false }]], expected: { answers: { 'p/s': 'hello', 'p/u': 'v' }, seen: ['p/s'], predicted: true } },
  { what: "another package's answer", predictions: [[{ kind: 'debconf', package: 'q', question: 'p/s', value: 'x', seen: true }]], expected: base },
];

test('debconf_selections: predictions -> predicted answers', async (t) => {
  for (const row of ROWS) t.deepEqual(await predictRow(debconfSelections, 'p', base, row.predictions), row.expected, row.what);
});
