// What Ansible's file-handling modules (file, copy, template) return about a
// path after the task: state, mode, owner, group, uid, gid, size, from one
// lstat. Modules use statFields on a gathered FileState (no change, or the
// state before the change in --check, as Ansible reports it there); the engine
// uses it on a fresh stat after a real change (ChangePlan.statResult).

import type { FileState } from '../module-api.js';

/** Ansible's name for a path's kind: file, directory, link, absent (anything else: file, as Ansible's stat maps it). */
export function ansibleState(st: FileState): string {
  if (!st.exists) return 'absent';
  return st.type === 'directory' ? 'directory' : st.type === 'link' ? 'link' : 'file';
}

/** The keys Ansible adds for an existing path (none for a missing one but state). */
export function statFields(st: FileState, state?: string): Record<string, unknown> {
  if (!st.exists) return { state: state ?? 'absent' };
  const out: Record<string, unknown> = { state: state ?? ansibleState(st) };
  if (st.mode !== undefined) out.mode = st.mode;
  if (st.owner !== undefined) out.owner = st.owner;
  if (st.group !== undefined) out.group = st.group;
  if (st.uid !== undefined) out.uid = st.uid;
  if (st.gid !== undefined) out.gid = st.gid;
  if (st.size !== undefined) out.size = st.size;
  return out;
}
