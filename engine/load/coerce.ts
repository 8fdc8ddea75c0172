// A module's options converted to the types its schema declares, as Ansible's
// argument spec converts them: `force=yes` (a string from the key=value form,
// or `force: "{{ flag }}"` rendered to the text "yes") is the boolean true,
// `port=22` the integer 22, `groups=a,b` the list ["a", "b"]. Only strings are
// converted, only at the top level of the options, and only to a type the
// option takes that the string is not already valid as: an option that takes a
// string keeps "0755" as it is. A string that does not convert is left alone
// for the schema to refuse.

import type { JsonSchema, JsonType } from '../schema.js';

// Ansible's BOOLEANS_TRUE / BOOLEANS_FALSE (module_utils/parsing/convert_bool), compared lowercased.
const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** The string as Ansible's boolean conversion reads it, or undefined. */
export function booleanOf(s: string): boolean | undefined {
  const l = s.trim().toLowerCase();
  return TRUE.has(l) ? true : FALSE.has(l) ? false : undefined;
}

/** The JSON types an option's schema admits (empty when it says nothing). */
function typesOf(s: JsonSchema | undefined): JsonType[] {
  if (!s) return [];
  if (s.type !== undefined) return typeof s.type === 'string' ? [s.type] : [...s.type];
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.flatMap(typesOf);
  if (s.enum) return [...new Set(s.enum.map((v) => (typeof v === 'number' ? 'number' : typeof v) as JsonType))];
  return [];
}

function convert(value: string, types: readonly JsonType[]): unknown {
  if (types.length === 0 || types.includes('string')) return value;
  for (const t of types) {
    if (t === 'boolean') {
      const b = booleanOf(value);
      if (b !== undefined) return b;
    } else if (t === 'integer') {
      if (/^\s*[-+]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
    } else if (t === 'number') {
      if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    } else if (t === 'array') {
      return value.split(',');
    }
  }
  return value;
}

/** Convert the string options of `args` in place to the types `schema` declares for them. */
export function coerceToSchema(schema: JsonSchema, args: Record<string, unknown>): void {
  const props = schema.properties;
  if (!props) return;
  for (const [k, v] of Object.entries(args)) {
    if (typeof v !== 'string' || !(k in props)) continue;
    const c = convert(v, typesOf(props[k]));
    if (c !== v) args[k] = c;
  }
}
