// Module argument validation: each module's JSON Schema compiled once by ajv.
// Defaults from the schema are filled in (useDefaults), so plan() sees them.

import type { Ajv as AjvClass } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ModuleDef } from '../module-api.js';
import { coerceToSchema } from './coerce.js';
import { AJV_OPTIONS, newAjv, ownValidator } from './own-validators.js';

// A user's module schema is checked against JSON Schema's meta-schema when it
// is compiled, so a mistake in it is reported as such. The built-in modules'
// schemas are checked against it by the test suite (test/unit/engine/load/schemas.test.ts)
// and precompiled by the build (engine/load/own-validators.ts).
let userAjv: AjvClass | undefined;
const compiled = new WeakMap<ModuleDef, ValidateFunction>();
const builtin = new WeakSet<ModuleDef>();

/** A module shipped with tsplay: its schema is compiled without the meta-schema check. */
export function markBuiltin(def: ModuleDef): void {
  builtin.add(def);
}

/** Shipped with tsplay (markBuiltin), not a user's module from library/. */
export function isBuiltin(def: ModuleDef): boolean {
  return builtin.has(def);
}

export interface ArgError {
  /** JSON pointer inside the module's arguments, e.g. "/state". */
  pointer: string;
  message: string;
}

export function validatorFor(def: ModuleDef): ValidateFunction {
  let v = compiled.get(def);
  if (!v) {
    v = builtin.has(def) ? ownValidator('moduleArgs', def.schema) : (userAjv ??= newAjv({ ...AJV_OPTIONS.moduleArgs, validateSchema: true })).compile(def.schema);
    compiled.set(def, v);
  }
  return v;
}

/** Human sentence for one ajv error. */
export function describeAjvError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown option "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `missing required option "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map((x) => JSON.stringify(x)).join(', ')}`;
    case 'type':
      return `must be ${(e.params as { type: string }).type}`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * Validate (and default) a module's arguments in place, strings first converted
 * to the option's type as Ansible's argument spec does (coerce.ts). Returns the
 * errors, most specific first; an empty list means valid.
 */
export function validateModuleArgs(def: ModuleDef, args: Record<string, unknown>): ArgError[] {
  coerceToSchema(def.schema, args);
  const v = validatorFor(def);
  if (v(args)) return [];
  const errors = (v.errors ?? []).filter((e) => e.keyword !== 'if');
  // anyOf/oneOf produce one error per branch; keep the simplest explanation.
  return errors.map((e) => ({
    pointer: e.keyword === 'additionalProperties'
      ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`
      : e.instancePath,
    message: describeAjvError(e),
  }));
}
