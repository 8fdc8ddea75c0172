// Fact `users`: getent passwd output -> state; predictions + state -> predicted state.

import test from 'ava';
import { users } from '../../../../engine/facts/users.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { Prediction, UserState } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

test('users: one getent for every name, after --', (t) => {
  t.deepEqual(users.sections(['nova', 'x'], readCtx()), [quoteArgv(['getent', 'passwd', '--', 'nova', 'x'])]);
});

test('users: getent passwd lines -> state; a missing name does not exist', (t) => {
  t.deepEqual(parseRows(users, ['nova', 'x'], [out('nova:x:107:110:OpenStack Nova,,,:/var/lib/nova:/bin/sh\n', 2)]), [
    { name: 'nova', exists: true, uid: 107, gid: 110, home: '/var/lib/nova', shell: '/bin/sh' },
    { name: 'x', exists: false },
  ]);
  t.deepEqual(parseRows(users, ['a'], [out('a:x:1:2::/h:/bin/sh:odd\n')]), [{ name: 'a', exists: true, uid: 1, gid: 2, home: '/h', shell: '/bin/sh:odd' }]);
  t.throws(() => parseRows(users, ['a'], [out('', 1, 'bad')]), { message: /^h: getent passwd failed \(rc 1\)/ });
});

const nova: UserState = { name: 'nova', exists: true, uid: 107, gid: 110, home: '/var/lib/nova', shell: '/bin/sh' };
const ROWS: Array<{ what: string; value: UserState; predictions: Prediction[][]; expected: UserState }> = [
  { what: 'nothing predicted', value: nova, predictions: [], expected: nova },
  { what: 'new uid, then new gid: merged', value: nova, predictions: [[{ kind: 'user', name: 'nova', uid: 111 }], [{ kind: 'user', name: 'nova', gid: 112 }]], expected: { ...nova, uid: 111, gid: 112, predicted: true } },
  { what: 'another user\'s prediction', value: nova, predictions: [[{ kind: 'user', name: 'other', uid: 111 }]], expected: nova },
  { what: 'a new account', value: { name: 'fresh', exists: false }, predictions: [[{ kind: 'user', name: 'fresh', uid: 500 }]], expected: { name: 'fresh', exists: true, uid: 500, predicted: true } },
  { what: 'home and shell (the user module) apply', value: nova, predictions: [[{ kind: 'user', name: 'nova', home: '/srv/nova', shell: '/bin/bash', comment: 'ignored here' }]], expected: { ...nova, home: '/srv/nova', shell: '/bin/bash', predicted: true } },
  { what: 'created anew: the host\'s old entry is gone', value: nova, predictions: [[{ kind: 'user', name: 'nova', exists: true, created: true, uid: 5 }]], expected: { name: 'nova', exists: true, uid: 5, predicted: true } },
  { what: 'removed', value: nova, predictions: [[{ kind: 'user', name: 'nova', exists: false }]], expected: { name: 'nova', exists: false, predicted: true } },
  { what: 'removed, then created again: old ids forgotten', value: nova, predictions: [[{ kind: 'user', name: 'nova', uid: 1 }], [{ kind: 'user', name: 'nova', exists: false }], [{ kind: 'user', name: 'nova', gid: 9 }]], expected: { ...nova, gid: 9, predicted: true } },
];

test('users: predictions -> predicted state', async (t) => {
  for (const row of ROWS) t.deepEqual(await predictRow(users, row.value.name, row.value, row.predictions), row.expected, row.what);
});
