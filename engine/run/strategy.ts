// What runs next: serial batches (serialBatches), and within a batch the
// strategy. Both strategies walk the same item tree (runItems), so
// blocks, rescue, always and handlers behave the same way under either:
// linear: every host finishes a task before the next task starts (hosts in
// parallel up to --forks). free: each host runs through the play on its own.

import { LoadError } from '../errors.js';
import type { Block, Item, Play, Task } from '../load/playbook.js';
import { formatSourcePlace } from '../load/playbook.js';
import { unsafe } from '../template/unsafe.js';
import { isTemplated } from '../template/template.js';
import type { Vars } from '../template/vars.js';
import type { RunContext } from './context.js';
import { childScope, playScope, tagSelected, taskScope, varsFor, type Scope } from './scope.js';
import { renderName } from './names.js';
import { resolveFlag } from './flags.js';
import { runTaskOnHost } from './task.js';
import { runInclude } from './include.js';
import { startAtMatches } from './start-at.js';

/** Run one section of a play (pre_tasks, tasks, post_tasks) on the batch's active hosts, then its handlers. */
export async function runSection(rc: RunContext, play: Play, items: Item[], hosts: string[]): Promise<void> {
  const root = playScope(play);
  if (rc.opts.strategy === 'free') {
    await Promise.all(hosts.map((n) => rc.limit(() => runItems(rc, items, [n], root, play))));
  } else {
    await runItems(rc, items, hosts, root, play);
  }
}

/** Run items on hosts, in order; hosts that fail drop out. */
async function runItems(rc: RunContext, items: Item[], hosts: string[], scope: Scope, play: Play): Promise<void> {
  for (const item of items) {
    if (rc.interrupted()) return;
    if (rc.playAborted(rc.play.hosts, play)) return;
    const live = hosts.filter((n) => rc.isActive(n));
    if (!live.length) return;
    if (item.kind === 'block') await runBlock(rc, item, live, scope, play);
    else if (item.include) {
      const reached = startAtHosts(rc, item, live);
      if (reached.length) await runInclude(rc, item, reached, scope, play, runItems);
    }
    else if (item.action === 'meta' && item.args.action === 'flush_handlers') await flushHandlers(rc, play, live);
    else await runTask(rc, item, live, scope, play, false);
  }
}

async function runBlock(rc: RunContext, block: Block, hosts: string[], scope: Scope, play: Play): Promise<void> {
  const inner = childScope(scope, block);
  const hr = (n: string) => rc.hostRun(n);
  // Hosts that fail inside the block are taken out of it, then may be rescued.
  const before = new Map(hosts.map((n) => [n, hr(n).recap.failed]));
  await runItems(rc, block.block, hosts, inner, play);
  const failedHere = hosts.filter((n) => hr(n).failed && !hr(n).unreachable && hr(n).recap.failed > before.get(n)!);
  if (block.rescue.length && failedHere.length) {
    for (const n of failedHere) hr(n).failed = false; // rescue runs on them
    const rescueFailedBefore = new Map(failedHere.map((n) => [n, hr(n).recap.failed]));
    await runItems(rc, block.rescue, failedHere, inner, play);
    for (const n of failedHere) {
      const h = hr(n);
      if (!h.failed && !h.unreachable && h.recap.failed === rescueFailedBefore.get(n)) {
        // As ansible-playbook counts it: the rescued failure is not a failure.
        h.recap.failed--;
        h.recap.rescued++;
      }
    }
  }
  // always: every host that entered the block and is still reachable.
  if (block.always.length) {
    const alwaysHosts = hosts.filter((n) => !hr(n).unreachable);
    const stillFailed = alwaysHosts.filter((n) => hr(n).failed);
    for (const n of stillFailed) hr(n).failed = false;
    await runItems(rc, block.always, alwaysHosts, inner, play);
    for (const n of stillFailed) hr(n).failed = true;
  }
}

