// What usermod and groupmod ask the host: who else holds the wanted UID/GID
// only when the account does not have it already (then it is left as it is,
// as Ansible's user and group modules leave it, whoever shares the number).

import test from 'ava';
import usermod from '../../../modules/usermod.js';
import groupmod from '../../../modules/groupmod.js';
import { users } from '../../../engine/facts/users.js';
import { groups } from '../../../engine/facts/groups.js';
import { gidHolder, primaryUsers, uidHolder } from '../../../engine/facts/id-holders.js';
import { row, tableReader } from '../engine/facts/table-reader.js';
import { unknownFacts } from '../../../engine/host/host.js';

// nova 111/113; foo shares uid 111 and gid 113 and comes first in the databases
const host = () => tableReader([
  row(users, (name: string) => (name === 'nova' ? { name, exists: true, uid: 111, gid: 113 } : { name, exists: false })),
  row(groups, (name: string) => (name === 'nova' ? { name, exists: true, gid: 113 } : { name, exists: false })),
  row(uidHolder, (uid: number) => (uid === 111 ? { name: 'foo', uid: 111, gid: 200 } : undefined)),
  row(gidHolder, (gid: number) => (gid === 113 ? { name: 'foo', gid: 113 } : undefined)),
  row(primaryUsers, () => [{ name: 'nova', exists: true, uid: 111, gid: 113 }]),
] as never);
const ctx = { diff: false, facts: unknownFacts('fake') } as never;

for (const [title, uid, reads, changed] of [
  ['the user has the UID (foo shares it): only the user is read, no change', 111, ['users("nova")'], false],
  ['another UID, free: the holder is asked', 120, ['users("nova")', 'uid_holder(120)'], true],
] as const) {
  test(`usermod: ${title}`, async (t) => {
    const h = host();
    const state = await usermod.gather({ name: 'nova', uid: uid }, h, ctx);
    t.deepEqual(h.reads, reads);
    t.is(usermod.plan({ name: 'nova', uid: uid }, state, ctx).changed, changed);
  });
}

test('usermod: a UID another user holds is still refused', async (t) => {
  const other = tableReader([
    row(users, (name: string) => ({ name, exists: true, uid: 107, gid: 113 })),
    row(uidHolder, () => ({ name: 'foo', uid: 111, gid: 200 })),
  ] as never);
  const s2 = await usermod.gather({ name: 'nova', uid: 111 }, other, ctx);
  t.throws(() => usermod.plan({ name: 'nova', uid: 111 }, s2, ctx), { message: /it belongs to user foo/ });
});

for (const [title, gid, reads, changed] of [
  ['the group has the GID (foo shares it): no holder read, no change', 113, ['groups("nova")', 'primary_users(113)'], false],
  ['another GID, free: the holder is asked', 120, ['groups("nova")', 'gid_holder(120)', 'primary_users(113)'], true],
] as const) {
  test(`groupmod: ${title}`, async (t) => {
    const h = host();
    const state = await groupmod.gather({ name: 'nova', gid }, h, ctx);
    t.deepEqual(h.reads, reads);
    t.is(groupmod.plan({ name: 'nova', gid }, state, ctx).changed, changed);
  });
}
