// The filters and tests of Ansible 2.14 and Jinja2 3.x that real roles use,
// beyond the few expression.ts started with (docs/templating.md lists them,
// with every deliberate difference). Each behaves as Ansible's documentation
// and the real ansible-core on this machine say (the tables in
// test/unit/engine/template/expression-ansible.test.ts).
//
// map/select/reject call other filters and tests by name: expression.ts hands
// its registries over with useRegistries() (this file does not import it).

import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { FilterError, pyEqual, toText, truthy, typeName } from './values.js';
import { callMethod } from './py-methods.js';
import { pyStr } from './py-text.js';
import { pyJson, pyYaml } from './py-dump.js';
import { pyRegex, pySub, regexMatch, regexFindAll } from './py-regex.js';
import { compareVersions } from './version.js';
import { parseYaml } from '../load/yaml.js';

type Fn = (value: unknown, ...args: unknown[]) => unknown;
type TestFn = (value: unknown, ...args: unknown[]) => boolean;

let FILTERS: Record<string, Fn> = {};
let TESTS: Record<string, TestFn> = {};
/** The filters and tests known by name (expression.ts's FILTERS and TESTS). */
export function useRegistries(filters: Record<string, Fn>, tests: Record<string, TestFn>): void {
  FILTERS = filters;
  TESTS = tests;
}
type Kw = Record<string, unknown>;

/** Keyword arguments of a filter that takes `**kwargs` arrive as this last argument. */
export class Kwargs {
  constructor(readonly values: Kw) {}
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function needList(name: string, v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  throw new FilterError(`${name} expects a list, got ${typeName(v)}`);
}
function needStr(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined || typeof v === 'object') throw new FilterError(`${name} expects a string, got ${typeName(v)}`);
  return pyStr(v);
}
function kwOf(args: unknown[]): { args: unknown[]; kw: Kw } {
  const last = args[args.length - 1];
  return last instanceof Kwargs ? { args: args.slice(0, -1), kw: last.values } : { args, kw: {} };
}

/** Jinja's attribute path: `a.b.0` walks mappings and lists. */
export function attrPath(v: unknown, path: unknown): unknown {
  let cur = v;
  for (const part of typeof path === 'number' ? [path] : String(path).split('.')) {
    if (Array.isArray(cur) && /^-?\d+$/.test(String(part))) cur = cur[Number(part)];
    else if (isMapping(cur) && Object.hasOwn(cur, String(part))) cur = cur[String(part)];
    else return undefined;
  }
  return cur;
}

