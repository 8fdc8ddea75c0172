// Module docs' argument tables, generated from each module's schema (the one
// ajv validates), so the docs cannot drift from what tsplay accepts.
// `npm run schemas` rewrites the table between the markers in
// docs/modules/<module>.md; test/unit/engine/load/module-docs.test.ts fails
// when a table is stale.

import type { JsonSchema } from '../schema.js';
import type { ModuleDef } from '../module-api.js';

export const BEGIN = '<!-- BEGIN GENERATED arguments: npm run schemas -->';
export const END = '<!-- END GENERATED arguments -->';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(v: unknown): string {
  return '`' + (typeof v === 'string' ? v : JSON.stringify(v)) + '`';
}

/** A schema's type in a few words: "string", "list of string", "integer \| string". */
export function typeText(s: JsonSchema): string {
  if (s.enum) return 'choice';
  if (s.anyOf) return [...new Set(s.anyOf.map(typeText))].join(' | ');
  if (s.type === 'array') return s.items ? `list of ${typeText(s.items)}` : 'list';
  if (s.type === 'object') return 'mapping';
  if (Array.isArray(s.type)) return s.type.join(' | ');
  if (typeof s.type === 'string') return s.type;
  return 'any';
}

/** "yes", or a note when the requirement is conditional (anyOf/oneOf of required lists, if/then). */
function requiredText(schema: JsonSchema, name: string): string {
  if (schema.required?.includes(name)) return 'yes';
  for (const key of ['anyOf', 'oneOf'] as const) {
    const groups = schema[key]?.map((b) => b.required ?? []) ?? [];
    if (groups.some((g) => g.includes(name))) {
      const names = groups.flat();
      return `${key === 'oneOf' ? 'exactly one' : 'one'} of ${names.map((n) => code(n)).join(', ')}`;
    }
  }
  for (const rule of schema.allOf ?? []) {
    if (rule.then?.required?.includes(name) && rule.if?.properties) {
      const [[prop, cond]] = Object.entries(rule.if.properties);
      return `when ${prop} is ${(cond.enum ?? []).map((v) => code(v)).join(' or ')}`;
    }
  }
  for (const [prop, deps] of Object.entries(schema.dependencies ?? {})) {
    if (Array.isArray(deps) && deps.includes(name)) return `with ${code(prop)}`;
  }
  return '';
}

/** The Markdown table of a module's arguments. */
export function argumentTable(def: Pick<ModuleDef, 'schema' | 'freeForm'>): string {
  const schema: JsonSchema = def.schema;
  const rows = ['| name | type | required | default | choices | description |', '|---|---|---|---|---|---|'];
  for (const [name, p] of Object.entries(schema.properties ?? {})) {
    const desc = (p.description ?? '') + (def.freeForm === name ? ' (free form: the string given as the module\'s value)' : '');
    rows.push(`| ${[
      code(name),
      typeText(p),
      requiredText(schema, name),
      p.default === undefined ? '' : code(p.default),
      (p.enum ?? []).map((v) => code(v)).join(', '),
      desc,
    ].map(cell).join(' | ')} |`);
  }
  return rows.join('\n');
}

/**
 * The doc with its generated block replaced by the current table. A doc without
 * markers gets them in place of its first argument table (a table whose header
 * starts with "name" or "argument"), or after its first paragraph.
 */
export function updateDoc(doc: string, table: string): string {
  const block = `${BEGIN}\n${table}\n${END}`;
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  if (b !== -1 && e > b) return doc.slice(0, b) + block + doc.slice(e + END.length);
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => /^\|\s*`?(name|argument)\b/i.test(l));
  if (start !== -1) {
    let end = start;
    while (end < lines.length && lines[end].startsWith('|')) end++;
    return [...lines.slice(0, start), block, ...lines.slice(end)].join('\n');
  }
  const para = lines.findIndex((l, i) => i > 0 && l.trim() === '');
  const at = para === -1 ? lines.length : para;
  return [...lines.slice(0, at), '', '## Arguments', '', block, ...lines.slice(at)].join('\n');
}
