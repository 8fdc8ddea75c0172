// The built-in modules come from modules/index.ts, not from reading modules/
// at run time: every module file must be listed there, under its own name,
// with the shape a module must have.

import test from 'ava';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILTIN_MODULES } from '../../../../modules/index.js';
import { isBuiltin } from '../../../../engine/load/module-args.js';
import { loadRegistry } from '../../../../engine/load/registry.js';

const modulesDir = fileURLToPath(new URL('../../../../modules/', import.meta.url));

test('modules/index.ts lists every module file of modules/, each once, under its file name', (t) => {
  const files = readdirSync(modulesDir)
    .filter((n) => n.endsWith('.ts') && n !== 'index.ts')
    .map((n) => n.slice(0, -3))
    .sort();
  t.true(files.length >= 40, `modules/ holds ${files.length} module files`);
  t.deepEqual(BUILTIN_MODULES.map((m) => m.name), files);
});

test('every built-in module has a name, a schema, gather and plan', (t) => {
  for (const m of BUILTIN_MODULES) {
    t.is(typeof m.name, 'string', String(m.name));
    t.is(typeof m.gather, 'function', m.name);
    t.is(typeof m.plan, 'function', m.name);
    t.truthy(m.schema, m.name);
  }
});

test('the registry holds every built-in module, marked built-in', async (t) => {
  const reg = await loadRegistry();
  for (const m of BUILTIN_MODULES) {
    t.is(reg.get(m.name), m, m.name);
    t.true(isBuiltin(m), m.name);
  }
});