/** Jinja's sort key: strings compare case-insensitively unless asked. */
function sortKey(caseSensitive: boolean) {
  return (v: unknown) => (typeof v === 'string' && !caseSensitive ? v.toLowerCase() : v);
}
function order(a: unknown, b: unknown): number {
  const n = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  const x = n(a);
  const y = n(b);
  if ((typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string')) return x < y ? -1 : x > y ? 1 : 0;
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = order(x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  throw new FilterError(`'<' not supported between ${typeName(a)} and ${typeName(b)}`);
}

function uniqueList(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of list) if (!out.some((y) => pyEqual(x, y))) out.push(x);
  return out;
}

function runTest(name: unknown, value: unknown, args: unknown[]): boolean {
  if (name === undefined) return truthy(value);
  const test = toText(name);
  if (!Object.hasOwn(TESTS, test)) throw new FilterError(`no test named "${test}"`);
  return TESTS[test](value, ...args);
}

function flatten(list: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of list) {
    if (skipNulls && (x === null || x === 'None')) continue;
    if (Array.isArray(x) && (levels === null || levels >= 1)) out.push(...flatten(x, levels === null ? null : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

type ListMerge = 'replace' | 'keep' | 'append' | 'prepend' | 'append_rp' | 'prepend_rp';
function merge(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: ListMerge): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, bv] of Object.entries<unknown>(b)) {
    const av: unknown = out[k];
    if (!Object.hasOwn(out, k)) out[k] = bv;
    else if (recursive && isMapping(av) && isMapping(bv)) out[k] = merge(av, bv, recursive, listMerge);
    else if (Array.isArray(av) && Array.isArray(bv)) {
      const al = av as unknown[];
      const bl = bv as unknown[];
      switch (listMerge) {
        case 'keep':
          break;
        case 'append':
          out[k] = [...al, ...bl];
          break;
        case 'prepend':
          out[k] = [...bl, ...al];
          break;
        case 'append_rp':
          out[k] = [...al.filter((x) => !bl.some((y) => pyEqual(x, y))), ...bl];
          break;
        case 'prepend_rp':
          out[k] = [...bl, ...al.filter((x) => !bl.some((y) => pyEqual(x, y)))];
          break;
        default:
          out[k] = bl;
      }
    } else out[k] = bv;
  }
  return out;
}

const COMMENT_STYLES: Record<string, { beginning?: string; decoration: string; end?: string; prefix?: string; prefix_count?: number; postfix?: string; postfix_count?: number }> = {
  plain: { decoration: '# ' },
  erlang: { decoration: '% ' },
  c: { decoration: '// ' },
  cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
  xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
};

/** Ansible's comment filter (lib/ansible/plugins/filter/core.py `comment`), from its documented parameters. */
function comment(text: string, style: string, kw: Kw): string {
  const base = COMMENT_STYLES[style];
  if (!base) throw new FilterError(`comment: unknown style "${style}" (known: ${Object.keys(COMMENT_STYLES).join(', ')})`);
  const p = { newline: '\n', beginning: '', prefix_count: 1, postfix_count: 1, end: '', ...base, ...kw } as Record<string, unknown>;
  const decoration = String(p.decoration);
  const prefix = p.prefix === undefined ? decoration.trimEnd() : toText(p.prefix);
  const postfix = p.postfix === undefined ? decoration.trimEnd() : toText(p.postfix);
  const nl = String(p.newline);
  const pc = Number(p.prefix_count);
  const sc = Number(p.postfix_count);
  const beginning = String(p.beginning);
  const end = String(p.end);
  const lines = text.split(/\r?\n/).map((l) => (decoration + l).trimEnd() === '' ? decoration.trimEnd() : decoration + l);
  let out = '';
  if (beginning) out += beginning + nl;
  for (let i = 0; i < pc; i++) out += prefix + nl;
  out += lines.join(nl) + nl;
  for (let i = 0; i < sc; i++) out += postfix + nl;
  if (end) out += end + nl;
  return out.slice(0, -nl.length);
}

/** Jinja 3's indent(width=4, first=False, blank=False). */
function indent(s: string, width: unknown, first: unknown, blank: unknown): string {
  const pad = typeof width === 'string' ? width : ' '.repeat(Number(width ?? 4));
  const nl = '\n';
  let rv: string;
  if (truthy(blank)) rv = (s + '').split(nl).join(nl + pad);
  else {
    const lines = s.split(nl);
    rv = lines.shift() ?? '';
    if (lines.length) rv += nl + lines.map((l) => (l ? pad + l : l)).join(nl);
  }
  return truthy(first) ? pad + rv : rv;
}

/** Python's round() with banker's rounding for ties, as Jinja's round('common') does not: Jinja uses round-half-away. */
function jinjaRound(v: number, precision: number, method: string): number {
  const f = 10 ** precision;
  if (method === 'ceil') return Math.ceil(v * f) / f;
  if (method === 'floor') return Math.floor(v * f) / f;
  if (method !== 'common') throw new FilterError('method must be common, ceil or floor');
  // Python's round(): ties to even, on the decimal value as written
  const x = v * f;
  const r = Math.round(x);
  const tie = Math.abs(x % 1) === 0.5;
  return (tie && r % 2 !== 0 ? r - 1 : r) / f;
}

function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, `'"'"'`) + "'";
}

