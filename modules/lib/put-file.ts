// copy and template: put a whole file's content at dest, atomically. The wanted
// content is known in gather (copy: `content` or the controller file `src`;
// template: `src` rendered), so plan() is pure. A dest that is an existing
// directory receives basename(src).

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { ModuleError } from '../../engine/module-api.js';
import type { FileState, HostReader, Plan } from '../../engine/module-api.js';
import { S } from '../../engine/schema.js';
import type { PropsStatic } from '../../engine/schema.js';
import { attrSchema } from './file-attrs.js';
import { planContent } from './file-content.js';
import { fileContent } from '../../engine/facts/file.js';
import { requireKnownAccounts } from './account-names.js';
import { statFields } from '../../engine/facts/file-result.js';

/** The arguments copy and template share (each module's schema adds src/content). */
export const putFileProperties = {
  dest: S.string({ minLength: 1, description: 'the target file; an existing directory receives basename(src)' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the replaced file (returned as backup_file)' }),
  validate: S.string({ description: 'command with %s (the temporary file) that must exit 0 before the file is installed' }),
  force: S.boolean({ default: true, description: 'false: leave an existing dest alone' }),
  ...attrSchema,
};

/** What the shared code reads: copy's and template's derived argument types both fit it. */
export type PutFileArgs = PropsStatic<typeof putFileProperties, 'dest'> & { src?: string; content?: string };

export interface PutFileState {
  /** The wanted content, exact bytes. */
  content: Buffer;
  /** dest as given. */
  dest: FileState;
  /** When dest is a directory and src is given: the state of dest/basename(src). */
  target?: FileState;
}

function intoDirectory(args: PutFileArgs): string | undefined {
  return args.src !== undefined ? posix.join(args.dest, posix.basename(args.src)) : undefined;
}

/** Read dest (and the file inside it when dest is a directory). */
export async function gatherDest(args: PutFileArgs, host: HostReader, content: Buffer): Promise<PutFileState> {
  const dest = await host.get(fileContent, args.dest);
  const state: PutFileState = { content, dest };
  const inner = intoDirectory(args);
  if (dest.exists && dest.type === 'directory' && inner !== undefined) state.target = await host.get(fileContent, inner);
  await requireKnownAccounts(host, args, state.target ?? dest);
  return state;
}

function bytes(content: Buffer): string {
  const n = content.length;
  return `${n} byte${n === 1 ? '' : 's'}`;
}

export function planPutFile(args: PutFileArgs, state: PutFileState): Plan {
  let path = args.dest;
  let file = state.dest;
  if (state.dest.exists && state.dest.type === 'directory') {
    const inner = intoDirectory(args);
    if (inner === undefined) throw new ModuleError(`dest ${args.dest} is a directory; content needs a file path as dest`);
    path = inner;
    file = state.target ?? { path: inner, exists: false };
  } else if (args.dest.endsWith('/')) {
    throw new ModuleError(`dest ${args.dest} ends with / but is not an existing directory`);
  }
  if (file.exists && file.type === 'directory') throw new ModuleError(`${path} is a directory`);
  if (file.exists && file.type === 'link') {
    throw new ModuleError(`${path} is a symlink to ${file.linkTarget}; give the link's target as dest (an atomic write would replace the link)`);
  }
  if (file.exists && file.type !== 'file') throw new ModuleError(`${path} exists and is not a regular file`);
  if (file.exists && !args.force) return { changed: false, reason: `${path} exists and force is false`, result: { dest: path } };
  const before = file.content ?? Buffer.alloc(0);
  return withPutResult(path, file, state.content, planContent({
    path, state: file, after: state.content, attrs: args, backup: args.backup, validate: args.validate,
    what: file.exists ? `content changed (${bytes(before)} -> ${bytes(state.content)})` : bytes(state.content),
    unchangedReason: 'content and attributes already match',
    result: { dest: path },
  }));
}

/**
 * The keys Ansible's copy and template return: with the content already there
 * `dest`, `path`, `checksum` (SHA-1 of the content) and the file's state, mode,
 * owner, group, uid, gid, size (after a real change of its attributes, a fresh
 * lstat); after a real content change `dest`, `checksum`, `md5sum` and a fresh
 * lstat of the file. In --check a content change returns only `dest` (Ansible:
 * nothing).
 */
function withPutResult(path: string, file: FileState, content: Buffer, plan: Plan): Plan {
  const checksum = createHash('sha1').update(content).digest('hex');
  // Same content (no change, or only mode/owner/group to set): the path as it is
  // (in --check) or after the change, with checksum and no md5sum, as Ansible.
  const sameContent = file.exists && file.content !== undefined && file.content.equals(content);
  if (!plan.changed || sameContent) {
    const result = { ...plan.result, path, checksum, ...statFields(file) };
    return plan.changed ? { ...plan, result, statResult: { path } } : { ...plan, result };
  }
  const md5sum = createHash('md5').update(content).digest('hex');
  return { ...plan, statResult: { path, add: { checksum, md5sum } } };
}
