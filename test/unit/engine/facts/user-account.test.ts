// Fact `user_account`: getent passwd/shadow/group output -> the account as the
// user module compares it; predictions + account -> predicted account.

import test from 'ava';
import { userAccount } from '../../../../engine/facts/user-account.js';
import type { UserAccount } from '../../../../engine/facts/user-account.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

const GROUP = 'root:x:0:\nsudo:x:27:alice,bob\nalice:x:1001:\naudio:x:29:bob,alice\nalicex:x:5:alicex\n';

test('user_account: getent group once, then passwd and shadow per name, after --', (t) => {
  t.deepEqual(userAccount.sections(['alice', '-x'], readCtx()), [
    quoteArgv(['getent', 'group']),
    quoteArgv(['getent', 'passwd', '--', 'alice']), quoteArgv(['getent', 'shadow', '--', 'alice']),
    quoteArgv(['getent', 'passwd', '--', '-x']), quoteArgv(['getent', 'shadow', '--', '-x']),
  ]);
});

test('user_account: passwd, shadow and memberships -> account; missing, unreadable shadow', (t) => {
  const rows = parseRows(userAccount, ['alice', 'bob', 'nobody'], [
    out(GROUP),
    out('alice:x:1001:1001:Alice A,,,:/home/alice:/bin/bash\n'), out('alice:$6$s$h:20000:0:99999:7::21915:\n'),
    // shadow unreadable (not root): getent exits 2 with nothing
    out('bob:x:1002:100::/home/bob:/bin/sh\n'), out('', 2),
    out('', 2), out('', 2),
  ]);
  t.deepEqual(rows, [
    { name: 'alice', exists: true, uid: 1001, gid: 1001, comment: 'Alice A,,,', home: '/home/alice', shell: '/bin/bash', password: '$6$s$h', expires: 21915, groups: ['sudo', 'audio'] },
    { name: 'bob', exists: true, uid: 1002, gid: 100, comment: '', home: '/home/bob', shell: '/bin/sh', password: '', expires: -1, groups: ['sudo', 'audio'] },
    { name: 'nobody', exists: false },
  ]);
  // no expiry: -1; a password in passwd itself (not "x") is used as is
  t.deepEqual(parseRows(userAccount, ['c'], [out(''), out('c:$1$ab$cd:5:5::/:/bin/sh\n'), out('c:!:1:0:99999:7:::\n')])[0], {
    name: 'c', exists: true, uid: 5, gid: 5, comment: '', home: '/', shell: '/bin/sh', password: '$1$ab$cd', expires: -1, groups: [],
  });
  t.throws(() => parseRows(userAccount, ['a'], [out('', 1, 'bad'), out(''), out('')]), { message: /^h: getent group failed \(rc 1\)/ });
});

const alice: UserAccount = { name: 'alice', exists: true, uid: 1001, gid: 1001, comment: 'A', home: '/home/alice', shell: '/bin/bash', password: '!', expires: -1, groups: ['sudo'] };
const ROWS: Array<{ what: string; value: UserAccount; predictions: Prediction[][]; expected: UserAccount }> = [
  { what: 'nothing predicted', value: alice, predictions: [], expected: alice },
  { what: 'changed fields apply, others stay', value: alice, predictions: [[{ kind: 'user', name: 'alice', shell: '/bin/sh', groups: ['sudo', 'audio'] }], [{ kind: 'user', name: 'alice', uid: 2000 }]],
    expected: { ...alice, shell: '/bin/sh', groups: ['sudo', 'audio'], uid: 2000, predicted: true } },
  { what: 'removed', value: alice, predictions: [[{ kind: 'user', name: 'alice', exists: false }]], expected: { name: 'alice', exists: false, predicted: true } },
  { what: 'created: only what the creation said', value: { name: 'n', exists: false }, predictions: [[{ kind: 'user', name: 'n', exists: true, created: true, shell: '/bin/sh', groups: [] }]],
    expected: { name: 'n', exists: true, shell: '/bin/sh', groups: [], predicted: true } },
  { what: 'removed then created anew: the host\'s old fields are gone', value: alice,
    predictions: [[{ kind: 'user', name: 'alice', exists: false }], [{ kind: 'user', name: 'alice', exists: true, created: true, comment: '' }]],
    expected: { name: 'alice', exists: true, comment: '', predicted: true } },
  { what: 'a group predicted removed leaves its members', value: alice, predictions: [[{ kind: 'group', name: 'sudo', exists: false }]], expected: { ...alice, groups: [], predicted: true } },
  { what: "another user's prediction", value: alice, predictions: [[{ kind: 'user', name: 'bob', shell: '/bin/sh' }]], expected: alice },
];

test('user_account: predictions -> predicted account', async (t) => {
  for (const r of ROWS) {
    const got = await predictRow(userAccount, r.value.name, r.value, r.predictions);
    t.deepEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(r.expected)), r.what);
  }
});
