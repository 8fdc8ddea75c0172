// include_tasks and include_role at run time, as Ansible's linear strategy
// runs them: the include is evaluated on each host (enclosing conditions, its
// loop, its `when` per item, its templated name); hosts that include the same
// file with the same item run the included tasks together, one inclusion after
// the other, in the order they were first met. The included tasks see the
// include's `vars:` and loop variable (the include_params layer); `apply:`
// keywords wrap them. An included file's load errors fail the hosts that
// included it, naming the include's file:line.

import type { Item, Play, Task } from '../load/playbook.js';
import { formatSourcePlace } from '../load/playbook.js';
import { withTaskKeywords } from '../load/playbook.js';
import type { RoleInstance } from '../load/roles.js';
import { BARE_INCLUDE_RUN_DEPRECATION } from '../load/bare-include.js';
import { loadWarning } from '../load/load-warnings.js';
import { isTemplated, renderString } from '../template/template.js';
import { toText, truthy } from '../template/expression.js';
import { unsafe } from '../template/unsafe.js';
import type { Vars } from '../template/vars.js';
import type { RunContext } from './context.js';
import type { TaskOutcome } from './host-run.js';
import { condition, describeError } from './action.js';
import { countOutcome } from './recap.js';
import { tagSelected, taskScope, varsFor, type Scope } from './scope.js';
import { loopItems } from './loop.js';

export type RunItems = (rc: RunContext, items: Item[], hosts: string[], scope: Scope, play: Play) => Promise<void>;

/** The name a task is shown under: Ansible prefixes a role's tasks with "ROLE : ". */
export function taskLabel(task: Task): string {
  const name = task.name ?? task.action;
  return task.role ? `${task.role.name} : ${name}` : name;
}

type Loaded = { items: Item[]; file: string; role?: RoleInstance; handlers?: Task[] };

interface Inclusion {
  target: string;
  hasItem: boolean;
  item?: unknown;
  hosts: string[];
}

/** Run an include_tasks / include_role task on its hosts, then what it included. */
export async function runInclude(rc: RunContext, task: Task, hosts: string[], parent: Scope, play: Play, runItems: RunItems): Promise<void> {
  const spec = task.include!;
  const scope = taskScope(parent, task);
  // As Ansible: --tags does not deselect a bare `include:` (only --skip-tags does).
  if (!tagSelected(scope.tags, spec.bare ? [] : rc.opts.tags, rc.opts.skipTags)) return;
  const name = taskLabel(task);
  const place = formatSourcePlace(task.src);
  const printed = spec.kind === 'include_tasks';
  rc.opts.emit({ kind: 'task_start', task: name, play: play.name, hosts, place });
  if (spec.bare) loadWarning({ msg: BARE_INCLUDE_RUN_DEPRECATION, deprecation: true });
  const inclusions: Inclusion[] = [];
  const byKey = new Map<string, Inclusion>();
  const report = (n: string, outcome: TaskOutcome, t0: number) => {
    const h = rc.hostRun(n);
    rc.opts.emit({
      kind: 'host_result', host: n, task: name, status: outcome.status, ignored: outcome.ignored,
      msg: typeof outcome.result.msg === 'string' ? outcome.result.msg : undefined, result: outcome.result, durationMs: Date.now() - t0, place,
    });
    countOutcome(h, outcome);
  };
  const ignored = (vars: Vars): boolean => {
    const v = scope.ignoreErrors;
    return v === undefined ? false : typeof v === 'boolean' ? v : truthy(renderString(v, vars));
  };
  // run_once: the first host decides, and every host includes what it included.
  const deciders = task.runOnce ? hosts.slice(0, 1) : hosts;
  for (const n of deciders) {
    const h = rc.hostRun(n);
    const t0 = Date.now();
    let baseVars: Vars = {};
    try {
      baseVars = varsFor(rc, h, scope);
      if (scope.when.some((w) => !condition(w.conds, baseVars, task))) {
        report(n, { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } }, t0);
        continue;
      }
      let items: Array<{ has: boolean; item?: unknown }> = [{ has: false }];
      const looped = loopItems(task, baseVars);
      if (looped) items = looped.items.map((item) => ({ has: true, item: looped.data ? unsafe(item) : item }));
      let any = false;
      for (const it of items) {
        const vars = it.has ? varsFor(rc, h, scope, { [spec.loopVar]: it.item }) : baseVars;
        if (task.when.length && !condition(task.when, vars, task)) continue;
        const target = isTemplated(spec.target) ? toText(renderString(spec.target, vars)) : spec.target;
        any = true;
        const key = JSON.stringify([target, it.has, it.item]);
        let inc = byKey.get(key);
        if (!inc) {
          inc = { target, hasItem: it.has, item: it.item, hosts: [] };
          byKey.set(key, inc);
          inclusions.push(inc);
        }
        for (const m of task.runOnce ? hosts : [n]) if (!inc.hosts.includes(m)) inc.hosts.push(m);
      }
      if (!any) report(n, { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } }, t0);
    } catch (e) {
      const msg = describeError(e, task, n);
      report(n, { status: 'failed', result: { failed: true, changed: false, msg }, ignored: ignored(baseVars) }, t0);
    }
  }
  // As Ansible: every inclusion is reported (and loaded) first, then each runs in turn.
  const ready: Array<{ inc: Inclusion; loaded: Loaded }> = [];
  for (const inc of inclusions) {
    const live = inc.hosts.filter((n) => rc.isActive(n));
    if (!live.length) continue;
    const t0 = Date.now();
    let loaded: Loaded;
    try {
      loaded = await spec.load(inc.target);
    } catch (e) {
      // The included file's own error (its file:line), or a missing file named at the include.
      const msg = `${(e as Error).message}${(e as Error).message.includes(place) ? '' : ` (included from ${place})`}`;
      for (const n of live) report(n, { status: 'failed', result: { failed: true, changed: false, msg } }, t0);
      continue;
    }
    if (printed) {
      rc.opts.emit({ kind: 'included', task: name, file: loaded.file, hosts: live, item: inc.hasItem ? inc.item : undefined, place });
      for (const n of live) rc.hostRun(n).recap.ok++;
    }
    ready.push({ inc, loaded });
  }
  for (const { inc, loaded } of ready) {
    if (rc.interrupted()) return;
    const live = inc.hosts.filter((n) => rc.isActive(n));
    if (!live.length) continue;
    // A role included by a templated name brings its handlers now.
    for (const hd of loaded.handlers ?? []) if (!play.handlers.includes(hd)) play.handlers.push(hd);
    let items = loaded.items;
    if (spec.applyTask) items = withTaskKeywords(items, spec.applyTask);
    if (spec.apply) items = [{ ...spec.apply, block: items }];
    const params: Vars = { ...task.vars };
    if (inc.hasItem) params[spec.loopVar] = inc.item;
    const child: Scope = {
      ...parent,
      ignoreErrors: task.ignoreErrors ?? parent.ignoreErrors,
      noLog: task.noLog ?? parent.noLog,
      includeParams: [...(parent.includeParams ?? []), params],
    };
    await runItems(rc, items, live, child, play);
    if (spec.public && loaded.role) {
      for (const n of live) {
        const list = rc.play.publicRoles.get(n) ?? [];
        if (!list.includes(loaded.role)) list.push(loaded.role);
        rc.play.publicRoles.set(n, list);
      }
    }
  }
}
