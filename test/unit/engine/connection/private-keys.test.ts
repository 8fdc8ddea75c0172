// Private keys with a passphrase (engine/connection/private-keys.ts), with keys
// made by ssh-keygen: which keys need a passphrase, the public key read from an
// encrypted OpenSSH key without it, one prompt per key file whatever the number
// of hosts, a refusal without a terminal naming the key and ssh-agent, a wrong
// passphrase refused naming the key. The agent and real hosts:
// test/lab/keys-and-become.test.ts.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../../engine/errors.js';
import { clearPreparedKeys, clearlyUnencrypted, isEncryptedKey, keyUseOf, passphraseError, prepareKeys, publicBlobOf } from '../../../../engine/connection/private-keys.js';

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

test("clearlyUnencrypted: told from the text alone, and never where ssh2 would ask for a passphrase", (t) => {
  const ssh2 = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');
  const needsPassphrase = (text: string) => {
    const r = ssh2.utils.parseKey(text);
    return r instanceof Error && /passphrase|encrypted/i.test(r.message);
  };
  const cases: Array<[string, string[], boolean]> = [
    ['ed25519, OpenSSH format', ['-t', 'ed25519'], true],
    ['ecdsa, OpenSSH format', ['-t', 'ecdsa'], true],
    ['rsa, OpenSSH format', ['-t', 'rsa', '-b', '2048'], true],
    ['rsa, PEM', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], true],
    ['ecdsa, PEM', ['-t', 'ecdsa', '-m', 'PEM'], true],
    // (ssh2 cannot read an encrypted PKCS8 key at all: only the plain one here)
    ['rsa, PKCS8 (left to ssh2)', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], false],
  ];
  for (const [what, args, quick] of cases) {
    for (const phrase of what.includes('PKCS8') ? [''] : ['', 'a phrase']) {
      const file = join(dir, `k${Math.random().toString(16).slice(2)}`);
      execFileSync('ssh-keygen', ['-q', ...args, '-N', phrase, '-C', 'test', '-f', file]);
      const text = readFileSync(file, 'utf8');
      t.is(needsPassphrase(text), phrase !== '', `${what}, passphrase ${JSON.stringify(phrase)}: ssh2`);
      t.is(clearlyUnencrypted(text), quick && phrase === '', `${what}, passphrase ${JSON.stringify(phrase)}`);
      t.is(isEncryptedKey(text), phrase !== '', `${what}, passphrase ${JSON.stringify(phrase)}: isEncryptedKey`);
    }
  }
  t.false(clearlyUnencrypted('not a key'));
  t.false(clearlyUnencrypted(`${readFileSync(plain, 'utf8')}\n${readFileSync(plain, 'utf8')}`), 'two keys: ssh2 decides');
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
