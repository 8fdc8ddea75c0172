// Python regular expressions (Ansible's regex_* filters and match/search
// tests use Python's `re`) run as JavaScript regexps: the Python-only syntax
// real roles write is translated (`(?P<name>…)`, `(?P=name)`, leading `(?i)`
// `(?m)` `(?s)` flags, `\A`, `\Z`), and replacement strings use Python's
// `\1` / `\g<name>` references. Matching runs within the time limit of
// engine/template/bounded-regex.ts.

import { boundedRegex, RegexTimeLimitError } from './bounded-regex.js';
import { FilterError, typeName } from './values.js';

export interface PyRegex {
  re: RegExp;
  /** The pattern as the user wrote it, for messages. */
  pattern: string;
  label: string;
}

/** Why a Python pattern cannot be translated (each caller words it in its own error). */
export type PySyntaxProblem = 'verbose' | 'conditional' | 'atomic' | 'unterminated-backref';

export class PySyntaxError extends Error {
  constructor(readonly problem: PySyntaxProblem) {
    super(problem);
    this.name = 'PySyntaxError';
  }
}

export interface TranslateOptions {
  ignorecase?: boolean;
  multiline?: boolean;
  /**
   * Python's re on bytes (lineinfile, replace, find: lines are byte strings,
   * modules/lib/byte-text.ts): `\s`/`\S` are ASCII whitespace; JavaScript's
   * `\s` would also take byte A0, the last byte of a UTF-8 "à".
   */
  bytes?: boolean;
}

/** Python's whitespace for bytes patterns, as RegExp class content. */
const ASCII_SPACE = ' \\t\\n\\r\\f\\v';

/**
 * The one translation of a Python pattern to a RegExp source and flags.
 * Translated: (?P<name>...) -> (?<name>...), (?P=name) -> \k<name>; leading
 * inline flags (?i) (?m) (?s) -> RegExp flags ((?a) (?L) (?u) need none);
 * \A and \Z: start and end of the string, with the m flag too; in a
 * character class a leading `]` (or `^]`) is literal, as in Python. Escapes
 * and classes are walked, so `\(?P<` or `[(?P<x>]` stay as written. Refused
 * (PySyntaxError): (?x) verbose mode, conditional (?(1)...) and atomic (?>...)
 * groups. Not translated: \d \w match ASCII only, Unicode classes differ.
 * No `u` flag: V8's linear-time engine (bounded-regex.ts) does not run it.
 */
