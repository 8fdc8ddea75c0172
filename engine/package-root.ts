// Where tsplay's own files are (schemas/, package.json, the precompiled
// validators), wherever this code runs from: the TypeScript sources
// (engine/, as the tests run them), tsc's output (dist/engine/) or the CLI's
// bundle (dist/tsplay.mjs, one file for all of the engine). A path made
// relative to one source file's own place would be wrong in the bundle.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory at or above `start` holding tsplay's package.json and schemas/. */
export function packageRootAbove(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas', 'inventory.schema.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`tsplay: cannot find its package (package.json and schemas/) above ${start}`);
  }
}

/** tsplay's package root: the checkout, or where npm installed it. */
export const PACKAGE_ROOT = packageRootAbove(dirname(fileURLToPath(import.meta.url)));

/** This code runs compiled (dist/, or the bundle), not from the TypeScript sources. */
export const RUNS_COMPILED = !import.meta.url.endsWith('.ts');
