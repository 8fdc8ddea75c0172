// The published schemas are generated from the code that validates at run time;
// they must not drift (run `npm run schemas` after changing a module's schema).

import test from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { buildSchemas, serialize } from '../../../../engine/load/export-schemas.js';

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
