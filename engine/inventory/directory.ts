// An inventory directory (`-i DIR`), read as Ansible's inventory manager reads
// it: every entry in byte order of its name, sub-directories recursively,
// except hidden entries, group_vars/, host_vars/, vars_plugins/ and names
// ending in one of Ansible's ignored extensions (INVENTORY_IGNORE_EXTS'
// default). Only the group_vars/ and host_vars/ of the directory given with
// -i are read (engine/inventory/inventory.ts), as in Ansible.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Ansible 2.14's default INVENTORY_IGNORE_EXTS: REJECT_EXTS plus .orig, .ini, .cfg, .retry. */
export const IGNORED_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const IGNORED_NAMES = ['host_vars', 'group_vars', 'vars_plugins'];

export interface DirectorySources {
  /** Files to load as inventory sources, in Ansible's order. */
  files: string[];
  /** .ini files Ansible skips in a directory: a user who wrote one may expect it read. */
  skippedIni: string[];
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Why Ansible skips this entry of an inventory directory, or undefined when it reads it. */
export function ignoredBecause(name: string): string | undefined {
  if (name.startsWith('.')) return 'hidden';
  if (IGNORED_NAMES.includes(name)) return 'a variables directory';
  const ext = IGNORED_EXTENSIONS.find((e) => name.endsWith(e));
  return ext === undefined ? undefined : `its name ends in ${ext}`;
}

/** Whether a path (a symbolic link's target) is a directory; false where it cannot be read. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export async function inventorySourcesIn(dir: string): Promise<DirectorySources> {
  const out: DirectorySources = { files: [], skippedIni: [] };
  const walk = async (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) => byBytes(a.name, b.name));
    for (const e of entries) {
      const full = join(d, e.name);
      if (ignoredBecause(e.name) !== undefined) {
        if (e.name.endsWith('.ini') && !e.name.startsWith('.')) out.skippedIni.push(full);
        continue;
      }
      const isDir = e.isSymbolicLink() ? isDirectory(full) : e.isDirectory();
      if (isDir) await walk(full);
      else out.files.push(full);
    }
  };
  await walk(dir);
  return out;
}
