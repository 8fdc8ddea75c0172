// A task's loop on one host, as Ansible 2.14's task executor runs it: the
// items (`loop:` rendered, or the `with_<lookup>` lookup run on its rendered
// terms), loop_control (loop_var, index_var, label, pause, extended), the
// per-item variables, each item's registered result and the loop's result.

import type { Task } from '../load/playbook.js';
import type { LoopControl } from '../load/loop-keywords.js';
import { ModuleError } from '../module-api.js';
import type { HostStatus } from '../report/events.js';
import { getProp, toBool, toText, truthy, UndefinedVariableError } from '../template/expression.js';
import { listify, runLookupList } from '../template/lookups.js';
import { isTemplated, renderDeep, renderString, TemplateError } from '../template/template.js';
import { trackUnsafe, unsafe } from '../template/unsafe.js';
import type { Vars } from '../template/vars.js';
import type { TaskOutcome } from './host-run.js';

/** loop_control with its templates rendered for one host. */
export interface LoopSettings {
  loopVar: string;
  indexVar?: string;
  label?: unknown;
  /** Seconds between items. */
  pause: number;
  extended: boolean;
  extendedAllitems: boolean;
}

function renderedString(v: unknown, vars: Vars): string | undefined {
  return v === undefined ? undefined : toText(renderDeep(v, vars));
}

/** Ansible's NonInheritableFieldAttributes of loop_control, rendered as it post-validates them. */
export function loopSettings(lc: LoopControl | undefined, vars: Vars): LoopSettings {
  const pause = lc?.pause === undefined ? 0 : Number(renderDeep(lc.pause, vars));
  if (!Number.isFinite(pause) || pause < 0) throw new ModuleError(`loop_control.pause must be a number of seconds, got ${JSON.stringify(lc?.pause)}`);
  const flag = (v: unknown, dflt: boolean) => (v === undefined ? dflt : toBool(renderDeep(v, vars)));
  return {
    loopVar: renderedString(lc?.loopVar, vars) ?? 'item',
    indexVar: renderedString(lc?.indexVar, vars),
    label: lc?.label,
    pause,
    extended: flag(lc?.extended, false),
    extendedAllitems: flag(lc?.extendedAllitems, true),
  };
}

/** Render leaf by leaf, leaving a string whose names are undefined as written (with_first_found's terms). */
function renderLenient(v: unknown, vars: Vars): unknown {
  if (typeof v === 'string') {
    if (!isTemplated(v)) return v;
    try {
      return renderString(v, vars);
    } catch {
      return v;
    }
  }
  if (Array.isArray(v)) return v.map((x) => renderLenient(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderLenient(x, vars)]));
  return v;
}

/** Where with_first_found looks in each search directory, from the task's action (as Ansible). */
export function loopSubdir(action: string): string {
  for (const s of ['template', 'var', 'file']) if (action.includes(s)) return `${s}s`;
  return 'files';
}

/** A with_ loop's rendered terms as the lookup's list of terms (listify_lookup_plugin_terms). */
function termsOf(name: string, rendered: unknown): unknown[] {
  if (rendered && typeof rendered === 'object' && !Array.isArray(rendered)) {
    // A mapping is iterated by its keys, except by `dict`; `list` and `indexed_items` want a list.
    if (name === 'dict') return [rendered];
    if (name === 'list' || name === 'indexed_items') throw new ModuleError(`with_${name} expects a list`);
    return Object.keys(rendered);
  }
  return listify(rendered);
}

/** The items of a task's loop on a host; undefined when the task has no loop. `data`: items are host or lookup data (never rendered). */
export function loopItems(task: Task, vars: Vars): { items: unknown[]; data: boolean } | undefined {
  if (task.loop === undefined) return undefined;
  if (task.loopWith === undefined) {
    const { value, unsafe: fromData } = trackUnsafe(() => renderDeep(task.loop, vars));
    if (!Array.isArray(value)) throw new ModuleError(`loop must be a list, got ${typeof value}: ${JSON.stringify(value)}`);
    return { items: value, data: fromData };
  }
  const name = task.loopWith;
  const raw = typeof task.loop === 'string' ? task.loop.trim() : task.loop;
  let terms: unknown[];
  if (name === 'first_found') {
    // As Ansible: an undefined name does not fail; a term still templated is dropped.
    terms = termsOf(name, renderLenient(raw, vars)).filter((t) => !(typeof t === 'string' && isTemplated(t)));
  } else {
    terms = termsOf(name, renderDeep(raw, vars));
  }
  // What a lookup returns is data, as Ansible wraps it.
  return { items: runLookupList(name, terms, {}, vars, loopSubdir(task.action)), data: true };
}

