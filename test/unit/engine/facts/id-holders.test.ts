// Facts `uid_holder`, `gid_holder`, `primary_users`: getent output -> holder;
// predictions (users/groups moved or removed) + holder -> predicted holder.

import test from 'ava';
import { gidHolder, primaryUsers, uidHolder } from '../../../../engine/facts/id-holders.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

test('uid_holder / gid_holder: getent by number, first line; nobody on rc 2 or junk', (t) => {
  t.deepEqual(uidHolder.sections([111], readCtx()), [quoteArgv(['getent', 'passwd', '111'])]);
  t.deepEqual(gidHolder.sections([120], readCtx()), [quoteArgv(['getent', 'group', '120'])]);
  t.deepEqual(parseRows(uidHolder, [111, 5, 6], [out('glance:x:111:115::/var/lib/glance:/bin/false\n'), out('', 2), out('not a line\n')]), [
    { name: 'glance', uid: 111 },
    null,
    null,
  ]);
  t.deepEqual(parseRows(gidHolder, [120, 7], [out('libvirt:x:120:nova\n'), out('', 2)]), [{ name: 'libvirt', gid: 120 }, null]);
});

const UID_ROWS: Array<{ what: string; predictions: Prediction[][]; expected: { name: string; uid: number } | null }> = [
  { what: 'nothing predicted', predictions: [], expected: { name: 'glance', uid: 111 } },
  { what: 'the holder moves away', predictions: [[{ kind: 'user', name: 'glance', uid: 200 }]], expected: null },
  { what: 'the holder only changes its group', predictions: [[{ kind: 'user', name: 'glance', gid: 5 }]], expected: { name: 'glance', uid: 111 } },
  { what: 'the holder is removed', predictions: [[{ kind: 'user', name: 'glance', exists: false }]], expected: null },
  { what: 'moved away and back', predictions: [[{ kind: 'user', name: 'glance', uid: 200 }], [{ kind: 'user', name: 'glance', uid: 111 }]], expected: { name: 'glance', uid: 111 } },
];

test('uid_holder: predictions -> predicted holder', async (t) => {
  for (const row of UID_ROWS) t.deepEqual(await predictRow(uidHolder, 111, { name: 'glance', uid: 111 }, row.predictions), row.expected, row.what);
  t.is(await predictRow(uidHolder, 111, null, [[{ kind: 'user', name: 'x', uid: 111 }]]), null, 'nobody stays nobody (as before: a user predicted onto the id is not seen)');
});

test('gid_holder: predictions -> predicted holder', async (t) => {
  const holder = { name: 'libvirt', gid: 120 };
  t.deepEqual(await predictRow(gidHolder, 120, holder, []), holder);
  t.is(await predictRow(gidHolder, 120, holder, [[{ kind: 'group', name: 'libvirt', gid: 130 }]]), null);
  t.is(await predictRow(gidHolder, 120, holder, [[{ kind: 'group', name: 'libvirt', exists: false }]]), null);
  t.deepEqual(await predictRow(gidHolder, 120, holder, [[{ kind: 'user', name: 'libvirt', uid: 1 }]]), holder, 'a user of the same name is not the group');
});

test('primary_users: every passwd line with that primary gid', (t) => {
  t.deepEqual(primaryUsers.sections([110], readCtx()), [quoteArgv(['getent', 'passwd'])]);
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nnova:x:107:110::/var/lib/nova:/bin/sh\nbad:x:1:x::/:/bin/sh\ncinder:x:108:110::/var/lib/cinder:/bin/false\n';
  t.deepEqual(parseRows(primaryUsers, [110], [out(passwd)]), [
    [
      { name: 'nova', exists: true, uid: 107, gid: 110, home: '/var/lib/nova', shell: '/bin/sh' },
      { name: 'cinder', exists: true, uid: 108, gid: 110, home: '/var/lib/cinder', shell: '/bin/false' },
    ],
  ]);
});

test('primary_users: users predicted onto another group or removed leave', async (t) => {
  const list = [
    { name: 'nova', exists: true, uid: 107, gid: 110 },
    { name: 'cinder', exists: true, uid: 108, gid: 110 },
    { name: 'glance', exists: true, uid: 109, gid: 110 },
  ];
  const got = await predictRow(primaryUsers, 110, list, [[{ kind: 'user', name: 'nova', gid: 5 }, { kind: 'user', name: 'cinder', exists: false }, { kind: 'user', name: 'glance', uid: 300 }]]);
  t.deepEqual(got, [{ name: 'glance', exists: true, uid: 300, gid: 110, predicted: true }]);
});