/**
 * The handlers one notification wakes, as ansible-playbook 2.14 finds them: the first
 * handler of that name, and every handler that listens to it (several may share a topic).
 */
export function handlersWoken(handlers: Task[], notified: string): Task[] {
  const byName = handlers.find((h) => h.name === notified);
  return handlers.filter((h) => h === byName || h.listen.includes(notified));
}

/**
 * Notified handlers, in the order they are defined, each once, on the hosts that notified it.
 * Each handler keeps its own due hosts, as Ansible's do: running one handler of a shared topic
 * does not consume the others, and a handler notified by an earlier one runs in this flush.
 */
export async function flushHandlers(rc: RunContext, play: Play, hosts: string[]): Promise<void> {
  const due = (n: string): Set<object> => {
    const h = rc.hostRun(n);
    h.handlersDue ??= new Set();
    for (const x of h.notified) for (const handler of handlersWoken(play.handlers, x)) h.handlersDue.add(handler);
    h.notified.clear();
    return h.handlersDue;
  };
  for (const handler of play.handlers) {
    const targets = hosts.filter((n) => rc.isActive(n) && due(n).has(handler));
    if (!targets.length) continue;
    for (const n of targets) due(n).delete(handler);
    await runTask(rc, handler, targets, playScope(play, []), play, true);
  }
}

/** One task on its hosts: linear runs them in parallel (up to --forks), free has one host here. */
/** --start-at-task: the hosts that have reached it (this task's name matching reaches it for them). */
function startAtHosts(rc: RunContext, task: Task, hosts: string[]): string[] {
  const startAt = rc.opts.startAtTask;
  if (startAt === undefined) return hosts;
  if (startAtMatches(task, startAt)) for (const n of hosts) rc.startReached.add(n);
  return hosts.filter((n) => rc.startReached.has(n));
}

async function runTask(rc: RunContext, task: Task, hosts: string[], parent: Scope, play: Play, handler: boolean): Promise<void> {
  if (!handler) hosts = startAtHosts(rc, task, hosts);
  if (!hosts.length) return;
  const scope = taskScope(parent, task);
  if (!handler && !tagSelected(scope.tags, rc.opts.tags, rc.opts.skipTags)) return;
  // The first host's variables, built only when a template needs them (a task's name or run_once).
  let firstVars: Vars | undefined;
  const firstHostVars = (): Vars => (firstVars ??= varsFor(rc, rc.hostRun(hosts[0]), scope));
  // As ansible-playbook prints it: rendered with the first host's variables (names.ts); a role's tasks as "ROLE : name".
  const rendered = task.name === undefined ? task.action : isTemplated(task.name) ? renderName(task.name, firstHostVars()) : task.name;
  const name = task.role ? `${task.role.name} : ${rendered}` : rendered;
  scope.displayName = name;
  if (!handler && rc.opts.confirmTask && (await rc.opts.confirmTask(name)) === 'no') return;
  const place = formatSourcePlace(task.src);
  rc.opts.emit({ kind: 'task_start', task: name, play: play.name, hosts, place, handler });
  // run_once may be a template: resolved with the first host's variables, as the name.
  const runOnce = (typeof task.runOnce === 'string' ? resolveFlag(task.runOnce, firstHostVars(), 'run_once') : task.runOnce) === true;
  const targets = runOnce ? hosts.slice(0, 1) : hosts;
  const runOne = async (n: string) => {
    const outcome = await runTaskOnHost(rc, task, n, scope, name, place);
    if (runOnce && outcome && task.register) {
      for (const other of hosts.slice(1)) rc.hostRun(other).setFacts[task.register] = unsafe(outcome.result);
    }
  };
  if (rc.opts.strategy === 'free' || targets.length === 1) {
    for (const n of targets) await runOne(n);
  } else {
    await Promise.all(targets.map((n) => rc.limit(() => runOne(n))));
  }
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
