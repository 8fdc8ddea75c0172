// Python regexps for modules that match lines of a file (lineinfile, find,
// ...): the one translator and replacement expander of
// engine/template/py-regex.ts in its bytes mode (lines are byte strings,
// modules/lib/byte-text.ts: `\s` is ASCII whitespace, as Python's re on
// bytes), with this layer's error class and messages. \A and \Z are the
// string's ends, also with (?m).
//
// Matching is bounded in time (engine/template/bounded-regex.ts): run every match of a
// compiled regexp through matchBounded, which turns a stalled match into a RegexError.

import { boundedRegex, RegexTimeLimitError } from '../../engine/template/bounded-regex.js';
import { expandPythonTemplate, PROBLEM_TEXT, PySyntaxError, translatePython } from '../../engine/template/py-regex.js';

export class RegexError extends Error {}

/** Run `fn` (matches of `re`, once or over many lines) within the regexp time limit; `label` names it as written. */
export function matchBounded<T>(re: RegExp, label: string, fn: () => T): T {
  try {
    return boundedRegex(re, fn, label);
  } catch (e) {
    if (e instanceof RegexTimeLimitError) throw new RegexError(e.message);
    throw e;
  }
}

export function translatePythonRegex(pattern: string, multiline = false): { source: string; flags: string } {
  try {
    return translatePython(pattern, { bytes: true, multiline });
  } catch (e) {
    if (e instanceof PySyntaxError) throw new RegexError(`regexp ${JSON.stringify(pattern)}: ${PROBLEM_TEXT[e.problem]}`);
    throw e;
  }
}

/** Compile a Python-style regexp for matching single lines (`multiline`: a whole text with Python's re.MULTILINE). */
export function compilePythonRegex(pattern: string, what = 'regexp', multiline = false): RegExp {
  const { source, flags } = translatePythonRegex(pattern, multiline);
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new RegexError(`${what} ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`);
  }
}

/**
 * Python's Match.expand: `\1`..`\99`, `\g<1>`, `\g<name>`, octal and \n \t \\ escapes.
 * An unmatched group expands to "" (Python 3.5+). Unknown escapes stay as written.
 */
export function expandBackrefs(template: string, match: RegExpExecArray): string {
  return expandPythonTemplate(template, (ref) => {
    if (typeof ref === 'number') {
      if (ref >= match.length) throw new RegexError(`line refers to group ${ref}, but the regexp has ${match.length - 1}`);
      return match[ref] ?? '';
    }
    if (!match.groups || !(ref in match.groups)) throw new RegexError(`line refers to unknown group name ${JSON.stringify(ref)}`);
    return match.groups[ref] ?? '';
  });
}
