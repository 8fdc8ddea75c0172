// A small JSON Schema builder that carries each schema's TypeScript type.
//
// `S.object({ path: S.string(), follow: S.boolean({ default: false }) }, { required: ['path'] })`
// returns the plain JSON Schema object ajv compiles (nothing is added to it at
// run time), typed so that `Static<typeof schema>` is
// `{ path: string; follow: boolean }`: required properties and properties with
// a `default` are always present after validation (ajv's useDefaults fills
// them), the others are optional. Modules derive their argument types from
// their schemas this way (engine/module-api.ts defineModule), so the type and
// the schema cannot disagree.
//
// The value type rides on a phantom symbol property that exists only for the
// type checker; JSON.stringify and ajv never see it.

declare const VALUE: unique symbol;
declare const HAS_DEFAULT: unique symbol;

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

/** The JSON Schema keywords tsplay uses (draft-07, as ajv 8 compiles them). */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  title?: string;
  description?: string;
  type?: JsonType | readonly JsonType[];
  enum?: readonly unknown[];
  default?: unknown;
  // strings
  pattern?: string;
  minLength?: number;
  // numbers
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  // arrays
  items?: JsonSchema;
  minItems?: number;
  // objects
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  minProperties?: number;
  propertyNames?: JsonSchema;
  dependencies?: Readonly<Record<string, readonly string[] | JsonSchema>>;
  // combinations
  anyOf?: readonly JsonSchema[];
  oneOf?: readonly JsonSchema[];
  allOf?: readonly JsonSchema[];
  if?: JsonSchema;
  then?: JsonSchema;
  else?: JsonSchema;
  definitions?: Readonly<Record<string, JsonSchema>>;
}

/** A JSON Schema whose valid instances (after defaults are filled) have type V. */
export type Schema<V = unknown> = JsonSchema & { readonly [VALUE]: V };

/** A schema with a `default`: the value is always present after validation. */
export type Defaulted<V = unknown> = Schema<V> & { readonly [HAS_DEFAULT]: true };

/** The TypeScript type of a schema's valid instances. */
export type Static<S> = S extends { readonly [VALUE]: infer V } ? V : unknown;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The value of an object with these properties, R required. */
export type PropsStatic<P extends Record<string, Schema>, R extends string = never> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : P[K] extends Defaulted ? K : never]-?: Static<P[K]> }
  & { -readonly [K in keyof P as K extends R ? never : P[K] extends Defaulted ? never : K]?: Static<P[K]> }
>;

/** Keywords every builder takes. */
interface Common {
  description?: string;
}

type Out<V, O> = O extends { default: unknown } ? Defaulted<V> : Schema<V>;

interface StringOpts extends Common { pattern?: string; minLength?: number; default?: string }
interface NumberOpts extends Common { minimum?: number; maximum?: number; exclusiveMinimum?: number; default?: number }
interface BoolOpts extends Common { default?: boolean }
interface ArrayOpts extends Common { minItems?: number }
type ObjectOpts = Omit<JsonSchema, 'type' | 'properties' | 'required'>;

type TypeOf<T extends JsonType> = T extends 'string' ? string
  : T extends 'number' | 'integer' ? number
  : T extends 'boolean' ? boolean
  : T extends 'null' ? null
  : T extends 'array' ? unknown[]
  : Record<string, unknown>;

function make<V, O>(base: JsonSchema, opts: O | undefined): Out<V, O> {
  return { ...base, ...(opts ?? {}) } as unknown as Out<V, O>;
}

export const S = {
  string: <const O extends StringOpts = Record<never, never>>(opts?: O) => make<string, O>({ type: 'string' }, opts),
  integer: <const O extends NumberOpts = Record<never, never>>(opts?: O) => make<number, O>({ type: 'integer' }, opts),
  number: <const O extends NumberOpts = Record<never, never>>(opts?: O) => make<number, O>({ type: 'number' }, opts),
  boolean: <const O extends BoolOpts = Record<never, never>>(opts?: O) => make<boolean, O>({ type: 'boolean' }, opts),
  /** Any of several primitive types: `{ type: ['string', 'integer'] }`. */
  types: <const T extends readonly JsonType[], const O extends Common & { default?: unknown } = Record<never, never>>(types: T, opts?: O) =>
    make<TypeOf<T[number]>, O>({ type: types }, opts),
  /** One of the listed values. */
  enum: <const E extends readonly (string | number | boolean | null)[], const O extends Common & { default?: E[number] } = Record<never, never>>(values: E, opts?: O) =>
    make<E[number], O>({ enum: values }, opts),
  /** A list; without an items schema, of anything. */
  array: <I extends Schema = Schema<unknown>, const O extends ArrayOpts = Record<never, never>>(items?: I, opts?: O) =>
    make<Static<I>[], O>(items === undefined ? { type: 'array' } : { type: 'array', items }, opts),
  /** Valid when any branch is: the value is the union of the branches. */
  anyOf: <const B extends readonly Schema[], const O extends Common & { default?: unknown } = Record<never, never>>(branches: B, opts?: O) =>
    make<Static<B[number]>, O>({ anyOf: branches }, opts),
  /** A copy of a schema with more keywords (a description, a default): same value type. */
  with: <X extends Schema, const O extends Common & { default?: Static<X> }>(schema: X, opts: O) =>
    ({ ...schema, ...opts }) as unknown as O extends { default: unknown } ? Defaulted<Static<X>> : X,
  /** A mapping with any keys (`{ type: 'object' }`), values of one schema when given. */
  record: <V extends Schema = Schema<unknown>>(values?: V) =>
    (values === undefined ? { type: 'object' } : { type: 'object', additionalProperties: values }) as unknown as Schema<Record<string, Static<V>>>,
  /** Any JSON value (`{}`). */
  any: <const O extends Common = Record<never, never>>(opts?: O) => make<unknown, O>({}, opts),
  /**
   * An object with these properties; `required` names the ones that must be
   * given. The keys come out as type, additionalProperties, required,
   * properties, then the other options.
   */
  object: <P extends Record<string, Schema>, const R extends keyof P & string = never, const O extends ObjectOpts = Record<never, never>>(
    properties: P, opts?: O & { required?: readonly R[] },
  ): Schema<PropsStatic<P, R>> => {
    const { additionalProperties, required, ...rest } = (opts ?? {}) as ObjectOpts & { required?: readonly string[] };
    return {
      type: 'object',
      ...(additionalProperties !== undefined ? { additionalProperties } : {}),
      ...(required !== undefined ? { required } : {}),
      properties,
      ...rest,
    } as unknown as Schema<PropsStatic<P, R>>;
  },
};
