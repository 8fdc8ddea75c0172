// A task's action on one host: its arguments rendered (and `omit`ted options
// removed), then a built-in action (builtins/) or a module through runModule
// (task-exec.ts) on the host it runs on (delegate_to), with become and the
// task's environment.

import { readControllerFile } from '../vault/read.js';
import { isAbsolute, resolve } from 'node:path';
import { findInSearchPath, searchedPlaces, templateDirs, type SearchKind } from '../load/search-path.js';
import type { Task } from '../load/playbook.js';
import { formatSourcePlace } from '../load/playbook.js';
import { isBuiltin, validateModuleArgs } from '../load/module-args.js';
import { resolveActionName } from '../load/module-names.js';
import { BUILTIN_SCHEMAS } from '../load/playbook-schema.js';
import { coerceToSchema } from '../load/coerce.js';
import type { HostWriter, ModuleContext, ModuleDef, RunOptions as CmdOptions } from '../module-api.js';
import { isModuleError, ModuleError } from '../module-api.js';
import { Host } from '../host/host.js';
import { ReadAhead } from '../host/read-ahead.js';
import { UnreachableError, CommandTimeoutError, InterruptedError } from '../connection/connection.js';
import type { Vars } from '../template/vars.js';
import { renderDeep, renderString, TemplateError } from '../template/template.js';
import { renderTemplateFile } from '../template/template-file.js';
import { trackUnsafe } from '../template/unsafe.js';
import { evaluateAll, ExpressionError } from '../template/expression.js';
import type { RunContext } from './context.js';
import type { HostRun, TaskOutcome } from './host-run.js';
import { resolved, varsFor, type Scope } from './scope.js';
import { effectiveSettings } from './connection-settings.js';
import { isImplicitLocalhost } from '../inventory/inventory.js';
import { removeOmitted } from './omit.js';
import { runModule } from './task-exec.js';
import { gatherHostFacts, PROBE_SUBSET } from './gather.js';
import { WAITS_FOR_DOWNLOADS } from './package-prefetch.js';
import { recordModuleFacts } from './fact-cache.js';
import { withCommandLog } from './command-log.js';
import { DeadlineError, finishedJob, newJobId, startJob, supportsAsync, withDeadline } from './async-job.js';

/** A task's relative file, along its search path; a file found nowhere names every place tried. */
export function localFile(task: Task, playDir: string, kind: SearchKind, p: string): string {
  if (isAbsolute(p)) return p;
  const path = task.src.searchPath ?? [playDir];
  const found = findInSearchPath(path, kind, p);
  if (found) return found;
  throw new ModuleError(`could not find "${p}"; looked in: ${searchedPlaces(path, kind, p).join(', ')}`);
}

/** Check mode for a task on a host (its scope's flags resolved: withHostFlags). */
export function isCheck(rc: RunContext, scope: Scope): boolean {
  const cm = resolved(scope.checkMode);
  return cm === undefined ? rc.opts.check : cm;
}

/** Evaluate conditions; an expression or template error names the task's place. */
export function condition(conds: Array<string | boolean>, vars: Vars, task: Task): boolean {
  try {
    return evaluateAll(conds, vars);
  } catch (e) {
    if (e instanceof ExpressionError || e instanceof TemplateError) throw new ModuleError(`${e.message} (in ${formatSourcePlace(task.src)})`);
    throw e;
  }
}

export function describeError(e: unknown, task: Task, host: string): string {
  if (e instanceof ExpressionError || e instanceof TemplateError) return `${e.message} (task "${task.name ?? task.action}" on ${host}, ${formatSourcePlace(task.src)})`;
  if (e instanceof CommandTimeoutError) return `${e.message}: ${e.command}`;
  return (e as Error).message;
}

/** The facts a module sees: gathered ones, else the probe's with what modules returned over them. */
export function factsFor(h: HostRun): HostRun['facts'] {
  if (h.moduleFacts?.module_setup === true || !h.probedFacts) return h.facts ?? h.probedFacts;
  return h.facts ? { ...h.probedFacts, ...h.facts } : h.probedFacts;
}

