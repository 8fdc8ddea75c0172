// The one step executor: a plan's steps (engine/module-api.ts `Step`) run here,
// in order, for every module. It keeps a result per step, runs the plan's
// rollback (`undo` on a write or a command) when a later step fails, and reports every failed
// command in one format:
//
//   message  "ARGV exited with rc N: STDERR" (stderr trimmed, else stdout's first line)
//   details  { cmd: argv, rc, stdout, stderr, stdout_lines, stderr_lines, start, end, delta, delta_ms }
//
// the shape Ansible's command module reports: stdout/stderr without their
// trailing CR/LF (Python's rstrip("\r\n")), *_lines split as str.splitlines()
// does, start/end/delta as Python prints datetimes. start and end are the
// controller's clock around the command (Ansible's are the host's).
// The runner adds host and task to the message.

import { ModuleError, StaleTargetError, TIMESTAMP_TOKEN } from '../module-api.js';
import type { HostWriter, RunResult, RunStep, Step, WriteStep } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import { sha256Hex } from '../host/content-hash.js';

/** What one step did. */
export type StepResult =
  | { kind: 'run'; cmd: string[]; rc: number; stdout: string; stderr: string; delta_ms: number }
  | { kind: 'write'; path: string; backup_file?: string; warnings?: string[] };

export interface StepsOutcome {
  /** One per step that ran, in order. */
  steps: StepResult[];
  /**
   * What the task registers besides the plan's result: `commands` (the run steps,
   * except quiet ones and a taskResult step), the taskResult command's fields,
   * `backup_file` (a write's backup), `warnings`, registerPath keys.
   */
  result: Record<string, unknown>;
}

/** Stderr lines kept in a failure message (all are in the details). */
const MESSAGE_LINES = 20;
/** Lines of an explanation command's output named in the message. */
const EXPLAIN_LINES = 10;

/** The run-time value of TIMESTAMP_TOKEN: 20261130T155027.123Z. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '');
}

/** Python's rstrip("\r\n"): every trailing CR and LF. */
function stripNewlines(text: string): string {
  return text.replace(/[\r\n]+$/, '');
}

/** What Python's str.splitlines() breaks lines at (\r\n counts as one). */
const LINE_BREAKS = new Set(['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029']);

/** Python's str.splitlines(): no empty last line after a final break. */
function lines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (!LINE_BREAKS.has(c)) {
      cur += c;
      continue;
    }
    out.push(cur);
    cur = '';
    if (c === '\r' && text[i + 1] === '\n') i++;
  }
  if (cur !== '') out.push(cur);
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-11-30 17:41:20.123000`, as Python prints datetime.now() (local time). */
export function pythonDatetime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`;
}

