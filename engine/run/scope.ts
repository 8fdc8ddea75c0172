// Scope: what a task inherits from its play and enclosing blocks (vars, tags,
// become, environment, check_mode, no_log, ignore_errors, conditions), and the
// variables a task sees on a host, built from the layers of precedence.ts.

import { dirname, resolve } from 'node:path';
import type { Item, Play, Task } from '../load/playbook.js';
import type { Facts } from '../module-api.js';
import { groupNamesOf, groupsMap, inventoryLayers } from '../inventory/inventory.js';
import { factCacheLayer } from './fact-cache.js';
import type { Vars } from '../template/vars.js';
import { taskVars, type MagicVariable, type RoleMagicVariable } from './precedence.js';
import { resolveFlag, type Flag } from './flags.js';
import type { RunContext } from './context.js';
import type { HostRun } from './host-run.js';
import type { RoleInstance } from '../load/roles.js';
import { mergeConnectionKeywords, type ConnectionKeywords } from '../load/connection-keywords.js';

/** Inherited per-item context while walking blocks. */
export interface Scope {
  /** `vars:` of the enclosing blocks, outer first. */
  vars: Vars[];
  /** The task's own `vars:` (set for the task itself, not inherited). */
  taskVars?: Vars;
  tags: string[];
  /** become, check_mode, no_log: templates until resolved for a host (withHostFlags). */
  become?: Flag;
  becomeUser?: string;
  /** remote_user, port, connection, become_method/flags/exe: the innermost set wins (engine/run/connection-settings.ts). */
  conn?: ConnectionKeywords;
  environment?: Record<string, unknown>;
  checkMode?: Flag;
  noLog?: Flag;
  ignoreErrors?: boolean | string;
  when: Array<{ conds: Array<string | boolean>; src: Task['src'] }>;
  /** The role the item belongs to (role defaults, vars, params; role_name). */
  role?: RoleInstance;
  /** include_tasks / include_role `vars:` and loop variable, outer include first. */
  includeParams?: Vars[];
  /**
   * Where the task's lookups look for controller files, before the playbook
   * directory (ansible_search_path): the task file's directory; role paths go
   * first once roles set them (Ansible: the role dependency chain, then the task's directory).
   */
  searchPath?: string[];
  /** The task's name as printed (rendered once for all its hosts: names.ts). */
  displayName?: string;
}

/**
 * The scope with become, check_mode and no_log resolved for one host (a
 * template among them rendered with its variables, run/flags.ts).
 */
export function withHostFlags(scope: Scope, vars: Vars): Scope {
  return {
    ...scope,
    become: resolveFlag(scope.become, vars, 'become'),
    checkMode: resolveFlag(scope.checkMode, vars, 'check_mode'),
    noLog: resolveFlag(scope.noLog, vars, 'no_log'),
  };
}

/** A flag of a scope that withHostFlags resolved. */
export function resolved(v: Flag | undefined): boolean | undefined {
  if (typeof v === 'string') throw new Error(`internal: keyword template "${v}" used before it was resolved for the host`);
  return v;
}

/** A play's scope, at the root of its tasks (with tags) or of its handlers (without). */
export function playScope(play: Play, tags: string[] = play.tags): Scope {
  return {
    vars: [], tags, become: play.become, becomeUser: play.becomeUser, conn: play.conn, environment: play.environment,
    checkMode: play.checkMode, noLog: play.noLog, when: [],
  };
}

/** A task's scope: its block's, with its own keywords (its `when` is evaluated per loop item, not here). */
export function taskScope(parent: Scope, task: Task): Scope {
  return { ...childScope(parent, { ...task, vars: {}, when: [] }), taskVars: task.vars, searchPath: task.src.searchPath ?? [...(parent.searchPath ?? []), dirname(resolve(task.src.doc.file))] };
}

export function childScope(scope: Scope, item: Item): Scope {
  return {
    vars: item.vars && Object.keys(item.vars).length ? [...scope.vars, item.vars] : scope.vars,
    tags: [...scope.tags, ...item.tags],
    become: item.become ?? scope.become,
    becomeUser: item.becomeUser ?? scope.becomeUser,
    conn: mergeConnectionKeywords(scope.conn, item.conn),
    environment: (item.environment as Record<string, unknown> | undefined) ?? scope.environment,
    checkMode: item.checkMode ?? scope.checkMode,
    noLog: item.noLog ?? scope.noLog,
    ignoreErrors: item.ignoreErrors ?? scope.ignoreErrors,
    when: item.when.length ? [...scope.when, { conds: item.when, src: item.src }] : scope.when,
    role: item.role ?? scope.role,
    includeParams: scope.includeParams,
    searchPath: scope.searchPath,
  };
}

