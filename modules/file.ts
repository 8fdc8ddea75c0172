// file: a path's kind (file, directory, symlink, absent, touched) and its
// mode/owner/group, optionally applied recursively below a directory.

import { posix } from 'node:path';
import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState, Plan, Prediction, Step } from '../engine/module-api.js';
import { attrSchema, planAttributes, wantedAttrs } from './lib/file-attrs.js';
import type { AttrArgs } from './lib/file-attrs.js';
import { formatMode, isOctalMode, ModeError, normalizeSymbolicMode, parseOctalMode } from './lib/file-mode.js';
import { file as fileFact } from '../engine/facts/file.js';
import { statFields } from '../engine/facts/file-result.js';
import { requireKnownAccounts } from './lib/account-names.js';

const schema = S.object({
  path: S.string({ minLength: 1, description: 'the path to manage' }),
  dest: S.string({ minLength: 1, description: 'alias of path' }),
  name: S.string({ minLength: 1, description: 'alias of path' }),
  state: S.enum(['file', 'directory', 'absent', 'touch', 'link'], { description: "the wanted kind; unset: the path's current kind (file if missing)" }),
  recurse: S.boolean({ default: false, description: 'with state directory: apply owner, group and mode to everything below' }),
  src: S.string({ minLength: 1, description: 'link target (state: link), written as given' }),
  force: S.boolean({ default: false, description: 'state: link replaces an existing file, and links to a source that does not exist' }),
  ...attrSchema,
}, { additionalProperties: false, anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }] });

export type FileArgs = Static<typeof schema>;

/** One path below a directory, as `find -printf` reports it (for recurse). */
export interface TreeEntry {
  path: string;
  type: 'file' | 'directory' | 'link' | 'other';
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
}

export interface FileModuleState {
  stat: FileState;
  /** Everything below the directory (recurse only; [] when it cannot be listed). */
  below?: TreeEntry[];
  /** state directory on a missing path: its missing ancestors, outermost first (each gets the task's attributes, as Ansible). */
  missingParents?: string[];
  /** state link with src, without force: whether src exists (relative to the link's directory), as Ansible checks before linking. */
  linkSource?: { path: string; exists: boolean };
}

/** The path Ansible checks for a link's src: as given when absolute, else from the link's directory (from path itself when that is a directory). */
export function linkSourcePath(path: string, src: string, pathIsDirectory: boolean): string {
  return src.startsWith('/') ? src : posix.join(pathIsDirectory ? path : posix.dirname(path), src);
}

export const FIND_FORMAT = '%y\\t%m\\t%U\\t%G\\t%u\\t%g\\t%p\\0';

/** Parse `find DIR -mindepth 1 -printf FIND_FORMAT` output (NUL-separated records). */
export function parseFindListing(out: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const rec of out.split('\0')) {
    if (rec === '') continue;
    const parts = rec.split('\t');
    if (parts.length < 7) continue;
    const [y, m, U, G, u, g] = parts;
    const path = parts.slice(6).join('\t');
    const type = y === 'f' ? 'file' : y === 'd' ? 'directory' : y === 'l' ? 'link' : 'other';
    entries.push({ path, type, mode: m.padStart(4, '0'), uid: Number(U), gid: Number(G), owner: u, group: g });
  }
  return entries;
}

function targetPath(args: FileArgs): string {
  const p = args.path ?? args.dest ?? args.name;
  if (!p) throw new ModuleError('path is required');
  return p;
}

function describe(st: FileState): string {
  return st.type === 'link' ? `a symlink to ${st.linkTarget}` : `a ${st.type === 'other' ? 'special file' : st.type}`;
}

function change(summary: string, steps: Step[], predicts: Prediction[], result?: Record<string, unknown>): Plan {
  return { changed: true, summary, steps, predicts, ...(result ? { result } : {}) };
}

function withAttrs<T extends Prediction>(p: T, want: { mode?: string; owner?: string; group?: string }): T {
  const q = p as T & { mode?: string; owner?: string; group?: string };
  if (want.mode !== undefined) q.mode = want.mode;
  if (want.owner !== undefined) q.owner = want.owner;
  if (want.group !== undefined) q.group = want.group;
  return q;
}

