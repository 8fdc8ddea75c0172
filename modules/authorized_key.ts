// authorized_key: SSH public keys in a user's authorized_keys file
// (ansible.posix.authorized_key). The file is parsed and written back as
// Ansible does it (modules/lib/ssh-keys.ts): keys known by their base64 blob,
// new keys after the existing lines, a key whose type, options or comment differ
// replaced and moved to the end, `exclusive` keeping only the given keys.
//
// Only when the file must change: the key file's directory (manage_dir, the
// default: ~user/.ssh, or the directory of `path`) is made 0700 and owned by the
// user, a missing file's directory is created, and the file is written
// atomically, mode 0600, owned by the user and the user's primary group.
// Differences from Ansible: docs/modules/authorized_key.md.

import { posix } from 'node:path';
import { defineModule, ModuleError } from '../engine/module-api.js';
import type { FileState, Prediction, Step, UserState } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { file, fileContent } from '../engine/facts/file.js';
import { users } from '../engine/facts/users.js';
import { contentDiff, writeExpectation } from './lib/file-content.js';
import { accountName } from './lib/ids.js';
import { resolveLink } from './stat.js';
import { applyKeys, KeyLineError } from './lib/ssh-keys.js';

const schema = S.object({
  user: S.with(accountName, { description: 'the user whose authorized_keys file is edited (it must exist: the file and its directory are given to this user)' }),
  key: S.string({ description: 'the SSH public key(s), one per line, as in an authorized_keys file; lines starting with # are skipped. A URL (Ansible fetches it) is refused: tsplay does not reach the network from the host' }),
  path: S.string({ pattern: '^/', description: 'the authorized_keys file (default: ~user/.ssh/authorized_keys)' }),
  manage_dir: S.boolean({ default: true, description: 'when the file changes, create its directory if missing and make it 0700, owned by the user' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'whether the key(s) are in the file' }),
  key_options: S.string({ description: 'options written before each key (e.g. no-port-forwarding,from="10.0.0.1"), replacing the key\'s own' }),
  exclusive: S.boolean({ default: false, description: 'remove every other line of the file (other keys, comments) with state present' }),
  comment: S.string({ description: 'the comment written after each key, replacing the key\'s own' }),
  follow: S.boolean({ default: false, description: 'when path is a symlink, write the file it points to (default: replace the link by a regular file)' }),
  validate_certs: S.boolean({ default: true, description: 'accepted for compatibility and without effect: it only concerns a key given as a URL, which tsplay refuses' }),
}, { additionalProperties: false, required: ['user', 'key'] });

export type AuthorizedKeyArgs = Static<typeof schema>;

export interface AuthorizedKeyState {
  user: UserState;
  /** The key file as named (lstat); absent when the user has no home to find it in. */
  named?: FileState;
  /** What the key file's chain of symlinks ends at (the named file when it is no link). */
  target?: FileState;
  /** The chain of links did not end. */
  loop?: boolean;
  /** The directory manage_dir manages (dirname of the named path). */
  dir?: FileState;
  /** The directory a missing key file is created in (dirname of the written path). */
  fileDir?: FileState;
}

const MAX_LINKS = 40;

function keyPath(args: AuthorizedKeyArgs, user: UserState): string | undefined {
  if (args.path !== undefined) return args.path;
  if (!user.exists) return undefined;
  // A user an earlier task would create has no known home in --check: useradd's default.
  return posix.join(user.home ?? `/home/${args.user}`, '.ssh', 'authorized_keys');
}

const wantsUrl = (key: string): boolean => key.startsWith('http');

