// find: Ansible's find module: the files under some directories that match
// name patterns, type, age, size and content; read-only (docs/modules/find.md).
// One round trip lists every directory (GNU find -printf, NUL-separated
// fields); `contains` reads the candidate files in a second one. Selection,
// order and counts are the pure plan, following Ansible's os.walk.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { HostReader } from '../engine/module-api.js';
import { fnmatch } from '../engine/template/fnmatch.js';
import { compilePythonRegex } from './lib/py-regex.js';

const strings = S.anyOf([S.string(), S.array(S.string())]);
const pathList = S.anyOf([S.string({ pattern: '^[^-]' }), S.array(S.string({ pattern: '^[^-]' }))]);

const schema = S.object({
  paths: S.with(pathList, { description: 'directories to search (a list, or comma-separated)' }),
  path: S.with(pathList, { description: 'alias of paths' }),
  name: S.with(pathList, { description: 'alias of paths' }),
  patterns: S.with(strings, { description: 'basename patterns (shell globs, or Python regexes with use_regex); any one matches; default all' }),
  pattern: S.with(strings, { description: 'alias of patterns' }),
  excludes: S.with(strings, { description: 'basename patterns that exclude a match' }),
  exclude: S.with(strings, { description: 'alias of excludes' }),
  contains: S.string({ description: 'a Python regex a line of the file must match from its start (file_type file only)' }),
  read_whole_file: S.boolean({ default: false, description: 'contains is searched for anywhere in the whole file instead of matched per line' }),
  file_type: S.enum(['file', 'directory', 'link', 'any'], { default: 'file', description: 'what kind of entry to return' }),
  age: S.string({ pattern: '^-?[0-9]+[smhdwSMHDW]?$', description: 'at least this old (e.g. 2d, 4w); negative: at most this old' }),
  age_stamp: S.enum(['mtime', 'atime', 'ctime'], { default: 'mtime', description: 'the timestamp age compares' }),
  size: S.string({ pattern: '^-?[0-9]+[bkmgtBKMGT]?$', description: 'at least this big (e.g. 10m); negative: at most; regular files only' }),
  recurse: S.boolean({ default: false, description: 'descend into subdirectories' }),
  hidden: S.boolean({ default: false, description: 'include entries whose name starts with a dot' }),
  follow: S.boolean({ default: false, description: 'descend into symlinked directories' }),
  get_checksum: S.boolean({ default: false, description: 'not available in tsplay: true is refused' }),
  use_regex: S.boolean({ default: false, description: 'patterns and excludes are Python regexes matched at the start of the name' }),
  depth: S.integer({ minimum: 0, description: 'with recurse: how deep to go (1: the directory\'s own entries); 0 or unset: no limit' }),
}, { additionalProperties: false });

export type FindArgs = Static<typeof schema>;

/** One entry as find reports it (lstat), with the type its symlink resolves to. */
export interface FindEntry {
  path: string;
  /** find %y: f d l b c p s (lstat). */
  type: string;
  /** find %Y: the type followed through symlinks (N: dangling, L: loop). */
  target: string;
  /** Permission bits, octal, with the setuid/setgid/sticky bits (find %m). */
  mode: string;
  uid: number;
  gid: number;
  /** '' when the ID has no name (as Ansible). */
  owner: string;
  group: string;
  size: number;
  inode: number;
  dev: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
  /** 1: an entry of the searched directory. */
  depth: number;
}

export interface FindState {
  /** The host's clock (epoch s). */
  now: number;
  /** Per searched path: its entries in find's (directory) order, or why it was skipped. */
  roots: Array<{ path: string; entries?: FindEntry[]; error?: string }>;
  /** With contains: the text of each candidate file (null: unreadable or not text). */
  contents?: Record<string, string | null>;
}

const FIELDS = 16;
const FORMAT = ['%y', '%Y', '%m', '%U', '%G', '%u', '%g', '%s', '%i', '%D', '%n', '%A@', '%T@', '%C@', '%d', '%p'].join('\\0') + '\\0';

/** Parse the NUL-separated -printf output. Pure. */
export function parseFindOutput(stdout: string): FindEntry[] {
  const f = stdout.split('\0');
  const out: FindEntry[] = [];
  for (let i = 0; i + FIELDS <= f.length; i += FIELDS) {
    const [type, target, mode, uid, gid, owner, group, size, inode, dev, nlink, atime, mtime, ctime, depth, path] = f.slice(i, i + FIELDS);
    out.push({
      path: normPath(path), type, target, mode: mode.padStart(4, '0'), uid: Number(uid), gid: Number(gid),
      owner: owner === uid ? '' : owner, group: group === gid ? '' : group,
      size: Number(size), inode: Number(inode), dev: Number(dev), nlink: Number(nlink),
      atime: Number(atime), mtime: Number(mtime), ctime: Number(ctime), depth: Number(depth),
    });
  }
  return out;
}

