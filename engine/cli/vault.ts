// `tsplay vault encrypt|decrypt|view|encrypt_string`: the common cases of
// ansible-vault, writing what ansible-vault reads (engine/vault/format.ts).
// Files are replaced atomically (a temporary file beside them, renamed over)
// and keep their mode (ansible-vault leaves them 0600: docs/playbooks.md).

import { parseArgs } from 'node:util';
import { chmodSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { loadConfig } from './config.js';
import { encryptVault, isVaultText } from '../vault/format.js';
import { decryptVault, type VaultSecret } from '../vault/secrets.js';
import { vaultOptions, vaultSecretsOf } from '../vault/cli-options.js';

const VAULT_USAGE = `usage:
  tsplay vault encrypt FILE... [--output FILE] [--encrypt-vault-id LABEL]
  tsplay vault decrypt FILE... [--output FILE]
  tsplay vault view FILE...
  tsplay vault encrypt_string [--name VAR]... [--encrypt-vault-id LABEL] VALUE...
  secrets: [--vault-id LABEL@SOURCE]... [--vault-password-file FILE]... [-J|--ask-vault-pass]`;

const options = {
  ...vaultOptions,
  'encrypt-vault-id': { type: 'string' },
  output: { type: 'string' },
  name: { type: 'string', short: 'n', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The secret to encrypt with, as ansible-vault chooses it: --encrypt-vault-id's, else the only one. */
export function encryptSecret(secrets: VaultSecret[], encryptId?: string): VaultSecret {
  if (!secrets.length) throw new UsageError('no vault secret to encrypt with (--vault-id LABEL@SOURCE, --vault-password-file FILE or --ask-vault-pass)');
  if (encryptId !== undefined) {
    const s = secrets.find((x) => x.id === encryptId);
    if (!s) throw new UsageError(`Did not find a match for --encrypt-vault-id=${encryptId} in the known vault-ids [${secrets.map((x) => x.id).join(', ')}]`);
    return s;
  }
  const ids = [...new Set(secrets.map((s) => s.id))];
  if (ids.length > 1) throw new UsageError(`The vault-ids ${ids.join(',')} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id`);
  return secrets[0];
}

/** Replace a file's content atomically, keeping its mode. */
function replaceFile(file: string, data: string | Buffer): void {
  let mode: number | undefined;
  try {
    mode = statSync(file).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  const tmp = join(dirname(file), `.${basename(file)}.tsplay-vault-${process.pid}`);
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

function readInput(file: string): Buffer {
  try {
    return file === '-' ? readFileSync(0) : readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The `!vault |` block ansible-vault encrypt_string prints for one value (under `name` when given). */
export function vaultBlock(vaulttext: string, name?: string): string {
  const lines = vaulttext.trimEnd().split('\n').map((l) => `          ${l}`);
  return `${name !== undefined ? `${name}: ` : ''}!vault |\n${lines.join('\n')}`;
}

export async function runVaultCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${VAULT_USAGE}`);
  }
  const { values: o, positionals } = parsed;
  if (o.help || sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    out.write(VAULT_USAGE + '\n');
    return sub === undefined ? 5 : 0;
  }
  if (!['encrypt', 'decrypt', 'view', 'encrypt_string'].includes(sub)) throw new UsageError(`tsplay vault: unknown action ${JSON.stringify(sub)}\n${VAULT_USAGE}`);
  const secrets = await vaultSecretsOf(o, loadConfig());
  if (sub === 'encrypt_string') {
    const secret = encryptSecret(secrets, o['encrypt-vault-id']);
    const names = o.name ?? [];
    if (!positionals.length) throw new UsageError('tsplay vault encrypt_string: give the VALUE to encrypt (reading it from standard input is not supported)');
    if (names.length > positionals.length) throw new UsageError('tsplay vault encrypt_string: more --name options than values');
    const blocks = positionals.map((v, i) => vaultBlock(encryptVault(Buffer.from(v, 'utf8'), secret.password, secret.id), names[i]));
    out.write(blocks.join('\n') + '\n');
    console.error('Encryption successful');
    return 0;
  }
  if (!positionals.length) throw new UsageError(`tsplay vault ${sub}: give the FILE(s)\n${VAULT_USAGE}`);
  if (o.output !== undefined && positionals.length > 1) throw new UsageError('--output takes one input file');
  if (sub === 'encrypt') {
    const secret = encryptSecret(secrets, o['encrypt-vault-id']);
    for (const f of positionals) {
      const data = readInput(f);
      if (isVaultText(data)) throw new UsageError(`input is already encrypted: ${f}`);
      const text = encryptVault(data, secret.password, secret.id);
      if (o.output === '-' || (f === '-' && o.output === undefined)) out.write(text);
      else replaceFile(o.output ?? f, text);
    }
    console.error('Encryption successful');
    return 0;
  }
  for (const f of positionals) {
    const data = readInput(f);
    if (!isVaultText(data)) throw new UsageError(`input is not vault encrypted data: ${f} is not a vault encrypted file`);
    const plain = decryptVault(data.toString('latin1'), { file: f, line: 1, col: 1 }, secrets);
    if (sub === 'view' || o.output === '-' || (f === '-' && o.output === undefined)) out.write(plain);
    else replaceFile(o.output ?? f, plain);
  }
  if (sub === 'decrypt') console.error('Decryption successful');
  return 0;
}
