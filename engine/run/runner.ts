// The runner: plays, blocks, tasks, loops, handlers, strategies.
//
// The strategy decides what runs next; executeTask runs one task on one host.
// linear: every host finishes a task before the next task starts (hosts in
// parallel up to --forks). free: each host runs through the play on its own.
// Both walk the same item tree (runItems), so blocks, rescue and always behave
// the same way under either.

import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import pLimit from 'p-limit';
import type { Connection, ConnectionSettings } from '../connection/connection.js';
import { UnreachableError, CommandTimeoutError, InterruptedError } from '../connection/connection.js';
import type { RecapCounts, Reporter, HostStatus } from '../report/events.js';
import { ExitCode, LoadError } from '../errors.js';
import { Host } from '../host/host.js';
import { LocalConnection } from '../connection/local-connection.js';
import { SshConnection } from '../connection/ssh-connection.js';
import { gatherFacts } from '../facts/system.js';
import { Overlay } from '../host/overlay.js';
import type { Facts, FileDiff, ModuleContext, HostWriter, RunOptions as CmdOptions } from '../module-api.js';
import { ModuleError } from '../module-api.js';
import { validateModuleArgs } from '../load/module-args.js';
import type { ModuleRegistry } from '../load/registry.js';
import type { Block, Item, Play, Playbook, Task } from '../load/playbook.js';
import { formatSourcePlace } from '../load/playbook.js';
import { runModule } from './task-exec.js';
import { buildVars, type Vars } from '../template/vars.js';
import { renderDeep, renderString, TemplateError } from '../template/template.js';
import { trackUnsafe, unsafe, unsafeLayer } from '../template/unsafe.js';
import { evaluate, evaluateAll, parseCondition, ExpressionError, truthy } from '../template/expression.js';
import { type Inventory, selectHosts, hostVars, groupNamesOf, groupsMap, connectionSettings, isImplicitLocalhost, loadVarsFile } from '../inventory/inventory.js';

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
  /** Make a connection (tests pass an in-memory one). Default: ssh or local by ansible_connection. */
  connect?: (settings: ConnectionSettings) => Connection;
}

interface HostRun {
  name: string;
  settings: ConnectionSettings;
  conn?: Connection;
  facts?: Facts;
  /**
   * Facts probed for modules when the play did not gather them (gather_facts:
   * false): modules such as service need the init system. Not exposed as variables.
   */
  probedFacts?: Facts;
  /** set_fact and register, this run (Ansible's "host facts / registered vars" layer). */
  setFacts: Vars;
  includeVars: Vars;
  overlay: Overlay;
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
  notified: Set<string>;
  recap: RecapCounts;
}

/** A task failure the block machinery can rescue. */
interface TaskOutcome {
  status: HostStatus;
  result: Record<string, unknown>;
  ignored?: boolean;
}

/** After the first Ctrl-C, how long running commands may go on before they are abandoned. */
export const INTERRUPT_GRACE_MS = 3000;
/** How long abandoning may take (killing remote process groups, closing connections) before the recap is printed anyway. */
const ABANDON_LIMIT_MS = 2500;

const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** Inherited per-item context while walking blocks. */
interface Scope {
  vars: Vars[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  environment?: Record<string, unknown>;
  checkMode?: boolean;
  noLog?: boolean;
  ignoreErrors?: boolean | string;
  when: Array<{ conds: Array<string | boolean>; src: Task['src'] }>;
}

export class Runner {
  private hosts = new Map<string, HostRun>();
  private interrupted = false;
  private limit;
  private playVars: Vars = {};
  private playVarsFiles: Vars = {};
  private play?: Play;
  private playHosts: string[] = [];
  private readiness: { title: string; columns: string[]; rows: Map<string, Record<string, { ok: boolean; reason?: string; detail?: string }>> } | undefined;
  private started = Date.now();
  /** Set once run_end is out: whatever an abandoned task still reports is dropped. */
  private runEnded = false;
  private graceTimer?: NodeJS.Timeout;
  /** Resolves when the commands still running after the grace have been abandoned. */
  private abandoned: Promise<void>;
  private abandonDone!: () => void;

  constructor(private opts: RunnerOptions) {
    this.limit = pLimit(Math.max(1, opts.forks));
    const emit = opts.emit;
    this.opts = { ...opts, emit: (e) => this.runEnded || emit(e) };
    this.abandoned = new Promise((resolve) => (this.abandonDone = resolve));
  }

  /**
   * Ctrl-C: start nothing new; running commands get INTERRUPT_GRACE_MS to
   * finish, then are abandoned (their process groups killed where the host
   * still answers, connections closed) and the run ends with the recap,
   * whatever the hosts do.
   */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.graceTimer = setTimeout(() => void this.abandon(), INTERRUPT_GRACE_MS);
  }

