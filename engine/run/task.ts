// One task on one host: the enclosing blocks' conditions, the loop, and per
// item the task's `when`, retries/until, changed_when/failed_when, the action
// itself (action.ts), then register and the counts.

import type { Task } from '../load/playbook.js';
import type { FileDiff } from '../module-api.js';
import type { HostStatus } from '../report/events.js';
import { UnreachableError, InterruptedError } from '../connection/connection.js';
import { buildVars, type Vars } from '../template/vars.js';
import { renderDeep, renderString } from '../template/template.js';
import { unsafe } from '../template/unsafe.js';
import { toText, truthy } from '../template/expression.js';
import type { RunContext } from './context.js';
import { NO_LOG_MSG, sleep, type HostRun, type TaskOutcome } from './host-run.js';
import { resolved, varsFor, withHostFlags, type Scope } from './scope.js';
import { countOutcome } from './recap.js';
import { isUndefinedError, itemLabel, itemResult, itemVars, loopItems, loopOutcome, loopSettings } from './loop.js';
import { condition, describeError, isCheck, readLoopAhead, runAction } from './action.js';
import { formatSourcePlace } from '../load/playbook.js';

type EmitResult = (s: HostStatus, r: Record<string, unknown>, x?: { item?: unknown; diff?: FileDiff[]; ignored?: boolean }) => void;

