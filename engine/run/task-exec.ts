// Running one module on one host: gather -> plan -> (apply | predict).
//
// Check mode is enforced here, by structure (DESIGN.md §3): in check mode the
// module gets a read-only view of the overlay and apply() is never called. Even
// outside check mode, gather() receives a read-only facade, never the writer.

import type { FileDiff, HostReader, HostWriter, ModuleContext, ModuleDef, Plan } from '../module-api.js';
import { ModuleError, StaleTargetError } from '../module-api.js';
import type { Overlay } from '../host/overlay.js';
import { predictedReader } from '../facts/fact.js';
import { executeSteps } from './steps.js';
import { file as fileFact } from '../facts/file.js';
import { statFields } from '../facts/file-result.js';

export interface ModuleOutcome {
  status: 'ok' | 'changed' | 'skipped';
  result: Record<string, unknown>;
  diff?: FileDiff[];
  msg?: string;
  plan: Plan;
}

/** Only the read methods of a HostReader: a module's gather cannot reach a writer through it. */
export function readOnly(reader: HostReader): HostReader {
  return {
    get name() { return reader.name; },
    get facts() { return reader.facts; },
    run: (argv, opts) => reader.run(argv, opts),
    runAll: (commands) => reader.runAll(commands),
    get: (fact, arg) => reader.get(fact, arg),
    getAll: (fact, args) => reader.getAll(fact, args),
  };
}

export interface ModuleRunOptions {
  /** This task runs in check mode (--check, or check_mode: true on the task). */
  check: boolean;
  /** The host's check-mode overlay (predictions of earlier tasks); read in check mode. */
  overlay?: Overlay;
  /**
   * Record this task's predictions in the overlay (default: when in check mode).
   * False for a task with an explicit `check_mode: true` (a pre-flight): it never
   * changes the host, in a real run or a predicted one.
   */
  record?: boolean;
  ctx: ModuleContext;
}

/**
 * How many times a task gathers and plans again when its write finds the target
 * changed since it was read (another writer in between), before it gives up.
 */
export const STALE_ATTEMPTS = 5;

export async function runModule(def: ModuleDef, args: Record<string, unknown>, host: HostWriter, opts: ModuleRunOptions): Promise<ModuleOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await runModuleOnce(def, args, host, opts);
      // say so when the task had to plan again: another writer changed its file meanwhile
      if (attempt > 1) outcome.result.write_retries = attempt - 1;
      return outcome;
    } catch (e) {
      // Compare-and-swap lost: nothing was written; plan against the new content.
      if (!(e instanceof StaleTargetError)) throw e;
      if (attempt < STALE_ATTEMPTS) continue;
      throw new ModuleError(
        `${e.host}: ${e.path} changed under this task ${STALE_ATTEMPTS} times in a row (another writer keeps changing it); gave up, nothing was written by the last attempt`,
        { ...e.details, attempts: STALE_ATTEMPTS, changed: false },
      );
    }
  }
}

async function runModuleOnce(def: ModuleDef, args: Record<string, unknown>, host: HostWriter, opts: ModuleRunOptions): Promise<ModuleOutcome> {
  if (opts.check && def.checkModeSkip) {
    const msg = def.checkModeSkip;
    return { status: 'skipped', result: { changed: false, skipped: true, msg }, msg, plan: { changed: false, reason: msg } };
  }
  const reader: HostReader = opts.check && opts.overlay ? predictedReader(host, opts.overlay) : host;
  const state = await def.gather(args, readOnly(reader), opts.ctx);
  // plan is pure: it gets no render, no file reading
  const planCtx: Omit<ModuleContext, 'render' | 'readLocalFile'> = { diff: opts.ctx.diff, facts: opts.ctx.facts };
  const plan = def.plan(args, state, planCtx);
  if (!plan.changed) {
    // Housekeeping (systemd's daemon_reload) runs for real but is no change.
    const done = !opts.check && plan.steps?.length ? (await executeSteps(plan.steps, host)).result : {};
    return { status: 'ok', result: { ...plan.result, ...done, changed: false, msg: plan.reason }, msg: plan.reason, plan };
  }
  if (opts.check) {
    if (opts.record ?? true) opts.overlay?.add(plan.predicts ?? []);
    if (plan.checkModeSkip) {
      return { status: 'skipped', result: { ...plan.result, changed: false, skipped: true, msg: plan.checkModeSkip }, msg: plan.checkModeSkip, plan };
    }
    return { status: 'changed', result: { ...plan.result, changed: true, msg: plan.summary }, diff: plan.diff, msg: plan.summary, plan };
  }
  let applied: Record<string, unknown> | void;
  try {
    applied = def.apply ? await def.apply(plan, host, opts.ctx) : (await executeSteps(plan.steps, host)).result;
  } catch (e) {
    if (e instanceof StaleTargetError) throw e;
    // apply started: the host may have changed, unless the error says it did not.
    // command/shell report changed on failure, as Ansible's do.
    if (e instanceof ModuleError && !('changed' in e.details)) e.details.changed = true;
    throw e;
  }
  const after = plan.statResult ? { ...plan.statResult.add, ...statFields(await host.get(fileFact, plan.statResult.path), plan.statResult.state) } : {};
  return { status: 'changed', result: { ...plan.result, ...after, ...(applied ?? {}), changed: true, msg: plan.summary }, diff: plan.diff, msg: plan.summary, plan };
}
