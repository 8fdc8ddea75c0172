// Ansible Vault's envelope and cipher (format 1.1 and 1.2, AES256), written
// from Ansible 2.14's documented format: a header line
// `$ANSIBLE_VAULT;1.1;AES256` (or `;1.2;AES256;LABEL`), then the hex of
// `hex(salt) \n hex(hmac) \n hex(ciphertext)` in lines of 80 columns.
// Keys: PBKDF2-HMAC-SHA256 (10000 iterations) of the password and the 32-byte
// salt gives 80 bytes: the AES-256-CTR key, the HMAC-SHA256 key, the counter.
// The plaintext is PKCS#7-padded to 16 bytes; the HMAC covers the ciphertext
// and is checked (in constant time) before anything is decrypted.

import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';

/** Why a vaulttext cannot be read (the caller adds the file and line). */
export class VaultFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultFormatError';
  }
}

/** The password does not open it: the HMAC differs (a wrong password or a damaged body). */
export class VaultHmacError extends Error {
  constructor() {
    super('HMAC verification failed (wrong vault password, or the encrypted text was changed)');
    this.name = 'VaultHmacError';
  }
}

export interface Envelope {
  version: string;
  cipher: string;
  /** The label of a 1.2 envelope. */
  label?: string;
  /** The hex body, newlines removed. */
  body: string;
}

/** Text that starts as Ansible Vault's does (after leading blanks, as an inline `!vault |` value may have). */
export function isVaultText(text: string | Buffer): boolean {
  const s = typeof text === 'string' ? text : text.subarray(0, 64).toString('latin1');
  return s.trimStart().startsWith(VAULT_HEADER + ';');
}

export function parseEnvelope(text: string): Envelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].trim().split(';').map((p) => p.trim());
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new VaultFormatError(`not an Ansible Vault header: ${JSON.stringify(lines[0].slice(0, 60))}`);
  const [, version, cipher, label] = header;
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format version ${JSON.stringify(version)} is not supported (1.1 and 1.2 are)`);
  if (cipher !== 'AES256') throw new VaultFormatError(`cipher ${JSON.stringify(cipher)} is not supported (AES256 is)`);
  const body = lines.slice(1).map((l) => l.trim()).join('');
  if (!body) throw new VaultFormatError('the encrypted body is empty');
  return { version, cipher, ...(label ? { label } : {}), body };
}

function unhex(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new VaultFormatError(`${what} is not hexadecimal (damaged or truncated)`);
  return Buffer.from(hex, 'hex');
}

function deriveKeys(password: Buffer, salt: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  const k = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  return { aesKey: k.subarray(0, 32), hmacKey: k.subarray(32, 64), iv: k.subarray(64, 80) };
}

/** The three parts of a body: salt, expected HMAC, ciphertext. */
function splitBody(body: string): { salt: Buffer; hmac: Buffer; ciphertext: Buffer } {
  const inner = unhex(body, 'the vault body').toString('latin1');
  const parts = inner.split('\n');
  if (parts.length !== 3) throw new VaultFormatError('the vault body does not hold salt, HMAC and ciphertext (damaged or truncated)');
  const [salt, hmac, ciphertext] = [unhex(parts[0], 'the salt'), unhex(parts[1], 'the HMAC'), unhex(parts[2], 'the ciphertext')];
  if (salt.length === 0 || hmac.length !== 32) throw new VaultFormatError('the salt or the HMAC has the wrong length (damaged or truncated)');
  return { salt, hmac, ciphertext };
}

/** Decrypt a body with one password: VaultHmacError when it does not open it, VaultFormatError when damaged. */
export function decryptBody(body: string, password: Buffer): Buffer {
  const { salt, hmac, ciphertext } = splitBody(body);
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const actual = createHmac('sha256', hmacKey).update(ciphertext).digest();
  if (!timingSafeEqual(actual, hmac)) throw new VaultHmacError();
  const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded.length ? padded[padded.length - 1] : 0;
  if (padded.length % 16 !== 0 || pad < 1 || pad > 16 || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
    throw new VaultFormatError('bad padding after decryption (damaged ciphertext)');
  }
  return padded.subarray(0, padded.length - pad);
}

/** Encrypt: the full envelope text, header line and 80-column hex lines, ending in a newline (as ansible-vault writes it). */
export function encryptVault(plaintext: Buffer, password: Buffer, label?: string, salt: Buffer = randomBytes(32)): string {
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const pad = 16 - (plaintext.length % 16);
  const padded = Buffer.concat([plaintext, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-ctr', aesKey, iv);
  const ciphertext = Buffer.concat([cipher.update(padded), cipher.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const inner = [salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
  const body = Buffer.from(inner, 'latin1').toString('hex');
  // As Ansible: a label other than "default" makes a 1.2 envelope.
  const header = label && label !== 'default' ? `${VAULT_HEADER};1.2;AES256;${label}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < body.length; i += 80) lines.push(body.slice(i, i + 80));
  return lines.join('\n') + '\n';
}
