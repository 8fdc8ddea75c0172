// The Runner: runs playbooks play by play, batch by batch (serial), and keeps
// the run's state: hosts, the play, Ctrl-C. What runs next is strategy.ts; one
// task on one host is task.ts (its action: action.ts, builtins/); the variables
// a task sees are scope.ts over precedence.ts; the counts and exit code recap.ts.

import pLimit from 'p-limit';
import type { Connection, ConnectionSettings } from '../connection/connection.js';
import { UnreachableError, InterruptedError } from '../connection/connection.js';
import { Host } from '../host/host.js';
import { Overlay } from '../host/overlay.js';
import type { Play, Playbook } from '../load/playbook.js';
import { formatSourcePlace } from '../load/playbook.js';
import { buildVars } from '../template/vars.js';
import { renderString } from '../template/template.js';
import { selectHosts, hostVars, groupsMap, connectionSettings, isImplicitLocalhost } from '../inventory/inventory.js';
import type { PlayState, RunContext, RunnerOptions } from './context.js';
import { NO_LOG_MSG, sleep, type HostRun } from './host-run.js';
import { createBuiltins } from './builtins/index.js';
import { connect } from './connect.js';
import { takeHolderClient, type HolderClient } from '../connection/held-connection.js';
import { startPackagePrefetch } from './package-prefetch.js';
import { renderName } from './names.js';
import { resolveFlag, type Flag } from './flags.js';
import { gatherHostFacts } from './gather.js';
import { mergedFacts } from './fact-cache.js';
import { omitPlaceholder } from './omit.js';
import { emptyRecap, exitCodeOf, recapOf } from './recap.js';
import { flushHandlers, runSection, serialBatches } from './strategy.js';
import { hasTemplatedVarsFiles, hostVarsFiles, playVarsFiles } from './vars-files.js';
import { playScope, varsFor } from './scope.js';
import { connectionKey, effectiveSettings } from './connection-settings.js';
import { withLoadWarnings } from '../load/load-warnings.js';
import { playHasStartTask } from './start-at.js';
import { awaitJobs } from './async-job.js';
import { redactingReporter } from '../vault/redact.js';

export type { RunnerOptions } from './context.js';

/** After the first Ctrl-C, how long running commands may go on before they are abandoned. */
export const INTERRUPT_GRACE_MS = 3000;
/** How long abandoning may take (killing remote process groups, closing connections) before the recap is printed anyway. */
const ABANDON_LIMIT_MS = 2500;

export class Runner implements RunContext {
  private hosts = new Map<string, HostRun>();
  private isInterrupted = false;
  readonly limit;
  readonly opts: RunnerOptions;
  readonly play: PlayState = { hosts: [], vars: {}, varsFiles: {}, hostVarsFiles: new Map(), publicRoles: new Map() };
  readonly builtins = createBuiltins();
  readonly omit = omitPlaceholder();
  readonly startReached = new Set<string>();
  private started = Date.now();
  /** Set once run_end is out: whatever an abandoned task still reports is dropped. */
  private runEnded = false;
  private graceTimer?: NodeJS.Timeout;
  /** Resolves when the commands still running after the grace have been abandoned. */
  private abandoned: Promise<void>;
  private abandonDone!: () => void;

  constructor(opts: RunnerOptions) {
    this.limit = pLimit(Math.max(1, opts.forks));
    // Every event passes here: vaulted values are hidden from every reporter (engine/vault/redact.ts).
    const emit = redactingReporter(opts.emit);
    this.opts = { ...opts, emit: (e) => this.runEnded || emit(e) };
    this.abandoned = new Promise((resolve) => (this.abandonDone = resolve));
  }

  interrupted(): boolean {
    return this.isInterrupted;
  }

  /**
   * Ctrl-C: start nothing new; running commands get INTERRUPT_GRACE_MS to
   * finish, then are abandoned (their process groups killed where the host
   * still answers, connections closed) and the run ends with the recap,
   * whatever the hosts do.
   */
  interrupt(): void {
    if (this.isInterrupted) return;
    this.isInterrupted = true;
    this.graceTimer = setTimeout(() => void this.abandon(), INTERRUPT_GRACE_MS);
  }

