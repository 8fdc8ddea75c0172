// Two facts about a path: `file` (lstat: a symlink is reported as a link) and
// `file_content` (the same plus the exact bytes of a regular file). Overlay
// rule (both): a path the host lacks that a predicted package install would
// create is seen as the package ships it; then the latest file prediction
// bearing on the path (itself, an ancestor, or something inside it) applies.

import { ModuleError, type FileState } from '../module-api.js';
import type { FileVerdict, Overlay } from '../host/overlay.js';
import { quote } from '../host/shell.js';
import type { Fact, PredictContext, SectionResult } from './fact.js';
import { perArg } from './fact.js';
import { packageFile } from './package-content.js';

const STAT_FORMAT = '%f\t%a\t%u\t%g\t%U\t%G\t%s\n';
const STAT_ABSENT_RC = 3;

export function statSnippet(path: string): string {
  const q = quote(path);
  return (
    `if [ -e ${q} ] || [ -L ${q} ]; then ` +
    `if stat --printf=${quote(STAT_FORMAT)} -- ${q}; then if [ -L ${q} ]; then readlink -- ${q}; fi; else __tsplay_st 2; fi; ` +
    `else __tsplay_st ${STAT_ABSENT_RC}; fi`
  );
}

/** Shell text printing a regular file's bytes (nothing for anything else). */
export function catSnippet(path: string): string {
  const q = quote(path);
  return `if [ -f ${q} ] && [ ! -L ${q} ]; then cat -- ${q}; fi`;
}

/** Parse one statSnippet section. */
export function parseStat(path: string, r: Pick<SectionResult, 'rc' | 'stdout' | 'stderr'>): FileState {
  if (r.rc === STAT_ABSENT_RC && r.stdout === '') return { path, exists: false };
  if (r.rc !== 0) throw new ModuleError(`stat ${path} failed (rc ${r.rc}): ${r.stderr.trim()}`, { path, rc: r.rc, stderr: r.stderr });
  const nl = r.stdout.indexOf('\n');
  const head = nl < 0 ? r.stdout : r.stdout.slice(0, nl);
  const f = head.split('\t');
  if (f.length !== 7) throw new ModuleError(`stat ${path}: unexpected output ${JSON.stringify(head)}`, { path });
  const raw = parseInt(f[0], 16);
  const fmt = raw & 0o170000;
  const type: FileState['type'] = fmt === 0o100000 ? 'file' : fmt === 0o040000 ? 'directory' : fmt === 0o120000 ? 'link' : 'other';
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  const st: FileState = {
    path,
    exists: true,
    type,
    mode: f[1].padStart(4, '0'),
    uid,
    gid,
    owner: f[4] === 'UNKNOWN' ? String(uid) : f[4],
    group: f[5] === 'UNKNOWN' ? String(gid) : f[5],
    size: Number(f[6]),
  };
  if (type === 'link') {
    let target = nl < 0 ? '' : r.stdout.slice(nl + 1);
    if (target.endsWith('\n')) target = target.slice(0, -1);
    st.linkTarget = target;
  }
  return st;
}

/** Parse a statSnippet section and a catSnippet section. */
export function parseFileContent(path: string, s: SectionResult, c: SectionResult): FileState {
  const st = parseStat(path, s);
  if (st.exists && st.type === 'file') {
    if (c.rc !== 0) throw new ModuleError(`cannot read ${path} (rc ${c.rc}): ${c.stderr.trim()}`, { path, rc: c.rc, stderr: c.stderr });
    // The exact bytes: a file is never decoded here (text modules decide what they can edit).
    st.content = c.stdoutBytes;
  }
  return st;
}

function normMode(mode: string | undefined): string | undefined {
  if (mode === undefined) return undefined;
  return /^[0-7]{1,4}$/.test(mode) ? mode.padStart(4, '0') : mode;
}

/** A path's state once a verdict of the store applies, given its real state. Pure. */
export function applyFileVerdict(v: FileVerdict | undefined, base: FileState): FileState {
  if (!v) return base;
  if (v.kind === 'absent') return { path: base.path, exists: false, predicted: true };
  if (v.kind === 'dir') {
    if (base.exists && base.type === 'directory') return base;
    return { path: base.path, exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root', predicted: true };
  }
  const p = v.p;
  if (p.state === 'absent') return { path: base.path, exists: false, predicted: true };
  if (p.state === 'link') return { path: base.path, exists: true, type: 'link', linkTarget: p.target, predicted: true };
  const sameType = base.exists && base.type === (p.state === 'file' ? 'file' : 'directory');
  const owner = p.owner ?? (sameType ? base.owner : 'root');
  const group = p.group ?? (sameType ? base.group : 'root');
  const st: FileState = {
    path: base.path,
    exists: true,
    type: p.state === 'file' ? 'file' : 'directory',
    mode: normMode(p.mode) ?? (sameType ? base.mode : p.state === 'file' ? '0644' : '0755'),
    owner,
    group,
    predicted: true,
  };
  if (sameType && owner === base.owner && base.uid !== undefined) st.uid = base.uid;
  if (sameType && group === base.group && base.gid !== undefined) st.gid = base.gid;
  if (p.state === 'file') {
    const content = p.content ?? (sameType ? base.content : undefined);
    if (content !== undefined) {
      st.content = content;
      st.size = content.length;
    } else if (sameType && base.size !== undefined) {
      st.size = base.size;
    }
  }
  return st;
}

/** The predicted state of a path, given its real state (with content when read). */
export function predictFile(overlay: Overlay, base: FileState): FileState {
  return applyFileVerdict(overlay.fileVerdict(base.path), base);
}

function withoutContent(st: FileState): FileState {
  if (st.content === undefined) return st;
  const { content: _content, ...rest } = st;
  return rest;
}

/** lstat of a path (no content). */
export const file: Fact<string, FileState> = perArg({
  name: 'file',
  snippet: (path: string) => statSnippet(path),
  parse: (path: string, r) => parseStat(path, r),
  async predict(_path, st, p: PredictContext) {
    const fromPkg = await packageFile(p, st);
    return withoutContent(predictFile(p.overlay, fromPkg ? withoutContent(fromPkg) : st));
  },
});

/** lstat of a path plus the exact bytes of a regular file (two sections, one round trip). */
export const fileContent: Fact<string, FileState> = {
  name: 'file_content',
  sections: (paths) => paths.flatMap((path) => [statSnippet(path), catSnippet(path)]),
  parse: (paths, rs) => paths.map((path, i) => parseFileContent(path, rs[2 * i], rs[2 * i + 1])),
  async predict(_path, st, p) {
    return predictFile(p.overlay, (await packageFile(p, st)) ?? st);
  },
};
