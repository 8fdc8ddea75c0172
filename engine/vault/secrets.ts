// The run's vault secrets and the one place vaulttext is decrypted. The CLI
// sets the secrets (engine/vault/passwords.ts) before anything is loaded;
// every reader (vars files, inventories, `!vault` values, copy/template
// sources) calls decryptVault, which registers what it reveals so reports
// never print it (engine/vault/redact.ts).

import { LoadError, type Place } from '../errors.js';
import { VaultFormatError, VaultHmacError, decryptBody, parseEnvelope } from './format.js';

export interface VaultSecret {
  /** The vault ID (label) the secret was given for: "default" unless named. */
  id: string;
  password: Buffer;
  /** Where it came from, for messages: "prompt", a file name. Never the password. */
  source: string;
}

let secrets: VaultSecret[] = [];
let idMatch = false;

/**
 * Set the secrets of this process's run (the CLI does, once, before loading).
 * `onlyMatching`: ansible.cfg's vault_id_match: a 1.2 envelope is tried with its label's secrets only.
 */
export function setVaultSecrets(s: VaultSecret[], onlyMatching = false): void {
  secrets = [...s];
  idMatch = onlyMatching;
}

export function vaultSecrets(): readonly VaultSecret[] {
  return secrets;
}

/** Ansible's order: a 1.2 envelope's label's secrets first, then every other (DEFAULT_VAULT_ID_MATCH false). */
export function candidateSecrets(all: readonly VaultSecret[], label?: string, onlyMatching = idMatch): VaultSecret[] {
  if (!label) return [...all];
  return [...all.filter((s) => s.id === label), ...(onlyMatching ? [] : all.filter((s) => s.id !== label))];
}

/**
 * Decrypt one vaulttext (a whole file, or one `!vault` value at `place`).
 * Anything that fails is a LoadError naming the place: no secret given,
 * none that opens it, or a damaged envelope.
 */
export function decryptVault(text: string, place: Place, use: readonly VaultSecret[] = secrets): Buffer {
  const what = place.line > 1 || place.col > 1 ? 'vault-encrypted value' : 'vault-encrypted file';
  let env;
  try {
    env = parseEnvelope(text);
  } catch (e) {
    throw new LoadError(`${what}: ${(e as Error).message}`, place);
  }
  if (!use.length) {
    throw new LoadError(`${what}, and no vault secret was given (--vault-password-file, --vault-id or --ask-vault-pass)`, place);
  }
  for (const s of candidateSecrets(use, env.label)) {
    try {
      return decryptBody(env.body, s.password);
    } catch (e) {
      if (e instanceof VaultHmacError) continue;
      if (e instanceof VaultFormatError) throw new LoadError(`${what}: ${e.message}`, place);
      throw e;
    }
  }
  const tried = candidateSecrets(use, env.label).map((s) => `${s.id}@${s.source}`).join(', ');
  throw new LoadError(`${what}: decryption failed, no vault secret opens it (tried ${tried}${env.label ? `; its vault ID is ${env.label}` : ''}): a wrong password, or the file was changed`, place);
}
