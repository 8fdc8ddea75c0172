// `user_account`: what the user module compares for one account: its passwd
// entry (getent passwd), its shadow password and expiry (getent shadow: root
// only; unreadable reads as ''/-1, as Ansible's does) and every group that lists
// it as a member (getent group, read once for all names).
// Overlay rule: a predicted removal hides the account; the predicted fields
// apply over the host's (a created account starts from nothing); a group
// predicted removed no longer counts among its groups.

import { ModuleError } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Fact } from './fact.js';

export interface UserAccount {
  name: string;
  exists: boolean;
  uid?: number;
  gid?: number;
  /** The GECOS field. */
  comment?: string;
  home?: string;
  shell?: string;
  /** The shadow password field ('' when it cannot be read). */
  password?: string;
  /** The shadow expiry in days since the epoch; -1 when unset. */
  expires?: number;
  /** Every group listing the user as a member (primary group included when it lists the user). */
  groups?: string[];
  predicted?: boolean;
}

/** Parse one account from its getent passwd/shadow output and the full getent group listing. Pure. */
export function parseAccount(name: string, passwd: string, shadow: string, group: string): UserAccount {
  const p = passwd.split('\n').map((l) => l.split(':')).find((f) => f.length >= 7 && f[0] === name);
  if (!p) return { name, exists: false };
  const s = shadow.split('\n').map((l) => l.split(':')).find((f) => f.length >= 8 && f[0] === name);
  const groups: string[] = [];
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length >= 4 && f[3].split(',').includes(name)) groups.push(f[0]);
  }
  // Ansible's user_info: a one-character passwd field ("x") means the shadow one.
  const password = p[1].length > 1 ? p[1] : (s?.[1] ?? '');
  const expires = s && /^-?\d+$/.test(s[7]) ? Number(s[7]) : -1;
  return { name, exists: true, uid: Number(p[2]), gid: Number(p[3]), comment: p[4], home: p[5], shell: p.slice(6).join(':'), password, expires, groups };
}

export const userAccount: Fact<string, UserAccount> = {
  name: 'user_account',
  sections: (names) => [
    quoteArgv(['getent', 'group']),
    ...names.flatMap((n) => [quoteArgv(['getent', 'passwd', '--', n]), quoteArgv(['getent', 'shadow', '--', n])]),
  ],
  parse(names, results, ctx) {
    const [g, ...rest] = results;
    if (g.rc !== 0) throw new ModuleError(`${ctx.host}: getent group failed (rc ${g.rc}): ${g.stderr.trim()}`, { rc: g.rc, stderr: g.stderr });
    return names.map((name, i) => {
      const p = rest[2 * i];
      if (p.rc !== 0 && p.rc !== 2) throw new ModuleError(`${ctx.host}: getent passwd failed (rc ${p.rc}): ${p.stderr.trim()}`, { rc: p.rc, stderr: p.stderr });
      return parseAccount(name, p.stdout, rest[2 * i + 1].stdout, g.stdout);
    });
  },
  predict(name, base, p) {
    const u = p.overlay.userPrediction(name);
    let st: UserAccount = base;
    if (u) {
      if (u.exists === false) return { name, exists: false, predicted: true };
      const { exists: _e, created, ...fields } = u;
      st = { ...(base.exists && !created ? base : { name }), ...fields, exists: true, predicted: true };
    }
    // A group predicted removed takes the membership with it.
    if (st.groups?.some((g) => p.overlay.groupPrediction(g)?.exists === false)) {
      st = { ...st, groups: st.groups.filter((g) => p.overlay.groupPrediction(g)?.exists !== false), predicted: true };
    }
    return st;
  },
};
