// The build's last step (`npm run build`, prepare): ajv's standalone code for
// each of tsplay's own schemas, written to dist/engine/load/validators/ so
// that a run loads them instead of compiling them (engine/load/own-validators.ts).
//
//   node dist/engine/load/build-validators.js
//
// It runs from dist/ only: from the sources it would write into the source tree.

import { mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { AnyValidateFunction } from 'ajv/dist/types/index.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { inventorySchema } from '../inventory/inventory.js';
import { BUILTIN_SCHEMAS, PLAY_SCHEMA, TASK_KEYWORD_SCHEMA } from './playbook-schema.js';
import { loadRegistry } from './registry.js';
import { AJV_OPTIONS, schemaKey, VALIDATORS_DIR, type OptionsName } from './own-validators.js';

const Ajv = AjvModule.default ?? AjvModule;
type StandaloneCode = (ajv: InstanceType<typeof Ajv>, validate: AnyValidateFunction) => string;
// a CommonJS module: its function is the default export under Node's ESM, or its .default
const standaloneCode = ((standaloneModule as unknown as { default?: StandaloneCode }).default ?? standaloneModule) as unknown as StandaloneCode;

export interface OwnSchema {
  what: string;
  options: OptionsName;
  schema: object;
}

/** Every schema of tsplay's own that a run validates against, with its option set. */
export async function ownSchemas(): Promise<OwnSchema[]> {
  const out: OwnSchema[] = [
    { what: 'play', options: 'document', schema: PLAY_SCHEMA },
    { what: 'task keywords', options: 'document', schema: TASK_KEYWORD_SCHEMA },
    { what: 'inventory', options: 'document', schema: inventorySchema() },
  ];
  for (const [name, schema] of Object.entries(BUILTIN_SCHEMAS)) out.push({ what: `action ${name}`, options: 'document', schema });
  // only the bundled modules: no library directories, and TSPLAY_LIBRARY is not read for this
  const saved = process.env.TSPLAY_LIBRARY;
  delete process.env.TSPLAY_LIBRARY;
  try {
    for (const def of (await loadRegistry()).values()) out.push({ what: `module ${def.name}`, options: 'moduleArgs', schema: def.schema });
  } finally {
    if (saved !== undefined) process.env.TSPLAY_LIBRARY = saved;
  }
  return out;
}

/** Write one .cjs per schema into `dir` (emptied of earlier .cjs files first); returns how many. */
export async function writeValidators(dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.cjs')) rmSync(join(dir, f));
  const ajvs = new Map<OptionsName, InstanceType<typeof Ajv>>();
  let n = 0;
  for (const { options, schema } of await ownSchemas()) {
    const key = schemaKey(options, schema);
    let ajv = ajvs.get(options);
    if (!ajv) ajvs.set(options, (ajv = new Ajv({ ...AJV_OPTIONS[options], code: { source: true } })));
    writeFileSync(join(dir, `${key}.cjs`), standaloneCode(ajv, ajv.compile(schema)));
    n++;
  }
  return n;
}

if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) {
  if (import.meta.url.endsWith('.ts')) {
    console.error('build-validators: run the compiled file (node dist/engine/load/build-validators.js)');
    process.exit(2);
  }
  const n = await writeValidators(VALIDATORS_DIR);
  console.log(`tsplay: ${n} validators precompiled into ${VALIDATORS_DIR}`);
}
