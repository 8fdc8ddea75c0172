// One host's state through a run (HostRun) and a task's outcome on it: what
// the runner, the task executor and the built-in actions share about a host.

import type { Connection, ConnectionSettings } from '../connection/connection.js';
import type { RecapCounts, HostStatus } from '../report/events.js';
import type { Facts, InitSystem } from '../module-api.js';
import type { Overlay } from '../host/overlay.js';
import type { ReadAhead } from '../host/read-ahead.js';
import type { Vars } from '../template/vars.js';

export interface HostRun {
  name: string;
  /** --check, during a loop: its items' reads, made before the first item (action.ts readLoopAhead). */
  readAhead?: ReadAhead;
  settings: ConnectionSettings;
  conn?: Connection;
  /**
   * Connections other than the host's default one (remote_user, port or
   * connection keywords), by connectionKey (engine/run/connection-settings.ts):
   * opened on first use, kept for the run, closed at its end.
   */
  extraConns?: Map<string, Connection>;
  facts?: Facts;
  /**
   * Facts probed for a user's module (from library/) when the play did not
   * gather them (gather_facts: false): such a module may read any fact. Not
   * exposed as variables. tsplay's own modules read no fact they cannot detect
   * (the init system, below), so they never wait for this probe.
   */
  probedFacts?: Facts;
  /** The init system, detected once for the run when no facts name it (engine/host/host.ts). */
  detectedInit?: InitSystem;
  /** Facts modules returned under ansible_facts (getent, service_facts, ...), by their names (engine/run/fact-cache.ts). */
  moduleFacts?: Vars;
  /** set_fact and register, this run (Ansible's "host facts / registered vars" layer). */
  setFacts: Vars;
  includeVars: Vars;
  overlay: Overlay;
  /** A real run's background downloads of the packages its apt tasks install (engine/run/package-prefetch.ts): those tasks wait for them. */
  packageDownloads?: Promise<void>;
  /** Failed or unreachable: drops out of the rest of the run. */
  failed: boolean;
  unreachable: boolean;
  /** Ended by meta end_play for the current play. */
  ended: boolean;
  /**
   * A play ran on this host. Only such hosts are in the recap (as Ansible's):
   * a host read through hostvars or used by delegate_to has a HostRun too.
   */
  inPlay: boolean;
  /** Names and listen topics the host's tasks notified, not yet matched to handlers (flushHandlers does). */
  notified: Set<string>;
  /**
   * Handlers woken for this host and not yet run: the play's handler Tasks (engine/run/strategy.ts,
   * flushHandlers), held as plain objects so this file needs nothing from engine/load (no import cycle).
   */
  handlersDue?: Set<object>;
  recap: RecapCounts;
  /** Jobs started by `async` with `poll: 0`, by id (engine/run/async-job.ts). */
  asyncJobs?: Map<string, AsyncJob>;
}

/** A job started by `async` with `poll: 0` (engine/run/async-job.ts). */
export interface AsyncJob {
  id: string;
  /** Set when the job has ended. */
  outcome?: TaskOutcome;
  done: Promise<TaskOutcome>;
}

/** A task failure the block machinery can rescue. */
export interface TaskOutcome {
  status: HostStatus;
  result: Record<string, unknown>;
  ignored?: boolean;
}

export const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
