// Private keys with a passphrase (engine/connection/private-keys.ts), with keys
// made by ssh-keygen: which keys need a passphrase, the public key read from an
// encrypted OpenSSH key without it, one prompt per key file whatever the number
// of hosts, a refusal without a terminal naming the key and ssh-agent, a wrong
// passphrase refused naming the key. The agent and real hosts:
// test/lab/keys-and-become.test.ts.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../../engine/errors.js';
import { clearPreparedKeys, isEncryptedKey, keyUseOf, passphraseError, prepareKeys, publicBlobOf } from '../../../../engine/connection/private-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-keys-'));
const keygen = (file: string, passphrase: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'test', '-f', file]);
const enc = join(dir, 'enc');
const plain = join(dir, 'plain');
keygen(enc, 'right phrase');
keygen(plain, '');
const pubBlob = (file: string) => Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1], 'base64');

test.afterEach(() => clearPreparedKeys());

test('isEncryptedKey and passphraseError', (t) => {
  t.true(isEncryptedKey(readFileSync(enc)));
  t.false(isEncryptedKey(readFileSync(plain)));
  t.is(passphraseError(readFileSync(enc), 'right phrase'), undefined);
  t.regex(passphraseError(readFileSync(enc), 'wrong') ?? '', /bad passphrase/);
});

test('publicBlobOf: from the clear header of an OpenSSH key (no .pub needed), else FILE.pub', (t) => {
  const blob = pubBlob(enc);
  const copy = join(dir, 'nopub');
  execFileSync('cp', [enc, copy]);
  t.deepEqual(publicBlobOf(copy, readFileSync(copy, 'utf8')), blob);
  t.deepEqual(publicBlobOf(enc, 'not a key'), blob);
  rmSync(copy);
  t.is(publicBlobOf(copy, 'not a key'), undefined);
});

test.serial('prepareKeys: one prompt per key file, OpenSSH\'s question, none for a key without a passphrase', async (t) => {
  const asked: string[] = [];
  await prepareKeys([enc, plain, enc, enc], async (q) => (asked.push(q), 'right phrase'), undefined);
  t.deepEqual(asked, [`Enter passphrase for key '${enc}': `]);
  t.deepEqual(keyUseOf(enc), { kind: 'passphrase', passphrase: 'right phrase' });
  t.is(keyUseOf(plain), undefined);
  // Prepared once: a second call asks nothing.
  await prepareKeys([enc], async (q) => (asked.push(q), 'x'), undefined);
  t.is(asked.length, 1);
});

test.serial('prepareKeys: no terminal, or a wrong passphrase: a usage error naming the key', async (t) => {
  await t.throwsAsync(prepareKeys([enc], undefined, undefined), {
    instanceOf: UsageError,
    message: `private key file ${enc} has a passphrase, and standard input is not a terminal to ask for it: add the key to an ssh-agent (eval "$(ssh-agent)"; ssh-add ${enc}) and run tsplay with that SSH_AUTH_SOCK`,
  });
  await t.throwsAsync(prepareKeys([enc], async () => 'wrong', undefined), { instanceOf: UsageError, message: new RegExp(`^wrong passphrase for private key file ${enc} `) });
  t.is(keyUseOf(enc), undefined);
  // No terminal is no matter when no key needs a passphrase.
  await t.notThrowsAsync(prepareKeys([plain, join(dir, 'missing')], undefined, undefined));
});
