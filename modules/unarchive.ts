// unarchive: Ansible's unarchive for tar archives (plain, gzip, bzip2, xz,
// zstd) with GNU tar on the host (docs/modules/unarchive.md). The archive is
// the controller's file (streamed on tar's stdin, never left on the host) or,
// with remote_src, a file on the host. Changed as Ansible decides it: gather
// runs `tar --diff` (read-only) and the same differences count (missing
// files, mod time, mode/uid/gid unless given); then mode/owner/group apply to
// every member. zip archives as Ansible's ZipArchive handles them, with unzip
// and zipinfo on the host (modules/lib/zip-archive.ts).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState, HostReader, Plan, Prediction, RunResult, Step } from '../engine/module-api.js';
import { file as fileFact } from '../engine/facts/file.js';
import { packages as packagesFact } from '../engine/facts/packages.js';
import { statFields } from '../engine/facts/file-result.js';
import { attrSchema, wantedAttrs } from './lib/file-attrs.js';
import { formatMode, isOctalMode, normalizeSymbolicMode, parseOctalMode, resolveMode } from './lib/file-mode.js';
import { compareZip, EXTRACT_SCRIPT, filesInArchive, LIST_SCRIPT, parseListing, parseStat, parseUnzipV, parseZipinfo, STAT_SCRIPT, zipinfoTime } from './lib/zip-archive.js';
import type { ZipEntry, ZipHostIds, ZipPathState } from './lib/zip-archive.js';

const strList = S.anyOf([S.string(), S.array(S.string())]);

const schema = S.object({
  src: S.string({ pattern: '^[^-]', minLength: 1, description: "the archive: a file on the controller (relative to the playbook), or on the host with remote_src (absolute)" }),
  dest: S.string({ pattern: '^/', description: 'an existing directory to unpack into' }),
  remote_src: S.boolean({ default: false, description: 'src is already on the host' }),
  copy: S.boolean({ description: 'deprecated inverse of remote_src (copy: false is remote_src: true)' }),
  creates: S.string({ pattern: '^/', description: 'skip when this path exists' }),
  extra_opts: S.with(strList, { description: 'more GNU tar options (e.g. --strip-components=1), or unzip options for a zip (e.g. -j); options that run commands or change the archive or directory used are refused' }),
  exclude: S.with(strList, { description: 'members not to unpack (tar --exclude)' }),
  include: S.with(strList, { description: 'only these members' }),
  keep_newer: S.boolean({ default: false, description: 'do not replace files newer than the archive\'s' }),
  list_files: S.boolean({ default: false, description: 'return the archive\'s members as files' }),
  ...attrSchema,
}, { additionalProperties: false, required: ['src', 'dest'] });

export type UnarchiveArgs = Static<typeof schema>;

export interface Member {
  /** Relative to dest, as tar lists it (transformed by extra_opts). */
  name: string;
  /** Current mode (octal), owner and group names under dest; absent: missing. */
  mode?: string;
  owner?: string;
  group?: string;
}

export interface UnarchiveState {
  dest: FileState;
  creates?: FileState;
  /** The archive's compression flag for tar (controller archives: from its magic bytes). */
  zipflag?: string;
  /** `tar --diff` output lines (stdout and stderr), when it ran. */
  diff?: string[];
  diffRc?: number;
  /** The archive's members (tar --list), when list_files or attributes need them. */
  members?: Member[];
  /** Size of the archive (0: Ansible refuses). */
  size?: number;
  /** The controller archive's bytes, for the extract step. */
  archive?: Buffer;
  zip?: ZipState;
}

/** What gather learnt about a zip archive and dest. */
export interface ZipState {
  /** Ansible's handler: ZipArchive, or ZipZArchive when only unzip is there (unzip -Z as zipinfo). */
  handler: string;
  /** The reasons no zip handler can read it (Ansible's "Failed to find handler" lines). */
  failure?: string[];
  /** --check: unzip is missing, but an earlier task installs it. */
  unzipPredicted?: boolean;
  zipinfoRc?: number;
  /** unzip's verdict on the include/exclude patterns (11: one matches nothing) and what it said. */
  filterRc?: number;
  filterErr?: string;
  entries?: ZipEntry[];
  /** Every member's name (Python's namelist). */
  names?: string[];
  crc?: Record<string, number>;
  ids?: ZipHostIds;
  /** dest/PATH for each entry, name and top folder (null: missing). */
  stats?: Record<string, ZipPathState | null>;
  /** Each entry's zipinfo time as epoch seconds on the host. */
  times?: Record<string, number>;
}

