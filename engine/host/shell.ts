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
