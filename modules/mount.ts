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
  src: S.string({ minLength: 1, description: 'device or remote file system; required for present and mounted' }),
  fstype: S.string({ minLength: 1, description: 'file system type (nfs4, ext4, tmpfs...); required for present and mounted' }),
  opts: S.string({ minLength: 1, description: 'mount options as in fstab (defaults when unset); remounted adds them to remount' }),
  dump: S.with(idField, { default: '0', description: 'fstab field 5' }),
  passno: S.with(idField, { default: '0', description: 'fstab field 6' }),
  state: S.enum(['mounted', 'present', 'unmounted', 'absent', 'absent_from_fstab', 'remounted'], { description: 'what to make true of the fstab entry and the live mount (absent_from_fstab: remove the entry only)' }),
  boot: S.boolean({ default: true, description: 'false: add noauto to the options (unless they hold noauto or defaults), as Ansible does on Linux' }),
  fstab: S.string({ pattern: '^/', default: DEFAULT_FSTAB, description: 'the fstab file to edit (another one is passed to mount with -T)' }),
  allow_nonempty: S.boolean({ default: false, description: 'mount even when the mount point holds files' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the old fstab' }),
}, {
  additionalProperties: false,
  required: ['path', 'state'],
  allOf: [
    {
      if: { properties: { state: { enum: ['mounted', 'present'] } } },
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
  mountPoint: { exists: boolean; type?: FileState['type'] };
  /** The fstab's directory, read when the fstab is missing (Ansible creates both). */
  fstabDir?: { exists: boolean };
  /** What is in the mount point directory while nothing is mounted on it. */
  contents?: { count: number; first: string[] };
}

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
    if ((args.state === 'mounted' || args.state === 'absent') && !mounted && mp.exists && mp.type === 'directory') {
      // Raw run, not a fact: what lies in the mount point (the mount would hide it) is not predicted.
      const r = await host.run(['sh', '-c', LIST_SCRIPT, 'sh', args.path]);
      state.contents = parseListing(r.stdout);
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
    requireEditableText(fstabPath, fstabState);
    const lines = parseFstab(byteString(before));
    const bPath = utf8ByteString(path);

    const steps: Step[] = [];
    const parts: string[] = [];
    const predicts: Prediction[] = [];
    const diff: FileDiff[] = [];

    // Ansible creates a missing fstab (and its directory) before anything else, whatever the state.
    const makeFstabDir: Step[] = state.fstab.exists || state.fstabDir?.exists !== false ? [] : [{ kind: 'run', argv: ['mkdir', '-p', '--', posix.dirname(fstabPath)] }];
    const noChange = (reason: string): Plan => {
      if (state.fstab.exists) return { changed: false, reason };
      return { changed: false, reason: `${reason} (${fstabPath} created empty)`, steps: [...makeFstabDir, { kind: 'write', path: fstabPath, content: Buffer.alloc(0), expect: { exists: false } }] };
    };
    // The fstab entry as Ansible compares and writes it: the mount point as given (not normalised).
    const bName = utf8ByteString(args.path);
    let undoable = true;

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
        if (!state.mountPoint.exists) {
          steps.push({ kind: 'run', argv: ['mkdir', '-p', '--', path] });
          predicts.push({ kind: 'file', path, state: 'directory' });
          parts.push(`create ${path}`);
        } else if (state.mountPoint.type !== 'directory'
          && !(state.mountPoint.type === 'file' && /(^|,)r?bind(,|$)/.test(desired.opts))) {
          throw new ModuleError(`cannot mount on ${path}: it is a ${state.mountPoint.type ?? 'non-directory'}, not a directory`);
        } else if (state.contents && state.contents.count > 0 && !args.allow_nonempty) {
          const { count, first } = state.contents;
          const more = count > first.length ? `, ... (${count} entries)` : ` (${count} ${count === 1 ? 'entry' : 'entries'})`;
          throw new ModuleError(
            `refusing to mount ${desired.src} on ${path}: the directory is not empty and mounting would hide `
            + `${first.join(', ')}${more}; move them away or set allow_nonempty: true`,
            { count, first },
          );
        }
        steps.push({ kind: 'run', argv: [...mountBase, '--', path] });
        parts.push(`mount ${path}`);
      } else if (edit.changed && old) {
        if (old.src !== bDesired.src || old.fstype !== bDesired.fstype) {
          steps.push({ kind: 'run', argv: ['umount', '--', path] }, { kind: 'run', argv: [...mountBase, '--', path] });
          parts.push(`unmount and mount ${path} again (source or type changed)`);
        } else if (old.opts !== bDesired.opts) {
          steps.push({ kind: 'run', argv: [...mountBase, '-o', 'remount', '--', path] });
          parts.push(`remount ${path} (options changed)`);
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
    steps.push({ kind: 'run', argv: [...mountBase, '-o', args.opts ? `remount,${args.opts}` : 'remount', '--', path] });
    parts.push(`remount ${path}`);
    const cur = live[live.length - 1];
    predicts.push({ kind: 'mount', path, mounted: true, src: cur.src, fstype: cur.fstype, opts: args.opts ?? cur.opts });
    return finish();

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
