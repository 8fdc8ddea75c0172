// Conditions (`when`, `changed_when`, `failed_when`, `until`, `assert: that:`)
// and the Jinja-style expressions accepted inside templates.
//
// A hand-written tokenizer and a precedence-climbing parser build a small AST;
// an evaluator walks it. Nothing here uses eval or new Function. Precedence,
// lowest first: `or` < `and` < `not` < comparisons (== != < <= > >= in, not in,
// chained as in Jinja) < `+ -` < `~` < `* / // %` < `**` < unary `- +` <
// filter `|` and test `is [not] name` < postfix access (`.name`, `[index]`,
// `[a:b]`, calls). `a if c else b` is lowest of all, as in Jinja.
// docs/templating.md describes the language for playbook authors.

import { pyStr } from './py-text.js';
import { FilterError, isList, isMapping, pyCompare, pyEqual, toText, truthy, typeName } from './values.js';
import { arithmetic, pySlice } from './py-ops.js';
import { PY_METHOD_NAMES, callMethod, unknownMethodMessage } from './py-methods.js';
import {
  ANSIBLE_FILTERS,
  ANSIBLE_TESTS,
  FILTER_SIGNATURES,
  TEST_SIGNATURES,
  ansibleBool,
  checkFilterCall,
  filterUnknownMessage,
  useRegistries,
  withKwargs,
} from './filters-ansible.js';

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
  | (Node & { kind: 'test'; operand: Expr; test: string; args: Expr[]; negated: boolean; kwargs?: [string, Expr][] })
  | (Node & { kind: 'filter'; operand: Expr; name: string; args: Expr[]; kwargs?: [string, Expr][] })
  /** `then if test else otherwise`; without `else`, undefined (renders as ''). */
  | (Node & { kind: 'cond'; test: Expr; then: Expr; otherwise?: Expr })
  | (Node & { kind: 'binop'; op: BinOp; left: Expr; right: Expr })
  | (Node & { kind: 'pos'; operand: Expr })
  | (Node & { kind: 'slice'; object: Expr; lower?: Expr; upper?: Expr; step?: Expr })
  /** A call: `x.split(',')` (a Python method) or `name(...)` (a function from FUNCTIONS). */
  | (Node & { kind: 'call'; callee: Expr; args: Expr[]; kwargs: [string, Expr][] })
  /** `lookup(name, ...)`, `query(...)`, `q(...)` (engine/template/lookups.ts). */
  | (Node & { kind: 'lookup'; fn: string; args: Expr[]; kwargs: Array<[string, Expr]> });
export type BinOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';

/**
 * A value that can be called in an expression (`m(1, b=2)`): a Jinja macro,
 * `loop.cycle`, `namespace`. Positional arguments, then keyword arguments.
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

const OPS2 = new Set(['==', '!=', '<=', '>=', '**', '//']);
const OPS1 = new Set(['<', '>', '(', ')', '[', ']', '{', '}', ',', '.', '|', ':', '-', '+', '~', '*', '/', '%']);
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '/': '/',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/**
 * `literalBackslashes`: a string literal takes every character up to its closing quote as
 * written, backslashes included. Ansible does this for `{{ }}` in playbook text (its Templar
 * doubles the backslashes in string literals of variable blocks before Jinja reads them), so
 * `{{ 'a\nb' }}` there is four characters; in template files and conditions they are escapes.
 */
