// Python `re` over a whole text (replace's regexp, with re.MULTILINE; its
// before/after section pattern, with re.DOTALL), where modules/lib/py-regex.ts
// matches one line at a time. Python and JavaScript differ on the whole text:
//   `^` (MULTILINE)   Python: start, or after "\n"       JS m: also after "\r", U+2028, U+2029
//   `$` (MULTILINE)   Python: end, or before "\n"        JS m: also before "\r", U+2028, U+2029
//   `$` (no MULTILINE) Python: end, or before a final "\n"  JS: end only
//   `.`               Python: anything but "\n"          JS: also not "\r", U+2028, U+2029
//   `\A` `\Z`         start / end of the text            (py-regex.ts maps them to ^ $ for lines)
// So these are rewritten outside character classes before the rest of the
// translation (py-regex.ts: named groups, \s, leading flags) is applied. When the
// text has none of "\r", U+2028, U+2029, JavaScript's own `^`/`$` with the m flag
// already mean Python's, and are kept (they run on V8's linear-time engine).
// Pure.

import { RegexError, translatePythonRegex } from './py-regex.js';

export interface WholeTextRegexOptions {
  /** re.MULTILINE: ^ and $ at every line. */
  multiline: boolean;
  /** re.DOTALL: . matches "\n" too. */
  dotall: boolean;
}

const END = '(?![\\d\\D])';

/** Compile a Python pattern to match against `text` as a whole (global: for exec loops). */
export function compileWholeTextRegex(pattern: string, text: string, opts: WholeTextRegexOptions, what = 'regexp'): RegExp {
  let body = pattern;
  let multiline = opts.multiline;
  let dotall = opts.dotall;
  let flags = 'g';
  const lead = /^\(\?([aiLmsux]+)\)/.exec(body);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'm') multiline = true;
      else if (f === 's') dotall = true;
      else if (f === 'i') flags += 'i';
      else if (f === 'x') throw new RegexError(`${what} ${JSON.stringify(pattern)}: verbose mode (?x) is not supported`);
    }
    body = body.slice(lead[0].length);
  }
  const plainLines = !/[\r\u2028\u2029]/.test(text);
  const nativeM = multiline && plainLines;
  if (nativeM) flags += 'm';
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const n = body[i + 1];
      if (!inClass && n === 'A') out += '(?<![\\d\\D])';
      else if (!inClass && n === 'Z') out += END;
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
      if (body[i + 1] === '^') { out += '^'; i++; }
      if (body[i + 1] === ']') { out += ']'; i++; }
      continue;
    }
    if (c === '^') out += nativeM || !multiline ? '^' : '(?<![^\\n])';
    else if (c === '$') out += nativeM ? '$' : multiline ? `(?=\\n|${END})` : `(?=\\n?${END})`;
    else if (c === '.' && !dotall) out += '[^\\n]';
    else if (c === '(' && body[i + 1] === '?' && body[i + 2] === '#') {
      // a Python comment group: dropped
      const end = body.indexOf(')', i);
      if (end === -1) throw new RegexError(`${what} ${JSON.stringify(pattern)}: unterminated comment`);
      i = end;
    } else out += c;
  }
  if (dotall) flags += 's';
  const { source, flags: more } = translatePythonRegex(out);
  for (const f of more) if (!flags.includes(f)) flags += f;
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new RegexError(`${what} ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`);
  }
}
