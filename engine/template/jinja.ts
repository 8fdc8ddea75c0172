// Jinja2 statements: `{% if %}`, `{% for %}`, `{% set %}`, `{% macro %}`,
// `{% include %}`, `{% import %}`, `{% raw %}`, `{# #}` and whitespace control,
// rendered as Ansible 2.14 renders them (docs/templating.md, "Jinja statements").
//
// Our own renderer over our own expression language (engine/template/expression.ts):
// every `{{ }}` and every expression inside `{% %}` is parsed by parseExpression
// with offsets into the template source, so an undefined variable is an error
// naming it with the template's line and column, host data stays data (the
// variable getters mark unsafe reads), and the filters are the same functions.
//
// Ansible's environment: trim_blocks=True (the first newline after a block or
// comment tag is dropped), lstrip_blocks=False, and Jinja's own
// keep_trailing_newline=False followed by Ansible's fix-up that restores the
// source's trailing newlines at the top level (not in included files).

import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  ExpressionError,
  FilterError,
  UndefinedVariableError,
  evaluate,
  expressionVariables,
  parseExpression,
  toText,
  truthy,
  typeName,
  type Callable,
  type Expr,
} from './expression.js';
import { TemplateError } from './template-error.js';

// ---------------------------------------------------------------- nodes

type Node =
  | { kind: 'text'; value: string }
  | { kind: 'output'; expr: Expr }
  | { kind: 'if'; branches: { cond: Expr; body: Node[] }[]; orelse: Node[] }
  | { kind: 'for'; targets: string[]; iter: Expr; cond?: Expr; body: Node[]; orelse: Node[]; at: number }
  | { kind: 'set'; targets: string[]; expr: Expr; at: number }
  | { kind: 'setblock'; target: string; body: Node[] }
  | { kind: 'macro'; name: string; params: { name: string; dflt?: Expr }[]; body: Node[]; at: number }
  | { kind: 'with'; assigns: [string, Expr][]; body: Node[] }
  | { kind: 'include'; name: Expr; ignoreMissing: boolean; withContext: boolean; at: number }
  | { kind: 'import'; name: Expr; alias: string; withContext: boolean; at: number }
  | { kind: 'from'; name: Expr; names: { name: string; alias: string; at: number }[]; withContext: boolean; at: number };

/** A parsed template: its source, where it came from, and its statements. */
export interface JinjaTemplate {
  source: string;
  /** The file it was read from (for messages and for includes beside it). */
  file?: string;
  body: Node[];
  /** Static names of the templates it includes/imports, with the offset of the name. */
  refs: { name: string; at: number }[];
}

/** Where included/imported templates are looked up. */
export interface JinjaLoader {
  /** Directories searched after the including template's own directory. */
  searchPath: string[];
}

function fail(t: { source: string; file?: string }, reason: string, offset?: number, variable?: string): never {
  throw new TemplateError(reason, t.source, offset, variable, t.file);
}

// ---------------------------------------------------------------- lexer

type Tok =
  | { type: 'text'; value: string }
  | { type: 'var'; from: number; to: number; start: number }
  | { type: 'block'; name: string; from: number; to: number; start: number };

const WS = /[ \t\r\n\f\v]/;

/** Index of `close` at bracket depth 0 outside string literals, from `from`; -1 when absent. */
function findTagEnd(s: string, from: number, close: string): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' || ch === "'") {
      const j = s.indexOf(ch, i + 1);
      if (j < 0) return -1;
      i = j;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (depth > 0 && (ch === ')' || ch === ']' || ch === '}')) depth--;
    else if (depth === 0 && s.startsWith(close, i)) return i;
  }
  return -1;
}

