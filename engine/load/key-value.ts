// The `key=value` argument form (`file: path=/x state=directory mode=0755`),
// read as Ansible 2.14 reads it (its parse_kv / split_args): the string is cut
// at single spaces and newlines, and pieces are put back together while a
// quote or a `{{ }}` / `{% %}` / `{# #}` span is open; each word with an `=`
// (not at its start, not escaped) is an option, its value unquoted; the other
// words are the free-form part (`_raw_params`), joined as they were written.
// For a free-form module (command, shell) only the words naming one of its
// own options (`chdir=`, `creates=`, ...) are options; every other word,
// `a=b` included, is part of the command. Values are strings: the module's
// schema converts them (module-args.ts), as Ansible's argument spec does.

export class KeyValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyValueError';
  }
}

/** The options a free-form module takes inside its string (Ansible's list); every other `a=b` is command text. */
export const FREE_FORM_OPTIONS: ReadonlySet<string> = new Set([
  'creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends',
]);

export interface KeyValueArgs {
  options: Record<string, string>;
  /** The words that are not options, joined as written (undefined when there are none). */
  raw?: string;
}

/**
 * Occurrences of `needle` in `s`, not overlapping (as Python's str.count). A
 * `{#` that is part of `{{#` is not a comment: it is tsplay's handlebars block
 * (`{{#if x}}`), which Ansible refuses in any case.
 */
function countOf(s: string, needle: string): number {
  let n = 0;
  for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length)) {
    if (!(needle === '{#' && i > 0 && s[i - 1] === '{')) n++;
  }
  return n;
}

/** The open quote after reading `token`, starting from `open` (a quote preceded by a backslash does not count). */
function quoteAfter(token: string, open: string | undefined): string | undefined {
  let q = open;
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    if ((c === '"' || c === "'") && (i === 0 || token[i - 1] !== '\\')) {
      if (q === undefined) q = c;
      else if (c === q) q = undefined;
    }
  }
  return q;
}

const SPANS: ReadonlyArray<readonly [string, string]> = [['{{', '}}'], ['{%', '%}'], ['{#', '#}']];

/**
 * Cut an argument string into words, keeping quoted text and Jinja spans whole
 * (with the spaces and newlines inside them as written).
 */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  const depth = [0, 0, 0];
  let quote: string | undefined;
  const inSpan = () => depth.some((d) => d > 0);
  const appendToLast = (s: string) => {
    if (!words.length) throw new KeyValueError('unable to parse the argument string');
    words[words.length - 1] += s;
  };
  const lines = text.split('\n');
  lines.forEach((line, lineNo) => {
    const tokens = line.split(' ');
    let continued = false;
    tokens.forEach((token, idx) => {
      // A run of spaces: kept on the word before it.
      if (token === '' && idx !== 0) {
        appendToLast(' ');
        return;
      }
      if (token === '\\' && quote === undefined) {
        continued = true;
        return;
      }
      const wasQuoted = quote !== undefined;
      quote = quoteAfter(token, quote);
      const quoted = quote !== undefined;
      let placed = false;
      if (quoted && !wasQuoted && !inSpan()) {
        words.push(token);
        placed = true;
      } else if (inSpan() || quoted || wasQuoted) {
        if (idx === 0 && wasQuoted) appendToLast(token);
        else if (tokens.length > 1) appendToLast((idx > 0 ? ' ' : '') + token);
        else appendToLast('\n' + token);
        placed = true;
      }
      SPANS.forEach(([open, close], k) => {
        const opens = countOf(token, open);
        const closes = countOf(token, close);
        if (opens === closes) return;
        depth[k] = Math.max(0, depth[k] + opens - closes);
        if (!placed) {
          words.push(token);
          placed = true;
        }
      });
      if (!placed && !inSpan() && !quoted && token !== '') words.push(token);
    });
    if (lines.length > 1 && lineNo !== lines.length - 1 && !continued) appendToLast('\n');
  });
  if (inSpan() || quote !== undefined) {
    throw new KeyValueError(`unbalanced quotes or Jinja2 block in the argument string: ${text}`);
  }
  return words;
}

const ESCAPE = /\\U[0-9a-fA-F]{8}|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\N\{[^}]+\}|\\[\\'"abfnrtv]/g;
const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Backslash escapes as Python's unicode-escape decodes them (\n, \t, \", \x41, \u00e9, \U0001F600). */
function decodeEscapes(s: string): string {
  return s.replace(ESCAPE, (m) => {
    const c = m[1];
    if (c === 'N') throw new KeyValueError(`the escape ${m} (a Unicode character by name) is not supported by tsplay; write the character itself`);
    if (c === 'x' || c === 'u' || c === 'U') {
      const code = parseInt(m.slice(2), 16);
      if (code > 0x10ffff) throw new KeyValueError(`the escape ${m} is not a Unicode character`);
      return String.fromCodePoint(code);
    }
    return SIMPLE_ESCAPES[c];
  });
}

/** Without its enclosing quotes, when it starts and ends with the same quote (and the last is not escaped). */
export function unquote(s: string): string {
  const quoted = s.length > 1 && s[0] === s[s.length - 1] && (s[0] === '"' || s[0] === "'") && s[s.length - 2] !== '\\';
  return quoted ? s.slice(1, -1) : s;
}

/** Free-form words put back together as written: a space between them, none after a newline. */
function joinWords(words: string[]): string {
  let out = '';
  for (const w of words) out += out === '' || out.endsWith('\n') ? w : ' ' + w;
  return out;
}

/** The position of the `=` that ends the key: the first one after the word's first character that is not escaped. */
function keyEnd(word: string): number {
  for (let i = word.indexOf('=', 1); i >= 0; i = word.indexOf('=', i + 1)) if (word[i - 1] !== '\\') return i;
  return -1;
}

/**
 * Parse `key=value` arguments. With `freeForm`, only the keys in
 * FREE_FORM_OPTIONS are options and every other word is free-form text.
 */
export function parseKeyValue(text: string, freeForm = false): KeyValueArgs {
  const options: Record<string, string> = {};
  const raw: string[] = [];
  for (const word of splitArgs(text)) {
    const decoded = decodeEscapes(word);
    if (!decoded.includes('=')) {
      raw.push(word);
      continue;
    }
    const at = keyEnd(decoded);
    if (at < 0) {
      // Only escaped `=`: free-form text, unescaped.
      raw.push(decoded.replace(/\\=/g, '='));
      continue;
    }
    const key = decoded.slice(0, at);
    if (freeForm && !FREE_FORM_OPTIONS.has(key)) raw.push(word);
    else options[key.trim()] = unquote(decoded.slice(at + 1).trim());
  }
  return raw.length ? { options, raw: joinWords(raw) } : { options };
}