function tokenize(source: string, from: number, to: number, literalBackslashes = false): Token[] {
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
        if (ch === '\\' && !literalBackslashes) {
          const nx = source[i + 1];
          if (nx === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
            out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          if (nx === 'x' && /^[0-9a-fA-F]{2}$/.test(source.slice(i + 2, i + 4))) {
            out += String.fromCharCode(parseInt(source.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          if (nx === 'U' && /^[0-9a-fA-F]{8}$/.test(source.slice(i + 2, i + 10))) {
            out += String.fromCodePoint(parseInt(source.slice(i + 2, i + 10), 16));
            i += 10;
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
    /** Calls of values known only at render time (macros, loop.cycle) are allowed: template files. */
    private readonly callables = false,
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
    const e = this.parseExpr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      if (t.kind === 'op' && t.value === '=') this.fail('unexpected "=": comparison is written "=="', t);
      this.fail(`unexpected ${this.describe(t)} after a complete expression`, t);
    }
    return e;
  }

  /** Jinja's conditional expression: `a if cond else b`, `else` optional. */
  private parseExpr(): Expr {
    let e = this.parseOr();
    while (this.isName('if')) {
      this.next();
      const test = this.parseOr();
      let otherwise: Expr | undefined;
      let end = test.end;
      if (this.isName('else')) {
        this.next();
        otherwise = this.parseExpr();
        end = otherwise.end;
      }
      e = this.node('cond', e.start, end, { test, then: e, otherwise });
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

  /** Comparisons chain as in Jinja and Python: `a < b < c` is `a < b and b < c`. */
  private parseComparison(): Expr {
    const first = this.parseMath1();
    let left = first;
    let result: Expr | undefined;
    for (;;) {
      const t = this.peek();
      let op: CompareOp;
      if (t.kind === 'op' && COMPARE.has(t.value as string)) {
        this.next();
        op = t.value as CompareOp;
      } else if (this.isName('in')) {
        this.next();
        op = 'in';
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.next();
        this.next();
        op = 'not in';
      } else {
        return result ?? first;
      }
      const right = this.parseMath1();
      const cmp = this.node('compare', left.start, right.end, { op, left, right });
      result = result ? this.node('and', result.start, right.end, { left: result, right: cmp }) : cmp;
      left = right;
    }
  }

  private binary(ops: readonly string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !ops.includes(t.value as string)) return left;
      this.next();
      const right = operand();
      left = this.node('binop', left.start, right.end, { op: t.value, left, right });
    }
  }
  private parseMath1(): Expr {
    return this.binary(['+', '-'], () => this.parseConcat());
  }
  private parseConcat(): Expr {
    return this.binary(['~'], () => this.parseMath2());
  }
  private parseMath2(): Expr {
    return this.binary(['*', '/', '//', '%'], () => this.parsePow());
  }
  private parsePow(): Expr {
    return this.binary(['**'], () => this.parseUnary());
  }

  /** As Jinja: `-x | f` is `(-x) | f`, and `-2 ** 2` is `(-2) ** 2`. */
  private parseUnary(withFilter = true): Expr {
    let e: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next();
      const operand = this.parseUnary(false);
      e = this.node(t.value === '-' ? 'neg' : 'pos', t.start, operand.end, { operand });
    } else {
      e = this.parsePostfix();
    }
    return withFilter ? this.parseFilter(e) : e;
  }

  /** Filters `| name(args)` and tests `is [not] name(args)`, left to right, as Jinja's filter expression. */
  private parseFilter(operand: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const nt = this.peek();
        if (nt.kind !== 'name') this.fail(`expected a filter name after "|", found ${this.describe(nt)}`);
        this.next();
        const name = nt.value as string;
        if (!Object.hasOwn(FILTERS, name)) this.fail(filterUnknownMessage(name), nt);
        let end = nt.end;
        let args: Expr[] = [];
        let kwargs: [string, Expr][] = [];
        if (this.isOp('(')) {
          const r = this.parseArgs('filter arguments');
          ({ args, kwargs, end } = r);
        }
        checkFilterCall(name, args, kwargs, (m, at) => this.fail(m, at ? this.tokAt(at) : nt));
        operand = this.node('filter', operand.start, end, { operand, name, args, kwargs });
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
        let kwargs: [string, Expr][] = [];
        if (this.isOp('(')) {
          ({ args, kwargs, end } = this.parseArgs('test arguments'));
          const sig = TEST_SIGNATURES[test];
          for (const [k] of kwargs) if (!Array.isArray(sig) || !sig.includes(k)) this.fail(`test "${test}" has no keyword argument "${k}"`, nt);
        } else if (this.startsTestArgument()) {
          // Jinja: one argument without parentheses (`x is divisibleby 3`)
          const arg = this.parsePostfix();
          args = [arg];
          end = arg.end;
        }
        operand = this.node('test', operand.start, end, { operand, test, args, negated, kwargs });
      } else {
        return operand;
      }
    }
  }

  private startsTestArgument(): boolean {
    const t = this.peek();
    if (t.kind === 'num' || t.kind === 'str') return true;
    if (t.kind === 'name') return !RESERVED.has(t.value as string);
    return t.kind === 'op' && (t.value === '[' || t.value === '{');
  }

  private tokAt(offset: number): Token {
    return this.toks.find((t) => t.start === offset) ?? this.peek();
  }

  private parseArgs(what: string): { args: Expr[]; kwargs: [string, Expr][]; end: number } {
    this.expectOp('(', what);
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    while (!this.isOp(')')) {
      if (this.peek().kind === 'name' && this.isOp('=', 1)) {
        const nt = this.next();
        this.next();
        kwargs.push([nt.value as string, this.parseExpr()]);
      } else {
        if (kwargs.length) this.fail('a positional argument cannot follow a keyword argument');
        args.push(this.parseExpr());
      }
      if (!this.isOp(',')) break;
      this.next();
    }
    const close = this.expectOp(')', `to close ${what}`);
    return { args, kwargs, end: close.end };
  }

  /** `lookup(name, terms..., key=value)`, `query(...)`, `q(...)`: an unknown or refused lookup name fails here, at load. */
  private parseLookup(): Expr {
    const t = this.next();
    const fn = t.value as string;
    this.expectOp('(', `after ${fn}`);
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    while (!this.isOp(')')) {
      if (this.peek().kind === 'name' && this.isOp('=', 1)) {
        const k = this.next();
        this.next();
        kwargs.push([k.value as string, this.parseOr()]);
      } else {
        if (kwargs.length) this.fail('a positional argument cannot follow a keyword argument');
        args.push(this.parseOr());
      }
      if (!this.isOp(',')) break;
      this.next();
    }
    const close = this.expectOp(')', `to close ${fn}(`);
    if (!args.length) this.fail(`${fn}() takes the lookup's name first`, t);
    const first = args[0];
    const problem = first.kind === 'literal' && typeof first.value === 'string' ? lookupHook?.check(first.value) : undefined;
    if (problem) throw new ExpressionError(problem, this.source, first.start);
    return this.node('lookup', t.start, close.end, { fn, args, kwargs });
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
        const parts: (Expr | undefined)[] = [];
        let colons = 0;
        if (!this.isOp(':')) parts.push(this.parseExpr());
        else parts.push(undefined);
        while (this.isOp(':') && colons < 2) {
          this.next();
          colons++;
          parts.push(this.isOp(':') || this.isOp(']') ? undefined : this.parseExpr());
        }
        const close = this.expectOp(']', 'to close the index');
        if (colons === 0) e = this.node('index', e.start, close.end, { object: e, index: parts[0] });
        else e = this.node('slice', e.start, close.end, { object: e, lower: parts[0], upper: parts[1], step: parts[2] });
      } else if (this.isOp('(')) {
        const open = this.peek();
        // Template files (engine/template/jinja.ts) may call macros, loop.cycle and
        // namespace members, known only at render time; everywhere else a call must
        // be a Python method or a known function, checked here (at load).
        if (!this.callables) {
          if (e.kind === 'attr') {
            if (!PY_METHOD_NAMES.has(e.name)) this.fail(unknownMethodMessage(e.name), open);
          } else if (e.kind === 'name') {
            if (!Object.hasOwn(FUNCTIONS, e.name)) {
              this.fail(`unknown function "${e.name}" (known: ${Object.keys(FUNCTIONS).join(', ') || 'none'})`, this.tokAt(e.start));
            }
          } else {
            this.fail('only methods (x.split()) and known functions can be called', open);
          }
        }
        const r = this.parseArgs('call arguments');
        e = this.node('call', e.start, r.end, { callee: e, args: r.args, kwargs: r.kwargs });
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
        if (LOOKUP_FUNCTIONS.has(name) && this.isOp('(', 1)) return this.parseLookup();
        this.next();
        return this.node('name', t.start, t.end, { name });
      }
      case 'op':
        if (t.value === '(') {
          this.next();
          // a tuple `(1, 2)` or `()` is a list (JavaScript has no tuples)
          if (this.isOp(')')) return this.node('list', t.start, this.next().end, { items: [] });
          const inner = this.parseExpr();
          if (this.isOp(',')) {
            const items = [inner];
            while (this.isOp(',')) {
              this.next();
              if (this.isOp(')')) break;
              items.push(this.parseExpr());
            }
            const close = this.expectOp(')', 'to close the tuple');
            return this.node('list', t.start, close.end, { items });
          }
          const close = this.expectOp(')', 'to close the parenthesis');
          return { ...inner, start: t.start, end: close.end };
        }
        if (t.value === '[') {
          this.next();
          const items: Expr[] = [];
          while (!this.isOp(']')) {
            items.push(this.parseExpr());
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
            const k = this.parseExpr();
            this.expectOp(':', 'between a key and its value');
            entries.push([k, this.parseExpr()]);
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
export function parseExpression(source: string, from = 0, to = source.length, opts: { callables?: boolean; literalBackslashes?: boolean } = {}): Expr {
  const toks = tokenize(source, from, to, opts.literalBackslashes);
  return new Parser(source, toks, opts.callables ?? false).parseTop();
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

// ---------------------------------------------------------------- filters and tests

export { FilterError, pyEqual, toText, truthy, typeName } from './values.js';


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

/** Ansible's bool filter: true, 1, and the strings yes/on/1/true (any case) are true; anything else false. */
export function toBool(v: unknown): boolean {
  return ansibleBool(v) === true;
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
  bool: (v) => (v === null || v === undefined ? null : toBool(v)),
  int: (v, dflt, base) => toInt(v, dflt ?? 0, base ?? 10),
  float: (v, dflt = 0) => {
    const n = typeof v === 'string' ? Number(v.trim()) : typeof v === 'number' || typeof v === 'boolean' ? Number(v) : NaN;
    return Number.isNaN(n) || (typeof v === 'string' && v.trim() === '') ? dflt : n;
  },
  lower: (v) => needString('lower', v).toLowerCase(),
  upper: (v) => needString('upper', v).toUpperCase(),
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
  from_json: (v) => {
    try {
      return JSON.parse(needString('from_json', v)) as unknown;
    } catch (e) {
      throw new FilterError(`from_json: ${(e as Error).message}`);
    }
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
  contains: (v, x) => contains(v, x),
  in: (v, c) => contains(c, v),
  eq: (v, x) => pyEqual(v, x),
  equalto: (v, x) => pyEqual(v, x),
};

// The rest of Ansible's and Jinja's filters and tests, and the ones above that
// take more arguments in Ansible (engine/template/filters-ansible.ts).
Object.assign(FILTERS, ANSIBLE_FILTERS);
Object.assign(TESTS, ANSIBLE_TESTS);
useRegistries(FILTERS, TESTS);

/** A function callable by name in an expression (`range(3)`); `lookup`/`query` register here. */
export type ExprFunction = (call: { args: unknown[]; kwargs: Record<string, unknown>; vars: Record<string, unknown> }) => unknown;

/** Functions callable by name. An unknown name is refused when the expression is parsed. */
export const FUNCTIONS: Record<string, ExprFunction> = {
  /** Jinja's dict(): `dict(a=1, b=x)`, or `dict(pairs)` */
  dict: ({ args, kwargs }) => {
    const out: Record<string, unknown> = {};
    for (const a of args) {
      if (!Array.isArray(a)) throw new FilterError(`dict() expects a list of pairs, got ${typeName(a)}`);
      for (const pair of a as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new FilterError('dict() expects [key, value] pairs');
        out[toText(pair[0])] = pair[1];
      }
    }
    return Object.assign(out, kwargs);
  },
  range: ({ args }) => {
    const n = args.map((a) => {
      if (typeof a !== 'number' || !Number.isInteger(a)) throw new FilterError(`range() expects integers, got ${typeName(a)}`);
      return a;
    });
    const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
    if (step === 0) throw new FilterError('range() step must not be zero');
    if ((stop - start) / step > 100_000) throw new FilterError('range() is limited to 100000 items');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  },
};
// ---------------------------------------------------------------- lookup() / query() / q()

/** The lookup functions of expressions; engine/template/lookups.ts implements them and registers here. */
export interface LookupHook {
  /** Why a lookup name is refused (checked at parse time, so at load); undefined when known. */
  check(name: string): string | undefined;
  /** Run it; failures are FilterError. */
  call(fn: string, name: unknown, terms: unknown[], kwargs: Record<string, unknown>, vars: Record<string, unknown>): unknown;
}
const LOOKUP_FUNCTIONS = new Set(['lookup', 'query', 'q']);
let lookupHook: LookupHook | undefined;
export function setLookupHook(hook: LookupHook): void {
  lookupHook = hook;
}

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
        const kwargs = this.kwargs(e.kwargs);
        let r: boolean;
        try {
          r = TESTS[e.test](v === UNDEF ? undefined : v, ...withKwargs(TEST_SIGNATURES[e.test], e.test, args, kwargs));
        } catch (err) {
          if (err instanceof FilterError) this.err(e, err.message);
          throw err;
        }
        return e.negated ? !r : r;
      }
      case 'cond': {
        if (truthy(this.value(e.test))) return this.lenient(e.then, allowUndef);
        if (e.otherwise) return this.lenient(e.otherwise, allowUndef);
        return allowUndef ? UNDEF : '';
      }
      case 'binop':
        try {
          if (e.op === '~') return pyStr(this.value(e.left)) + pyStr(this.value(e.right));
          return arithmetic(e.op, this.value(e.left), this.value(e.right));
        } catch (err) {
          if (err instanceof FilterError) this.err(e, err.message);
          throw err;
        }
      case 'pos': {
        const v = this.value(e.operand);
        if (typeof v !== 'number' && typeof v !== 'boolean') this.err(e, `bad operand type for unary +: ${typeName(v)}`);
        return Number(v);
      }
      case 'slice': {
        const obj = this.value(e.object);
        const bound = (x: Expr | undefined): number | undefined => {
          if (!x) return undefined;
          const n = this.value(x);
          if (n === null) return undefined;
          if (typeof n !== 'number' || !Number.isInteger(n)) this.err(x, `slice indices must be integers or none, got ${typeName(n)}`);
          return n;
        };
        const [lo, hi, step] = [bound(e.lower), bound(e.upper), bound(e.step)];
        if (step === 0) this.err(e, 'slice step cannot be zero');
        if (typeof obj === 'string') return pySlice([...obj], lo, hi, step).join('');
        if (Array.isArray(obj)) return pySlice(obj, lo, hi, step);
        return this.err(e, `cannot slice a ${typeName(obj)} ("${text(e.object)}")`);
      }
      case 'filter': {
        const isDefault = e.name === 'default' || e.name === 'd';
        const isMandatory = e.name === 'mandatory';
        const v = this.lenient(e.operand, isDefault || isMandatory);
        const args = e.args.map((a) => this.value(a));
        const kwargs = this.kwargs(e.kwargs);
        if (isDefault && args.length === 0 && !kwargs.default_value) args.push('');
        if (isMandatory && v === UNDEF) {
          const msg = args.length && args[0] !== null ? toText(args[0]) : `Mandatory variable '${text(e.operand)}' not defined.`;
          throw new UndefinedVariableError(text(e.operand), ` (${msg})`, e.source, e.start);
        }
        try {
          return FILTERS[e.name](v === UNDEF ? undefined : v, ...withKwargs(FILTER_SIGNATURES[e.name], e.name, args, kwargs));
        } catch (err) {
          if (err instanceof FilterError) {
            throw new ExpressionError(`filter "${e.name}": ${err.message}`, e.source, e.start);
          }
          throw err;
        }
      }
      case 'lookup':
        return this.lookup(e);
    }
  }

  private lookup(e: Extract<Expr, { kind: 'lookup' }>): unknown {
    if (!lookupHook) this.err(e, `${e.fn}() is not available here`);
    const [name, ...terms] = e.args.map((a) => this.value(a));
    const kwargs = Object.fromEntries(e.kwargs.map(([k, v]) => [k, this.value(v)]));
    try {
      return lookupHook.call(e.fn, name, terms, kwargs, this.vars);
    } catch (err) {
      if (err instanceof FilterError) this.err(e, `${e.fn}(${JSON.stringify(name)}): ${err.message}`);
      throw err;
    }
  }

  /**
   * A call: a Python method of the value (`x.split(',')`), a known function
   * (FUNCTIONS), or a Callable value (a Jinja macro, `loop.cycle`, a namespace).
   */
  private call(e: Extract<Expr, { kind: 'call' }>): unknown {
    const args = e.args.map((a) => this.value(a));
    const kwargs = this.kwargs(e.kwargs);
    const c = e.callee;
    try {
      if (c.kind === 'attr') {
        const obj = this.value(c.object);
        const got = fieldOf(obj, c.name);
        if (got.ok && typeof got.value === 'function') return (got.value as Callable)(args, kwargs);
        return callMethod(obj, c.name, args, kwargs);
      }
      if (c.kind === 'name') {
        if (Object.hasOwn(FUNCTIONS, c.name)) return FUNCTIONS[c.name]({ args, kwargs, vars: this.vars });
        const fn = getProp(this.vars, c.name);
        if (typeof fn !== 'function') return this.err(c, `unknown function "${c.name}"`);
        return (fn as Callable)(args, kwargs);
      }
      const fn = this.value(c);
      if (typeof fn !== 'function') return this.err(e, `"${text(c)}" is not callable (a ${typeName(fn)})`);
      return (fn as Callable)(args, kwargs);
    } catch (err) {
      if (err instanceof FilterError) this.err(e, err.message);
      throw err;
    }
  }

  private kwargs(list: [string, Expr][] | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, x] of list ?? []) out[k] = this.value(x);
    return out;
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
        (e.kwargs ?? []).forEach(([, a]) => walk(a, false));
        return e.args.forEach((a) => walk(a, false));
      case 'filter':
        walk(e.operand, e.name === 'default' || e.name === 'd' || e.name === 'mandatory');
        (e.kwargs ?? []).forEach(([, a]) => walk(a, false));
        return e.args.forEach((a) => walk(a, false));
      case 'lookup':
        e.args.forEach((a) => walk(a, false));
        return e.kwargs.forEach(([, v]) => walk(v, false));
      case 'literal':
        return;
      case 'cond':
        walk(e.test, false);
        walk(e.then, lenient);
        if (e.otherwise) walk(e.otherwise, lenient);
        return;
      case 'binop':
        walk(e.left, false);
        return walk(e.right, false);
      case 'pos':
        return walk(e.operand, false);
      case 'slice':
        walk(e.object, false);
        for (const x of [e.lower, e.upper, e.step]) if (x) walk(x, false);
        return;
      case 'call':
        if (e.callee.kind === 'attr') walk(e.callee.object, false);
        e.kwargs.forEach(([, a]) => walk(a, false));
        return e.args.forEach((a) => walk(a, false));
    }
  };
  walk(expr, false);
  return out;
}
