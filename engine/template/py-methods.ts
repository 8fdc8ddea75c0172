// The Python methods real roles call on values in expressions
// (`x.split(',')`, `name.startswith('lib')`, `d.get('k', 0)`, `d.items()`),
// with Python's semantics. Any other method is an error that names it, at
// load time when the name is unknown for every type (expression.ts asks
// PY_METHOD_NAMES), at run time when the value's type lacks it.
//

import { FilterError, pyEqual, typeName } from './values.js';
import { pyStr } from './py-text.js';

type Method<T> = (self: T, args: unknown[], kwargs: Record<string, unknown>) => unknown;

function str(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new FilterError(`${name}() argument must be a string, not ${typeName(v)}`);
  return v;
}
function optInt(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new FilterError(`${name}() expects an integer, got ${typeName(v)}`);
  return v;
}
function chars(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : str('strip', v);
}
const WS = ' \t\n\r\v\f';
/** Where Python's str.splitlines() breaks lines (\r\n counts as one). */
const LINE_BREAKS = new Set(['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029']);
function stripSet(s: string, set: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a])) a++;
  if (right) while (b > a && set.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

/** str.split / str.rsplit with Python's `sep=None` (runs of whitespace) and `maxsplit`. */
function pySplit(s: string, sepArg: unknown, maxArg: unknown, fromRight: boolean): string[] {
  const max = optInt('split', maxArg) ?? -1;
  if (sepArg === undefined || sepArg === null) {
    const words = s.split(/[ \t\n\r\v\f]+/).filter((w) => w !== '');
    if (max < 0 || words.length <= max + 1) return words;
    // keep the rest of the text (with its inner whitespace) in the last piece
    if (!fromRight) {
      const out: string[] = [];
      let rest = stripSet(s, WS, true, false);
      for (let i = 0; i < max; i++) {
        const m = /[ \t\n\r\v\f]+/.exec(rest)!;
        out.push(rest.slice(0, m.index));
        rest = rest.slice(m.index + m[0].length);
      }
      out.push(stripSet(rest, WS, false, true));
      return out.filter((w, i) => w !== '' || i < out.length - 1);
    }
    const out: string[] = [];
    let rest = stripSet(s, WS, false, true);
    for (let i = 0; i < max; i++) {
      const m = /[ \t\n\r\v\f]+(?=[^ \t\n\r\v\f]*$)/.exec(rest)!;
      out.unshift(rest.slice(m.index + m[0].length));
      rest = rest.slice(0, m.index);
    }
    out.unshift(stripSet(rest, WS, true, false));
    return out;
  }
  const sep = str('split', sepArg);
  if (sep === '') throw new FilterError('split(): empty separator');
  const parts = s.split(sep);
  if (max < 0 || parts.length <= max + 1) return parts;
  if (!fromRight) return [...parts.slice(0, max), parts.slice(max).join(sep)];
  return [parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)];
}

function affix(s: string, arg: unknown, start: unknown, end: unknown, test: (x: string, a: string) => boolean): boolean {
  const sub = s.slice(optInt('startswith', start) ?? 0, optInt('startswith', end) ?? s.length);
  const list = Array.isArray(arg) ? arg : [arg];
  return list.some((a) => test(sub, str('startswith/endswith', a)));
}

function countOf(s: string, sub: string): number {
  if (sub === '') return [...s].length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** str.format with `{}`, `{0}`, `{name}`, `{0.attr}`/`{0[key]}`-free fields; a format spec is refused. */
function pyFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const [name, spec] = (field ?? '').split(':', 2);
    if (spec !== undefined) throw new FilterError(`format(): the format spec ":${spec}" is not supported; use a filter (e.g. "%05d" | format(x))`);
    let v: unknown;
    if (name === '') v = args[auto++];
    else if (/^\d+$/.test(name)) v = args[Number(name)];
    else v = Object.hasOwn(kwargs, name) ? kwargs[name] : undefined;
    if (v === undefined) throw new FilterError(`format(): no value for field {${name}}`);
    return pyStr(v);
  });
}

