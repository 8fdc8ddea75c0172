// mount: an fstab entry and/or the live mount at one path, with
// ansible.posix.mount's states (see docs/modules/mount.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { ChangePlan, FileDiff, FileState, HostReader, MountEntry, Plan, Prediction, Step, WriteStep } from '../engine/module-api.js';
import { byteString, fromByteString, utf8ByteString } from './lib/byte-text.js';
import { contentDiff, requireEditableText } from './lib/file-content.js';
import { normalizeMountPath, parseFstab } from './lib/fstab.js';
import type { FstabEntry } from './lib/fstab.js';
import { bootOpts, setMount, unsetMount } from './lib/fstab-ansible.js';
import { posix } from 'node:path';
import { writeExpectation } from './lib/file-content.js';
import { file, fileContent } from '../engine/facts/file.js';
import { mounts as mountsFact } from '../engine/facts/mounts.js';

const DEFAULT_FSTAB = '/etc/fstab';
const idField = S.anyOf([S.string({ pattern: '^[0-9]+$' }), S.integer({ minimum: 0 })]);

const schema = S.object({
  path: S.string({ pattern: '^(/|none$)', description: 'the mount point (absolute; `none` for a swap entry)' }),
  src: S.string({ minLength: 1, description: 'device or remote file system; required for present, mounted and ephemeral' }),
  fstype: S.string({ minLength: 1, description: 'file system type (nfs4, ext4, tmpfs...); required for present, mounted and ephemeral' }),
  opts: S.string({ minLength: 1, description: 'mount options as in fstab (defaults when unset); remounted adds them to remount' }),
  dump: S.with(idField, { default: '0', description: 'fstab field 5' }),
  passno: S.with(idField, { default: '0', description: 'fstab field 6' }),
  state: S.enum(['mounted', 'present', 'unmounted', 'absent', 'absent_from_fstab', 'remounted', 'ephemeral'], { description: 'what to make true of the fstab entry and the live mount (absent_from_fstab: remove the entry only; ephemeral: mount without fstab)' }),
  boot: S.boolean({ default: true, description: 'false: add noauto to the options (unless they hold noauto or defaults), as Ansible does on Linux' }),
  fstab: S.string({ pattern: '^/', default: DEFAULT_FSTAB, description: 'the fstab file to edit (another one is passed to mount with -T)' }),
  allow_nonempty: S.boolean({ default: false, description: 'mount even when the mount point holds files' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the old fstab' }),
}, {
  additionalProperties: false,
  required: ['path', 'state'],
  allOf: [
    {
      if: { properties: { state: { enum: ['mounted', 'present', 'ephemeral'] } } },
      then: { required: ['src', 'fstype'] },
    },
  ],
});

export type MountArgs = Static<typeof schema>;

export interface MountState {
  /** fstab's exact bytes: it is edited as bytes (lib/byte-text.ts), every other byte kept. */
  fstab: { exists: boolean; content?: Buffer };
  /** Live mount table entries (all, or at least those at the path). */
  mounts: MountEntry[];
  /** missing (mounted, ephemeral): the directories mkdir -p would make, deepest first. */
  mountPoint: { exists: boolean; type?: FileState['type']; missing?: string[] };
  /** The fstab's directory, read when the fstab is missing (Ansible creates both). */
  fstabDir?: { exists: boolean };
  /** What is in the mount point directory while nothing is mounted on it. */
  contents?: { count: number; first: string[] };
  /** A bind mount's source (mounted, not yet mounted): mount fails when it is missing. */
  bindSource?: { exists: boolean };
  /** ephemeral on a mount point: the mounted directory of its file system (findmnt's FSROOT), a bind mount's source. */
  liveRoot?: string;
}

/** A bind mount's options (bind or rbind among them). */
const isBind = (opts: string): boolean => /(^|,)r?bind(,|$)/.test(opts);

/**
 * Remount as Ansible does: `mount -o remount`, and when that fails (a bind mount's
 * new options, for one), umount and mount again. Arguments: the mount point, then
 * the mount command (`mount` or `mount -T FSTAB`); nothing is part of the script text.
 */
export const REMOUNT_SCRIPT = 'p=$1; shift; "$@" -o remount -- "$p" 2>/dev/null || { umount -- "$p" && "$@" -- "$p"; }';

/** REMOUNT_SCRIPT for ephemeral: arguments the mount point, the source, then `mount -t TYPE [-o OPTS]`. */
export const REMOUNT_EPHEMERAL_SCRIPT = 'p=$1; s=$2; shift 2; "$@" -o remount -- "$s" "$p" 2>/dev/null || { umount -- "$p" && "$@" -- "$s" "$p"; }';

const SHOW_ENTRIES = 5;

// Lists up to SHOW_ENTRIES names (NUL-terminated) then, after a newline, the count.
// The path arrives as $1: never part of the script text.
export const LIST_SCRIPT = `find "$1" -mindepth 1 -maxdepth 1 -printf '%f\\0' 2>/dev/null | head -z -n ${SHOW_ENTRIES}; printf '\\n'; `
  + 'find "$1" -mindepth 1 -maxdepth 1 -printf . 2>/dev/null | wc -c';

/** Parse LIST_SCRIPT's output. */
export function parseListing(stdout: string): { count: number; first: string[] } {
  const m = /\n\s*(\d+)\s*$/.exec(stdout);
  if (!m) return { count: 0, first: [] };
  const names = stdout.slice(0, m.index).split('\0').filter((n) => n !== '');
  return { count: Number(m[1]), first: names };
}

export default defineModule<typeof schema, MountState>({
  name: 'mount',
  description: 'Control fstab entries and live mounts (ansible.posix.mount states)',
  schema,

  async gather(args, host: HostReader): Promise<MountState> {
    const fstab = await host.get(fileContent, args.fstab);
    const mounts = await host.get(mountsFact, undefined);
    const mp = await host.get(file, args.path);
    const path = normalizeMountPath(args.path);
    const mounted = mounts.some((m) => normalizeMountPath(m.path) === path);
    const state: MountState = {
      fstab: { exists: fstab.exists, content: fstab.content ?? Buffer.alloc(0) },
      mounts: mounts.filter((m) => normalizeMountPath(m.path) === path),
      mountPoint: { exists: mp.exists, type: mp.type },
    };
    if (!fstab.exists) state.fstabDir = { exists: (await host.get(file, posix.dirname(args.fstab))).exists };
    // absent: what rmdir would find (Ansible removes the mount point after the entry).
    if (['mounted', 'ephemeral', 'absent'].includes(args.state) && !mounted && mp.exists && mp.type === 'directory') {
      // Raw run, not a fact: what lies in the mount point (the mount would hide it) is not predicted.
      const r = await host.run(['sh', '-c', LIST_SCRIPT, 'sh', args.path]);
      state.contents = parseListing(r.stdout);
    }
    if ((args.state === 'mounted' || args.state === 'ephemeral') && !mp.exists) {
      // Ansible removes the directories it made when the mount fails: which ones they are.
      const missing = [path];
      for (let d = posix.dirname(path); d !== '/' && !(await host.get(file, d)).exists; d = posix.dirname(d)) missing.push(d);
      state.mountPoint.missing = missing;
    }
    if (args.state === 'ephemeral' && mounted) {
      // Raw run, not a fact: a bind mount's source as Ansible finds it (its root in the source file system).
      const r = await host.run(['findmnt', '-rn', '-o', 'FSROOT', '--mountpoint', path]);
      const last = r.stdout.trim().split('\n').pop();
      if (r.rc === 0 && last) state.liveRoot = last.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    if ((args.state === 'mounted' || args.state === 'ephemeral') && !mounted && args.src?.startsWith('/') && isBind(args.opts ?? '')) {
      state.bindSource = { exists: (await host.get(file, args.src)).exists };
    }
    return state;
  },

  plan(args, state) {
    const path = normalizeMountPath(args.path);
    const fstabPath = args.fstab;
    const mountBase = fstabPath === DEFAULT_FSTAB ? ['mount'] : ['mount', '-T', fstabPath];
    const live = state.mounts.filter((m) => normalizeMountPath(m.path) === path);
    const isMounted = live.length > 0;
    const before = state.fstab.exists ? state.fstab.content ?? Buffer.alloc(0) : Buffer.alloc(0);
    // fstab as a byte string (binary refused); entries are compared and written as
    // the UTF-8 bytes of the arguments (bPath, bDesired), messages use the arguments.
    const fstabState: FileState = state.fstab.exists ? { path: fstabPath, exists: true, type: 'file', content: before } : { path: fstabPath, exists: false };
    if (args.state !== 'ephemeral') requireEditableText(fstabPath, fstabState);
    const lines = parseFstab(byteString(before));
    const bPath = utf8ByteString(path);

    const steps: Step[] = [];
    const parts: string[] = [];
    const predicts: Prediction[] = [];
    const diff: FileDiff[] = [];

    // Ansible leaves fstab edited when umount or rmdir fails (absent); otherwise a failed command puts it back.
    let undoable = true;
    if (args.state === 'ephemeral') return ephemeral();

    // Ansible creates a missing fstab (and its directory) before anything else, whatever the state (but ephemeral).
    const makeFstabDir: Step[] = state.fstab.exists || state.fstabDir?.exists !== false ? [] : [{ kind: 'run', argv: ['mkdir', '-p', '--', posix.dirname(fstabPath)] }];
    const noChange = (reason: string): Plan => {
      if (state.fstab.exists) return { changed: false, reason };
      return { changed: false, reason: `${reason} (${fstabPath} created empty)`, steps: [...makeFstabDir, { kind: 'write', path: fstabPath, content: Buffer.alloc(0), expect: { exists: false } }] };
    };
    // The fstab entry as Ansible compares and writes it: the mount point as given (not normalised).
    const bName = utf8ByteString(args.path);

    const writeFstab = (afterText: string, what: string) => {
      const after = fromByteString(afterText);
      const expect = writeExpectation(state.fstab);
      steps.push(...makeFstabDir);
      steps.push({ kind: 'write', path: fstabPath, content: after, ...(args.backup ? { backup: true } : {}), ...(expect ? { expect } : {}) });
      diff.push(contentDiff(fstabPath, before, after));
      predicts.push({ kind: 'file', path: fstabPath, state: 'file', content: after });
      parts.push(`${what} ${fstabPath} entry for ${path}`);
    };

    if (args.state === 'present' || args.state === 'mounted') {
      const desired: FstabEntry = {
        src: args.src!, path, fstype: args.fstype!, opts: bootOpts(args.opts ?? 'defaults', args.boot),
        dump: String(args.dump), passno: String(args.passno),
      };
      const bDesired: FstabEntry = {
        src: utf8ByteString(desired.src), path: bPath, fstype: utf8ByteString(desired.fstype), opts: utf8ByteString(desired.opts),
        dump: desired.dump, passno: desired.passno,
      };
      // The entry Ansible would update: its mount point exactly as given (a trailing slash makes another entry).
      const oldIdx = lines.findIndex((l) => l.entry && l.entry.path === bName);
      const old = oldIdx >= 0 ? lines[oldIdx].entry : undefined;
      const edit = setMount(byteString(before), { src: bDesired.src, name: bName, fstype: bDesired.fstype, opts: bDesired.opts, dump: String(args.dump), passno: String(args.passno) });
      if (edit.changed) writeFstab(edit.text, old ? 'update' : 'add');

      if (args.state === 'present') {
        if (!edit.changed) return noChange(`${path} already has this entry in ${fstabPath}`);
        return finish();
      }

      if (!isMounted) {
        checkMountPoint(desired.opts);
        mountSteps([...mountBase, '--', path], `mount ${path}`);
      } else if (edit.changed) {
        // Ansible remounts whenever the entry changed (added, too: the live mount takes the entry's options).
        if (old && (old.src !== bDesired.src || old.fstype !== bDesired.fstype)) {
          // Ansible's remount keeps the old source (tmpfs) or stacks a second mount (bind): docs/modules/mount.md.
          steps.push({ kind: 'run', argv: ['umount', '--', path] }, { kind: 'run', argv: [...mountBase, '--', path] });
          parts.push(`unmount and mount ${path} again (source or type changed)`);
        } else {
          steps.push({ kind: 'run', argv: ['sh', '-c', REMOUNT_SCRIPT, 'sh', path, ...mountBase] });
          parts.push(`remount ${path} (${old ? 'entry changed' : 'entry added'})`);
        }
      }
      if (steps.length === 0) return noChange(`${path} is mounted and its ${fstabPath} entry is up to date`);
      predicts.push({ kind: 'mount', path, mounted: true, src: desired.src, fstype: desired.fstype, opts: desired.opts });
      return finish();
    }

    if (args.state === 'unmounted') {
      if (!isMounted) return { changed: false, reason: `${path} is not mounted` };
      steps.push({ kind: 'run', argv: ['umount', '--', path] });
      predicts.push({ kind: 'mount', path, mounted: false });
      parts.push(`unmount ${path}`);
      return finish();
    }

    if (args.state === 'absent' || args.state === 'absent_from_fstab') {
      // Ansible: the entry removed; then, for absent and only when an entry was removed, unmount and rmdir the mount point.
      const edit = unsetMount(byteString(before), bName, args.src === undefined ? undefined : utf8ByteString(args.src));
      if (!edit.changed) return noChange(`${path} has no entry in ${fstabPath}`);
      writeFstab(edit.text, 'remove');
      if (args.state === 'absent_from_fstab') return finish();
      // Ansible rewrites fstab, then fails at rmdir; tsplay fails first, fstab untouched (docs/modules/mount.md).
      if (!isMounted && state.mountPoint.exists) {
        const why = state.mountPoint.type !== 'directory' ? '[Errno 20] Not a directory' : state.contents && state.contents.count > 0 ? '[Errno 39] Directory not empty' : undefined;
        if (why) throw new ModuleError(`Error rmdir ${args.path}: ${why}: '${args.path}' (state absent removes the mount point; ${fstabPath} left as it was)`);
      }
      // Ansible leaves the fstab edited when umount or rmdir fails.
      undoable = false;
      if (isMounted) {
        steps.push({ kind: 'run', argv: ['umount', '--', path] });
        predicts.push({ kind: 'mount', path, mounted: false });
        parts.push(`unmount ${path}`);
      }
      if (state.mountPoint.exists || isMounted) {
        steps.push({ kind: 'run', argv: ['rmdir', '--', args.path] });
        predicts.push({ kind: 'file', path: args.path, state: 'absent' });
        parts.push(`remove the directory ${path}`);
      }
      return finish();
    }

    // remounted
    if (!isMounted) throw new ModuleError(`cannot remount ${path}: it is not mounted`);
    // Ansible: with options, only `mount -o remount,OPTS` (a failure fails the task); without, it falls back to umount and mount.
    const withOpts = args.opts !== undefined && args.opts !== 'defaults';
    steps.push({ kind: 'run', argv: withOpts ? [...mountBase, '-o', `remount,${args.opts}`, '--', path] : ['sh', '-c', REMOUNT_SCRIPT, 'sh', path, ...mountBase] });
    parts.push(`remount ${path}`);
    const cur = live[live.length - 1];
    predicts.push({ kind: 'mount', path, mounted: true, src: cur.src, fstype: cur.fstype, opts: args.opts ?? cur.opts });
    return finish();

    /** Mount without fstab (ansible.posix 1.5: ephemeral); a mount point already mounted from the same source is remounted. */
    function ephemeral(): Plan {
      const src = args.src!;
      const opts = args.opts ?? 'defaults';
      const mountCmd = ['mount', '-t', args.fstype!, ...(opts === 'defaults' ? [] : ['-o', opts])];
      if (isMounted) {
        const cur = live[live.length - 1];
        if (cur.src !== src && state.liveRoot !== src) {
          throw new ModuleError(`Ephemeral mount point ${path} is already mounted with a different source (${cur.src}) than ${src}; `
            + 'unmount it first (state: unmounted) or use another path');
        }
        steps.push({ kind: 'run', argv: ['sh', '-c', REMOUNT_EPHEMERAL_SCRIPT, 'sh', path, src, ...mountCmd] });
        parts.push(`remount ${path} (ephemeral: always)`);
      } else {
        checkMountPoint(opts);
        mountSteps([...mountCmd, '--', src, path], `mount ${src} on ${path} (not in ${fstabPath})`);
      }
      predicts.push({ kind: 'mount', path, mounted: true, src, fstype: args.fstype!, opts });
      return finish();
    }

    /** The mount command, after mkdir -p of a missing mount point (whose directories are removed again if the mount fails, as Ansible does). */
    function mountSteps(argv: string[], what: string): void {
      if (!state.mountPoint.exists) {
        steps.push({ kind: 'run', argv: ['mkdir', '-p', '--', path], undo: { argv: ['rmdir', '--', ...(state.mountPoint.missing ?? [path])] } });
        predicts.push({ kind: 'file', path, state: 'directory' });
        parts.push(`create ${path}`);
      }
      steps.push({ kind: 'run', argv });
      parts.push(what);
    }

    /** Refusals before mounting on a path that is not a mount point (mounted, ephemeral). */
    function checkMountPoint(opts: string): void {
      // mount would fail (Ansible then restores fstab and removes the mount point it made): fail first.
      if (state.bindSource?.exists === false) {
        throw new ModuleError(`cannot bind mount ${args.src!} on ${path}: special device ${args.src!} does not exist (${fstabPath} left as it was)`);
      }
      if (!state.mountPoint.exists) return;
      if (state.mountPoint.type !== 'directory' && !(state.mountPoint.type === 'file' && isBind(opts))) {
        throw new ModuleError(`cannot mount on ${path}: it is a ${state.mountPoint.type ?? 'non-directory'}, not a directory`);
      }
      if (state.contents && state.contents.count > 0 && !args.allow_nonempty) {
        const { count, first } = state.contents;
        const more = count > first.length ? `, ... (${count} entries)` : ` (${count} ${count === 1 ? 'entry' : 'entries'})`;
        throw new ModuleError(
          `refusing to mount ${args.src!} on ${path}: the directory is not empty and mounting would hide `
          + `${first.join(', ')}${more}; move them away or set allow_nonempty: true`,
          { count, first },
        );
      }
    }

    function finish(): ChangePlan {
      // A command failing after fstab was rewritten (mkdir, mount): the executor
      // writes the old fstab back (the exact bytes read; an empty file when there was none).
      const w = steps.findIndex((s) => s.kind === 'write');
      if (undoable && w >= 0 && steps.slice(w + 1).some((s) => s.kind === 'run')) {
        steps[w] = { ...(steps[w] as WriteStep), undo: { content: before } };
      }
      const plan: ChangePlan = { changed: true, summary: parts.join('; '), steps, predicts };
      if (diff.length) plan.diff = diff;
      return plan;
    }
  },
});
