// Python's arithmetic, slicing and `%` formatting for the expression language
// (engine/template/expression.ts), as Jinja2 evaluates them: `/` divides to a
// float, `//` floors, `%` takes the divisor's sign (or formats a string), `+`
// also joins strings and lists, `*` repeats them.
//

import { FilterError, typeName } from './values.js';
import { pyRepr, pyStr } from './py-text.js';

function pyType(v: unknown): string {
  const t = typeName(v);
  return t === 'string' ? 'str' : t === 'mapping' ? 'dict' : t === 'none' ? 'NoneType' : t;
}

function unsupported(op: string, a: unknown, b: unknown): never {
  throw new FilterError(`unsupported operand type(s) for ${op}: '${pyType(a)}' and '${pyType(b)}'`);
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  return undefined;
}

function repeat<T>(items: T[], times: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < times; i++) out.push(...items);
  return out;
}

/** `a op b` with Python semantics. */
export function arithmetic(op: '+' | '-' | '*' | '/' | '//' | '%' | '**', a: unknown, b: unknown): unknown {
  const x = num(a);
  const y = num(b);
  if (op === '+') {
    if (x !== undefined && y !== undefined) return x + y;
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...(a as unknown[]), ...(b as unknown[])];
    if (typeof a === 'string' || typeof b === 'string') {
      throw new FilterError(`can only concatenate str (not "${pyType(typeof a === 'string' ? b : a)}") to str; use ~ to join text`);
    }
    return unsupported(op, a, b);
  }
  if (op === '*') {
    if (x !== undefined && y !== undefined) return x * y;
    const [seq, n] = x !== undefined ? [b, x] : [a, y];
    if (n !== undefined && Number.isInteger(n) && typeof seq === 'string') return seq.repeat(Math.max(0, n));
    if (n !== undefined && Number.isInteger(n) && Array.isArray(seq)) return repeat(seq, Math.max(0, n));
    return unsupported(op, a, b);
  }
  if (op === '%' && typeof a === 'string') return percentFormat(a, b);
  if (x === undefined || y === undefined) return unsupported(op, a, b);
  switch (op) {
    case '-':
      return x - y;
    case '/':
      if (y === 0) throw new FilterError('division by zero');
      return x / y;
    case '//':
      if (y === 0) throw new FilterError('integer division or modulo by zero');
      return Math.floor(x / y);
    case '%': {
      if (y === 0) throw new FilterError('integer division or modulo by zero');
      const r = x % y;
      return r !== 0 && r < 0 !== y < 0 ? r + y : r;
    }
    default:
      if (x === 0 && y < 0) throw new FilterError('0.0 cannot be raised to a negative power');
      return x ** y;
  }
}

/** Python's `seq[lower:upper:step]`. */
export function pySlice<T>(seq: T[], lower?: number, upper?: number, step = 1): T[] {
  const n = seq.length;
  const clamp = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + n : i, lo), hi);
  const out: T[] = [];
  if (step > 0) {
    const start = lower === undefined ? 0 : clamp(lower, 0, n);
    const stop = upper === undefined ? n : clamp(upper, 0, n);
    for (let i = start; i < stop; i += step) out.push(seq[i]);
  } else {
    const start = lower === undefined ? n - 1 : clamp(lower, -1, n - 1);
    const stop = upper === undefined ? -1 : clamp(upper, -1, n - 1);
    for (let i = start; i > stop; i += step) out.push(seq[i]);
  }
  return out;
}

/** `'%s-%d' % (a, b)`: the conversions %s %r %d %i %f %x %o %% with flags, width and precision. */
export function percentFormat(format: string, values: unknown): string {
  const list: unknown[] = Array.isArray(values) ? values : [values];
  let next = 0;
  const out = format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([sridfFxXoeEgG%])/g, (_m, flags: string, width: string, prec: string, conv: string) => {
    if (conv === '%') return '%';
    if (next >= list.length) throw new FilterError('not enough arguments for format string');
    const v = list[next++];
    let s: string;
    if (conv === 's') s = pyStr(v);
    else if (conv === 'r') s = pyRepr(v);
    else {
      const n = num(v);
      if (n === undefined) throw new FilterError(`%${conv} format: a real number is required, not ${pyType(v)}`);
      if (conv === 'd' || conv === 'i') s = String(Math.trunc(n));
      else if (conv === 'x' || conv === 'X' || conv === 'o') {
        s = Math.trunc(n).toString(conv === 'o' ? 8 : 16);
        if (conv === 'X') s = s.toUpperCase();
      } else if (conv === 'e' || conv === 'E') s = n.toExponential(prec ? Number(prec) : 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else if (conv === 'g' || conv === 'G') s = String(Number(n.toPrecision(prec ? Number(prec) || 1 : 6)));
      else s = n.toFixed(prec ? Number(prec) : 6);
      if (conv === 'E') s = s.toUpperCase();
      if (flags.includes('+') && n >= 0) s = '+' + s;
      else if (flags.includes(' ') && n >= 0) s = ' ' + s;
    }
    if (conv === 's' && prec) s = s.slice(0, Number(prec));
    const w = Number(width || 0);
    if (s.length < w) {
      if (flags.includes('-')) s = s.padEnd(w);
      else if (flags.includes('0') && conv !== 's' && conv !== 'r') {
        const sign = /^[-+ ]/.test(s) ? s[0] : '';
        s = sign + s.slice(sign.length).padStart(w - sign.length, '0');
      } else s = s.padStart(w);
    }
    return s;
  });
  if (next < list.length && Array.isArray(values)) throw new FilterError('not all arguments converted during string formatting');
  return out;
}