/** The host a module runs on (the delegate, if any), as its connection, become and facts make it. */
async function hostFor(rc: RunContext, h: HostRun, scope: Scope, task: Task, vars: Vars, def: ModuleDef, deadline?: number): Promise<{ host: Host; run: HostRun }> {
  let target = h;
  if (task.delegateTo) {
    const d = String(renderDeep(task.delegateTo, vars));
    target = rc.hostRun(d);
  }
  const become = resolved(scope.become) ?? target.settings.become;
  const becomeUser = task.becomeUser ?? scope.becomeUser ?? target.settings.becomeUser;
  // remote_user, port, connection, become_method...: the delegate's variables decide for a delegated task.
  const targetVars = target !== h ? varsFor(rc, target, scope) : vars;
  const settings = effectiveSettings(target.settings, scope.conn, targetVars, isImplicitLocalhost(rc.opts.inventory, target.name));
  let conn = rc.connection(target, settings);
  // -vvv: every command sent, with its rc and time (not under no_log: commands carry values).
  if (rc.opts.verbosity >= 3 && !(resolved(scope.noLog) ?? false)) conn = withCommandLog(conn, rc.opts.emit);
  const host = new Host(deadline === undefined ? conn : withDeadline(conn, deadline), {
    name: target.name, become, becomeUser, loginUser: settings.user, facts: factsFor(target),
    becomeMethod: settings.becomeMethod, becomeFlags: settings.becomeFlags, becomeExe: settings.becomeExe,
    becomePassword: settings.becomePassword, initMemo: target,
    ...(target === h && h.readAhead ? { readAhead: h.readAhead } : {}),
  });
  // Not gathered (facts a module returned, e.g. hostname's, are not the host's facts): probe once
  // for a user's module, which may read any fact. tsplay's own modules detect what they need
  // (the init system, once per host; package reads dpkg itself), so a play without gather_facts
  // does not pay the minimal set's 20-odd reads on every host for them.
  if (!isBuiltin(def) && target.moduleFacts?.module_setup !== true && !target.probedFacts) {
    target.probedFacts = await gatherHostFacts(host, { subset: PROBE_SUBSET });
    host.facts = factsFor(target)!;
  }
  return { host, run: target };
}

/**
 * --check, a loop: the reads its items' gathers will make (ModuleDef.loopReads),
 * made now in one round trip per fact and kept for the items (h.readAhead, set
 * by the caller around the loop). Nothing when the task runs for real on this
 * host, the module lists no reads, or the items' arguments cannot be rendered
 * now (each item then renders, fails or reads as always).
 */
export async function readLoopAhead(rc: RunContext, task: Task, h: HostRun, scope: Scope, count: number, varsOf: (item: number) => Vars): Promise<ReadAhead | undefined> {
  if (count < 2 || !isCheck(rc, scope) || task.templatedAction || task.delegateTo !== undefined || task.async !== undefined) return undefined;
  const def = rc.opts.registry.get(task.action);
  if (!def?.loopReads) return undefined;
  let reads: ReturnType<NonNullable<ModuleDef['loopReads']>>;
  let itemVars: Vars[];
  try {
    itemVars = Array.from({ length: count }, (_, i) => varsOf(i));
    reads = def.loopReads(itemVars.map((v) => removeOmitted(renderDeep(task.args, v), rc.omit)));
  } catch {
    return undefined;
  }
  if (!reads.length) return undefined;
  const ahead = new ReadAhead();
  let host: Host;
  try {
    ({ host } = await hostFor(rc, h, scope, task, itemVars[0], def));
  } catch (e) {
    if (e instanceof UnreachableError || e instanceof InterruptedError) throw e;
    return undefined; // the first item meets the same error and reports it
  }
  for (const r of reads) {
    if (!r.args.length) continue;
    try {
      ahead.put(host.readerKey(), r.fact, r.args, await host.getAll(r.fact, r.args));
    } catch (e) {
      if (e instanceof UnreachableError || e instanceof InterruptedError) throw e;
      // a read that fails here fails in its item, where it is reported
    }
  }
  return ahead;
}

