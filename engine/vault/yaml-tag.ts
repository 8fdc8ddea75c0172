// The `!vault |` YAML tag: one value encrypted with `ansible-vault
// encrypt_string`. The tag keeps the vaulttext; parseYaml (engine/load/yaml.ts)
// then decrypts each one at its place and registers the plaintext as a secret.

import { defineScalarTag } from 'js-yaml';
import type { Place } from '../errors.js';
import { decryptVault } from './secrets.js';
import { registerSecret } from './redact.js';

export class VaultedText {
  /** How many were read and not yet decrypted (parseYaml walks a document only when some were). */
  static pending = 0;
  constructor(readonly vaulttext: string) {
    VaultedText.pending++;
  }
}

export const vaultTag = defineScalarTag('!vault', {
  resolve: (source) => new VaultedText(source),
  identify: (data) => data instanceof VaultedText,
  represent: (data) => (data as VaultedText).vaulttext,
});

/** Replace each VaultedText in a parsed document by its plaintext (a string, as Ansible's AnsibleVaultEncryptedUnicode reads). */
export function decryptVaultedValues(value: unknown, placeOf: (path: ReadonlyArray<string | number>) => Place): unknown {
  const walk = (v: unknown, path: Array<string | number>): unknown => {
    if (v instanceof VaultedText) {
      const text = decryptVault(v.vaulttext, placeOf(path)).toString('utf8');
      registerSecret(text);
      return text;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i], [...path, i]);
    } else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = walk(o[k], [...path, k]);
    }
    return v;
  };
  try {
    return walk(value, []);
  } finally {
    VaultedText.pending = 0;
  }
}
