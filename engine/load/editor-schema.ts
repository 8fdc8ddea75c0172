// The published schemas are for editors and for ajv-cli (issue 13), so they
// accept what a playbook may hold before templates are rendered, and they are
// strict-mode clean. From the schemas tsplay validates with (which see values
// after rendering), this makes:
//   - a templated string ("{{ x }}", "{% ... %}") acceptable wherever a typed
//     value is: a boolean, a number, a list, a mapping, an enum, a patterned
//     string (`update_cache: '{{ upd }}'`);
//   - YAML 1.1's boolean words (yes/no/on/off/y/n in any case) acceptable as
//     booleans: an editor reading YAML 1.2 sees `become: yes` as a string;
//   - `type: [a, b]` an anyOf of one type each, with each type's own keywords
//     (ajv's strict mode refuses union types);
//   - `required` in a branch names its properties there (ajv's strictRequired);
//   - no `$id`: references are relative to the file (or `#/definitions/...` in
//     the bundled playbook schema), so nothing points at a host.
// Pure.

import type { JsonSchema } from '../schema.js';

export const TEMPLATE_STRING: JsonSchema = { type: 'string', pattern: '\\{\\{|\\{%', description: 'a template, rendered per host' };
const YAML11_BOOLEAN: JsonSchema = {
  type: 'string',
  enum: ['yes', 'no', 'Yes', 'No', 'YES', 'NO', 'on', 'off', 'On', 'Off', 'ON', 'OFF', 'y', 'n', 'Y', 'N', 'true', 'false', 'True', 'False', 'TRUE', 'FALSE'],
  description: 'a YAML 1.1 boolean, as Ansible reads it',
};

/** The keywords that apply to values of one JSON type (the rest of a union node's keywords go elsewhere). */
const TYPE_KEYWORDS: Record<string, string[]> = {
  string: ['pattern', 'minLength', 'maxLength', 'format', 'enum', 'const'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'enum', 'const'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'enum', 'const'],
  array: ['items', 'minItems', 'maxItems', 'uniqueItems', 'additionalItems', 'contains'],
  object: ['properties', 'required', 'additionalProperties', 'patternProperties', 'propertyNames', 'minProperties', 'maxProperties', 'dependencies'],
  boolean: ['enum', 'const'],
  null: [],
};
const ALL_TYPE_KEYWORDS = new Set(Object.values(TYPE_KEYWORDS).flat());

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

function mapChildren(n: Node, f: (c: unknown) => unknown): Node {
  const out: Node = { ...n };
  for (const k of ['properties', 'patternProperties', 'definitions']) {
    if (isNode(n[k])) out[k] = Object.fromEntries(Object.entries(n[k]).map(([p, c]) => [p, f(c)]));
  }
  for (const k of ['additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'additionalItems']) {
    if (isNode(n[k])) out[k] = f(n[k]);
  }
  if (isNode(n.items)) out.items = f(n.items);
  else if (Array.isArray(n.items)) out.items = n.items.map(f);
  for (const k of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(n[k])) out[k] = (n[k] as unknown[]).map(f);
  return out;
}

/** One type's part of a node: its type and the keywords for it. */
function typed(n: Node, t: string): Node {
  const out: Node = { type: t };
  for (const k of TYPE_KEYWORDS[t] ?? []) {
    if (n[k] === undefined) continue;
    // An enum of a union node keeps the values of this type.
    if (k === 'enum') {
      const vals = (n.enum as unknown[]).filter((v) => (t === 'integer' ? Number.isInteger(v) : typeof v === t));
      if (vals.length) out.enum = vals;
    } else {
      out[k] = n[k];
    }
  }
  return out;
}

/** The types a node says its value has (none: any). */
function typesOf(n: Node): string[] {
  return typeof n.type === 'string' ? [n.type] : Array.isArray(n.type) ? (n.type as string[]) : [];
}

/** A value here may be written as a template before rendering: a typed value other than a plain string. */
function wantsTemplate(n: Node, types: string[]): boolean {
  if (types.some((t) => t !== 'string' && t !== 'null')) return true;
  if (!types.length) return n.enum !== undefined || n.const !== undefined;
  return types.includes('string') && (n.enum !== undefined || n.pattern !== undefined || n.const !== undefined);
}

export function editorSchema(schema: JsonSchema): JsonSchema {
  const walk = (v: unknown): unknown => {
    if (!isNode(v)) return v;
    const n = mapChildren(v, walk);
    delete n.$id;
    // `required` in an anyOf branch names properties defined beside it: say so there (ajv's strictRequired).
    if (Array.isArray(n.required) && !isNode(n.properties)) n.properties = Object.fromEntries((n.required as string[]).map((r) => [r, {}]));
    const types = typesOf(n);
    const annotations: Node = {};
    for (const k of ['title', 'description', 'default', 'examples', 'deprecated']) if (n[k] !== undefined) annotations[k] = n[k];
    let core: Node;
    if (types.length > 1) {
      // The union as an anyOf; keywords of no type (anyOf, not, ...) stay beside it.
      const { anyOf: restAnyOf, ...rest } = Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'type' && !ALL_TYPE_KEYWORDS.has(k) && !(k in annotations)));
      core = { ...rest, anyOf: types.map((t) => typed(n, t)), ...(Array.isArray(restAnyOf) ? { allOf: [{ anyOf: restAnyOf }] } : {}) };
    } else {
      core = Object.fromEntries(Object.entries(n).filter(([k]) => !(k in annotations)));
    }
    if (!wantsTemplate(n, types)) return { ...annotations, ...core };
    const alternatives: JsonSchema[] = [core, TEMPLATE_STRING];
    if (types.includes('boolean')) alternatives.push(YAML11_BOOLEAN);
    return { ...annotations, anyOf: alternatives };
  };
  // The root itself (a playbook, a module's arguments) is never a template: only what is inside it.
  const root = isNode(schema) ? mapChildren(schema, walk) : schema;
  if (isNode(root)) delete root.$id;
  return root;
}
