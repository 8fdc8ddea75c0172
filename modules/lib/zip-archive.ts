// unarchive's zip handling (docs/modules/unarchive.md), as Ansible 2.14's
// ZipArchive decides it: unzip and zipinfo on the host; `zipinfo -T -s` lists
// the members, each member is compared with what is under dest (type, mtime,
// size, CRC-32, mode, owner, group); any difference (or a failed listing)
// means "unpack again" with `unzip -o`. The parsers and the comparison are
// pure; the shell scripts only read (a controller archive is copied to a
// temporary file that the same script removes).

import { ModuleError } from '../../engine/module-api.js';
import { fnmatch } from '../../engine/template/fnmatch.js';
import { ModeError, resolveMode } from './file-mode.js';

/** One line of `zipinfo -T -s` that Ansible keeps. */
export interface ZipEntry {
  /** First character of the permission column: d, l, -, ?. */
  ztype: string;
  /** The rest of the permission column (9 Unix or 6 FAT characters). */
  permstr: string;
  size: number;
  /** zipinfo's decimal time, YYYYMMDD.HHMMSS (the host's local time). */
  time: string;
  path: string;
}

/** Ansible's line filter and split of `zipinfo -T -s` output (header, footer and odd lines skipped). Pure. */
export function parseZipinfo(out: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  for (const line of splitLines(out)) {
    const pcs = pySplit(line, 7);
    if (pcs.length !== 8) continue;
    if (pcs[0].length !== 7 && pcs[0].length !== 10) continue;
    if (pcs[6].length !== 15) continue;
    if (!'dl-?'.includes(pcs[0][0]) || ![...pcs[0].slice(1)].every((c) => 'rwxstah-'.includes(c))) continue;
    if (!/^\d+$/.test(pcs[3])) throw new ModuleError(`unarchive: zipinfo size field ${JSON.stringify(pcs[3])} is not a number`);
    entries.push({ ztype: pcs[0][0], permstr: pcs[0].slice(1), size: Number(pcs[3]), time: pcs[6], path: pcs[7] });
  }
  return entries;
}

/** `unzip -v` (Ansible's legacy listing): member name -> CRC-32. Pure. */
export function parseUnzipV(out: string): Map<string, number> {
  const crc = new Map<string, number>();
  const lines = splitLines(out).slice(3, -2);
  for (const line of lines) {
    const f = pySplit(line, 7);
    if (f.length === 8 && /^[0-9a-f]{8}$/.test(f[6])) crc.set(f[7], parseInt(f[6], 16));
  }
  return crc;
}