/** Actions the engine runs outside runAction (includes, imports, meta): a templated name cannot stand for them. */
const NOT_TEMPLATABLE = new Set(['include_tasks', 'import_tasks', 'include_role', 'import_role', 'include', 'meta', 'import_playbook']);

/**
 * The module a templated action names on this host (`action: "{{ ansible_pkg_mgr }} name=x"`),
 * as Ansible resolves it when the task runs. Its key=value options are text until now:
 * a built-in's schema converts them here (a module's validation does it for a module).
 */
function templatedActionName(rc: RunContext, task: Task, vars: Vars, args: Record<string, unknown>): string {
  const rendered = String(renderString(task.action, vars)).trim();
  const known = (n: string) => rc.opts.registry.has(n) || rc.builtins.has(n);
  const name = resolveActionName(rendered, known);
  if (name === undefined || NOT_TEMPLATABLE.has(name)) {
    const why = name === undefined ? 'which is not a tsplay module or built-in' : 'which a template cannot name (write it as the task\'s key)';
    throw new ModuleError(`the action "${task.action}" renders to "${rendered}", ${why} (${formatSourcePlace(task.src)})`);
  }
  if (!rc.opts.registry.has(name) && BUILTIN_SCHEMAS[name]) {
    const text = Object.fromEntries(Object.entries(args).filter(([, v]) => typeof v === 'string'));
    coerceToSchema(BUILTIN_SCHEMAS[name], text);
    Object.assign(args, text);
  }
  return name;
}

/** Run the action once; a failure is an outcome, except an unreachable host or Ctrl-C (thrown). */
export async function runAction(rc: RunContext, task: Task, h: HostRun, scope: Scope, vars: Vars): Promise<TaskOutcome> {
  try {
    // Each argument rendered on its own, so set_fact knows which values read host data.
    const rendered: Record<string, unknown> = {};
    const argsFromData = new Set<string>();
    for (const [k, raw] of Object.entries(task.args)) {
      const r = trackUnsafe(() => renderDeep(raw, vars));
      rendered[k] = r.value;
      if (r.unsafe) argsFromData.add(k);
    }
    // As Ansible: an option rendered to the `omit` placeholder is not passed at all.
    const args = removeOmitted(rendered, rc.omit);
    const action = task.templatedAction ? templatedActionName(rc, task, vars, args) : task.action;
    const builtin = rc.builtins.get(action);
    if (builtin) {
      const timing = task.async !== undefined || task.timeout !== undefined ? taskTiming(task, vars) : { poll: 15 };
      // As Ansible: a built-in (an action plugin on the controller) takes no async.
      if (timing.asyncSec !== undefined) return { status: 'failed', result: { changed: false, failed: true, msg: 'async is not supported for this task.' } };
      const running = Promise.resolve(builtin.run({
        host: h,
        task: { name: scope.displayName ?? task.name ?? action, place: formatSourcePlace(task.src), noLog: resolved(scope.noLog) ?? false },
        vars, argsFromData, baseDir: rc.play.play!.baseDir, playHosts: rc.play.hosts,
        findFile: (kind, p) => localFile(task, rc.play.play!.baseDir, kind, p),
        hostRun: (n) => rc.hostRun(n),
        condition: (conds, v) => condition(conds, v, task),
        emit: rc.opts.emit,
      }, args));
      const limit = timing.timeoutSec;
      return limit === undefined ? await running : await withinSeconds(running, limit, () => ({
        status: 'failed', result: { changed: false, failed: true, msg: timeoutMessage(task, limit) },
      }));
    }
    const def = rc.opts.registry.get(action);
    if (!def) throw new ModuleError(`unknown module "${action}"`);
    const errors = validateModuleArgs(def, args);
    if (errors.length) {
      throw new ModuleError(`${action}: ${errors.map((e) => `${e.pointer ? `"${e.pointer.slice(1)}" ` : ''}${e.message}`).join('; ')} (after templating, ${formatSourcePlace(task.src)})`);
    }
    const check = isCheck(rc, scope);
    const timing = taskTiming(task, vars);
    if (timing.asyncSec !== undefined && !supportsAsync(action)) return { status: 'failed', result: { changed: false, failed: true, msg: 'async is not supported for this task.' } };
    // apt waits for the host's background downloads (package-prefetch.ts): the install finds the .debs instead of fetching them again.
    if (h.packageDownloads && WAITS_FOR_DOWNLOADS.has(action)) await h.packageDownloads;
    const moduleRun = (deadline?: number): Promise<TaskOutcome> => runModuleTask(rc, task, h, scope, vars, { action, def, args, check, deadline });
    const limited = (sec: number, expired: () => Record<string, unknown>) => async (): Promise<TaskOutcome> => {
      try {
        return await moduleRun(Date.now() + sec * 1000);
      } catch (e) {
        if (e instanceof DeadlineError) return { status: 'failed', result: { changed: false, failed: true, ...expired() } };
        throw e;
      }
    };
    const timedOut = () => ({ msg: timeoutMessage(task, timing.timeoutSec!) });
    const run = timing.timeoutSec !== undefined ? limited(timing.timeoutSec, timedOut) : () => moduleRun();
    if (timing.asyncSec === undefined) return await run();
    // async: in check mode a prediction, as any task (Ansible refuses the pair; docs/playbooks.md "Long tasks").
    if (check) {
      const predicted = await run();
      const id = finishedJob(h, predicted);
      return { ...predicted, result: { ...predicted.result, ansible_job_id: id, started: 1, finished: timing.poll === 0 ? 0 : 1 } };
    }
    const asyncSec = timing.asyncSec;
    const job = limited(asyncSec, () => ({ msg: `async task did not complete within the requested time - ${asyncSec}s` }));
    if (timing.poll === 0) {
      return startJob(h, async () => {
        try {
          return await job();
        } catch (e) {
          if (e instanceof UnreachableError) return { status: 'unreachable', result: { changed: false, unreachable: true, msg: e.message } };
          throw e;
        }
      });
    }
    return await pollJob(rc, h, { task: scope.displayName ?? task.name ?? action, place: formatSourcePlace(task.src) }, timing.poll, job);
  } catch (e) {
    if (e instanceof UnreachableError || e instanceof InterruptedError) throw e;
    const details = isModuleError(e) ? e.details : {};
    return { status: 'failed', result: { changed: false, ...details, failed: true, msg: describeError(e, task, h.name) } };
  }
}

