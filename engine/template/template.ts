// Templating: handlebars over every string in task args, vars and play fields.
//
// How it works (docs/templating.md has the user's view):
//  1. A scanner walks the template's `{{ ... }}` tags. A tag written in Jinja
//     style (`x | default('y')`, `hostvars['ctl1'].uid`, `a.b[0]`, `x == 1`) is
//     parsed by the expression parser (engine/template/expression.ts) and replaced by a
//     placeholder tag; anything else stays handlebars.
//  2. Handlebars.parse builds the AST. We rewrite it so that every variable
//     lookup goes through one function (`_v`) that knows the path as written and
//     where it sits in the template, and every helper call goes through one
//     dispatcher (`_c`). That gives strictness everywhere (handlebars' own strict
//     mode does not check helper parameters), leniency exactly where wanted (the
//     first parameter of `default`, the parameter of `defined`), and errors
//     that name the variable with its line and column.
//  3. A template that is exactly one tag evaluates that tag to a raw value (a
//     list, a number, a mapping) without handlebars' runtime; anything else is
//     compiled once with Handlebars.compile and cached by source string.

import Handlebars from 'handlebars';
import { boundedRegex, RegexTimeLimitError } from './bounded-regex.js';
import {
  ExpressionError,
  FILTERS,
  FilterError,
  UndefinedVariableError,
  contains,
  evaluate,
  expressionVariables,
  getProp,
  parseExpression,
  pyEqual,
  toText,
  truthy,
  typeName,
  type Expr,
} from './expression.js';
import { ansibleConcatResult, compileJinja, hasComment, isJinjaStatementTemplate, jinjaVariables, renderJinja } from './jinja.js';
import { isUnsafe, noteUnsafeRead } from './unsafe.js';

export { TemplateError } from './template-error.js';
import { TemplateError } from './template-error.js';

// ---------------------------------------------------------------- helpers

type Helper = (...args: unknown[]) => unknown;