/**
 * Steps for a path this task creates: chown/chgrp then chmod whenever they are
 * given (the new path's owner and mode depend on who runs the task and its umask);
 * a symbolic mode applies to 0755 (directory) or 0644 (file).
 */
function attrsForNew(path: string, args: AttrArgs, isDir: boolean, link = false): { steps: Step[]; want: ReturnType<typeof wantedAttrs> } {
  const unknown: FileState = { path, exists: true, type: isDir ? 'directory' : link ? 'link' : 'file' };
  const p = planAttributes(path, args, unknown, { isDir, link });
  return { steps: p.steps, want: { ...(p.mode !== undefined ? { mode: p.mode } : {}), ...(p.owner !== undefined ? { owner: p.owner } : {}), ...(p.group !== undefined ? { group: p.group } : {}) } };
}

function planRecurse(path: string, args: FileArgs, stat: FileState, below: TreeEntry[]): Plan {
  const top: TreeEntry = {
    path, type: 'directory', mode: stat.mode ?? '', uid: stat.uid ?? -1, gid: stat.gid ?? -1, owner: stat.owner ?? '', group: stat.group ?? '',
  };
  const all = [top, ...below];
  const want = wantedAttrs(args, stat, true);
  let owners = 0;
  let modes = 0;
  for (const e of all) {
    const st: FileState = { path: e.path, exists: true, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, owner: e.owner, group: e.group };
    const p = planAttributes(e.path, args, st, { isDir: e.type === 'directory', link: e.type === 'link' });
    if (p.steps.some((s) => s.kind === 'run' && s.argv[0] !== 'chmod')) owners++;
    if (p.steps.some((s) => s.kind === 'run' && s.argv[0] === 'chmod')) modes++;
  }
  const steps: Step[] = [];
  const notes: string[] = [];
  if (owners) {
    if (want.owner !== undefined && want.group !== undefined) steps.push({ kind: 'run', argv: ['chown', '-R', '-h', '--', `${want.owner}:${want.group}`, path] });
    else if (want.owner !== undefined) steps.push({ kind: 'run', argv: ['chown', '-R', '-h', '--', want.owner, path] });
    else steps.push({ kind: 'run', argv: ['chgrp', '-R', '-h', '--', want.group!, path] });
    notes.push(`ownership of ${owners} of ${all.length} paths -> ${[want.owner, want.group].filter((x) => x !== undefined).join(':')}`);
  }
  if (modes) {
    const spec = isOctalMode(args.mode!) ? formatMode(parseOctalMode(args.mode!)) : normalizeSymbolicMode(String(args.mode));
    steps.push({ kind: 'run', argv: ['chmod', '-R', '--', spec, path] });
    notes.push(`mode of ${modes} of ${all.length} paths -> ${spec}`);
  }
  if (!steps.length) return { changed: false, reason: `${path}: attributes of all ${all.length} paths already match` };
  return change(`${path} (recursive): ${notes.join(', ')}`, steps,
    [withAttrs({ kind: 'file', path, state: 'directory' }, want)], { changed_paths: Math.max(owners, modes) });
}

