// Loop keywords of a task: `loop`, `with_<lookup>` (one per lookup of
// engine/template/lookups.ts) and `loop_control`, as Ansible 2.14 takes them.
// The schema pieces go into the task keyword schema (playbook-schema.ts);
// loopOf turns a task's accepted keywords into the task's loop.

import { S } from '../schema.js';
import type { Schema } from '../schema.js';
import { LOOKUPS, lookupProblem } from '../template/lookups.js';

/** `with_<name>` for every lookup tsplay has: any value (the lookup checks its terms at run time). */
export const WITH_KEYWORD_PROPS: Record<string, Schema> = Object.fromEntries(Object.keys(LOOKUPS).map((n) => [`with_${n}`, S.any()]));

const boolOrTemplate = S.types(['boolean', 'string']);

export const LOOP_CONTROL_SCHEMA = S.object({
  loop_var: S.string({ minLength: 1 }),
  index_var: S.string({ minLength: 1 }),
  label: S.any(),
  pause: S.types(['number', 'string']),
  extended: boolOrTemplate,
  extended_allitems: boolOrTemplate,
}, { additionalProperties: false });

/** A task's loop_control, as written (templates rendered per host at run time). */
export interface LoopControl {
  loopVar?: string;
  indexVar?: string;
  label?: unknown;
  pause?: number | string;
  extended?: boolean | string;
  extendedAllitems?: boolean | string;
}

export interface TaskLoop {
  /** The loop's value as written: `loop:`'s list, or the terms of `with_<lookup>`. */
  loop?: unknown;
  /** The lookup of a `with_<lookup>` loop (`items`, `dict`, ...); undefined for `loop:`. */
  loopWith?: string;
  loopControl?: LoopControl;
}

/** The `with_X` key of a task that names no lookup tsplay has, with why (undefined when all are fine). */
export function badWithKey(keys: string[]): { key: string; reason: string } | undefined {
  for (const key of keys) {
    if (!key.startsWith('with_')) continue;
    const name = key.slice('with_'.length);
    const problem = lookupProblem(name);
    if (problem) return { key, reason: `${key}: ${problem}` };
  }
  return undefined;
}

type RawLoopKeywords = Record<string, unknown> & { loop_control?: Record<string, unknown> };

/** The loop of a task whose keywords the schema accepted; `fail(key, msg)` reports at the key. */
export function loopOf(kw: RawLoopKeywords, fail: (key: string, msg: string) => never): TaskLoop {
  const keys = Object.keys(kw).filter((k) => k === 'loop' || k.startsWith('with_'));
  if (keys.length > 1) fail(keys[1], `a task has one loop; found ${keys.map((k) => `"${k}"`).join(' and ')}`);
  // loop_control without a loop controls nothing, in Ansible too: accepted.
  const lc = kw.loop_control;
  const loopControl: LoopControl | undefined = lc && {
    loopVar: lc.loop_var as string | undefined,
    indexVar: lc.index_var as string | undefined,
    label: lc.label,
    pause: lc.pause as number | string | undefined,
    extended: lc.extended as boolean | string | undefined,
    extendedAllitems: lc.extended_allitems as boolean | string | undefined,
  };
  if (!keys.length) return {};
  const key = keys[0];
  return { loop: kw[key], loopWith: key === 'loop' ? undefined : key.slice('with_'.length), loopControl };
}
