// Precompiled validators (engine/load/own-validators.ts, build-validators.ts):
// for every schema of tsplay's own, the code the build writes accepts and
// rejects exactly what a validator compiled at run time does, with the same
// errors and the same defaults filled in; a run loads it when it is there and
// compiles otherwise.

import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownSchemas, writeValidators } from '../../../../engine/load/build-validators.js';
import { ajvFor, ownValidator, schemaKey } from '../../../../engine/load/own-validators.js';
import { PLAY_SCHEMA } from '../../../../engine/load/playbook-schema.js';

// Inside the checkout: the generated code requires ajv's runtime helpers, found from node_modules above it.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'tsplay-validators-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

type Schema = { properties?: Record<string, Schema>; enum?: unknown[]; default?: unknown; type?: string | string[] };

/**
 * Inputs for one schema: nothing, an unknown key, and per property a value of
 * each JSON type, its default and the first of its enum: valid, invalid and
 * defaults-filled cases, without a hand-written table per module.
 */
function inputsFor(schema: object): unknown[] {
  const s = schema as Schema;
  const out: unknown[] = [{}, { bogus_option: 1 }, [], 'text', null];
  const kinds: unknown[] = ['x', 3, 2.5, true, null, ['a'], { k: 'v' }];
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    for (const v of kinds) out.push({ [name]: v });
    if (p.default !== undefined) out.push({ [name]: p.default });
    if (p.enum?.length) out.push({ [name]: p.enum[0] });
  }
  // every property at once, each with a string (most modules' arguments are strings)
  out.push(Object.fromEntries(Object.keys(s.properties ?? {}).map((k) => [k, 'x'])));
  return out;
}

test('the build writes one validator per own schema, and each agrees with the compiled one', async (t) => {
  const written = await writeValidators(dir);
  const schemas = await ownSchemas();
  t.is(written, schemas.length);
  // (two bundled modules may share one schema: one file)
  t.true(schemas.length > 40, `${schemas.length} schemas`);
  const keys = [...new Set(schemas.map((s) => schemaKey(s.options, s.schema)))].sort();
  t.deepEqual(readdirSync(dir).map((f) => f.replace(/\.cjs$/, '')).sort(), keys);
  let cases = 0;
  for (const { what, options, schema } of schemas) {
    const pre = ownValidator(options, schema, dir);
    t.false('schemaEnv' in pre, `${what}: loaded from the build, not compiled`);
    const compiled = ajvFor(options).compile(schema);
    t.true('schemaEnv' in compiled);
    for (const input of inputsFor(schema)) {
      // useDefaults fills the data in place: each side gets its own copy
      const a = structuredClone(input);
      const b = structuredClone(input);
      const okPre = pre(a);
      const okCompiled = compiled(b);
      t.is(okPre, okCompiled, `${what} ${JSON.stringify(input)}`);
      t.deepEqual(pre.errors ?? null, compiled.errors ?? null, `${what} ${JSON.stringify(input)}: errors`);
      t.deepEqual(a, b, `${what} ${JSON.stringify(input)}: defaults filled in`);
      cases++;
    }
  }
  t.log(`${schemas.length} schemas, ${cases} inputs compared`);
});

test('a schema without its file, or with a file for another version of it, is compiled', (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'tsplay-validators-none-'));
  try {
    t.true('schemaEnv' in ownValidator('document', PLAY_SCHEMA, empty));
    // a file under the key of a changed schema: the play schema's own key finds nothing
    const changed = { ...PLAY_SCHEMA, description: 'another version' };
    writeFileSync(join(empty, `${schemaKey('document', changed)}.cjs`), 'module.exports = () => true;');
    t.true('schemaEnv' in ownValidator('document', PLAY_SCHEMA, empty));
    t.is(ownValidator('document', changed, empty)(42), true, 'a file under the exact key is used');
    // the option set is part of the key
    t.not(schemaKey('document', PLAY_SCHEMA), schemaKey('moduleArgs', PLAY_SCHEMA));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