  private async abandon(): Promise<void> {
    const conns = [...this.hosts.values()].flatMap((h) => (h.conn ? [h.conn] : []));
    const all = Promise.all(conns.map((c) => (c.abort ? c.abort() : c.close()).catch(() => undefined)));
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (limit = setTimeout(resolve, ABANDON_LIMIT_MS)))]);
    clearTimeout(limit);
    await sleep(50); // let the abandoned tasks report before the recap
    this.abandonDone();
  }

  private hostRun(name: string): HostRun {
    let h = this.hosts.get(name);
    if (!h) {
      const inv = this.opts.inventory;
      // Inventory hosts, and the implicit localhost (which connects locally).
      const vars = inv.hosts.has(name) || isImplicitLocalhost(inv, name) ? hostVars(inv, name) : {};
      const merged = buildVars([vars, this.opts.extraVars]);
      h = {
        name, settings: connectionSettings(name, merged), setFacts: {}, includeVars: {}, overlay: new Overlay(),
        failed: false, unreachable: false, ended: false, inPlay: false, notified: new Set(),
        recap: { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
      };
      this.hosts.set(name, h);
    }
    return h;
  }

  private connection(h: HostRun): Connection {
    if (!h.conn) {
      h.conn = this.opts.connect ? this.opts.connect(h.settings)
        : h.settings.connection === 'local' ? new LocalConnection(h.name, { commandTimeoutMs: h.settings.commandTimeoutMs })
        : new SshConnection(h.settings, { onHostKeyAdded: (k) => this.opts.emit({ kind: 'host_key_added', ...k }) });
    }
    return h.conn;
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.conn?.close().catch(() => undefined)));
  }

  /** Run playbooks in order; returns ansible-playbook's exit code. */
  async run(playbooks: Playbook[]): Promise<number> {
    const o = this.opts;
    o.emit({ kind: 'run_start', playbooks: playbooks.map((p) => p.file), check: o.check, diff: o.diff, forks: o.forks, time: new Date().toISOString() });
    const plays = async () => {
      for (const pb of playbooks) {
        for (const play of pb.plays) {
          if (this.interrupted) break;
          await this.runPlay(play);
        }
      }
    };
    try {
      // After Ctrl-C and the grace, stop waiting for tasks that do not end.
      await Promise.race([plays(), this.abandoned]);
    } finally {
      clearTimeout(this.graceTimer);
      await this.close();
    }
    const recap: Record<string, RecapCounts> = {};
    for (const h of this.hosts.values()) if (h.inPlay) recap[h.name] = h.recap;
    const durationMs = Date.now() - this.started;
    o.emit({ kind: 'recap', hosts: recap, durationMs });
    const anyFailed = [...this.hosts.values()].some((h) => h.recap.failed > 0);
    const anyUnreachable = [...this.hosts.values()].some((h) => h.recap.unreachable > 0);
    const code = this.interrupted ? ExitCode.interrupted : anyFailed ? ExitCode.hostFailed : anyUnreachable ? ExitCode.hostUnreachable : ExitCode.ok;
    o.emit({ kind: 'run_end', exitCode: code, durationMs });
    this.runEnded = true;
    return code;
  }

  private async runPlay(play: Play): Promise<void> {
    const o = this.opts;
    this.play = play;
    this.readiness = undefined;
    // hosts: may use extra vars; then --limit.
    const pattern = String(renderString(play.hosts, buildVars([o.extraVars, { groups: groupsMap(o.inventory) }])));
    let names = selectHosts(o.inventory, pattern);
    if (o.limit) {
      const allowed = new Set(selectHosts(o.inventory, o.limit));
      names = names.filter((n) => allowed.has(n));
    }
    if (pattern === 'localhost' && !names.length) names = ['localhost'];
    names = names.filter((n) => {
      const h = this.hostRun(n);
      return !h.failed && !h.unreachable;
    });
    o.emit({ kind: 'play_start', play: play.name, hosts: names, place: formatSourcePlace(play.src) });
    if (!names.length) {
      o.emit({ kind: 'warning', msg: `no hosts matched "${pattern}"${o.limit ? ` with --limit ${o.limit}` : ''}; skipping play "${play.name}"` });
      return;
    }
    this.playVars = play.vars;
    this.playVarsFiles = {};
    for (const f of play.varsFiles) {
      const file = isAbsolute(f) ? f : join(play.baseDir, f);
      Object.assign(this.playVarsFiles, await loadVarsFile(file));
    }
    for (const n of names) {
      this.hostRun(n).ended = false;
      this.hostRun(n).inPlay = true;
    }
    for (const batch of serialBatches(names, play.serial)) {
      if (this.interrupted) break;
      this.playHosts = batch;
      await this.runBatch(play, batch);
    }
    // (set by readiness tasks during the batches above)
    const r = this.readiness as Runner['readiness'];
    if (r) {
      o.emit({ kind: 'readiness', title: r.title, columns: r.columns, rows: [...r.rows.entries()].map(([host, cells]) => ({ host, cells })) });
    }
  }

  private async runBatch(play: Play, batch: string[]): Promise<void> {
    const root: Scope = {
      vars: [], tags: play.tags, become: play.become, becomeUser: play.becomeUser, environment: play.environment,
      checkMode: play.checkMode, noLog: play.noLog, when: [],
    };
    if (play.gatherFacts) await this.gatherAll(batch, play);
    const active = () => batch.filter((n) => this.isActive(n));
    const sections: Item[][] = [play.preTasks, play.tasks, play.postTasks];
    for (const items of sections) {
      if (this.interrupted || this.playAborted(batch, play)) break;
      if (this.opts.strategy === 'free') {
        await Promise.all(active().map((n) => this.limit(() => this.runItems(items, [n], root, play))));
      } else {
        await this.runItems(items, active(), root, play);
      }
      await this.flushHandlers(play, active());
    }
  }

  private isActive(n: string): boolean {
    const h = this.hostRun(n);
    return !h.failed && !h.unreachable && !h.ended;
  }

  /** any_errors_fatal / max_fail_percentage: the whole batch stops. */
  private aborted = false;
  private playAborted(batch: string[], play: Play): boolean {
    if (this.aborted) return true;
    const failed = batch.filter((n) => {
      const h = this.hostRun(n);
      return h.failed || h.unreachable;
    }).length;
    if (failed && play.anyErrorsFatal) this.aborted = true;
    if (play.maxFailPercentage !== undefined && (failed / batch.length) * 100 > play.maxFailPercentage) this.aborted = true;
    if (this.aborted) {
      this.opts.emit({ kind: 'warning', msg: `play "${play.name}" stopped: ${failed} of ${batch.length} hosts failed${play.anyErrorsFatal ? ' (any_errors_fatal)' : ` (max_fail_percentage ${play.maxFailPercentage})`}` });
      for (const n of batch) this.hostRun(n).ended = true;
    }
    return this.aborted;
  }

  private async gatherAll(names: string[], play: Play): Promise<void> {
    const need = names.filter((n) => !this.hostRun(n).facts);
    if (!need.length) return;
    const task = 'Gathering Facts';
    const place = formatSourcePlace(play.src);
    this.opts.emit({ kind: 'task_start', task, play: play.name, hosts: need, place });
    await Promise.all(need.map((n) => this.limit(async () => {
      if (this.interrupted) return;
      const h = this.hostRun(n);
      const t0 = Date.now();
      try {
        const conn = this.connection(h);
        const host = new Host(conn, { name: n, loginUser: h.settings.user });
        h.facts = await gatherFacts(host);
        h.recap.ok++;
        this.opts.emit({ kind: 'host_result', host: n, task, status: 'ok', durationMs: Date.now() - t0, place });
      } catch (e) {
        this.hostError(h, task, e, Date.now() - t0, place);
      }
    })));
  }

  private hostError(h: HostRun, task: string, e: unknown, durationMs: number, place?: string, noLog = false): void {
    if (e instanceof InterruptedError) {
      // Not a result: the task was cut short by Ctrl-C and may or may not have had its effect.
      this.opts.emit({ kind: 'warning', host: h.name, task, msg: `task "${task}": ${e.message.replace(`${h.name}: `, '')} (it may or may not have taken effect)` });
    } else if (e instanceof UnreachableError) {
      h.unreachable = true;
      h.recap.unreachable++;
      this.opts.emit({ kind: 'host_result', host: h.name, task, status: 'unreachable', msg: noLog ? NO_LOG_MSG : e.message, durationMs, place });
    } else {
      h.failed = true;
      h.recap.failed++;
      this.opts.emit({ kind: 'host_result', host: h.name, task, status: 'failed', msg: (e as Error).message, durationMs, place });
    }
  }

  // ---- the item tree ----

  /** Run items on hosts; returns the hosts that failed (not rescued) inside. */
  private async runItems(items: Item[], hosts: string[], scope: Scope, play: Play): Promise<void> {
    for (const item of items) {
      if (this.interrupted) return;
      if (this.playAborted(this.playHosts, play)) return;
      const live = hosts.filter((n) => this.isActive(n));
      if (!live.length) return;
      if (item.kind === 'block') await this.runBlock(item, live, scope, play);
      else if (item.action === 'meta' && item.args.action === 'flush_handlers') await this.flushHandlers(play, live);
      else await this.runTask(item, live, scope, play, false);
    }
  }

  private childScope(scope: Scope, item: Item): Scope {
    return {
      vars: item.vars && Object.keys(item.vars).length ? [...scope.vars, item.vars] : scope.vars,
      tags: [...scope.tags, ...item.tags],
      become: item.become ?? scope.become,
      becomeUser: item.becomeUser ?? scope.becomeUser,
      environment: (item.environment as Record<string, unknown> | undefined) ?? scope.environment,
      checkMode: item.checkMode ?? scope.checkMode,
      noLog: item.noLog ?? scope.noLog,
      ignoreErrors: item.ignoreErrors ?? scope.ignoreErrors,
      when: item.when.length ? [...scope.when, { conds: item.when, src: item.src }] : scope.when,
    };
  }

  private async runBlock(block: Block, hosts: string[], scope: Scope, play: Play): Promise<void> {
    const inner = this.childScope(scope, block);
    // Hosts that fail inside the block are taken out of it, then may be rescued.
    const before = new Map(hosts.map((n) => [n, this.hostRun(n).recap.failed]));
    await this.runItems(block.block, hosts, inner, play);
    const failedHere = hosts.filter((n) => this.hostRun(n).failed && !this.hostRun(n).unreachable && this.hostRun(n).recap.failed > before.get(n)!);
    if (block.rescue.length && failedHere.length) {
      for (const n of failedHere) this.hostRun(n).failed = false; // rescue runs on them
      const rescueFailedBefore = new Map(failedHere.map((n) => [n, this.hostRun(n).recap.failed]));
      await this.runItems(block.rescue, failedHere, inner, play);
      for (const n of failedHere) {
        const h = this.hostRun(n);
        if (!h.failed && !h.unreachable && h.recap.failed === rescueFailedBefore.get(n)) {
          // As ansible-playbook counts it: the rescued failure is not a failure.
          h.recap.failed--;
          h.recap.rescued++;
        }
      }
    }
    // always: every host that entered the block and is still reachable.
    if (block.always.length) {
      const alwaysHosts = hosts.filter((n) => !this.hostRun(n).unreachable);
      const stillFailed = alwaysHosts.filter((n) => this.hostRun(n).failed);
      for (const n of stillFailed) this.hostRun(n).failed = false;
      await this.runItems(block.always, alwaysHosts, inner, play);
      for (const n of stillFailed) this.hostRun(n).failed = true;
    }
  }

  private async flushHandlers(play: Play, hosts: string[]): Promise<void> {
    for (const handler of play.handlers) {
      const names = [handler.name ?? '', ...handler.listen];
      const targets = hosts.filter((n) => {
        const h = this.hostRun(n);
        return this.isActive(n) && names.some((x) => h.notified.has(x));
      });
      if (!targets.length) continue;
      for (const n of targets) for (const x of names) this.hostRun(n).notified.delete(x);
      const root: Scope = { vars: [], tags: [], become: play.become, becomeUser: play.becomeUser, environment: play.environment, checkMode: play.checkMode, noLog: play.noLog, when: [] };
      await this.runTask(handler, targets, root, play, true);
    }
  }

  // ---- one task ----

  private tagSelected(tags: string[]): boolean {
    const { tags: only, skipTags } = this.opts;
    const set = new Set(tags);
    if (skipTags.some((t) => set.has(t) || (t === 'tagged' && set.size > 0) || (t === 'untagged' && set.size === 0))) return false;
    if (set.has('always') && !skipTags.includes('always')) return true;
    if (!only.length || only.includes('all')) return !set.has('never');
    return only.some((t) => set.has(t) || (t === 'tagged' && set.size > 0) || (t === 'untagged' && set.size === 0));
  }

  private async runTask(task: Task, hosts: string[], parent: Scope, play: Play, handler: boolean): Promise<void> {
    // The task's own `when` is evaluated per loop item (runAttempts), not with the enclosing blocks'.
    const scope = this.childScope(parent, { ...task, when: [] });
    if (!handler && !this.tagSelected(scope.tags)) return;
    const name = task.name ?? task.action;
    const place = formatSourcePlace(task.src);
    this.opts.emit({ kind: 'task_start', task: name, play: play.name, hosts, place, handler });
    const targets = task.runOnce ? hosts.slice(0, 1) : hosts;
    const runOne = async (n: string) => {
      const outcome = await this.executeOnHost(task, n, scope, play, name, place);
      if (task.runOnce && outcome && task.register) {
        for (const other of hosts.slice(1)) this.hostRun(other).setFacts[task.register] = unsafe(outcome.result);
      }
    };
    if (this.opts.strategy === 'free' || targets.length === 1) {
      for (const n of targets) await runOne(n);
    } else {
      await Promise.all(targets.map((n) => this.limit(() => runOne(n))));
    }
  }

  /**
   * The variables a task sees on a host, lowest precedence first, in Ansible's
   * order (engine/inventory/host-vars.ts VAR_LAYERS): inventory < facts < play vars <
   * vars_files < block vars < task vars < include_vars < set_fact/register <
   * loop item < extra vars; magic variables cannot be overridden.
   */
  private varsFor(h: HostRun, scope: Scope, extra: Vars = {}): Vars {
    const inv = this.opts.inventory;
    const magic: Vars = {
      inventory_hostname: h.name,
      inventory_hostname_short: h.name.split('.')[0],
      group_names: inv.hosts.has(h.name) ? groupNamesOf(inv, h.name) : [],
      groups: groupsMap(inv),
      play_hosts: this.playHosts,
      ansible_play_hosts: this.playHosts,
      ansible_play_batch: this.playHosts,
      ansible_check_mode: this.opts.check,
      ansible_diff_mode: this.opts.diff,
      playbook_dir: this.play?.baseDir,
      hostvars: this.hostvarsView(),
    };
    return buildVars([
      inv.hosts.has(h.name) ? hostVars(inv, h.name) : {},
      factLayer(h.facts),
      this.playVars,
      this.playVarsFiles,
      ...scope.vars,
      h.includeVars,
      h.setFacts,
      extra,
      this.opts.extraVars,
      magic,
    ]);
  }

  /** hostvars.<host>: every inventory host's variables, computed when read. */
  private hostvarsView(): Vars {
    const view: Vars = {};
    for (const name of this.opts.inventory.hosts.keys()) {
      Object.defineProperty(view, name, {
        enumerable: true,
        get: () => {
          const h = this.hostRun(name);
          return buildVars([hostVars(this.opts.inventory, name), factLayer(h.facts), this.playVars, this.playVarsFiles, h.includeVars, h.setFacts, this.opts.extraVars, { inventory_hostname: name }]);
        },
      });
    }
    return view;
  }

  private async executeOnHost(task: Task, n: string, scope: Scope, play: Play, name: string, place: string): Promise<TaskOutcome | undefined> {
    // After Ctrl-C, hosts still queued for this task (more hosts than forks) do not start it.
    if (this.interrupted) return undefined;
    const h = this.hostRun(n);
    const t0 = Date.now();
    const noLog = task.noLog ?? scope.noLog ?? false;
    const emitResult = (status: HostStatus, result: Record<string, unknown>, extra: { item?: unknown; diff?: FileDiff[]; ignored?: boolean } = {}) => {
      const shown = noLog ? { changed: result.changed, failed: result.failed, msg: NO_LOG_MSG } : result;
      this.opts.emit({
        kind: 'host_result', host: n, task: name, status, ignored: extra.ignored, item: noLog ? undefined : extra.item,
        msg: noLog ? NO_LOG_MSG : typeof result.msg === 'string' ? result.msg : undefined,
        result: shown, diff: noLog ? undefined : extra.diff, check: this.isCheck(scope, task) || undefined,
        durationMs: Date.now() - t0, place,
      });
    };
    try {
      const baseVars = this.varsFor(h, scope);
      // Conditions of enclosing blocks, then the loop, then the task's own when per item.
      for (const w of scope.when) {
        if (!this.condition(w.conds, baseVars, task)) {
          h.recap.skipped++;
          emitResult('skipped', { changed: false, skipped: true, skip_reason: 'Conditional result was False' });
          return { status: 'skipped', result: { changed: false, skipped: true } };
        }
      }
      let items: unknown[] | undefined;
      // Items rendered from host data (`loop: "{{ out.stdout_lines }}"`) are data.
      let itemsAreData = false;
      if (task.loop !== undefined) {
        const { value: rendered, unsafe: fromData } = trackUnsafe(() => renderDeep(task.loop, baseVars));
        if (!Array.isArray(rendered)) throw new ModuleError(`loop must be a list, got ${typeof rendered}: ${JSON.stringify(rendered)}`);
        items = rendered;
        itemsAreData = fromData;
      }
      let outcome: TaskOutcome;
      if (items === undefined) {
        outcome = await this.runAttempts(task, h, scope, baseVars);
        this.finish(task, h, outcome, scope, emitResult);
      } else {
        const results: Record<string, unknown>[] = [];
        let anyChanged = false;
        let anyFailed = false;
        let allSkipped = items.length > 0;
        for (const item of items) {
          if (this.interrupted) break;
          const itemVars = this.varsFor(h, scope, { item: itemsAreData ? unsafe(item) : item });
          const r = await this.runAttempts(task, h, scope, itemVars);
          const label = task.loopLabel !== undefined ? renderDeep(task.loopLabel, itemVars) : item;
          results.push({ ...r.result, item });
          anyChanged ||= r.result.changed === true;
          anyFailed ||= r.status === 'failed';
          allSkipped &&= r.status === 'skipped';
          const itemStatus: HostStatus = r.status;
          emitResult(itemStatus, r.result, { item: label, diff: r.result.diff as FileDiff[] | undefined, ignored: r.ignored });
        }
        const agg: Record<string, unknown> = { changed: anyChanged, results, msg: anyFailed ? 'One or more items failed' : 'All items completed' };
        if (anyFailed) agg.failed = true;
        if (allSkipped) agg.skipped = true;
        const status: HostStatus = anyFailed ? 'failed' : allSkipped ? 'skipped' : anyChanged ? 'changed' : 'ok';
        outcome = { status, result: agg, ignored: anyFailed && this.ignoreErrors(scope, baseVars) };
        this.finish(task, h, outcome, scope, undefined);
      }
      return outcome;
    } catch (e) {
      if (e instanceof UnreachableError || e instanceof InterruptedError) {
        this.hostError(h, name, e, Date.now() - t0, place, noLog);
        return undefined;
      }
      const msg = this.describeError(e, task, n);
      const outcome: TaskOutcome = { status: 'failed', result: { failed: true, changed: false, msg } };
      this.finish(task, h, outcome, scope, emitResult);
      return outcome;
    }
  }

  private isCheck(scope: Scope, task: Task): boolean {
    const cm = task.checkMode ?? scope.checkMode;
    return cm === undefined ? this.opts.check : cm;
  }

  private ignoreErrors(scope: Scope, vars: Vars): boolean {
    const v = scope.ignoreErrors;
    if (v === undefined) return false;
    if (typeof v === 'boolean') return v;
    return truthy(renderString(v, vars));
  }

  private condition(conds: Array<string | boolean>, vars: Vars, task: Task): boolean {
    try {
      return evaluateAll(conds, vars);
    } catch (e) {
      throw this.placeError(e, task);
    }
  }

  private placeError(e: unknown, task: Task): Error {
    if (e instanceof ExpressionError || e instanceof TemplateError) {
      const err = new ModuleError(`${e.message} (in ${formatSourcePlace(task.src)})`);
      return err;
    }
    return e as Error;
  }

  private describeError(e: unknown, task: Task, host: string): string {
    if (e instanceof ExpressionError || e instanceof TemplateError) return `${e.message} (task "${task.name ?? task.action}" on ${host}, ${formatSourcePlace(task.src)})`;
    if (e instanceof CommandTimeoutError) return `${e.message}: ${e.command}`;
    return (e as Error).message;
  }

  /** Record the outcome: counts, register, notify, events (when not already emitted per item). */
  private finish(task: Task, h: HostRun, outcome: TaskOutcome, scope: Scope, emit?: (s: HostStatus, r: Record<string, unknown>, x?: { diff?: FileDiff[]; ignored?: boolean }) => void): void {
    const { status, result } = outcome;
    // A registered result is host data (Ansible wraps it unsafe): never rendered again.
    if (task.register) h.setFacts[task.register] = unsafe(result);
    if (emit) emit(status, result, { diff: result.diff as FileDiff[] | undefined, ignored: outcome.ignored });
    switch (status) {
      case 'skipped':
        h.recap.skipped++;
        break;
      case 'failed':
        if (outcome.ignored) {
          // As ansible-playbook counts it: an ignored failure is ok, ignored, and changed if it changed.
          h.recap.ok++;
          h.recap.ignored++;
          if (result.changed === true) h.recap.changed++;
        } else {
          h.recap.failed++;
          h.failed = true;
        }
        break;
      case 'changed':
        h.recap.ok++;
        h.recap.changed++;
        for (const n of task.notify) h.notified.add(n);
        break;
      default:
        h.recap.ok++;
    }
  }

  /** One task (or one loop item) with retries/until, changed_when, failed_when. */
  private async runAttempts(task: Task, h: HostRun, scope: Scope, vars: Vars): Promise<TaskOutcome> {
    if (task.when.length && !this.condition(task.when, vars, task)) {
      return { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False', false_condition: task.when.map(String).join(' and ') } };
    }
    const retries = task.until ? Number(task.retries !== undefined ? renderDeep(task.retries, vars) : 3) : 0;
    const delay = Number(task.delay !== undefined ? renderDeep(task.delay, vars) : 5);
    let attempt = 0;
    for (;;) {
      attempt++;
      let outcome = await this.runAction(task, h, scope, vars);
      outcome = this.applyConditions(task, outcome, vars);
      if (task.until) {
        const untilVars = buildVars([vars, task.register ? { [task.register]: unsafe(outcome.result) } : {}]);
        const ok = outcome.status !== 'failed' && this.condition(task.until, untilVars, task);
        outcome.result.attempts = attempt;
        if (!ok && attempt <= retries && !this.interrupted) {
          await sleep(delay * 1000);
          continue;
        }
        if (!ok) outcome = { status: 'failed', result: { ...outcome.result, failed: true, msg: `${outcome.result.msg ?? ''} (until condition not met after ${attempt} attempts)`.trim() } };
      }
      if (outcome.status === 'failed') outcome.ignored = this.ignoreErrors(scope, vars);
      return outcome;
    }
  }

  private applyConditions(task: Task, outcome: TaskOutcome, vars: Vars): TaskOutcome {
    if (outcome.status === 'skipped' || (!task.changedWhen && !task.failedWhen)) return outcome;
    const result = { ...outcome.result };
    const condVars = buildVars([vars, task.register ? { [task.register]: unsafe(result) } : {}, { result: unsafe(result) }]);
    let status = outcome.status;
    // As Ansible: changed_when decides `changed` even for a failed result; failed_when then decides failure.
    if (task.changedWhen) {
      const changed = this.condition(task.changedWhen, condVars, task);
      result.changed = changed;
      if (status !== 'failed') status = changed ? 'changed' : 'ok';
    }
    if (task.failedWhen) {
      const failed = this.condition(task.failedWhen, condVars, task);
      result.failed = failed;
      if (failed) status = 'failed';
      else if (status === 'failed') status = result.changed ? 'changed' : 'ok';
    }
    return { ...outcome, status, result };
  }

  private async hostFor(h: HostRun, scope: Scope, task: Task, vars: Vars): Promise<{ host: Host; run: HostRun }> {
    let target = h;
    if (task.delegateTo) {
      const d = String(renderDeep(task.delegateTo, vars));
      target = this.hostRun(d);
    }
    const become = task.become ?? scope.become ?? target.settings.become;
    const becomeUser = task.becomeUser ?? scope.becomeUser ?? target.settings.becomeUser;
    const host = new Host(this.connection(target), { name: target.name, become, becomeUser, loginUser: target.settings.user, facts: target.facts ?? target.probedFacts });
    if (!target.facts && !target.probedFacts) {
      target.probedFacts = await gatherFacts(host);
      host.facts = target.probedFacts;
    }
    return { host, run: target };
  }

  private async runAction(task: Task, h: HostRun, scope: Scope, vars: Vars): Promise<TaskOutcome> {
    try {
      // Each argument rendered on its own, so set_fact knows which values read host data.
      const args: Record<string, unknown> = {};
      const argsFromData = new Set<string>();
      for (const [k, raw] of Object.entries(task.args)) {
        const r = trackUnsafe(() => renderDeep(raw, vars));
        args[k] = r.value;
        if (r.unsafe) argsFromData.add(k);
      }
      switch (task.action) {
        case 'debug': {
          const msg = args.var !== undefined ? { [String(args.var)]: evaluate(parseCondition(String(args.var)), vars) } : args.msg ?? 'Hello world!';
          // no_log hides debug output too, as Ansible prints it: {"censored": "..."}.
          const noLog = task.noLog ?? scope.noLog ?? false;
          this.opts.emit({ kind: 'debug', host: h.name, task: task.name ?? 'debug', msg: noLog ? { censored: NO_LOG_MSG } : msg, place: formatSourcePlace(task.src) });
          return { status: 'ok', result: { changed: false, msg } };
        }
        case 'assert': {
          const conds = (Array.isArray(args.that) ? args.that : [args.that]) as Array<string | boolean>;
          for (const c of conds) {
            if (!this.condition([c], vars, task)) {
              return { status: 'failed', result: { failed: true, changed: false, assertion: c, msg: String(args.fail_msg ?? args.msg ?? `Assertion failed: ${c}`) } };
            }
          }
          return { status: 'ok', result: { changed: false, msg: String(args.success_msg ?? 'All assertions passed') } };
        }
        case 'fail':
          return { status: 'failed', result: { failed: true, changed: false, msg: String(args.msg ?? 'Failed as requested from task') } };
        case 'set_fact':
          // As Ansible: a value that read host data stays data; playbook text stays a template.
          for (const [k, v] of Object.entries(args)) h.setFacts[k] = argsFromData.has(k) ? unsafe(v) : v;
          return { status: 'ok', result: { changed: false, ansible_facts: args } };
        case 'include_vars': {
          const file = isAbsolute(String(args.file)) ? String(args.file) : resolve(this.play!.baseDir, String(args.file));
          const loaded = await loadVarsFile(file);
          if (args.name) h.includeVars[String(args.name)] = loaded;
          else Object.assign(h.includeVars, loaded);
          return { status: 'ok', result: { changed: false, ansible_included_var_files: [file] } };
        }
        case 'meta': {
          const a = String(args.action);
          if (a === 'end_play' || a === 'end_host') {
            const who = a === 'end_play' ? this.playHosts : [h.name];
            for (const n of who) this.hostRun(n).ended = true;
          } else if (a === 'clear_facts') {
            h.facts = undefined;
          } else if (a === 'clear_host_errors') {
            for (const n of this.playHosts) this.hostRun(n).failed = false;
          }
          return { status: 'ok', result: { changed: false, msg: `meta ${a}` } };
        }
        case 'pause':
          await sleep(Number(args.seconds ?? 0) * 1000);
          return { status: 'ok', result: { changed: false } };
        case 'readiness':
          return this.readinessRow(h, args, vars);
      }
      const def = this.opts.registry.get(task.action);
      if (!def) throw new ModuleError(`unknown module "${task.action}"`);
      const errors = validateModuleArgs(def, args);
      if (errors.length) {
        throw new ModuleError(`${task.action}: ${errors.map((e) => `${e.pointer ? `"${e.pointer.slice(1)}" ` : ''}${e.message}`).join('; ')} (after templating, ${formatSourcePlace(task.src)})`);
      }
      const check = this.isCheck(scope, task);
      const { host, run: target } = await this.hostFor(h, scope, task, vars);
      const env = scope.environment ?? (task.environment as Record<string, unknown> | undefined);
      const writer = env ? withEnvironment(host, renderDeep(env, vars) as Record<string, unknown>) : host;
      const ctx: ModuleContext = {
        diff: this.opts.diff, facts: host.facts,
        render: (tpl) => String(renderString(tpl, vars)),
        // The exact bytes: copy writes them as they are, template decodes them as UTF-8.
        readLocalFile: (p) => readFile(isAbsolute(p) ? p : resolve(this.play!.baseDir, p)),
      };
      // A task marked check_mode: true is a pre-flight: it plans, and changes nothing in any run.
      const outcome = await runModule(def, args, writer, { check, overlay: target.overlay, record: task.checkMode !== true, ctx });
      const result = { ...outcome.result } as Record<string, unknown>;
      if (outcome.diff) result.diff = outcome.diff;
      if (result.ansible_facts && typeof result.ansible_facts === 'object') Object.assign(h.setFacts, unsafeLayer(result.ansible_facts as Vars));
      return { status: outcome.status, result };
    } catch (e) {
      if (e instanceof UnreachableError || e instanceof InterruptedError) throw e;
      const details = e instanceof ModuleError ? e.details : {};
      return { status: 'failed', result: { changed: false, ...details, failed: true, msg: this.describeError(e, task, h.name) } };
    }
  }

  private readinessRow(h: HostRun, args: Record<string, unknown>, vars: Vars): TaskOutcome {
    const checks = args.checks as Array<{ name: string; that: string | string[]; reason?: string; detail?: string; when?: string | string[] }>;
    const title = String(args.title ?? 'Readiness');
    this.readiness ??= { title, columns: [], rows: new Map() };
    const cells: Record<string, { ok: boolean; reason?: string; detail?: string }> = {};
    for (const c of checks) {
      // A check with a false `when` is not part of this row (e.g. the canary column outside the canary playbook).
      if (c.when !== undefined && !evaluateAll(Array.isArray(c.when) ? c.when : [c.when], vars)) continue;
      if (!this.readiness.columns.includes(c.name)) this.readiness.columns.push(c.name);
      const conds = Array.isArray(c.that) ? c.that : [c.that];
      let ok = false;
      let reason: string | undefined;
      try {
        const failing = conds.find((x) => !evaluateAll([x], vars));
        ok = failing === undefined;
        if (!ok) reason = c.reason ?? `not true: ${failing}`;
      } catch (e) {
        reason = (e as Error).message;
      }
      cells[c.name] = ok ? (c.detail ? { ok, detail: c.detail } : { ok }) : { ok, reason };
    }
    this.readiness.rows.set(h.name, cells);
    const ready = Object.values(cells).every((c) => c.ok);
    return { status: 'ok', result: { changed: false, ready, checks: cells, msg: ready ? 'ready' : 'not ready' } };
  }
}