/** `0:00:01.234000`, as Python prints a timedelta under a day. */
export function pythonDelta(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${pad(ms % 1000, 3)}000`;
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** A command's result in the command module's shape (also the failure details). */
/** When a command ran: its start on the controller's clock and how long it took. */
interface Timing {
  started: Date;
  ms: number;
}

function commandResult(argv: readonly string[], r: RunResult, { started, ms: deltaMs }: Timing): Record<string, unknown> & { cmd: string[]; rc: number; stdout: string; stderr: string } {
  const stdout = stripNewlines(r.stdout);
  const stderr = stripNewlines(r.stderr);
  return {
    cmd: [...argv], rc: r.rc, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr),
    start: pythonDatetime(started), end: pythonDatetime(new Date(started.getTime() + deltaMs)), delta: pythonDelta(deltaMs), delta_ms: deltaMs,
  };
}

/** The one failure message: what ran, its rc, and what it said. */
function failureMessage(argv: readonly string[], r: RunResult): string {
  const err = r.stderr.trim().split('\n');
  let said = err.length > MESSAGE_LINES ? `${err.slice(0, MESSAGE_LINES).join('\n')}\n... (${err.length - MESSAGE_LINES} more lines)` : err.join('\n');
  if (said === '') said = firstLine(r.stdout);
  return `${quoteArgv(argv)} exited with rc ${r.rc}${said ? `: ${said}` : ''}`;
}

/** A failed command as ModuleError, in the one format. */
function commandFailed(argv: readonly string[], r: RunResult, timing: Timing): ModuleError {
  return new ModuleError(failureMessage(argv, r), commandResult(argv, r, timing));
}

async function explainFailure(host: HostWriter, step: RunStep, r: RunResult, timing: Timing): Promise<ModuleError> {
  const ex = step.explain!;
  const out = await host.run(ex.argv);
  const found = out.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const shown = found.length === 0 ? ex.none
    : found.slice(0, EXPLAIN_LINES).join(', ') + (found.length > EXPLAIN_LINES ? `, ... (${found.length} in all)` : '');
  return new ModuleError(ex.message.replace('{lines}', () => shown), { ...commandResult(step.argv, r, timing), explanation: found });
}

type Undo = {
  path: string;
  content: string | Buffer;
  /** What the step wrote: the undo replaces only that. */
  wrote: string;
} | { argv: string[] };

/** Put back what undo data says, latest first; one note per undo for the failure message. */
async function rollBack(host: HostWriter, undos: Undo[]): Promise<string[]> {
  const notes: string[] = [];
  for (const u of [...undos].reverse()) {
    if ('argv' in u) {
      const r = await host.exec(u.argv).catch((e: Error) => ({ rc: -1, stdout: '', stderr: e.message }));
      notes.push(r.rc === 0 ? `undone: ${quoteArgv(u.argv)}` : `undo ${quoteArgv(u.argv)} failed (rc ${r.rc}): ${r.stderr.trim()}`);
      continue;
    }
    try {
      await host.writeFile(u.path, u.content, { expect: { sha256: u.wrote } });
      notes.push(`${u.path} restored to its previous content`);
    } catch (e) {
      notes.push(e instanceof StaleTargetError
        ? `${u.path} not restored: it changed since this task wrote it`
        : `restoring ${u.path} failed: ${(e as Error).message}`);
    }
  }
  return notes;
}

async function runOne(host: HostWriter, step: RunStep): Promise<{ r: RunResult; timing: Timing }> {
  const started = new Date();
  const r = await host.exec(step.argv, { stdin: step.stdin, cwd: step.cwd, env: step.env });
  return { r, timing: { started, ms: Date.now() - started.getTime() } };
}

async function writeOne(host: HostWriter, step: WriteStep, stamp: string): Promise<StepResult & { kind: 'write' }> {
  const { kind: _k, path: planned, content, timestamp: stamped, registerPath: _r, undo: _u, ...opts } = step;
  const path = stamped ? planned.split(TIMESTAMP_TOKEN).join(stamp) : planned;
  const w = await host.writeFile(path, content, opts);
  return { kind: 'write', path, ...(w.backupPath ? { backup_file: w.backupPath } : {}), ...(w.warnings?.length ? { warnings: w.warnings } : {}) };
}

/**
 * Run the steps in order on the host. A run step whose rc is not in okCodes
 * (default [0]) stops the plan: ModuleError in the one format (or the step's
 * explanation), after the undo of every earlier write that has one.
 */
export async function executeSteps(steps: readonly Step[], host: HostWriter, now: Date = new Date()): Promise<StepsOutcome> {
  const stamp = timestamp(now);
  const done: StepResult[] = [];
  const result: Record<string, unknown> = {};
  const commands: Array<{ cmd: string; rc: number; stdout: string; stderr: string }> = [];
  const warnings: string[] = [];
  const undos: Undo[] = [];
  try {
    for (const step of steps) {
      if (step.kind === 'write') {
        const w = await writeOne(host, step, stamp);
        done.push(w);
        if (w.backup_file) result.backup_file = w.backup_file;
        if (w.warnings) warnings.push(...w.warnings);
        if (step.registerPath) result[step.registerPath] = w.path;
        if (step.undo) undos.push({ path: w.path, content: step.undo.content, wrote: sha256Hex(step.content) });
        continue;
      }
      const { r, timing } = await runOne(host, step);
      done.push({ kind: 'run', cmd: [...step.argv], rc: r.rc, stdout: r.stdout, stderr: r.stderr, delta_ms: timing.ms });
      if (step.taskResult) Object.assign(result, commandResult(step.argv, r, timing));
      else if (!step.quiet) commands.push({ cmd: quoteArgv(step.argv), rc: r.rc, stdout: r.stdout, stderr: r.stderr });
      if ((step.okCodes ?? [0]).includes(r.rc)) {
        if (step.undo) undos.push({ argv: step.undo.argv });
        continue;
      }
      throw step.explain?.codes.includes(r.rc) ? await explainFailure(host, step, r, timing) : commandFailed(step.argv, r, timing);
    }
  } catch (e) {
    // Only a step that failed is rolled back: an unreachable host, a timeout or
    // Ctrl-C is not a place to start writing.
    if (undos.length === 0 || !(e instanceof ModuleError)) throw e;
    const notes = (await rollBack(host, undos)).join('; ');
    // A lost compare-and-swap keeps its class: the engine plans again (nothing of this attempt is left).
    if (e instanceof StaleTargetError) throw e;
    throw new ModuleError(`${e.message}; ${notes}`, { ...e.details, rolled_back: notes });
  }
  if (commands.length) result.commands = commands;
  if (warnings.length) result.warnings = warnings;
  return { steps: done, result };
}
