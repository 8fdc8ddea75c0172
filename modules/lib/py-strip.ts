// Python's str.strip() and str.split() without arguments: whitespace as
// str.isspace() sees it. JavaScript's trim() differs: it also strips U+FEFF (a
// UTF-8 byte order mark read as text) and keeps U+001C-U+001F and U+0085. Pure.

const PY_SPACE = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const EDGES = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
const RUNS = new RegExp(`[${PY_SPACE}]+`);

/** str.strip() */
export function pyStrip(s: string): string {
  return s.replace(EDGES, '');
}

/** str.split(): the words between runs of whitespace, none empty. */
export function pySplit(s: string): string[] {
  return s.split(RUNS).filter((w) => w !== '');
}