function normalizeNewlines(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

function lex(t: { source: string; file?: string }): Tok[] {
  const src = t.source;
  const toks: Tok[] = [];
  let text = '';
  let pos = 0;
  // Jinja's keep_trailing_newline=False: one trailing newline of the source is not output.
  const limit = src.endsWith('\r\n') ? src.length - 2 : src.endsWith('\n') || src.endsWith('\r') ? src.length - 1 : src.length;
  const flush = () => {
    if (text) toks.push({ type: 'text', value: normalizeNewlines(text) });
    text = '';
  };
  /** After a tag ending at `end`: `-` strips all whitespace, trim_blocks drops one newline. */
  const after = (end: number, strip: boolean, trim: boolean): number => {
    if (strip) {
      while (end < limit && WS.test(src[end])) end++;
    } else if (trim) {
      if (src.startsWith('\r\n', end)) end += 2;
      else if (src[end] === '\n' || src[end] === '\r') end++;
    }
    return end;
  };
  while (pos < limit) {
    const re = /\{[{%#]/g;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m || m.index >= limit) {
      text += src.slice(pos, limit);
      break;
    }
    const start = m.index;
    text += src.slice(pos, start);
    const kind = src[start + 1];
    let inner = start + 2;
    const lstrip = src[inner] === '-';
    if (src[inner] === '-' || src[inner] === '+') inner++;
    if (lstrip) text = text.replace(/[ \t\r\n\f\v]+$/, '');
    if (kind === '#') {
      const close = src.indexOf('#}', inner);
      if (close < 0 || close + 2 > limit) fail(t, 'unclosed comment "{#" (no matching "#}")', start);
      const strip = src[close - 1] === '-' && close - 1 >= inner;
      pos = after(close + 2, strip, true);
      continue;
    }
    const closeStr = kind === '{' ? '}}' : '%}';
    const close = findTagEnd(src, inner, closeStr);
    if (close < 0 || close + 2 > limit) fail(t, `unclosed "{${kind}" (no matching "${closeStr}")`, start);
    let to = close;
    const rstrip = src[close - 1] === '-' && close - 1 >= inner;
    const keep = kind === '%' && src[close - 1] === '+' && close - 1 >= inner;
    if (rstrip || keep) to--;
    flush();
    if (kind === '{') {
      toks.push({ type: 'var', from: inner, to, start });
      pos = after(close + 2, rstrip, false);
      continue;
    }
    const nm = /^[ \t\r\n]*([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(inner, to));
    if (!nm) fail(t, 'a statement needs a tag name (if, for, set, macro, include, import, raw...)', inner);
    const name = nm[1];
    if (name === 'raw') {
      // {% raw %} ... {% endraw %}: the text between is output as it is.
      // Jinja does not apply trim_blocks to the opening raw tag.
      if (src.slice(inner, to).trim() !== 'raw') fail(t, '"raw" takes no arguments', inner);
      const bodyStart = after(close + 2, rstrip, false);
      const endRe = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
      endRe.lastIndex = bodyStart;
      const em = endRe.exec(src);
      if (!em) fail(t, 'unclosed "{% raw %}" (no matching "{% endraw %}")', start);
      let body = src.slice(bodyStart, em.index);
      if (em[1] === '-') body = body.replace(/[ \t\r\n\f\v]+$/, '');
      text += body;
      flush();
      pos = after(em.index + em[0].length, em[2] === '-', em[2] !== '+');
      continue;
    }
    toks.push({ type: 'block', name, from: inner + nm[0].length, to, start: inner + nm[0].length - name.length });
    pos = after(close + 2, rstrip, !keep);
  }
  flush();
  return toks;
}

// ---------------------------------------------------------------- statement parsing

interface TopTok {
  kind: 'word' | 'eq' | 'comma' | 'other';
  text: string;
  start: number;
  end: number;
}

/** Tokens of a tag at bracket depth 0 (words, `=`, `,`), skipping strings and bracketed parts. */
function topTokens(s: string, from: number, to: number): TopTok[] {
  const out: TopTok[] = [];
  let depth = 0;
  for (let i = from; i < to; i++) {
    const ch = s[i];
    if (ch === '"' || ch === "'") {
      const j = s.indexOf(ch, i + 1);
      i = j < 0 || j >= to ? to : j;
      if (depth === 0) out.push({ kind: 'other', text: ch, start: i, end: i + 1 });
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      if (depth === 0) out.push({ kind: 'other', text: ch, start: i, end: i + 1 });
      depth++;
      continue;
    }
    if (ch === ')' || ch === ']' || ch === '}') {
      depth = Math.max(0, depth - 1);
      continue;
    }
    if (depth > 0 || WS.test(ch)) continue;
    if (/[A-Za-z_]/.test(ch)) {
      let j = i;
      while (j < to && /[A-Za-z0-9_]/.test(s[j])) j++;
      // part of a dotted name (`a.in`) is not a keyword
      out.push({ kind: s[i - 1] === '.' ? 'other' : 'word', text: s.slice(i, j), start: i, end: j });
      i = j - 1;
    } else if (ch === '=' && !'=!<>'.includes(s[i - 1]) && s[i + 1] !== '=') {
      out.push({ kind: 'eq', text: '=', start: i, end: i + 1 });
    } else if (ch === ',') {
      out.push({ kind: 'comma', text: ',', start: i, end: i + 1 });
    } else {
      out.push({ kind: 'other', text: ch, start: i, end: i + 1 });
    }
  }
  return out;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

class StatementParser {
  private i = 0;
  private readonly refs: { name: string; at: number }[] = [];
  constructor(
    private readonly t: { source: string; file?: string },
    private readonly toks: Tok[],
  ) {}

  parse(): JinjaTemplate {
    const body = this.body([]);
    return { source: this.t.source, file: this.t.file, body, refs: this.refs };
  }

  private expr(from: number, to: number, what: string, literalBackslashes = false): Expr {
    if (this.t.source.slice(from, to).trim() === '') fail(this.t, `expected an expression ${what}`, from);
    try {
      return parseExpression(this.t.source, from, to, { callables: true, literalBackslashes });
    } catch (e) {
      if (e instanceof ExpressionError) fail(this.t, e.reason, e.offset);
      throw e;
    }
  }

  /** Names (`k, v` or `(k, v)`) assigned by for/set; `dotted` allows `ns.attr`. */
  private targets(from: number, to: number, what: string, dotted = false): string[] {
    let text = this.t.source.slice(from, to).trim();
    if (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1);
    const names = text.split(',').map((x) => x.trim());
    if (names.length > 1 && names[names.length - 1] === '') names.pop();
    for (const n of names) {
      const ok = IDENT.test(n) || (dotted && names.length === 1 && /^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(n));
      if (!ok) fail(this.t, `${what}: ${JSON.stringify(n)} is not a variable name`, from + Math.max(0, this.t.source.slice(from, to).indexOf(n)));
    }
    return names;
  }

  /** Statements until one of `ends` (returned as the stopping tag, not consumed). */
  private body(ends: string[]): Node[] {
    const out: Node[] = [];
    while (this.i < this.toks.length) {
      const tok = this.toks[this.i];
      if (tok.type === 'text') {
        out.push({ kind: 'text', value: tok.value });
        this.i++;
        continue;
      }
      if (tok.type === 'var') {
        // in playbook text (no file), `{{ }}` string literals keep their backslashes, as Ansible's Templar does
        out.push({ kind: 'output', expr: this.expr(tok.from, tok.to, 'inside "{{ }}"', this.t.file === undefined) });
        this.i++;
        continue;
      }
      if (ends.includes(tok.name)) return out;
      this.i++;
      out.push(this.statement(tok));
    }
    return out;
  }

  /** Consume the closing tag of a block started at `open`; one of `ends`. */
  /** How many `for` bodies the parser is in (a `block` there must be `scoped`). */
  private loopDepth = 0;

  private close(open: Extract<Tok, { type: 'block' }>, ends: string[]): Extract<Tok, { type: 'block' }> {
    const tok = this.toks[this.i];
    if (!tok || tok.type !== 'block' || !ends.includes(tok.name)) {
      fail(this.t, `"{% ${open.name} %}" is not closed: expected ${ends.map((e) => `"{% ${e} %}"`).join(' or ')} before the end of the template`, open.start);
    }
    this.i++;
    return tok;
  }

  private noArgs(tok: Extract<Tok, { type: 'block' }>): void {
    const rest = this.t.source.slice(tok.from, tok.to);
    if (rest.trim()) fail(this.t, `"${tok.name}" takes no arguments`, tok.from + rest.search(/\S/));
  }

  private statement(tok: Extract<Tok, { type: 'block' }>): Node {
    const { source } = this.t;
    const { from, to } = tok;
    switch (tok.name) {
      case 'if': {
        const branches = [{ cond: this.expr(from, to, 'after "if"'), body: this.body(['elif', 'else', 'endif']) }];
        let orelse: Node[] = [];
        for (;;) {
          const end = this.close(tok, ['elif', 'else', 'endif']);
          if (end.name === 'elif') {
            branches.push({ cond: this.expr(end.from, end.to, 'after "elif"'), body: this.body(['elif', 'else', 'endif']) });
          } else if (end.name === 'else') {
            this.noArgs(end);
            orelse = this.body(['endif']);
            this.noArgs(this.close(tok, ['endif']));
            break;
          } else {
            this.noArgs(end);
            break;
          }
        }
        return { kind: 'if', branches, orelse };
      }
      case 'for': {
        const top = topTokens(source, from, to);
        const inTok = top.find((x) => x.kind === 'word' && x.text === 'in');
        if (!inTok) fail(this.t, 'expected "for NAME in LIST"', from);
        const targets = this.targets(from, inTok.start, 'for');
        const rest = top.filter((x) => x.start > inTok.start);
        const rec = rest.find((x) => x.kind === 'word' && x.text === 'recursive');
        if (rec) fail(this.t, 'recursive loops are not supported in tsplay', rec.start);
        const ifTok = rest.find((x) => x.kind === 'word' && x.text === 'if');
        const iter = this.expr(inTok.end, ifTok ? ifTok.start : to, 'after "in"');
        const cond = ifTok ? this.expr(ifTok.end, to, 'after "if"') : undefined;
        this.loopDepth++;
        const body = this.body(['else', 'endfor']);
        this.loopDepth--;
        let orelse: Node[] = [];
        const end = this.close(tok, ['else', 'endfor']);
        this.noArgs(end);
        if (end.name === 'else') {
          orelse = this.body(['endfor']);
          this.noArgs(this.close(tok, ['endfor']));
        }
        return { kind: 'for', targets, iter, cond, body, orelse, at: tok.start };
      }
      case 'set': {
        const top = topTokens(source, from, to);
        const eq = top.find((x) => x.kind === 'eq');
        if (eq) return { kind: 'set', targets: this.targets(from, eq.start, 'set', true), expr: this.expr(eq.end, to, 'after "="'), at: tok.start };
        const name = source.slice(from, to).trim();
        if (!IDENT.test(name)) fail(this.t, `expected "set NAME = value" or "set NAME" … "endset"`, from);
        const body = this.body(['endset']);
        this.noArgs(this.close(tok, ['endset']));
        return { kind: 'setblock', target: name, body };
      }
      case 'macro': {
        const m = /^\s*([A-Za-z_]\w*)\s*\(/.exec(source.slice(from, to));
        if (!m) fail(this.t, 'expected "macro NAME(params)"', from);
        const open = from + m[0].length - 1;
        const closeParen = findTagEnd(source, open + 1, ')');
        if (closeParen < 0 || closeParen >= to) fail(this.t, 'unclosed "(" in the macro parameters', open);
        if (source.slice(closeParen + 1, to).trim()) fail(this.t, 'unexpected text after the macro parameters', closeParen + 1);
        const params: { name: string; dflt?: Expr }[] = [];
        let p = open + 1;
        const parts = topTokens(source, open + 1, closeParen).filter((x) => x.kind === 'comma');
        for (const bound of [...parts.map((x) => x.start), closeParen]) {
          const seg = source.slice(p, bound);
          if (seg.trim()) {
            const eq = topTokens(source, p, bound).find((x) => x.kind === 'eq');
            const nameText = source.slice(p, eq ? eq.start : bound).trim();
            if (!IDENT.test(nameText)) fail(this.t, `macro parameter ${JSON.stringify(nameText)} is not a name`, p + seg.search(/\S/));
            if (!eq && params.some((x) => x.dflt)) fail(this.t, `macro parameter "${nameText}" without a default follows one with a default`, p + seg.search(/\S/));
            params.push({ name: nameText, dflt: eq ? this.expr(eq.end, bound, 'as the default') : undefined });
          }
          p = bound + 1;
        }
        const body = this.body(['endmacro']);
        this.noArgs(this.close(tok, ['endmacro']));
        return { kind: 'macro', name: m[1], params, body, at: tok.start };
      }
      case 'with': {
        const top = topTokens(source, from, to);
        const assigns: [string, Expr][] = [];
        let p = from;
        for (const bound of [...top.filter((x) => x.kind === 'comma').map((x) => x.start), to]) {
          if (source.slice(p, bound).trim()) {
            const eq = top.find((x) => x.kind === 'eq' && x.start > p && x.start < bound);
            if (!eq) fail(this.t, 'expected "with NAME = value, ..."', p);
            assigns.push([this.targets(p, eq.start, 'with')[0], this.expr(eq.end, bound, 'after "="')]);
          }
          p = bound + 1;
        }
        const body = this.body(['endwith']);
        this.noArgs(this.close(tok, ['endwith']));
        return { kind: 'with', assigns, body };
      }
      case 'block': {
        // A block in a template that extends nothing renders in place (Jinja's own rule); `{% extends %}`
        // is what would make it replaceable, and stays refused. Its `set`s stay inside, as in Jinja.
        const m = /^\s*([A-Za-z_]\w*)((?:\s+(?:scoped|required))*)\s*$/.exec(source.slice(from, to));
        if (!m) fail(this.t, 'expected "block NAME"', from);
        // In a loop, Jinja shows a block the loop's variables only when it is `scoped` (else they are undefined there).
        if (this.loopDepth > 0 && !/scoped/.test(m[2])) fail(this.t, `"{% block ${m[1]} %}" inside a loop does not see the loop's variables in Jinja; write "{% block ${m[1]} scoped %}"`, tok.start);
        const body = this.body(['endblock']);
        const end = this.close(tok, ['endblock']);
        const closing = source.slice(end.from, end.to).trim();
        if (closing && closing !== m[1]) fail(this.t, `"endblock ${closing}" closes "block ${m[1]}"`, end.from + source.slice(end.from, end.to).search(/\S/));
        return { kind: 'with', assigns: [], body };
      }
      case 'include': {
        // Jinja's order: `include NAME [ignore missing] [with|without context]`.
        const ctx = contextTail(source, from, to, true);
        const { withContext } = ctx;
        let { end } = ctx;
        let ignoreMissing = false;
        const im = /\s+ignore\s+missing\s*$/.exec(source.slice(from, end));
        if (im) {
          ignoreMissing = true;
          end -= im[0].length;
        }
        const name = this.expr(from, end, 'naming the template to include');
        this.noteRef(name);
        return { kind: 'include', name, ignoreMissing, withContext, at: tok.start };
      }
      case 'import': {
        const { end, withContext } = contextTail(source, from, to, false);
        const { name, word: as } = this.nameBefore(from, end, 'as', 'expected "import \'file\' as NAME"', 'naming the template to import');
        const alias = this.targets(as.end, end, 'import')[0];
        return { kind: 'import', name, alias, withContext, at: tok.start };
      }
      case 'from': {
        const { end, withContext } = contextTail(source, from, to, false);
        const { name, word: imp } = this.nameBefore(from, end, 'import', 'expected "from \'file\' import NAME"', 'naming the template to import from');
        const names: { name: string; alias: string; at: number }[] = [];
        for (const m of source.slice(imp.end, end).matchAll(/[^,]+/g)) {
          const part = m[0].trim();
          if (!part) continue;
          const at = imp.end + m.index + m[0].search(/\S/);
          const pm = /^([A-Za-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?$/.exec(part);
          if (!pm) fail(this.t, `expected "NAME" or "NAME as ALIAS", found ${JSON.stringify(part)}`, at);
          names.push({ name: pm[1], alias: pm[2] ?? pm[1], at });
        }
        if (!names.length) fail(this.t, 'expected names after "import"', imp.end);
        return { kind: 'from', name, names, withContext, at: tok.start };
      }
      case 'elif':
      case 'else':
      case 'endif':
      case 'endfor':
      case 'endset':
      case 'endmacro':
      case 'endwith':
      case 'endraw':
      case 'endblock':
        return fail(this.t, `unexpected "{% ${tok.name} %}": no open block it closes`, tok.start);
      case 'extends':
      case 'call':
      case 'filter':
      case 'autoescape':
        return fail(this.t, `"{% ${tok.name} %}" is not supported in tsplay (supported: if, for, set, macro, with, block, include, import, from, raw)`, tok.start);
      default:
        return fail(this.t, `unknown statement "{% ${tok.name} %}" (supported: if, for, set, macro, with, block, include, import, from, raw)`, tok.start);
    }
  }

  private noteRef(name: Expr): void {
    if (name.kind === 'literal' && typeof name.value === 'string') this.refs.push({ name: name.value, at: name.start });
  }

  /** `import NAME as ...`, `from NAME import ...`: the template name before the top-level `word`, noted as a reference. */
  private nameBefore(from: number, end: number, word: string, missing: string, what: string): { name: Expr; word: TopTok } {
    const found = topTokens(this.t.source, from, end).find((x) => x.kind === 'word' && x.text === word);
    if (!found) fail(this.t, missing, from);
    const name = this.expr(from, found.start, what);
    this.noteRef(name);
    return { name, word: found };
  }
}

/** A tag's trailing `with context` / `without context`: where the rest ends, and the context flag (`dflt` without one). */
function contextTail(source: string, from: number, to: number, dflt: boolean): { end: number; withContext: boolean } {
  const tail = /\s+(with|without)\s+context\s*$/.exec(source.slice(from, to));
  return tail ? { end: to - tail[0].length, withContext: tail[1] === 'with' } : { end: to, withContext: dflt };
}

const CACHE = new Map<string, JinjaTemplate>();
const CACHE_MAX = 5_000;

/** Parse a template (cached by file and source). Throws TemplateError with the line and column. */
export function compileJinja(source: string, file?: string): JinjaTemplate {
  const key = `${file ?? ''}\0${source}`;
  let c = CACHE.get(key);
  if (c) return c;
  const t = { source, file };
  c = new StatementParser(t, lex(t)).parse();
  if (CACHE.size >= CACHE_MAX) CACHE.clear();
  CACHE.set(key, c);
  return c;
}

/**
 * Does this string need the statement renderer: `{% %}`, `{# #}` or `{{- -}}`
 * whitespace control? (Handlebars' `{{!-- --}}` and `{{#if}}` are not Jinja.)
 */
export function isJinjaStatementTemplate(s: string): boolean {
  return s.includes('{%') || hasComment(s) || s.includes('{{-') || /(^|[^-])-\}\}/.test(s);
}

/** A `{#` that opens a Jinja comment (not the `{#` inside handlebars' `{{#if}}`). */
export function hasComment(s: string): boolean {
  for (let i = s.indexOf('{#'); i >= 0; i = s.indexOf('{#', i + 2)) if (s[i - 1] !== '{') return true;
  return false;
}

// ---------------------------------------------------------------- loading included templates

/** Find an included/imported template: beside the including file, then along the search path. */
export function resolveTemplateName(name: string, fromFile: string | undefined, loader: JinjaLoader): string | undefined {
  const dirs = [...(fromFile ? [dirname(fromFile)] : []), ...loader.searchPath];
  if (isAbsolute(name)) return isFile(name) ? name : undefined;
  for (const d of dirs) {
    const p = resolve(d, name);
    if (isFile(p)) return p;
  }
  return undefined;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function loadTemplateFile(path: string): JinjaTemplate {
  return compileJinja(readFileSync(path, 'utf8'), path);
}

/**
 * Check a template and, recursively, the templates it names statically
 * (`{% include 'x' %}`, `{% import 'x' as m %}`): syntax and existence.
 * Throws TemplateError naming the file, line and column.
 */
export function checkJinja(source: string, file: string | undefined, loader: JinjaLoader, seen = new Set<string>()): void {
  const t = compileJinja(source, file);
  if (file) seen.add(file);
  for (const ref of t.refs) {
    const path = resolveTemplateName(ref.name, file, loader);
    if (!path) fail(t, `template ${JSON.stringify(ref.name)} not found (looked beside the template and in ${loader.searchPath.join(', ') || 'no other directory'})`, ref.at);
    if (seen.has(path)) continue;
    checkJinja(readFileSync(path, 'utf8'), path, loader, seen);
  }
}

// ---------------------------------------------------------------- rendering

/** Jinja's globals available in every template (variables of the same name win). */
const GLOBALS: Record<string, Callable> = {
  range: (args) => {
    const n = args.map((a) => {
      if (typeof a !== 'number' || !Number.isInteger(a)) throw new FilterError(`range() takes integers, got ${typeName(a)}`);
      return a;
    });
    const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
    if (step === 0) throw new FilterError('range() step must not be zero');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
      out.push(i);
      if (out.length > 100_000) throw new FilterError('range() is limited to 100000 items');
    }
    return out;
  },
  // A namespace is the one object `{% set ns.x = … %}` may assign to (no prototype marks it).
  namespace: (args, kwargs) => mergeArgs(Object.create(null) as Record<string, unknown>, args, kwargs),
  dict: (args, kwargs) => mergeArgs({}, args, kwargs),
};

function mergeArgs(into: Record<string, unknown>, args: unknown[], kwargs: Record<string, unknown>): Record<string, unknown> {
  for (const a of args) {
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new FilterError(`expected a mapping, got ${typeName(a)}`);
    Object.assign(into, a);
  }
  return Object.assign(into, kwargs);
}

type Scope = Record<string, unknown>;

function define(scope: Scope, name: string, value: unknown): void {
  Object.defineProperty(scope, name, { value, enumerable: true, configurable: true, writable: true });
}

function child(scope: Scope): Scope {
  return Object.create(scope) as Scope;
}

/** The items a for loop walks: a list, a mapping's keys, a string's characters. */
function iterate(t: JinjaTemplate, v: unknown, at: number): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (v !== null && typeof v === 'object') return Object.keys(v);
  return fail(t, `for: cannot loop over a ${typeName(v)}`, at);
}

interface RenderCtx {
  loader: JinjaLoader;
  depth: number;
}

class Renderer {
  constructor(
    private readonly t: JinjaTemplate,
    private readonly ctx: RenderCtx,
  ) {}

  private value(e: Expr, scope: Scope): unknown {
    try {
      return evaluate(e, scope);
    } catch (err) {
      if (err instanceof UndefinedVariableError) fail(this.t, err.reason, err.offset, err.variable);
      if (err instanceof ExpressionError && err.source === this.t.source) fail(this.t, err.reason, err.offset);
      if (err instanceof FilterError) fail(this.t, err.message, e.start);
      throw err;
    }
  }

  render(nodes: Node[], scope: Scope, out: string[]): void {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          out.push(n.value);
          break;
        case 'output':
          out.push(toText(this.value(n.expr, scope)));
          break;
        case 'if': {
          const b = n.branches.find((x) => truthy(this.value(x.cond, scope)));
          this.render(b ? b.body : n.orelse, scope, out);
          break;
        }
        case 'for':
          this.loop(n, scope, out);
          break;
        case 'set': {
          const v = this.value(n.expr, scope);
          if (n.targets.length === 1 && n.targets[0].includes('.')) {
            const [ns, attr] = n.targets[0].split('.');
            const obj = scope[ns];
            if (!obj || typeof obj !== 'object' || Object.getPrototypeOf(obj) !== null) {
              fail(this.t, `set ${n.targets[0]}: "${ns}" is not a namespace() (only a namespace takes attribute assignment)`, n.at);
            }
            (obj as Record<string, unknown>)[attr] = v;
          } else if (n.targets.length === 1) {
            define(scope, n.targets[0], v);
          } else {
            const items = Array.isArray(v) ? v : typeof v === 'string' ? [...v] : undefined;
            if (!items || items.length !== n.targets.length) {
              fail(this.t, `set: cannot unpack ${typeName(v)} into ${n.targets.length} names`, n.at);
            }
            n.targets.forEach((name, i) => define(scope, name, items[i]));
          }
          break;
        }
        case 'setblock': {
          const parts: string[] = [];
          this.render(n.body, child(scope), parts);
          define(scope, n.target, parts.join(''));
          break;
        }
        case 'macro':
          define(scope, n.name, this.macro(n, scope));
          break;
        case 'with': {
          const inner = child(scope);
          for (const [name, e] of n.assigns) define(inner, name, this.value(e, scope));
          this.render(n.body, inner, out);
          break;
        }
        case 'include': {
          const name = this.value(n.name, scope);
          const names = Array.isArray(name) ? name : [name];
          let path: string | undefined;
          for (const x of names) {
            if (typeof x !== 'string') fail(this.t, `include: a template name must be a string, got ${typeName(x)}`, n.name.start);
            path = resolveTemplateName(x, this.t.file, this.ctx.loader);
            if (path) break;
          }
          if (!path) {
            if (n.ignoreMissing) break;
            fail(this.t, `include: template ${names.map((x) => JSON.stringify(x)).join(', ')} not found (looked beside the template and in ${this.ctx.loader.searchPath.join(', ') || 'no other directory'})`, n.name.start);
          }
          const sub = this.sub(path, n.at);
          sub.render(sub.t.body, n.withContext ? child(scope) : child(rootOf(scope)), out);
          break;
        }
        case 'import':
          define(scope, n.alias, this.module(n.name, n.withContext, scope, n.at));
          break;
        case 'from': {
          const mod = this.module(n.name, n.withContext, scope, n.at);
          for (const x of n.names) {
            if (!Object.hasOwn(mod, x.name)) fail(this.t, `from … import: the template defines no macro or variable "${x.name}"`, x.at);
            define(scope, x.alias, mod[x.name]);
          }
          break;
        }
      }
    }
  }

  private sub(path: string, at: number): Renderer {
    if (this.ctx.depth >= 50) fail(this.t, 'templates include each other too deeply (more than 50 levels)', at);
    let t: JinjaTemplate;
    try {
      t = loadTemplateFile(path);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      return fail(this.t, `cannot read template ${path}: ${(e as Error).message}`, at);
    }
    return new Renderer(t, { ...this.ctx, depth: this.ctx.depth + 1 });
  }

  /** `{% import %}`: render the template for its top-level macros and sets; they are its exports. */
  private module(nameExpr: Expr, withContext: boolean, scope: Scope, at: number): Record<string, unknown> {
    const name = this.value(nameExpr, scope);
    if (typeof name !== 'string') fail(this.t, `import: a template name must be a string, got ${typeName(name)}`, nameExpr.start);
    const path = resolveTemplateName(name, this.t.file, this.ctx.loader);
    if (!path) fail(this.t, `import: template ${JSON.stringify(name)} not found (looked beside the template and in ${this.ctx.loader.searchPath.join(', ') || 'no other directory'})`, nameExpr.start);
    const sub = this.sub(path, at);
    // Without context an imported template sees only Jinja's globals, as in Jinja.
    const modScope = withContext ? child(scope) : child(globalsScope());
    sub.render(sub.t.body, modScope, []);
    const exports: Record<string, unknown> = {};
    for (const k of Object.keys(modScope)) if (!k.startsWith('_')) exports[k] = modScope[k];
    return exports;
  }

  private macro(n: Extract<Node, { kind: 'macro' }>, defScope: Scope): Callable {
    return (args, kwargs) => {
      if (args.length > n.params.length) {
        throw new FilterError(`macro "${n.name}" takes ${n.params.length} argument${n.params.length === 1 ? '' : 's'}, got ${args.length}`);
      }
      const scope = child(defScope);
      n.params.forEach((p, i) => {
        if (i < args.length) {
          if (Object.hasOwn(kwargs, p.name)) throw new FilterError(`macro "${n.name}" got argument "${p.name}" twice`);
          define(scope, p.name, args[i]);
        } else if (Object.hasOwn(kwargs, p.name)) define(scope, p.name, kwargs[p.name]);
        else if (p.dflt) define(scope, p.name, this.value(p.dflt, scope));
        else throw new FilterError(`macro "${n.name}": missing argument "${p.name}"`);
      });
      for (const k of Object.keys(kwargs)) {
        if (!n.params.some((p) => p.name === k)) throw new FilterError(`macro "${n.name}" has no parameter "${k}"`);
      }
      const out: string[] = [];
      this.render(n.body, scope, out);
      return out.join('');
    };
  }

  private loop(n: Extract<Node, { kind: 'for' }>, scope: Scope, out: string[]): void {
    let items = iterate(this.t, this.value(n.iter, scope), n.iter.start);
    const bind = (s: Scope, item: unknown) => {
      if (n.targets.length === 1) {
        define(s, n.targets[0], item);
        return;
      }
      const parts = Array.isArray(item) ? item : typeof item === 'string' ? [...item] : undefined;
      if (!parts || parts.length !== n.targets.length) {
        fail(this.t, `for ${n.targets.join(', ')}: cannot unpack ${typeName(item)} into ${n.targets.length} names`, n.at);
      }
      n.targets.forEach((name, i) => define(s, name, parts[i]));
    };
    if (n.cond) {
      const cond = n.cond;
      items = items.filter((item) => {
        const s = child(scope);
        bind(s, item);
        return truthy(this.value(cond, s));
      });
    }
    if (items.length === 0) {
      this.render(n.orelse, scope, out);
      return;
    }
    const length = items.length;
    let lastChanged: string | undefined;
    items.forEach((item, i) => {
      const s = child(scope);
      bind(s, item);
      const loop = {
        index: i + 1,
        index0: i,
        revindex: length - i,
        revindex0: length - i - 1,
        first: i === 0,
        last: i === length - 1,
        length,
        depth: 1,
        depth0: 0,
        previtem: i > 0 ? items[i - 1] : undefined,
        nextitem: i < length - 1 ? items[i + 1] : undefined,
        cycle: ((args: unknown[]) => {
          if (!args.length) throw new FilterError('loop.cycle() needs at least one value');
          return args[i % args.length];
        }) as Callable,
        changed: ((args: unknown[]) => {
          const key = JSON.stringify(args);
          const prev = lastChanged;
          lastChanged = key;
          return prev !== key;
        }) as Callable,
      };
      define(s, 'loop', loop);
      this.render(n.body, s, out);
    });
  }
}

let GLOBAL_SCOPE: Scope | undefined;
function globalsScope(): Scope {
  if (!GLOBAL_SCOPE) {
    GLOBAL_SCOPE = Object.create(null) as Scope;
    for (const [k, v] of Object.entries(GLOBALS)) define(GLOBAL_SCOPE, k, v);
  }
  return GLOBAL_SCOPE;
}

/** The template's own top-level scope (where `{% set %}` at the top writes). */
const ROOT = Symbol('jinja root');
function rootOf(scope: Scope): Scope {
  let s: Scope | null = scope;
  while (s && !Object.hasOwn(s, ROOT)) s = Object.getPrototypeOf(s) as Scope | null;
  return s ?? scope;
}

function topScope(vars: Record<string, unknown>): Scope {
  const scope = child(vars);
  Object.defineProperty(scope, ROOT, { value: true });
  for (const [k, v] of Object.entries(GLOBALS)) if (!(k in vars)) define(scope, k, v);
  return scope;
}

export interface RenderJinjaOptions {
  /** The template file (for messages and for includes beside it). */
  file?: string;
  loader?: JinjaLoader;
}

/**
 * Render a template with statements to a string, as Ansible renders it: Jinja
 * with trim_blocks, then the source's trailing newlines restored.
 */
export function renderJinja(source: string, vars: Record<string, unknown>, opts: RenderJinjaOptions = {}): string {
  const t = compileJinja(source, opts.file);
  const out: string[] = [];
  new Renderer(t, { loader: opts.loader ?? { searchPath: [] }, depth: 0 }).render(t.body, topScope(vars), out);
  let res = out.join('');
  // Ansible (Templar.do_template): the result keeps as many trailing newlines as the source had.
  const want = trailingNewlines(source);
  const have = trailingNewlines(res);
  if (want > have) res += '\n'.repeat(want - have);
  return res;
}

/**
 * The value of a rendered string, as Ansible 2.14 gives it (ansible_eval_concat
 * with jinja2_native off): text that starts with `[` or `{` and is a literal
 * list or mapping becomes that value, `True`/`False` become booleans, anything
 * else stays text (`"5"` stays a string).
 */
export function ansibleConcatResult(s: string): unknown {
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (s[0] !== '[' && s[0] !== '{') return s;
  let e: Expr;
  try {
    e = parseExpression(s);
  } catch {
    return s;
  }
  const literal = (x: Expr): boolean =>
    x.kind === 'literal' ||
    (x.kind === 'neg' && x.operand.kind === 'literal') ||
    (x.kind === 'list' && x.items.every(literal)) ||
    (x.kind === 'dict' && x.entries.every(([k, v]) => literal(k) && literal(v)));
  return literal(e) ? evaluate(e, {}) : s;
}

function trailingNewlines(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\n'; i--) n++;
  return n;
}

/**
 * Root variables a template reads that it does not bind itself (set, for,
 * macro, import names and Jinja's globals are bound by the template).
 */
export function jinjaVariables(source: string): string[] {
  const t = compileJinja(source);
  const bound = new Set<string>(['loop', 'caller', 'varargs', 'kwargs', ...Object.keys(GLOBALS)]);
  const read = new Set<string>();
  const walk = (nodes: Node[]): void => {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          break;
        case 'output':
          expressionVariables(n.expr, read);
          break;
        case 'if':
          for (const b of n.branches) {
            expressionVariables(b.cond, read);
            walk(b.body);
          }
          walk(n.orelse);
          break;
        case 'for':
          n.targets.forEach((x) => bound.add(x));
          expressionVariables(n.iter, read);
          if (n.cond) expressionVariables(n.cond, read);
          walk(n.body);
          walk(n.orelse);
          break;
        case 'set':
          n.targets.forEach((x) => bound.add(x.split('.')[0]));
          expressionVariables(n.expr, read);
          break;
        case 'setblock':
          bound.add(n.target);
          walk(n.body);
          break;
        case 'macro':
          bound.add(n.name);
          n.params.forEach((p) => {
            bound.add(p.name);
            if (p.dflt) expressionVariables(p.dflt, read);
          });
          walk(n.body);
          break;
        case 'with':
          n.assigns.forEach(([k, e]) => {
            bound.add(k);
            expressionVariables(e, read);
          });
          walk(n.body);
          break;
        case 'include':
          expressionVariables(n.name, read);
          break;
        case 'import':
          bound.add(n.alias);
          break;
        case 'from':
          n.names.forEach((x) => bound.add(x.alias));
          break;
      }
    }
  };
  walk(t.body);
  return [...read].filter((x) => !bound.has(x));
}
