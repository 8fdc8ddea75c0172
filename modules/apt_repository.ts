// apt_repository: ansible.builtin.apt_repository for one-line sources
// (docs/modules/apt_repository.md): add or remove a `deb`/`deb-src` line in
// /etc/apt/sources.list or /etc/apt/sources.list.d/*.list, the file named as
// Ansible derives it from the line, then apt-get update. As Ansible, every
// sources file is read as entries and, when anything changes, written back
// normalised ("#deb" becomes "# deb", doubled blanks collapse) and a file
// left without entries is removed. PPAs (ppa:) are refused: they need Launchpad.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileDiff, FileState, Prediction, Step } from '../engine/module-api.js';
import { fileContent } from '../engine/facts/file.js';
import { contentDiff, writeExpectation } from './lib/file-content.js';
import { ModeError, resolveMode } from './lib/file-mode.js';

export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_DIR = '/etc/apt/sources.list.d';
const VALID_TYPES = ['deb', 'deb-src'];

const schema = S.object({
  repo: S.string({ minLength: 1, pattern: '^(?!\\s*ppa:)', description: 'the source line, e.g. "deb [signed-by=/etc/apt/keyrings/x.asc] http://host/debian bookworm main" (ppa: is refused: it needs Launchpad)' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'present adds (or re-enables) the line, absent removes every enabled copy' }),
  mode: S.types(['string', 'integer'], { description: 'mode of a file the line is added to (octal or symbolic); default: a new file gets 0644, an existing one keeps its mode' }),
  update_cache: S.boolean({ description: 'run apt-get update after a change (default true)' }),
  'update-cache': S.boolean({ description: 'alias of update_cache' }),
  update_cache_retries: S.integer({ minimum: 1, default: 5, description: 'attempts of apt-get update before the change is reverted and the task fails' }),
  update_cache_retry_max_delay: S.integer({ minimum: 0, default: 12, description: 'longest wait in seconds between attempts (waits double from 1 s)' }),
  filename: S.string({ minLength: 1, pattern: '^[^\\s]+$', description: 'the file to add to, without .list (which is appended); a name without / is in /etc/apt/sources.list.d' }),
  codename: S.string({ description: 'the codename for PPA lines; as in Ansible, no effect on a deb line' }),
  validate_certs: S.boolean({ default: true, description: "as in Ansible, only for a PPA's key download: no effect on a deb line" }),
}, { additionalProperties: false, required: ['repo'] });

export type AptRepositoryArgs = Static<typeof schema>;

export interface AptRepositoryState {
  /** /etc/apt/sources.list, every /etc/apt/sources.list.d/*.list, and the file a new line would go to. */
  files: FileState[];
}

/** One line of a sources file as Ansible's SourcesList holds it. */
export interface Entry {
  n: number;
  valid: boolean;
  enabled: boolean;
  source: string;
  comment: string;
}

/** Ansible's _parse: a line -> (valid, enabled, source, comment). */
export function parseSourceLine(raw: string): Omit<Entry, 'n'> {
  let line = raw.trim();
  let enabled = true;
  let comment = '';
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const i = line.indexOf('#');
  if (i > 0) {
    comment = line.slice(i + 1).trim();
    line = line.slice(0, i);
  }
  let source = line.trim();
  let valid = false;
  if (source) {
    const chunks = source.split(/\s+/);
    if (VALID_TYPES.includes(chunks[0])) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { valid, enabled, source, comment };
}

/** A file's text as Python iterates it: lines split at \n, \r\n or \r, no empty tail. */
export function sourceEntries(text: string): Entry[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|\r|\n/);
  if (/[\r\n]$/.test(text)) lines.pop();
  return lines.map((l, n) => ({ n, ...parseSourceLine(l) }));
}

