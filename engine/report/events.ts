// The runner emits typed events; reporters consume them (DESIGN.md §9).
// One union keyed by `kind`. The JSON reporter prints each as one line; field
// names here are the documented, stable JSON format.

import type { FileDiff } from '../module-api.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostResultEvent {
  kind: 'host_result';
  host: string;
  task: string;
  status: HostStatus;
  /** ignore_errors turned a failure into ok (counted as "ignored"). */
  ignored?: boolean;
  /** The item, for a loop iteration (label when loop_control.label is set). */
  item?: unknown;
  msg?: string;
  /** Module result (register value), redacted under no_log. */
  result?: Record<string, unknown>;
  diff?: FileDiff[];
  /** In --check: what the task would change. */
  check?: boolean;
  durationMs: number;
  /** Task source place, "file:line:col"; with `task`, it names the task_start this result belongs to. */
  place?: string;
}

export interface HostKeyAddedEvent {
  kind: 'host_key_added';
  /** Inventory hostname. */
  host: string;
  /** The name recorded in known_hosts: "10.0.0.2", or "[10.0.0.2]:2222" off port 22. */
  name: string;
  /** "ssh-ed25519", ... */
  keyType: string;
  /** "SHA256:..." as OpenSSH prints it. */
  fingerprint: string;
  /** The known_hosts file the key was appended to. */
  file: string;
}

export type RunEvent =
  | { kind: 'run_start'; playbooks: string[]; check: boolean; diff: boolean; forks: number; time: string }
  | { kind: 'play_start'; play: string; hosts: string[]; place?: string }
  | { kind: 'task_start'; task: string; play: string; hosts: string[]; place?: string; handler?: boolean }
  | HostResultEvent
  /** include_tasks included a file for these hosts (Ansible's "included: FILE for h1, h2 => (item=x)"). */
  | { kind: 'included'; task: string; file: string; hosts: string[]; item?: unknown; place?: string }
  /** `until` not met yet: the task runs again (Ansible's "FAILED - RETRYING: [host]: task (N retries left)."). */
  | { kind: 'retry'; host: string; task: string; left: number; place?: string }
  /** -vvv: a command sent to a host (Ansible's "<host> EXEC ..."), with its exit status and time; `stdinBytes` when it was fed input. */
  | { kind: 'command'; host: string; command: string; rc: number; durationMs: number; stdinBytes?: number }
  /** An async task's job (engine/run/async-job.ts): still running at a poll, or ended ok or failed. */
  | { kind: 'async_poll'; host: string; task: string; jid: string; state: 'poll' | 'ok' | 'failed'; place?: string }
  /** `deprecation`: printed as Ansible's "[DEPRECATION WARNING]". */
  | { kind: 'warning'; msg: string; host?: string; task?: string; deprecation?: boolean }
  /** accept-new recorded a host's key (OpenSSH warns "Permanently added ..."). */
  | HostKeyAddedEvent
  /** What the connection did differently for a host (no persistent shell: exec channels); shown at -vv. */
  | { kind: 'connection_note'; host: string; msg: string }
  /** msg: the message; with `var`, `{name: value}` for debug's var= (printed as it is, not under "msg"). */
  | { kind: 'debug'; host: string; task: string; msg: unknown; var?: string; place?: string }
  | { kind: 'readiness'; title: string; columns: string[]; rows: Array<{ host: string; cells: Record<string, { ok: boolean; reason?: string; detail?: string }> }> }
  | { kind: 'recap'; hosts: Record<string, RecapCounts>; durationMs: number }
  /** The run could not start (a load, schema or option error): `place` is file:line:col when known; run_end follows. */
  | { kind: 'error'; msg: string; place?: string; exitCode: number }
  | { kind: 'run_end'; exitCode: number; durationMs: number };

export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type Reporter = (event: RunEvent) => void;