/**
 * The role layers a host sees: every role of the play (Ansible exposes their
 * defaults and vars play-wide), roles included with `public: true` on this
 * host so far, then the current role's own, which win.
 */
function roleLayers(rc: RunContext, h: HostRun, role?: RoleInstance): { role_defaults: Vars[]; role_vars: Vars[]; role_params?: Vars } {
  const roles = [...(rc.play.play?.roles ?? []), ...(rc.play.publicRoles.get(h.name) ?? [])];
  if (role) roles.push(role);
  return {
    role_defaults: roles.map((r) => r.defaults),
    role_vars: roles.map((r) => r.vars),
    role_params: role?.params,
  };
}

/** role_name, role_path, ansible_role_name: defined inside a role only. */
function roleMagic(role?: RoleInstance): Vars {
  return role ? { role_name: role.name, ansible_role_name: role.name, role_path: role.path } : {};
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
  const magic: Record<Exclude<MagicVariable, RoleMagicVariable>, unknown> = {
    inventory_hostname: h.name,
    inventory_hostname_short: h.name.split('.')[0],
    group_names: inv.hosts.has(h.name) ? groupNamesOf(inv, h.name) : [],
    groups: groupsOf(inv),
    play_hosts: rc.play.hosts,
    ansible_play_hosts: rc.play.hosts,
    ansible_play_batch: rc.play.hosts,
    ansible_check_mode: rc.opts.check,
    ansible_diff_mode: rc.opts.diff,
    playbook_dir: rc.play.play?.baseDir,
    ansible_search_path: searchPathOf(scope, rc.play.play?.baseDir),
    hostvars: hostvarsView(rc),
    omit: rc.omit,
  };
  return taskVars({
    ...inventoryOf(rc, h.name),
    ...roleLayers(rc, h, scope.role),
    facts: factLayer(h.facts, h.moduleFacts),
    play_vars: rc.play.vars,
    play_vars_files: rc.play.hostVarsFiles.get(h.name) ?? rc.play.varsFiles,
    block_vars: scope.vars,
    task_vars: scope.taskVars,
    include_vars: h.includeVars,
    set_fact: h.setFacts,
    include_params: scope.includeParams,
    loop_vars: loopVars,
    extra_vars: rc.opts.extraVars,
    magic: { ...magic, ...roleMagic(scope.role) },
  });
}

/** ansible_search_path: the scope's directories, then the playbook's (as Ansible's loop and lookups see it). */
function searchPathOf(scope: Scope, playbookDir: string | undefined): string[] {
  const dirs = [...(scope.searchPath ?? [])];
  if (playbookDir !== undefined && !dirs.includes(playbookDir)) dirs.push(playbookDir);
  return dirs;
}

/** hostvars.<host>: every inventory host's variables (without block, task or loop vars), computed when read. */
/**
 * The `groups` map, one per inventory: every task on every host reads the same
 * (templates do not change values in place; py-methods.ts has no mutating
 * method). Building it per task cost O(hosts) per host-task.
 */
const groupsMaps = new WeakMap<RunContext['opts']['inventory'], { hosts: number; groups: number; map: Record<string, string[]> }>();

function groupsOf(inv: RunContext['opts']['inventory']): Record<string, string[]> {
  const known = groupsMaps.get(inv);
  if (known && known.hosts === inv.hosts.size && known.groups === inv.groups.size) return known.map;
  const map = groupsMap(inv);
  groupsMaps.set(inv, { hosts: inv.hosts.size, groups: inv.groups.size, map });
  return map;
}

/**
 * The hostvars view, one per run context: its getters read the hosts' state when
 * they are read, so the same object serves every task. Building it anew for every
 * task on every host cost O(hosts) each time (O(hosts^2) per task step).
 */
const hostvarsViews = new WeakMap<RunContext, { hosts: number; view: Vars }>();

function hostvarsView(rc: RunContext): Vars {
  const known = hostvarsViews.get(rc);
  if (known && known.hosts === rc.opts.inventory.hosts.size) return known.view;
  const view = buildHostvarsView(rc);
  hostvarsViews.set(rc, { hosts: rc.opts.inventory.hosts.size, view });
  return view;
}

function buildHostvarsView(rc: RunContext): Vars {
  const view: Vars = {};
  for (const name of rc.opts.inventory.hosts.keys()) {
    Object.defineProperty(view, name, {
      enumerable: true,
      get: () => {
        const h = rc.hostRun(name);
        return taskVars({
          ...inventoryOf(rc, name),
          ...roleLayers(rc, h),
          facts: factLayer(h.facts, h.moduleFacts),
          play_vars: rc.play.vars,
          play_vars_files: rc.play.hostVarsFiles.get(name) ?? rc.play.varsFiles,
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
