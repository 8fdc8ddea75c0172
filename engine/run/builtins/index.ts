// The registry of built-in actions. Adding one: a file in this folder
// exporting a factory of a BuiltinAction (builtin.ts), listed here.

import type { BuiltinAction } from './builtin.js';
import { assert } from './assert.js';
import { asyncStatus } from './async-status.js';
import { debug } from './debug.js';
import { fail } from './fail.js';
import { includeVars } from './include-vars.js';
import { meta } from './meta.js';
import { pause } from './pause.js';
import { readiness } from './readiness.js';
import { setFact } from './set-fact.js';

export type { BuiltinAction, BuiltinContext } from './builtin.js';

const FACTORIES: ReadonlyArray<() => BuiltinAction> = [debug, assert, fail, setFact, meta, includeVars, readiness, pause, asyncStatus];

/** Fresh instances for one run (a built-in's state lives in its instance). */
export function createBuiltins(): Map<string, BuiltinAction> {
  return new Map(FACTORIES.map((f) => f()).map((b) => [b.name, b]));
}

/** Every built-in action's name: the loader accepts these beside the modules. */
export const BUILTIN_NAMES: readonly string[] = [...createBuiltins().keys()];