/** A module's run on the task's host, within the deadline when there is one (DeadlineError past it). */
async function runModuleTask(
  rc: RunContext, task: Task, h: HostRun, scope: Scope, vars: Vars,
  m: { action: string; def: ModuleDef; args: Record<string, unknown>; check: boolean; deadline?: number },
): Promise<TaskOutcome> {
  const { action, def, args, check } = m;
  try {
    const { host, run: target } = await hostFor(rc, h, scope, task, vars, def, m.deadline);
    const env = scope.environment ?? (task.environment as Record<string, unknown> | undefined);
    const writer = env ? withEnvironment(host, renderDeep(env, vars)) : host;
    const ctx: ModuleContext = {
      diff: rc.opts.diff, facts: host.facts,
      render: (tpl) => String(renderString(tpl, vars)),
      renderFile: (src, text, dest) => renderTemplateFile(text, vars, { path: src, dest, searchPath: templateDirs(task.src.searchPath ?? [rc.play.play!.baseDir]) }),
      // The exact bytes: copy writes them as they are, template decodes them as UTF-8.
      // Found as Ansible finds it: the role's templates/ or files/ first (engine/load/search-path.ts); decrypted when vaulted.
      readLocalFile: (p) => readControllerFile(localFile(task, rc.play.play!.baseDir, action === 'template' ? 'templates' : 'files', p)),
      localPath: (p) => resolve(rc.play.play!.baseDir, p),
    };
    // A task marked check_mode: true is a pre-flight: it plans, and changes nothing in any run.
    const outcome = await runModule(def, args, writer, { check, overlay: target.overlay, record: !(task.checkMode !== undefined && scope.checkMode === true), ctx });
    const result = { ...outcome.result } as Record<string, unknown>;
    if (outcome.diff) result.diff = outcome.diff;
    // As Ansible: a module's facts go to the host's fact cache (set_fact's go to setFacts, in its builtin).
    if (result.ansible_facts && typeof result.ansible_facts === 'object') recordModuleFacts(h, result.ansible_facts as Vars);
    return { status: outcome.status, result };
  } catch (e) {
    if (e instanceof UnreachableError || e instanceof InterruptedError || e instanceof DeadlineError) throw e;
    const details = isModuleError(e) ? e.details : {};
    return { status: 'failed', result: { changed: false, ...details, failed: true, msg: describeError(e, task, h.name) } };
  }
}

