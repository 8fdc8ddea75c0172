// The task keywords `async`, `poll` and `timeout`, and the jobs `async_status`
// reads (docs/playbooks.md "Long tasks").
//
// A tsplay module runs from the controller (gather, plan, apply: commands over
// the host's connection), so a job is that run, kept as a promise on the
// controller, and a time limit is a deadline every command of the task carries:
// a command still running at the deadline is killed with its process group, as
// a command timeout kills it, and the task fails with Ansible's message.
//
// - `async: N` with `poll: P` (P > 0, Ansible's default 15): the task runs with
//   a deadline of N seconds; "ASYNC POLL" lines every P seconds while it runs;
//   the result carries ansible_job_id, started and finished as Ansible's does.
//   It ends when the module ends (Ansible notices only at its next poll).
// - `async: N` with `poll: 0`: the task starts the job and reports it started
//   (changed, finished 0); later tasks go on; `async_status: jid=...` reads it.
//   The run waits for its jobs before it ends (Ansible leaves them running on
//   the host; tsplay's job runs from the controller, and a module cut short at
//   exit would be half done).
// - `timeout: N`: the deadline alone, with Ansible's "failed to execute in the
//   expected time frame" message.
// - In check mode an async task is predicted as any task is (Ansible fails it:
//   "check mode and async cannot be used on same task"), and a poll 0 job is
//   finished at once with its prediction.

import { randomInt } from 'node:crypto';
import { withExec, type Connection } from '../connection/connection.js';
import type { AsyncJob, HostRun, TaskOutcome } from './host-run.js';

/** Ansible's modules whose action plugin refuses async ("async is not supported for this task."). */
const NO_ASYNC = new Set(['copy', 'template', 'assemble', 'fetch', 'unarchive', 'script', 'raw', 'wait_for_connection', 'synchronize']);

export function supportsAsync(action: string): boolean {
  return !NO_ASYNC.has(action);
}

/** The task's deadline was reached while one of its commands ran (the command was killed) or before the next one. */
export class DeadlineError extends Error {
  constructor(readonly host: string) {
    super('the task reached its time limit');
    this.name = 'DeadlineError';
  }
}

/** A connection whose every command ends by `deadline` (ms since the epoch): killed at it, DeadlineError past it. */
export function withDeadline(conn: Connection, deadline: number): Connection {
  return withExec(conn, async (command, opts) => {
    const left = deadline - Date.now();
    if (left <= 0) throw new DeadlineError(conn.host);
    try {
      return await conn.exec(command, { ...opts, timeoutMs: opts.timeoutMs ? Math.min(opts.timeoutMs, left) : left });
    } catch (e) {
      if (Date.now() >= deadline) throw new DeadlineError(conn.host);
      throw e;
    }
  });
}

/** Ansible's job id: "j" and up to 12 digits, a dot, the controller's pid. */
export function newJobId(): string {
  return `j${randomInt(0, 2 ** 47) % 1e12}.${process.pid}`;
}

/** A host's jobs this run, by id. */
export function jobsOf(h: HostRun): Map<string, AsyncJob> {
  h.asyncJobs ??= new Map();
  return h.asyncJobs;
}

/** Start a poll: 0 job: `run` goes on in the background; the outcome is Ansible's "started" result. */
export function startJob(h: HostRun, run: () => Promise<TaskOutcome>): TaskOutcome {
  const id = newJobId();
  const job: AsyncJob = { id, done: Promise.resolve(undefined as unknown as TaskOutcome) };
  job.done = run().then(
    (o) => (job.outcome = o),
    (e: unknown) => (job.outcome = { status: 'failed', result: { failed: true, changed: false, msg: (e as Error).message } }),
  );
  jobsOf(h).set(id, job);
  return { status: 'changed', result: { ansible_job_id: id, changed: true, failed: 0, finished: 0, started: 1 } };
}

/** A job already ended (check mode): async_status finds it finished. */
export function finishedJob(h: HostRun, outcome: TaskOutcome): string {
  const id = newJobId();
  jobsOf(h).set(id, { id, outcome, done: Promise.resolve(outcome) });
  return id;
}

/** What async_status reports for a job: running, or its result with finished 1; a job it does not know fails. */
export function jobStatus(h: HostRun, jid: string, mode: 'status' | 'cleanup'): TaskOutcome {
  const job = h.asyncJobs?.get(jid);
  const noOutput = { stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] };
  if (!job) return { status: 'failed', result: { ansible_job_id: jid, changed: false, failed: true, finished: 1, started: 1, msg: 'could not find job', ...noOutput } };
  if (mode === 'cleanup') {
    h.asyncJobs!.delete(jid);
    return { status: 'ok', result: { ansible_job_id: jid, changed: false, finished: 0, started: 0, ...noOutput } };
  }
  if (!job.outcome) {
    return { status: 'ok', result: { ansible_job_id: jid, changed: false, failed: false, finished: 0, started: 1, ...noOutput } };
  }
  return { ...job.outcome, result: { ...job.outcome.result, ansible_job_id: jid, finished: 1, started: 1 } };
}

/** Wait for every job still running (the run's end): each is bounded by its own deadline. */
export async function awaitJobs(hosts: Iterable<HostRun>): Promise<void> {
  const running = [...hosts].flatMap((h) => [...(h.asyncJobs?.values() ?? [])]).filter((j) => !j.outcome);
  await Promise.all(running.map((j) => j.done));
}
