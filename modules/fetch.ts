// fetch: copy a file FROM the host TO the controller (ansible.builtin.fetch).
// The host's file is read as exact bytes (the fileContent fact, symlinks
// followed as Ansible's fetch follows them) with its SHA-1 from the host's own
// sha1sum; the controller's copy goes to dest/<inventory_hostname>/<src> (or
// dest itself with flat) and is written only when its SHA-1 differs: atomically
// (a temp file beside it, renamed), keeping an existing file's mode.
//
// The write happens on the controller, which no host step can express: this
// module has its own apply (module-api.ts), and its plan carries the bytes.
// Like Ansible's action, it does not run in --check: the task is skipped.
// Differences from Ansible: docs/modules/fetch.md.

import { createHash } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { defineModule, ModuleError } from '../engine/module-api.js';
import type { ChangePlan, FileState, Plan } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import { fileContent } from '../engine/facts/file.js';
import { resolveLink } from './stat.js';

const schema = S.object({
  src: S.string({ pattern: '^/', description: 'the file on the host (absolute; a directory is refused, as in Ansible)' }),
  dest: S.string({ minLength: 1, description: 'a directory on the controller (relative: to the playbook\'s directory); the file goes to dest/<inventory_hostname>/<src> unless flat' }),
  flat: S.boolean({ default: false, description: 'write to dest itself (dest ending in / : dest/<basename of src>) instead of the per-host tree' }),
  fail_on_missing: S.boolean({ default: true, description: 'fail when src does not exist or is a directory (false: report ok and say so)' }),
  validate_checksum: S.boolean({ default: true, description: 'fail when the SHA-1 of what was written differs from the host\'s sha1sum of src' }),
}, { additionalProperties: false, required: ['src', 'dest'] });

export interface LocalFile {
  path: string;
  /** SHA-1 hex of a regular file there; undefined when absent or a directory. */
  sha1?: string;
  md5?: string;
  isDir: boolean;
}

export interface FetchState {
  /** What src names after following symlinks. */
  file: FileState;
  loop?: boolean;
  /** The host's `sha1sum` of src (undefined: it could not be read). */
  remoteSha1?: string;
  /** The controller path as Ansible computes it (normalised), and what is there. */
  local: LocalFile;
  /** flat and dest (without trailing /) is an existing directory. */
  destIsDir?: boolean;
}

const MAX_LINKS = 40;
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** Ansible's destination name: dest/<host>/<src>, or with flat dest (dest/ + basename). */
export function fetchDest(src: string, dest: string, flat: boolean, hostname: string, localPath: (p: string) => string): string {
  if (flat) return normalize(localPath(dest.endsWith('/') ? join(dest, basename(src)) : dest));
  return normalize(`${localPath(dest)}/${hostname}/${src}`);
}

function readLocal(path: string): LocalFile {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { path, isDir: true };
    const b = readFileSync(path);
    return { path, isDir: false, sha1: sha1(b), md5: md5(b) };
  } catch {
    return { path, isDir: false };
  }
}

type FetchPlan = ChangePlan & { fetched: Buffer; localPath: string };

export default defineModule<typeof schema, FetchState>({
  name: 'fetch',
  description: 'Copy a file from the host to the controller',
  schema,
  checkModeSkip: 'check mode not (yet) supported for this module',
  async gather(args, host, ctx) {
    const localPath = (p: string): string => (ctx.localPath ? ctx.localPath(p) : p);
    const dest = fetchDest(args.src, args.dest, args.flat, host.name, localPath);
    const local = readLocal(dest);
    const destIsDir = args.flat && !args.dest.endsWith('/') && readLocal(localPath(args.dest)).isDir;
    let file = await host.get(fileContent, args.src);
    for (let n = 0; file.exists && file.type === 'link'; n++) {
      if (n >= MAX_LINKS) return { file, loop: true, local, destIsDir };
      file = await host.get(fileContent, resolveLink(file.path, file.linkTarget ?? ''));
    }
    if (!file.exists || file.type !== 'file') return { file, local, destIsDir };
    const r = await host.run(['sha1sum', '--', file.path]);
    const remoteSha1 = r.rc === 0 ? /^[0-9a-f]{40}/.exec(r.stdout)?.[0] : undefined;
    return { file, remoteSha1, local, destIsDir };
  },
  plan(args, state) {
    const source = args.src;
    const f = state.file;
    const ignored = (msg: string): Plan => {
      if (args.fail_on_missing) throw new ModuleError(msg, { file: source, changed: false });
      return noChange(msg, { file: source });
    };
    if (state.loop) return ignored(`unable to slurp file: [Errno 40] Too many levels of symbolic links: '${source}'`);
    if (f.exists && f.type === 'directory') {
      if (args.fail_on_missing) throw new ModuleError('remote file is a directory, fetch cannot work on directories', { changed: false });
      return { changed: false, reason: 'remote file is a directory, fetch cannot work on directories, not transferring, ignored', result: { msg: 'remote file is a directory, fetch cannot work on directories, not transferring, ignored' } };
    }
    // Ansible's message after its slurp fallback found nothing (it says "ignored" even when it fails).
    if (!f.exists) return ignored('the remote file does not exist, not transferring, ignored');
    if (f.content === undefined) return ignored(`unable to slurp file: ${source} is not a regular file`);
    if (state.destIsDir) throw new ModuleError('dest is an existing directory, use a trailing slash if you want to fetch src into that directory');
    const data = f.content;
    const remote = sha1(data);
    if (args.validate_checksum && state.remoteSha1 !== undefined && state.remoteSha1 !== remote) {
      throw new ModuleError('checksum mismatch', { file: source, dest: state.local.path, remote_md5sum: null, checksum: remote, remote_checksum: state.remoteSha1, changed: false });
    }
    const dest = state.local.path;
    if (state.local.sha1 === remote) {
      return noChange(`${dest} already holds ${source}`, { md5sum: state.local.md5, file: source, dest, checksum: remote });
    }
    const plan: FetchPlan = {
      changed: true,
      summary: `fetch ${source} to ${dest}`,
      steps: [],
      result: { md5sum: md5(data), dest, remote_md5sum: null, checksum: remote, remote_checksum: state.remoteSha1 ?? remote },
      fetched: data,
      localPath: dest,
    };
    return plan;
  },
  // The write is on the controller: no host step can do it.
  apply(plan) {
    const p = plan as FetchPlan;
    writeLocalAtomic(p.localPath, p.fetched);
    return Promise.resolve();
  },
});

function noChange(reason: string, result: Record<string, unknown>): { changed: false; reason: string; result: Record<string, unknown> } {
  return { changed: false, reason, result };
}

/**
 * All or nothing on the controller: a temp file beside the target (through a
 * symlink: beside the file it names), fsynced, given the old file's mode, renamed.
 */
export function writeLocalAtomic(path: string, data: Buffer): void {
  let target = path;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
  } catch { /* absent: written as named */ }
  mkdirSync(dirname(target), { recursive: true });
  let mode: number | undefined;
  try {
    mode = statSync(target).mode & 0o7777;
  } catch { /* a new file: the umask decides, as Ansible's open() */ }
  const tmp = join(dirname(target), `.${basename(target)}.tsplay-${process.pid}-${Date.now()}`);
  try {
    const fd = openSync(tmp, 'wx', 0o666);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ModuleError(`Failed to fetch the file: ${(e as Error).message}`, { dest: path });
  }
}