/** Python's os.path.normpath for absolute and relative POSIX paths (no symlink resolution). */
export function normPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !abs) out.push(part);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s || (abs ? '/' : '.');
}

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : v.split(',').map((s) => s.trim()).filter(Boolean);
}

function pathsOf(args: FindArgs): string[] {
  const given = [args.paths, args.path, args.name].filter((v) => v !== undefined);
  if (given.length !== 1) throw new ModuleError(given.length ? 'find: paths, path and name are aliases; give one' : 'find: paths is required');
  return list(given[0]);
}

const AGE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function amount(v: string | undefined, units: Record<string, number>): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(-?\d+)([a-z])?$/.exec(v.toLowerCase());
  if (!m) throw new ModuleError(`find: cannot read ${JSON.stringify(v)}`);
  return Number(m[1]) * (m[2] ? units[m[2]] : 1);
}

interface Filters {
  patterns: string[];
  excludes: string[];
  useRegex: boolean;
  age?: number;
  size?: number;
}

/** Python's re.match: the pattern anchored at the start of the text only. */
function atStart(pattern: string, what: string): RegExp {
  let re: RegExp;
  try {
    re = compilePythonRegex(pattern, what);
  } catch (e) {
    throw new ModuleError(`find: ${(e as Error).message}`);
  }
  return new RegExp(`^(?:${re.source})`, re.flags.replace(/[gy]/g, ''));
}

function nameMatches(name: string, f: Filters): boolean {
  // Ansible's pfilter: any pattern matches, then no exclude does.
  const test = (p: string) => (f.useRegex ? atStart(p, 'pattern').test(name) : fnmatch(name, p));
  return f.patterns.some(test) && !f.excludes.some(test);
}

function ageOk(e: FindEntry, now: number, age: number | undefined, stamp: 'mtime' | 'atime' | 'ctime'): boolean {
  if (age === undefined) return true;
  const d = now - e[stamp];
  return age >= 0 ? d >= Math.abs(age) : d <= Math.abs(age);
}

