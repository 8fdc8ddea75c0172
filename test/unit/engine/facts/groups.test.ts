// Fact `groups`: getent group output -> state; predictions + state -> predicted state.

import test from 'ava';
import { groups } from '../../../../engine/facts/groups.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { GroupState, Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

test('groups: one getent for every name, after --', (t) => {
  t.deepEqual(groups.sections(['nova'], readCtx()), [quoteArgv(['getent', 'group', '--', 'nova'])]);
});

test('groups: getent group lines -> state', (t) => {
  t.deepEqual(parseRows(groups, ['libvirt', 'nova', 'x'], [out('libvirt:x:120:nova,root\nnova:x:110:\n', 2)]), [
    { name: 'libvirt', exists: true, gid: 120, members: ['nova', 'root'] },
    { name: 'nova', exists: true, gid: 110, members: [] },
    { name: 'x', exists: false },
  ]);
  t.throws(() => parseRows(groups, ['a'], [out('', 1, 'bad')]), { message: /^h: getent group failed \(rc 1\)/ });
});

const nova: GroupState = { name: 'nova', exists: true, gid: 110, members: ['x'] };
const ROWS: Array<{ what: string; value: GroupState; predictions: Prediction[][]; expected: GroupState }> = [
  { what: 'nothing predicted', value: nova, predictions: [], expected: nova },
  { what: 'new gid, members kept', value: nova, predictions: [[{ kind: 'group', name: 'nova', gid: 112 }]], expected: { ...nova, gid: 112, predicted: true } },
  { what: 'a new group has no members', value: { name: 'g', exists: false }, predictions: [[{ kind: 'group', name: 'g', gid: 5 }]], expected: { name: 'g', exists: true, gid: 5, members: [], predicted: true } },
  { what: 'removed', value: nova, predictions: [[{ kind: 'group', name: 'nova', exists: false }]], expected: { name: 'nova', exists: false, predicted: true } },
];

test('groups: predictions -> predicted state', async (t) => {
  for (const row of ROWS) t.deepEqual(await predictRow(groups, row.value.name, row.value, row.predictions), row.expected, row.what);
});
