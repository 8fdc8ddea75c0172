// Private key files with a passphrase (issue 13), as an operator has them with
// Ansible and OpenSSH: a key the ssh-agent holds is used through the agent;
// otherwise its passphrase is asked once per key file on the terminal (echo
// off, OpenSSH's words "Enter passphrase for key 'FILE': ") and used for every
// host that names that file. The passphrase stays in this process's memory.
// Without a terminal the run fails before it touches a host, naming the key
// and the fix (ssh-agent). A wrong passphrase fails there too, naming the key.
// prepareKeys runs before the run (engine/cli/cli.ts); SshConnection asks
// keyUseOf when it opens.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);
let ssh2Module: typeof import('ssh2') | undefined;
/** ssh2, loaded where a key must be parsed or an agent asked (not at every run's start: see newNodeSsh in ssh-connection.ts). */
const ssh2 = (): typeof import('ssh2') => (ssh2Module ??= requireHere('ssh2') as typeof import('ssh2'));
import { UsageError } from '../errors.js';
import type { Prompt } from '../vault/passwords.js';

/** How an encrypted key file is used: through the agent that holds it, or decrypted with its passphrase. */
export type KeyUse = { kind: 'agent' } | { kind: 'passphrase'; passphrase: string };

const prepared = new Map<string, KeyUse>();

/** What prepareKeys decided for this key file (undefined: not encrypted, or not prepared). */
export function keyUseOf(file: string): KeyUse | undefined {
  return prepared.get(file);
}

/** Record what a run decided for this key file (the connection holder, which did not ask itself). */
export function setKeyUse(file: string, use: KeyUse): void {
  prepared.set(file, use);
}

/** Forget what prepareKeys decided (tests). */
export function clearPreparedKeys(): void {
  prepared.clear();
}

/**
 * A key that needs no passphrase, told from its text without ssh2: an OpenSSH
 * key whose cipher (in the clear after the magic) is "none", or a PEM key
 * without an encryption header. Anything else (encrypted, PuTTY, unreadable)
 * is false, and ssh2 decides.
 */
export function clearlyUnencrypted(text: string): boolean {
  const m = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([\s\S]*?)-----END OPENSSH PRIVATE KEY-----\s*$/.exec(text.trim() + '\n');
  if (m) {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(m[1])) return false;
    const b = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
    const magic = 'openssh-key-v1\0';
    if (b.length < magic.length + 8 || b.subarray(0, magic.length).toString('latin1') !== magic) return false;
    const n = b.readUInt32BE(magic.length);
    return n === 4 && b.subarray(magic.length + 4, magic.length + 8).toString('latin1') === 'none';
  }
  const pem = /^-----BEGIN (RSA|EC|DSA) PRIVATE KEY-----\r?\n([\s\S]*?)-----END \1 PRIVATE KEY-----\s*$/.exec(text.trim() + '\n');
  return pem !== null && /^[A-Za-z0-9+/=\s]*$/.test(pem[2]);
}

/** Whether this private key text needs a passphrase (ssh2 refuses it without one). */
export function isEncryptedKey(text: string | Buffer): boolean {
  if (clearlyUnencrypted(typeof text === 'string' ? text : text.toString('latin1'))) return false;
  const r = ssh2().utils.parseKey(text);
  return r instanceof Error && /passphrase|encrypted/i.test(r.message);
}

/** Undefined when the passphrase opens the key, else why not. */
export function passphraseError(text: string | Buffer, passphrase: string): string | undefined {
  const r = ssh2().utils.parseKey(text, passphrase);
  return r instanceof Error ? r.message : undefined;
}

/**
 * The public key blob of a private key file without its passphrase: an
 * OpenSSH-format key carries it in the clear ("openssh-key-v1": cipher, kdf,
 * kdf options, count, then the public key); otherwise FILE.pub, as ssh reads it.
 */
export function publicBlobOf(file: string, text: string): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (m) {
    try {
      const b = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
      const magic = 'openssh-key-v1\0';
      if (b.subarray(0, magic.length).toString('latin1') === magic) {
        let pos = magic.length;
        const str = (): Buffer => {
          const n = b.readUInt32BE(pos);
          const s = b.subarray(pos + 4, pos + 4 + n);
          pos += 4 + n;
          return s;
        };
        str(); // cipher
        str(); // kdf
        str(); // kdf options
        pos += 4; // number of keys
        return Buffer.from(str());
      }
    } catch {
      // fall back on the .pub file
    }
  }
  try {
    const pub = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
    return pub[1] ? Buffer.from(pub[1], 'base64') : undefined;
  } catch {
    return undefined;
  }
}

/** An agent identity's public key blob (ssh2 gives parsed keys; its types allow wrapped ones too). */
function publicSshOf(k: unknown): Buffer | undefined {
  let v: unknown = k;
  for (let i = 0; i < 3 && v && typeof v === 'object'; i++) {
    const o = v as { getPublicSSH?: () => Buffer; pubKey?: unknown };
    if (typeof o.getPublicSSH === 'function') return o.getPublicSSH();
    if (Buffer.isBuffer(o.pubKey)) return o.pubKey;
    v = o.pubKey;
  }
  return undefined;
}

/** Whether the agent at `sock` holds the key whose public blob is `blob` (false when it cannot be asked). */
export function agentHolds(sock: string, blob: Buffer, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    try {
      new (ssh2().OpenSSHAgent)(sock).getIdentities((err, keys) => {
        clearTimeout(timer);
        resolve(!err && (keys ?? []).some((k) => publicSshOf(k)?.equals(blob) === true));
      });
    } catch {
      clearTimeout(timer);
      resolve(false);
    }
  });
}

/**
 * Decide, before any host is touched, how each encrypted key file is used:
 * the agent when it holds the key, else the passphrase asked once on the
 * terminal (and checked). Files that cannot be read or are not encrypted are
 * left to the connection (it reports an unreadable file per host).
 */
export async function prepareKeys(files: Iterable<string>, prompt: Prompt | undefined, agentSock: string | undefined = process.env.SSH_AUTH_SOCK || undefined): Promise<void> {
  for (const file of new Set(files)) {
    if (prepared.has(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (!isEncryptedKey(text)) continue;
    const blob = publicBlobOf(file, text);
    if (agentSock && blob && (await agentHolds(agentSock, blob))) {
      prepared.set(file, { kind: 'agent' });
      continue;
    }
    if (!prompt) {
      throw new UsageError(
        `private key file ${file} has a passphrase, and standard input is not a terminal to ask for it: ` +
          `add the key to an ssh-agent (eval "$(ssh-agent)"; ssh-add ${file}) and run tsplay with that SSH_AUTH_SOCK`,
      );
    }
    const passphrase = await prompt(`Enter passphrase for key '${file}': `);
    const why = passphraseError(text, passphrase);
    if (why !== undefined) throw new UsageError(`wrong passphrase for private key file ${file} (${why})`);
    prepared.set(file, { kind: 'passphrase', passphrase });
  }
}