export default defineModule<typeof schema, AuthorizedKeyState>({
  name: 'authorized_key',
  description: 'Add or remove SSH public keys in a user\'s authorized_keys file',
  schema,
  async gather(args, host) {
    const user = await host.get(users, args.user);
    const path = keyPath(args, user);
    if (path === undefined || wantsUrl(args.key)) return { user };
    const named = await host.get(fileContent, path);
    let target = named;
    for (let n = 0; target.exists && target.type === 'link'; n++) {
      if (n >= MAX_LINKS) return { user, named, target, loop: true };
      target = await host.get(fileContent, resolveLink(target.path, target.linkTarget ?? ''));
    }
    const written = args.follow ? target.path : path;
    const [dir, fileDir] = await host.getAll(file, [posix.dirname(path), posix.dirname(written)]);
    return { user, named, target, dir, fileDir };
  },
  plan(args, state) {
    if (wantsUrl(args.key)) {
      throw new ModuleError(`key ${JSON.stringify(args.key.split('\n')[0])} is a URL: tsplay does not fetch keys from the network (give the key itself, e.g. with lookup('file', ...) on the controller)`);
    }
    const { user } = state;
    // Ansible looks the user up before anything else (also with path, outside check mode).
    if (!user.exists || user.uid === undefined || user.gid === undefined) {
      if (user.exists && user.predicted) throw new ModuleError(`user ${args.user}: an earlier task would create it and its uid/gid are not known in --check`);
      throw new ModuleError(`Failed to lookup user ${args.user}: "getpwnam(): name not found: '${args.user}'"`);
    }
    const path = keyPath(args, user) ?? '';
    const named = state.named;
    const target = state.target;
    if (!named || !target) throw new ModuleError(`${path}: not read`);
    if (state.loop) throw new ModuleError(`${path}: [Errno 40] Too many levels of symbolic links`);
    if (target.exists && target.type !== 'directory' && target.content === undefined && target.predicted) {
      throw new ModuleError(`${path}: an earlier task would change it and its content is not known in --check`);
    }
    // Ansible reads a directory or another non-regular file as empty: nothing to remove; a key to add fails (below).
    const notRegular = target.exists && (target.type === 'directory' || target.content === undefined);
    const bytes = target.exists && !notRegular ? target.content ?? Buffer.alloc(0) : Buffer.alloc(0);
    const decoded = bytes.toString('utf8');
    if (!Buffer.from(decoded, 'utf8').equals(bytes)) throw new ModuleError(`${path}: not UTF-8 text; tsplay will not rewrite it (Ansible fails reading it too)`);
    // Python reads it in text mode: universal newlines.
    const before = decoded.replace(/\r\n?/g, '\n');
    let change;
    try {
      change = applyKeys(before, { key: args.key, state: args.state, exclusive: args.exclusive, keyOptions: args.key_options, comment: args.comment });
    } catch (e) {
      if (e instanceof KeyLineError) throw new ModuleError(e.message);
      throw e;
    }
    const result = {
      user: args.user, key: args.key, path: args.path ?? null, manage_dir: args.manage_dir, state: args.state,
      key_options: args.key_options ?? null, exclusive: args.exclusive, comment: args.comment ?? null,
      follow: args.follow, validate_certs: args.validate_certs, keyfile: path,
    };
    if (!change.changed) return { changed: false, reason: args.state === 'present' ? `key(s) already in ${path}` : `key(s) not in ${path}`, result };
    // Ansible chmods the directory 0600 before its write fails; tsplay fails without touching it (docs/modules/authorized_key.md).
    if (notRegular) throw new ModuleError(`${path}: ${target.type === 'directory' ? 'is a directory' : 'not a regular file'}, not an authorized_keys file`);

    const uid = String(user.uid);
    const gid = String(user.gid);
    const written = args.follow ? target.path : path;
    const steps: Step[] = [];
    const predicts: Prediction[] = [];
    const dir = state.dir;
    if (args.manage_dir && dir) {
      if (!dir.exists) steps.push({ kind: 'run', argv: ['mkdir', '-m', '0700', '--', dir.path] });
      else if (dir.type !== 'directory' && dir.type !== 'link') throw new ModuleError(`Failed to create directory ${dir.path} : it exists and is not a directory`);
      if (!dir.exists || dir.uid !== user.uid || dir.gid !== user.gid) steps.push({ kind: 'run', argv: ['chown', '--', `${uid}:${gid}`, dir.path] });
      if (dir.exists && dir.mode !== '0700') steps.push({ kind: 'run', argv: ['chmod', '0700', '--', dir.path] });
      if (dir.type !== 'link') predicts.push({ kind: 'file', path: dir.path, state: 'directory', mode: '0700', owner: user.name });
    }
    const fileDir = state.fileDir;
    const dirMade = args.manage_dir && dir !== undefined && !dir.exists && dir.path === fileDir?.path;
    if (!target.exists && fileDir && !fileDir.exists && !dirMade) {
      steps.push({ kind: 'run', argv: ['mkdir', '-p', '--', fileDir.path] });
      predicts.push({ kind: 'file', path: fileDir.path, state: 'directory' });
    }
    // Ansible chmods and chowns the file the link names before it replaces the link.
    if (!args.follow && named.type === 'link' && target.exists) {
      steps.push({ kind: 'run', argv: ['chown', '--', `${uid}:${gid}`, path] }, { kind: 'run', argv: ['chmod', '0600', '--', path] });
      predicts.push({ kind: 'file', path: target.path, state: 'file', content: target.content, mode: '0600', owner: user.name });
    }
    const after = Buffer.from(change.after, 'utf8');
    const expect = args.follow || named.type !== 'link' ? writeExpectation(target) : undefined;
    steps.push({ kind: 'write', path: written, content: after, mode: '0600', owner: uid, group: gid, ...(expect ? { expect } : {}) });
    predicts.push({ kind: 'file', path: written, state: 'file', content: after, mode: '0600', owner: user.name });
    const diff = contentDiff(written, bytes, after);
    return {
      changed: true,
      summary: `${args.state === 'present' ? 'add' : 'remove'} key(s) ${args.state === 'present' ? 'to' : 'from'} ${written}`,
      steps,
      diff: [{ ...diff, beforeHeader: path, afterHeader: written }],
      predicts,
      result,
    };
  },
});