function title(s: string): string {
  return s.replace(/\p{L}+/gu, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
}

const STR: Record<string, Method<string>> = {
  split: (s, [sep, max], kw) => pySplit(s, kw.sep ?? sep, kw.maxsplit ?? max, false),
  rsplit: (s, [sep, max], kw) => pySplit(s, kw.sep ?? sep, kw.maxsplit ?? max, true),
  strip: (s, [c]) => stripSet(s, chars(c) ?? WS, true, true),
  lstrip: (s, [c]) => stripSet(s, chars(c) ?? WS, true, false),
  rstrip: (s, [c]) => stripSet(s, chars(c) ?? WS, false, true),
  startswith: (s, [p, a, b]) => affix(s, p, a, b, (x, y) => x.startsWith(y)),
  endswith: (s, [p, a, b]) => affix(s, p, a, b, (x, y) => x.endsWith(y)),
  replace: (s, [from, to, count]) => {
    const f = str('replace', from);
    const t = str('replace', to);
    const n = optInt('replace', count) ?? -1;
    const parts = f === '' ? ['', ...[...s], ''] : s.split(f);
    if (f === '') return n < 0 ? parts.join(t) : parts.slice(0, n + 1).join(t) + parts.slice(n + 1).join('');
    return n < 0 || parts.length <= n + 1 ? parts.join(t) : parts.slice(0, n + 1).join(t) + f + parts.slice(n + 1).join(f);
  },
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  capitalize: (s) => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s),
  title,
  find: (s, [sub, start]) => s.indexOf(str('find', sub), optInt('find', start) ?? 0),
  rfind: (s, [sub]) => s.lastIndexOf(str('rfind', sub)),
  index: (s, [sub]) => {
    const i = s.indexOf(str('index', sub));
    if (i < 0) throw new FilterError('index(): substring not found');
    return i;
  },
  count: (s, [sub]) => countOf(s, str('count', sub)),
  join: (s, [items]) => {
    if (!Array.isArray(items)) throw new FilterError(`join() expects a list, got ${typeName(items)}`);
    return items.map((x, i) => str(`join() item ${i}`, x)).join(s);
  },
  format: (s, args, kwargs) => pyFormat(s, args, kwargs),
  splitlines: (s, [keep], kw) => {
    const keepends = (kw.keepends ?? keep) === true;
    const out: string[] = [];
    let cur = '';
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (!LINE_BREAKS.has(c)) {
        cur += c;
        continue;
      }
      const crlf = c === '\r' && s[i + 1] === '\n';
      out.push(keepends ? cur + (crlf ? '\r\n' : c) : cur);
      cur = '';
      if (crlf) i++;
    }
    if (cur !== '') out.push(cur);
    return out;
  },
  isdigit: (s) => s !== '' && /^\p{Nd}+$/u.test(s),
  isalpha: (s) => s !== '' && /^\p{L}+$/u.test(s),
  isalnum: (s) => s !== '' && /^[\p{L}\p{Nd}]+$/u.test(s),
  islower: (s) => /\p{Ll}/u.test(s) && !/\p{Lu}/u.test(s),
  isupper: (s) => /\p{Lu}/u.test(s) && !/\p{Ll}/u.test(s),
  zfill: (s, [w]) => {
    const width = optInt('zfill', w) ?? 0;
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    return s.length >= width ? s : sign + s.slice(sign.length).padStart(width - sign.length, '0');
  },
};

const LIST: Record<string, Method<unknown[]>> = {
  index: (l, [x]) => {
    const i = l.findIndex((y) => pyEqual(x, y));
    if (i < 0) throw new FilterError(`index(): ${pyStr(x)} is not in list`);
    return i;
  },
  count: (l, [x]) => l.filter((y) => pyEqual(x, y)).length,
};

const DICT: Record<string, Method<Record<string, unknown>>> = {
  items: (d) => Object.entries(d),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, [k, dflt]) => {
    const key = typeof k === 'number' ? String(k) : k;
    return typeof key === 'string' && Object.hasOwn(d, key) ? d[key] : (dflt ?? null);
  },
};

/** Every method name known for some type: anything else is refused when the expression is parsed. */
export const PY_METHOD_NAMES: ReadonlySet<string> = new Set([...Object.keys(STR), ...Object.keys(LIST), ...Object.keys(DICT)]);

export function unknownMethodMessage(name: string): string {
  return `unknown method "${name}" (tsplay knows: str ${Object.keys(STR).join(', ')}; list ${Object.keys(LIST).join(', ')}; dict ${Object.keys(DICT).join(', ')})`;
}

/** Call `self.name(*args, **kwargs)`. */
export function callMethod(self: unknown, name: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const table: Record<string, Method<never>> | undefined =
    typeof self === 'string' ? STR : Array.isArray(self) ? LIST : self !== null && typeof self === 'object' ? DICT : undefined;
  if (!table || !Object.hasOwn(table, name)) {
    throw new FilterError(`a ${typeName(self)} has no method "${name}"`);
  }
  return (table[name] as Method<unknown>)(self, args, kwargs);
}
