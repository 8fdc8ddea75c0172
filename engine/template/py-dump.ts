// Python's json.dumps and PyYAML's yaml.dump, as Ansible's to_json,
// to_nice_json, to_yaml and to_nice_yaml call them, for the values templates
// hold (strings, numbers, booleans, none, lists, mappings): the same bytes
// for the same value, so a rendered config file does not change when a site
// moves from Ansible (checked against ansible-core in
// test/unit/engine/template/expression-ansible.test.ts).
//
// Written from the documented behaviour of both libraries: json's
// separators/indent/sort_keys/ensure_ascii; PyYAML's emitter rules for plain,
// single- and double-quoted scalars, flow style for collections of scalars
// (default_flow_style=None), block style otherwise, indentless sequences in
// mappings, line folding at `width`.

import { pyNumber } from './py-text.js';

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------- JSON

export interface JsonOptions {
  indent?: unknown;
  sort_keys?: unknown;
  separators?: unknown;
  ensure_ascii?: unknown;
}

function jsonString(s: string, ascii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ascii && c > 0x7e)) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** json.dumps(v, indent=…, sort_keys=…, separators=…, ensure_ascii=…) */
export function pyJson(v: unknown, o: JsonOptions = {}): string {
  const indent = o.indent === undefined || o.indent === null ? undefined : typeof o.indent === 'string' ? o.indent : ' '.repeat(Number(o.indent));
  const seps = Array.isArray(o.separators) ? o.separators.map(String) : indent === undefined ? [', ', ': '] : [',', ': '];
  const [itemSep, keySep] = seps;
  const ascii = o.ensure_ascii === undefined ? true : o.ensure_ascii === true;
  const sortKeys = o.sort_keys === true;
  const walk = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return 'null';
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : !Number.isFinite(x) ? (x > 0 ? 'Infinity' : '-Infinity') : pyNumber(x);
    if (typeof x === 'string') return jsonString(x, ascii);
    const nl = indent === undefined ? '' : '\n' + indent.repeat(depth + 1);
    const close = indent === undefined ? '' : '\n' + indent.repeat(depth);
    if (Array.isArray(x)) {
      if (!x.length) return '[]';
      return '[' + nl + x.map((y) => walk(y, depth + 1)).join(itemSep + nl) + close + ']';
    }
    if (typeof x === 'object') {
      const inner = (x as { toJSON?: () => unknown }).toJSON;
      if (typeof inner === 'function') return walk(inner.call(x), depth);
      const keys = Object.keys(x);
      if (sortKeys) keys.sort();
      if (!keys.length) return '{}';
      return '{' + nl + keys.map((k) => jsonString(k, ascii) + keySep + walk((x as Record<string, unknown>)[k], depth + 1)).join(itemSep + nl) + close + '}';
    }
    return jsonString(typeof x === 'bigint' ? x.toString() : '', ascii);
  };
  return walk(v, 0);
}

// ---------------------------------------------------------------- YAML

export interface YamlOptions {
  /** true: collections of scalars in flow style (default_flow_style=None); false: block style throughout */
  flow: boolean;
  indent: unknown;
  width?: unknown;
  default_flow_style?: unknown;
  sort_keys?: unknown;
  allow_unicode?: unknown;
}

// PyYAML's implicit resolvers: a plain scalar matching one of these would load as something other than a string.
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:<<|=)$/,
];

interface Analysis {
  empty: boolean;
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
}

function printable(c: number, unicode: boolean): boolean {
  if (c === 0x0a || (c >= 0x20 && c <= 0x7e)) return true;
  return unicode && (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000) && c !== 0xfeff;
}

