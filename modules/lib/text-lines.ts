// Line-oriented editing of byte strings (see byte-text.ts: one char per byte)
// that keeps a file's bytes: every line keeps its own ending ("\n", "\r\n", or
// "" for a last line without one), so CRLF files and a missing final newline
// survive an edit of some other line. Pure functions.

export interface Line {
  /** The line without its ending. */
  text: string;
  /** "\n", "\r\n", or "" (only possible for the last line). */
  eol: string;
}

/** Split text into lines; "" gives no lines; "a\n" gives one line. */
export function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const nl = content.indexOf('\n', start);
    if (nl === -1) {
      lines.push({ text: content.slice(start), eol: '' });
      break;
    }
    const cr = nl > start && content[nl - 1] === '\r';
    lines.push({ text: content.slice(start, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return lines;
}

export function joinLines(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

/** The ending new lines get: the file's first line ending, "\n" for a file without one. */
export function detectEol(lines: readonly Line[]): string {
  return lines.find((l) => l.eol !== '')?.eol ?? '\n';
}

/**
 * Insert a written line at `index` (0..lines.length), ending with `eol`. Appending
 * after a last line that has no ending gives that line one first (the two lines
 * would otherwise merge); no other line is touched.
 */
export function insertLine(lines: Line[], index: number, text: string, eol: string): void {
  if (index === lines.length && index > 0 && lines[index - 1].eol === '') lines[index - 1] = { ...lines[index - 1], eol };
  lines.splice(index, 0, { text, eol });
}

/** Replace the text of line `index`; the written line gets an ending (the file's) if it had none. */
export function replaceLine(lines: Line[], index: number, text: string, eol: string): void {
  lines[index] = { text, eol: lines[index].eol || eol };
}

/** First non-empty line (trimmed) of a command's output, for one-line messages. */
export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}