function planFile(args: FileArgs, state: FileModuleState): Plan {
  const path = targetPath(args);
  const st = state.stat;
  const wanted = args.state ?? (st.exists ? (st.type === 'directory' ? 'directory' : st.type === 'link' ? 'link' : 'file') : 'file');
  if (args.recurse && wanted !== 'directory') throw new ModuleError('recurse needs state: directory');

  switch (wanted) {
    case 'absent': {
      if (!st.exists) return { changed: false, reason: `${path} is already absent` };
      const dir = st.type === 'directory';
      return change(`remove ${dir ? 'directory ' : ''}${path}`, [{ kind: 'run', argv: dir ? ['rm', '-r', '-f', '--', path] : ['rm', '-f', '--', path] }],
        [{ kind: 'file', path, state: 'absent' }]);
    }
    case 'file': {
      if (!st.exists) throw new ModuleError(`${path} does not exist (state: file does not create files; use state: touch, copy or template)`);
      const isLink = st.type === 'link';
      if (st.type !== 'file' && !(isLink && args.state === undefined)) throw new ModuleError(`${path} is ${describe(st)}, not a regular file`);
      const a = planAttributes(path, args, st, { isDir: false, link: isLink });
      if (!a.steps.length) return { changed: false, reason: `${path}: ${args.mode ?? args.owner ?? args.group ? 'attributes already match' : 'exists'}` };
      return change(`${path}: ${a.changes.join(', ')}`, a.steps, isLink ? [] : [withAttrs({ kind: 'file', path, state: 'file' }, a)]);
    }
    case 'directory': {
      if (!st.exists) {
        // As Ansible's file module: every directory it creates, parents included, gets owner, group and mode.
        const created = [...(state.missingParents ?? []), path];
        const steps: Step[] = [{ kind: 'run', argv: ['mkdir', '-p', '--', path] }];
        const predicts: Prediction[] = [];
        let want: ReturnType<typeof wantedAttrs> = {};
        for (const dir of created) {
          const a = attrsForNew(dir, args, true);
          steps.push(...a.steps);
          predicts.push(withAttrs({ kind: 'file', path: dir, state: 'directory' }, a.want));
          want = a.want;
        }
        return change(`create directory ${path}${want.mode ? ` (mode ${want.mode})` : ''}`, steps, predicts);
      }
      if (st.type !== 'directory') throw new ModuleError(`${path} exists and is ${describe(st)}, not a directory`);
      if (args.recurse) return planRecurse(path, args, st, state.below ?? []);
      const a = planAttributes(path, args, st, { isDir: true });
      if (!a.steps.length) return { changed: false, reason: `directory ${path} ${args.mode ?? args.owner ?? args.group ? 'has the wanted attributes' : 'exists'}` };
      return change(`${path}: ${a.changes.join(', ')}`, a.steps, [withAttrs({ kind: 'file', path, state: 'directory' }, a)]);
    }
    case 'touch': {
      if (st.exists && st.type === 'link') throw new ModuleError(`${path} is ${describe(st)}; touch would follow it`);
      if (!st.exists) {
        const { steps, want } = attrsForNew(path, args, false);
        return change(`create empty file ${path}`, [{ kind: 'run', argv: ['touch', '--', path] }, ...steps],
          [withAttrs({ kind: 'file', path, state: 'file', content: Buffer.alloc(0) }, want)]);
      }
      const isDir = st.type === 'directory';
      const a = planAttributes(path, args, st, { isDir });
      return change(`touch ${path}${a.changes.length ? `, ${a.changes.join(', ')}` : ''}`, [{ kind: 'run', argv: ['touch', '--', path] }, ...a.steps],
        a.changes.length ? [withAttrs({ kind: 'file', path, state: isDir ? 'directory' : 'file' }, a)] : []);
    }
    case 'link': {
      if (args.src === undefined) {
        if (st.exists && st.type === 'link') {
          const a = planAttributes(path, args, st, { isDir: false, link: true });
          if (!a.steps.length) return { changed: false, reason: `${path} is a symlink to ${st.linkTarget}` };
          return change(`${path}: ${a.changes.join(', ')}`, a.steps, []);
        }
        throw new ModuleError('state: link needs src (what the link points to)');
      }
      const src = args.src;
      // As Ansible: without force, a link to a source that does not exist is refused (a dangling link needs force).
      if (state.linkSource && !state.linkSource.exists) {
        throw new ModuleError(`src file does not exist, use "force=yes" if you really want to create the link: ${state.linkSource.path}`);
      }
      const pred: Prediction = { kind: 'file', path, state: 'link', target: src };
      if (!st.exists) {
        const { steps } = attrsForNew(path, { owner: args.owner, group: args.group }, false, true);
        return change(`link ${path} -> ${src}`, [{ kind: 'run', argv: ['ln', '-s', '--', src, path] }, ...steps], [pred]);
      }
      if (st.type === 'link') {
        const a = planAttributes(path, { owner: args.owner, group: args.group }, st, { isDir: false, link: true });
        if (st.linkTarget === src) {
          if (!a.steps.length) return { changed: false, reason: `${path} already links to ${src}` };
          return change(`${path}: ${a.changes.join(', ')}`, a.steps, []);
        }
        const fresh = attrsForNew(path, { owner: args.owner, group: args.group }, false, true).steps;
        return change(`relink ${path}: ${st.linkTarget} -> ${src}`, [{ kind: 'run', argv: ['ln', '-s', '-f', '-n', '--', src, path] }, ...fresh], [pred]);
      }
      if (st.type === 'directory') throw new ModuleError(`${path} is a directory; refusing to replace it with a link`);
      if (!args.force) throw new ModuleError(`${path} exists and is ${describe(st)}; set force: true to replace it with a link to ${src}`);
      const fresh = attrsForNew(path, { owner: args.owner, group: args.group }, false, true).steps;
      return change(`replace ${describe(st).replace(/^a /, '')} ${path} with a link to ${src}`, [{ kind: 'run', argv: ['ln', '-s', '-f', '-n', '--', src, path] }, ...fresh], [pred]);
    }
  }
}