/** Python's str.splitlines() for \n and \r\n text. */
function splitLines(s: string): string[] {
  const lines = s.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Python's str.split(None, max): the remainder after `max` splits is kept as it is. */
export function pySplit(line: string, max: number): string[] {
  const out: string[] = [];
  let rest = line.replace(/^\s+/, '');
  while (rest !== '') {
    const m = /\s+/.exec(rest);
    if (out.length === max || !m) { out.push(rest); break; }
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/** Ansible's _permstr_to_octal: r/w/x/s/t count, S/T do not; the umask removes bits. */
export function permstrToOctal(permstr: string, umask: number): number {
  const rev = [...permstr].reverse();
  let mode = 0;
  for (let i = 0; i < 9; i++) if ('rwxst'.includes(rev[i])) mode += 2 ** i;
  return mode & ~umask;
}

/** What is at dest/PATH (lstat), as the stat script reports it. */
export interface ZipPathState {
  type: 'file' | 'directory' | 'link' | 'other';
  size: number;
  /** Modification time: whole seconds and nanoseconds. */
  mtime: number;
  mtimeNs: number;
  /** Permission bits (stat's S_IMODE). */
  mode: number;
  uid: number;
  gid: number;
  /** Names; undefined when the ID has none. */
  owner?: string;
  group?: string;
  /** CRC-32 of a regular file's content. */
  crc?: number;
}

/** Who runs the commands and what owner/group resolve to on the host. */
export interface ZipHostIds {
  umask: number;
  uid: number;
  user: string;
  gid: number;
  groupName: string;
  groups: number[];
  /** getent's answer for the owner/group arguments (undefined: no such account). */
  owner?: { name: string; id: number };
  group?: { name: string; id: number };
}

export interface ZipCompareArgs {
  mode?: string | number;
  owner?: string | number;
  group?: string | number;
  keep_newer: boolean;
  exclude: string[];
}

export interface ZipComparison {
  /** Members that differ (Ansible's includes). */
  includes: string[];
  /** Members keep_newer leaves alone (added to unzip's -x). */
  keptNewer: string[];
  /** Ansible's itemized `diff.prepared` lines. */
  diff: string[];
  /** Why, one line per difference (Ansible's `err`). */
  reasons: string[];
}

/**
 * Ansible's ZipArchive.is_unarchived loop: each entry against dest. `stats`
 * holds the entry's state by path (undefined: missing); `times` the entry's
 * time as seconds since the epoch, read on the host (its local time). Pure.
 */
export function compareZip(entries: readonly ZipEntry[], stats: ReadonlyMap<string, ZipPathState | undefined>, times: ReadonlyMap<string, number>,
  crcs: ReadonlyMap<string, number>, args: ZipCompareArgs, ids: ZipHostIds): ZipComparison {
  const r: ZipComparison = { includes: [], keptNewer: [], diff: [], reasons: [] };
  const excludes = [...args.exclude];
  const futOwner = args.owner !== undefined && String(args.owner) !== '' && ids.owner ? ids.owner : { name: ids.user, id: ids.uid };
  const futGroup = args.group !== undefined && String(args.group) !== '' && ids.group ? ids.group : { name: ids.groupName, id: ids.gid };
  const include = (p: string) => { if (!r.includes.includes(p)) r.includes.push(p); };
  for (const e of entries) {
    const path = e.path;
    if (excludes.includes(path)) continue;
    let ftype: string;
    if (path.endsWith('/')) ftype = 'd';
    else if (e.ztype === 'l') ftype = 'L';
    else if (e.ztype === '-' || e.ztype === '?') ftype = 'f';
    else throw new ModuleError(`unarchive: zipinfo lists ${JSON.stringify(path)} as type "${e.ztype}" without a trailing "/" (Ansible fails on it too)`);
    let permstr = e.permstr;
    let fileUmask = 0;
    if (permstr.length === 6) {
      permstr = path.endsWith('/') || permstr === 'rwx---' ? 'rwxrwxrwx' : 'rw-rw-rw-';
      fileUmask = ids.umask;
    }
    if (permstr.length !== 9 || !/^([r-][w-][SsTtx-]){3}/.test(permstr)) throw new ModuleError(`unarchive: ZIP info perm format incorrect, ${permstr}`);
    const st = stats.get(path);
    if (!st) {
      include(path);
      r.reasons.push(`Path ${path} is missing`);
      r.diff.push(`>${ftype}++++++.?? ${path}`);
      continue;
    }
    const kind = ftype === 'd' ? 'directory' : ftype === 'L' ? 'link' : 'file';
    if (st.type !== kind) {
      include(path);
      r.reasons.push(`${path} already exists, but not as a ${kind === 'file' ? 'regular file' : kind === 'link' ? 'symlink' : 'directory'}`);
      r.diff.push(`c${ftype}++++++.?? ${path}`);
      continue;
    }
    let change = false;
    const itemized = [...`.${ftype}.......??`];
    const ts = times.get(path);
    if (ts === undefined) throw new ModuleError(`unarchive: no time for ${path} (the host could not read zipinfo's ${e.time})`);
    if (st.type === 'file') {
      // Ansible compares zipinfo's whole-second time with the float st_mtime.
      const newer = ts > st.mtime;
      const older = ts < st.mtime || (ts === st.mtime && st.mtimeNs > 0);
      if (args.keep_newer) {
        if (newer) { change = true; r.reasons.push(`File ${path} is older, replacing file`); itemized[4] = 't'; }
        else if (older) { excludes.push(path); r.keptNewer.push(path); continue; }
      } else if (newer || older) {
        change = true;
        r.reasons.push(`File ${path} differs in mtime`);
        itemized[4] = 't';
      }
      if (e.size !== st.size) { change = true; r.reasons.push(`File ${path} differs in size (${e.size} vs ${st.size})`); itemized[3] = 's'; }
      const want = crcs.get(path);
      if (want === undefined || want !== st.crc) { change = true; r.reasons.push(`File ${path} differs in CRC32 checksum`); itemized[2] = 'c'; }
    }
    if (ftype !== 'L') {
      let mode: number;
      if (args.mode !== undefined && args.mode !== 0) {
        try {
          mode = parseInt(resolveMode(args.mode, st.mode.toString(8).padStart(4, '0'), st.type === 'directory'), 8);
        } catch (err) {
          if (err instanceof ModeError) throw new ModuleError(`unarchive: ${err.message}`);
          throw err;
        }
      } else if (e.ztype === '?') mode = permstrToOctal(permstr, 0);
      else mode = permstrToOctal(permstr, fileUmask);
      if (mode !== st.mode) { change = true; itemized[5] = 'p'; r.reasons.push(`Path ${path} differs in permissions (${mode.toString(8)} vs ${st.mode.toString(8)})`); }
    }
    if (ids.uid !== 0 && (futOwner.name !== ids.user || futOwner.id !== ids.uid)) {
      throw new ModuleError(`unarchive: Cannot change ownership of ${path} to ${futOwner.name}, as user ${ids.user}`);
    }
    if (st.owner !== undefined ? st.owner !== futOwner.name : st.uid !== 0 && st.uid !== futOwner.id) {
      change = true; itemized[6] = 'o'; r.reasons.push(`Path ${path} is owned by ${st.owner ?? st.uid}, not by ${futOwner.name}`);
    }
    if (ids.uid !== 0 && (futGroup.name !== ids.groupName || futGroup.id !== ids.gid) && !ids.groups.includes(futGroup.id)) {
      throw new ModuleError(`unarchive: Cannot change group ownership of ${path} to ${futGroup.name}, as user ${ids.user}`);
    }
    if (st.group !== undefined ? st.group !== futGroup.name : st.gid !== 0 && st.gid !== futGroup.id) {
      change = true; itemized[6] = 'g'; r.reasons.push(`Path ${path} is owned by group ${st.group ?? st.gid}, not by ${futGroup.name}`);
    }
    if (change) {
      include(path);
      r.diff.push(`${itemized.join('')} ${path}`);
    }
  }
  return r;
}

/** Ansible's files_in_archive: every name, filtered by include (once per matching pattern) or exclude. Pure. */
export function filesInArchive(names: readonly string[], include: readonly string[], exclude: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    if (include.length) {
      for (const p of include) if (fnmatch(n, p)) out.push(n);
    } else if (!exclude.some((p) => fnmatch(n, p))) out.push(n);
  }
  return out;
}

/** "20240102.030405" -> "2024-01-02 03:04:05" for date(1). */
export function zipinfoTime(t: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})\.(\d{2})(\d{2})(\d{2})$/.exec(t);
  if (!m) throw new ModuleError(`unarchive: zipinfo time ${JSON.stringify(t)} is not YYYYMMDD.HHMMSS`);
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`;
}

// Round trip 1: the programs, `unzip -l` (can the archive be read), `zipinfo -T -s`
// with Ansible's filters, `unzip -Z1` (every name) and `unzip -v` (CRC-32s).
// $1: the archive, or - for stdin (copied to a temporary file, removed on exit); then zipinfo's filter args.
export const LIST_SCRIPT = [
  'a=$1; shift',
  'if [ "$a" = - ]; then t=$(mktemp) || exit 97; trap \'rm -f "$t"\' EXIT; cat > "$t" || exit 97; a=$t; fi',
  'u=$(command -v unzip); z=$(command -v zipinfo)',
  'printf "%s\\n%s\\n" "$u" "$z"',
  '[ -n "$u" ] || exit 0',
  'err=$(LC_ALL=C unzip -l "$a" 2>&1 >/dev/null); printf "@@tsplay-zip %s\\n" $?; printf "%s\\n" "$err"',
  'if [ -n "$z" ]; then out=$(LC_ALL=C zipinfo -T -s "$a" "$@" 2>/dev/null); else out=$(LC_ALL=C unzip -Z -T -s "$a" "$@" 2>/dev/null); fi',
  'printf "@@tsplay-zip %s\\n" $?; printf "%s\\n" "$out"',
  'printf "@@tsplay-zip names\\n"; LC_ALL=C unzip -Z1 "$a" 2>/dev/null',
  'printf "@@tsplay-zip crc\\n"; LC_ALL=C unzip -v "$a" 2>/dev/null',
  // unzip's own matching of the include/exclude patterns as unzip -o will do it (zipinfo accepts a
  // pattern that matches nothing when another matches; unzip -l one that only overlaps another)
  'err=$(LC_ALL=C unzip -tqq "$a" "$@" 2>&1 >/dev/null); printf "@@tsplay-zip %s\\n" $?; printf "%s\\n" "$err"',
].join('\n');

export interface ZipListing {
  unzip?: string;
  zipinfo?: string;
  /** `unzip -l`: rc and stderr. */
  listRc?: number;
  listErr?: string;
  zipinfoRc?: number;
  zipinfoOut?: string;
  names?: string[];
  crc?: string;
  /** `unzip -tqq` with the filters: rc (11: a pattern matches nothing, and unzip -o will fail) and what it said. */
  filterRc?: number;
  filterErr?: string;
}

/** LIST_SCRIPT's output in parts. Pure. */
export function parseListing(stdout: string): ZipListing {
  const lines = stdout.split('\n');
  const out: ZipListing = {};
  if (lines[0]) out.unzip = lines[0];
  if (lines[1]) out.zipinfo = lines[1];
  const marks = lines.map((l, i) => (l.startsWith('@@tsplay-zip ') ? i : -1)).filter((i) => i >= 0);
  const part = (k: number) => lines.slice(marks[k] + 1, k + 1 < marks.length ? marks[k + 1] : lines.length).join('\n');
  if (marks.length >= 1) {
    out.listRc = Number(lines[marks[0]].slice(13));
    out.listErr = part(0).replace(/\n+$/, '');
  }
  if (marks.length >= 2) {
    out.zipinfoRc = Number(lines[marks[1]].slice(13));
    out.zipinfoOut = part(1);
  }
  if (marks.length >= 4) {
    out.names = part(2).split('\n').filter((l) => l !== '');
    out.crc = part(3);
  }
  if (marks.length >= 5) {
    out.filterRc = Number(lines[marks[4]].slice(13));
    out.filterErr = part(4).replace(/\n+$/, '');
  }
  return out;
}

// Round trip 2: who runs, the umask, the owner/group arguments as getent resolves
// them, then for each path under dest its lstat and a regular file's CRC-32 (from
// gzip's trailer), then the entries' times as epoch seconds (date -f).
// $1 dest, $2 owner, $3 group, $4 N, then N paths, then the times.
export const STAT_SCRIPT = [
  'd=$1; o=$2; g=$3; n=$4; shift 4',
  'umask; id -u; id -un; id -g; id -gn; id -G',
  'if [ -n "$o" ]; then getent passwd "$o" | head -n 1 | cut -d: -f1,3; fi; echo @',
  'if [ -n "$g" ]; then getent group "$g" | head -n 1 | cut -d: -f1,3; fi; echo @',
  'i=0',
  'for f in "$@"; do',
  '  i=$((i+1)); [ "$i" -le "$n" ] || break',
  '  p=$d/$f',
  '  if [ -L "$p" ] || [ -e "$p" ]; then',
  '    s=$(stat -c "%f|%s|%.9Y|%u|%g|%U|%G" -- "$p") || s=-',
  '    c=-; if [ -f "$p" ] && [ ! -L "$p" ]; then c=$(gzip -1 -c < "$p" | tail -c 8 | od -An -tx4 -N4 --endian=little | tr -d " \\n"); fi',
  '    printf "%s|%s\\n" "$s" "$c"',
  '  else echo -; fi',
  'done',
  'echo @',
  'i=0; for x in "$@"; do i=$((i+1)); [ "$i" -gt "$n" ] && printf "%s\\n" "$x"; done | LC_ALL=C date -f - +%s',
].join('\n');

export interface StatOutput {
  ids: ZipHostIds;
  stats: Array<ZipPathState | undefined>;
  times: number[];
}

const TYPES: Record<number, ZipPathState['type']> = { 0o100000: 'file', 0o040000: 'directory', 0o120000: 'link' };

/** STAT_SCRIPT's output. Pure. */
export function parseStat(stdout: string, nPaths: number, nTimes: number): StatOutput {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let i = 0;
  const next = () => {
    if (i >= lines.length) throw new ModuleError('unarchive: the stat of dest was cut short');
    return lines[i++];
  };
  const umask = parseInt(next(), 8);
  const uid = Number(next());
  const user = next();
  const gid = Number(next());
  const groupName = next();
  const groups = next().split(' ').filter(Boolean).map(Number);
  const account = () => {
    const l = next();
    if (l === '@') return undefined;
    next(); // its @
    const [name, id] = l.split(':');
    return id !== undefined && /^\d+$/.test(id) ? { name, id: Number(id) } : undefined;
  };
  const owner = account();
  const group = account();
  const stats: Array<ZipPathState | undefined> = [];
  for (let k = 0; k < nPaths; k++) {
    const l = next();
    if (l === '-') { stats.push(undefined); continue; }
    const f = l.split('|');
    if (f.length < 8) throw new ModuleError(`unarchive: cannot read the state of a member under dest: ${l}`);
    const raw = parseInt(f[0], 16);
    const [sec, ns = '0'] = f[2].split('.');
    const crc = f[7];
    stats.push({
      type: TYPES[raw & 0o170000] ?? 'other', size: Number(f[1]), mtime: Number(sec), mtimeNs: Number(ns.padEnd(9, '0')),
      mode: raw & 0o7777, uid: Number(f[3]), gid: Number(f[4]),
      ...(f[5] !== 'UNKNOWN' ? { owner: f[5] } : {}), ...(f[6] !== 'UNKNOWN' ? { group: f[6] } : {}),
      ...(/^[0-9a-f]{8}$/.test(crc) ? { crc: parseInt(crc, 16) } : {}),
    });
  }
  if (next() !== '@') throw new ModuleError('unarchive: unexpected output from the stat of dest');
  const times = lines.slice(i).map(Number);
  if (times.length !== nTimes || times.some((t) => !Number.isFinite(t))) throw new ModuleError('unarchive: the host could not convert zipinfo\'s times (date -f)');
  return { ids: { umask, uid, user, gid, groupName, groups, ...(owner ? { owner } : {}), ...(group ? { group } : {}) }, stats, times };
}

// The extraction: $1 the archive (or - : stdin to a temporary file), $2 how many
// of the arguments come before the archive's path; the rest are unzip's. The
// archive is tested whole first (`unzip -tqq`), so a damaged member fails
// before anything is written.
export const EXTRACT_SCRIPT = [
  'a=$1; k=$2; shift 2',
  'if [ "$a" = - ]; then t=$(mktemp) || exit 97; trap \'rm -f "$t"\' EXIT; cat > "$t" || exit 97; a=$t; fi',
  'unzip -tqq "$a" || exit $?',
  'i=0; for x in "$@"; do shift; i=$((i+1)); set -- "$@" "$x"; if [ "$i" -eq "$k" ]; then set -- "$@" "$a"; fi; done',
  'unzip "$@"',
].join('\n');
