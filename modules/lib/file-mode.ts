// File permission modes: parsing the `mode` argument (octal or symbolic) and
// computing the resulting mode against the current one. Pure functions, used by
// file, copy, template, lineinfile and ini_file.
//
// Accepted forms:
//   "0644", "644", "01777"      octal string (a string of 3-4 octal digits is octal)
//   420                         an integer: what YAML 1.1 makes of `mode: 0644` (decimal 420)
//   "u=rwx,g=rx,o=", "o+x", "a-w", "g=u", "u+X", "+t"   symbolic, as chmod(1)
//
// Symbolic differences from chmod(1), documented in docs/modules/file.md:
//   - a clause without who (`+x`) means `a` and ignores the umask (chmod applies the umask);
//   - `=` clears the setuid/setgid bits of the classes it names, also on directories.

export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

const WHO_BITS = { u: 0o4700, g: 0o2070, o: 0o1007 } as const; // rwx plus that class's special bit
const RWX_SHIFT = { u: 6, g: 3, o: 0 } as const;
type Who = 'u' | 'g' | 'o';

export interface SymbolicClause {
  who: Who[];
  /** True when the clause named no class (`+x`): treated as `a`. */
  implicitWho: boolean;
  actions: { op: '+' | '-' | '='; perms: string; copyFrom?: Who }[];
}

export type ModeArg = string | number;

export class ModeError extends Error {}

/** Format a numeric mode as the four-digit octal string FileState uses ("0644"). */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** True when the argument is an absolute (octal) mode rather than symbolic. */
export function isOctalMode(arg: ModeArg): boolean {
  return typeof arg === 'number' || /^[0-7]{1,4}$/.test(arg.trim());
}

/** Parse an absolute mode argument to a number. Integers are taken as YAML gives them (0644 -> 420). */
export function parseOctalMode(arg: ModeArg): number {
  if (typeof arg === 'number') {
    if (!Number.isInteger(arg) || arg < 0 || arg > 0o7777) throw new ModeError(`mode ${arg} is not a permission value (0-07777)`);
    return arg;
  }
  const s = arg.trim();
  if (!/^[0-7]{1,4}$/.test(s)) throw new ModeError(`mode ${JSON.stringify(arg)} is not an octal mode`);
  return parseInt(s, 8);
}

/** Parse a symbolic mode ("u=rwx,g=rx,o-w") into clauses; throws ModeError on bad syntax. */
export function parseSymbolicMode(spec: string): SymbolicClause[] {
  if (spec.trim() === '') throw new ModeError('mode is empty');
  const clauses: SymbolicClause[] = [];
  for (const part of spec.split(',')) {
    const m = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/.exec(part.trim());
    if (!m) throw new ModeError(`mode ${JSON.stringify(spec)}: cannot parse clause ${JSON.stringify(part)} (expected e.g. u=rwx,g+rx,o-w)`);
    const whoText = m[1];
    const implicitWho = whoText === '';
    const who = new Set<Who>();
    for (const c of whoText || 'a') {
      if (c === 'a') ['u', 'g', 'o'].forEach((w) => who.add(w as Who));
      else who.add(c as Who);
    }
    const actions: SymbolicClause['actions'] = [];
    for (const am of m[2].matchAll(/([-+=])([ugo]|[rwxXst]*)/g)) {
      const op = am[1] as '+' | '-' | '=';
      if (/^[ugo]$/.test(am[2])) actions.push({ op, perms: '', copyFrom: am[2] as Who });
      else actions.push({ op, perms: am[2] });
    }
    clauses.push({ who: [...who].sort((a, b) => 'ugo'.indexOf(a) - 'ugo'.indexOf(b)), implicitWho, actions });
  }
  return clauses;
}

/** Bits one action grants to the given classes, evaluated against `mode` (for X and copies). */
function actionBits(who: Who[], perms: string, copyFrom: Who | undefined, mode: number, isDir: boolean): number {
  let rwx = 0; // as a 3-bit r=4 w=2 x=1 value
  let special = 0;
  if (copyFrom) {
    rwx = (mode >> RWX_SHIFT[copyFrom]) & 7;
  } else {
    for (const p of perms) {
      if (p === 'r') rwx |= 4;
      else if (p === 'w') rwx |= 2;
      else if (p === 'x') rwx |= 1;
      else if (p === 'X') {
        if (isDir || (mode & 0o111) !== 0) rwx |= 1;
      } else if (p === 's') {
        if (who.includes('u')) special |= S_ISUID;
        if (who.includes('g')) special |= S_ISGID;
      } else if (p === 't') {
        if (who.includes('o')) special |= S_ISVTX;
      }
    }
  }
  let bits = special;
  for (const w of who) bits |= rwx << RWX_SHIFT[w];
  return bits;
}

/** Apply a symbolic mode to the current mode. `isDir` drives `X`. */
export function applySymbolicMode(spec: string, current: number, isDir: boolean): number {
  let mode = current & 0o7777;
  for (const clause of parseSymbolicMode(spec)) {
    for (const a of clause.actions) {
      const bits = actionBits(clause.who, a.perms, a.copyFrom, mode, isDir);
      if (a.op === '+') mode |= bits;
      else if (a.op === '-') mode &= ~bits;
      else {
        let clear = 0;
        for (const w of clause.who) clear |= WHO_BITS[w];
        mode = (mode & ~clear) | bits;
      }
    }
  }
  return mode;
}

/**
 * The mode a path should end up with. `current` is its current mode ("0644") or
 * undefined when it does not exist yet (or is unknown); symbolic modes then apply to
 * `base` (0644 for a new file, 0755 for a new directory: umask 022).
 */
export function resolveMode(arg: ModeArg, current: string | undefined, isDir: boolean, base?: number): string {
  if (isOctalMode(arg)) return formatMode(parseOctalMode(arg));
  const start = current !== undefined ? parseInt(current, 8) : base ?? (isDir ? 0o755 : 0o644);
  return formatMode(applySymbolicMode(arg as string, start, isDir));
}

/**
 * A symbolic mode rewritten with explicit classes (`+x` -> `a+x`), so chmod(1) on the
 * host computes what resolveMode computed (chmod would apply its umask to `+x`).
 */
export function normalizeSymbolicMode(spec: string): string {
  return parseSymbolicMode(spec)
    .map((c) => (c.who.length === 3 ? 'a' : c.who.join('')) + c.actions.map((a) => a.op + (a.copyFrom ?? a.perms)).join(''))
    .join(',');
}