/** Ansible's dump of one file's entries. */
export function renderEntries(entries: readonly Entry[]): string {
  return entries.map((e) => `${e.enabled ? '' : '# '}${e.source}${e.comment ? ` # ${e.comment}` : ''}\n`).join('');
}

/** Ansible's _suggest_filename: the file a new source goes to. */
export function suggestFilename(source: string, filename?: string): string {
  let name: string;
  if (filename !== undefined) name = filename;
  else {
    const line = source.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '');
    const parts = line.split(/\s+/).filter((p) => p !== '' && !VALID_TYPES.includes(p));
    let first = parts[0] ?? '';
    if (first.includes('@')) first = first.slice(first.indexOf('@') + 1);
    name = first.replace(/[^a-zA-Z0-9]/g, ' ').split(/\s+/).filter(Boolean).join('_');
  }
  const file = `${name}.list`;
  return file.includes('/') ? file : `${SOURCES_DIR}/${file}`;
}

/** The repo line as a source, or Ansible's "Invalid repository string". */
export function repoSource(repo: string): string {
  if (repo.trimStart().startsWith('ppa:')) throw new ModuleError(`${repo}: PPA repositories are not supported by tsplay (they need Launchpad); give the deb line and its key instead`);
  const p = parseSourceLine(repo);
  if (!p.valid || !p.enabled) {
    // The text Ansible names: without a leading #, and without a trailing comment.
    let line = repo.trim();
    if (line.startsWith('#')) line = line.slice(1);
    const i = line.indexOf('#');
    throw new ModuleError(`Invalid repository string: ${i > 0 ? line.slice(0, i) : line}`);
  }
  return p.source;
}

export function targetFile(args: Pick<AptRepositoryArgs, 'repo' | 'filename'>): string {
  return suggestFilename(repoSource(args.repo), args.filename);
}

function updateCache(args: AptRepositoryArgs): boolean {
  if (args.update_cache !== undefined && args['update-cache'] !== undefined) throw new ModuleError('update_cache and update-cache are aliases; give one');
  return args.update_cache ?? args['update-cache'] ?? true;
}

// apt-get update, retried as Ansible retries (waits 1, 2, 4... s up to the maximum); when every attempt
// fails, the files this change created are removed (the executor puts changed ones back) and it fails.
const UPDATE_SCRIPT = [
  'r=$1; max=$2; shift 2; n=0; d=1',
  'while :; do',
  '  apt-get update -q --error-on=any && exit 0',
  '  n=$((n+1)); [ "$n" -ge "$r" ] && break',
  '  [ "$d" -gt "$max" ] && d=$max; sleep "$d"; d=$((d*2))',
  'done',
  'rm -f -- "$@"',
  'echo "Failed to update apt cache after $r attempts" >&2; exit 1',
].join('\n');

function modeFor(arg: string | number, st: FileState): string {
  try {
    return resolveMode(arg, st.exists ? st.mode : undefined, false);
  } catch (e) {
    if (e instanceof ModeError) throw new ModuleError(e.message);
    throw e;
  }
}

