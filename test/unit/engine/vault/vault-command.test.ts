// `tsplay vault encrypt|decrypt|view|encrypt_string` (engine/cli/vault.ts):
// what it writes, ansible-vault reads; what ansible-vault writes, it reads.

import test from 'ava';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli } from '../../../helpers/cli-capture.js';
import { encryptSecret, vaultBlock } from '../../../../engine/cli/vault.js';
import { ansibleVault, vaultDir, withAnsibleSerial } from './ansible-vault.js';

test('encrypt_string prints the block ansible-vault prints: "name: !vault |", the envelope indented ten spaces', (t) => {
  const v = '$ANSIBLE_VAULT;1.1;AES256\n3031\n3233\n';
  t.is(vaultBlock(v, 'db_pass'), 'db_pass: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n          3031\n          3233');
  t.is(vaultBlock(v), '!vault |\n          $ANSIBLE_VAULT;1.1;AES256\n          3031\n          3233');
});

test('the secret to encrypt with: --encrypt-vault-id, else the only vault ID; several need --encrypt-vault-id (ansible-vault\'s words)', (t) => {
  const a = { id: 'a', password: Buffer.from('1'), source: 'f' };
  const b = { id: 'b', password: Buffer.from('2'), source: 'g' };
  t.is(encryptSecret([a]).id, 'a');
  t.is(encryptSecret([a, b], 'b').id, 'b');
  t.throws(() => encryptSecret([a, b]), { message: 'The vault-ids a,b are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id' });
  t.throws(() => encryptSecret([a], 'c'), { message: /Did not find a match for --encrypt-vault-id=c/ });
  t.throws(() => encryptSecret([]), { message: /no vault secret to encrypt with/ });
});

// Checked against the real ansible-vault 2.14 on this machine.
withAnsibleSerial('encrypt in place keeps the mode; ansible-vault view reads it; decrypt gives the bytes back', async (t) => {
  const d = vaultDir();
  writeFileSync(join(d, 'secrets.yml'), 'db_password: made-by-tsplay\n');
  chmodSync(join(d, 'secrets.yml'), 0o640);
  const enc = await runCli(['vault', 'encrypt', '--vault-password-file', 'pw-a', 'secrets.yml'], d);
  t.is(enc.code, 0, enc.err);
  t.is(statSync(join(d, 'secrets.yml')).mode & 0o777, 0o640);
  t.true(readFileSync(join(d, 'secrets.yml'), 'utf8').startsWith('$ANSIBLE_VAULT;1.1;AES256\n'));
  t.is(ansibleVault(['view', '--vault-password-file', 'pw-a', 'secrets.yml'], d), 'db_password: made-by-tsplay\n');
  const view = await runCli(['vault', 'view', '--vault-password-file', 'pw-a', 'secrets.yml'], d);
  t.is(view.out, 'db_password: made-by-tsplay\n');
  const again = await runCli(['vault', 'encrypt', '--vault-password-file', 'pw-a', 'secrets.yml'], d);
  t.is(again.code, 5);
  t.regex(again.err, /input is already encrypted: secrets\.yml/);
  const dec = await runCli(['vault', 'decrypt', '--vault-password-file', 'pw-a', 'secrets.yml'], d);
  t.is(dec.code, 0, dec.err);
  t.is(readFileSync(join(d, 'secrets.yml'), 'utf8'), 'db_password: made-by-tsplay\n');
  const wrong = await runCli(['vault', 'view', '--vault-password-file', 'pw-b', join(d, 'pw-a')], d);
  t.is(wrong.code, 5);
  t.regex(wrong.err, /is not a vault encrypted file/);
});

withAnsibleSerial('1.2 with --vault-id and --encrypt-vault-id, both ways; encrypt_string values read by ansible', async (t) => {
  const d = vaultDir();
  writeFileSync(join(d, 'prod.yml'), 'token: labelled\n');
  const enc = await runCli(['vault', 'encrypt', '--vault-id', 'dev@pw-a', '--vault-id', 'prod@pw-b', '--encrypt-vault-id', 'prod', 'prod.yml'], d);
  t.is(enc.code, 0, enc.err);
  t.true(readFileSync(join(d, 'prod.yml'), 'utf8').startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'));
  t.is(ansibleVault(['view', '--vault-id', 'prod@pw-b', 'prod.yml'], d), 'token: labelled\n');

  writeFileSync(join(d, 'theirs.yml'), 'from: ansible\n');
  ansibleVault(['encrypt', '--vault-id', 'ops@pw-a', 'theirs.yml'], d);
  const view = await runCli(['vault', 'view', '--vault-id', 'x@pw-b', '--vault-id', 'ops@pw-a', 'theirs.yml'], d);
  t.is(view.out, 'from: ansible\n');

  const str = await runCli(['vault', 'encrypt_string', '--vault-id', 'prod@pw-b', '--name', 'api_key', 'value with spaces & "quotes"'], d);
  t.is(str.code, 0, str.err);
  t.regex(str.out, /^api_key: !vault \|\n {10}\$ANSIBLE_VAULT;1\.2;AES256;prod\n( {10}[0-9a-f]{1,80}\n)+$/);
  writeFileSync(join(d, 'vars.yml'), str.out);
  // Ansible itself reads the block as a vars file and prints the value.
  const seen = execFileSync('/usr/bin/ansible', ['localhost', '-i', 'localhost,', '-c', 'local', '-m', 'debug', '-a', 'var=api_key', '-e', '@vars.yml', '--vault-id', 'prod@pw-b'], {
    cwd: d, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' },
  });
  t.regex(seen, /"api_key": "value with spaces & \\"quotes\\""/);
});
