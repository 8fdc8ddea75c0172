// Builds the published JSON Schemas from the code that validates at run time,
// so editors and tsplay agree: schemas/playbook.schema.json (plays, tasks, every
// module's arguments) and schemas/modules/<module>.schema.json.
// `npm run schemas` writes them, and the argument tables of docs/modules/*.md
// (engine/load/module-docs.ts); test/unit/engine/load/schemas.test.ts and
// module-docs.test.ts fail when they drift.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRegistry } from './registry.js';
import { PLAY_SCHEMA, TASK_KEYWORD_SCHEMA, BLOCK_KEYWORDS, BUILTIN_SCHEMAS } from './playbook-schema.js';
import type { JsonSchema } from '../schema.js';
import { argumentTable, updateDoc } from './module-docs.js';
import { editorSchema } from './editor-schema.js';
import { COLLECTION_NAMES } from './module-names.js';

export async function buildSchemas(): Promise<Record<string, JsonSchema>> {
  const registry = await loadRegistry();
  const out: Record<string, JsonSchema> = {};
  const actions: Record<string, JsonSchema> = {};
  const moduleDefs: Record<string, JsonSchema> = {};
  for (const def of [...registry.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const args = editorSchema({ title: def.name, description: def.description, ...def.schema });
    out[`modules/${def.name}.schema.json`] = { $schema: 'http://json-schema.org/draft-07/schema#', ...args };
    moduleDefs[`module.${def.name}`] = args;
    // Every module also takes its options as a key=value string (engine/load/key-value.ts).
    actions[def.name] = { anyOf: [{ type: 'string' }, { $ref: `#/definitions/module.${def.name}` }] };
  }
  for (const [name, schema] of Object.entries(BUILTIN_SCHEMAS)) actions[name] = name === 'assert' || name === 'readiness' ? schema : { anyOf: [{ type: 'string' }, schema] };
  // ansible.builtin.copy, community.general.ini_file, ...: the same arguments as the name tsplay has (engine/load/module-names.ts).
  for (const [fqcn, name] of COLLECTION_NAMES) if (actions[name] !== undefined) actions[fqcn] = actions[name];
  const taskProps: Record<string, JsonSchema> = { ...TASK_KEYWORD_SCHEMA.properties };
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
  const playProps: Record<string, JsonSchema> = { ...PLAY_SCHEMA.properties };
  for (const k of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) playProps[k] = { type: 'array', items: { $ref: '#/definitions/item' } };
  // One self-contained file (every module's arguments under definitions): an editor or ajv-cli needs nothing else.
  out['playbook.schema.json'] = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...editorSchema({
      title: 'tsplay playbook',
      type: 'array',
      items: { anyOf: [{ ...PLAY_SCHEMA, properties: playProps }, { type: 'object', required: ['import_playbook'], properties: { import_playbook: { type: 'string' }, name: { type: 'string' } }, additionalProperties: false }] },
      definitions: { item: { anyOf: [block, task] }, task, block },
    }),
  };
  (out['playbook.schema.json'] as { definitions: Record<string, JsonSchema> }).definitions = {
    ...(out['playbook.schema.json'] as { definitions: Record<string, JsonSchema> }).definitions,
    ...moduleDefs,
  };
  return out;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schemasDir = join(root, 'schemas');

/** docs/modules/<module>.md with its argument table regenerated, for each module that has a doc. */
export async function buildModuleDocs(): Promise<Record<string, { file: string; before: string; after: string }>> {
  const registry = await loadRegistry();
  const out: Record<string, { file: string; before: string; after: string }> = {};
  for (const def of registry.values()) {
    const file = join(root, 'docs', 'modules', `${def.name}.md`);
    const before = await readFile(file, 'utf8').catch(() => undefined);
    if (before === undefined) continue;
    out[def.name] = { file, before, after: updateDoc(before, argumentTable(def)) };
  }
  return out;
}

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
  const docs = await buildModuleDocs();
  for (const d of Object.values(docs)) if (d.after !== d.before) await writeFile(d.file, d.after);
  console.log(`checked ${Object.keys(docs).length} module docs' argument tables`);
}