/**
 * The keys Ansible's file module returns: `path` (`dest` for link and touch),
 * `state` and the path's mode/owner/group/uid/gid/size, `src` for a link. With
 * no change they describe the path as it is (state absent for a missing one);
 * for a change, in --check the path as it was (Ansible's check mode reports
 * the state before the change: nothing but the path for one it would create),
 * and after a real run a fresh lstat (ChangePlan.statResult).
 */
function withResult(args: FileArgs, st: FileState, plan: Plan): Plan {
  const path = targetPath(args);
  const wanted = args.state ?? (st.exists ? (st.type === 'directory' ? 'directory' : st.type === 'link' ? 'link' : 'file') : 'file');
  const key = wanted === 'link' || wanted === 'touch' ? 'dest' : 'path';
  const src = wanted === 'link' ? { src: args.src ?? st.linkTarget } : {};
  const now = st.exists || !plan.changed ? statFields(st) : {};
  const result = { ...plan.result, [key]: path, ...src, ...now };
  if (!plan.changed) return { ...plan, result };
  return { ...plan, result, statResult: { path } };
}

export default defineModule<typeof schema, FileModuleState>({
  name: 'file',
  description: 'Make a path a file, directory, symlink or absent, and set its mode/owner/group (optionally recursively)',
  schema,
  async gather(args, host) {
    const path = targetPath(args);
    const stat = await host.get(fileFact, path);
    const state: FileModuleState = { stat };
    // Ansible sets no attributes on a path it removes, so it looks no name up.
    if (args.state !== 'absent') await requireKnownAccounts(host, args, stat);
    if (args.state === 'directory' && !stat.exists && path.startsWith('/')) {
      const missing: string[] = [];
      for (let dir = posix.dirname(path); dir !== '/' && missing.length < 64; dir = posix.dirname(dir)) {
        if ((await host.get(fileFact, dir)).exists) break;
        missing.unshift(dir);
      }
      if (missing.length) state.missingParents = missing;
    }
    if (args.state === 'link' && args.src !== undefined && !args.force) {
      const src = linkSourcePath(path, args.src, stat.exists && stat.type === 'directory');
      state.linkSource = { path: src, exists: (await host.get(fileFact, src)).exists };
    }
    if (args.recurse && stat.exists && stat.type === 'directory') {
      // Raw runAll, not a fact: the listing below a directory is not predicted (as before).
      // find reads a start path like "-x", "!" or "(" as part of its expression: make it ./PATH.
      const start = path.startsWith('/') ? path : `./${path}`;
      const [r] = await host.runAll([['find', start, '-mindepth', '1', '-printf', FIND_FORMAT]]);
      state.below = r.rc === 0 ? parseFindListing(r.stdout).map((e) => (start !== path ? { ...e, path: e.path.slice(2) } : e)) : [];
    }
    return state;
  },
  plan(args, state) {
    try {
      return withResult(args, state.stat, planFile(args, state));
    } catch (e) {
      if (e instanceof ModeError) throw new ModuleError(e.message);
      throw e;
    }
  },
});

