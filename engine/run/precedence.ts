// Variable precedence: the one ordered list of layers a task's variables are
// built from (VAR_LAYERS), lowest first. The runner builds one object per layer
// and merges them in this order (taskVars); `tsplay validate` accepts the names
// of the magic layer (MAGIC_VARIABLES); the tests read both. docs/inventory.md
// explains the order and where it comes from (Ansible's documented list).

import { buildVars, type Vars } from '../template/vars.js';
import { mergeVarLayers } from '../inventory/host-vars.js';

/**
 * Layers of variables, lowest precedence first, as Ansible's documented list
 * for the parts tsplay supports.
 *
 * Note (Ansible, not intuition): include_vars and set_fact/register sit ABOVE
 * block and task vars; extra vars win over everything a user can set; the
 * magic variables (inventory_hostname, omit, ...) cannot be overridden.
 */
export const VAR_LAYERS = [
  'role_defaults', //        defaults/main of every role of the play, then of the task's own role (deps' first)
  'inventory_group_vars', // inventory + group_vars/ (inline all < inline groups < group_vars/all < group_vars/<group>)
  'inventory_host_vars', //  inline host vars < host_vars/ (inventory, then playbook-adjacent)
  'facts', //                gathered facts (ansible_facts and the injected ansible_* names)
  'play_vars', //            play `vars:`
  'play_vars_files', //      play `vars_files:`
  'role_vars', //            role entry `vars:` + vars/main of every play role, then the task's own role
  'block_vars', //           `vars:` of enclosing blocks, outer to inner
  'task_vars', //            task `vars:`
  'include_vars', //         results of include_vars
  'set_fact', //             set_fact and registered results
  'role_params', //          the task's role's params (`- role: x` + other keys), its role only
  'include_params', //       include_tasks/include_role `vars:` and loop variable, outer include first
  'loop_vars', //            the loop variable (`item`)
  'extra_vars', //           -e
  'magic', //                MAGIC_VARIABLES, set by the engine: nothing overrides them
] as const;

export type VarLayer = (typeof VAR_LAYERS)[number];

/** The magic layer: variables the engine defines for every task (Ansible's names). */
export const MAGIC_VARIABLES = [
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'play_hosts',
  'ansible_play_hosts', 'ansible_play_batch', 'ansible_check_mode', 'ansible_diff_mode', 'playbook_dir', 'omit',
  // Inside a role only (engine/run/scope.ts, roleMagic):
  'role_name', 'ansible_role_name', 'role_path',
  'ansible_search_path',
] as const;

export type MagicVariable = (typeof MAGIC_VARIABLES)[number];

/** Magic variables defined only for a task of a role. */
export type RoleMagicVariable = 'role_name' | 'ansible_role_name' | 'role_path';

/** Several layers may fill one slot (block vars: one per enclosing block, outer first). */
export type NamedLayers = Partial<Record<VarLayer, Vars | Vars[]>>;

/** The layers in VAR_LAYERS order, whatever order the object was built in. */
export function orderedLayers(layers: NamedLayers): Vars[] {
  for (const k of Object.keys(layers)) {
    if (!(VAR_LAYERS as readonly string[]).includes(k)) throw new Error(`unknown variable layer "${k}"`);
  }
  return VAR_LAYERS.flatMap((k) => {
    const l = layers[k];
    return l === undefined ? [] : Array.isArray(l) ? l : [l];
  });
}

/** Merge plain named layers in VAR_LAYERS order (later layers replace keys wholesale). */
export function mergeNamedLayers(layers: NamedLayers): Vars {
  return mergeVarLayers(orderedLayers(layers));
}

/** A task's variables: the named layers in VAR_LAYERS order, templated values rendered lazily (buildVars). */
export function taskVars(layers: NamedLayers): Vars {
  return buildVars(orderedLayers(layers));
}