/** Gathered facts as a variable layer (ansible_facts and ansible_<name>): host data. */
function factLayer(facts: Facts | undefined): Vars {
  const layer: Vars = { ansible_facts: unsafe(facts ?? {}) };
  for (const [k, v] of Object.entries(facts ?? {})) layer[`ansible_${k}`] = unsafe(v);
  return layer;
}

/** Wrap a host so every command carries the task's environment. */
function withEnvironment(host: Host, env: Record<string, unknown>): HostWriter {
  const e = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  const add = (opts?: CmdOptions): CmdOptions => ({ ...opts, env: { ...e, ...opts?.env } });
  return Object.assign(Object.create(host) as Host, {
    run: (argv: string[], opts?: CmdOptions) => host.run(argv, add(opts)),
    exec: (argv: string[], opts?: CmdOptions) => host.exec(argv, add(opts)),
  });
}


/** serial: a number, a percentage, or a list of them (the last repeats). */
export function serialBatches(hosts: string[], serial?: Array<number | string>): string[][] {
  if (!serial || !serial.length) return [hosts];
  const sizes = serial.map((s) => {
    const str = String(s).trim();
    const n = str.endsWith('%') ? Math.floor((hosts.length * Number(str.slice(0, -1))) / 100) : Number(str);
    if (!Number.isFinite(n) || n < 0) throw new LoadError(`serial: bad batch size ${JSON.stringify(s)}`);
    return Math.max(1, n || hosts.length);
  });
  const out: string[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k++, sizes.length - 1)];
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