function sizeOk(e: FindEntry, size: number | undefined): boolean {
  if (size === undefined) return true;
  return size >= 0 ? e.size >= Math.abs(size) : e.size <= Math.abs(size);
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const parentOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';

/** The entries of one searched directory in os.walk's order (each directory's files, then its subdirectories, then theirs). */
export function walkOrder(root: string, entries: readonly FindEntry[], follow: boolean): FindEntry[] {
  const children = new Map<string, FindEntry[]>();
  for (const e of entries) {
    const parent = parentOf(e.path);
    let l = children.get(parent);
    if (!l) children.set(parent, (l = []));
    l.push(e);
  }
  const out: FindEntry[] = [];
  const visit = (dir: string) => {
    const kids = children.get(dir) ?? [];
    // os.walk: a symlink to a directory is listed with the directories.
    const isDir = (e: FindEntry) => e.target === 'd';
    const dirs = kids.filter(isDir);
    out.push(...kids.filter((e) => !isDir(e)), ...dirs);
    for (const d of dirs) if (follow || d.type !== 'l') visit(d.path);
  };
  visit(normPath(root));
  return out;
}

/** The candidate files (before `contains`) and the counts. Pure. */
export function select(args: FindArgs, state: FindState): { files: FindEntry[]; examined: number; skipped: Record<string, string> } {
  if (args.get_checksum) throw new ModuleError('find: get_checksum is not available in tsplay');
  const useRegex = args.use_regex;
  const patterns = list(args.patterns ?? args.pattern);
  const filters: Filters = {
    patterns: patterns.length ? patterns : [useRegex ? '.*' : '*'],
    excludes: list(args.excludes ?? args.exclude),
    useRegex,
    age: amount(args.age, AGE_UNITS),
    size: amount(args.size, SIZE_UNITS),
  };
  const depth = args.depth ? args.depth : undefined;
  const files: FindEntry[] = [];
  const skipped: Record<string, string> = {};
  let examined = 0;
  for (const r of state.roots) {
    if (!r.entries) {
      skipped[r.path] = r.error ?? `'${r.path}' is not a directory`;
      continue;
    }
    // Ansible counts every entry of each directory it walks, then drops those deeper than depth.
    const walked = walkOrder(r.path, r.entries, args.follow);
    const seen = args.recurse ? walked.filter((e) => depth === undefined || e.depth <= depth + 1) : walked.filter((e) => e.depth === 1);
    examined += seen.length;
    for (const e of seen) {
      if (depth !== undefined && e.depth > depth) continue;
      if (basename(e.path).startsWith('.') && !args.hidden) continue;
      const ageMatch = () => nameMatches(basename(e.path), filters) && ageOk(e, state.now, filters.age, args.age_stamp);
      let ok: boolean;
      if (args.file_type === 'any') ok = ageMatch() && (e.type !== 'f' || sizeOk(e, filters.size));
      else if (args.file_type === 'directory') ok = e.type === 'd' && ageMatch();
      else if (args.file_type === 'file') ok = e.type === 'f' && ageMatch() && sizeOk(e, filters.size);
      else ok = e.type === 'l' && ageMatch();
      if (ok) files.push(e);
    }
  }
  return { files, examined, skipped };
}

function containsOk(text: string | null | undefined, pattern: string, whole: boolean): boolean {
  if (text === null || text === undefined) return false;
  if (whole) {
    const re = compilePythonRegex(pattern, 'contains');
    return new RegExp(re.source, re.flags.replace(/[gy]/g, '')).test(text);
  }
  const re = atStart(pattern, 'contains');
  // Python iterates lines with their newline; re.match anchors at the line's start.
  return text.split(/(?<=\n)/).some((line) => re.test(line));
}

/** Ansible's stat keys for one entry (find's statinfo). */
export function statInfo(e: FindEntry): Record<string, unknown> {
  const m = parseInt(e.mode, 8);
  return {
    path: e.path,
    mode: e.mode,
    isdir: e.type === 'd', ischr: e.type === 'c', isblk: e.type === 'b', isreg: e.type === 'f',
    isfifo: e.type === 'p', islnk: e.type === 'l', issock: e.type === 's',
    uid: e.uid, gid: e.gid, size: e.size, inode: e.inode, dev: e.dev, nlink: e.nlink,
    atime: e.atime, mtime: e.mtime, ctime: e.ctime, gr_name: e.group, pw_name: e.owner,
    wusr: (m & 0o200) !== 0, rusr: (m & 0o400) !== 0, xusr: (m & 0o100) !== 0,
    wgrp: (m & 0o20) !== 0, rgrp: (m & 0o40) !== 0, xgrp: (m & 0o10) !== 0,
    woth: (m & 0o2) !== 0, roth: (m & 0o4) !== 0, xoth: (m & 0o1) !== 0,
    isuid: (m & 0o4000) !== 0, isgid: (m & 0o2000) !== 0,
  };
}

/** One directory's listing: a directory's entries, else rc 3 and why. Paths are positional parameters; `~` is the login's $HOME. */
function listArgv(path: string, args: FindArgs): string[] {
  const script =
    'p=$1; case $p in "~") p=$HOME;; "~/"*) p=$HOME/${p#"~/"};; esac; ' +
    'if [ ! -d "$p" ]; then printf "%s" "\'$p\' is not a directory" >&2; exit 3; fi; ' +
    `exec find ${args.follow ? '-L ' : ''}"$p" -mindepth 1 ${args.recurse ? (args.depth ? `-maxdepth ${args.depth + 1} ` : '') : '-maxdepth 1 '}-printf '${FORMAT}'`;
  return ['sh', '-c', script, 'sh', path];
}

export default defineModule<typeof schema, FindState>({
  name: 'find',
  description: 'List the files under directories that match patterns, type, age, size or content (read-only)',
  schema,

  async gather(args, host: HostReader) {
    const paths = pathsOf(args);
    // Raw runAll, not a fact: a directory walk; --check does not predict files earlier tasks would create here.
    const rs = await host.runAll([['date', '+%s.%N'], ...paths.map((p) => listArgv(p, args))]);
    const state: FindState = {
      now: Number(rs[0].stdout.trim()),
      roots: paths.map((path, i) => {
        const r = rs[i + 1];
        if (r.rc === 3) return { path, error: r.stderr.trim() };
        // find exits 1 when some entry could not be read; what it listed stands (Ansible warns and goes on).
        if (r.rc !== 0 && r.stdout === '') return { path, error: r.stderr.trim() || `find exited with rc ${r.rc}` };
        return { path, entries: parseFindOutput(r.stdout) };
      }),
    };
    if (args.contains !== undefined && args.file_type === 'file') {
      const candidates = select(args, state).files.map((e) => e.path);
      if (candidates.length) {
        const texts = await host.runAll(candidates.map((p) => ['cat', '--', p]));
        state.contents = Object.fromEntries(candidates.map((p, i) => [p, texts[i].rc === 0 && !texts[i].stdout.includes('\uFFFD') ? texts[i].stdout : null]));
      } else state.contents = {};
    }
    return state;
  },

  plan(args, state) {
    pathsOf(args);
    const selected = select(args, state);
    const { examined, skipped } = selected;
    let files = selected.files;
    if (args.contains !== undefined && args.file_type === 'file') {
      const contains = args.contains;
      files = files.filter((e) => containsOk(state.contents?.[e.path], contains, args.read_whole_file));
    }
    const warned = Object.keys(skipped).length > 0;
    const result = {
      files: files.map(statInfo),
      matched: files.length,
      examined,
      skipped_paths: skipped,
      msg: warned ? 'Not all paths examined, check warnings for details' : 'All paths examined',
      ...(warned ? { warnings: Object.entries(skipped).map(([p, why]) => `Skipped '${p}' path due to this access issue: ${why}`) } : {}),
    };
    return { changed: false, reason: `${files.length} of ${examined} entries matched`, result };
  },
});
