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
import type { Item, LoadContext } from './playbook.js';
import { errorAt, loadIncludeTasks, loadTaskFile, taskFileOf, withTaskKeywords, wrapperOf } from './playbook.js';
import type { PathSeg, YamlDoc } from './yaml.js';

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

/** The file and the other arguments: `x.yml a=1`, `{file: x.yml, a: 1}`, or under `args:`. */
function argsOf(doc: YamlDoc, p: PathSeg[], task: Raw, key: string): { file: string; params: Raw } {
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
    throw errorAt(doc, at, `${key} takes a file name`);
  }
  // As Ansible: `args:` gives arguments under the action's own (the action's win).
  if (task.args !== undefined) {
    if (!isMapping(task.args)) throw errorAt(doc, [...p, 'args'], 'args: expected a mapping');
    args = { ...task.args, ...args };
  }
  const { _raw_params: rawParams, file: fileArg, ...params } = args;
  const file = rawParams ?? fileArg;
  if (typeof file !== 'string' || !file) throw errorAt(doc, at, `No file specified for ${key}`, true);
  if ('apply' in params) throw errorAt(doc, at, `Invalid options for ${key}: apply`);
  return { file, params };
}

/** A bare `include:` task as the items it stands for. */
export async function loadBareInclude(doc: YamlDoc, p: PathSeg[], task: Raw, key: string, ctx: LoadContext, handler = false): Promise<Item[]> {
  loadWarning({ msg: BARE_INCLUDE_DEPRECATION, deprecation: true });
  const { file, params } = argsOf(doc, p, task, key);
  if (task.vars !== undefined && !isMapping(task.vars)) throw errorAt(doc, [...p, 'vars'], 'vars: expected a mapping');
  // The include's arguments are variables of the included tasks (TaskInclude.get_vars); its `vars:`
  // win over them (they are also its include params, a higher layer: checked with ansible-playbook 2.14).
  const vars = { ...params, ...task.vars };
  const rest: Raw = Object.fromEntries(Object.entries(task).filter(([k]) => k !== key && k !== 'args' && k !== 'vars'));
  if (Object.keys(vars).length) rest.vars = vars;
  const looped = 'loop' in rest || Object.keys(rest).some((k) => k.startsWith('with_'));
  if (isTemplated(file) || looped || ctx.dynamic) {
    if (handler) throw errorAt(doc, [...p, key], `a dynamic ${key} in handlers is not supported by tsplay (list the handler tasks, or use import_tasks)`, true);
    const inc = await loadIncludeTasks(doc, p, { ...rest, [key]: file }, key, ctx);
    if (!inc.include) throw errorAt(doc, p, 'internal error: an include without its spec');
    inc.include.bare = true;
    return [inc];
  }
  // Static: as import_tasks, the include's keywords apply to every included task.
  const { block, task: taskKw } = wrapperOf(doc, p, rest, key, ctx);
  const path = taskFileOf(doc, [...p, key], file, ctx);
  const items = withTaskKeywords(await loadTaskFile(doc, [...p, key], path, ctx), taskKw);
  if (Object.keys(rest).every((k) => k === 'name' || k === 'run_once' || k === 'delegate_to')) return items;
  return [{ ...block, block: items }];
}
