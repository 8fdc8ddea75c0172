// chown_find's pure parts: the read-only find command, its NUL-separated
// output, and turning the listed files into batched chown argv.

/** Network and cluster file systems chown_find never walks into unless asked. */
export const NETWORK_FSTYPES = new Set([
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ncpfs', 'fuse.sshfs', 'sshfs', 'ceph', 'fuse.ceph', 'fuse.cephfs',
  'glusterfs', 'fuse.glusterfs', 'afs', 'lustre', '9p', 'davfs', 'fuse.s3fs', 'beegfs', 'gpfs', 'fuse.rclone',
]);
/** Pseudo file systems, always pruned unless listed in paths. */
export const ALWAYS_PRUNED = ['/proc', '/sys', '/dev', '/run'];

export interface OwnedFile {
  uid: number;
  gid: number;
  /** Octal permission bits as find prints them (%m), e.g. "4755". */
  mode: string;
  path: string;
}

/** One owner change: a UID pair and/or a GID pair. A task's changes are a list of these. */
export interface IdChange {
  old_uid?: number;
  new_uid?: number;
  old_gid?: number;
  new_gid?: number;
}

/** Each old UID and old GID of the changes, with its new value, in the order given. */
export interface IdMaps {
  uid: Map<number, number>;
  gid: Map<number, number>;
}

/**
 * The changes as maps from old ID to new. Throws on an old ID given two
 * different new values (which one a file gets would be a guess).
 */
export function idMaps(changes: readonly IdChange[]): IdMaps {
  const maps: IdMaps = { uid: new Map(), gid: new Map() };
  for (const c of changes) {
    for (const [kind, from, to] of [['uid', c.old_uid, c.new_uid], ['gid', c.old_gid, c.new_gid]] as const) {
      if (from === undefined || to === undefined) continue;
      const had = maps[kind].get(from);
      if (had !== undefined && had !== to) throw new Error(`old_${kind} ${from} is given two new values: ${had} and ${to}`);
      maps[kind].set(from, to);
    }
  }
  return maps;
}

function isUnderOrSame(child: string, parent: string): boolean {
  if (parent === '/') return true;
  return child === parent || child.startsWith(parent + '/');
}

/**
 * Directories to prune: the pseudo file systems and network mounts, except a
 * start path itself or any directory containing one (that would prune the
 * start path), so listing a network mount in `paths` walks it.
 */
export function pruneList(paths: readonly string[], networkMounts: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of [...ALWAYS_PRUNED, ...networkMounts]) {
    if (paths.some((start) => isUnderOrSame(start, p))) continue;
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** find -path takes a glob: escape its special characters. */
export function escapeFindPattern(p: string): string {
  return p.replace(/[\\*?[\]]/g, (c) => '\\' + c);
}

export const FIND_FORMAT = '%U %G %m %p\\0';

export function buildFindArgv(paths: readonly string[], prune: readonly string[], changes: readonly IdChange[], xdev: boolean): string[] {
  const argv = ['find', '-P', ...paths];
  if (xdev) argv.push('-xdev');
  if (prune.length) {
    argv.push('(');
    prune.forEach((p, i) => argv.push(...(i ? ['-o'] : []), '-path', escapeFindPattern(p)));
    argv.push(')', '-prune', '-o');
  }
  // One walk for every change: -uid tests first, then -gid, each old ID once.
  const maps = idMaps(changes);
  const tests: string[][] = [
    ...[...maps.uid.keys()].map((id) => ['-uid', String(id)]),
    ...[...maps.gid.keys()].map((id) => ['-gid', String(id)]),
  ];
  argv.push('(', ...tests.flatMap((t, i) => (i ? ['-o', ...t] : t)), ')', '-printf', FIND_FORMAT);
  return argv;
}

/** Parse `%U %G %m %p\0` records. Throws on a record that does not fit. */
export function parseFindOutput(stdout: string): OwnedFile[] {
  const out: OwnedFile[] = [];
  for (const rec of stdout.split('\0')) {
    if (rec === '') continue;
    const m = /^(\d+) (\d+) ([0-7]+) ([\s\S]+)$/.exec(rec);
    if (!m) throw new Error(`unexpected find output record ${JSON.stringify(rec.slice(0, 200))}`);
    out.push({ uid: Number(m[1]), gid: Number(m[2]), mode: m[3], path: m[4] });
  }
  return out;
}

export interface Rechown {
  file: OwnedFile;
  uid?: number;
  gid?: number;
}

/**
 * What each file becomes: uid and/or gid, per file, each looked up by the ID
 * the file has now (one walk: a file whose UID is one change's new value and
 * another's old one gets the other's new value, once).
 */
export function rechowns(files: readonly OwnedFile[], changes: readonly IdChange[]): Rechown[] {
  const maps = idMaps(changes);
  const out: Rechown[] = [];
  for (const f of files) {
    const r: Rechown = { file: f };
    const uid = maps.uid.get(f.uid);
    const gid = maps.gid.get(f.gid);
    if (uid !== undefined) r.uid = uid;
    if (gid !== undefined) r.gid = gid;
    if (r.uid !== undefined || r.gid !== undefined) out.push(r);
  }
  return out;
}

export const MAX_BATCH_PATHS = 500;
export const MAX_BATCH_BYTES = 64 * 1024;

/** Split paths into argv-sized batches. */
export function batches(paths: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const p of paths) {
    if (cur.length && (cur.length >= MAX_BATCH_PATHS || bytes + p.length + 1 > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(p);
    bytes += p.length + 1;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** chown -h argv, grouped by owner spec (uid:gid, uid, :gid), in find order within a group. */
export function chownArgvs(changes: readonly Rechown[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const c of changes) {
    const spec = c.uid !== undefined && c.gid !== undefined ? `${c.uid}:${c.gid}` : c.uid !== undefined ? String(c.uid) : `:${c.gid}`;
    if (!groups.has(spec)) groups.set(spec, []);
    groups.get(spec)!.push(c.file.path);
  }
  const out: string[][] = [];
  for (const [spec, paths] of groups) for (const b of batches(paths)) out.push(['chown', '-h', '--', spec, ...b]);
  return out;
}

/** chown clears setuid/setgid bits: chmod argv putting them back. */
export function restoreModeArgvs(changes: readonly Rechown[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const c of changes) {
    if ((parseInt(c.file.mode, 8) & 0o6000) === 0) continue;
    if (!groups.has(c.file.mode)) groups.set(c.file.mode, []);
    groups.get(c.file.mode)!.push(c.file.path);
  }
  const out: string[][] = [];
  for (const [mode, paths] of groups) for (const b of batches(paths)) out.push(['chmod', mode, '--', ...b]);
  return out;
}

/** Escape a path for one log line (tab, newline and backslash). */
export function escapeLogPath(p: string): string {
  return p.replace(/[\\\t\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : '\\n'));
}

export const LOG_HEADER = '# tsplay chown_find: path<TAB>old uid:gid<TAB>new uid:gid (\\t \\n \\\\ escaped in paths)\n';

export function logContent(changes: readonly Rechown[]): string {
  return LOG_HEADER + changes.map((c) => {
    const f = c.file;
    return `${escapeLogPath(f.path)}\t${f.uid}:${f.gid}\t${c.uid ?? f.uid}:${c.gid ?? f.gid}\n`;
  }).join('');
}
