// Builds the published JSON Schemas from the code that validates at run time,
// so editors and tsplay agree: schemas/playbook.schema.json (plays, tasks, every
// module's arguments) and schemas/modules/<module>.schema.json.
// `npm run schemas` writes them; test/unit/schemas.test.ts fails when they drift.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRegistry } from './registry.js';
import { PLAY_SCHEMA, TASK_KEYWORD_SCHEMA, BLOCK_KEYWORDS, BUILTIN_SCHEMAS } from './playbook-schema.js';
import type { JsonSchema } from '../module-api.js';

export async function buildSchemas(): Promise<Record<string, JsonSchema>> {
  const registry = await loadRegistry();
  const out: Record<string, JsonSchema> = {};
  const actions: Record<string, JsonSchema> = {};
  for (const def of [...registry.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', $id: `https://tsplay.dev/schemas/modules/${def.name}.schema.json`, title: def.name, description: def.description, ...def.schema };
    out[`modules/${def.name}.schema.json`] = schema;
    actions[def.name] = def.freeForm ? { anyOf: [{ type: 'string' }, { $ref: `modules/${def.name}.schema.json` }] } : { $ref: `modules/${def.name}.schema.json` };
  }
  for (const [name, schema] of Object.entries(BUILTIN_SCHEMAS)) actions[name] = name === 'debug' || name === 'fail' || name === 'meta' || name === 'include_vars' ? { anyOf: [{ type: 'string' }, schema] } : schema;
  const taskProps = (TASK_KEYWORD_SCHEMA.properties ?? {}) as Record<string, JsonSchema>;
  const task: JsonSchema = {
    type: 'object',
    properties: { ...taskProps, ...actions, import_tasks: { type: 'string' }, include_tasks: { type: 'string' } },
    additionalProperties: false,
  };
  const block: JsonSchema = {
    type: 'object',
    required: ['block'],
    properties: Object.fromEntries(BLOCK_KEYWORDS.map((k) => [k, k === 'block' || k === 'rescue' || k === 'always' ? { type: 'array', items: { $ref: '#/definitions/item' } } : (taskProps[k] ?? {})])),
    additionalProperties: false,
  };
  const playProps = { ...(PLAY_SCHEMA.properties as Record<string, JsonSchema>) };
  for (const k of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) playProps[k] = { type: 'array', items: { $ref: '#/definitions/item' } };
  out['playbook.schema.json'] = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://tsplay.dev/schemas/playbook.schema.json',
    title: 'tsplay playbook',
    type: 'array',
    items: { anyOf: [{ ...PLAY_SCHEMA, properties: playProps }, { type: 'object', required: ['import_playbook'], properties: { import_playbook: { type: 'string' }, name: { type: 'string' } }, additionalProperties: false }] },
    definitions: { item: { anyOf: [block, task] }, task, block },
  };
  return out;
}

const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export function serialize(schema: JsonSchema): string {
  return JSON.stringify(schema, null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url).replace(/\.(ts|js)$/, '') === process.argv[1].replace(/\.(ts|js)$/, '')) {
  const all = await buildSchemas();
  for (const [rel, schema] of Object.entries(all)) {
    const file = join(schemasDir, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, serialize(schema));
  }
  console.log(`wrote ${Object.keys(all).length} schemas to ${schemasDir}`);
}