/** tar's compression flag from the first bytes. */
export function compressionFlag(head: Buffer): string | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return '-z';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return '-j';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return '-J';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return '--zstd';
  if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04') return 'zip';
  return undefined;
}

const RUNS_COMMANDS = /^(-I|--use-compress-program|--to-command|--checkpoint-action|--info-script|--new-volume-script|-F|--rsh-command|--rmt-command|-f|--file|-C|--directory|--index-file|-T|--files-from)(=|$)|^-[A-Za-z]*[IFfCT]/;

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** unzip options that change what is read or where it goes (-d DIR, -Z: zipinfo mode). */
const ZIP_REFUSED = /^-[A-Za-z]*[dZ]/;

function zipExtraOpts(args: UnarchiveArgs): string[] {
  const opts = list(args.extra_opts);
  const bad = opts.find((o) => ZIP_REFUSED.test(o));
  if (bad !== undefined) throw new ModuleError(`unarchive: extra_opts ${JSON.stringify(bad)} is refused for a zip (it changes the directory or mode unzip uses)`);
  return opts;
}

function extraOpts(args: UnarchiveArgs): string[] {
  const opts = list(args.extra_opts);
  const bad = opts.find((o) => RUNS_COMMANDS.test(o));
  if (bad !== undefined) throw new ModuleError(`unarchive: extra_opts ${JSON.stringify(bad)} is refused (it runs a command or changes which archive or directory tar uses)`);
  return opts;
}

/** tar's options common to --list, --diff and --extract, Ansible's order; the archive on stdin or at src. */
function tarArgv(op: '--list' | '--diff' | '--extract', args: UnarchiveArgs, zipflag: string | undefined): string[] {
  if (list(args.include).length && list(args.exclude).length) throw new ModuleError('unarchive: include and exclude are mutually exclusive');
  const opts = extraOpts(args);
  const argv = ['tar', op, '-C', args.dest];
  if (zipflag) argv.push(zipflag);
  if (opts.length) argv.push('--show-transformed-names', ...opts);
  if (op !== '--list') {
    if (args.owner !== undefined) argv.push(`--owner=${String(args.owner)}`);
    if (args.group !== undefined) argv.push(`--group=${String(args.group)}`);
    if (args.keep_newer) argv.push('--keep-newer-files');
  }
  for (const e of list(args.exclude)) argv.push(`--exclude=${e.replace(/\/+$/, '')}`);
  argv.push('-f', remote(args) ? args.src : '-');
  const inc = list(args.include);
  if (inc.length) argv.push('--', ...inc);
  return argv;
}

const remote = (args: UnarchiveArgs) => args.remote_src || args.copy === false;

/** tar's escaped member names (\\ooo, \\n, \\\\) back to text. */
export function unescapeTar(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      const oct = /^[0-7]{3}/.exec(s.slice(i + 1));
      if (oct) { bytes.push(parseInt(oct[0], 8)); i += 3; continue; }
      const map: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
      if (s[i + 1] in map) { bytes.push(map[s[i + 1]]); i += 1; continue; }
    }
    bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Ansible's TgzArchive.is_unarchived: which --diff lines count as "not unarchived". Pure. */
export function diffCounts(lines: readonly string[], args: UnarchiveArgs, asRoot = true): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (/: : Warning: Cannot stat: No such file or directory$/.test(line)) continue;
    if (asRoot && args.owner === undefined && /: Uid differs$/.test(line)) out.push(line);
    if (asRoot && args.group === undefined && /: Gid differs$/.test(line)) out.push(line);
    if (args.mode === undefined && /: Mode differs$/.test(line)) out.push(line);
    if (/: Mod time differs$/.test(line)) out.push(line);
    if (/: Warning: Cannot stat: No such file or directory$/.test(line)) out.push(line);
    if (/: Invalid owner/.test(line)) out.push(line);
    if (/: Invalid group/.test(line)) out.push(line);
  }
  return out;
}

