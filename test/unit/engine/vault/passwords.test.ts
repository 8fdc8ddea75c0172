// Vault password sources (engine/vault/passwords.ts, cli-options.ts): files,
// scripts, client scripts, prompts, and ansible.cfg / ANSIBLE_VAULT_* settings,
// in ansible-playbook 2.14's order.

import test from 'ava';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherVaultSecrets, readPasswordSource } from '../../../../engine/vault/passwords.js';
import { vaultSecretsOf } from '../../../../engine/vault/cli-options.js';
import { loadConfig } from '../../../../engine/cli/config.js';
import { encryptVault } from '../../../../engine/vault/format.js';
import { UsageError } from '../../../../engine/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-vaultpw-'));
const file = (name: string, text: string, mode = 0o600) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
};

test('a password file: its whole text, stripped (as Ansible reads it); empty is an error', (t) => {
  t.is(readPasswordSource(file('plain', '  hunter2  \n\n'), 'default').toString(), 'hunter2');
  t.is(readPasswordSource(file('crlf', 'pass\r\n'), 'default').toString(), 'pass');
  t.throws(() => readPasswordSource(file('empty', '\n \n'), 'default'), { instanceOf: UsageError, message: /Invalid vault password was provided from file \(.*empty\)/ });
  t.throws(() => readPasswordSource(join(dir, 'missing'), 'default'), { instanceOf: UsageError, message: /Could not read vault password file .*missing/ });
});

test('an executable: its standard output without line ends; a failing one is an error with its stderr', (t) => {
  t.is(readPasswordSource(file('script.sh', '#!/bin/sh\necho "from script "\n', 0o700), 'default').toString(), 'from script ');
  t.throws(() => readPasswordSource(file('fails.sh', '#!/bin/sh\necho "vault locked: ask ops" >&2\nexit 3\n', 0o700), 'default'), {
    instanceOf: UsageError, message: /vault password script .*fails\.sh returned non-zero \(3\): vault locked: ask ops/,
  });
  t.throws(() => readPasswordSource(file('silent.sh', '#!/bin/sh\nexit 0\n', 0o700), 'default'), { message: /Invalid vault password was provided from script/ });
  // A "-client" script is asked for one vault ID, as Ansible's client scripts are.
  t.is(readPasswordSource(file('pass-client.sh', '#!/bin/sh\necho "$1=$2"\n', 0o700), 'prod').toString(), '--vault-id=prod');
});

test('a password file may itself be vaulted with a secret given before it', async (t) => {
  const inner = file('inner', encryptVault(Buffer.from('real-pass\n'), Buffer.from('outer-pass')));
  const outer = file('outer', 'outer-pass\n');
  const s = await gatherVaultSecrets({ ids: [`outer@${outer}`, `inner@${inner}`], passwordFiles: [], ask: false, defaultId: 'default' });
  t.deepEqual(s.map((x) => [x.id, x.password.toString()]), [['outer', 'outer-pass'], ['inner', 'real-pass']]);
});

test("order and labels: --vault-id as given, then password files under the default identity, then the prompt", async (t) => {
  const a = file('a', 'A');
  const b = file('b', 'B');
  const asked: string[] = [];
  const s = await gatherVaultSecrets({ ids: [`prod@${a}`, b], passwordFiles: [a], ask: true, defaultId: 'default' }, (q) => {
    asked.push(q);
    return Promise.resolve('typed ');
  });
  t.deepEqual(s.map((x) => `${x.id}:${x.password.toString()}:${x.source}`), [`prod:A:${a}`, `default:B:${b}`, `default:A:${a}`, 'default:typed:prompt']);
  t.deepEqual(asked, ['Vault password: ']);
  const p = await gatherVaultSecrets({ ids: ['dev@prompt'], passwordFiles: [], ask: false, defaultId: 'default' }, (q) => Promise.resolve(q));
  t.is(p[0].password.toString(), 'Vault password (dev):');
});

test('a prompt without a terminal is refused, naming the option', async (t) => {
  await t.throwsAsync(gatherVaultSecrets({ ids: [], passwordFiles: [], ask: true, defaultId: 'default' }, undefined), {
    instanceOf: UsageError, message: /--ask-vault-pass asks for the vault password on a terminal, and standard input is not one/,
  });
  await t.throwsAsync(gatherVaultSecrets({ ids: ['ops@prompt'], passwordFiles: [], ask: false, defaultId: 'default' }, undefined), { message: /--vault-id ops@prompt asks/ });
  await t.throwsAsync(gatherVaultSecrets({ ids: ['@x'], passwordFiles: [], ask: false, defaultId: 'default' }), { message: /expected LABEL@SOURCE/ });
});

test('ansible.cfg vault_password_file, vault_identity_list, vault_identity, ask_vault_pass and the ANSIBLE_VAULT_* variables', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'tsplay-vaultcfg-'));
  writeFileSync(join(d, 'pw1'), 'one\n');
  writeFileSync(join(d, 'pw2'), 'two\n');
  writeFileSync(join(d, 'ansible.cfg'), '[defaults]\nvault_password_file = pw1\nvault_identity_list = prod@pw2 , dev@pw1\nvault_identity = site\n');
  const config = loadConfig({}, d);
  t.is(config.settings.vaultPasswordFile.value, join(d, 'pw1'));
  t.deepEqual(config.settings.vaultIdentityList.value, ['prod@pw2', 'dev@pw1']);
  // Paths in vault_identity_list are as written (Ansible does not resolve them against the file): run from its directory.
  const before = process.cwd();
  process.chdir(d);
  try {
    const s = await vaultSecretsOf({ 'vault-id': ['cli@pw2'], 'vault-password-file': ['pw2'] }, config, undefined);
    t.deepEqual(s.map((x) => `${x.id}:${x.password.toString()}`), ['prod:two', 'dev:one', 'cli:two', 'site:two', 'site:one']);
  } finally {
    process.chdir(before);
  }
  const env = loadConfig({ ANSIBLE_VAULT_PASSWORD_FILE: join(d, 'pw2'), ANSIBLE_VAULT_IDENTITY_LIST: `x@${join(d, 'pw1')}`, ANSIBLE_ASK_VAULT_PASS: 'true' }, d);
  t.is(env.settings.vaultPasswordFile.value, join(d, 'pw2'));
  t.is(env.settings.vaultPasswordFile.origin, 'env: ANSIBLE_VAULT_PASSWORD_FILE');
  t.true(env.settings.askVaultPass.value);
  t.deepEqual(env.settings.vaultIdentityList.value, [`x@${join(d, 'pw1')}`]);
  await t.throwsAsync(vaultSecretsOf({}, env, undefined), { message: /--ask-vault-pass asks/ });
});
