// chown_find: re-own every file that belonged to an old UID and/or GID, the
// guide's `find / -uid 107 -exec chown ...` done safely: one file system per
// path, pseudo and network file systems pruned, symlinks never followed, a log
// for undoing it (docs/modules/chown_find.md).

import { defineModule, ModuleError, TIMESTAMP_TOKEN } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { HostReader, Step } from '../engine/module-api.js';
import { idOrName, isNumericId, toId } from './lib/ids.js';
import {
  buildFindArgv, chownArgvs, idMaps, logContent, NETWORK_FSTYPES, parseFindOutput, pruneList, rechowns, restoreModeArgvs,
} from './lib/find-owned.js';
import type { IdChange } from './lib/find-owned.js';
import { normalizeMountPath } from './lib/fstab.js';
import { file } from '../engine/facts/file.js';
import { groups } from '../engine/facts/groups.js';
import { mounts } from '../engine/facts/mounts.js';
import { users } from '../engine/facts/users.js';

const startPath = S.string({ pattern: '^/' });

const idChange = S.object({
  old_uid: S.with(idOrName, { description: 'files owned by this UID get new_uid' }),
  new_uid: S.with(idOrName, { description: 'the UID it gets' }),
  old_gid: S.with(idOrName, { description: 'files with this GID get new_gid' }),
  new_gid: S.with(idOrName, { description: 'the GID it gets' }),
}, {
  additionalProperties: false,
  // at least one pair (with the dependencies below: two keys)
  minProperties: 2,
  dependencies: { old_uid: ['new_uid'], new_uid: ['old_uid'], old_gid: ['new_gid'], new_gid: ['old_gid'] },
});

const schema = S.object({
  old_uid: S.with(idOrName, { description: 'files owned by this UID (or user name) get new_uid; give both or neither' }),
  new_uid: S.with(idOrName, { description: 'the UID (or user name) they get' }),
  old_gid: S.with(idOrName, { description: 'files with this GID (or group name) get new_gid; give both or neither' }),
  new_gid: S.with(idOrName, { description: 'the GID (or group name) they get' }),
  ids: S.array(idChange, {
    minItems: 1,
    description: 'instead of old_uid/new_uid/old_gid/new_gid: several changes ({old_uid, new_uid} and/or {old_gid, new_gid} each), all done in ONE walk; a pair whose old and new are equal is skipped',
  }),
  paths: S.anyOf([startPath, S.array(startPath, { minItems: 1 })], { default: '/', description: 'absolute path(s) to search' }),
  cross_filesystems: S.boolean({ default: false, description: 'false: find -xdev, each path\'s own file system only' }),
  log_dir: S.string({ pattern: '^/', default: '/var/log/tsplay', description: 'where the undo log is written' }),
  list_limit: S.integer({ minimum: 0, default: 20, description: 'how many changed paths the result lists' }),
}, {
  additionalProperties: false,
  dependencies: { old_uid: ['new_uid'], new_uid: ['old_uid'], old_gid: ['new_gid'], new_gid: ['old_gid'] },
});

export type ChownFindArgs = Static<typeof schema>;

export interface ChownFindState {
  /**
   * The changes, resolved to numeric IDs (names looked up through the
   * overlay-aware reader): one for old_uid/new_uid/old_gid/new_gid, those of
   * `ids` without the pairs whose old and new are equal.
   */
  ids: IdChange[];
  /** Names that did not resolve, e.g. ["user nova"]. */
  unresolved: string[];
  /** Start paths that do not exist. */
  missing: string[];
  /** Network file system mount points seen in the live table. */
  networkMounts: string[];
  /** The find run (absent when the arguments were refused before running it). */
  find?: { argv: string[]; rc: number; stdout: string; stderr: string };
}

/** In the log's path; the step executor puts the run time there (the log is returned as `log`). */
export const TIMESTAMP = TIMESTAMP_TOKEN;

function pathList(p: string | string[]): string[] {
  return (Array.isArray(p) ? p : [p]).map(normalizeMountPath);
}

const PAIR_KEYS = ['old_uid', 'new_uid', 'old_gid', 'new_gid'] as const;

/** Refusals that do not need the host; also checked before find runs. */
function refusal(args: ChownFindArgs, changes: readonly IdChange[]): string | undefined {
  if (args.ids && PAIR_KEYS.some((k) => args[k] !== undefined)) return 'give either ids or old_uid/new_uid/old_gid/new_gid, not both';
  if (!args.ids && changes.every((c) => c.old_uid === undefined && c.old_gid === undefined)) return 'nothing to do: give old_uid/new_uid and/or old_gid/new_gid';
  for (const ids of changes) {
    if (ids.old_uid === 0) return 'refusing old_uid 0: re-owning everything root owns would break the system';
    if (ids.old_gid === 0) return 'refusing old_gid 0: re-owning everything group root owns would break the system';
    if (ids.old_uid !== undefined && ids.old_uid === ids.new_uid) return `old_uid and new_uid are both ${ids.old_uid}: nothing would change`;
    if (ids.old_gid !== undefined && ids.old_gid === ids.new_gid) return `old_gid and new_gid are both ${ids.old_gid}: nothing would change`;
  }
  try {
    idMaps(changes);
  } catch (e) {
    return `refusing: ${(e as Error).message}`;
  }
  return undefined;
}

function describe(changes: readonly IdChange[]): string {
  const parts: string[] = [];
  for (const ids of changes) {
    if (ids.old_uid !== undefined) parts.push(`uid ${ids.old_uid} -> ${ids.new_uid}`);
    if (ids.old_gid !== undefined) parts.push(`gid ${ids.old_gid} -> ${ids.new_gid}`);
  }
  return parts.join(', ');
}

