// Roles, as Ansible 2.14 finds and reads them: where a role named in a play,
// a dependency, import_role or include_role is looked for, the files of the
// standard layout (tasks, handlers, defaults, vars, meta), and the variables a
// role brings (defaults, vars, params). Turning a role's task files into the
// play's items is done by the loader (engine/load/playbook.ts), which owns tasks.

import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { loadYamlFile, type YamlDoc } from './yaml.js';

type Raw = Record<string, unknown>;

/** One use of a role (a `roles:` entry, a dependency, an import or include of it), as the runtime sees it. */
export interface RoleInstance {
  /** role_name / ansible_role_name: the last part of the name as written. */
  name: string;
  /** role_path: the role's directory. */
  path: string;
  /** Dependencies' defaults, then defaults/main (the role_defaults layer). */
  defaults: Record<string, unknown>;
  /** Dependencies' vars, the entry's `vars:`, then vars/main (the role_vars layer). */
  vars: Record<string, unknown>;
  /** Role params: the entry's other keys (the role_params layer, for the role's own tasks). */
  params: Record<string, unknown>;
  /** Directories of the roles that depend on this one, nearest first (searched after its own). */
  parentDirs: string[];
}

/**
 * Keywords Ansible accepts on a role entry (Role's attributes) that tsplay does
 * not implement: refused at load rather than ignored. The ones it implements
 * are the block keywords; every other key is a role param.
 */
export const UNSUPPORTED_ROLE_KEYWORDS = [
  'collections', 'debugger', 'delegate_to',
  'delegate_facts', 'diff', 'ignore_unreachable', 'module_defaults', 'run_once', 'throttle', 'timeout',
];

/** Where a role is looked for, in Ansible's order (RoleDefinition._load_role_path). */
export function roleSearchDirs(playDir: string, rolesPath: readonly string[], parentRoleDir?: string): string[] {
  const dirs = [join(playDir, 'roles'), ...rolesPath];
  // A dependency is also found beside the role that names it.
  if (parentRoleDir) dirs.push(dirname(parentRoleDir));
  dirs.push(playDir);
  return [...new Set(dirs.map((d) => resolve(playDir, d)))];
}

/** The configured roles path: --roles-path, else ANSIBLE_ROLES_PATH, else Ansible's default. */
export function configuredRolesPath(cli?: string): string[] {
  const raw = cli ?? process.env.ANSIBLE_ROLES_PATH;
  if (raw !== undefined) return raw.split(':').filter(Boolean).map((p) => p.replace(/^~(?=\/|$)/, homedir()));
  return [join(homedir(), '.ansible/roles'), '/usr/share/ansible/roles', '/etc/ansible/roles'];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Find a role by name (or path) in the search dirs. Returns its directory, or
 * the list of places tried (for the error).
 */
export function findRole(name: string, searchDirs: readonly string[], playDir: string): { dir: string } | { searched: string[] } {
  const searched: string[] = [];
  if (!isAbsolute(name)) {
    for (const d of searchDirs) {
      const p = join(d, name);
      searched.push(p);
      if (isDir(p)) return { dir: p };
    }
  }
  // Last: the name as a path (absolute, or relative to the playbook).
  const asPath = resolve(playDir, name);
  if (!searched.includes(asPath)) searched.push(asPath);
  if (isDir(asPath)) return { dir: asPath };
  return { searched };
}

/** A file of the role's layout: `<role>/<sub>/<base>` with Ansible's extensions ('', .yml, .yaml, .json). */
export function roleFile(roleDir: string, sub: string, base: string): string | undefined {
  for (const ext of ['', '.yml', '.yaml', '.json']) {
    const p = join(roleDir, sub, base + ext);
    if (existsSync(p) && !isDir(p)) return p;
  }
  return undefined;
}

/** A role's variables file (defaults/ or vars/) as a mapping; {} when the role has none. */
export async function roleVarsFile(roleDir: string, sub: 'defaults' | 'vars', base = 'main'): Promise<{ vars: Raw; doc?: YamlDoc }> {
  const file = roleFile(roleDir, sub, base);
  if (!file) {
    if (isDir(join(roleDir, sub, base))) throw new Error(`${join(roleDir, sub, base)}: a directory of vars files is not supported by tsplay (use one ${sub}/${base}.yml)`);
    return { vars: {} };
  }
  const doc = await loadYamlFile(file);
  if (doc.value === null || doc.value === undefined) return { vars: {}, doc };
  if (typeof doc.value !== 'object' || Array.isArray(doc.value)) throw new Error(`${file}: expected a mapping of variables`);
  return { vars: doc.value as Raw, doc };
}

/** The name a role answers to as role_name: the last path part, without a collection prefix. */
export function roleNameOf(name: string): string {
  const parts = name.replace(/\/+$/, '').split('/');
  return parts[parts.length - 1];
}

/** Collection roles (`ns.collection.role`) are not in tsplay. */
export function isCollectionRole(name: string): boolean {
  return !name.includes('/') && /^[A-Za-z_]\w*\.[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(name);
}