export function planAptRepository(args: AptRepositoryArgs, state: AptRepositoryState) {
  const source = repoSource(args.repo);
  const target = suggestFilename(source, args.filename);
  const files = new Map<string, { st: FileState; before: string; entries: Entry[] }>();
  for (const st of state.files) {
    if (!st.exists || files.has(st.path)) continue;
    if (st.type !== undefined && st.type !== 'file') continue;
    const before = (st.content ?? Buffer.alloc(0)).toString('utf8');
    files.set(st.path, { st, before, entries: sourceEntries(before) });
  }
  const dump = () => new Map([...files].filter(([, f]) => f.entries.length).map(([p, f]) => [p, renderEntries(f.entries)]));
  const beforeDump = dump();
  const appended = new Set<string>();
  if (args.state === 'present') {
    let found = false;
    for (const f of files.values()) {
      for (const e of f.entries) {
        if (e.valid && e.source === source) {
          f.entries[e.n] = { ...f.entries[e.n], enabled: true };
          found = true;
        }
      }
    }
    if (!found) {
      let f = files.get(target);
      if (!f) {
        f = { st: state.files.find((s) => s.path === target) ?? { path: target, exists: false }, before: '', entries: [] };
        files.set(target, f);
      }
      f.entries.push({ n: f.entries.length, valid: true, enabled: true, source, comment: '' });
      appended.add(target);
    }
  } else {
    // Ansible's _remove_valid_source pops by each entry's line number while walking the list it pops from:
    // after one removal in a file, the next entry is skipped and later numbers point one further. As it does.
    for (const f of files.values()) {
      const list = f.entries;
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (e.valid && e.enabled && e.source === source && e.n < list.length) list.splice(e.n, 1);
      }
    }
  }
  const afterDump = dump();
  const same = beforeDump.size === afterDump.size && [...beforeDump].every(([p, t]) => afterDump.get(p) === t);
  const result = { repo: args.repo, state: args.state };
  if (same) {
    return { changed: false as const, reason: `${source} is ${args.state === 'present' ? 'present' : 'absent'}`, result };
  }

  // Ansible's save: every file written as its entries render; a file without entries removed.
  const steps: Step[] = [];
  const predicts: Prediction[] = [];
  const diff: FileDiff[] = [];
  const created: string[] = [];
  const removals: string[] = [];
  for (const [path, f] of files) {
    if (!f.entries.length) {
      if (f.st.exists) {
        removals.push(path);
        diff.push({ path, before: f.before, after: '' });
        predicts.push({ kind: 'file', path, state: 'absent' });
      }
      continue;
    }
    const after = renderEntries(f.entries);
    const modeArg = appended.has(path) ? args.mode : undefined;
    const mode = modeArg !== undefined ? modeFor(modeArg, f.st) : f.st.exists ? undefined : '0644';
    if (after === f.before && (mode === undefined || mode === f.st.mode)) continue;
    const expect = writeExpectation(f.st);
    steps.push({
      kind: 'write', path, content: after,
      ...(mode !== undefined ? { mode } : {}),
      ...(expect ? { expect } : {}),
      ...(f.st.exists ? { undo: { content: f.before } } : {}),
    });
    if (!f.st.exists) created.push(path);
    if (after !== f.before) diff.push(contentDiff(path, Buffer.from(f.before), Buffer.from(after)));
    predicts.push({ kind: 'file', path, state: 'file', content: Buffer.from(after), ...(mode !== undefined ? { mode } : {}) });
  }
  for (const path of removals) steps.push({ kind: 'run', argv: ['rm', '-f', '--', path] });
  if (updateCache(args)) {
    steps.push({ kind: 'run', argv: ['sh', '-c', UPDATE_SCRIPT, 'sh', String(args.update_cache_retries), String(args.update_cache_retry_max_delay), ...created] });
  }
  const verb = args.state === 'present' ? (appended.size ? `add ${source} to ${target}` : `enable ${source}`) : `remove ${source}`;
  return { changed: true as const, summary: `${verb}${updateCache(args) ? '; apt-get update' : ''}`, steps, diff, predicts, result };
}

export default defineModule<typeof schema, AptRepositoryState>({
  name: 'apt_repository',
  description: 'Add or remove an APT source line (sources.list.d file named as Ansible names it), then apt-get update',
  schema,
  async gather(args, host) {
    const target = targetFile(args);
    // Raw listing (a glob): which *.list files exist. Their contents are facts (predicted in --check).
    const [ls] = await host.runAll([['sh', '-c', 'for f in "$1"/*.list; do [ -f "$f" ] && printf "%s\\0" "$f"; done; exit 0', 'sh', SOURCES_DIR]]);
    const listed = ls.stdout.split('\0').filter(Boolean);
    const paths = [...new Set([SOURCES_LIST, ...listed, target])];
    return { files: await host.getAll(fileContent, paths) };
  },
  plan: (args, state) => planAptRepository(args, state),
});
