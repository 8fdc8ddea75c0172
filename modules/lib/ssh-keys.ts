// authorized_keys lines as ansible.posix.authorized_key reads and writes them
// (read there, written here; no code copied). Pure.
//
// A file is a map from an identifier to an entry with a rank (its line number):
// a key line's identifier is its base64 blob, any other line's the line itself
// (with its line ending), so a duplicated key or a repeated blank line keeps only
// its last occurrence, as Ansible's dict does. Writing sorts the entries by rank
// and prints each key as `[options ]type blob comment\n` (a key without a comment
// gets a trailing space, as Ansible writes it); other lines come back as read.

export const KEY_TYPES = [
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'ssh-ed25519',
  'ssh-dss',
  'ssh-rsa',
] as const;

/** key_options in order; a name may repeat; a bare option has value null. */
export type KeyOptions = Array<[string, string | null]>;

export interface KeyEntry {
  /** The base64 blob (a key), or the whole line as read (a line kept as is). */
  id: string;
  /** The key type, or 'skipped' for a comment, blank or unparsable line kept as is. */
  type: string;
  options: KeyOptions;
  comment: string;
  rank: number;
}

// The line boundaries of Python's str.splitlines (the file separators 0x1c-0x1e among them).
const BREAKS = `\n\r\v\f${String.fromCharCode(0x1c, 0x1d, 0x1e)}\u0085\u2028\u2029`;
const BREAK = new RegExp(`\r\n|[${BREAKS}]`, 'g');
const ENDING = new RegExp(`(\r\n|[${BREAKS}])$`);

/** Python's str.splitlines(keepends): every line with its ending. */
export function splitLinesKeep(text: string): string[] {
  const out: string[] = [];
  const re = new RegExp(BREAK.source, 'g');
  let start = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(text.slice(start, m.index + m[0].length));
    start = m.index + m[0].length;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Python's str.splitlines() without the endings. */
export function splitLines(text: string): string[] {
  return splitLinesKeep(text).map((l) => l.replace(ENDING, ''));
}

/** Options split on commas outside quotes, each `name=value` or a bare name (Ansible's parseoptions). */
export function parseOptions(text: string | undefined | null): KeyOptions {
  const out: KeyOptions = [];
  if (!text) return out;
  const parts = text.split(/((?:[^,"']|"[^"]*"|'[^']*')+)/).slice(1, -1);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq >= 0) out.push([part.slice(0, eq), part.slice(eq + 1)]);
    else if (part !== ',') out.push([part, null]);
  }
  return out;
}

/** Options compared as Ansible's dicts compare: per name, the list of its values. */
export function sameOptions(a: KeyOptions, b: KeyOptions): boolean {
  const group = (o: KeyOptions): Map<string, Array<string | null>> => {
    const m = new Map<string, Array<string | null>>();
    for (const [k, v] of o) m.set(k, [...(m.get(k) ?? []), v]);
    return m;
  };
  const x = group(a);
  const y = group(b);
  if (x.size !== y.size) return false;
  for (const [k, v] of x) {
    const w = y.get(k);
    if (!w || w.length !== v.length || v.some((e, i) => e !== w[i])) return false;
  }
  return true;
}

/** A key line has no key after its type (Ansible fails with an IndexError). */
export class KeyLineError extends Error {}

/**
 * One line: a key entry, a 'skipped' entry (a line whose first word is `#`), or
 * undefined when no known key type is among its words.
 */
export function parseKey(raw: string, rank: number): KeyEntry | undefined {
  const line = raw.replaceAll('\\#', '#');
  // shlex without quotes or commenters, whitespace_split: words between spaces, tabs, CR and LF.
  const words = line.split(/[ \t\r\n]+/).filter((w) => w !== '');
  if (words[0] === '#') return { id: line, type: 'skipped', options: [], comment: '', rank };
  const at = words.findIndex((w) => (KEY_TYPES as readonly string[]).includes(w));
  if (at < 0) return undefined;
  if (at + 1 >= words.length) throw new KeyLineError(`a ${words[at]} key without its key data: ${JSON.stringify(raw.trimEnd())}`);
  return {
    id: words[at + 1],
    type: words[at],
    options: at > 0 ? parseOptions(words.slice(0, at).join(' ')) : [],
    comment: words.slice(at + 2).join(' '),
    rank,
  };
}

/** A file's entries by identifier (a later duplicate replaces an earlier one, keeping its place in the map). */
export function parseKeyFile(text: string): Map<string, KeyEntry> {
  const keys = new Map<string, KeyEntry>();
  splitLinesKeep(text).forEach((line, rank) => {
    const k = parseKey(line, rank);
    keys.set(k ? k.id : line, k ?? { id: line, type: 'skipped', options: [], comment: '', rank });
  });
  return keys;
}

export function keyLine(k: KeyEntry): string {
  if (k.type === 'skipped') return k.id;
  const opts = k.options.map(([n, v]) => (v === null ? n : `${n}=${v}`)).join(',');
  return `${opts ? `${opts} ` : ''}${k.type} ${k.id} ${k.comment}\n`;
}

/**
 * The file's text: entries by rank (stable for equal ranks). A kept line without
 * its line ending gets "\n" when another line follows it: Ansible glues the next
 * key onto it (a deliberate difference, docs/modules/authorized_key.md).
 */
export function serializeKeys(keys: Map<string, KeyEntry>): string {
  const lines = [...keys.values()].sort((a, b) => a.rank - b.rank).map(keyLine);
  return lines.map((l, i) => (i < lines.length - 1 && !ENDING.test(l) ? `${l}\n` : l)).join('');
}

export interface KeyChange {
  /** Ansible's do_write: a key added, replaced or removed. */
  changed: boolean;
  after: string;
}

export interface KeyRequest {
  key: string;
  state: 'present' | 'absent';
  exclusive: boolean;
  keyOptions?: string | null;
  comment?: string | null;
}

/** The keys of the `key` argument: its non-blank lines not starting with `#`. */
export function requestedKeys(key: string): string[] {
  return splitLines(key).filter((s) => s !== '' && !s.startsWith('#'));
}

/** Ansible's enforce_state on the file's text (already read with universal newlines). */
export function applyKeys(existingText: string, req: KeyRequest): KeyChange {
  const existing = parseKeyFile(existingText);
  const maxRank = existing.size;
  const keep: string[] = [];
  let changed = false;
  requestedKeys(req.key).forEach((raw, rank) => {
    const parsed = parseKey(raw, rank);
    if (!parsed || parsed.type === 'skipped') throw new KeyLineError(`invalid key specified: ${raw}`);
    let k = parsed;
    if (req.keyOptions !== undefined && req.keyOptions !== null) k = { ...k, options: parseOptions(req.keyOptions) };
    if (req.comment !== undefined && req.comment !== null) k = { ...k, comment: req.comment };
    const old = existing.get(k.id);
    let matched = false;
    if (old) {
      const same = old.type === k.type && sameOptions(old.options, k.options) && old.comment === k.comment;
      if (same || req.state !== 'present') matched = true;
      else {
        existing.delete(k.id);
        changed = true;
      }
    }
    if (req.state === 'present') {
      keep.push(k.id);
      if (!matched) {
        existing.set(k.id, { ...k, rank: maxRank + k.rank });
        changed = true;
      }
    } else if (matched) {
      existing.delete(k.id);
      changed = true;
    }
  });
  if (req.state === 'present' && req.exclusive) {
    for (const id of [...existing.keys()]) {
      if (!keep.includes(id)) {
        existing.delete(id);
        changed = true;
      }
    }
  }
  return { changed, after: changed ? serializeKeys(existing) : existingText };
}
