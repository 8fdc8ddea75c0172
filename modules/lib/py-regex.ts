// Ansible's regexps are Python's `re`; tsplay matches with JavaScript RegExp.
// This translates the Python-only syntax that playbooks commonly use and expands
// Python-style backreferences in a replacement line. Pure functions.
//
// Translated:  (?P<name>...) -> (?<name>...)    (?P=name) -> \k<name>
//              leading inline flags (?i) (?m) (?s) (?ims) -> RegExp flags
//              \A -> ^ and \Z -> $ (lines are matched one at a time, without their ending)
//              \s \S -> ASCII whitespace [ \t\n\r\f\v], as Python's re on bytes (lines are
//              byte strings, modules/lib/byte-text.ts: JavaScript's \s would also take
//              byte A0, the last byte of a UTF-8 "à"; \S inside [...] stays JavaScript's)
// Refused:     (?x) verbose mode, conditionals (?(1)...), possessive/atomic groups.
// Not translated (behave as in JavaScript): \d \w match ASCII only, Unicode
// classes differ; lookbehind works (JavaScript supports variable-length lookbehind).
//
// Matching is bounded in time (engine/template/bounded-regex.ts): run every match of a
// compiled regexp through matchBounded, which turns a stalled match into a RegexError.

import { boundedRegex, RegexTimeLimitError } from '../../engine/template/bounded-regex.js';

export class RegexError extends Error {}

/** Python's whitespace for bytes patterns, as RegExp class content. */
const ASCII_SPACE = ' \\t\\n\\r\\f\\v';

/** Run `fn` (matches of `re`, once or over many lines) within the regexp time limit; `label` names it as written. */
export function matchBounded<T>(re: RegExp, label: string, fn: () => T): T {
  try {
    return boundedRegex(re, fn, label);
  } catch (e) {
    if (e instanceof RegexTimeLimitError) throw new RegexError(e.message);
    throw e;
  }
}

export function translatePythonRegex(pattern: string): { source: string; flags: string } {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 'm' || f === 's') flags += flags.includes(f) ? '' : f;
      else if (f === 'x') throw new RegexError(`regexp ${JSON.stringify(pattern)}: verbose mode (?x) is not supported`);
      // a, L, u: no JavaScript equivalent needed for line matching
    }
    src = src.slice(lead[0].length);
  }
  if (/\(\?\(/.test(src)) throw new RegexError(`regexp ${JSON.stringify(pattern)}: conditional groups (?(...)...) are not supported`);
  if (/\(\?>/.test(src)) throw new RegexError(`regexp ${JSON.stringify(pattern)}: atomic groups (?>...) are not supported`);
  // Walk the pattern so escaped characters and character classes are left alone.
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (!inClass && n === 'A') out += '^';
      else if (!inClass && n === 'Z') out += '$';
      else if (n === 's') out += inClass ? ASCII_SPACE : `[${ASCII_SPACE}]`;
      else if (!inClass && n === 'S') out += `[^${ASCII_SPACE}]`;
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
      const end = src.indexOf(')', i);
      if (end === -1) throw new RegexError(`regexp ${JSON.stringify(pattern)}: unterminated (?P=name)`);
      out += `\\k<${src.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

/** Compile a Python-style regexp for matching single lines. */
export function compilePythonRegex(pattern: string, what = 'regexp'): RegExp {
  const { source, flags } = translatePythonRegex(pattern);
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new RegexError(`${what} ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/**
 * Python's Match.expand: `\1`..`\99`, `\g<1>`, `\g<name>`, and \n \t \\ escapes.
 * An unmatched group expands to "" (Python 3.5+). Unknown escapes stay as written.
 */
export function expandBackrefs(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '\\' || i === template.length - 1) {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    let m: RegExpExecArray | null;
    if ((m = /^g<([^>]*)>/.exec(rest))) {
      const ref = m[1];
      let value: string | undefined;
      if (/^\d+$/.test(ref)) {
        const n = Number(ref);
        if (n >= match.length) throw new RegexError(`line refers to group ${n}, but the regexp has ${match.length - 1}`);
        value = match[n];
      } else {
        if (!match.groups || !(ref in match.groups)) throw new RegexError(`line refers to unknown group name ${JSON.stringify(ref)}`);
        value = match.groups[ref];
      }
      out += value ?? '';
      i += m[0].length;
    } else if ((m = /^[1-9]\d?/.exec(rest))) {
      const digits = m[0];
      const n = Number(digits);
      if (n >= match.length) throw new RegexError(`line refers to group ${n}, but the regexp has ${match.length - 1}`);
      out += match[n] ?? '';
      i += digits.length;
    } else if (rest[0] in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[rest[0]];
      i += 1;
    } else {
      out += c;
    }
  }
  return out;
}
