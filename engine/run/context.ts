// RunContext: the Runner's state as the strategy and the task executor see
// it, and the options a run is made with.

import type { LimitFunction } from 'p-limit';
import type { Connection, ConnectionSettings } from '../connection/connection.js';
import type { Reporter } from '../report/events.js';
import type { ModuleRegistry } from '../load/registry.js';
import type { Play } from '../load/playbook.js';
import type { RoleInstance } from '../load/roles.js';
import type { Inventory } from '../inventory/inventory.js';
import type { ConnectionDefaults } from '../inventory/host-vars.js';
import type { Vars } from '../template/vars.js';
import type { BuiltinAction } from './builtins/builtin.js';
import type { HostRun } from './host-run.js';

export interface RunnerOptions {
  inventory: Inventory;
  registry: ModuleRegistry;
  check: boolean;
  diff: boolean;
  forks: number;
  strategy: 'linear' | 'free';
  limit?: string;
  tags: string[];
  skipTags: string[];
  extraVars: Vars;
  verbosity: number;
  emit: Reporter;
  /** What -u, --private-key, -T, -c, -b, --become-user/-method and ansible.cfg set: below every host variable. */
  connectionDefaults?: ConnectionDefaults;
  /** --force-handlers: a host that failed still runs the handlers it notified. */
  forceHandlers?: boolean;
  /** --start-at-task: tasks before the first whose name matches (fnmatch) are skipped on each host. */
  startAtTask?: string;
  /** --step: asked before each task (not handlers); 'no' skips it. */
  confirmTask?: (task: string) => Promise<'yes' | 'no' | 'continue'>;
  /** Make a connection (tests pass an in-memory one). Default: ssh or local by ansible_connection. */
  connect?: (settings: ConnectionSettings) => Connection;
  /** Wait (loop_control.pause); tests pass one that records the call. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** The play being run, as the current batch sees it. */
export interface PlayState {
  play?: Play;
  /** The current serial batch (play_hosts). */
  hosts: string[];
  vars: Vars;
  /** vars_files read for the whole play (names without templates). */
  varsFiles: Vars;
  /** vars_files per host, when some names are templates (read after facts): replaces varsFiles for that host. */
  hostVarsFiles: Map<string, Vars>;
  /** Roles included with `public: true` on a host: their defaults and vars are the play's from then on. */
  publicRoles: Map<string, RoleInstance[]>;
}

export interface RunContext {
  /** opts.emit drops events once the run has ended. */
  readonly opts: RunnerOptions;
  readonly limit: LimitFunction;
  readonly play: PlayState;
  readonly builtins: ReadonlyMap<string, BuiltinAction>;
  /** This run's `omit` placeholder (engine/run/omit.ts). */
  readonly omit: string;
  interrupted(): boolean;
  hostRun(name: string): HostRun;
  isActive(name: string): boolean;
  /** --start-at-task: the hosts that have reached the task it names. */
  readonly startReached: Set<string>;
  playAborted(batch: string[], play: Play): boolean;
  /** The host's connection for these settings (default: its own): one per host and connectionKey, kept for the run. */
  connection(h: HostRun, settings?: ConnectionSettings): Connection;
  /** Unreachable, interrupted or failed outside a task's result: counted and reported. */
  hostError(h: HostRun, task: string, e: unknown, durationMs: number, place?: string, noLog?: boolean): void;
}
