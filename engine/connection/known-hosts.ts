// OpenSSH known_hosts: parse, check a host key, record a new one.
//
// Line forms handled (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
//   host1,host2,10.0.0.1 ssh-ed25519 AAAA... [comment]
//   [10.0.0.1]:2222 ssh-ed25519 AAAA...        (non-22 ports)
//   |1|<base64 salt>|<base64 HMAC-SHA1(salt, host)> ssh-ed25519 AAAA...   (HashKnownHosts)
//   !pattern negation, * and ? wildcards
//   @revoked <hosts> <type> <key>   -> that key is refused for those hosts
//   @cert-authority <hosts> ...      -> ignored (we do not verify host certificates)
//   # comments and blank lines

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Plain patterns (possibly negated with !), or one hashed entry. */
  patterns?: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** Base64 key blob as written in the file. */
  key: string;
  line: number;
}

export type HostKeyStatus = 'match' | 'unknown' | 'changed';

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const f = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (f[0].startsWith('@')) {
      const m = f.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: ignore the line, as OpenSSH does
    }
    if (f.length < 3) return;
    const [hosts, keyType, key] = f;
    const entry: KnownHostEntry = { keyType, key, line: idx + 1 };
    if (marker) entry.marker = marker;
    if (hosts.startsWith('|1|')) {
      const parts = hosts.split('|');
      if (parts.length !== 4) return;
      entry.hashed = { salt: Buffer.from(parts[2], 'base64'), hash: Buffer.from(parts[3], 'base64') };
    } else {
      entry.patterns = hosts.split(',');
    }
    out.push(entry);
  });
  return out;
}

/** The name OpenSSH records for a host: `addr` on port 22, `[addr]:port` otherwise. */
export function hostKeyName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** A pattern's matcher, compiled once (a known_hosts file names each host once, and is read for every connection). */
const compiledGlobs = new Map<string, RegExp>();

function globMatch(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  let re = compiledGlobs.get(pattern);
  if (!re) {
    re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
    compiledGlobs.set(pattern, re);
  }
  return re.test(name);
}

/** Does this entry's host field name this address:port? */
export function entryMatches(entry: KnownHostEntry, address: string, port: number): boolean {
  const name = hostKeyName(address, port);
  if (entry.hashed) {
    const h = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return h.equals(entry.hashed.hash);
  }
  let matched = false;
  for (const p of entry.patterns ?? []) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside an SSH wire-format public key blob ("ssh-ed25519"). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('host key blob too short');
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** OpenSSH-style fingerprint: "SHA256:" + unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/**
 * A known_hosts file's entries, indexed: entries whose host field is only plain
 * names, by each name in lower case (OpenSSH compares host names without case);
 * the others (hashed, wildcards, negations) in a list that each lookup scans.
 */
export interface KnownHostsIndex {
  byName: Map<string, KnownHostEntry[]>;
  scan: KnownHostEntry[];
}

export function indexKnownHosts(entries: KnownHostEntry[]): KnownHostsIndex {
  const byName = new Map<string, KnownHostEntry[]>();
  const scan: KnownHostEntry[] = [];
  for (const e of entries) {
    if (e.hashed || !e.patterns || e.patterns.some((p) => /[*?]/.test(p) || p.startsWith('!'))) {
      scan.push(e);
      continue;
    }
    for (const name of new Set(e.patterns.map((p) => p.toLowerCase()))) {
      const list = byName.get(name);
      if (list) list.push(e);
      else byName.set(name, [e]);
    }
  }
  return { byName, scan };
}

/** The entries that name this address:port, in file order. Same answer as filtering every entry with entryMatches. */
export function entriesFor(index: KnownHostsIndex, address: string, port: number): KnownHostEntry[] {
  const named = index.byName.get(hostKeyName(address, port).toLowerCase()) ?? [];
  const scanned = index.scan.filter((e) => entryMatches(e, address, port));
  if (!scanned.length) return named;
  return [...named, ...scanned].sort((a, b) => a.line - b.line);
}

/**
 * Each file is read and indexed once, and again only when it changes (its
 * inode, size or change time): with hundreds of hosts and a known_hosts of
 * thousands of lines, reading and matching every line for every connection
 * cost milliseconds each (2000 lines: 3.9 ms per connection).
 */
const indexes = new Map<string, { stamp: string; index: KnownHostsIndex }>();

function readIndex(file: string): KnownHostsIndex {
  let stamp: string;
  try {
    const st = statSync(file, { bigint: true });
    stamp = `${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { byName: new Map(), scan: [] };
    throw e;
  }
  const cached = indexes.get(file);
  if (cached?.stamp === stamp) return cached.index;
  const index = indexKnownHosts(parseKnownHosts(readFileSync(file, 'utf8')));
  indexes.set(file, { stamp, index });
  return index;
}

/** Compare a presented key with the entries for this host. Pure. */
export function checkHostKeyIn(entries: KnownHostEntry[], address: string, port: number, keyBlob: Buffer): HostKeyStatus {
  const b64 = keyBlob.toString('base64');
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, address, port));
  if (forHost.some((e) => e.marker === 'revoked' && e.key === b64)) return 'changed';
  const plain = forHost.filter((e) => !e.marker);
  if (plain.some((e) => e.key === b64)) return 'match';
  return plain.length > 0 ? 'changed' : 'unknown';
}

/** Check a host key against a known_hosts file (a missing file knows nothing). */
export function checkHostKey(file: string, address: string, port: number, keyBlob: Buffer): HostKeyStatus {
  return checkHostKeyIn(entriesFor(readIndex(file), address, port), address, port, keyBlob);
}

/** Key types recorded for this host, to prefer them in the key exchange (as OpenSSH does). */
export function knownKeyTypes(file: string, address: string, port: number): string[] {
  const types: string[] = [];
  for (const e of entriesFor(readIndex(file), address, port)) {
    if (!e.marker && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** A known_hosts line for this host, plain or hashed. */
export function formatHostKeyLine(address: string, port: number, keyBlob: Buffer, opts: { hash?: boolean } = {}): string {
  const name = hostKeyName(address, port);
  let field = name;
  if (opts.hash) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${field} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}\n`;
}

/** Append this host's key to the file (creating it and its directory, private). */
export function appendHostKey(file: string, address: string, port: number, keyBlob: Buffer, opts: { hash?: boolean } = {}): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = readFileSync(file, 'utf8');
    if (cur.length > 0 && !cur.endsWith('\n')) prefix = '\n';
  } catch {
    // new file
  }
  appendFileSync(file, prefix + formatHostKeyLine(address, port, keyBlob, opts), { mode: 0o600 });
}
