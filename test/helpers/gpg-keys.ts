// OpenPGP keys for apt_key tests, made in the test with gpg in a temporary
// GNUPGHOME (no passphrase, never expiring): each key's long id, its
// ASCII-armored and binary exports.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestKey {
  /** The primary key's long id (16 upper-case hex digits). */
  id: string;
  fingerprint: string;
  armored: string;
  binary: Buffer;
}

/** Make one key per user id (e.g. 'Test One <one@example.org>'). */
export function makeKeys(uids: string[]): TestKey[] {
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
