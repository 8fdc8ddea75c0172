// OpenPGP keys for apt_key tests, made in the test with gpg in a temporary
// GNUPGHOME (no passphrase, never expiring): each key's long id, its
// ASCII-armored and binary exports. Made once per set of user ids and kept in
// /var/cache/tsplay/test-keys, so that a test's cases (which hold the keys)
// are the same from run to run and Ansible's side of them can be cached
// (test/helpers/ansible-reference.ts).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestKey {
  /** The primary key's long id (16 upper-case hex digits). */
  id: string;
  fingerprint: string;
  armored: string;
  binary: Buffer;
}

const KEY_CACHE = '/var/cache/tsplay/test-keys';

/** One key per user id (e.g. 'Test One <one@example.org>'): the kept ones, else made now and kept. */
export function makeKeys(uids: string[]): TestKey[] {
  const file = join(KEY_CACHE, `${createHash('sha256').update(JSON.stringify(uids)).digest('hex').slice(0, 16)}.json`);
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Array<Omit<TestKey, 'binary'> & { binary: string }>;
    return kept.map((k) => ({ ...k, binary: Buffer.from(k.binary, 'base64') }));
  } catch {
    /* not made yet */
  }
  const keys = generateKeys(uids);
  try {
    mkdirSync(KEY_CACHE, { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(keys.map((k) => ({ ...k, binary: k.binary.toString('base64') }))));
    renameSync(`${file}.tmp`, file);
  } catch {
    /* not kept (no write access): made again next time */
  }
  return keys;
}

function generateKeys(uids: string[]): TestKey[] {
  const home = mkdtempSync(join(tmpdir(), 'tsplay-gpg-'));
  const env = { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
  const gpg = (args: string[]): Buffer => execFileSync('gpg', ['--batch', '--quiet', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    return uids.map((uid) => {
      gpg(['--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
      const colons = gpg(['--with-colons', '--list-keys', uid]).toString('utf8').split('\n');
      const pub = colons.find((l) => l.startsWith('pub:'))!.split(':');
      const fpr = colons.find((l) => l.startsWith('fpr:'))!.split(':')[9];
      return { id: pub[4], fingerprint: fpr, armored: gpg(['--armor', '--export', uid]).toString('utf8'), binary: gpg(['--export', uid]) };
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
