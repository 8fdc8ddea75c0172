// Fact `crontab`: crontab -l output -> text; predictions + text -> predicted text.

import test from 'ava';
import { crontab, crontabSpoolPath } from '../../../../engine/facts/crontab.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

test('crontab: crontab -l, with -u for a named user', (t) => {
  t.deepEqual(crontab.sections([undefined, 'www-data'], readCtx()), [quoteArgv(['crontab', '-l']), quoteArgv(['crontab', '-u', 'www-data', '-l'])]);
});

test('crontab: output -> text; rc 1 (no crontab) -> empty; other rcs fail', (t) => {
  t.deepEqual(parseRows(crontab, ['a', 'b'], [out('#Ansible: x\n* * * * * true\n'), out('', 1, 'no crontab for b')]), ['#Ansible: x\n* * * * * true\n', '']);
  t.throws(() => parseRows(crontab, ['c'], [out('', 2, 'crontab: user `c\' unknown')]), { message: /Unable to read crontab of c: crontab -l exited with rc 2/ });
});

const ROWS: Array<{ what: string; user: string | undefined; value: string; predictions: Prediction[][]; expected: string }> = [
  { what: 'nothing predicted', user: 'u', value: 'a\n', predictions: [], expected: 'a\n' },
  { what: 'an install predicted for the user', user: 'u', value: 'a\n', predictions: [[{ kind: 'file', path: crontabSpoolPath('u'), state: 'file', content: Buffer.from('b\n') }]], expected: 'b\n' },
  { what: 'another user\'s install does not count', user: 'u', value: 'a\n', predictions: [[{ kind: 'file', path: crontabSpoolPath('v'), state: 'file', content: Buffer.from('b\n') }]], expected: 'a\n' },
  { what: 'the connecting user\'s', user: undefined, value: '', predictions: [[{ kind: 'file', path: crontabSpoolPath(undefined), state: 'file', content: Buffer.from('c\n') }]], expected: 'c\n' },
];

test('crontab: predictions -> predicted text', async (t) => {
  for (const row of ROWS) t.is(await predictRow(crontab, row.user, row.value, row.predictions), row.expected, row.what);
});
