// The vault options every command that loads vars takes (run, validate,
// inventory, vault), as ansible-playbook's: --vault-id, --vault-password-file,
// --ask-vault-pass, with ansible.cfg's and ANSIBLE_VAULT_* settings below them.

import type { Config } from '../cli/config.js';
import { gatherVaultSecrets, terminalPrompt, type Prompt } from './passwords.js';
import { setVaultSecrets, type VaultSecret } from './secrets.js';

export const vaultOptions = {
  'vault-id': { type: 'string', multiple: true },
  'vault-password-file': { type: 'string', multiple: true },
  'vault-pass-file': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
  'ask-vault-password': { type: 'boolean' },
} as const;

export interface VaultOptionValues {
  'vault-id'?: string[];
  'vault-password-file'?: string[];
  'vault-pass-file'?: string[];
  'ask-vault-pass'?: boolean;
  'ask-vault-password'?: boolean;
}

/**
 * The secrets the options and the configuration give, in Ansible's order:
 * vault_identity_list, --vault-id..., --vault-password-file... then
 * vault_password_file, then --ask-vault-pass (or ask_vault_pass).
 */
export async function vaultSecretsOf(o: VaultOptionValues, config: Config, prompt: Prompt | undefined = terminalPrompt()): Promise<VaultSecret[]> {
  const s = config.settings;
  const files = [...(o['vault-password-file'] ?? []), ...(o['vault-pass-file'] ?? [])];
  if (typeof s.vaultPasswordFile.value === 'string') files.push(s.vaultPasswordFile.value);
  return gatherVaultSecrets(
    {
      ids: [...((s.vaultIdentityList.value as string[] | undefined) ?? []), ...(o['vault-id'] ?? [])],
      passwordFiles: files,
      ask: Boolean(o['ask-vault-pass'] || o['ask-vault-password'] || s.askVaultPass.value === true),
      defaultId: (s.vaultIdentity.value as string | undefined) ?? 'default',
    },
    prompt,
  );
}

/** Gather the secrets and make them the run's (before anything is loaded). */
export async function setupVault(o: VaultOptionValues, config: Config): Promise<void> {
  setVaultSecrets(await vaultSecretsOf(o, config), config.settings.vaultIdMatch.value === true);
}