/** Ansible's words for a task past its `timeout`. */
function timeoutMessage(task: Task, sec: number): string {
  return `The ${task.action} action failed to execute in the expected time frame (${sec}) and was terminated`;
}

/** The outcome, or `late()` when it has not come within `sec` seconds. */
async function withinSeconds(p: Promise<TaskOutcome>, sec: number, late: () => TaskOutcome): Promise<TaskOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<TaskOutcome>((r) => (timer = setTimeout(() => r(late()), sec * 1000)));
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** async, poll and timeout, rendered: whole seconds as Ansible takes them (poll defaults to 15). */
function taskTiming(task: Task, vars: Vars): { asyncSec?: number; poll: number; timeoutSec?: number } {
  const seconds = (name: string, v: number | string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const r = renderDeep(v, vars);
    const n = typeof r === 'number' ? r : /^\s*-?\d+\s*$/.test(String(r)) ? Number(r) : NaN;
    if (!Number.isInteger(n) || n < min) throw new ModuleError(`${name} must be a whole number of seconds${min > 0 ? ' above 0' : ''}, got ${JSON.stringify(r)} (${formatSourcePlace(task.src)})`);
    return n;
  };
  const asyncSec = seconds('async', task.async, 0);
  const timeoutSec = seconds('timeout', task.timeout, 0);
  return {
    // async: 0 is a task run as usual, as Ansible's
    ...(asyncSec ? { asyncSec } : {}),
    poll: seconds('poll', task.poll, 0) ?? 15,
    ...(timeoutSec ? { timeoutSec } : {}),
  };
}

/** Wait for the job, telling "ASYNC POLL" every `poll` seconds as Ansible's default output does, then OK or FAILED. */
async function pollJob(rc: RunContext, h: HostRun, at: { task: string; place: string }, poll: number, job: () => Promise<TaskOutcome>): Promise<TaskOutcome> {
  const jid = newJobId();
  const timer = setInterval(() => rc.opts.emit({ kind: 'async_poll', host: h.name, ...at, jid, state: 'poll' }), poll * 1000);
  let outcome: TaskOutcome;
  try {
    outcome = await job();
  } finally {
    clearInterval(timer);
  }
  const failed = outcome.status === 'failed';
  rc.opts.emit({ kind: 'async_poll', host: h.name, ...at, jid, state: failed ? 'failed' : 'ok' });
  // As Ansible: a job that ran out of time reports the last status it read, under async_result.
  if (failed && typeof outcome.result.msg === 'string' && outcome.result.msg.startsWith('async task did not complete')) {
    return { ...outcome, result: { ...outcome.result, async_result: { ansible_job_id: jid, finished: 0, started: 1, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] } } };
  }
  return { ...outcome, result: { ...outcome.result, ansible_job_id: jid, finished: 1, started: 1 } };
}

/** Wrap a host so every command carries the task's environment. */
function withEnvironment(host: Host, env: Record<string, unknown>): HostWriter {
  const e = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  const add = (opts?: CmdOptions): CmdOptions => ({ ...opts, env: { ...e, ...opts?.env } });
  return Object.assign(Object.create(host) as Host, {
    run: (argv: string[], opts?: CmdOptions) => host.run(argv, add(opts)),
    exec: (argv: string[], opts?: CmdOptions) => host.exec(argv, add(opts)),
    runSections: (snippets: readonly string[], opts?: { timeoutMs?: number }) => host.runSections(snippets, { ...opts, env: e }),
  });
}
