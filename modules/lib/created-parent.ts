// A file a module creates (`create: true`) under a directory that does not exist:
// Ansible's lineinfile and blockinfile make the directory first (Python's
// os.makedirs), so tsplay gathers the parent's state with the file's and adds
// `mkdir -p` before the write, predicting the directory for later tasks.

import { posix } from 'node:path';
import type { FileState, HostReader, Plan } from '../../engine/module-api.js';
import { file } from '../../engine/facts/file.js';
import { requireKnownAccounts } from './account-names.js';
import type { AttrArgs } from './file-attrs.js';

/** The file, and when it is missing and would be created, its directory. */
export type CreatedFileState = FileState & { parent?: FileState };

/** The file's state (from `read`) and, when it is missing and `create` is set, its parent directory's. */
export async function withParentState(host: HostReader, path: string, create: boolean, attrs: AttrArgs, read: () => Promise<FileState>): Promise<CreatedFileState> {
  const state: CreatedFileState = await read();
  if (!state.exists && create) state.parent = await host.get(file, posix.dirname(path));
  await requireKnownAccounts(host, attrs, state);
  return state;
}

/** A plan that creates the file: its missing directory made first (mkdir -p), and predicted. */
export function withParent(plan: Plan, state: CreatedFileState, path: string): Plan {
  if (!plan.changed || state.exists || !state.parent || state.parent.exists) return plan;
  const dir = posix.dirname(path);
  return {
    ...plan,
    steps: [{ kind: 'run', argv: ['mkdir', '-p', '--', dir] }, ...plan.steps],
    predicts: [{ kind: 'file', path: dir, state: 'directory' }, ...(plan.predicts ?? [])],
  };
}
