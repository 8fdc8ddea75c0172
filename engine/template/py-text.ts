// Python's str() and repr() of template values, as Ansible renders a value
// inside a longer string: `"x={{ [1, 'a'] }}"` gives `x=[1, 'a']`, a boolean
// gives `True`, a mapping `{'k': 1}`. (A lone tag keeps the value itself.)
//
// JavaScript has one number type: a float with an integral value (`4 / 2`,
// `'3' | float`) prints as an int (`2`, not `2.0`). docs/templating.md says so.

/** Python repr() of a float or int held in a JS number. */
export function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  // Python switches to exponent notation when the exponent is < -4 or >= 16.
  const [mant, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    const abs = Math.abs(exp);
    return `${mant}e${sign}${abs < 10 ? '0' : ''}${abs}`;
  }
  // Between 1e-4 and 1e16 JavaScript writes no exponent either, with the same shortest digits.
  return String(n);
}

/** Python repr() of a string: single quotes unless the text holds ' and no ". */
export function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\x' + c.toString(16);
    else out += ch;
  }
  return out + quote;
}

/** Python repr() of a value (how lists and mappings show their members). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyStringRepr(v);
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (typeof v === 'object') {
    const inner = (v as { toJSON?: () => unknown }).toJSON;
    if (typeof inner === 'function') return pyRepr(inner.call(v));
    return '{' + Object.entries(v).map(([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
  }
  return typeof v === 'bigint' ? v.toString() : '';
}

/** Python str() of a value: strings as they are, everything else as repr(). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}