export function translatePython(pattern: string, opts: TranslateOptions = {}): { source: string; flags: string } {
  let src = pattern;
  let { ignorecase = false, multiline = false } = opts;
  let dotall = false;
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i') ignorecase = true;
      else if (f === 'm') multiline = true;
      else if (f === 's') dotall = true;
      else if (f === 'x') throw new PySyntaxError('verbose');
    }
    src = src.slice(lead[0].length);
  }
  if (/\(\?\(/.test(src)) throw new PySyntaxError('conditional');
  if (/\(\?>/.test(src)) throw new PySyntaxError('atomic');
  // Without the m flag ^ and $ are the string's ends; with it, only a lookaround is.
  const start = multiline ? '(?<![\\s\\S])' : '^';
  const end = multiline ? '(?![\\s\\S])' : '$';
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (!inClass && n === 'A') out += start;
      else if (!inClass && n === 'Z') out += end;
      else if (opts.bytes && n === 's') out += inClass ? ASCII_SPACE : `[${ASCII_SPACE}]`;
      else if (opts.bytes && !inClass && n === 'S') out += `[^${ASCII_SPACE}]`;
      else out += c + (n ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // a leading ] (or ^]) is literal in Python, and must be escaped in JavaScript
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (src.startsWith('(?P<', i)) { out += '(?<'; i += 3; continue; }
    if (src.startsWith('(?P=', i)) {
      const close = src.indexOf(')', i);
      if (close === -1) throw new PySyntaxError('unterminated-backref');
      out += `\\k<${src.slice(i + 4, close)}>`;
      i = close;
      continue;
    }
    out += c;
  }
  return { source: out, flags: `${ignorecase ? 'i' : ''}${multiline ? 'm' : ''}${dotall ? 's' : ''}` };
}

const REPL_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };
const OCTAL = /[0-7]/;

/**
 * The one expansion of a Python replacement template (re.sub, Match.expand):
 * `\1`..`\99`, `\g<1>`, `\g<name>` through `group` (which checks the reference
 * and words its own error), `\0` and three-digit octal escapes as characters,
 * \n \t \\ and the other simple escapes. Any other escape stays as written.
 */
export function expandPythonTemplate(template: string, group: (ref: number | string) => string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '\\' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    const named = /^g<([^>]*)>/.exec(rest);
    if (named) {
      out += group(/^\d+$/.test(named[1]) ? Number(named[1]) : named[1]);
      i += named[0].length;
    } else if (rest[0] === '0') {
      // \0 and up to two more octal digits: a character (Python's octal escape).
      const oct = /^0[0-7]{0,2}/.exec(rest)![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += oct.length;
    } else if (/^[1-9]/.test(rest)) {
      if (OCTAL.test(rest[0]) && OCTAL.test(rest[1] ?? '') && OCTAL.test(rest[2] ?? '')) {
        out += String.fromCharCode(parseInt(rest.slice(0, 3), 8) & 0xff);
        i += 3;
      } else {
        const digits = /^\d\d?/.exec(rest)![0];
        out += group(Number(digits));
        i += digits.length;
      }
    } else if (Object.hasOwn(REPL_ESCAPES, rest[0])) {
      out += REPL_ESCAPES[rest[0]];
      i++;
    } else {
      out += c; // kept as written (Python keeps an unknown escape of a non-letter)
    }
  }
  return out;
}

/** Compile a Python pattern; `name` is the filter or test for messages. */
export function pyRegex(name: string, pattern: unknown, ignorecase = false, multiline = false): PyRegex {
  if (typeof pattern !== 'string') throw new FilterError(`${name}: a regular expression must be a string, got ${typeName(pattern)}`);
  let t: { source: string; flags: string };
  try {
    t = translatePython(pattern, { ignorecase, multiline });
  } catch (e) {
    if (!(e instanceof PySyntaxError)) throw e;
    if (e.problem === 'verbose') throw new FilterError(`${name}: the (?x) verbose flag is not supported`);
    throw new FilterError(`invalid regular expression ${JSON.stringify(pattern)}: ${PROBLEM_TEXT[e.problem]}`);
  }
  let re: RegExp;
  try {
    re = new RegExp(t.source, t.flags);
  } catch (e) {
    throw new FilterError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
  return { re, pattern, label: `${name} regexp ${JSON.stringify(pattern)}` };
}

/** What each problem is, for messages. */
export const PROBLEM_TEXT: Record<PySyntaxProblem, string> = {
  verbose: 'verbose mode (?x) is not supported',
  conditional: 'conditional groups (?(...)...) are not supported',
  atomic: 'atomic groups (?>...) are not supported',
  'unterminated-backref': 'unterminated (?P=name)',
};

function bounded<T>(r: PyRegex, fn: () => T): T {
  try {
    return boundedRegex(r.re, fn, r.label);
  } catch (e) {
    if (e instanceof RegexTimeLimitError) throw new FilterError(e.message);
    throw e;
  }
}

/** re.match (anchored at the start) or re.search. */
export function regexMatch(r: PyRegex, s: string, anchored: boolean): RegExpExecArray | null {
  // re.match anchors at the start of the string only, even with the multiline flag
  const re = anchored ? new RegExp('^(?:' + r.re.source + ')', r.re.flags.replace('m', '')) : r.re;
  if (anchored && r.re.flags.includes('m')) return bounded(r, () => new RegExp(r.re.source, r.re.flags + 'y').exec(s));
  return bounded({ ...r, re }, () => re.exec(s));
}

/** re.findall: whole matches, group 1, or a list per match of all groups. */
export function regexFindAll(r: PyRegex, s: string): unknown[] {
  const re = new RegExp(r.re.source, r.re.flags.replace('g', '') + 'g');
  return bounded(r, () =>
    [...s.matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? ''))),
  );
}

/** re.sub with a Python replacement string; count 0 replaces all. */
export function pySub(r: PyRegex, s: string, repl: string, count = 0): string {
  const re = new RegExp(r.re.source, r.re.flags.replace('g', '') + 'g');
  let n = 0;
  return bounded(r, () =>
    s.replace(re, (...m: unknown[]) => {
      if (count > 0 && n >= count) return m[0] as string;
      n++;
      const last = m[m.length - 1];
      const groups = (typeof last === 'object' && last !== null ? last : {}) as Record<string, string | undefined>;
      const nGroups = m.length - (typeof last === 'object' && last !== null ? 3 : 2);
      return expandPythonTemplate(repl, (g) => {
        if (typeof g === 'number') {
          if (g > nGroups - 1) throw new FilterError(`invalid group reference ${g} in ${JSON.stringify(repl)}`);
          return (m[g] as string | undefined) ?? '';
        }
        if (!Object.hasOwn(groups, g)) throw new FilterError(`unknown group name "${g}" in ${JSON.stringify(repl)}`);
        return groups[g] ?? '';
      });
    }),
  );
}