/** A change of `ids` without its pairs whose old and new are the same ID (nothing to do for them). */
function withoutNoOps(c: IdChange): IdChange {
  const out: IdChange = {};
  if (c.old_uid !== undefined && c.old_uid !== c.new_uid) Object.assign(out, { old_uid: c.old_uid, new_uid: c.new_uid });
  if (c.old_gid !== undefined && c.old_gid !== c.new_gid) Object.assign(out, { old_gid: c.old_gid, new_gid: c.new_gid });
  return out;
}

export default defineModule<typeof schema, ChownFindState>({
  name: 'chown_find',
  description: 'Re-own every file that belonged to an old UID/GID (find + chown -h), with an undo log',
  schema,

  async gather(args, host: HostReader): Promise<ChownFindState> {
    const unresolved: string[] = [];
    const resolve = async (given: Partial<Record<(typeof PAIR_KEYS)[number], string | number>>): Promise<IdChange> => {
      const ids: IdChange = {};
      for (const k of PAIR_KEYS) {
        const v = given[k];
        if (v === undefined) continue;
        if (isNumericId(v)) ids[k] = toId(v);
        else if (k.endsWith('uid')) {
          const u = await host.get(users, String(v));
          if (u.exists && u.uid !== undefined) ids[k] = u.uid;
          else unresolved.push(`user ${v}`);
        } else {
          const g = await host.get(groups, String(v));
          if (g.exists && g.gid !== undefined) ids[k] = g.gid;
          else unresolved.push(`group ${v}`);
        }
      }
      return ids;
    };
    const ids: IdChange[] = [];
    if (args.ids) {
      for (const c of args.ids) {
        const r = withoutNoOps(await resolve(c));
        if (r.old_uid !== undefined || r.old_gid !== undefined) ids.push(r);
      }
    } else ids.push(await resolve(args));
    const paths = pathList(args.paths);
    const stats = await host.getAll(file, paths);
    const missing = stats.filter((s) => !s.exists).map((s) => s.path);
    const networkMounts = (await host.get(mounts, undefined))
      .filter((m) => NETWORK_FSTYPES.has(m.fstype))
      .map((m) => normalizeMountPath(m.path));
    const state: ChownFindState = { ids, unresolved, missing, networkMounts };
    // Nothing to walk for: every pair of `ids` already has its new value.
    if (unresolved.length || missing.length || refusal(args, ids) || ids.length === 0) return state;
    const argv = buildFindArgv(paths, pruneList(paths, networkMounts), ids, !args.cross_filesystems);
    // Raw run, not a fact: which files hold an ID is a walk no prediction can alter.
    // A walk of / can take minutes on a big host: allow it (the default command timeout may be short).
    const r = await host.run(argv, { timeoutMs: 60 * 60 * 1000 });
    state.find = { argv, rc: r.rc, stdout: r.stdout, stderr: r.stderr };
    return state;
  },

  plan(args, state) {
    if (state.unresolved.length) throw new ModuleError(`cannot resolve ${state.unresolved.join(', ')}: no such account`);
    const ids = state.ids;
    const refused = refusal(args, ids);
    if (refused) throw new ModuleError(refused);
    if (state.missing.length) throw new ModuleError(`no such path: ${state.missing.join(', ')}`);
    const paths = pathList(args.paths);
    if (ids.length === 0) {
      return {
        changed: false,
        reason: 'no ID to change: every pair of ids has the same old and new value',
        result: { count: 0, files: [], truncated: false, pruned: pruneList(paths, state.networkMounts) },
      };
    }
    const f = state.find;
    if (!f) throw new ModuleError('internal: find did not run');
    // Files that vanish while find walks (temporary files) are not errors.
    const errors = f.stderr.split('\n').filter((l) => l.trim() !== '' && !/No such file or directory/.test(l));
    if (f.rc !== 0 && errors.length) {
      throw new ModuleError(`find failed (rc ${f.rc}): ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : ''}`,
        { argv: f.argv, rc: f.rc, stderr: f.stderr });
    }
    const changes = rechowns(parseFindOutput(f.stdout), ids);
    const where = paths.join(', ');
    const pruned = pruneList(paths, state.networkMounts);
    const files = changes.slice(0, args.list_limit).map((c) => c.file.path);
    const result = { count: changes.length, files, truncated: changes.length > files.length, pruned };
    if (changes.length === 0) {
      return { changed: false, reason: `no files under ${where} to re-own (${describe(ids)})`, result };
    }
    const logPath = `${args.log_dir.replace(/\/+$/, '')}/chown_find-${TIMESTAMP}.log`;
    // The log is written before the first chown, so an interrupted run is still undoable.
    // The commands are quiet: the file lists would repeat the log in the task's result.
    const steps: Step[] = [
      { kind: 'run', argv: ['mkdir', '-p', '--', args.log_dir], quiet: true },
      { kind: 'write', path: logPath, content: logContent(changes), mode: '0600', timestamp: true, registerPath: 'log' },
      ...chownArgvs(changes).map((argv): Step => ({ kind: 'run', argv, quiet: true })),
      ...restoreModeArgvs(changes).map((argv): Step => ({ kind: 'run', argv, quiet: true })),
    ];
    return {
      changed: true,
      summary: `re-own ${changes.length} ${changes.length === 1 ? 'file' : 'files'} under ${where} (${describe(ids)})`,
      steps,
      result,
    };
  },
});
