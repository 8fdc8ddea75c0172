// The contract of a built-in action (debug, assert, set_fact, ...): an action
// the engine runs itself instead of a module. Each is one file in this folder,
// registered in index.ts; the loader takes the valid action names from there.
// A built-in with state across a play (readiness) keeps it in its instance:
// createBuiltins() makes fresh instances for each run.

import type { Reporter } from '../../report/events.js';
import type { Vars } from '../../template/vars.js';
import type { HostRun, TaskOutcome } from '../host-run.js';

export interface BuiltinContext {
  /** The host the task runs on. */
  host: HostRun;
  /** The task's name as reported, its place in the playbook, and whether no_log applies. */
  task: { name: string; place: string; noLog: boolean };
  /** The task's variables (for expressions the action evaluates itself). */
  vars: Vars;
  /** Argument names whose rendered value read host data (set_fact keeps those as data). */
  argsFromData: ReadonlySet<string>;
  /** The play's directory. */
  baseDir: string;
  /** A relative file along the task's search path (a role's vars/ first, ...); throws naming the places tried. */
  findFile?(kind: 'templates' | 'files' | 'vars' | 'tasks', path: string): string;
  /** The hosts of the current batch (play_hosts). */
  playHosts: readonly string[];
  hostRun(name: string): HostRun;
  /** Evaluate conditions, as `when`: an expression error names the task's place. */
  condition(conds: Array<string | boolean>, vars: Vars): boolean;
  emit: Reporter;
}

export interface BuiltinAction {
  name: string;
  run(ctx: BuiltinContext, args: Record<string, unknown>): TaskOutcome | Promise<TaskOutcome>;
  /** A play starts: forget what the previous play collected. */
  playStart?(): void;
  /** A play ended: report what was collected. */
  playEnd?(emit: Reporter): void;
}
