// The published schemas are generated from the code that validates at run time;
// they must not drift (run `npm run schemas` after changing a module's schema).

import test from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { buildSchemas, serialize } from '../../../../engine/load/export-schemas.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { BUILTIN_SCHEMAS, PLAY_SCHEMA, TASK_KEYWORD_SCHEMA } from '../../../../engine/load/playbook-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

test('schemas/ matches the module and playbook definitions', async (t) => {
  const all = await buildSchemas();
  t.true(Object.keys(all).length > 10);
  for (const [rel, schema] of Object.entries(all)) {
    const file = join(root, 'schemas', rel);
    t.true(existsSync(file), `${rel} is missing: run npm run schemas`);
    t.is(readFileSync(file, 'utf8'), serialize(schema), `${rel} is stale: run npm run schemas`);
  }
});

test('the published playbook schema compiles, accepts a valid playbook, rejects unknown options and modules', async (t) => {
  const Ajv = AjvModule.default ?? AjvModule;
  const ajv = new Ajv({ strict: false, allowUnionTypes: true });
  const all = await buildSchemas();
  for (const [rel, schema] of Object.entries(all)) if (rel.startsWith('modules/')) ajv.addSchema(schema, rel);
  const validate = ajv.compile(all['playbook.schema.json']);
  t.true(validate([{ hosts: 'all', tasks: [{ name: 'x', lineinfile: { path: '/etc/x', line: 'y' } }, { command: 'ls -l' }] }]), JSON.stringify(validate.errors));
  t.false(validate([{ hosts: 'all', tasks: [{ name: 'x', lineinfile: { path: '/etc/x', line: 'y', bogus: 1 } }] }]));
  t.false(validate([{ hosts: 'all', tasks: [{ name: 'x', nosuchmodule: {} }] }]));
});

// The run compiles tsplay's own schemas without checking them against JSON
// Schema's meta-schema (engine/load/module-args.ts, playbook.ts, inventory.ts):
// this is where they are checked.
test('every schema the run compiles unchecked is valid against the meta-schema', async (t) => {
  const Ajv = AjvModule.default ?? AjvModule;
  const ajv = new Ajv({ strict: false, allowUnionTypes: true });
  const own: [string, object][] = [
    ['play', PLAY_SCHEMA], ['task keywords', TASK_KEYWORD_SCHEMA],
    ...Object.entries(BUILTIN_SCHEMAS).map(([k, s]): [string, object] => [`built-in ${k}`, s]),
    ['inventory', JSON.parse(readFileSync(join(root, 'schemas', 'inventory.schema.json'), 'utf8')) as object],
    ...[...(await loadRegistry()).values()].map((d): [string, object] => [`module ${d.name}`, d.schema]),
  ];
  t.true(own.length > 40);
  for (const [name, schema] of own) t.true(ajv.validateSchema(schema), `${name}: ${ajv.errorsText(ajv.errors)}`);
  // The check can fail: a schema with a mistyped keyword value is refused.
  t.false(ajv.validateSchema({ type: 'object', required: 'path' }));
});
