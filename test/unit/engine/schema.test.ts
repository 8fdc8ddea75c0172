// engine/schema.ts: the builder emits plain JSON Schema (what ajv compiles and
// `npm run schemas` publishes) and types it; the type assertions below are
// checked by `tsc` (npx tsc -p tsconfig.json --noEmit), the values by ava.

import test from 'ava';
import AjvModule from 'ajv';
import { S } from '../../../engine/schema.js';
import type { Static } from '../../../engine/schema.js';
import { defineModule } from '../../../engine/module-api.js';
import type { ArgsOf } from '../../../engine/module-api.js';
import apt from '../../../modules/apt.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(): T | undefined { return undefined; }

const schema = S.object({
  path: S.string({ pattern: '^/', description: 'a path' }),
  follow: S.boolean({ default: false }),
  mode: S.types(['string', 'integer']),
  state: S.enum(['present', 'absent'], { default: 'present' }),
  names: S.anyOf([S.string(), S.array(S.string())]),
}, { additionalProperties: false, required: ['path'] });

type Args = Static<typeof schema>;
// Required and defaulted options are always present; the others are optional.
assertType<Equal<Args, { path: string; follow: boolean; state: 'present' | 'absent'; mode?: string | number; names?: string | string[] }>>();
// A module's args are its schema's type: apt's pkg (an alias of name) is there.
assertType<Equal<ArgsOf<typeof apt>['pkg'], string | string[] | undefined>>();
assertType<Equal<ArgsOf<typeof apt>['state'], 'present' | 'absent' | 'latest'>>();

test('the builder emits plain JSON Schema, keys in the published order', (t) => {
  t.deepEqual(JSON.parse(JSON.stringify(schema)), {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', pattern: '^/', description: 'a path' },
      follow: { type: 'boolean', default: false },
      mode: { type: ['string', 'integer'] },
      state: { enum: ['present', 'absent'], default: 'present' },
      names: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    },
  });
  t.deepEqual(Object.getOwnPropertySymbols(schema), []);
  t.deepEqual(S.with(S.integer({ minimum: 0 }), { default: 3, description: 'd' }), { type: 'integer', minimum: 0, default: 3, description: 'd' });
});

test('ajv with useDefaults fills what the type says is always present', (t) => {
  const Ajv = AjvModule.default ?? AjvModule;
  const validate = new Ajv({ useDefaults: true, strict: false, allowUnionTypes: true }).compile(schema);
  const args: Record<string, unknown> = { path: '/etc' };
  t.true(validate(args));
  t.deepEqual(args, { path: '/etc', follow: false, state: 'present' });
  t.false(validate({ follow: true }));
});

test('defineModule types plan() args from the schema', (t) => {
  const mod = defineModule({
    name: 'probe',
    description: 'test module',
    schema,
    async gather(args) { return args.path; },
    plan(args, state) {
      // @ts-expect-error -- not in the schema
      void args.bogus;
      const follow: boolean = args.follow;
      return { changed: false, reason: `${state} ${follow}` };
    },
  });
  // plan() does not read ctx here; built loosely so it does not pin ModuleContext's fields.
  const ctx = { diff: false, facts: {} } as unknown as Parameters<typeof mod.plan>[2];
  t.deepEqual(mod.plan({ path: '/x', follow: true, state: 'present' }, '/x', ctx), { changed: false, reason: '/x true' });
});
