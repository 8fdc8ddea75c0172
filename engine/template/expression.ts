// Conditions (`when`, `changed_when`, `failed_when`, `until`, `assert: that:`)
// and the Jinja-style expressions accepted inside templates.
//
// A hand-written tokenizer and a precedence-climbing parser build a small AST;
// an evaluator walks it. Nothing here uses eval or new Function. Precedence,
// lowest first: `or` < `and` < `not` < comparisons (== != < <= > >= in, not in,
// is [not] test) < filter `|` < postfix access (`.name`, `[index]`).
// docs/templating.md describes the language for playbook authors.

import { boundedRegex, RegexTimeLimitError } from './bounded-regex.js';

export class ExpressionError extends Error {
  /** 1-based column of the offending token in `source` (a line-wise column when source spans lines). */
  column: number;
  /** 0-based offset in `source`. */
  offset: number;
  source: string;
  /** The bare message, without the source/caret excerpt. */
  reason: string;
  constructor(reason: string, source: string, offset: number) {
    const { line, column } = lineColumn(source, offset);
    const lines = source.split('\n');
    const text = lines[line - 1] ?? '';
    const where = lines.length > 1 ? ` (line ${line}, column ${column})` : ` (column ${column})`;
    super(`${reason}${where}\n  ${text}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
    this.name = 'ExpressionError';
    this.reason = reason;
    this.source = source;
    this.offset = offset;
    this.column = column;
  }
}

/** An undefined variable was used where a value is required. */
export class UndefinedVariableError extends ExpressionError {
  /** The path as written, e.g. `hostvars.ctl1.nova_uid` or `r.results[0]`. */
  variable: string;
  constructor(variable: string, detail: string, source: string, offset: number) {
    super(`undefined variable "${variable}"${detail}`, source, offset);
    this.name = 'UndefinedVariableError';
    this.variable = variable;
  }
}

export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

// ---------------------------------------------------------------- AST

interface Node {
  /** 0-based offsets into `source`. */
  start: number;
  end: number;
  source: string;
}
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';
export type Expr =
  | (Node & { kind: 'literal'; value: unknown })
  | (Node & { kind: 'name'; name: string })
  | (Node & { kind: 'attr'; object: Expr; name: string })
  | (Node & { kind: 'index'; object: Expr; index: Expr })
  | (Node & { kind: 'list'; items: Expr[] })
  | (Node & { kind: 'dict'; entries: [Expr, Expr][] })
  | (Node & { kind: 'not'; operand: Expr })
  | (Node & { kind: 'neg'; operand: Expr })
  | (Node & { kind: 'and' | 'or'; left: Expr; right: Expr })
  | (Node & { kind: 'compare'; op: CompareOp; left: Expr; right: Expr })
  | (Node & { kind: 'test'; operand: Expr; test: string; args: Expr[]; negated: boolean })
  | (Node & { kind: 'filter'; operand: Expr; name: string; args: Expr[] })
  | (Node & { kind: 'call'; callee: Expr; args: Expr[]; kwargs: [string, Expr][] });

/**
 * A value that can be called in an expression (`m(1, b=2)`): a Jinja macro,
 * `loop.cycle`, `range`. Positional arguments, then keyword arguments.
 */
export type Callable = (args: unknown[], kwargs: Record<string, unknown>) => unknown;

// ---------------------------------------------------------------- tokenizer

type TokKind = 'num' | 'str' | 'name' | 'op' | 'eof';
interface Token {
  kind: TokKind;
  /** for 'name'/'op': the text; for 'str': the decoded value; for 'num': the number. */
  value: string | number;
  start: number;
  end: number;
}

const OPS2 = new Set(['==', '!=', '<=', '>=']);
const OPS1 = new Set(['<', '>', '(', ')', '[', ']', '{', '}', ',', '.', '|', ':', '-', '+', '~']);
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"', '/': '/' };

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function tokenize(source: string, from: number, to: number): Token[] {
  const toks: Token[] = [];
  let i = from;
  while (i < to) {
    const c = source[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      while (i < to && (isIdentStart(source[i]) || isDigit(source[i]))) i++;
      toks.push({ kind: 'name', value: source.slice(start, i), start, end: i });
    } else if (isDigit(c)) {
      while (i < to && (isDigit(source[i]) || source[i] === '_')) i++;
      if (source[i] === '.' && isDigit(source[i + 1] ?? '')) {
        i++;
        while (i < to && isDigit(source[i])) i++;
      }
      if ((source[i] === 'e' || source[i] === 'E') && /[0-9+-]/.test(source[i + 1] ?? '')) {
        i += 2;
        while (i < to && isDigit(source[i])) i++;
      }
      toks.push({ kind: 'num', value: Number(source.slice(start, i).replace(/_/g, '')), start, end: i });
    } else if (c === "'" || c === '"') {
      i++;
      let out = '';
      for (;;) {
        if (i >= to) throw new ExpressionError('unterminated string', source, start);
        const ch = source[i];
        if (ch === c) {
          i++;
          break;
        }
        if (ch === '\\') {
          const nx = source[i + 1];
          if (nx === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
            out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          if (nx !== undefined && Object.hasOwn(ESCAPES, nx)) {
            out += ESCAPES[nx];
            i += 2;
            continue;
          }
          out += ch; // unknown escape: keep the backslash, as Python does
          i++;
          continue;
        }
        out += ch;
        i++;
      }
      toks.push({ kind: 'str', value: out, start, end: i });
    } else if (OPS2.has(source.slice(i, i + 2))) {
      toks.push({ kind: 'op', value: source.slice(i, i + 2), start, end: i + 2 });
      i += 2;
    } else if (OPS1.has(c)) {
      toks.push({ kind: 'op', value: c, start, end: i + 1 });
      i++;
    } else if (c === '=') {
      toks.push({ kind: 'op', value: c, start, end: i + 1 });
      i++;
    } else if (c === '&' || c === '!') {
      const hint = c === '&' ? 'use "and"' : 'use "not" or "!="';
      throw new ExpressionError(`unexpected "${c}": ${hint}`, source, start);
    } else {
      throw new ExpressionError(`unexpected character ${JSON.stringify(c)}`, source, start);
    }
  }
  toks.push({ kind: 'eof', value: '', start: to, end: to });
  return toks;
}

// ---------------------------------------------------------------- parser

const KEYWORD_LITERALS: Record<string, unknown> = {
  true: true,
  True: true,
  false: false,
  False: false,
  none: null,
  None: null,
  null: null,
};
const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private pos = 0;
  constructor(
    private readonly source: string,
    private readonly toks: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.toks[Math.min(this.pos + offset, this.toks.length - 1)];
  }
  private next(): Token {
    return this.toks[this.pos++];
  }
  private isOp(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.value === v;
  }
  private isName(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'name' && t.value === v;
  }
  private fail(message: string, tok: Token = this.peek()): never {
    throw new ExpressionError(message, this.source, tok.start);
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of expression';
    return JSON.stringify(this.source.slice(t.start, t.end));
  }
  private expectOp(v: string, what: string): Token {
    if (!this.isOp(v)) this.fail(`expected "${v}" ${what}, found ${this.describe(this.peek())}`);
    return this.next();
  }
  private node<K extends Expr['kind']>(kind: K, start: number, end: number, rest: object): Expr {
    return { kind, start, end, source: this.source, ...rest } as Expr;
  }

  parseTop(): Expr {
    if (this.peek().kind === 'eof') this.fail('empty expression');
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      if (t.kind === 'op' && t.value === '=') this.fail('unexpected "=": comparison is written "=="', t);
      if (t.kind === 'name' && t.value === 'if') {
        this.fail(`inline "if ... else" is not supported; write cond | ternary(value_if_true, value_if_false)`, t);
      }
      this.fail(`unexpected ${this.describe(t)} after a complete expression`, t);
    }
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      this.next();
      const right = this.parseAnd();
      left = this.node('or', left.start, right.end, { left, right });
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      this.next();
      const right = this.parseNot();
      left = this.node('and', left.start, right.end, { left, right });
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      const t = this.next();
      const operand = this.parseNot();
      return this.node('not', t.start, operand.end, { operand });
    }
    return this.parseComparison();
  }

  private parseComparison(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && COMPARE.has(t.value as string)) {
        this.next();
        const right = this.parseUnary();
        left = this.node('compare', left.start, right.end, { op: t.value, left, right });
      } else if (this.isName('in')) {
        this.next();
        const right = this.parseUnary();
        left = this.node('compare', left.start, right.end, { op: 'in', left, right });
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.next();
        this.next();
        const right = this.parseUnary();
        left = this.node('compare', left.start, right.end, { op: 'not in', left, right });
      } else if (this.isName('is')) {
        this.next();
        let negated = false;
        if (this.isName('not')) {
          this.next();
          negated = true;
        }
        const nt = this.peek();
        if (nt.kind !== 'name') {
          this.fail(`expected a test name after "is", found ${this.describe(nt)}`);
        }
        this.next();
        const test = String(nt.value);
        if (!Object.hasOwn(TESTS, test)) this.fail(`unknown test "${test}" (known: ${Object.keys(TESTS).join(', ')})`, nt);
        let end = nt.end;
        let args: Expr[] = [];
        if (this.isOp('(')) {
          const r = this.parseArgs('test arguments');
          args = r.args;
          end = r.end;
        }
        left = this.node('test', left.start, end, { operand: left, test, args, negated });
      } else {
        return left;
      }
    }
  }

  private parseUnary(): Expr {
    if (this.isOp('-')) {
      const t = this.next();
      const operand = this.parseUnary();
      return this.node('neg', t.start, operand.end, { operand });
    }
    return this.parseFilter();
  }

  private parseFilter(): Expr {
    let operand = this.parsePostfix();
    while (this.isOp('|')) {
      this.next();
      const nt = this.peek();
      if (nt.kind !== 'name') this.fail(`expected a filter name after "|", found ${this.describe(nt)}`);
      this.next();
      const name = nt.value as string;
      if (!Object.hasOwn(FILTERS, name)) this.fail(`unknown filter "${name}" (known: ${Object.keys(FILTERS).join(', ')})`, nt);
      let end = nt.end;
      let args: Expr[] = [];
      if (this.isOp('(')) {
        const r = this.parseArgs('filter arguments');
        args = r.args;
        end = r.end;
      }
      operand = this.node('filter', operand.start, end, { operand, name, args });
    }
    return operand;
  }

  private parseArgs(what: string): { args: Expr[]; end: number } {
    this.expectOp('(', what);
    const args: Expr[] = [];
    while (!this.isOp(')')) {
      if (this.peek().kind === 'name' && this.isOp('=', 1)) this.fail('keyword arguments are not supported');
      args.push(this.parseOr());
      if (!this.isOp(',')) break;
      this.next();
    }
    const close = this.expectOp(')', `to close ${what}`);
    return { args, end: close.end };
  }

  /** `(a, b, name=c)`: positional arguments first, then keyword arguments. */
  private parseCallArgs(): { args: Expr[]; kwargs: [string, Expr][]; end: number } {
    this.expectOp('(', 'call arguments');
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    while (!this.isOp(')')) {
      if (this.peek().kind === 'name' && this.isOp('=', 1)) {
        const nt = this.next();
        this.next();
        kwargs.push([String(nt.value), this.parseOr()]);
      } else {
        if (kwargs.length) this.fail('a positional argument cannot follow a keyword argument');
        args.push(this.parseOr());
      }
      if (!this.isOp(',')) break;
      this.next();
    }
    const close = this.expectOp(')', 'to close the call');
    return { args, kwargs, end: close.end };
  }

  private parsePostfix(): Expr {
    let e = this.parsePrimary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const nt = this.peek();
        if (nt.kind === 'name') {
          this.next();
          e = this.node('attr', e.start, nt.end, { object: e, name: nt.value });
        } else if (nt.kind === 'num' && Number.isInteger(nt.value)) {
          this.next();
          e = this.node('index', e.start, nt.end, {
            object: e,
            index: this.node('literal', nt.start, nt.end, { value: nt.value }),
          });
        } else {
          this.fail(`expected an attribute name after ".", found ${this.describe(nt)}`);
        }
      } else if (this.isOp('[')) {
        this.next();
        const index = this.parseOr();
        const close = this.expectOp(']', 'to close the index');
        e = this.node('index', e.start, close.end, { object: e, index });
      } else if (this.isOp('(')) {
        const { args, kwargs, end } = this.parseCallArgs();
        e = this.node('call', e.start, end, { callee: e, args, kwargs });
      } else {
        return e;
      }
    }
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'num':
        this.next();
        return this.node('literal', t.start, t.end, { value: t.value });
      case 'str': {
        this.next();
        // adjacent string literals concatenate, as in Python
        let value = t.value as string;
        let end = t.end;
        while (this.peek().kind === 'str') {
          const s = this.next();
          value += s.value as string;
          end = s.end;
        }
        return this.node('literal', t.start, end, { value });
      }
      case 'name': {
        const name = t.value as string;
        if (Object.hasOwn(KEYWORD_LITERALS, name)) {
          this.next();
          return this.node('literal', t.start, t.end, { value: KEYWORD_LITERALS[name] });
        }
        if (RESERVED.has(name)) this.fail(`unexpected keyword "${name}"`);
        this.next();
        return this.node('name', t.start, t.end, { name });
      }
      case 'op':
        if (t.value === '(') {
          this.next();
          const inner = this.parseOr();
          const close = this.expectOp(')', 'to close the parenthesis');
          return { ...inner, start: t.start, end: close.end };
        }
        if (t.value === '[') {
          this.next();
          const items: Expr[] = [];
          while (!this.isOp(']')) {
            items.push(this.parseOr());
            if (!this.isOp(',')) break;
            this.next();
          }
          const close = this.expectOp(']', 'to close the list');
          return this.node('list', t.start, close.end, { items });
        }
        if (t.value === '{') {
          this.next();
          const entries: [Expr, Expr][] = [];
          while (!this.isOp('}')) {
            const k = this.parseOr();
            this.expectOp(':', 'between a key and its value');
            entries.push([k, this.parseOr()]);
            if (!this.isOp(',')) break;
            this.next();
          }
          const close = this.expectOp('}', 'to close the mapping');
          return this.node('dict', t.start, close.end, { entries });
        }
        return this.fail(`unexpected ${this.describe(t)}`);
      default:
        return this.fail(t.kind === 'eof' ? 'unexpected end of expression' : `unexpected ${this.describe(t)}`);
    }
  }
}

/** Parse an expression occupying source[from, to). Offsets in the AST and errors refer to `source`. */
export function parseExpression(source: string, from = 0, to = source.length): Expr {
  const toks = tokenize(source, from, to);
  return new Parser(source, toks).parseTop();
}

/**
 * Parse a condition. A condition wrapped in `{{ }}` (a common Ansible habit)
 * is accepted: the braces are ignored and columns still refer to `source`.
 */
export function parseCondition(source: string): Expr {
  const m = /^\s*\{\{-?([\s\S]*?)-?\}\}\s*$/.exec(source);
  if (m && !m[1].includes('{{') && !m[1].includes('}}')) {
    const from = source.indexOf('{{') + 2 + (source[source.indexOf('{{') + 2] === '-' ? 1 : 0);
    return parseExpression(source, from, from + m[1].length);
  }
  return parseExpression(source);
}

// ---------------------------------------------------------------- values

/** Python truthiness: false, none, 0, '', [], {} are false. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return 'string';
}

function isList(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python equality: bool compares as int, '1' != 1, lists and mappings compare deeply. */
export function pyEqual(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof b === 'boolean' && typeof a === 'number') return Number(b) === a;
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEqual(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && pyEqual(a[k], b[k]));
  }
  return false;
}

function pyCompare(a: unknown, b: unknown): number | undefined {
  const num = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (pyEqual(x[i], y[i])) continue;
      return pyCompare(x[i], y[i]);
    }
    return x.length - y.length;
  }
  return undefined;
}

/** Text of a value inside a rendered string: scalars as written, lists and mappings as JSON, none as ''. */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  switch (typeof v) {
    case 'string':
      return v;
    case 'object':
      return JSON.stringify(v);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
    case 'function':
      return String(v);
    default:
      return '';
  }
}

// ---------------------------------------------------------------- filters and tests

export class FilterError extends Error {}

function needString(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FilterError(`${name} expects a string, got ${typeName(v)}`);
}

function length(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isMapping(v)) return Object.keys(v).length;
  throw new FilterError(`length expects a string, list or mapping, got ${typeName(v)}`);
}

const TRUE_STRINGS = new Set(['yes', 'on', '1', 'true', 'y', 't']);

/** Ansible's bool filter: true, 1, and the strings yes/on/1/true (any case) are true; anything else false. */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return TRUE_STRINGS.has(v.trim().toLowerCase());
  return false;
}

/** Jinja's int filter: numbers truncate, numeric strings parse, anything else gives the default (0). */
export function toInt(v: unknown, dflt: unknown = 0, base: unknown = 10): number {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : (dflt as number);
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '');
    const b = Number(base);
    if (b === 10) {
      if (/^[+-]?\d+$/.test(s)) return Number(s);
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Math.trunc(Number(s));
    } else {
      const digits = s.replace(/^0[xob]/i, '');
      const n = parseInt(digits, b);
      if (!Number.isNaN(n) && n.toString(b) === digits.toLowerCase().replace(/^0+(?=.)/, '')) return n;
    }
  }
  return dflt as number;
}

function regex(pattern: unknown, flags = ''): RegExp {
  if (typeof pattern !== 'string') throw new FilterError(`a regular expression must be a string, got ${typeName(pattern)}`);
  try {
    return new RegExp(pattern, flags);
  } catch (e) {
    throw new FilterError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/**
 * Match with `use` within the regexp time limit (engine/template/bounded-regex.ts).
 * `name` is the test or filter; `source` may wrap the user's `pattern`.
 */
function withRegex<T>(name: string, pattern: unknown, use: (re: RegExp) => T, flags = '', source = pattern): T {
  const re = regex(source, flags);
  try {
    return boundedRegex(re, () => use(re), `${name} regexp ${JSON.stringify(pattern)}`);
  } catch (e) {
    if (e instanceof RegexTimeLimitError) throw new FilterError(e.message);
    throw e;
  }
}

export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new FilterError(`"in <string>" requires a string on the left, got ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEqual(x, item));
  if (isMapping(container)) return typeof item === 'string' && Object.prototype.hasOwnProperty.call(container, item);
  throw new FilterError(`"in" needs a string, list or mapping on the right, got ${typeName(container)}`);
}

/**
 * Filters: the value is the first argument. `default` is special-cased by the
 * evaluator (it must see undefined); the entry here handles defined values.
 * The same functions back the handlebars helpers of the same names.
 */
export const FILTERS: Record<string, (value: unknown, ...args: unknown[]) => unknown> = {
  default: (v, dflt, boolean) => (v === undefined || (boolean === true && !truthy(v)) ? dflt : v),
  d: (v, dflt, boolean) => (v === undefined || (boolean === true && !truthy(v)) ? dflt : v),
  length,
  count: length,
  bool: toBool,
  int: (v, dflt, base) => toInt(v, dflt ?? 0, base ?? 10),
  float: (v, dflt = 0) => {
    const n = typeof v === 'string' ? Number(v.trim()) : typeof v === 'number' || typeof v === 'boolean' ? Number(v) : NaN;
    return Number.isNaN(n) || (typeof v === 'string' && v.trim() === '') ? dflt : n;
  },
  string: (v) => toText(v),
  lower: (v) => needString('lower', v).toLowerCase(),
  upper: (v) => needString('upper', v).toUpperCase(),
  trim: (v) => needString('trim', v).trim(),
  join: (v, sep = '') => {
    if (!Array.isArray(v)) throw new FilterError(`join expects a list, got ${typeName(v)}`);
    return v.map(toText).join(toText(sep));
  },
  split: (v, sep) => {
    const s = needString('split', v);
    return sep === undefined || sep === null ? s.split(/\s+/).filter(Boolean) : s.split(toText(sep));
  },
  replace: (v, from, to) => needString('replace', v).split(toText(from)).join(toText(to)),
  first: (v) => {
    if (typeof v === 'string' || isList(v)) return v[0];
    throw new FilterError(`first expects a list or string, got ${typeName(v)}`);
  },
  last: (v) => {
    if (typeof v === 'string' || isList(v)) return v[v.length - 1];
    throw new FilterError(`last expects a list or string, got ${typeName(v)}`);
  },
  list: (v) => {
    if (isList(v)) return v;
    if (typeof v === 'string') return [...v];
    if (isMapping(v)) return Object.keys(v);
    throw new FilterError(`list expects a list, string or mapping, got ${typeName(v)}`);
  },
  unique: (v) => {
    if (!Array.isArray(v)) throw new FilterError(`unique expects a list, got ${typeName(v)}`);
    const out: unknown[] = [];
    for (const x of v) if (!out.some((y) => pyEqual(x, y))) out.push(x);
    return out;
  },
  sort: (v) => {
    if (!isList(v)) throw new FilterError(`sort expects a list, got ${typeName(v)}`);
    return [...v].sort((a, b) => {
      const c = pyCompare(a, b);
      if (c === undefined) throw new FilterError(`sort cannot order ${typeName(a)} and ${typeName(b)}`);
      return c;
    });
  },
  ternary: (v, yes, no) => (truthy(v) ? yes : no),
  to_json: (v) => JSON.stringify(v ?? null),
  to_nice_json: (v) => JSON.stringify(v ?? null, null, 4),
  from_json: (v) => {
    try {
      return JSON.parse(needString('from_json', v)) as unknown;
    } catch (e) {
      throw new FilterError(`from_json: ${(e as Error).message}`);
    }
  },
  regex_search: (v, pattern) => {
    const s = needString('regex_search', v);
    const m = withRegex('regex_search', pattern, (re) => re.exec(s));
    return m ? m[0] : null;
  },
  regex_replace: (v, pattern, repl = '') => {
    const s = needString('regex_replace', v);
    return withRegex('regex_replace', pattern, (re) => s.replace(re, toText(repl)), 'g');
  },
  basename: (v) => needString('basename', v).replace(/\/+$/, '').split('/').pop() ?? '',
  dirname: (v) => {
    const s = needString('dirname', v);
    const i = s.lastIndexOf('/');
    return i < 0 ? '' : i === 0 ? '/' : s.slice(0, i);
  },
};

function resultField(test: string, v: unknown, field: string): unknown {
  if (!isMapping(v)) throw new FilterError(`the "${test}" test expects a registered result (a mapping), got ${typeName(v)}`);
  return v[field];
}

/** Tests after `is`. `defined`/`undefined` are handled by the evaluator. */
export const TESTS: Record<string, (value: unknown, ...args: unknown[]) => boolean> = {
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
  none: (v) => v === null,
  true: (v) => v === true,
  false: (v) => v === false,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  mapping: (v) => isMapping(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string',
  iterable: (v) => Array.isArray(v) || typeof v === 'string' || isMapping(v),
  failed: (v) => truthy(resultField('failed', v, 'failed')),
  failure: (v) => truthy(resultField('failure', v, 'failed')),
  succeeded: (v) => !truthy(resultField('succeeded', v, 'failed')),
  success: (v) => !truthy(resultField('success', v, 'failed')),
  successful: (v) => !truthy(resultField('successful', v, 'failed')),
  changed: (v) => truthy(resultField('changed', v, 'changed')),
  change: (v) => truthy(resultField('change', v, 'changed')),
  skipped: (v) => truthy(resultField('skipped', v, 'skipped')),
  skip: (v) => truthy(resultField('skip', v, 'skipped')),
  match: (v, p) => {
    const s = needString('match', v);
    return withRegex('match', p, (re) => re.test(s), '', '^(?:' + String(p) + ')');
  },
  search: (v, p) => {
    const s = needString('search', v);
    return withRegex('search', p, (re) => re.test(s));
  },
  regex: (v, p) => {
    const s = needString('regex', v);
    return withRegex('regex', p, (re) => re.test(s));
  },
  contains: (v, x) => contains(v, x),
  in: (v, c) => contains(c, v),
  eq: (v, x) => pyEqual(v, x),
  equalto: (v, x) => pyEqual(v, x),
};

// ---------------------------------------------------------------- evaluator

/** Marker for a value that is not defined, only seen where undefined is allowed. */
const UNDEF: unique symbol = Symbol('undefined');
/** A value, or UNDEF (`unknown` already includes the symbol). */
type Val = unknown;

function text(e: Expr): string {
  return e.source.slice(e.start, e.end);
}

/**
 * Own or inherited property of a variables object (the runner may layer scopes
 * with prototypes), but never one of Object.prototype's own members.
 */
export function getProp(obj: object, key: string): unknown {
  const v = (obj as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (key in Object.prototype && v === (Object.prototype as Record<string, unknown>)[key]) return undefined;
  return v;
}

function fieldOf(obj: unknown, key: unknown): { ok: true; value: unknown } | { ok: false } {
  if (Array.isArray(obj)) {
    if (typeof key === 'number' && Number.isInteger(key)) {
      const i = key < 0 ? obj.length + key : key;
      return i >= 0 && i < obj.length ? { ok: true, value: obj[i] } : { ok: false };
    }
    return { ok: false };
  }
  if (typeof obj === 'string' && typeof key === 'number' && Number.isInteger(key)) {
    const i = key < 0 ? obj.length + key : key;
    return i >= 0 && i < obj.length ? { ok: true, value: obj[i] } : { ok: false };
  }
  if (isMapping(obj)) {
    const k = typeof key === 'number' ? String(key) : key;
    if (typeof k === 'string') {
      const v = getProp(obj, k);
      if (v !== undefined) return { ok: true, value: v };
    }
  }
  return { ok: false };
}

class Evaluator {
  constructor(private readonly vars: Record<string, unknown>) {}

  private err(e: Expr, message: string): never {
    throw new ExpressionError(message, e.source, e.start);
  }

  /** Evaluate where undefined is an error. */
  value(e: Expr): unknown {
    const v = this.lenient(e, false);
    return v;
  }

  /**
   * Evaluate a node. With `allowUndef`, a missing variable or key (at any depth)
   * yields UNDEF instead of an error.
   */
  lenient(e: Expr, allowUndef: boolean): Val {
    switch (e.kind) {
      case 'literal':
        return e.value;
      case 'name': {
        const v = getProp(this.vars, e.name);
        if (v !== undefined) return v;
        if (allowUndef) return UNDEF;
        throw new UndefinedVariableError(e.name, '', e.source, e.start);
      }
      case 'attr':
      case 'index': {
        const obj = this.lenient(e.object, allowUndef);
        if (obj === UNDEF) return UNDEF;
        const key = e.kind === 'attr' ? e.name : this.value(e.index);
        const got = fieldOf(obj, key);
        if (got.ok) return got.value;
        if (allowUndef) return UNDEF;
        const what =
          obj === null
            ? `: "${text(e.object)}" is none`
            : isMapping(obj) || Array.isArray(obj)
              ? `: ${typeName(obj)} "${text(e.object)}" has no ${Array.isArray(obj) ? 'index' : 'key'} ${JSON.stringify(key)}`
              : `: "${text(e.object)}" is a ${typeName(obj)}, not a mapping or list`;
        throw new UndefinedVariableError(text(e), what, e.source, e.start);
      }
      case 'list':
        return e.items.map((x) => this.value(x));
      case 'dict': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of e.entries) out[toText(this.value(k))] = this.value(v);
        return out;
      }
      case 'not':
        return !truthy(this.value(e.operand));
      case 'neg': {
        const v = this.value(e.operand);
        if (typeof v !== 'number') this.err(e, `cannot negate a ${typeName(v)}`);
        return -v;
      }
      case 'and': {
        const l = this.value(e.left);
        return truthy(l) ? this.value(e.right) : l;
      }
      case 'or': {
        const l = this.value(e.left);
        return truthy(l) ? l : this.value(e.right);
      }
      case 'compare':
        return this.compare(e);
      case 'call':
        return this.call(e);
      case 'test': {
        const allow = e.test === 'defined' || e.test === 'undefined';
        const v = this.lenient(e.operand, allow);
        const args = e.args.map((a) => this.value(a));
        let r: boolean;
        try {
          r = TESTS[e.test](v === UNDEF ? undefined : v, ...args);
        } catch (err) {
          if (err instanceof FilterError) this.err(e, err.message);
          throw err;
        }
        return e.negated ? !r : r;
      }
      case 'filter': {
        const isDefault = e.name === 'default' || e.name === 'd';
        const v = this.lenient(e.operand, isDefault);
        const args = e.args.map((a) => this.value(a));
        if (isDefault && args.length === 0) args.push('');
        try {
          return FILTERS[e.name](v === UNDEF ? undefined : v, ...args);
        } catch (err) {
          if (err instanceof FilterError) {
            throw new ExpressionError(`filter "${e.name}": ${err.message}`, e.source, e.start);
          }
          throw err;
        }
      }
    }
  }

  /**
   * A call: the callee must evaluate to a Callable (a macro, `loop.cycle`).
   * `.items()`, `.keys()`, `.values()` of a mapping are the few methods
   * `{% for k, v in d.items() %}` needs.
   */
  private call(e: Extract<Expr, { kind: 'call' }>): unknown {
    const args = e.args.map((a) => this.value(a));
    const kwargs: Record<string, unknown> = {};
    for (const [k, v] of e.kwargs) kwargs[k] = this.value(v);
    const c = e.callee;
    let fn: unknown;
    if (c.kind === 'attr') {
      const obj = this.value(c.object);
      const got = fieldOf(obj, c.name);
      if (!got.ok && isMapping(obj) && (c.name === 'items' || c.name === 'keys' || c.name === 'values') && args.length === 0) {
        if (c.name === 'keys') return Object.keys(obj);
        if (c.name === 'values') return Object.values(obj);
        return Object.entries(obj);
      }
      if (!got.ok) this.err(c, `no method "${c.name}" on a ${typeName(obj)} ("${text(c.object)}")`);
      fn = got.value;
    } else if (c.kind === 'name') {
      fn = getProp(this.vars, c.name);
      if (fn === undefined) this.err(c, `unknown function "${c.name}"`);
    } else {
      fn = this.value(c);
    }
    if (typeof fn !== 'function') this.err(e, `"${text(c)}" is not callable (a ${typeName(fn)})`);
    try {
      return (fn as Callable)(args, kwargs);
    } catch (err) {
      if (err instanceof FilterError) this.err(e, err.message);
      throw err;
    }
  }

  private compare(e: Extract<Expr, { kind: 'compare' }>): boolean {
    const l = this.value(e.left);
    const r = this.value(e.right);
    switch (e.op) {
      case '==':
        return pyEqual(l, r);
      case '!=':
        return !pyEqual(l, r);
      case 'in':
      case 'not in': {
        let found: boolean;
        try {
          found = contains(r, l);
        } catch (err) {
          if (err instanceof FilterError) this.err(e, err.message);
          throw err;
        }
        return e.op === 'in' ? found : !found;
      }
      default: {
        const c = pyCompare(l, r);
        if (c === undefined) {
          const hint =
            (typeof l === 'string' && typeof r === 'number') || (typeof l === 'number' && typeof r === 'string')
              ? ' (convert with "| int")'
              : '';
          this.err(e, `"${e.op}" cannot compare ${typeName(l)} with ${typeName(r)}${hint}`);
        }
        switch (e.op) {
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          default:
            return c >= 0;
        }
      }
    }
  }
}

const PARSE_CACHE = new Map<string, Expr>();
const PARSE_CACHE_MAX = 10_000;

function cachedParse(source: string): Expr {
  let e = PARSE_CACHE.get(source);
  if (!e) {
    e = parseCondition(source);
    if (PARSE_CACHE.size >= PARSE_CACHE_MAX) PARSE_CACHE.clear();
    PARSE_CACHE.set(source, e);
  }
  return e;
}

/** Evaluate an expression to its value. Undefined variables throw UndefinedVariableError. */
export function evaluate(expr: Expr, vars: Record<string, unknown>): unknown {
  return new Evaluator(vars).value(expr);
}

/** Evaluate a condition (source text or parsed) to a boolean, by Python truthiness. */
export function evaluateCondition(source: string | Expr, vars: Record<string, unknown>): boolean {
  const expr = typeof source === 'string' ? cachedParse(source) : source;
  return truthy(evaluate(expr, vars));
}

/** All conditions must hold (a `when:` list). Booleans (YAML `true`) are taken as they are. */
export function evaluateAll(sources: readonly (string | boolean | number | null)[], vars: Record<string, unknown>): boolean {
  for (const s of sources) {
    if (typeof s === 'string') {
      if (!evaluateCondition(s, vars)) return false;
    } else if (!truthy(s)) {
      return false;
    }
  }
  return true;
}

/** Root variable names an expression reads where they must be defined (not under `is defined` or `default`). */
export function expressionVariables(expr: Expr, out: Set<string> = new Set()): Set<string> {
  const walk = (e: Expr, lenient: boolean): void => {
    switch (e.kind) {
      case 'name':
        if (!lenient) out.add(e.name);
        return;
      case 'attr':
        return walk(e.object, lenient);
      case 'index':
        walk(e.object, lenient);
        return walk(e.index, false);
      case 'list':
        return e.items.forEach((x) => walk(x, false));
      case 'dict':
        return e.entries.forEach(([k, v]) => (walk(k, false), walk(v, false)));
      case 'not':
      case 'neg':
        return walk(e.operand, false);
      case 'and':
      case 'or':
      case 'compare':
        walk(e.left, false);
        return walk(e.right, false);
      case 'test':
        walk(e.operand, e.test === 'defined' || e.test === 'undefined');
        return e.args.forEach((a) => walk(a, false));
      case 'filter':
        walk(e.operand, e.name === 'default' || e.name === 'd');
        return e.args.forEach((a) => walk(a, false));
      case 'call':
        walk(e.callee, false);
        e.args.forEach((a) => walk(a, false));
        return e.kwargs.forEach(([, a]) => walk(a, false));
      case 'literal':
        return;
    }
  };
  walk(expr, false);
  return out;
}
