// Split a command line into words with sh-like quoting, without a shell
// (the command module). Supported: blanks separate words; '...' is literal;
// "..." keeps everything but \" \\ \$ \` and backslash-newline; a backslash
// outside quotes takes the next character literally; backslash-newline is a
// line continuation. Nothing is expanded ($VAR, globs, ~ stay literal).
// Unquoted | ; & < > are refused: they would be shell operators, and the
// command module has no shell (use the shell module, or quote them).

export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

const BLANK = /[ \t\n\r]/;
const OPERATOR = /[|;&<>]/;
const DQ_ESCAPABLE = new Set(['"', '\\', '$', '`']);

export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (BLANK.test(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SplitError(`unterminated single quote at character ${i + 1}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = line[j];
        if (d === '"') {
          closed = true;
          break;
        }
        if (d === '\\' && j + 1 < n) {
          const e = line[j + 1];
          if (e === '\n') {
            j += 2;
            continue;
          }
          if (DQ_ESCAPABLE.has(e)) {
            word += e;
            j += 2;
            continue;
          }
        }
        word += d;
        j++;
      }
      if (!closed) throw new SplitError(`unterminated double quote at character ${i + 1}`);
      inWord = true;
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= n) throw new SplitError('the command ends with a lone backslash');
      if (line[i + 1] !== '\n') {
        word += line[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (OPERATOR.test(c)) {
      throw new SplitError(
        `unquoted ${JSON.stringify(c)} at character ${i + 1}: the command module runs no shell, so pipes, `
        + 'redirections, ; and & do not work; use the shell module, or quote the character to pass it literally',
      );
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
