// Module docs' argument tables are generated from the schemas ajv validates;
// they must not drift (run `npm run schemas` after changing a module's schema).

import test from 'ava';
import { buildModuleDocs } from '../../../../engine/load/export-schemas.js';
import { argumentTable, BEGIN, END, updateDoc } from '../../../../engine/load/module-docs.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { S } from '../../../../engine/schema.js';
import { runMain } from '../../../helpers/main-output.js';

test('every module has a doc whose argument table matches its schema', async (t) => {
  const registry = await loadRegistry();
  const docs = await buildModuleDocs();
  t.deepEqual(Object.keys(docs).sort(), [...registry.keys()].sort(), 'each module has docs/modules/<name>.md');
  for (const [name, d] of Object.entries(docs)) {
    t.true(d.before.includes(BEGIN) && d.before.includes(END), `${name}.md has no generated block: run npm run schemas`);
    t.is(d.before, d.after, `${name}.md's argument table is stale: run npm run schemas`);
    for (const prop of Object.keys(registry.get(name)!.schema.properties ?? {})) t.true(d.before.includes(`| \`${prop}\` |`), `${name}.md lists ${prop}`);
  }
});

test('every module argument has a description', async (t) => {
  for (const def of (await loadRegistry()).values()) {
    for (const [prop, s] of Object.entries(def.schema.properties ?? {})) t.truthy(s.description, `${def.name}.${prop} has no description`);
  }
});

test('the table shows type, requirement, default and choices from the schema', (t) => {
  const schema = S.object({
    path: S.string({ description: 'where' }),
    dest: S.string({ description: 'alias of path' }),
    state: S.enum(['present', 'absent'], { default: 'present', description: 'a | b' }),
    names: S.anyOf([S.string(), S.array(S.string())], { description: 'n' }),
    id: S.integer({ description: 'i' }),
  }, { additionalProperties: false, required: ['id'], anyOf: [{ required: ['path'] }, { required: ['dest'] }] });
  t.is(argumentTable({ schema, freeForm: 'path' }), [
    '| name | type | required | default | choices | description |',
    '|---|---|---|---|---|---|',
    "| `path` | string | one of `path`, `dest` |  |  | where (free form: the string given as the module's value) |",
    '| `dest` | string | one of `path`, `dest` |  |  | alias of path |',
    '| `state` | choice |  | `present` | `present`, `absent` | a \\| b |',
    '| `names` | string \\| list of string |  |  |  | n |',
    '| `id` | integer | yes |  |  | i |',
  ].join('\n'));
});

test('updating a doc replaces only the generated block', (t) => {
  const doc = `# m\n\nText.\n\n${BEGIN}\nold\n${END}\n\n## More\n`;
  t.is(updateDoc(doc, 'new'), `# m\n\nText.\n\n${BEGIN}\nnew\n${END}\n\n## More\n`);
  t.is(updateDoc('# m\n\n| Argument | Type |\n|---|---|\n| `a` | x |\n\nafter\n', 'T'), `# m\n\n${BEGIN}\nT\n${END}\n\nafter\n`);
});

test('tsplay modules MODULE prints the same table; an unknown module is a usage error', async (t) => {
  const registry = await loadRegistry();
  const r = await runMain(['modules', 'stat']);
  t.is(r.code, 0);
  t.true(r.text.includes(argumentTable(registry.get('stat')!)), r.text);
  const bad = await runMain(['modules', 'nope']);
  t.is(bad.code, 5);
  t.regex(bad.text, /usage: tsplay modules \[MODULE\]/);
});
