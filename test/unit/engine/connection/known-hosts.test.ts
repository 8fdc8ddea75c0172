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
  entriesFor,
  entryMatches,
  fingerprint,
  indexKnownHosts,
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

test('the index finds exactly the entries a scan of every line finds, in file order', (t) => {
  const k = newKey().line;
  const text = [
    `web1,Web2.Lab,10.0.0.5 ${k}`,
    `[10.0.0.5]:2222 ${k}`,
    `*.lab,!bad.lab ${k}`,
    `web? ${k}`,
    `@revoked web1 ${k}`,
    `@cert-authority *.lab ${k}`,
    `|1|${Buffer.alloc(20, 1).toString('base64')}|${Buffer.alloc(20, 2).toString('base64')} ${k}`,
    `WEB1 ${k}`,
    `bad.lab,10.0.0.9 ${k}`,
  ].join('\n');
  const entries = parseKnownHosts(text);
  const index = indexKnownHosts(entries);
  const names: Array<[string, number]> = [
    ['web1', 22], ['WEB2.lab', 22], ['web2.lab', 22], ['10.0.0.5', 22], ['10.0.0.5', 2222], ['webx', 22],
    ['bad.lab', 22], ['good.lab', 22], ['10.0.0.9', 22], ['nobody', 22], ['web1', 2222],
  ];
  for (const [name, port] of names) {
    const scan = entries.filter((e) => entryMatches(e, name, port)).map((e) => e.line);
    t.deepEqual(entriesFor(index, name, port).map((e) => e.line), scan, `${name}:${port}`);
  }
});

test('a known_hosts file changed after a lookup is read again', (t) => {
  const k = newKey();
  const kh = join(dir, 'kh-changing');
  writeFileSync(kh, `first.host ${k.line}\n`);
  t.is(checkHostKey(kh, 'second.host', 22, k.blob), 'unknown');
  appendHostKey(kh, 'second.host', 22, k.blob);
  t.is(checkHostKey(kh, 'second.host', 22, k.blob), 'match');
  // rewritten with the other key, same length: still noticed
  const other = newKey();
  writeFileSync(kh, `first.host ${other.line}\nsecond.host ${other.line}\n`);
  t.is(checkHostKey(kh, 'second.host', 22, k.blob), 'changed');
  t.deepEqual(knownKeyTypes(kh, 'first.host', 22), ['ssh-ed25519']);
});
