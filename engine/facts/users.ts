// `users`: each account's passwd entry (getent passwd, all names in one command).
// Overlay rule: a predicted removal hides the account; predicted uid/gid/home/shell
// apply (a predicted new account exists with what was predicted).

import { ModuleError, type UserState } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Overlay } from '../host/overlay.js';
import type { Fact } from './fact.js';

/** Parse `getent passwd` lines. */
export function parsePasswd(names: readonly string[], stdout: string): UserState[] {
  const byName = new Map<string, UserState>();
  for (const line of stdout.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    byName.set(f[0], { name: f[0], exists: true, uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f.slice(6).join(':') });
  }
  return names.map((name) => byName.get(name) ?? { name, exists: false });
}

/** A user's state once the recorded predictions apply. Pure. */
export function predictUser(overlay: Overlay, base: UserState): UserState {
  const p = overlay.userPrediction(base.name);
  if (!p) return base;
  if (p.exists === false) return { name: base.name, exists: false, predicted: true };
  const st: UserState = { ...(base.exists && !p.created ? base : { name: base.name }), exists: true, predicted: true };
  if (p.uid !== undefined) st.uid = p.uid;
  if (p.gid !== undefined) st.gid = p.gid;
  if (p.home !== undefined) st.home = p.home;
  if (p.shell !== undefined) st.shell = p.shell;
  return st;
}

export const users: Fact<string, UserState> = {
  name: 'users',
  sections: (names) => [quoteArgv(['getent', 'passwd', '--', ...names])],
  parse(names, [r], ctx) {
    if (r.rc !== 0 && r.rc !== 2) throw new ModuleError(`${ctx.host}: getent passwd failed (rc ${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return parsePasswd(names, r.stdout);
  },
  predict: (_name, base, p) => {
    const st = predictUser(p.overlay, base);
    // A package an earlier task installs may create the account (nova, libvirt-qemu): not known before the run.
    return !st.exists && !st.predicted && p.overlay.predictedPackages().installed.length ? { ...st, mayExist: true } : st;
  },
};