/** PyYAML's Emitter.analyze_scalar, for the styles it allows. */
function analyze(s: string, unicode: boolean): Analysis {
  if (s === '') return { empty: true, multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true };
  let blockInd = false;
  let flowInd = false;
  let lineBreaks = false;
  let special = false;
  let spaceBreak = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  if (s.startsWith('---') || s.startsWith('...')) {
    blockInd = true;
    flowInd = true;
  }
  let precededByWs = true;
  const chars = [...s];
  let prevSpace = false;
  let prevBreak = false;
  chars.forEach((ch, i) => {
    const followedByWs = i + 1 >= chars.length || ' \t\n\x85\u2028\u2029'.includes(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowInd = true;
        blockInd = true;
      }
      if (ch === '?' || ch === ':') {
        flowInd = true;
        if (followedByWs) blockInd = true;
      }
      if (ch === '-' && followedByWs) {
        flowInd = true;
        blockInd = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowInd = true;
      if (ch === ':') {
        flowInd = true;
        if (followedByWs) blockInd = true;
      }
      if (ch === '#' && precededByWs) {
        flowInd = true;
        blockInd = true;
      }
    }
    if ('\n\x85\u2028\u2029'.includes(ch)) lineBreaks = true;
    if (!printable(ch.codePointAt(0)!, unicode)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if ('\n\x85\u2028\u2029'.includes(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWs = ' \t\n\x85\u2028\u2029'.includes(ch);
  });
  let flowPlain = true;
  let blockPlain = true;
  let singleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) flowPlain = blockPlain = false;
  if (trailingSpace) singleQuoted = false;
  if (spaceBreak || special) flowPlain = blockPlain = singleQuoted = false;
  if (breakSpace) flowPlain = blockPlain = singleQuoted = false;
  if (lineBreaks) flowPlain = blockPlain = false;
  if (flowInd) flowPlain = false;
  if (blockInd) blockPlain = false;
  return { empty: false, multiline: lineBreaks, flowPlain, blockPlain, singleQuoted };
}

const DOUBLE_ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\v': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xa0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

class YamlWriter {
  out = '';
  column = 0;
  private readonly best: number;
  private readonly width: number;
  private readonly unicode: boolean;
  private readonly sortKeys: boolean;
  private readonly flowLeaves: boolean;
  constructor(o: YamlOptions) {
    const ind = Number(o.indent ?? 2);
    this.best = ind > 1 && ind < 10 ? ind : 2;
    const w = Number(o.width ?? 80);
    this.width = w > this.best * 2 ? w : 80;
    this.unicode = o.allow_unicode === undefined ? true : o.allow_unicode === true;
    this.sortKeys = o.sort_keys === undefined ? true : o.sort_keys === true;
    this.flowLeaves = o.default_flow_style === undefined ? o.flow : o.default_flow_style === null;
    if (o.default_flow_style === true) throw new Error('default_flow_style=True is not supported');
  }

  private write(s: string): void {
    this.out += s;
    const nl = s.lastIndexOf('\n');
    this.column = nl < 0 ? this.column + s.length : s.length - nl - 1;
  }
  private newline(indent: number): void {
    this.write('\n' + ' '.repeat(indent));
  }

  private keys(m: Record<string, unknown>): string[] {
    const k = Object.keys(m);
    return this.sortKeys ? k.sort() : k;
  }

  private isFlow(v: unknown): boolean {
    if (Array.isArray(v)) return v.length === 0 || (this.flowLeaves && v.every((x) => !isCollection(x)));
    if (isMapping(v)) return Object.keys(v).length === 0 || (this.flowLeaves && Object.values(v).every((x) => !isCollection(x)));
    return false;
  }

  scalarText(v: unknown): { text: string; plain: boolean } | undefined {
    if (v === null || v === undefined) return { text: 'null', plain: true };
    if (v === true) return { text: 'true', plain: true };
    if (v === false) return { text: 'false', plain: true };
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return { text: '.nan', plain: true };
      if (!Number.isFinite(v)) return { text: v > 0 ? '.inf' : '-.inf', plain: true };
      let t = pyNumber(v).toLowerCase();
      if (!Number.isInteger(v) && !t.includes('.') && t.includes('e')) t = t.replace('e', '.0e');
      return { text: t, plain: true };
    }
    return undefined;
  }

  /** Write a string scalar in the style PyYAML picks; `indent` is where folded lines continue. */
  private string(s: string, indent: number, flow: boolean, simpleKey: boolean): void {
    const a = analyze(s, this.unicode);
    const implicit = !IMPLICIT.some((re) => re.test(s));
    if (implicit && !(simpleKey && (a.empty || a.multiline)) && (flow ? a.flowPlain : a.blockPlain)) return this.plain(s, indent, !simpleKey);
    if (a.singleQuoted && !(simpleKey && a.multiline)) return this.single(s, indent, !simpleKey);
    return this.double(s);
  }

  private plain(s: string, indent: number, split: boolean): void {
    const words = s.split(' ');
    let first = true;
    for (const w of words) {
      if (!first) {
        if (split && this.column > this.width && w !== '') this.newline(indent);
        else this.write(' ');
      }
      this.write(w);
      first = false;
    }
  }

  private single(s: string, indent: number, split: boolean): void {
    this.write("'");
    const text = s.replace(/'/g, "''");
    // runs of spaces, runs of line breaks, and other text, as PyYAML's write_single_quoted walks them
    const parts = text.match(/ +|\n+|[^ \n]+/g) ?? [];
    parts.forEach((p, i) => {
      if (p[0] === ' ') {
        if (p.length === 1 && split && this.column > this.width && i !== 0 && i !== parts.length - 1) this.newline(indent);
        else this.write(p);
      } else if (p[0] === '\n') {
        this.write('\n'.repeat(p.length + 1));
        this.write(' '.repeat(indent));
      } else this.write(p);
    });
    this.write("'");
  }

  private double(s: string): void {
    let out = '"';
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      if (Object.hasOwn(DOUBLE_ESCAPES, ch)) out += '\\' + DOUBLE_ESCAPES[ch];
      else if (printable(c, this.unicode) && c !== 0xfeff) out += ch;
      else if (c <= 0xff) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
      else if (c <= 0xffff) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
      else out += '\\U' + c.toString(16).toUpperCase().padStart(8, '0');
    }
    this.write(out + '"');
  }

  scalar(v: unknown, indent: number, flow: boolean, simpleKey = false): void {
    const t = this.scalarText(v);
    if (t) return this.write(t.text);
    this.string(typeof v === 'string' ? v : '', indent, flow, simpleKey);
  }

  private flowNode(v: unknown, indent: number): void {
    if (Array.isArray(v)) {
      this.write('[');
      v.forEach((x, i) => {
        if (i) this.write(', ');
        this.flowNode(x, indent + this.best);
      });
      return this.write(']');
    }
    if (isMapping(v)) {
      this.write('{');
      this.keys(v).forEach((k, i) => {
        if (i) this.write(', ');
        this.scalar(k, indent + this.best, true, true);
        this.write(': ');
        this.flowNode(v[k], indent + this.best);
      });
      return this.write('}');
    }
    this.scalar(v, indent + this.best, true);
  }

  /** A node at `indent`; the cursor is already where it starts. */
  node(v: unknown, indent: number, root = false): void {
    if (this.isFlow(v) || !isCollection(v)) {
      // a root scalar's folded lines continue one indentation step in
      if (root && !isCollection(v)) return this.scalar(v, indent + this.best, false);
      return isCollection(v) ? this.flowNode(v, indent) : this.scalar(v, indent + this.best, false);
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        if (i) this.newline(indent);
        // a block collection as an item starts at the next indentation step; a scalar after "- "
        const block = isCollection(x) && !this.isFlow(x);
        this.write(block ? '-' + ' '.repeat(this.best - 1) : '- ');
        this.node(x, block ? indent + this.best : indent);
      });
      return;
    }
    const m = v as Record<string, unknown>;
    this.keys(m).forEach((k, i) => {
      if (i) this.newline(indent);
      this.scalar(k, indent, false, true);
      this.write(':');
      const x = m[k];
      if (isCollection(x) && !this.isFlow(x)) {
        // a sequence in a mapping is not indented (PyYAML's indentless sequence)
        const inner = Array.isArray(x) ? indent : indent + this.best;
        this.newline(inner);
        this.node(x, inner);
      } else {
        this.write(' ');
        this.node(x, indent);
      }
    });
  }
}

function isCollection(v: unknown): boolean {
  return Array.isArray(v) || isMapping(v);
}

/** yaml.dump(v, default_flow_style=None (flow) or False, indent=…, allow_unicode=True), as Ansible's to_yaml/to_nice_yaml. */
export function pyYaml(v: unknown, o: YamlOptions): string {
  const w = new YamlWriter(o);
  w.node(v, 0, true);
  // PyYAML ends a plain root scalar with "...", which Ansible's to_yaml output does not show
  return w.out + '\n';
}
