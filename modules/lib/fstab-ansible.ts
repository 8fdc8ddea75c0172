// fstab edited as ansible.posix.mount edits it on Linux (its set_mount and
// unset_mount, read there and written here; no code copied). Pure, on the
// file's text as a byte string (lib/byte-text.ts).
//
// Lines are read as Python reads a text file (\r\n and \r end lines too and
// become \n). An entry is a line of 4 to 6 whitespace-separated fields (exactly
// 6 for removal); comments, blank lines and other lines are kept as read.
// Fields are compared as written, escaped (\040 for a space, \046 for &, \134
// for a backslash): no path normalisation, and a line that omits dump or passno
// never equals the wanted entry (Ansible compares its default, the number 0,
// with the string "0"), so it is rewritten with all six fields.

/** The fields Ansible writes, unescaped (name: the mount point). */
export interface AnsibleFstabEntry {
  src: string;
  name: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

export interface AnsibleFstabEdit {
  changed: boolean;
  /** The whole new text (the text as read when nothing changed). */
  text: string;
}

// Python's str.split() on the ASCII whitespace (the text is a byte string: no multi-byte spaces).
const SPACE = ' \\t\\n\\r\\v\\f\\x1c-\\x1f';
const WORDS = new RegExp(`[${SPACE}]+`);
const LEADING = new RegExp(`^[${SPACE}]+`);
const words = (line: string): string[] => line.split(WORDS).filter((w) => w !== '');
const blank = (line: string): boolean => words(line).length === 0;
const comment = (line: string): boolean => line.replace(LEADING, '').startsWith('#');

/** Python's readlines() in text mode: every line with its "\n" (CR LF and CR read as "\n"). */
export function readLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split(/(?<=\n)/).filter((l) => l !== '');
}

const OTHER_SPACE = new RegExp(`[${SPACE.slice(1)}]`, 'g');

/**
 * ansible.posix's _escape_fstab (backslash, space and ampersand as octal escapes),
 * and also the other whitespace (tab \\011, newline \\012, ...), which Ansible writes
 * raw and so breaks the line (a deliberate difference, docs/modules/mount.md).
 */
export function escapeFstab(v: string): string {
  return v.replaceAll('\\', '\\134').replaceAll(' ', '\\040').replaceAll('&', '\\046')
    .replace(OTHER_SPACE, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

const format = (e: AnsibleFstabEntry | Record<keyof AnsibleFstabEntry, string>): string =>
  `${e.src} ${e.name} ${e.fstype} ${e.opts} ${e.dump} ${e.passno}\n`;

/** A swap line (mount point "none") names its device: another device's line is not this one. */
const otherSwap = (src: string, name: string, fstype: string, wanted: string | undefined): boolean =>
  wanted !== undefined && name === 'none' && fstype === 'swap' && src !== wanted;

/** set_mount: update every line for the mount point, or append the entry. */
export function setMount(text: string, want: AnsibleFstabEntry): AnsibleFstabEdit {
  const esc = {
    src: escapeFstab(want.src), name: escapeFstab(want.name), fstype: escapeFstab(want.fstype),
    opts: escapeFstab(want.opts), dump: escapeFstab(want.dump), passno: escapeFstab(want.passno),
  };
  const out: string[] = [];
  let exists = false;
  let changed = false;
  for (const read of readLines(text)) {
    const line = read.endsWith('\n') ? read : `${read}\n`;
    const f = words(line);
    if (blank(line) || comment(line) || f.length < 4 || f.length > 6) {
      out.push(line);
      continue;
    }
    const [src, name, fstype, opts] = f;
    if (name !== esc.name || otherSwap(src, name, fstype, want.src)) {
      out.push(line);
      continue;
    }
    exists = true;
    // dump and passno left out of the line: Ansible's number 0, never equal to a string.
    const differs = src !== esc.src || fstype !== esc.fstype || opts !== esc.opts || f[4] !== esc.dump || f[5] !== esc.passno;
    // Ansible's flag is the function's: once set, every later line for the path is written anew too.
    if (differs) changed = true;
    out.push(changed ? format(esc) : line);
  }
  if (!exists) {
    out.push(format(esc));
    changed = true;
  }
  return { changed, text: changed ? out.join('') : text };
}

/** unset_mount: drop every 6-field line for the mount point (for swap, with `src`: that device's). */
export function unsetMount(text: string, name: string, src?: string): AnsibleFstabEdit {
  const esc = escapeFstab(name);
  const out: string[] = [];
  let changed = false;
  for (const line of readLines(text)) {
    const f = words(line);
    if (!blank(line) && !comment(line) && f.length === 6 && f[1] === esc && !otherSwap(f[0], f[1], f[2], src)) {
      changed = true;
      continue;
    }
    out.push(line);
  }
  return { changed, text: changed ? out.join('') : text };
}

/** Ansible's `boot: false` on Linux: noauto added to the options, unless they hold noauto or defaults. */
export function bootOpts(opts: string, boot: boolean): string {
  const list = opts.split(',');
  if (list.includes('noauto') || boot || list.includes('defaults')) return opts;
  return [...list, 'noauto'].join(',');
}