  private async abandon(): Promise<void> {
    const conns = [...this.hosts.values()].flatMap(connectionsOf);
    const all = Promise.all(conns.map((c) => (c.abort ? c.abort() : c.close()).catch(() => undefined)));
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (limit = setTimeout(resolve, ABANDON_LIMIT_MS)))]);
    clearTimeout(limit);
    await sleep(50); // let the abandoned tasks report before the recap
    this.abandonDone();
  }

  hostRun(name: string): HostRun {
    let h = this.hosts.get(name);
    if (!h) {
      const inv = this.opts.inventory;
      // Inventory hosts, and the implicit localhost (which connects locally).
      const vars = inv.hosts.has(name) || isImplicitLocalhost(inv, name) ? hostVars(inv, name) : {};
      const merged = buildVars([vars, this.opts.extraVars]);
      h = {
        name, settings: connectionSettings(name, merged, this.opts.connectionDefaults), setFacts: {}, includeVars: {}, overlay: new Overlay(),
        failed: false, unreachable: false, ended: false, inPlay: false, notified: new Set(), recap: emptyRecap(),
      };
      this.hosts.set(name, h);
    }
    return h;
  }

  connection(h: HostRun, settings: ConnectionSettings = h.settings): Connection {
    const key = connectionKey(settings);
    if (key === connectionKey(h.settings)) {
      h.conn ??= connect(h.settings, this.opts.emit, this.opts.connect, this.holder);
      return h.conn;
    }
    // Another user, port or connection for this host: its own connection, kept for the run.
    h.extraConns ??= new Map();
    let c = h.extraConns.get(key);
    if (!c) {
      c = connect(settings, this.opts.emit, this.opts.connect, this.holder);
      h.extraConns.set(key, c);
    }
    return c;
  }

  /** The connection holder this run shares among its hosts (engine/connection/held-connection.ts), reached on first use. */
  private holderClient?: HolderClient;
  private readonly holder = (): HolderClient => (this.holderClient ??= takeHolderClient());

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].flatMap(connectionsOf).map((c) => c.close().catch(() => undefined)));
    this.holderClient?.end();
  }

  /** Run playbooks in order; returns ansible-playbook's exit code. */
  async run(playbooks: Playbook[]): Promise<number> {
    const o = this.opts;
    o.emit({ kind: 'run_start', playbooks: playbooks.map((p) => p.file), check: o.check, diff: o.diff, forks: o.forks, time: new Date().toISOString() });
    // What loading warned about, as ansible-playbook prints it before the first play; files read during the run warn as they are read.
    for (const w of playbooks.flatMap((p) => p.warnings ?? [])) o.emit({ kind: 'warning', msg: w.msg, deprecation: w.deprecation });
    // The package work the plays will need, started in the background from now (engine/run/package-prefetch.ts).
    startPackagePrefetch({ inventory: o.inventory, extraVars: o.extraVars ?? {}, limit: o.limit, hostRun: (n) => this.hostRun(n), connection: (h) => this.connection(h) }, playbooks, o.check);
    const plays = () => withLoadWarnings((w) => o.emit({ kind: 'warning', msg: w.msg, deprecation: w.deprecation }), async () => {
      for (const pb of playbooks) {
        for (const play of pb.plays) {
          if (this.isInterrupted) break;
          await this.runPlay(play);
        }
      }
    });
    try {
      // After Ctrl-C and the grace, stop waiting for tasks that do not end.
      await Promise.race([plays(), this.abandoned]);
      // Jobs started with poll: 0 run from here: their modules finish before the connections close.
      if (!this.isInterrupted) await Promise.race([awaitJobs(this.hosts.values()), this.abandoned]);
    } finally {
      clearTimeout(this.graceTimer);
      await this.close();
    }
    const durationMs = Date.now() - this.started;
    o.emit({ kind: 'recap', hosts: recapOf(this.hosts.values()), durationMs });
    const code = exitCodeOf([...this.hosts.values()], this.isInterrupted);
    o.emit({ kind: 'run_end', exitCode: code, durationMs });
    this.runEnded = true;
    return code;
  }

  private async runPlay(play: Play): Promise<void> {
    const o = this.opts;
    this.play.play = play;
    for (const b of this.builtins.values()) b.playStart?.();
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
    // As ansible-playbook prints it: rendered with the play's vars and the extra vars (names.ts).
    const playName = renderName(play.name, buildVars([play.vars, o.extraVars]));
    o.emit({ kind: 'play_start', play: playName, hosts: names, place: formatSourcePlace(play.src) });
    if (!names.length) {
      o.emit({ kind: 'warning', msg: `no hosts matched "${pattern}"${o.limit ? ` with --limit ${o.limit}` : ''}; skipping play "${play.name}"` });
      return;
    }
    this.play.vars = play.vars;
    this.play.varsFiles = await playVarsFiles(play);
    this.play.hostVarsFiles = new Map();
    this.play.publicRoles = new Map();
    for (const n of names) {
      this.hostRun(n).ended = false;
      this.hostRun(n).inPlay = true;
    }
    for (const batch of serialBatches(names, play.serial)) {
      if (this.isInterrupted) break;
      this.play.hosts = batch;
      await this.runBatch(play, batch);
    }
    // What built-ins collected during the batches above (the readiness table).
    for (const b of this.builtins.values()) b.playEnd?.(o.emit);
  }

  private async runBatch(play: Play, batch: string[]): Promise<void> {
    // --start-at-task: a host gathers facts in a play only once it has reached the task or this play holds it, as Ansible's.
    const start = this.opts.startAtTask;
    const gatherOn = start === undefined || playHasStartTask(play, start) ? batch : batch.filter((n) => this.startReached.has(n));
    if (gatherOn.length && this.playFlag(play, play.gatherFacts, 'gather_facts')) await this.gatherAll(gatherOn, play);
    // vars_files with templated names: read per host, now that its facts are known.
    if (hasTemplatedVarsFiles(play)) {
      for (const n of batch.filter((x) => this.isActive(x))) {
        const h = this.hostRun(n);
        try {
          this.play.hostVarsFiles.set(n, await hostVarsFiles(play, varsFor(this, h, playScope(play))));
        } catch (e) {
          this.hostError(h, 'vars_files', e, 0, formatSourcePlace(play.src, ['vars_files']));
        }
      }
    }
    const active = () => batch.filter((n) => this.isActive(n));
    for (const items of [play.preTasks, play.tasks, play.postTasks]) {
      if (this.isInterrupted || this.playAborted(batch, play)) break;
      await runSection(this, play, items, active());
      await flushHandlers(this, play, active());
    }
    if (this.opts.forceHandlers && !this.isInterrupted) await this.forcedHandlers(play, batch);
  }

  /**
   * --force-handlers: a host that failed (not one that is unreachable) still
   * runs what it notified before it failed, as Ansible's force_handlers does;
   * it stays failed in the recap and the exit code.
   */
  private async forcedHandlers(play: Play, batch: string[]): Promise<void> {
    const failed = batch.filter((n) => {
      const h = this.hostRun(n);
      return h.failed && !h.unreachable && (h.notified.size > 0 || (h.handlersDue?.size ?? 0) > 0);
    });
    if (!failed.length) return;
    for (const n of failed) this.hostRun(n).failed = false;
    try {
      await flushHandlers(this, play, failed);
    } finally {
      for (const n of failed) this.hostRun(n).failed = true;
    }
  }

  /** A play's boolean keyword; a template is rendered with the play's vars and the extra vars (Ansible's play-level templating). */
  private playFlag(play: Play, v: Flag, keyword: string): boolean {
    return resolveFlag(v, buildVars([play.vars, this.opts.extraVars]), keyword) === true;
  }

  isActive(n: string): boolean {
    const h = this.hostRun(n);
    return !h.failed && !h.unreachable && !h.ended;
  }

  /** any_errors_fatal / max_fail_percentage: the whole batch stops. */
  private aborted = false;
  playAborted(batch: string[], play: Play): boolean {
    if (this.aborted) return true;
    const failed = batch.filter((n) => {
      const h = this.hostRun(n);
      return h.failed || h.unreachable;
    }).length;
    const anyErrorsFatal = this.playFlag(play, play.anyErrorsFatal, 'any_errors_fatal');
    if (failed && anyErrorsFatal) this.aborted = true;
    if (play.maxFailPercentage !== undefined && (failed / batch.length) * 100 > play.maxFailPercentage) this.aborted = true;
    if (this.aborted) {
      this.opts.emit({ kind: 'warning', msg: `play "${play.name}" stopped: ${failed} of ${batch.length} hosts failed${anyErrorsFatal ? ' (any_errors_fatal)' : ` (max_fail_percentage ${play.maxFailPercentage})`}` });
      for (const n of batch) this.hostRun(n).ended = true;
    }
    return this.aborted;
  }

  /** The settings facts are gathered with: the host's own, or the play's remote_user, port, connection (as Ansible's setup task). */
  private gatherSettings(h: HostRun, play: Play): ConnectionSettings {
    return effectiveSettings(h.settings, play.conn, varsFor(this, h, playScope(play)), isImplicitLocalhost(this.opts.inventory, h.name));
  }

  /**
   * As Ansible: every play that gathers runs setup on each of its hosts again, so
   * a play sees what earlier plays changed; the new facts are merged over the
   * old (a fact the subset did not gather keeps its value, as in Ansible's cache).
   */
  private async gatherAll(need: string[], play: Play): Promise<void> {
    if (!need.length) return;
    const task = 'Gathering Facts';
    const place = formatSourcePlace(play.src);
    this.opts.emit({ kind: 'task_start', task, play: play.name, hosts: need, place });
    await Promise.all(need.map((n) => this.limit(async () => {
      if (this.isInterrupted) return;
      const h = this.hostRun(n);
      const t0 = Date.now();
      try {
        const settings = this.gatherSettings(h, play);
        const conn = this.connection(h, settings);
        const host = new Host(conn, { name: n, loginUser: settings.user });
        h.facts = mergedFacts(h.facts, await gatherHostFacts(host, { subset: play.gatherSubset, timeoutS: play.gatherTimeout }));
        // as Ansible's setup: the subset asked for, and that setup ran
        h.moduleFacts = { ...h.moduleFacts, gather_subset: play.gatherSubset ?? ['all'], module_setup: true };
        h.recap.ok++;
        this.opts.emit({ kind: 'host_result', host: n, task, status: 'ok', durationMs: Date.now() - t0, place });
      } catch (e) {
        this.hostError(h, task, e, Date.now() - t0, place);
      }
    })));
  }

  hostError(h: HostRun, task: string, e: unknown, durationMs: number, place?: string, noLog = false): void {
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
}

/** Every connection a host opened: its own and those for other users, ports or connections. */
function connectionsOf(h: HostRun): Connection[] {
  return [...(h.conn ? [h.conn] : []), ...(h.extraConns?.values() ?? [])];
}
