// The bare `include:` task of Ansible before 2.4, which Ansible 2.14 still
// runs (deprecated, removed in 2.16), as its playbook helpers decide: static
// (like import_tasks) when the file name has no template, the task has no
// loop and every include above it is static; dynamic (like include_tasks)
// otherwise. Its other arguments (`include: x.yml a=1`) are variables of the
// included tasks, under its `vars:`. Ansible's deprecation text is printed
// when it is loaded; a dynamic one prints its run-time text too
// (engine/run/include.ts). A play-level `- include:` is no longer accepted
// by 2.14 ("'include' is not a valid attribute for a Play"), nor here.

import { isTemplated } from '../template/template.js';
import { parseKeyValue } from './key-value.js';
import { loadWarning } from './load-warnings.js';
import type { PathSeg } from './yaml.js';

type Raw = Record<string, unknown>;

/** The keys a bare include is written with. */
export const BARE_INCLUDE_KEYS = ['include', 'ansible.builtin.include', 'ansible.legacy.include'];

/** Ansible 2.14's text when it loads a bare include. */
export const BARE_INCLUDE_DEPRECATION = '"include" is deprecated, use include_tasks/import_tasks instead. See https://docs.ansible.com/ansible-core/2.14/user_guide/playbooks_reuse_includes.html for details. This feature will be removed in version 2.16.';

/** Ansible 2.14's text when a dynamic bare include runs. */
export const BARE_INCLUDE_RUN_DEPRECATION = '"include" is deprecated, use include_tasks/import_tasks/import_playbook instead. This feature will be removed in version 2.16.';

export function bareIncludeKey(task: Raw): string | undefined {
  return BARE_INCLUDE_KEYS.find((k) => k in task);
}

function isMapping(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where a load error goes (the loader's errorAt: file, line and column of `path`). */
type Fail = (path: PathSeg[], msg: string, key?: boolean) => never;

/** The file and the other arguments: `x.yml a=1`, `{file: x.yml, a: 1}`, or under `args:`. */
function argsOf(p: PathSeg[], task: Raw, key: string, fail: Fail): { file: string; params: Raw } {
  const raw = task[key];
  const at = [...p, key];
  let args: Raw;
  if (typeof raw === 'string') {
    const kv = parseKeyValue(raw);
    args = { ...kv.options, ...(kv.raw !== undefined ? { _raw_params: kv.raw } : {}) };
  } else if (isMapping(raw)) {
    args = raw;
  } else if (raw === null || raw === undefined) {
    args = {};
  } else {
    return fail(at, `${key} takes a file name`);
  }
  // As Ansible: `args:` gives arguments under the action's own (the action's win).
  if (task.args !== undefined) {
    if (!isMapping(task.args)) return fail([...p, 'args'], 'args: expected a mapping');
    args = { ...task.args, ...args };
  }
  const { _raw_params: rawParams, file: fileArg, ...params } = args;
  const file = rawParams ?? fileArg;
  if (typeof file !== 'string' || !file) return fail(at, `No file specified for ${key}`, true);
  if ('apply' in params) return fail(at, `Invalid options for ${key}: apply`);
  return { file, params };
}

/**
 * A bare `include:` task read as the loader then loads it: as an import_tasks
 * or an include_tasks task (`task`, the file under `key`), and which.
 * `inDynamic`: it sits in a file that a dynamic include includes.
 */
export function bareInclude(p: PathSeg[], task: Raw, key: string, inDynamic: boolean, fail: Fail): { task: Raw; dynamic: boolean } {
  loadWarning({ msg: BARE_INCLUDE_DEPRECATION, deprecation: true });
  const { file, params } = argsOf(p, task, key, fail);
  if (task.vars !== undefined && !isMapping(task.vars)) return fail([...p, 'vars'], 'vars: expected a mapping');
  // The include's arguments are variables of the included tasks (TaskInclude.get_vars); its `vars:`
  // win over them (they are also its include params, a higher layer: checked with ansible-playbook 2.14).
  const vars = { ...params, ...task.vars };
  const rest: Raw = Object.fromEntries(Object.entries(task).filter(([k]) => k !== key && k !== 'args' && k !== 'vars'));
  if (Object.keys(vars).length) rest.vars = vars;
  const looped = 'loop' in rest || Object.keys(rest).some((k) => k.startsWith('with_'));
  return { task: { ...rest, [key]: file }, dynamic: isTemplated(file) || looped || inDynamic };
}
