// The one place that turns argument vectors into shell text (DESIGN.md §6).
// Modules build argv arrays; nothing else in tsplay concatenates user input
// into a shell command.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for POSIX sh so that it arrives literally. */
export function quote(word: string): string {
  if (word === '') return "''";
  if (SAFE.test(word)) return word;
  return "'" + word.replace(/'/g, `'\\''`) + "'";
}

/** Quote an argument vector into one shell command line. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty argument vector');
  return argv.map(quote).join(' ');
}

/**
 * Environment assignments (NAME=value) prefixed to a command, names checked.
 * Shell assignments, not `env NAME=value`: an `env` process would show the
 * values on its command line (engine/host/host.ts sends such text on stdin).
 */
export function envPrefix(env: Record<string, string> | undefined): string {
  if (!env) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name: ${JSON.stringify(name)}`);
    parts.push(`${name}=${quote(value)}`);
  }
  return parts.length ? parts.join(' ') + ' ' : '';
}

/**
 * A script for `/bin/sh` to read on its standard input: the text in one brace
 * group, parsed whole before it runs, with its own stdin from /dev/null so no
 * command can read the rest of the script.
 */
export function stdinScript(text: string): string {
  return `{ ${text}\n} </dev/null\n`;
}

// ---------------------------------------------------------------------------
// The inverse: a command line split into words without a shell.

/** A command line that cannot be split into words (the message names the place). */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

const BLANK = /[ \t\n\r]/;
const OPERATOR = /[|;&<>]/;
const DQ_ESCAPABLE = new Set(['"', '\\', '$', '`']);

/**
 * Split a command line into words as Ansible 2.14 does for a command run
 * without a shell (the command module's free form, `validate:`): Python's
 * shlex.split in POSIX mode. Blanks (space, tab, CR, LF) separate words;
 * '...' is literal; a backslash outside quotes takes the next character
 * literally; nothing is expanded ($VAR, globs and ~ stay as written).
 *
 * Where shlex differs from sh, three places follow sh instead (as tsplay
 * always did; test/unit/engine/host/shell-split.test.ts shows each):
 * inside "..." a backslash also escapes $ and ` (shlex keeps the backslash),
 * backslash-newline is a line continuation inside and outside "..." (shlex
 * keeps it, or makes a word of the newline), and an unquoted | ; & < > is
 * refused, since with no shell it would reach the program as a plain
 * argument (shlex passes it on).
 */
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
        `unquoted ${JSON.stringify(c)} at character ${i + 1}: the command module runs no shell (nor does validate), `
        + 'so pipes, redirections, ; and & do not work; use the shell module, or quote the character to pass it literally',
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