/**
 * Whether an error evaluating a loop is an undefined variable (Ansible's
 * AnsibleUndefinedVariable): the one loop error Ansible 2.14's task executor
 * holds back until it has evaluated `when` (a false `when` skips the task).
 */
export function isUndefinedError(e: unknown): boolean {
  return e instanceof UndefinedVariableError || (e instanceof TemplateError && e.variable !== undefined);
}

/** ansible_loop for item i (loop_control.extended). */
function extendedInfo(s: LoopSettings, items: unknown[], i: number): Record<string, unknown> {
  const n = items.length;
  const info: Record<string, unknown> = {
    index: i + 1, index0: i, first: i === 0, last: i + 1 === n, length: n, revindex: n - i, revindex0: n - i - 1,
  };
  if (s.extendedAllitems) info.allitems = items;
  if (i + 1 < n) info.nextitem = items[i + 1];
  if (i > 0) info.previtem = items[i - 1];
  return info;
}

/** The loop variables of item i: loop_var, ansible_loop_var, index_var, ansible_index_var, ansible_loop. */
export function itemVars(s: LoopSettings, items: unknown[], i: number, data: boolean): Vars {
  const wrap = (v: unknown) => (data ? unsafe(v) : v);
  const out: Vars = { ansible_loop_var: s.loopVar, [s.loopVar]: wrap(items[i]) };
  if (s.indexVar !== undefined) Object.assign(out, { ansible_index_var: s.indexVar, [s.indexVar]: i });
  if (s.extended) out.ansible_loop = wrap(extendedInfo(s, items, i));
  return out;
}

/** An item's registered result: the action's result, then the loop's keys, in Ansible's order. */
export function itemResult(s: LoopSettings, result: Record<string, unknown>, items: unknown[], i: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result, [s.loopVar]: items[i], ansible_loop_var: s.loopVar };
  if (s.indexVar !== undefined) Object.assign(out, { [s.indexVar]: i, ansible_index_var: s.indexVar });
  if (s.extended) out.ansible_loop = extendedInfo(s, items, i);
  return out;
}

/** What an item prints as (loop_control.label, default the item), or the error rendering it. */
export function itemLabel(s: LoopSettings, vars: Vars): { label: unknown } | { error: string } {
  if (s.label === undefined) return { label: getProp(vars, s.loopVar) };
  try {
    return { label: renderDeep(s.label, vars) };
  } catch (e) {
    return { error: `Failed to template loop_control.label: ${(e as Error).message}` };
  }
}

/** The loop's own result (registered, and what the task counts as), as Ansible builds it from the items'. */
export function loopOutcome(results: Array<Record<string, unknown>>, statuses: HostStatus[], ignored: boolean): TaskOutcome {
  if (!results.length) {
    return { status: 'skipped', result: { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] } };
  }
  const res: Record<string, unknown> = { results, skipped: true };
  for (const r of results) {
    if (truthy(r.changed) && !res.changed) res.changed = true;
    if (res.skipped && !truthy(r.skipped)) res.skipped = false;
    if (truthy(r.failed) && !res.failed) {
      res.failed = true;
      res.msg = 'One or more items failed';
    }
  }
  if (!res.failed) res.msg = 'All items completed';
  if (res.skipped) res.msg = 'All items skipped';
  if (!('changed' in res)) res.changed = false;
  const failed = statuses.includes('failed');
  const status: HostStatus = failed ? 'failed' : res.skipped ? 'skipped' : res.changed ? 'changed' : 'ok';
  return { status, result: res, ignored: failed && ignored };
}
