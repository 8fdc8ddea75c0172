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

/** Compile a Python pattern; `name` is the filter or test for messages. */
export function pyRegex(name: string, pattern: unknown, ignorecase = false, multiline = false): PyRegex {
  if (typeof pattern !== 'string') throw new FilterError(`${name}: a regular expression must be a string, got ${typeName(pattern)}`);
  let src = pattern;
  // no `u` flag: V8's linear-time engine (bounded-regex.ts) does not run it
  let flags = '';
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    src = src.slice(lead[0].length);
    for (const f of lead[1]) {
      if (f === 'i') ignorecase = true;
      else if (f === 'm') multiline = true;
      else if (f === 's') flags += 's';
      else if (f === 'x') throw new FilterError(`${name}: the (?x) verbose flag is not supported`);
    }
  }
  src = src
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])\\A/g, '$1^')
    .replace(/(^|[^\\])\\Z/g, '$1$(?![\\s\\S])');
  if (ignorecase) flags += 'i';
  if (multiline) flags += 'm';
  let re: RegExp;
  try {
    re = new RegExp(src, flags);
  } catch (e) {
    throw new FilterError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
  return { re, pattern, label: `${name} regexp ${JSON.stringify(pattern)}` };
}

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
      return expandRepl(repl, (g) => {
        if (/^\d+$/.test(g)) {
          const i = Number(g);
          if (i > nGroups - 1) throw new FilterError(`invalid group reference ${g} in ${JSON.stringify(repl)}`);
          return (m[i] as string | undefined) ?? '';
        }
        if (!Object.hasOwn(groups, g)) throw new FilterError(`unknown group name "${g}" in ${JSON.stringify(repl)}`);
        return groups[g] ?? '';
      });
    }),
  );
}

const REPL_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

function expandRepl(repl: string, group: (g: string) => string): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c !== '\\' || i + 1 >= repl.length) {
      out += c;
      continue;
    }
    const rest = repl.slice(i + 1);
    const num = /^\d{1,2}/.exec(rest);
    const named = /^g<(\w+)>/.exec(rest);
    if (num) {
      out += group(String(Number(num[0])));
      i += num[0].length;
    } else if (named) {
      out += group(named[1]);
      i += named[0].length;
    } else if (Object.hasOwn(REPL_ESCAPES, rest[0])) {
      out += REPL_ESCAPES[rest[0]];
      i++;
    } else {
      out += c; // Python keeps an unknown escape of a non-letter as it is
    }
  }
  return out;
}
