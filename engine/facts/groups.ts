// `groups`: each group's entry (getent group, all names in one command).
// Overlay rule: a predicted removal hides the group; a predicted gid applies
// (a predicted new group exists with no members).

import { ModuleError, type GroupState } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Overlay } from '../host/overlay.js';
import type { Fact } from './fact.js';

/** Parse `getent group` lines. */
export function parseGroup(names: readonly string[], stdout: string): GroupState[] {
  const byName = new Map<string, GroupState>();
  for (const line of stdout.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    byName.set(f[0], { name: f[0], exists: true, gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] });
  }
  return names.map((name) => byName.get(name) ?? { name, exists: false });
}

/** A group's state once the recorded predictions apply. Pure. */
export function predictGroup(overlay: Overlay, base: GroupState): GroupState {
  const p = overlay.groupPrediction(base.name);
  if (!p) return base;
  if (p.exists === false) return { name: base.name, exists: false, predicted: true };
  const st: GroupState = { ...(base.exists ? base : { name: base.name, members: [] }), exists: true, predicted: true };
  if (p.gid !== undefined) st.gid = p.gid;
  return st;
}

export const groups: Fact<string, GroupState> = {
  name: 'groups',
  sections: (names) => [quoteArgv(['getent', 'group', '--', ...names])],
  parse(names, [r], ctx) {
    if (r.rc !== 0 && r.rc !== 2) throw new ModuleError(`${ctx.host}: getent group failed (rc ${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return parseGroup(names, r.stdout);
  },
  predict: (_name, base, p) => {
    const st = predictGroup(p.overlay, base);
    return !st.exists && !st.predicted && p.overlay.predictedPackages().installed.length ? { ...st, mayExist: true } : st;
  },
};
