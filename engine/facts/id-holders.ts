// Who holds a numeric ID: `uid_holder` (getent passwd UID) and `gid_holder`
// (getent group GID), and `primary_users` (the accounts whose primary group is
// a GID). usermod and groupmod read them before moving an ID.
// Overlay rule: the holder as the predictions leave it: a holder predicted
// removed, or predicted to move to another ID, no longer holds it; users
// predicted onto another primary group leave primary_users.

import type { UserState } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Fact } from './fact.js';
import { perArg } from './fact.js';
import { predictGroup } from './groups.js';
import { predictUser } from './users.js';

export interface UidHolder {
  name: string;
  uid: number;
}
export interface GidHolder {
  name: string;
  gid: number;
}

/** Name and the two numeric IDs of a getent passwd/group line (undefined: not one). */
function entry(line: string, minFields: number): { name: string; id: number; f: string[] } | undefined {
  const f = line.split(':');
  if (f.length < minFields || !/^\d+$/.test(f[2]) || (minFields === 7 && !/^\d+$/.test(f[3]))) return undefined;
  return { name: f[0], id: Number(f[2]), f };
}

export const uidHolder: Fact<number, UidHolder | null> = perArg({
  name: 'uid_holder',
  snippet: (uid: number) => quoteArgv(['getent', 'passwd', String(uid)]),
  parse(_uid, r) {
    const e = r.rc === 0 ? entry(r.stdout.split('\n')[0], 7) : undefined;
    return e ? { name: e.name, uid: e.id } : null;
  },
  predict(uid, holder, p) {
    if (!holder) return null;
    const u = predictUser(p.overlay, { name: holder.name, exists: true, uid: holder.uid });
    return u.exists && u.uid === uid ? holder : null;
  },
});

export const gidHolder: Fact<number, GidHolder | null> = perArg({
  name: 'gid_holder',
  snippet: (gid: number) => quoteArgv(['getent', 'group', String(gid)]),
  parse(_gid, r) {
    const e = r.rc === 0 ? entry(r.stdout.split('\n')[0], 4) : undefined;
    return e ? { name: e.name, gid: e.id } : null;
  },
  predict(gid, holder, p) {
    if (!holder) return null;
    const g = predictGroup(p.overlay, { name: holder.name, exists: true, gid: holder.gid });
    return g.exists && g.gid === gid ? holder : null;
  },
});

/** Parse `getent passwd` (every account): those whose primary group is gid. Pure. */
export function parsePrimaryUsers(gid: number, stdout: string): UserState[] {
  const out: UserState[] = [];
  for (const line of stdout.split('\n')) {
    const e = entry(line, 7);
    if (!e || Number(e.f[3]) !== gid) continue;
    out.push({ name: e.name, exists: true, uid: e.id, gid, home: e.f[5], shell: e.f.slice(6).join(':') });
  }
  return out;
}

export const primaryUsers: Fact<number, UserState[]> = perArg({
  name: 'primary_users',
  snippet: () => quoteArgv(['getent', 'passwd']),
  parse: (gid: number, r) => parsePrimaryUsers(gid, r.stdout),
  predict: (gid, list, p) => list.map((u) => predictUser(p.overlay, u)).filter((u) => u.exists && u.gid === gid),
});