function compareHelper(op: string, test: (c: number) => boolean): Helper {
  return (a, b) => {
    const num = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
    const x = num(a);
    const y = num(b);
    if ((typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string')) {
      return test(x < y ? -1 : x > y ? 1 : 0);
    }
    throw new FilterError(`${op} cannot compare ${typeName(a)} with ${typeName(b)}`);
  };
}

/**
 * Helpers available in handlebars form (`{{join list ","}}`). Every filter of
 * the expression language is a helper with the value as first parameter.
 */
export const HELPERS: Record<string, Helper> = {
  ...(FILTERS as Record<string, Helper>),
  defined: (v) => v !== undefined,
  eq: (a, b) => pyEqual(a, b),
  ne: (a, b) => !pyEqual(a, b),
  lt: compareHelper('lt', (c) => c < 0),
  le: compareHelper('le', (c) => c <= 0),
  gt: compareHelper('gt', (c) => c > 0),
  ge: compareHelper('ge', (c) => c >= 0),
  and: (...xs) => xs.every(truthy),
  or: (...xs) => xs.some(truthy),
  not: (x) => !truthy(x),
  startsWith: (s, p) => toStr('startsWith', s).startsWith(toStr('startsWith', p)),
  endsWith: (s, p) => toStr('endsWith', s).endsWith(toStr('endsWith', p)),
  contains: (c, x) => contains(c, x),
  in: (x, c) => contains(c, x),
  match: (s, p) => {
    const text = toStr('match', s);
    let re: RegExp;
    try {
      re = new RegExp(toStr('match', p));
    } catch (e) {
      throw new FilterError(`invalid regular expression ${JSON.stringify(p)}: ${(e as Error).message}`);
    }
    try {
      return boundedRegex(re, () => re.test(text), `match regexp ${JSON.stringify(p)}`);
    } catch (e) {
      if (e instanceof RegexTimeLimitError) throw new FilterError(e.message);
      throw e;
    }
  },
  concat: (...xs) => xs.map(toText).join(''),
};
/** Helpers that need the call site (they read the root variables or name a path in errors). */
const SPECIAL = new Set(['lookup', 'hostvar']);
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
const CONTEXT_BLOCKS = new Set(['each', 'with']);
/** Helpers whose parameters may be undefined (by position; -1 = all). */
const LENIENT: Record<string, number> = { default: 0, d: 0, defined: -1 };

function toStr(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FilterError(`${name} expects a string, got ${typeName(v)}`);
}

// ---------------------------------------------------------------- compiled form

interface VarRef {
  kind: 'var';
  /** path as written, e.g. `hostvars.[ctl-1].nova_uid` */
  path: string;
  /** segments to walk from the head value */
  rest: string[];
  /** text naming the head in messages ('' when the head is the current context) */
  headName: string;
  lenient: boolean;
  /** the root variable name when the head is the root context */
  rootName?: string;
  offset: number;
}
interface CallRef {
  kind: 'call';
  name: string;
  fn?: Helper;
  /** under `default`: lookup/hostvar yield undefined instead of failing */
  lenient: boolean;
  offset: number;
}
interface JinjaRef {
  kind: 'jinja';
  expr: Expr;
  /** inside an each/with block the context is not the root */
  root: boolean;
  offset: number;
}
type Ref = VarRef | CallRef | JinjaRef;

interface Compiled {
  source: string;
  refs: Ref[];
  /** set when the template is exactly one tag: the value node to evaluate raw */
  lone?: hbs.AST.Expression;
  /** set when the template has no blocks: text and value nodes to concatenate */
  flat?: (string | hbs.AST.Expression)[];
  ast: hbs.AST.Program;
  render?: HandlebarsTemplateDelegate;
  variables: string[];
}

interface Replacement {
  modStart: number;
  modEnd: number;
  origStart: number;
  origEnd: number;
}

const env = Handlebars.create();
// Keep jison's error details (the token location) on parse errors.
(env as unknown as { Parser: { parseError: (s: string, h: unknown) => never } }).Parser.parseError = (
  str: string,
  hash: unknown,
) => {
  const e = new Error(str) as Error & { hash?: unknown };
  e.hash = hash;
  throw e;
};

function renderFail(c: Compiled, reason: string, offset?: number, variable?: string): never {
  throw new TemplateError(reason, c.source, offset, variable);
}

function walkVar(c: Compiled, ref: VarRef, head: unknown): unknown {
  let cur = head;
  let i = 0;
  for (; i < ref.rest.length; i++) {
    const seg = ref.rest[i];
    let next: unknown;
    if (Array.isArray(cur)) {
      next = /^-?\d+$/.test(seg) ? cur[Number(seg) < 0 ? cur.length + Number(seg) : Number(seg)] : undefined;
    } else if (cur !== null && typeof cur === 'object') {
      next = getProp(cur, seg);
    } else if (typeof cur === 'string' && /^\d+$/.test(seg)) {
      next = cur[Number(seg)];
    }
    if (next === undefined) {
      if (ref.lenient) return undefined;
      const parent = [ref.headName, ...ref.rest.slice(0, i)].filter(Boolean).join('.');
      let detail = '';
      if (parent) {
        detail =
          cur === null || cur === undefined
            ? ` ("${parent}" is none)`
            : typeof cur !== 'object'
              ? ` ("${parent}" is a ${typeName(cur)})`
              : ` (no "${seg}" in "${parent}")`;
      }
      return renderFail(c, `undefined variable "${ref.path}"${detail}`, ref.offset, ref.path);
    }
    cur = next;
  }
  return cur;
}

function runCall(c: Compiled, ref: CallRef, args: unknown[], root: unknown): unknown {
  try {
    if (ref.name === 'lookup') {
      // {{lookup obj "key" ...}}: strict, unlike handlebars' builtin
      let cur = args[0];
      for (const k of args.slice(1)) {
        const key = toText(k);
        const v = cur !== null && typeof cur === 'object' ? getProp(cur, key) : undefined;
        if (v === undefined && ref.lenient) return undefined;
        if (v === undefined) renderFail(c, `lookup: no key ${JSON.stringify(key)} in ${typeName(cur)}`, ref.offset, key);
        cur = v;
      }
      return cur;
    }
    if (ref.name === 'hostvar') {
      const [host, name] = args.map(toText);
      const hostvars = root !== null && typeof root === 'object' ? getProp(root, 'hostvars') : undefined;
      const hv = hostvars && typeof hostvars === 'object' ? getProp(hostvars, host) : undefined;
      const v = hv && typeof hv === 'object' ? getProp(hv, name) : undefined;
      if (v === undefined && ref.lenient) return undefined;
      if (v === undefined) {
        const path = `hostvars.${host}.${name}`;
        const why = hv === undefined ? ` (no host "${host}" in hostvars)` : '';
        renderFail(c, `undefined variable "${path}"${why}`, ref.offset, path);
      }
      return v;
    }
    return ref.fn!(...args);
  } catch (e) {
    if (e instanceof FilterError) renderFail(c, `${ref.name}: ${e.message}`, ref.offset);
    throw e;
  }
}

function runJinja(c: Compiled, ref: JinjaRef, ctx: unknown, root: unknown): unknown {
  // Inside {{#each}}/{{#with}} names resolve against the item, and `this` is the item itself.
  const scope: Record<string, unknown> = ref.root
    ? (root as Record<string, unknown>)
    : Object.assign(Object.create(ctx !== null && typeof ctx === 'object' ? ctx : null) as Record<string, unknown>, { this: ctx });
  try {
    return evaluate(ref.expr, scope);
  } catch (e) {
    if (e instanceof UndefinedVariableError) renderFail(c, e.reason, e.offset, e.variable);
    if (e instanceof ExpressionError) renderFail(c, e.reason, e.offset);
    throw e;
  }
}

interface HbsOptions {
  data: { root: unknown; tsplay: Compiled };
}
function compiledOf(options: HbsOptions): Compiled {
  return options.data.tsplay;
}

// Internal helpers the rewritten AST calls. Names start with "_" and cannot be
// written by users (the rewrite rejects helper names it does not know).
env.registerHelper('_v', function (head: unknown, n: number, options: HbsOptions) {
  const c = compiledOf(options);
  return walkVar(c, c.refs[n] as VarRef, head);
});
env.registerHelper('_c', function (n: number, ...rest: unknown[]) {
  const options = rest.pop() as HbsOptions;
  const c = compiledOf(options);
  return runCall(c, c.refs[n] as CallRef, rest, options.data.root);
});
env.registerHelper('_j', function (this: unknown, ctx: unknown, n: number, options: HbsOptions) {
  const c = compiledOf(options);
  return toText(runJinja(c, c.refs[n] as JinjaRef, ctx, options.data.root));
});
env.registerHelper('_o', (v: unknown) => toText(v));

const KNOWN_HELPERS: Record<string, boolean> = { _v: true, _c: true, _j: true, _o: true };
for (const b of BLOCK_HELPERS) KNOWN_HELPERS[b] = true;

// ---------------------------------------------------------------- scanning

/** Does a tag's content use Jinja syntax (filters, [] after a name, calls, comparisons, keywords)? */
function looksJinja(inner: string): boolean {
  // Jinja-only forms at the start: literals (`'a' ~ b`, `1 + x`, `none`, `[1, 2]`, `{'k': v}`), `(a + b)`, `-x`
  const t = inner.trim();
  if (/^(none|None|True|False)$/.test(t) || /^['"\d({-]/.test(t) || /^\[\s*(['"\d[\]{-]|[^\]]*,)/.test(t)) return true;
  let prev = '';
  let firstWord = true;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '"' || ch === "'") {
      const close = inner.indexOf(ch, i + 1);
      if (close < 0) return false;
      i = close;
      prev = ch;
      firstWord = false;
      continue;
    }
    const isIdent = /[A-Za-z0-9_]/.test(prev);
    if (ch === '|') return true;
    if (ch === '[') {
      if (isIdent || prev === ']' || prev === ')') return true;
      // handlebars segment literal: .[ctl-1] or [name]
      const close = inner.indexOf(']', i + 1);
      if (close < 0) return false;
      i = close;
      prev = ']';
      continue;
    }
    if (ch === '(' && isIdent) return true;
    // `item.0` (a list index written as an attribute, as loops over with_together/subelements use it)
    if (ch === '.' && (isIdent || prev === ']') && /[0-9]/.test(inner[i + 1] ?? '')) return true;
    if ((ch === '=' && inner[i + 1] === '=') || (ch === '!' && inner[i + 1] === '=') || ch === '<' || ch === '>') return true;
    // arithmetic and `~` concatenation (`../x` is a handlebars path, `a-b` a handlebars name)
    if (ch === '+' || ch === '*' || ch === '%' || (ch === '~' && !firstWord)) return true;
    if (ch === '/' && prev !== '.' && prev !== '') return true;
    if (ch === '-' && prev === ' ' && /[\s\d(]/.test(inner[i + 1] ?? '')) return true;
    if (/[A-Za-z_]/.test(ch) && !/[A-Za-z0-9_.\-/@]/.test(prev)) {
      let j = i;
      while (j < inner.length && /[A-Za-z0-9_]/.test(inner[j])) j++;
      const word = inner.slice(i, j);
      const after = inner[j] ?? ' ';
      if (!firstWord && prev !== '(' && /^(and|or|in|is|if|not)$/.test(word) && /[\s(]/.test(after) && /\s/.test(prev)) {
        return true;
      }
      firstWord = false;
      i = j - 1;
      prev = inner[i];
      continue;
    }
    if (!/\s/.test(ch)) firstWord = firstWord && ch === '~';
    prev = /\s/.test(ch) ? ' ' : ch;
  }
  return false;
}

/** Index of the `}}` closing a tag whose content starts at `from`, skipping quoted strings. */
function findClose(s: string, from: number, close: string): number {
  // as Jinja's lexer: `}}` inside open brackets (`{'a': {'b': 1}}`) does not end the tag
  // (an unbalanced bracket falls back to the first `}}`, so the parser names the bracket)
  let depth = 0;
  let first = -1;
  for (let i = from; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' || ch === "'") {
      const j = s.indexOf(ch, i + 1);
      if (j < 0) return first >= 0 ? first : s.indexOf(close, from);
      i = j;
      continue;
    }
    if (s.startsWith(close, i)) {
      if (depth === 0) return i;
      if (first < 0) first = i;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    else if ((ch === '}' || ch === ']' || ch === ')') && depth > 0) depth--;
  }
  return first;
}

interface Scanned {
  text: string;
  replacements: Replacement[];
  jinja: { expr: Expr; origStart: number }[];
}

function scan(template: string, literalBackslashes: boolean): Scanned {
  let out = '';
  let last = 0;
  const replacements: Replacement[] = [];
  const jinja: { expr: Expr; origStart: number }[] = [];
  let i = template.indexOf('{{');
  while (i >= 0) {
    if (template[i - 1] === '\\') {
      i = template.indexOf('{{', i + 2);
      continue;
    }
    let end: number;
    if (template.startsWith('{{!--', i) || template.startsWith('{{~!--', i)) {
      const j = template.indexOf('--', i + 5);
      end = j < 0 ? -1 : template.indexOf('}}', j) + 2;
    } else if (template.startsWith('{{{', i)) {
      const j = template.indexOf('}}}', i + 3);
      end = j < 0 ? -1 : j + 3;
    } else {
      let from = i + 2;
      if (template[from] === '~') from++;
      const close = findClose(template, from, '}}');
      if (close < 0) {
        throw new TemplateError('unclosed "{{" (no matching "}}")', template, i);
      } else {
        end = close + 2;
        let to = close;
        if (template[to - 1] === '~' && to - 1 >= from) to--;
        const inner = template.slice(from, to);
        const first = inner.trimStart()[0];
        // `{{ {'k': v} }}` is a Jinja mapping; `{{{` was taken above
        const structural = first === undefined || '#/^!>&'.includes(first) || (first === '{' && inner[0] === '{') || /^\s*else\b/.test(inner);
        if (!structural && looksJinja(inner)) {
          let expr: Expr;
          try {
            // playbook text: backslashes in string literals stay as written, as Ansible's Templar keeps them;
            // a template file's are escapes (expression.ts, tokenize)
            expr = parseExpression(template, from, to, { literalBackslashes });
          } catch (e) {
            if (e instanceof ExpressionError) throw new TemplateError(e.reason, template, e.offset);
            throw e;
          }
          const placeholder =
            '{{' + (from > i + 2 ? '~' : '') + `_j this ${jinja.length}` + (to < close ? '~' : '') + '}}';
          out += template.slice(last, i);
          replacements.push({ modStart: out.length, modEnd: out.length + placeholder.length, origStart: i, origEnd: end });
          out += placeholder;
          last = end;
          jinja.push({ expr, origStart: from });
        }
      }
    }
    if (end < 0) break; // unterminated: handlebars reports it
    i = template.indexOf('{{', end);
  }
  out += template.slice(last);
  return { text: out, replacements, jinja };
}

// ---------------------------------------------------------------- AST rewrite

type AstNode = hbs.AST.Node & { loc: hbs.AST.SourceLocation };

class Rewriter {
  private readonly lineStarts: number[];
  constructor(
    private readonly c: Compiled,
    private readonly scanned: Scanned,
    private readonly vars: Set<string>,
  ) {
    this.lineStarts = [0];
    const t = scanned.text;
    for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** Offset in the original template of a handlebars (line, column) position in the scanned text. */
  origOffset(line: number, column: number): number {
    const mod = (this.lineStarts[line - 1] ?? 0) + column;
    let delta = 0;
    for (const r of this.scanned.replacements) {
      if (mod < r.modStart) break;
      if (mod < r.modEnd) return r.origStart + Math.min(mod - r.modStart, r.origEnd - r.origStart - 1);
      delta += r.origEnd - r.origStart - (r.modEnd - r.modStart);
    }
    return mod + delta;
  }
  private at(node: { loc?: hbs.AST.SourceLocation }): number {
    return node.loc ? this.origOffset(node.loc.start.line, node.loc.start.column) : 0;
  }
  /** The node's text in the original template (handlebars normalises `original`). */
  private textOf(node: { loc?: hbs.AST.SourceLocation }, fallback: string): string {
    if (!node.loc) return fallback;
    const from = this.at(node);
    const to = this.origOffset(node.loc.end.line, node.loc.end.column);
    return to > from ? this.c.source.slice(from, to) : fallback;
  }
  private fail(node: { loc?: hbs.AST.SourceLocation }, reason: string): never {
    throw new TemplateError(reason, this.c.source, this.at(node));
  }
  private ref(r: Ref): hbs.AST.NumberLiteral {
    this.c.refs.push(r);
    return { type: 'NumberLiteral', value: this.c.refs.length - 1, original: this.c.refs.length - 1, loc: undefined as never };
  }
  private helperPath(name: string, loc: hbs.AST.SourceLocation): hbs.AST.PathExpression {
    return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc };
  }
  private sub(name: string, params: hbs.AST.Expression[], loc: hbs.AST.SourceLocation): hbs.AST.SubExpression {
    return { type: 'SubExpression', path: this.helperPath(name, loc), params, hash: undefined as never, loc };
  }

  /**
   * The rewrite of a variable path in value position.
   * blockParams: names bound by enclosing `as |x|`; ctxDepth: enclosing each/with blocks.
   */
  private variable(p: hbs.AST.PathExpression, lenient: boolean, scope: Scope): hbs.AST.Expression {
    const parts = p.parts;
    if (parts.length === 0) return p; // this, ..
    const loc = p.loc;
    let head: hbs.AST.PathExpression;
    let rest: string[];
    let headName = '';
    let rootName: string | undefined;
    if (p.data) {
      if (parts[0] !== 'root' || parts.length === 1) return p; // @index, @key, @first, @root
      head = { type: 'PathExpression', data: true, depth: 0, parts: ['root'], original: '@root', loc };
      rest = parts.slice(1);
      headName = '@root';
      rootName = rest[0];
    } else if (p.depth === 0 && !/^(this\b|\.)/.test(p.original) && scope.blockParams.has(parts[0])) {
      if (parts.length === 1) return p;
      head = { type: 'PathExpression', data: false, depth: 0, parts: [parts[0]], original: parts[0], loc };
      rest = parts.slice(1);
      headName = parts[0];
    } else {
      const original = p.depth > 0 ? '..' : 'this';
      head = { type: 'PathExpression', data: false, depth: p.depth, parts: [], original, loc };
      rest = parts;
      if (p.depth === scope.ctxDepth) rootName = parts[0];
    }
    if (rootName !== undefined && !lenient) this.vars.add(rootName);
    const n = this.ref({ kind: 'var', path: this.textOf(p, p.original), rest, headName, lenient, rootName, offset: this.at(p) });
    return this.sub('_v', [head, n], loc);
  }

  private value(e: hbs.AST.Expression, lenient: boolean, scope: Scope): hbs.AST.Expression {
    if (e.type === 'PathExpression') return this.variable(e as hbs.AST.PathExpression, lenient, scope);
    if (e.type === 'SubExpression') {
      const s = e as hbs.AST.SubExpression;
      return this.call(s.path, s.params, s.hash, s, scope, lenient);
    }
    return e; // literals
  }

  private helperName(path: hbs.AST.Expression): string | undefined {
    if (path.type !== 'PathExpression') return undefined;
    const p = path as hbs.AST.PathExpression;
    return p.parts.length === 1 && !p.data && p.depth === 0 && p.original === p.parts[0] ? p.parts[0] : undefined;
  }
  private isHelper(name: string | undefined): boolean {
    return name !== undefined && (Object.hasOwn(HELPERS, name) || SPECIAL.has(name));
  }

  /** A helper call in value position, rewritten to (_c n params...). */
  private call(
    path: hbs.AST.Expression,
    params: hbs.AST.Expression[],
    hash: hbs.AST.Hash | undefined,
    node: AstNode | hbs.AST.SubExpression,
    scope: Scope,
    lenient = false,
  ): hbs.AST.Expression {
    const name = this.helperName(path);
    if (!this.isHelper(name)) {
      const shown = path.type === 'PathExpression' ? (path as hbs.AST.PathExpression).original : String((path as hbs.AST.StringLiteral).value);
      if (name !== undefined && name.startsWith('_')) this.fail(path, `unknown helper "${shown}"`);
      this.fail(
        path,
        params.length
          ? `unknown helper "${shown}" (a tag with spaces is a helper call; helpers: ${Object.keys(HELPERS).concat([...SPECIAL]).join(', ')})`
          : `unknown helper "${shown}"`,
      );
    }
    if (hash && hash.pairs.length) this.fail(hash, `helper "${name}" takes no named arguments`);
    const lenientAt = Object.hasOwn(LENIENT, name!) ? LENIENT[name!] : undefined;
    const args = params.map((p, i) => this.value(p, lenientAt === -1 || lenientAt === i, scope));
    const n = this.ref({ kind: 'call', name: name!, fn: HELPERS[name!], lenient, offset: this.at(path) });
    return this.sub('_c', [n, ...args], node.loc);
  }

  /** The value expression a mustache outputs. */
  private mustacheValue(m: hbs.AST.MustacheStatement, scope: Scope): hbs.AST.Expression {
    const hasArgs = m.params.length > 0 || (m.hash && m.hash.pairs.length > 0);
    const name = this.helperName(m.path);
    if (m.path.type !== 'PathExpression') {
      if (hasArgs) this.fail(m.path, 'a literal cannot be called as a helper');
      return m.path; // {{"text"}}, {{1}}
    }
    if (hasArgs || (this.isHelper(name) && !scope.blockParams.has(name!))) {
      return this.call(m.path, m.params, m.hash, m, scope);
    }
    return this.variable(m.path as hbs.AST.PathExpression, false, scope);
  }

  program(prog: hbs.AST.Program, scope: Scope): void {
    for (const stmt of prog.body) this.statement(stmt, scope);
  }

  private statement(stmt: hbs.AST.Statement, scope: Scope): void {
    switch (stmt.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const m = stmt as hbs.AST.MustacheStatement;
        const name = this.helperName(m.path);
        if (name === '_j') {
          const mod = (this.lineStarts[m.loc.start.line - 1] ?? 0) + m.loc.start.column;
          if (!this.scanned.replacements.some((r) => r.modStart === mod)) this.fail(m.path, 'unknown helper "_j"');
          const idx = (m.params[1] as hbs.AST.NumberLiteral).value;
          const j = this.scanned.jinja[idx];
          if (scope.ctxDepth === 0) expressionVariables(j.expr, this.vars);
          const n = this.ref({ kind: 'jinja', expr: j.expr, root: scope.ctxDepth === 0, offset: j.origStart });
          m.params[1] = n;
          return;
        }
        const v = this.mustacheValue(m, scope);
        m.path = this.helperPath('_o', m.loc);
        m.params = [v];
        m.hash = undefined as never;
        return;
      }
      case 'BlockStatement': {
        const b = stmt as hbs.AST.BlockStatement;
        const name = this.helperName(b.path);
        if (!name || !BLOCK_HELPERS.has(name)) {
          const shown = (b.path).original ?? '?';
          this.fail(
            b.path,
            `"{{#${shown}}}" is not a block helper: use {{#if ${shown}}}, {{#unless}}, {{#each ${shown}}} or {{#with ${shown}}}`,
          );
        }
        if (b.hash && b.hash.pairs.length) this.fail(b.hash, `block helper "${name}" takes no named arguments`);
        if (b.params.length !== 1) this.fail(b.path, `{{#${name}}} takes exactly one parameter`);
        b.params = b.params.map((p) => this.value(p, false, scope));
        const changes = CONTEXT_BLOCKS.has(name);
        const inner: Scope = {
          blockParams: new Set([...scope.blockParams, ...(b.program?.blockParams ?? [])]),
          ctxDepth: scope.ctxDepth + (changes ? 1 : 0),
        };
        if (b.program) this.program(b.program, inner);
        if (b.inverse) this.program(b.inverse, scope);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        return this.fail(stmt, 'partials ({{> name}}) are not supported');
      default:
        return this.fail(stmt, `unsupported template construct ${stmt.type}`);
    }
  }
}

interface Scope {
  blockParams: Set<string>;
  ctxDepth: number;
}

/** What handlebars' parser attaches to a syntax error (its jison `hash`). */
interface HandlebarsParseHash {
  loc?: { first_line?: number; first_column?: number };
  token?: string;
  text?: string;
}

function parseError(template: string, scanned: Scanned, e: Error & { hash?: HandlebarsParseHash; lineNumber?: number; column?: number }): TemplateError {
  const rw = new Rewriter({ source: template, refs: [], ast: undefined as never, variables: [] }, scanned, new Set());
  let offset: number | undefined;
  let reason = e.message.split('\n')[0].replace(/ - \d+:\d+$/, '');
  const loc = e.hash?.loc;
  if (e.hash && loc && typeof loc.first_line === 'number') {
    offset = rw.origOffset(loc.first_line, loc.first_column ?? 0);
    const got = e.hash.token === 'EOF' ? 'end of template' : JSON.stringify(e.hash.text ?? e.hash.token);
    reason = `template syntax error: unexpected ${got}`;
    if (e.hash.token === 'EOF') {
      offset = template.length;
      reason = 'template syntax error: unexpected end of template (an unclosed {{ or {{#block}}?)';
    }
  } else if (typeof e.lineNumber === 'number') {
    offset = rw.origOffset(e.lineNumber, e.column ?? 0);
    reason = `template syntax error: ${reason}`;
  } else {
    reason = `template syntax error: ${reason}`;
  }
  return new TemplateError(reason, template, offset);
}

const CACHE = new Map<string, Compiled>();
const CACHE_MAX = 20_000;

function compileTemplate(template: string, templateFile = false): Compiled {
  const key = templateFile ? `\0file\0${template}` : template;
  let c = CACHE.get(key);
  if (c) return c;
  const scanned = scan(template, !templateFile);
  let ast: hbs.AST.Program;
  try {
    ast = env.parseWithoutProcessing(scanned.text);
  } catch (e) {
    throw parseError(template, scanned, e as Error);
  }
  c = { source: template, refs: [], ast, variables: [] };
  const vars = new Set<string>();
  new Rewriter(c, scanned, vars).program(ast, { blockParams: new Set(), ctxDepth: 0 });
  c.variables = [...vars];
  if (ast.body.length === 1 && ast.body[0].type === 'MustacheStatement') {
    c.lone = loneValue(ast.body[0] as hbs.AST.MustacheStatement);
  }
  else if (ast.body.every((st) => st.type === 'ContentStatement' || st.type === 'MustacheStatement' || st.type === 'CommentStatement')) {
    // No blocks: concatenate ourselves (several times faster than the handlebars
    // runtime). env.parse on a Program applies whitespace control (`{{~x~}}`) only.
    env.parse(ast as never);
    c.flat = [];
    for (const st of ast.body) {
      if (st.type === 'ContentStatement') c.flat.push((st as hbs.AST.ContentStatement).value);
      else if (st.type === 'MustacheStatement') c.flat.push(loneValue(st as hbs.AST.MustacheStatement));
    }
  }
  if (CACHE.size >= CACHE_MAX) CACHE.clear();
  CACHE.set(key, c);
  return c;
}

/** The value node of a rewritten tag, for evaluation without the handlebars runtime. */
function loneValue(m: hbs.AST.MustacheStatement): hbs.AST.Expression {
  if ((m.path as hbs.AST.PathExpression).original === '_j') {
    // a Jinja tag is evaluated by the expression evaluator: mark it with a node type of our own
    return { type: 'JinjaLone', n: (m.params[1] as hbs.AST.NumberLiteral).value } as never;
  }
  return m.params[0];
}

/** Evaluate a rewritten value node at the top level (the lone-tag case). */
function evalNode(c: Compiled, node: hbs.AST.Expression, vars: Record<string, unknown>): unknown {
  switch (node.type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral':
      return (node as hbs.AST.StringLiteral).value;
    case 'NullLiteral':
      return null;
    case 'UndefinedLiteral':
      return undefined;
    case 'JinjaLone':
      return runJinja(c, c.refs[(node as unknown as { n: number }).n] as JinjaRef, vars, vars);
    case 'PathExpression': {
      const p = node as hbs.AST.PathExpression;
      if (p.parts.length === 0 || (p.data && p.parts[0] === 'root' && p.parts.length === 1)) return vars;
      return undefined; // @index and the like outside a block
    }
    case 'SubExpression': {
      const s = node as hbs.AST.SubExpression;
      const name = (s.path).original;
      const n = (s.params[0] as hbs.AST.NumberLiteral).value;
      if (name === '_v') {
        return walkVar(c, c.refs[(s.params[1] as hbs.AST.NumberLiteral).value] as VarRef, evalNode(c, s.params[0], vars));
      }
      const args = s.params.slice(1).map((p) => evalNode(c, p, vars));
      return runCall(c, c.refs[n] as CallRef, args, vars);
    }
    default:
      throw new TemplateError(`unsupported template construct ${node.type}`, c.source);
  }
}

// ---------------------------------------------------------------- API

/** Does the string contain a template tag? Strings without one are used as they are. */
export function isTemplated(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || hasComment(s);
}

/**
 * Render a template. A template that is exactly one tag (`"{{ packages }}"`)
 * yields the value itself (a list, a number, a mapping, a boolean); anything
 * else renders to a string. Undefined variables throw TemplateError.
 */
export function renderString(template: string, vars: Record<string, unknown>, opts: { templateFile?: boolean } = {}): unknown {
  if (!isTemplated(template)) return template;
  // Statements, comments or `{{- -}}`: the Jinja renderer (engine/template/jinja.ts).
  if (isJinjaStatementTemplate(template)) return ansibleConcatResult(renderJinja(template, vars));
  const c = compileTemplate(template, opts.templateFile);
  if (c.lone) return evalNode(c, c.lone, vars);
  if (c.flat) {
    let out = '';
    for (const part of c.flat) out += typeof part === 'string' ? part : toText(evalNode(c, part, vars));
    return out;
  }
  if (!c.render) {
    try {
      c.render = env.compile(c.ast, {
        strict: true,
        noEscape: true,
        knownHelpers: KNOWN_HELPERS,
        knownHelpersOnly: true,
      });
    } catch (e) {
      throw new TemplateError(`template error: ${(e as Error).message}`, template);
    }
  }
  try {
    return c.render(vars, { data: { root: vars, tsplay: c } });
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    throw new TemplateError(`template error: ${(e as Error).message.replace(/ - \d+:\d+$/, '')}`, template);
  }
}

/**
 * Render every string inside arrays and plain objects; mapping keys are left as
 * they are. An Unsafe value (`!unsafe`, host data) is returned verbatim.
 */
export function renderDeep<T>(value: T, vars: Record<string, unknown>): T {
  if (typeof value === 'string') return renderString(value, vars) as T;
  if (isUnsafe(value)) {
    noteUnsafeRead();
    return value.value as T;
  }
  if (Array.isArray(value)) return (value as unknown[]).map((v) => renderDeep(v, vars)) as T;
  if (value !== null && typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, vars);
    return out as T;
  }
  return value;
}

/** Syntax check without variables (for `tsplay validate`). Throws TemplateError with line and column. */
export function checkTemplate(template: string): void {
  if (!isTemplated(template)) return;
  if (isJinjaStatementTemplate(template)) compileJinja(template);
  else compileTemplate(template);
}

/**
 * Root variable names a template needs defined: paths read from the root
 * context outside `default`/`defined` (a variable inside `{{#each}}` refers to
 * the item and is not listed).
 */
export function templateVariables(template: string): string[] {
  if (!isTemplated(template)) return [];
  if (isJinjaStatementTemplate(template)) return jinjaVariables(template);
  return [...compileTemplate(template).variables];
}