/** Run a task on one host and report it; undefined when it did not run to a result (interrupted, unreachable). */
export async function runTaskOnHost(rc: RunContext, task: Task, n: string, taskScope: Scope, name: string, place: string): Promise<TaskOutcome | undefined> {
  // After Ctrl-C, hosts still queued for this task (more hosts than forks) do not start it.
  if (rc.interrupted()) return undefined;
  const h = rc.hostRun(n);
  const t0 = Date.now();
  // The task's variables on this host, built once: its flags, conditions, loop and
  // action all read them (the flags do not change what a task's variables are).
  let vars: Vars = {};
  // become, check_mode, no_log may be templates: resolved with this host's variables.
  let scope: Scope;
  let flagError: Error | undefined;
  try {
    vars = varsFor(rc, h, taskScope);
    scope = withHostFlags(taskScope, vars);
  } catch (e) {
    flagError = e instanceof Error ? e : new Error(String(e));
    // A no_log that cannot be resolved hides the result rather than show it.
    scope = { ...taskScope, become: undefined, checkMode: undefined, noLog: typeof taskScope.noLog === 'string' ? true : taskScope.noLog };
  }
  const noLog = resolved(scope.noLog) ?? false;
  const emitResult: EmitResult = (status, result, extra = {}) => {
    const shown = noLog ? { changed: result.changed, failed: result.failed, msg: NO_LOG_MSG } : result;
    rc.opts.emit({
      kind: 'host_result', host: n, task: name, status, ignored: extra.ignored, item: noLog ? undefined : extra.item,
      msg: noLog ? NO_LOG_MSG : typeof result.msg === 'string' ? result.msg : undefined,
      result: shown, diff: noLog ? undefined : extra.diff, check: isCheck(rc, scope) || undefined,
      durationMs: Date.now() - t0, place,
    });
  };
  try {
    if (flagError) throw flagError;
    const baseVars = vars;
    // Conditions of enclosing blocks, then the loop, then the task's own when per item.
    for (const w of scope.when) {
      if (!condition(w.conds, baseVars, task)) {
        h.recap.skipped++;
        emitResult('skipped', { changed: false, skipped: true, skip_reason: 'Conditional result was False' });
        return { status: 'skipped', result: { changed: false, skipped: true } };
      }
    }
    let loop: ReturnType<typeof loopItems>;
    try {
      loop = loopItems(task, baseVars);
    } catch (e) {
      // As Ansible 2.14: a loop naming something undefined is held back while
      // `when` is evaluated without an item; a false `when` skips the task.
      if (!isUndefinedError(e) || !whenFalseWithoutItem(task, baseVars)) throw e;
      const outcome: TaskOutcome = { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
      finish(task, h, outcome, emitResult);
      return outcome;
    }
    let outcome: TaskOutcome;
    if (loop === undefined) {
      outcome = await runAttempts(rc, task, h, scope, baseVars);
      finish(task, h, outcome, emitResult);
    } else {
      const { items, data } = loop;
      const s = loopSettings(task.loopControl, baseVars);
      if (Object.hasOwn(baseVars, s.loopVar)) {
        rc.opts.emit({ kind: 'warning', host: n, task: name, msg: `${name}: The loop variable '${s.loopVar}' is already in use. You should set the \`loop_var\` value in the \`loop_control\` option for the task to something else to avoid variable collisions and unexpected behavior.` });
      }
      const results: Record<string, unknown>[] = [];
      const statuses: HostStatus[] = [];
      // --check: the items' reads in one round trip per fact, before the first (action.ts readLoopAhead).
      h.readAhead = await readLoopAhead(rc, task, h, scope, items.length, (i) => varsFor(rc, h, scope, itemVars(s, items, i, data)));
      try {
        for (let i = 0; i < items.length; i++) {
          if (rc.interrupted()) break;
          // As Ansible: the pause comes before every item but the first.
          if (i > 0 && s.pause > 0) await (rc.opts.sleep ?? sleep)(s.pause * 1000);
          const itemVarsNow = varsFor(rc, h, scope, itemVars(s, items, i, data));
          let r = await runAttempts(rc, task, h, scope, itemVarsNow);
          const shown = itemLabel(s, itemVarsNow);
          if ('error' in shown) r = { status: 'failed', result: { ...r.result, failed: true, msg: shown.error }, ignored: r.ignored };
          const label = 'label' in shown ? shown.label : items[i];
          results.push(itemResult(s, r.result, items, i));
          statuses.push(r.status);
          emitResult(r.status, r.result, { item: label, diff: r.result.diff as FileDiff[] | undefined, ignored: r.ignored });
        }
      } finally {
        h.readAhead = undefined;
      }
      outcome = loopOutcome(results, statuses, ignoreErrors(scope, baseVars));
      // An empty loop prints one "skipping" line for the host, as Ansible's.
      finish(task, h, outcome, items.length ? undefined : emitResult);
    }
    return outcome;
  } catch (e) {
    if (e instanceof UnreachableError || e instanceof InterruptedError) {
      rc.hostError(h, name, e, Date.now() - t0, place, noLog);
      return undefined;
    }
    const msg = describeError(e, task, n);
    // As Ansible: ignore_errors covers a task that fails before its action (a loop that cannot be evaluated).
    const outcome: TaskOutcome = { status: 'failed', result: { failed: true, changed: false, msg }, ignored: ignoredBeforeAction(rc, h, scope) };
    finish(task, h, outcome, emitResult);
    return outcome;
  }
}

/** The task's `when` is false before any item exists; an error evaluating it counts as not false (the loop's error wins). */
function whenFalseWithoutItem(task: Task, vars: Vars): boolean {
  if (!task.when.length) return false;
  try {
    return !condition(task.when, vars, task);
  } catch {
    return false;
  }
}

function ignoredBeforeAction(rc: RunContext, h: HostRun, scope: Scope): boolean {
  try {
    return ignoreErrors(scope, varsFor(rc, h, scope));
  } catch {
    return false;
  }
}

function ignoreErrors(scope: Scope, vars: Vars): boolean {
  const v = scope.ignoreErrors;
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  return truthy(renderString(v, vars));
}

/** Record the outcome: register, events (when not already emitted per item), counts, notify. */
function finish(task: Task, h: HostRun, outcome: TaskOutcome, emit?: EmitResult): void {
  const { result } = outcome;
  // A registered result is host data (Ansible wraps it unsafe): never rendered again.
  if (task.register) h.setFacts[task.register] = unsafe(result);
  if (emit) emit(outcome.status, result, { diff: result.diff as FileDiff[] | undefined, ignored: outcome.ignored });
  if (countOutcome(h, outcome)) for (const n of task.notify) h.notified.add(n);
}

/** One task (or one loop item) with retries/until, changed_when, failed_when. */
async function runAttempts(rc: RunContext, task: Task, h: HostRun, scope: Scope, vars: Vars): Promise<TaskOutcome> {
  if (task.when.length && !condition(task.when, vars, task)) {
    return { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
  }
  // Arguments refused at load in a guarded task: it runs, so it fails as Ansible's module would.
  if (task.invalidArgs !== undefined) return { status: 'failed', result: { failed: true, changed: false, msg: task.invalidArgs } };
  const retries = task.until ? Number(task.retries !== undefined ? renderDeep(task.retries, vars) : 3) : 0;
  const delay = Number(task.delay !== undefined ? renderDeep(task.delay, vars) : 5);
  let attempt = 0;
  for (;;) {
    attempt++;
    let outcome = await runAction(rc, task, h, scope, vars);
    outcome = applyConditions(task, outcome, vars);
    if (task.until) {
      const untilVars = buildVars([vars, task.register ? { [task.register]: unsafe(outcome.result) } : {}]);
      // As Ansible: a true `until` ends the retries even on a failed result (which stays failed).
      const ok = condition(task.until, untilVars, task);
      outcome.result.attempts = attempt;
      if (ok && outcome.status === 'failed') return { ...outcome, ignored: ignoreErrors(scope, vars) };
      if (!ok && attempt <= retries && !rc.interrupted()) {
        rc.opts.emit({ kind: 'retry', host: h.name, task: scope.displayName ?? task.name ?? task.action, left: retries - attempt + 1, place: formatSourcePlace(task.src) });
        await sleep(delay * 1000);
        continue;
      }
      if (!ok) outcome = { status: 'failed', result: { ...outcome.result, failed: true, msg: `${toText(outcome.result.msg)} (until condition not met after ${attempt} attempts)`.trim() } };
    }
    if (outcome.status === 'failed') outcome.ignored = ignoreErrors(scope, vars);
    return outcome;
  }
}

function applyConditions(task: Task, outcome: TaskOutcome, vars: Vars): TaskOutcome {
  if (outcome.status === 'skipped' || (!task.changedWhen && !task.failedWhen)) return outcome;
  const result = { ...outcome.result };
  const condVars = buildVars([vars, task.register ? { [task.register]: unsafe(result) } : {}, { result: unsafe(result) }]);
  let status = outcome.status;
  // As Ansible: changed_when decides `changed` even for a failed result; failed_when then decides failure.
  if (task.changedWhen) {
    const changed = condition(task.changedWhen, condVars, task);
    result.changed = changed;
    if (status !== 'failed') status = changed ? 'changed' : 'ok';
  }
  if (task.failedWhen) {
    const failed = condition(task.failedWhen, condVars, task);
    result.failed = failed;
    if (failed) status = 'failed';
    else if (status === 'failed') status = result.changed ? 'changed' : 'ok';
  }
  return { ...outcome, status, result };
}
