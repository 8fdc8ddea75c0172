// Scope: what a task inherits from its play and enclosing blocks (vars, tags,
// become, environment, check_mode, no_log, ignore_errors, conditions), and the
// variables a task sees on a host, built from the layers of precedence.ts.

import type { Item, Play, Task } from '../load/playbook.js';
import type { Facts } from '../module-api.js';
import { groupNamesOf, groupsMap, inventoryLayers } from '../inventory/inventory.js';
import { factCacheLayer } from './fact-cache.js';
import type { Vars } from '../template/vars.js';
import { taskVars, type MagicVariable } from './precedence.js';
import type { RunContext } from './context.js';
import type { HostRun } from './host-run.js';

/** Inherited per-item context while walking blocks. */
export interface Scope {
  /** `vars:` of the enclosing blocks, outer first. */
  vars: Vars[];
  /** The task's own `vars:` (set for the task itself, not inherited). */
  taskVars?: Vars;
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  environment?: Record<string, unknown>;
  checkMode?: boolean;
  noLog?: boolean;
  ignoreErrors?: boolean | string;
  when: Array<{ conds: Array<string | boolean>; src: Task['src'] }>;
}

/** A play's scope, at the root of its tasks (with tags) or of its handlers (without). */
export function playScope(play: Play, tags: string[] = play.tags): Scope {
  return {
    vars: [], tags, become: play.become, becomeUser: play.becomeUser, environment: play.environment,
    checkMode: play.checkMode, noLog: play.noLog, when: [],
  };
}

/** A task's scope: its block's, with its own keywords (its `when` is evaluated per loop item, not here). */
export function taskScope(parent: Scope, task: Task): Scope {
  return { ...childScope(parent, { ...task, vars: {}, when: [] }), taskVars: task.vars };
}

export function childScope(scope: Scope, item: Item): Scope {
  return {
    vars: item.vars && Object.keys(item.vars).length ? [...scope.vars, item.vars] : scope.vars,
    tags: [...scope.tags, ...item.tags],
    become: item.become ?? scope.become,
    becomeUser: item.becomeUser ?? scope.becomeUser,
    environment: (item.environment as Record<string, unknown> | undefined) ?? scope.environment,
    checkMode: item.checkMode ?? scope.checkMode,
    noLog: item.noLog ?? scope.noLog,
    ignoreErrors: item.ignoreErrors ?? scope.ignoreErrors,
    when: item.when.length ? [...scope.when, { conds: item.when, src: item.src }] : scope.when,
  };
}

/** --tags / --skip-tags, with always, never, tagged and untagged as Ansible's. */
export function tagSelected(tags: string[], only: string[], skipTags: string[]): boolean {
  const set = new Set(tags);
  if (skipTags.some((t) => set.has(t) || (t === 'tagged' && set.size > 0) || (t === 'untagged' && set.size === 0))) return false;
  if (set.has('always') && !skipTags.includes('always')) return true;
  if (!only.length || only.includes('all')) return !set.has('never');
  return only.some((t) => set.has(t) || (t === 'tagged' && set.size > 0) || (t === 'untagged' && set.size === 0));
}

/** Gathered facts as a variable layer (ansible_facts and ansible_<name>): host data. */
export function factLayer(facts: Facts | undefined, moduleFacts?: Vars): Vars {
  return factCacheLayer(facts, moduleFacts);
}

/** A host's inventory layers; none for a host not in the inventory (the implicit localhost). */
function inventoryOf(rc: RunContext, name: string): { inventory_group_vars?: Vars; inventory_host_vars?: Vars } {
  const inv = rc.opts.inventory;
  if (!inv.hosts.has(name)) return {};
  const { groupVars, hostVars } = inventoryLayers(inv, name);
  return { inventory_group_vars: groupVars, inventory_host_vars: hostVars };
}

/** The variables a task sees on a host, in VAR_LAYERS order (precedence.ts). */
export function varsFor(rc: RunContext, h: HostRun, scope: Scope, loopVars?: Vars): Vars {
  const inv = rc.opts.inventory;
  const magic: Record<MagicVariable, unknown> = {
    inventory_hostname: h.name,
    inventory_hostname_short: h.name.split('.')[0],
    group_names: inv.hosts.has(h.name) ? groupNamesOf(inv, h.name) : [],
    groups: groupsMap(inv),
    play_hosts: rc.play.hosts,
    ansible_play_hosts: rc.play.hosts,
    ansible_play_batch: rc.play.hosts,
    ansible_check_mode: rc.opts.check,
    ansible_diff_mode: rc.opts.diff,
    playbook_dir: rc.play.play?.baseDir,
    hostvars: hostvarsView(rc),
    omit: rc.omit,
  };
  return taskVars({
    ...inventoryOf(rc, h.name),
    facts: factLayer(h.facts, h.moduleFacts),
    play_vars: rc.play.vars,
    play_vars_files: rc.play.varsFiles,
    block_vars: scope.vars,
    task_vars: scope.taskVars,
    include_vars: h.includeVars,
    set_fact: h.setFacts,
    loop_vars: loopVars,
    extra_vars: rc.opts.extraVars,
    magic,
  });
}

/** hostvars.<host>: every inventory host's variables (without block, task or loop vars), computed when read. */
function hostvarsView(rc: RunContext): Vars {
  const view: Vars = {};
  for (const name of rc.opts.inventory.hosts.keys()) {
    Object.defineProperty(view, name, {
      enumerable: true,
      get: () => {
        const h = rc.hostRun(name);
        return taskVars({
          ...inventoryOf(rc, name),
          facts: factLayer(h.facts, h.moduleFacts),
          play_vars: rc.play.vars,
          play_vars_files: rc.play.varsFiles,
          include_vars: h.includeVars,
          set_fact: h.setFacts,
          extra_vars: rc.opts.extraVars,
          magic: { inventory_hostname: name },
        });
      },
    });
  }
  return view;
}
