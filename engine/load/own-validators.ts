// Validators for tsplay's own JSON Schemas (plays, built-in actions, the
// bundled modules' arguments, inventories), compiled ahead of time.
//
// ajv turns a schema into JavaScript the first time it is compiled; for the
// schemas one run of the bundled job uses, that cost about 70 ms of controller
// CPU, a tenth of a rerun that changes nothing. The build (`npm run build`,
// and `npm ci` through prepare) runs build-validators.js after tsc: it
// compiles each of these schemas with the options below and writes ajv's
// standalone code for it to dist/engine/load/validators/<key>.cjs. At run
// time ownValidator() loads that file instead of compiling. The key is a hash
// of the options' name and the schema's JSON, so a file written for another
// version of a schema is never used for this one; a schema without a file
// (running from the sources, as the tests do, or a build without that step)
// is compiled here as before, with the same options. A user's module schema
// never comes here: it is compiled, and checked against the meta-schema
// (engine/load/module-args.ts).

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv as AjvClass } from 'ajv';
import type { Options, ValidateFunction } from 'ajv';
import { PACKAGE_ROOT, RUNS_COMPILED } from '../package-root.js';

/**
 * The option sets of tsplay's own validators. validateSchema: false, because
 * these schemas are checked against the meta-schema by the test suite
 * (test/unit/engine/load/schemas.test.ts): skipping the check saves compiling
 * the meta-schema on every run.
 */
export const AJV_OPTIONS = {
  /** plays, built-in actions, inventories: every error reported, nothing filled in */
  document: { allErrors: true, strict: false, allowUnionTypes: true, validateSchema: false },
  /** the bundled modules' arguments: defaults filled in (plan() sees them) */
  moduleArgs: { allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true, validateSchema: false },
} as const satisfies Record<string, Options>;

export type OptionsName = keyof typeof AJV_OPTIONS;

/**
 * Where the build writes the precompiled validators: dist/engine/load/validators
 * for the compiled engine and its bundle; from the sources, a directory that the
 * build never writes (there, every schema is compiled at run time).
 */
export const VALIDATORS_DIR = join(PACKAGE_ROOT, RUNS_COMPILED ? 'dist' : '', 'engine', 'load', 'validators');

/** The file name (without .cjs) of a schema's precompiled validator under one option set. */
export function schemaKey(options: OptionsName, schema: object): string {
  return createHash('sha256').update(options).update('\0').update(JSON.stringify(schema)).digest('hex').slice(0, 32);
}

const requireHere = createRequire(import.meta.url);

/**
 * A new ajv instance. ajv itself is loaded on first use (a CommonJS package,
 * required synchronously): loading it cost about 35 ms of every run's start,
 * and a run whose schemas are all precompiled never needs it.
 */
export function newAjv(options: Options): AjvClass {
  const mod = requireHere('ajv') as { default?: typeof AjvClass } & typeof AjvClass;
  const Ajv = mod.default ?? mod;
  return new Ajv(options);
}

const instances = new Map<OptionsName, AjvClass>();

/** The ajv instance that compiles an option set's schemas at run time (made on first use). */
export function ajvFor(options: OptionsName): AjvClass {
  let ajv = instances.get(options);
  if (!ajv) instances.set(options, (ajv = newAjv({ ...AJV_OPTIONS[options] })));
  return ajv;
}

/** The validator of one of tsplay's own schemas: precompiled when the build wrote it, else compiled now. */
export function ownValidator<T = unknown>(options: OptionsName, schema: object, dir = VALIDATORS_DIR): ValidateFunction<T> {
  const file = join(dir, `${schemaKey(options, schema)}.cjs`);
  if (existsSync(file)) {
    try {
      const v = requireHere(file) as ValidateFunction<T> | { default?: ValidateFunction<T> };
      const fn = typeof v === 'function' ? v : v.default;
      if (typeof fn === 'function') return fn;
    } catch {
      // unreadable, or ajv's runtime helpers it requires cannot be found from there: compile
    }
  }
  return ajvFor(options).compile<T>(schema);
}