function b64decode(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

function urlsplit(v: string, query: unknown): unknown {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new FilterError(`urlsplit: cannot parse ${JSON.stringify(v)}`);
  }
  const parts: Record<string, unknown> = {
    fragment: u.hash.replace(/^#/, ''),
    hostname: u.hostname.toLowerCase() || null,
    netloc: (u.username ? u.username + (u.password ? ':' + u.password : '') + '@' : '') + u.host,
    password: u.password || null,
    path: u.pathname,
    port: u.port ? Number(u.port) : null,
    query: u.search.replace(/^\?/, ''),
    scheme: u.protocol.replace(/:$/, ''),
    username: u.username || null,
  };
  if (query === undefined) return parts;
  const key = toText(query);
  if (!Object.hasOwn(parts, key)) throw new FilterError(`urlsplit: unknown URL component "${key}"`);
  return parts[key];
}

/** Filters added to FILTERS by expression.ts. */
export const ANSIBLE_FILTERS: Record<string, Fn> = {
  mandatory: (v) => v,
  ternary: (v, yes, no, none) => (v === null && none !== undefined ? none : truthy(v) ? yes : no),
  string: (v) => pyStr(v),
  capitalize: (v) => {
    const s = needStr('capitalize', v);
    return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
  },
  title: (v) =>
    needStr('title', v)
      .split(/([-\s({[<]+)/)
      .filter(Boolean)
      .map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
      .join(''),
  trim: (v, chars) => callMethod(needStr('trim', v), 'strip', [chars], {}),
  replace: (v, from, to, count) => callMethod(needStr('replace', v), 'replace', [needStr('replace', from), needStr('replace', to), count ?? undefined], {}),
  split: (v, sep, max) => callMethod(needStr('split', v), 'split', [sep, max], {}),
  join: (v, sep = '', attribute) => {
    const list = needList('join', v).map((x) => (attribute === undefined || attribute === null ? x : attrPath(x, attribute)));
    return list.map(pyStr).join(needStr('join', sep));
  },
  regex_replace: (v, pattern, repl = '', ignorecase, multiline, count) => {
    const s = needStr('regex_replace', v);
    return pySub(pyRegex('regex_replace', pattern, truthy(ignorecase), truthy(multiline)), s, toText(repl), Number(count ?? 0));
  },
  regex_search: (v, pattern, ...rest) => {
    const { args, kw } = kwOf(rest);
    const s = needStr('regex_search', v);
    const re = pyRegex('regex_search', pattern, truthy(kw.ignorecase), truthy(kw.multiline));
    const m = regexMatch(re, s, false);
    if (!m) return null;
    if (!args.length) return m[0];
    return args.map((a) => {
      const g = /^\\(?:(\d+)|g<(\w+)>)$/.exec(String(a));
      if (!g) throw new FilterError(`regex_search: unknown argument ${JSON.stringify(a)} (use '\\\\1' or '\\\\g<name>')`);
      return (g[1] !== undefined ? m[Number(g[1])] : m.groups?.[g[2]]) ?? null;
    });
  },
  regex_findall: (v, pattern, multiline, ignorecase) =>
    regexFindAll(pyRegex('regex_findall', pattern, truthy(ignorecase), truthy(multiline)), needStr('regex_findall', v)),
  regex_escape: (v, type = 'python') => {
    const s = needStr('regex_escape', v);
    if (type === 'posix_basic') return s.replace(/[.[\]\\*^$]/g, '\\$&');
    if (type !== 'python') throw new FilterError(`regex_escape: re_type "${String(type)}" is not supported`);
    return s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, '\\$&');
  },
  map: (v, ...rest) => {
    const { args, kw } = kwOf(rest);
    const list = needList('map', v);
    if (kw.attribute !== undefined) {
      return list.map((x) => {
        const got = attrPath(x, kw.attribute);
        if (got !== undefined) return got;
        if (Object.hasOwn(kw, 'default')) return kw.default;
        throw new FilterError(`map: ${typeName(x)} has no attribute ${JSON.stringify(kw.attribute)}`);
      });
    }
    const [name, ...fargs] = args;
    if (typeof name !== 'string') throw new FilterError('map needs a filter name or attribute=');
    if (!Object.hasOwn(FILTERS, name)) throw new FilterError(`map: no filter named "${name}"`);
    const extra = Object.keys(kw).length ? [...fargs, new Kwargs(kw)] : fargs;
    return list.map((x) => FILTERS[name](x, ...extra));
  },
  select: (v, test, ...args) => needList('select', v).filter((x) => runTest(test, x, args)),
  reject: (v, test, ...args) => needList('reject', v).filter((x) => !runTest(test, x, args)),
  selectattr: (v, attr, test, ...args) => needList('selectattr', v).filter((x) => runTest(test, attrPath(x, attr), args)),
  rejectattr: (v, attr, test, ...args) => needList('rejectattr', v).filter((x) => !runTest(test, attrPath(x, attr), args)),
  sort: (v, reverse, caseSensitive, attribute) => {
    const key = sortKey(truthy(caseSensitive));
    const get = (x: unknown) => key(attribute === undefined || attribute === null ? x : attrPath(x, attribute));
    const out = [...needList('sort', v)].sort((a, b) => order(get(a), get(b)));
    return truthy(reverse) ? out.reverse() : out;
  },
  reverse: (v) => {
    if (typeof v === 'string') return [...v].reverse().join('');
    return [...needList('reverse', v)].reverse();
  },
  unique: (v) => uniqueList(needList('unique', v)),
  min: (v, caseSensitive, attribute) => extreme(v, -1, caseSensitive, attribute),
  max: (v, caseSensitive, attribute) => extreme(v, 1, caseSensitive, attribute),
  sum: (v, attribute, start = 0) => {
    let total: unknown = start;
    for (const x of needList('sum', v)) {
      const y = attribute === undefined || attribute === null ? x : attrPath(x, attribute);
      if (typeof total === 'number' && (typeof y === 'number' || typeof y === 'boolean')) total = total + Number(y);
      else if (Array.isArray(total) && Array.isArray(y)) total = [...(total as unknown[]), ...(y as unknown[])];
      else throw new FilterError(`sum: unsupported operand type(s) for +: ${typeName(total)} and ${typeName(y)}`);
    }
    return total;
  },
  dict2items: (v, keyName = 'key', valueName = 'value') => {
    if (!isMapping(v)) throw new FilterError(`dict2items requires a dictionary, got ${typeName(v)} instead.`);
    return Object.entries(v).map(([k, x]) => ({ [String(keyName)]: k, [String(valueName)]: x }));
  },
  items2dict: (v, keyName = 'key', valueName = 'value') => {
    const out: Record<string, unknown> = {};
    for (const it of needList('items2dict', v)) {
      if (!isMapping(it)) throw new FilterError(`items2dict requires a list of dictionaries, got ${typeName(it)}`);
      out[toText(it[String(keyName)])] = it[String(valueName)];
    }
    return out;
  },
  combine: (v, ...rest) => {
    const { args, kw } = kwOf(rest);
    for (const k of Object.keys(kw)) if (k !== 'recursive' && k !== 'list_merge') throw new FilterError(`combine: unexpected keyword argument "${k}"`);
    const listMerge = (kw.list_merge === undefined ? 'replace' : toText(kw.list_merge)) as ListMerge;
    if (!['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'].includes(listMerge)) throw new FilterError(`combine: unknown list_merge "${listMerge}"`);
    const dicts = flatten([v, ...args], null, false);
    let out: Record<string, unknown> = {};
    for (const d of dicts) {
      if (!isMapping(d)) throw new FilterError(`combine expects dictionaries, got ${typeName(d)}`);
      out = merge(out, d, truthy(kw.recursive), listMerge);
    }
    return out;
  },
  flatten: (v, levels, skipNulls = true) => flatten(needList('flatten', v), levels === undefined || levels === null ? null : Number(levels), truthy(skipNulls)),
  difference: (v, other) => uniqueList(needList('difference', v).filter((x) => !needList('difference', other).some((y) => pyEqual(x, y)))),
  intersect: (v, other) => uniqueList(needList('intersect', v).filter((x) => needList('intersect', other).some((y) => pyEqual(x, y)))),
  union: (v, other) => uniqueList([...needList('union', v), ...needList('union', other)]),
  symmetric_difference: (v, other) => {
    const a = needList('symmetric_difference', v);
    const b = needList('symmetric_difference', other);
    return uniqueList([...a.filter((x) => !b.some((y) => pyEqual(x, y))), ...b.filter((x) => !a.some((y) => pyEqual(x, y)))]);
  },
  zip: (v, ...others) => {
    const lists = [v, ...others].map((l) => needList('zip', l));
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
  },
  zip_longest: (v, ...rest) => {
    const { args, kw } = kwOf(rest);
    const lists = [v, ...args].map((l) => needList('zip_longest', l));
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : (kw.fillvalue ?? null))));
  },
  to_json: (v, ...rest) => pyJson(v, { ...kwOf(rest).kw }),
  to_nice_json: (v, ...rest) => {
    const { kw } = kwOf(rest);
    return pyJson(v, { indent: 4, sort_keys: true, separators: [',', ': '], ...kw });
  },
  to_yaml: (v, ...rest) => pyYaml(v, { flow: true, indent: 2, ...kwOf(rest).kw }),
  to_nice_yaml: (v, ...rest) => pyYaml(v, { flow: false, indent: 4, ...kwOf(rest).kw }),
  from_yaml: (v) => fromYaml(needStr('from_yaml', v)),
  b64encode: (v) => Buffer.from(needStr('b64encode', v), 'utf8').toString('base64'),
  b64decode: (v) => b64decode(needStr('b64decode', v)),
  basename: (v) => {
    const s = needStr('basename', v);
    return s.slice(s.lastIndexOf('/') + 1);
  },
  dirname: (v) => {
    const s = needStr('dirname', v);
    const i = s.lastIndexOf('/') + 1;
    const head = s.slice(0, i);
    return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
  },
  expanduser: (v) => {
    const s = needStr('expanduser', v);
    return s === '~' || s.startsWith('~/') ? (process.env.HOME ?? homedir()) + s.slice(1) : s;
  },
  comment: (v, ...rest) => {
    const { args, kw } = kwOf(rest);
    return comment(needStr('comment', v), args[0] === undefined ? 'plain' : toText(args[0]), kw);
  },
  indent: (v, width, first, blank) => indent(needStr('indent', v), width, first, blank),
  center: (v, width = 80) => {
    const s = needStr('center', v);
    const w = Number(width);
    if (s.length >= w) return s;
    // Python's str.center: the extra space goes left when the padding is odd and the width is odd
    const total = w - s.length;
    const left = Math.floor(total / 2) + (total & w & 1);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  wordcount: (v) => (needStr('wordcount', v).match(/\w+/gu) ?? []).length,
  quote: (v) => shellQuote(needStr('quote', v)),
  hash: (v, algo = 'sha1') => {
    const a = String(algo);
    if (!['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(a)) throw new FilterError(`hash: unsupported algorithm "${a}"`);
    return createHash(a).update(needStr('hash', v), 'utf8').digest('hex');
  },
  checksum: (v) => createHash('sha1').update(needStr('checksum', v), 'utf8').digest('hex'),
  md5: (v) => createHash('md5').update(needStr('md5', v), 'utf8').digest('hex'),
  sha1: (v) => createHash('sha1').update(needStr('sha1', v), 'utf8').digest('hex'),
  abs: (v) => {
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new FilterError(`bad operand type for abs(): ${typeName(v)}`);
    return Math.abs(Number(v));
  },
  round: (v, precision = 0, method = 'common') => {
    if (typeof v !== 'number') throw new FilterError(`round expects a number, got ${typeName(v)}`);
    return jinjaRound(v, Number(precision), String(method));
  },
  urlsplit: (v, query) => urlsplit(needStr('urlsplit', v), query),
  items: (v) => {
    if (!isMapping(v)) throw new FilterError(`items expects a mapping, got ${typeName(v)}`);
    return Object.entries(v);
  },
  batch: (v, size, fill) => {
    const list = needList('batch', v);
    const n = Number(size);
    const out: unknown[][] = [];
    for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
    const last = out[out.length - 1];
    if (last && fill !== undefined && fill !== null) while (last.length < n) last.push(fill);
    return out;
  },
};

function extreme(v: unknown, sign: number, caseSensitive: unknown, attribute: unknown): unknown {
  const list = needList(sign < 0 ? 'min' : 'max', v);
  if (!list.length) return undefined;
  const key = sortKey(truthy(caseSensitive));
  const get = (x: unknown) => key(attribute === undefined || attribute === null ? x : attrPath(x, attribute));
  let best = list[0];
  for (const x of list.slice(1)) if (order(get(x), get(best)) * sign > 0) best = x;
  return best;
}

function fromYaml(s: string): unknown {
  try {
    return parseYaml(s, '<from_yaml>', true).value;
  } catch (e) {
    throw new FilterError(`from_yaml: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * Positional names of each filter's parameters, so keyword arguments
 * (`sort(attribute='name')`, `indent(4, first=true)`) land in their place;
 * 'kwargs' marks a filter that takes `**kwargs` itself.
 */
export const FILTER_SIGNATURES: Record<string, string[] | 'kwargs'> = {
  default: ['default_value', 'boolean'],
  d: ['default_value', 'boolean'],
  mandatory: ['msg'],
  ternary: ['true_val', 'false_val', 'none_val'],
  int: ['default', 'base'],
  float: ['default'],
  trim: ['chars'],
  replace: ['old', 'new', 'count'],
  split: ['sep', 'maxsplit'],
  join: ['d', 'attribute'],
  regex_replace: ['regex', 'replace', 'ignorecase', 'multiline', 'count'],
  regex_search: 'kwargs',
  regex_findall: ['regex', 'multiline', 'ignorecase'],
  regex_escape: ['re_type'],
  map: 'kwargs',
  sort: ['reverse', 'case_sensitive', 'attribute'],
  min: ['case_sensitive', 'attribute'],
  max: ['case_sensitive', 'attribute'],
  sum: ['attribute', 'start'],
  dict2items: ['key_name', 'value_name'],
  items2dict: ['key_name', 'value_name'],
  combine: 'kwargs',
  flatten: ['levels', 'skip_nulls'],
  zip_longest: 'kwargs',
  to_json: 'kwargs',
  to_nice_json: 'kwargs',
  to_yaml: 'kwargs',
  to_nice_yaml: 'kwargs',
  comment: 'kwargs',
  indent: ['width', 'first', 'blank'],
  center: ['width'],
  hash: ['hashtype'],
  round: ['precision', 'method'],
  urlsplit: ['query'],
  batch: ['linecount', 'fill_with'],
};

/** Keyword names a 'kwargs' filter accepts (checked when the expression is parsed). */
export const FILTER_KWARGS: Record<string, string[]> = {
  regex_search: ['ignorecase', 'multiline'],
  map: ['attribute', 'default'],
  combine: ['recursive', 'list_merge'],
  zip_longest: ['fillvalue'],
  to_json: ['indent', 'sort_keys', 'separators', 'ensure_ascii'],
  to_nice_json: ['indent', 'sort_keys', 'separators', 'ensure_ascii'],
  to_yaml: ['indent', 'width', 'default_flow_style', 'sort_keys', 'allow_unicode'],
  to_nice_yaml: ['indent', 'width', 'default_flow_style', 'sort_keys', 'allow_unicode'],
  comment: ['decoration', 'prefix', 'prefix_count', 'postfix', 'postfix_count', 'beginning', 'end', 'newline'],
};

/** Filters tsplay refuses, with the reason (docs/templating.md). */
export const REFUSED_FILTERS: Record<string, string> = {
  random: 'the "random" filter is not supported: a run must be repeatable (pick the value in vars)',
  shuffle: 'the "shuffle" filter is not supported: a run must be repeatable',
  password_hash: 'the "password_hash" filter is not supported in tsplay: hash the password beforehand and keep the hash in vars',
  ipaddr: 'the "ipaddr" filter (ansible.utils) is not supported in tsplay',
};

const TEST_FNS: Record<string, (v: unknown, ...args: unknown[]) => boolean> = {
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  version: (v, other, op = 'eq', strict, type) => compareVersions(v, other, op, strict, type),
  version_compare: (v, other, op = 'eq', strict, type) => compareVersions(v, other, op, strict, type),
  subset: (v, other) => needList('subset', v).every((x) => needList('subset', other).some((y) => pyEqual(x, y))),
  superset: (v, other) => needList('superset', other).every((x) => needList('superset', v).some((y) => pyEqual(x, y))),
  ne: (v, x) => !pyEqual(v, x),
  lt: (v, x) => order(v, x) < 0,
  le: (v, x) => order(v, x) <= 0,
  gt: (v, x) => order(v, x) > 0,
  ge: (v, x) => order(v, x) >= 0,
  '==': (v, x) => pyEqual(v, x),
  '!=': (v, x) => !pyEqual(v, x),
  '<': (v, x) => order(v, x) < 0,
  '<=': (v, x) => order(v, x) <= 0,
  '>': (v, x) => order(v, x) > 0,
  '>=': (v, x) => order(v, x) >= 0,
  greaterthan: (v, x) => order(v, x) > 0,
  lessthan: (v, x) => order(v, x) < 0,
  divisibleby: (v, n) => {
    if (typeof v !== 'number' || typeof n !== 'number') throw new FilterError('divisibleby needs numbers');
    return v % n === 0;
  },
  even: (v) => typeof v === 'number' && v % 2 === 0,
  odd: (v) => typeof v === 'number' && Math.abs(v % 2) === 1,
  truthy: (v, convertBool) => (truthy(convertBool) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') ? ansibleBool(v) === true : truthy(v)),
  falsy: (v, convertBool) => !(truthy(convertBool) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') ? ansibleBool(v) === true : truthy(v)),
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  sameas: (v, x) => v === x || (v === undefined && x === null),
  any: (v) => needList('any', v).some(truthy),
  all: (v) => needList('all', v).every(truthy),
  sequence: (v) => Array.isArray(v) || typeof v === 'string' || isMapping(v),
  match: (v, p, ignorecase, multiline) => regexMatch(pyRegex('match', p, truthy(ignorecase), truthy(multiline)), needStr('match', v), true) !== null,
  search: (v, p, ignorecase, multiline) => regexMatch(pyRegex('search', p, truthy(ignorecase), truthy(multiline)), needStr('search', v), false) !== null,
  regex: (v, p, ignorecase, multiline, matchType = 'search') =>
    regexMatch(pyRegex('regex', p, truthy(ignorecase), truthy(multiline)), needStr('regex', v), matchType === 'match') !== null,
};

/** Tests added to TESTS by expression.ts. */
export const ANSIBLE_TESTS = TEST_FNS;

export const TEST_SIGNATURES: Record<string, string[] | 'kwargs'> = {
  version: ['version', 'operator', 'strict', 'version_type'],
  version_compare: ['version', 'operator', 'strict', 'version_type'],
  truthy: ['convert_bool'],
  falsy: ['convert_bool'],
  match: ['pattern', 'ignorecase', 'multiline'],
  search: ['pattern', 'ignorecase', 'multiline'],
  regex: ['pattern', 'ignorecase', 'multiline', 'match_type'],
};

/** Ansible 2.14's bool: true, 'yes'/'on'/'1'/'true' (any case, no spaces) and 1 are true; none stays none. */
export function ansibleBool(v: unknown): boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.toLowerCase());
  return v === 1;
}

/** Map keyword arguments onto positions (signature names) or pass them on as Kwargs. */
export function withKwargs(sig: string[] | 'kwargs' | undefined, name: string, args: unknown[], kwargs: Kw): unknown[] {
  const keys = Object.keys(kwargs);
  if (!keys.length) return args;
  if (sig === 'kwargs') return [...args, new Kwargs(kwargs)];
  const out = [...args];
  for (const k of keys) {
    const i = sig ? sig.indexOf(k) : -1;
    if (i < 0) throw new FilterError(`${name} got an unexpected keyword argument "${k}"`);
    if (i < args.length) throw new FilterError(`${name} got multiple values for argument "${k}"`);
    out[i] = kwargs[k];
  }
  for (let i = 0; i < out.length; i++) if (!(i in out)) out[i] = undefined;
  return out;
}

/** Load-time check of a filter call: keyword names, and the filter/test named by map/select/reject. */
export function checkFilterCall(name: string, args: { kind: string; value?: unknown; start: number }[], kwargs: [string, { start: number }][], fail: (message: string, at?: number) => never): void {
  const sig = FILTER_SIGNATURES[name];
  for (const [k] of kwargs) {
    const ok = sig === 'kwargs' ? (FILTER_KWARGS[name] ?? []).includes(k) : (sig ?? []).includes(k);
    if (!ok) fail(`filter "${name}" has no keyword argument "${k}"`);
  }
  const lit = (i: number) => (args[i]?.kind === 'literal' && typeof args[i].value === 'string' ? args[i].value : undefined);
  if (name === 'map') {
    const f = lit(0);
    if (f !== undefined && !Object.hasOwn(FILTERS, f)) fail(filterUnknownMessage(f), args[0].start);
  }
  const testArg = name === 'select' || name === 'reject' ? 0 : name === 'selectattr' || name === 'rejectattr' ? 1 : -1;
  if (testArg >= 0) {
    const t = lit(testArg);
    if (t !== undefined && !Object.hasOwn(TESTS, t)) fail(`unknown test "${t}" (known: ${Object.keys(TESTS).join(', ')})`, args[testArg].start);
  }
}

export function filterUnknownMessage(name: string): string {
  if (Object.hasOwn(REFUSED_FILTERS, name)) return REFUSED_FILTERS[name];
  return `unknown filter "${name}" (known: ${Object.keys(FILTERS).join(', ')})`;
}
