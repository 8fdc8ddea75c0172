// fstab(5) parser and serializer that keeps every line it does not change.
//
// A file is a list of lines; each line keeps its raw text and its line ending,
// so comments, blank lines, odd spacing and a missing final newline survive a
// round trip byte for byte. Fields use fstab's octal escapes (`\040` for a
// space, `\011` tab, `\012` newline, `\134` backslash); parsed entries hold
// the decoded values.

export interface FstabEntry {
  src: string;
  /** Mount point (decoded). */
  path: string;
  fstype: string;
  opts: string;
  /** Undefined when the line omits the field (fstab treats it as 0). */
  dump?: string;
  passno?: string;
}

export interface FstabLine {
  /** The line without its ending. */
  raw: string;
  /** "\n", or "" for a last line without a newline. */
  eol: string;
  /** Present when the line is an entry (not a comment, blank or malformed). */
  entry?: FstabEntry;
}

/** Decode fstab's octal escapes (`\040` -> space). Other backslashes stay. */
export function decodeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Encode a value for one fstab field: whitespace and backslash as octal escapes. */
export function encodeField(value: string): string {
  return value.replace(/[\\ \t\n\r\v\f]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** "/mnt/x/" -> "/mnt/x"; "/" stays; repeated slashes collapse. */
export function normalizeMountPath(p: string): string {
  const collapsed = p.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

/** Parse one line into an entry, or undefined for comments, blank and malformed lines. */
export function parseEntry(raw: string): FstabEntry | undefined {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const fields = text.split(/\s+/);
  if (fields.length < 2) return undefined;
  const [src, path, fstype = '', opts = 'defaults', dump, passno] = fields.map(decodeField);
  return { src, path, fstype, opts, dump, passno };
}

export function parseFstab(text: string): FstabLine[] {
  if (text === '') return [];
  const lines: FstabLine[] = [];
  for (const piece of text.split(/(?<=\n)/)) {
    const eol = piece.endsWith('\n') ? '\n' : '';
    const raw = eol ? piece.slice(0, -1) : piece;
    const entry = parseEntry(raw);
    lines.push(entry ? { raw, eol, entry } : { raw, eol });
  }
  return lines;
}

export function serializeFstab(lines: readonly FstabLine[]): string {
  return lines.map((l) => l.raw + l.eol).join('');
}

/** One entry as an fstab line (fields separated by one space, escaped). */
export function formatEntry(e: FstabEntry): string {
  return [e.src, e.path, e.fstype, e.opts, e.dump ?? '0', e.passno ?? '0'].map(encodeField).join(' ');
}

/** Whether two entries mean the same thing (missing dump/passno count as 0). */
export function sameEntry(a: FstabEntry, b: FstabEntry): boolean {
  return a.src === b.src
    && normalizeMountPath(a.path) === normalizeMountPath(b.path)
    && a.fstype === b.fstype
    && a.opts === b.opts
    && (a.dump ?? '0') === (b.dump ?? '0')
    && (a.passno ?? '0') === (b.passno ?? '0');
}

/** Indexes of the entries whose mount point is `path` (normalized). */
export function findEntries(lines: readonly FstabLine[], path: string): number[] {
  const want = normalizeMountPath(path);
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (l.entry && normalizeMountPath(l.entry.path) === want) out.push(i);
  });
  return out;
}

export interface FstabEdit {
  lines: FstabLine[];
  changed: boolean;
  /** What the edit did, for the plan's summary. */
  what: 'added' | 'updated' | 'removed' | 'deduplicated' | 'none';
}

/**
 * Make `desired` the one entry for its mount point: update the first entry for
 * the path in place (keeping its position), drop later duplicates, or append.
 */
export function setEntry(lines: readonly FstabLine[], desired: FstabEntry): FstabEdit {
  const idx = findEntries(lines, desired.path);
  if (idx.length === 0) {
    const out = lines.slice();
    const last = out[out.length - 1];
    if (last && last.eol === '') out[out.length - 1] = { ...last, eol: '\n' };
    out.push({ raw: formatEntry(desired), eol: '\n', entry: { ...desired } });
    return { lines: out, changed: true, what: 'added' };
  }
  const [first, ...dups] = idx;
  const firstSame = sameEntry(lines[first].entry!, desired);
  if (firstSame && dups.length === 0) return { lines: lines.slice(), changed: false, what: 'none' };
  const out: FstabLine[] = [];
  lines.forEach((l, i) => {
    if (i === first) out.push(firstSame ? l : { raw: formatEntry(desired), eol: l.eol, entry: { ...desired } });
    else if (!dups.includes(i)) out.push(l);
  });
  return { lines: out, changed: true, what: firstSame ? 'deduplicated' : 'updated' };
}

/** Remove every entry for `path`. */
export function removeEntries(lines: readonly FstabLine[], path: string): FstabEdit {
  const idx = findEntries(lines, path);
  if (idx.length === 0) return { lines: lines.slice(), changed: false, what: 'none' };
  const out = lines.filter((_l, i) => !idx.includes(i));
  return { lines: out, changed: true, what: 'removed' };
}
