// known_hosts parsing and checking, cross-checked against OpenSSH's own ssh-keygen
// (hashing with -H, lookups with -F) where it is installed.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendHostKey,
  checkHostKey,
  checkHostKeyIn,
  fingerprint,
  hostKeyName,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
} from '../../../../engine/connection/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-kh-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function newKey(type = 'ed25519'): { blob: Buffer; line: string; file: string } {
  const file = join(dir, `k${n++}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const line = readFileSync(file + '.pub', 'utf8').trim();
  return { blob: Buffer.from(line.split(' ')[1], 'base64'), line, file };
}

test('hostKeyName uses [addr]:port off port 22', (t) => {
  t.is(hostKeyName('10.0.0.1', 22), '10.0.0.1');
  t.is(hostKeyName('10.0.0.1', 2222), '[10.0.0.1]:2222');
});

test('parse: comments, markers, hashed and plain entries', (t) => {
  const e = parseKnownHosts(
    [
      '# comment',
      '',
      'a.example,10.0.0.1 ssh-ed25519 AAAAkey1 comment here',
      '|1|c2FsdA==|aGFzaA== ssh-rsa AAAAkey2',
      '@revoked * ssh-ed25519 AAAAbad',
      '@cert-authority *.example ssh-ed25519 AAAAca',
      '@weird x ssh-ed25519 AAAA',
      'short line',
    ].join('\n'),
  );
  t.is(e.length, 4);
  t.deepEqual(e[0].patterns, ['a.example', '10.0.0.1']);
  t.is(e[0].line, 3);
  t.truthy(e[1].hashed);
  t.is(e[2].marker, 'revoked');
  t.is(e[3].marker, 'cert-authority');
});

test('key blob helpers agree with ssh-keygen', (t) => {
  const k = newKey();
  t.is(keyTypeOfBlob(k.blob), 'ssh-ed25519');
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.file + '.pub'], { encoding: 'utf8' });
  t.true(fp.includes(fingerprint(k.blob)), `${fp} should contain ${fingerprint(k.blob)}`);
});

test('check: match, unknown, changed, ports, wildcards and negation', (t) => {
  const k = newKey();
  const other = newKey();
  const kh = join(dir, 'kh1');
  writeFileSync(kh, `[127.0.0.1]:2222 ${k.line}\n*.lab,!bad.lab ${k.line}\n`);
  t.is(checkHostKey(kh, '127.0.0.1', 2222, k.blob), 'match');
  t.is(checkHostKey(kh, '127.0.0.1', 2222, other.blob), 'changed');
  t.is(checkHostKey(kh, '127.0.0.1', 22, k.blob), 'unknown', 'port 22 is a different name');
  t.is(checkHostKey(kh, 'n1.lab', 22, k.blob), 'match');
  t.is(checkHostKey(kh, 'bad.lab', 22, k.blob), 'unknown');
  t.is(checkHostKey(join(dir, 'missing'), 'x', 22, k.blob), 'unknown');
});

test('check: @revoked refuses the key, @cert-authority is ignored', (t) => {
  const k = newKey();
  const e = parseKnownHosts(`h ${k.line}\n@revoked h ${k.line}\n@cert-authority h ${newKey().line}\n`);
  t.is(checkHostKeyIn(e, 'h', 22, k.blob), 'changed');
  const ca = parseKnownHosts(`@cert-authority h ${k.line}\n`);
  t.is(checkHostKeyIn(ca, 'h', 22, k.blob), 'unknown');
});

test('hashed entries written by ssh-keygen -H are matched', (t) => {
  const k = newKey();
  const kh = join(dir, 'kh-hashed');
  writeFileSync(kh, `[10.1.2.3]:2200 ${k.line}\nplain.host ${k.line}\n`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', kh]);
  const text = readFileSync(kh, 'utf8');
  t.false(text.includes('10.1.2.3'), 'file is hashed');
  t.is(checkHostKey(kh, '10.1.2.3', 2200, k.blob), 'match');
  t.is(checkHostKey(kh, 'plain.host', 22, k.blob), 'match');
  t.is(checkHostKey(kh, '10.1.2.3', 22, k.blob), 'unknown');
  t.is(checkHostKey(kh, '10.1.2.3', 2200, newKey().blob), 'changed');
});

test('appendHostKey writes lines OpenSSH finds (plain and hashed), file is private', (t) => {
  const k = newKey();
  const kh = join(dir, 'sub', 'known_hosts');
  appendHostKey(kh, '127.0.0.1', 2022, k.blob);
  appendHostKey(kh, 'hidden.example', 22, k.blob, { hash: true });
  t.is(statSync(kh).mode & 0o777, 0o600);
  t.is(checkHostKey(kh, '127.0.0.1', 2022, k.blob), 'match');
  t.is(checkHostKey(kh, 'hidden.example', 22, k.blob), 'match');
  t.deepEqual(knownKeyTypes(kh, '127.0.0.1', 2022), ['ssh-ed25519']);
  const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2022', '-f', kh], { encoding: 'utf8' });
  t.true(found.includes(k.line.split(' ')[1]));
  const foundHashed = execFileSync('ssh-keygen', ['-F', 'hidden.example', '-f', kh], { encoding: 'utf8' });
  t.true(foundHashed.includes(k.line.split(' ')[1]));
});
