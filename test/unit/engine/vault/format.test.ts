// Ansible Vault's format (engine/vault/format.ts, secrets.ts): texts made by
// the real ansible-vault decrypt in tsplay; texts tsplay makes decrypt in
// ansible-vault; a wrong password, a changed HMAC, damaged hex and a truncated
// body each give their error, naming the file.

import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptBody, encryptVault, isVaultText, parseEnvelope } from '../../../../engine/vault/format.js';
import { candidateSecrets, decryptVault, type VaultSecret } from '../../../../engine/vault/secrets.js';
import { LoadError } from '../../../../engine/errors.js';
import { ansibleVault, vaultDir, withAnsible } from './ansible-vault.js';

const A: VaultSecret = { id: 'default', password: Buffer.from('alpha-pass'), source: 'pw-a' };
const B: VaultSecret = { id: 'prod', password: Buffer.from('bravo-pass'), source: 'pw-b' };
const place = { file: 'group_vars/all.yml', line: 1, col: 1 };

test('encrypt then decrypt: the plaintext back, 80-column hex lines, 1.1 without a label and 1.2 with one', (t) => {
  for (const plain of ['', 'x', 'sixteen bytes!!!', 'db_password: s3cr3t\n', 'é ünïcode ✓\n'.repeat(20)]) {
    const v11 = encryptVault(Buffer.from(plain), A.password);
    t.true(v11.startsWith('$ANSIBLE_VAULT;1.1;AES256\n'));
    t.true(v11.endsWith('\n'));
    t.true(v11.trimEnd().split('\n').slice(1).every((l) => /^[0-9a-f]{1,80}$/.test(l)));
    t.is(decryptVault(v11, place, [A]).toString(), plain);
    const v12 = encryptVault(Buffer.from(plain), B.password, 'prod');
    t.true(v12.startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'));
    t.deepEqual(parseEnvelope(v12).label, 'prod');
    t.is(decryptVault(v12, place, [A, B]).toString(), plain);
  }
  // "default" is no label: Ansible writes 1.1 for it.
  t.true(encryptVault(Buffer.from('x'), A.password, 'default').startsWith('$ANSIBLE_VAULT;1.1;AES256\n'));
});

test('a fixed salt gives a fixed text (the construction is deterministic apart from the salt)', (t) => {
  const salt = Buffer.alloc(32, 7);
  t.is(encryptVault(Buffer.from('hello'), A.password, undefined, salt), encryptVault(Buffer.from('hello'), A.password, undefined, salt));
  t.not(encryptVault(Buffer.from('hello'), A.password, undefined, salt), encryptVault(Buffer.from('hello'), A.password, undefined, Buffer.alloc(32, 8)));
});

test('errors: no secret, wrong password, changed HMAC, non-hex, truncated, unknown version; each names the place and shows no plaintext', (t) => {
  const good = encryptVault(Buffer.from('the-plaintext'), A.password);
  const lines = good.trimEnd().split('\n');
  // Another valid HMAC (its first hex digit changed), re-wrapped as Ansible wraps the body.
  const [salt, hmac, ct] = Buffer.from(lines.slice(1).join(''), 'hex').toString('latin1').split('\n');
  const otherHmac = (hmac[0] === '0' ? '1' : '0') + hmac.slice(1);
  const hmacChanged = [lines[0], ...(Buffer.from([salt, otherHmac, ct].join('\n'), 'latin1').toString('hex').match(/.{1,80}/g) ?? [])].join('\n');
  const cases: Array<[string, string, VaultSecret[], RegExp]> = [
    ['no secret', good, [], /no vault secret was given \(--vault-password-file, --vault-id or --ask-vault-pass\)/],
    ['wrong password', good, [B], /decryption failed, no vault secret opens it \(tried prod@pw-b\)/],
    ['changed HMAC', hmacChanged, [A], /decryption failed, no vault secret opens it/],
    ['non-hex body', `${lines[0]}\n${lines[1].slice(0, 40)}zz${lines[1].slice(42)}\n${lines.slice(2).join('\n')}`, [A], /the vault body is not hexadecimal/],
    ['truncated body', `${lines[0]}\n${lines[1]}\n`, [A], /(does not hold salt, HMAC and ciphertext|not hexadecimal|wrong length)/],
    ['odd-length body', `${lines[0]}\n${lines[1]}1\n`, [A], /not hexadecimal \(damaged or truncated\)/],
    ['unknown version', good.replace('1.1', '2.0'), [A], /vault format version "2.0" is not supported/],
    ['unknown cipher', good.replace('AES256', 'AES'), [A], /cipher "AES" is not supported/],
  ];
  for (const [name, text, secrets, msg] of cases) {
    const e = t.throws(() => decryptVault(text, place, secrets), { instanceOf: LoadError }, name);
    t.regex(e.message, msg, name);
    t.true(e.message.startsWith('group_vars/all.yml:1:1: vault-encrypted file'), `${name}: ${e.message}`);
    t.false(e.message.includes('the-plaintext'), name);
  }
  // An inline value names its line and column.
  t.regex(t.throws(() => decryptVault(good, { file: 'vars.yml', line: 4, col: 11 }, [B])).message, /^vars\.yml:4:11: vault-encrypted value: decryption failed/);
});

test("secrets tried in Ansible's order: a 1.2 label's own first, then the rest; vault_id_match keeps only the label's", (t) => {
  const C: VaultSecret = { id: 'dev', password: Buffer.from('c'), source: 'pw-c' };
  t.deepEqual(candidateSecrets([A, C, B], 'prod').map((s) => s.id), ['prod', 'default', 'dev']);
  t.deepEqual(candidateSecrets([A, C, B], undefined).map((s) => s.id), ['default', 'dev', 'prod']);
  t.deepEqual(candidateSecrets([A, C, B], 'prod', true).map((s) => s.id), ['prod']);
  // A label that names no secret: every secret is still tried (the label is not authenticated).
  t.is(decryptVault(encryptVault(Buffer.from('v'), A.password, 'elsewhere'), place, [B, A]).toString(), 'v');
});

test('isVaultText: the header after leading blanks, in text or bytes', (t) => {
  t.true(isVaultText('$ANSIBLE_VAULT;1.1;AES256\n00'));
  t.true(isVaultText('  \n$ANSIBLE_VAULT;1.2;AES256;x\n00'));
  t.true(isVaultText(Buffer.from('$ANSIBLE_VAULT;1.1;AES256\n')));
  t.false(isVaultText('ANSIBLE_VAULT'));
  t.false(isVaultText('db: $ANSIBLE_VAULT;1.1'));
  t.throws(() => decryptBody('zz', A.password));
});

// Checked against the real ansible-vault on this machine (2.14): both directions, 1.1 and 1.2/labelled.
withAnsible('ansible-vault encrypt (1.1) and --vault-id label (1.2) files decrypt in tsplay, with the right secret chosen', (t) => {
  const d = vaultDir();
  writeFileSync(join(d, 'one.yml'), 'db_password: from-ansible-11\n');
  writeFileSync(join(d, 'two.yml'), 'api_token: from-ansible-12\n');
  ansibleVault(['encrypt', '--vault-password-file', 'pw-a', 'one.yml'], d);
  ansibleVault(['encrypt', '--vault-id', 'prod@pw-b', 'two.yml'], d);
  const one = readFileSync(join(d, 'one.yml'), 'utf8');
  const two = readFileSync(join(d, 'two.yml'), 'utf8');
  t.true(one.startsWith('$ANSIBLE_VAULT;1.1;AES256\n'));
  t.true(two.startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'));
  t.is(decryptVault(one, place, [B, A]).toString(), 'db_password: from-ansible-11\n');
  t.is(decryptVault(two, place, [A, B]).toString(), 'api_token: from-ansible-12\n');
  t.throws(() => decryptVault(two, place, [A]), { message: /decryption failed/ });
});

withAnsible('files tsplay encrypts (1.1 and 1.2) are read by ansible-vault view', (t) => {
  const d = vaultDir();
  writeFileSync(join(d, 'one.yml'), encryptVault(Buffer.from('made by tsplay 1.1\n'), A.password));
  writeFileSync(join(d, 'two.yml'), encryptVault(Buffer.from('made by tsplay 1.2 ✓\n'), B.password, 'prod'));
  t.is(ansibleVault(['view', '--vault-password-file', 'pw-a', 'one.yml'], d), 'made by tsplay 1.1\n');
  t.is(ansibleVault(['view', '--vault-id', 'prod@pw-b', 'two.yml'], d), 'made by tsplay 1.2 ✓\n');
});
