// Where modules come from: the built-in ones in modules/ (modules/index.ts) and the user's own,
// from a `library/` directory beside the playbook or the directories named in
// TSPLAY_LIBRARY (colon-separated). A module file default-exports a ModuleDef
// (engine/module-api.ts). Built-in actions (debug, assert, ...) are run by the
// engine itself: they are registered in engine/run/builtins/ (BUILTIN_NAMES).

import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleDef } from '../module-api.js';
import { BUILTIN_MODULES } from '../../modules/index.js';
import { LoadError } from '../errors.js';
import { markBuiltin } from './module-args.js';
import { BUILTIN_NAMES } from '../run/builtins/index.js';

export type ModuleRegistry = Map<string, ModuleDef>;

async function moduleFiles(dir: string, exts: string[]): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => exts.some((e) => n.endsWith(e)) && !n.endsWith('.d.ts') && !n.endsWith('.test.ts') && !n.startsWith('index.'))
    .sort()
    .map((n) => join(dir, n));
}

async function importModule(file: string): Promise<ModuleDef> {
  let mod: { default?: ModuleDef };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: ModuleDef };
  } catch (e) {
    throw new LoadError(`cannot load module ${file}: ${(e as Error).message}`);
  }
  const def = mod.default;
  if (!def || typeof def !== 'object' || typeof def.name !== 'string' || typeof def.plan !== 'function' || typeof def.gather !== 'function' || !def.schema) {
    throw new LoadError(`${file}: a module must default-export { name, schema, gather, plan } (see docs/writing-modules.md)`);
  }
  return def;
}

let builtinCache: ModuleRegistry | undefined;

function loadBuiltins(): ModuleRegistry {
  if (!builtinCache) {
    builtinCache = new Map();
    for (const def of BUILTIN_MODULES) {
      markBuiltin(def);
      builtinCache.set(def.name, def);
    }
  }
  return builtinCache;
}

/** Built-in modules plus the user's library directories (later directories win). */
export async function loadRegistry(libraryDirs: string[] = []): Promise<ModuleRegistry> {
  const reg: ModuleRegistry = new Map(loadBuiltins());
  const envDirs = (process.env.TSPLAY_LIBRARY ?? '').split(':').filter(Boolean);
  for (const dir of [...envDirs, ...libraryDirs]) {
    for (const file of await moduleFiles(resolve(dir), ['.js', '.mjs'])) {
      const def = await importModule(file);
      if (BUILTIN_NAMES.includes(def.name)) throw new LoadError(`${file}: module name "${def.name}" is a built-in action`);
      reg.set(def.name, def);
    }
  }
  return reg;
}