function parseMembers(r: RunResult): string[] {
  if (r.rc !== 0) throw new ModuleError(`unarchive: Unable to list files in the archive: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n');
  if (lines.at(-1) === '') lines.pop(); // Python's splitlines(): no empty tail, inner empty names stay
  return lines.map((l) => unescapeTar(l).replace(/^\/+/, ''));
}

const STAT_MEMBERS = 'cd -- "$1" || exit 1; shift; for f in "$@"; do if [ -e "$f" ] || [ -L "$f" ]; then stat -c "%a %U %G" -- "$f"; else echo -; fi; done';

export default defineModule<typeof schema, UnarchiveState>({
  name: 'unarchive',
  description: 'Unpack a tar archive (gz, bz2, xz, zstd) from the controller or the host into a directory',
  schema,

  async gather(args, host, ctx) {
    const [dest, creates] = await host.getAll(fileFact, args.creates !== undefined ? [args.dest, args.creates] : [args.dest]);
    const state: UnarchiveState = { dest };
    if (creates) state.creates = creates;
    if (creates?.exists || !dest.exists || dest.type !== 'directory' || dest.predicted) return state;
    const stdin = remote(args) ? undefined : await ctx.readLocalFile(args.src);
    if (stdin) {
      state.archive = stdin;
      state.size = stdin.length;
      state.zipflag = compressionFlag(stdin.subarray(0, 8));
      if (state.zipflag === 'zip') {
        if (state.size > 0) state.zip = await gatherZip(args, host, stdin);
        return state;
      }
    } else {
      const [sz] = await host.runAll([['stat', '-c', '%s', '--', args.src]]);
      if (sz.rc !== 0) throw new ModuleError(`unarchive: Source '${args.src}' does not exist`);
      state.size = Number(sz.stdout.trim());
      const head = await host.run(['head', '-c', '8', '--', args.src]);
      state.zipflag = compressionFlag(Buffer.from(head.stdout, 'latin1'));
      if (state.zipflag === 'zip') {
        if (state.size > 0) state.zip = await gatherZip(args, host, undefined);
        return state;
      }
    }
    if (state.size === 0) return state;
    // Raw reads (tar on the archive; no prediction alters an archive's comparison with dest).
    const env = { LANG: 'C', LC_ALL: 'C' };
    const diff = await host.run(tarArgv('--diff', args, state.zipflag), { stdin, env });
    state.diff = [...diff.stdout.split('\n'), ...diff.stderr.split('\n')].filter((l) => l !== '');
    state.diffRc = diff.rc;
    const attrs = args.mode !== undefined || args.owner !== undefined || args.group !== undefined;
    if (args.list_files || attrs) {
      const names = parseMembers(await host.run(tarArgv('--list', args, state.zipflag), { stdin, env }));
      state.members = names.map((name) => ({ name }));
      if (attrs && names.length) {
        const r = await host.run(['sh', '-c', STAT_MEMBERS, 'sh', args.dest, ...names]);
        const lines = r.stdout.split('\n');
        state.members.forEach((m, i) => {
          const f = (lines[i] ?? '-').split(' ');
          if (f[0] !== '-' && f.length >= 3) Object.assign(m, { mode: f[0].padStart(4, '0'), owner: f[1], group: f[2] });
        });
      }
    }
    return state;
  },

  plan(args, state) {
    if (args.copy !== undefined && args.remote_src) throw new ModuleError('unarchive: copy and remote_src are mutually exclusive');
    const result: Record<string, unknown> = { dest: args.dest, src: args.src, handler: 'TgzArchive' };
    if (args.creates !== undefined && state.creates?.exists) {
      return { changed: false, reason: `skipped, since ${args.creates} exists`, result: { ...result, skipped: true, msg: `skipped, since ${args.creates} exists` } };
    }
    if (!state.dest.exists || state.dest.type !== 'directory') {
      if (state.dest.predicted && state.dest.type === 'directory') {
        // --check: an earlier task creates dest; everything would be unpacked.
        return { changed: true, summary: `unpack ${args.src} into ${args.dest} (an earlier task creates it)`, steps: [], result };
      }
      throw new ModuleError(`unarchive: Destination '${args.dest}' is not a directory`);
    }
    if (state.size === 0) throw new ModuleError(`unarchive: Invalid archive '${args.src}', the file is 0 bytes`);
    if (state.zipflag === 'zip') return planZip(args, state);
    const differs = diffCounts(state.diff ?? [], args);
    const steps: Step[] = [];
    const parts: string[] = [];
    if (differs.length) {
      steps.push({ kind: 'run', argv: tarArgv('--extract', args, state.zipflag), env: { LANG: 'C', LC_ALL: 'C' }, ...(state.archive ? { stdin: state.archive } : {}) });
      parts.push(`unpack ${args.src} into ${args.dest} (${differs.length} difference${differs.length === 1 ? '' : 's'}: ${differs[0]})`);
    }
    // Ansible: mode/owner/group on every member and on each top folder.
    const members = state.members ?? [];
    if (args.mode !== undefined || args.owner !== undefined || args.group !== undefined) {
      const tops = [...new Set(members.filter((m) => m.name.includes('/')).map((m) => m.name.split('/')[0]))];
      const byName = new Map(members.map((m) => [m.name.replace(/\/+$/, ''), m]));
      const paths = [...members.map((m) => m.name.replace(/\/+$/, '')), ...tops.filter((t) => !byName.has(t))].filter((p) => p !== '');
      const chown: string[] = [];
      const chmod: string[] = [];
      let want: ReturnType<typeof wantedAttrs> = {};
      for (const p of paths) {
        const m = byName.get(p);
        const cur: FileState = m?.mode !== undefined ? { path: p, exists: true, mode: m.mode, owner: m.owner, group: m.group } : { path: p, exists: false };
        want = wantedAttrs(args, cur, m?.name.endsWith('/') ?? false);
        const fresh = differs.length > 0 || !cur.exists;
        if ((want.owner !== undefined && (fresh || cur.owner !== want.owner)) || (want.group !== undefined && (fresh || cur.group !== want.group))) chown.push(`${args.dest}/${p}`);
        if (want.mode !== undefined && (fresh || cur.mode !== want.mode)) chmod.push(`${args.dest}/${p}`);
      }
      if (chown.length) {
        const who = want.owner !== undefined && want.group !== undefined ? `${want.owner}:${want.group}` : want.owner ?? `:${want.group}`;
        steps.push({ kind: 'run', argv: ['chown', '-h', '--', who, ...chown] });
        parts.push(`owner/group of ${chown.length} member${chown.length === 1 ? '' : 's'}`);
      }
      if (chmod.length && args.mode !== undefined) {
        // A symbolic mode resolves per file; chmod applies it the same way.
        steps.push({ kind: 'run', argv: ['chmod', '--', String(typeof args.mode === 'number' ? args.mode.toString(8).padStart(4, '0') : args.mode), ...chmod] });
        parts.push(`mode of ${chmod.length} member${chmod.length === 1 ? '' : 's'}`);
      }
    }
    if (args.list_files) result.files = members.map((m) => m.name);
    if (!steps.length) return { changed: false, reason: `${args.src} is already unpacked in ${args.dest}`, result };
    return { changed: true, summary: parts.join('; '), steps, result };
  },
});

/** include/exclude as lists (each mutually exclusive with the other). */
function filters(args: UnarchiveArgs): { include: string[]; exclude: string[] } {
  const include = list(args.include);
  const exclude = list(args.exclude);
  if (include.length && exclude.length) throw new ModuleError('unarchive: include and exclude are mutually exclusive');
  return { include, exclude };
}

/** Top folders of the members, as Ansible sets their attributes too. */
const topFolders = (files: readonly string[]) => [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]))];

/** zipinfo's and unzip's view of the archive, then dest's state for every member: two round trips. */
async function gatherZip(args: UnarchiveArgs, host: HostReader, stdin: Buffer | undefined): Promise<ZipState> {
  const { include, exclude } = filters(args);
  const filterArgs = [...(exclude.length ? ['-x', ...exclude] : []), ...include];
  const r = await host.run(['sh', '-c', LIST_SCRIPT, 'sh', remote(args) ? args.src : '-', ...filterArgs], stdin ? { stdin } : {});
  if (r.rc !== 0) throw new ModuleError(`unarchive: cannot read ${args.src} on the host (rc ${r.rc}): ${r.stderr.trim()}`);
  const l = parseListing(r.stdout);
  const handler = l.zipinfo ? 'ZipArchive' : 'ZipZArchive';
  if (!l.unzip && (await host.get(packagesFact, 'unzip').then((p) => p.predicted === true && p.installed))) return { handler: 'ZipArchive', unzipPredicted: true };
  if (!l.unzip) return { handler, failure: ["Unable to find required 'unzip' or 'zipinfo' binary in the path.".replace(" or 'zipinfo'", l.zipinfo ? '' : " or 'zipinfo'"), "Unable to find required 'unzip' or 'unzip' binary in the path."] };
  if (l.listRc !== 0) {
    const why = `Command "${l.unzip}" could not handle archive: ${l.listErr ?? ''}\n`;
    return { handler, failure: l.zipinfo ? [why] : ["Unable to find required 'zipinfo' binary in the path.", why] };
  }
  const entries = parseZipinfo(l.zipinfoOut ?? '');
  const names = l.names ?? [];
  const crc = Object.fromEntries(parseUnzipV(l.crc ?? ''));
  const files = filesInArchive(names, include, exclude);
  const paths = [...new Set([...entries.map((e) => e.path), ...files, ...topFolders(files)])];
  const times = entries.map((e) => zipinfoTime(e.time));
  const s = await host.run(['sh', '-c', STAT_SCRIPT, 'sh', args.dest, String(args.owner ?? ''), String(args.group ?? ''), String(paths.length), ...paths, ...times]);
  if (s.rc !== 0) throw new ModuleError(`unarchive: cannot read the members under ${args.dest} (rc ${s.rc}): ${s.stderr.trim()}`);
  const st = parseStat(s.stdout, paths.length, times.length);
  return {
    handler, zipinfoRc: l.zipinfoRc, filterRc: l.filterRc, filterErr: l.filterErr, entries, names, crc, ids: st.ids,
    stats: Object.fromEntries(paths.map((p, i) => [p, st.stats[i] ?? null])),
    times: Object.fromEntries(entries.map((e, i) => [e.path, st.times[i]])),
  };
}

/** Ansible's ZipArchive: unpack when zipinfo failed or any member differs; then mode/owner/group on every member and top folder. Pure. */
function planZip(args: UnarchiveArgs, state: UnarchiveState): Plan {
  const z = state.zip!;
  // Ansible's result carries dest's own state (mode, owner, group, uid, gid, size, state), after the task
  const result: Record<string, unknown> = { dest: args.dest, src: args.src, handler: z.handler, ...statFields(state.dest, 'directory') };
  const opts = zipExtraOpts(args);
  if (z.unzipPredicted) {
    // --check: the package comes with an earlier task; then the archive is unpacked into dest
    return { changed: true, summary: `unzip ${args.src} into ${args.dest} (unzip is installed by an earlier task)`, steps: [], result };
  }
  if (z.failure) {
    throw new ModuleError(`Failed to find handler for "${args.src}". Make sure the required command to extract the file is installed.\n${z.failure.join('\n')}`);
  }
  const { include, exclude } = filters(args);
  const stats = new Map(Object.entries(z.stats ?? {}).map(([k, v]) => [k, v ?? undefined]));
  const cmp = compareZip(z.entries ?? [], stats, new Map(Object.entries(z.times ?? {})), new Map(Object.entries(z.crc ?? {})),
    { mode: args.mode, owner: args.owner, group: args.group, keep_newer: args.keep_newer ?? false, exclude }, z.ids!);
  const unpack = z.zipinfoRc !== 0 || cmp.includes.length > 0;
  const excludes = [...exclude, ...cmp.keptNewer];
  const files = filesInArchive(z.names ?? [], include, excludes);
  const steps: Step[] = [];
  const parts: string[] = [];
  if (unpack && z.filterRc !== 0) {
    // unzip -o would exit with this rc (a pattern matches nothing): Ansible's run fails so, after its --check said changed
    throw new ModuleError(`failed to unpack ${args.src} to ${args.dest}`, { handler: z.handler, dest: args.dest, src: args.src, rc: z.filterRc, err: z.filterErr });
  }
  if (unpack) {
    const before = ['-o', ...opts];
    const after = [...(excludes.length ? ['-x', ...excludes] : []), ...include, '-d', args.dest];
    steps.push({ kind: 'run', argv: ['sh', '-c', EXTRACT_SCRIPT, 'sh', remote(args) ? args.src : '-', String(before.length), ...before, ...after], ...(state.archive ? { stdin: state.archive } : {}) });
    const why = z.zipinfoRc !== 0 ? `zipinfo exited with rc ${z.zipinfoRc}` : `${cmp.includes.length} member${cmp.includes.length === 1 ? '' : 's'} differ: ${cmp.reasons[0] ?? cmp.includes[0]}`;
    parts.push(`unzip ${args.src} into ${args.dest} (${why})`);
  }
  if (args.mode !== undefined || args.owner !== undefined || args.group !== undefined) {
    const attr = zipAttributes(args, files, stats, z, unpack);
    steps.push(...attr.steps);
    parts.push(...attr.parts);
  }
  if (args.list_files) result.files = files;
  if (!steps.length) return { changed: false, reason: `${args.src} is already unpacked in ${args.dest}`, result };
  return { changed: true, summary: parts.join('; '), steps, result, statResult: { path: args.dest, state: 'directory' }, ...(unpack ? { predicts: zipPredictions(args.dest, z.entries ?? [], new Set(cmp.keptNewer)) } : {}) };
}

/** --check: what unzip leaves under dest (each listed member and its parent folders; a link's target is not known, so links are not predicted). */
function zipPredictions(dest: string, entries: readonly ZipEntry[], kept: ReadonlySet<string>): Prediction[] {
  const out = new Map<string, Prediction>();
  const dir = (rel: string) => {
    const path = `${dest}/${rel}`;
    if (!out.has(path)) out.set(path, { kind: 'file', path, state: 'directory' });
  };
  for (const e of entries) {
    if (kept.has(e.path) || e.path.split('/').some((p) => p === '..')) continue;
    const parts = e.path.replace(/\/+$/, '').split('/').filter((p) => p !== '' && p !== '.');
    if (!parts.length) continue;
    for (let i = 1; i < parts.length; i++) dir(parts.slice(0, i).join('/'));
    const rel = parts.join('/');
    if (e.path.endsWith('/')) dir(rel);
    else if (e.ztype !== 'l') out.set(`${dest}/${rel}`, { kind: 'file', path: `${dest}/${rel}`, state: 'file' });
  }
  return [...out.values()];
}

/**
 * Ansible's pass of set_fs_attributes_if_different over the members and top
 * folders: after an unpack on all of them (the task has changed anyway), else
 * only where the state gathered differs. Symlinks get owner/group (lchown),
 * never a mode (Ansible's chmod of a link changes nothing it reports).
 */
function zipAttributes(args: UnarchiveArgs, files: readonly string[], stats: ReadonlyMap<string, ZipPathState | undefined>, z: ZipState, unpack: boolean): { steps: Step[]; parts: string[] } {
  const ids = z.ids!;
  const kinds = new Map((z.entries ?? []).map((e) => [e.path, e.ztype === 'l' && !e.path.endsWith('/') ? 'link' : e.path.endsWith('/') ? 'directory' : 'file']));
  const paths = [...new Set([...files, ...topFolders(files)])];
  const account = (v: string | number | undefined, found: { id: number } | undefined, kind: 'user' | 'group') => {
    if (v === undefined) return undefined;
    if (/^\d+$/.test(String(v))) return Number(v);
    if (!found) throw new ModuleError(`unarchive: ${kind === 'user' ? 'chown' : 'chgrp'} failed: failed to look up ${kind} ${String(v)}`);
    return found.id;
  };
  const uid = account(args.owner, ids.owner, 'user');
  const gid = account(args.group, ids.group, 'group');
  const chown: string[] = [];
  const chmod = new Map<string, string[]>();
  for (const p of paths) {
    const st = stats.get(p);
    const target = `${args.dest}/${p.replace(/\/+$/, '')}`;
    const kind = st?.type ?? kinds.get(p) ?? 'directory';
    if ((uid !== undefined && (unpack || !st || st.uid !== uid)) || (gid !== undefined && (unpack || !st || st.gid !== gid))) chown.push(target);
    if (args.mode !== undefined && kind !== 'link') {
      let arg: string;
      if (unpack || !st) arg = isOctalMode(args.mode) ? formatMode(parseOctalMode(args.mode)) : normalizeSymbolicMode(String(args.mode));
      else {
        const want = resolveMode(args.mode, formatMode(st.mode), st.type === 'directory');
        if (parseInt(want, 8) === st.mode) continue;
        arg = want;
      }
      chmod.set(arg, [...(chmod.get(arg) ?? []), target]);
    }
  }
  const steps: Step[] = [];
  const parts: string[] = [];
  if (chown.length) {
    const who = args.owner !== undefined && args.group !== undefined ? `${String(args.owner)}:${String(args.group)}` : args.owner !== undefined ? String(args.owner) : `:${String(args.group)}`;
    steps.push({ kind: 'run', argv: ['chown', '-h', '--', who, ...chown] });
    parts.push(`owner/group of ${chown.length} member${chown.length === 1 ? '' : 's'}`);
  }
  for (const [mode, ps] of chmod) {
    steps.push({ kind: 'run', argv: ['chmod', '--', mode, ...ps] });
    parts.push(`mode ${mode} on ${ps.length} member${ps.length === 1 ? '' : 's'}`);
  }
  return { steps, parts };
}
