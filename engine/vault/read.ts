// Reading files that may be vault-encrypted: Ansible decrypts any file its
// loader reads (vars files, inventories, role defaults/vars, task files) and
// the controller-side files of copy/template. Decrypted text is registered so
// reports hide it (engine/vault/redact.ts).

import { readFileSync } from 'node:fs';
import { LoadError } from '../errors.js';
import { isVaultText } from './format.js';
import { decryptVault } from './secrets.js';
import { registerSecret } from './redact.js';

/** A file's text, decrypted when it is vaulted (nothing is registered: the caller registers the values it finds). */
export function openVaultText(source: string, file: string): { text: string; vaulted: boolean } {
  if (!isVaultText(source)) return { text: source, vaulted: false };
  return { text: decryptVault(source, { file, line: 1, col: 1 }).toString('utf8'), vaulted: true };
}

/** An error in a decrypted file: its place, without the source excerpt (that would print the plaintext). */
export function withoutSnippet(e: unknown): unknown {
  return e instanceof LoadError && e.snippet ? new LoadError(e.reason, e.place) : e;
}

/** The bytes of a controller file (copy/template src), decrypted when vaulted; the plaintext is registered as a secret. */
export async function readControllerFile(path: string): Promise<Buffer> {
  const data = readFileSync(path);
  if (!isVaultText(data)) return data;
  const plain = decryptVault(data.toString('latin1'), { file: path, line: 1, col: 1 });
  registerSecret(plain.toString('utf8'));
  return plain;
}

/** A controller file's text (a template checked at load), decrypted when vaulted and then registered as a secret. */
export function openControllerText(source: string, file: string): string {
  const { text, vaulted } = openVaultText(source, file);
  if (vaulted) registerSecret(text);
  return text;
}
