// Which authentication methods a login tries, and in what order: the table
// of authMethods, then a real OpenSSH server (test/helpers/sshd.ts at
// LogLevel DEBUG1, which logs every authentication request with its method).

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { UnreachableError } from '../../../../engine/connection/connection.js';
import { authMethods, SshConnection } from '../../../../engine/connection/ssh-connection.js';
import { SshdFixture, startAgent, startSshd } from '../../../helpers/sshd.js';

const TABLE: Array<[{ key: boolean; agent: boolean; password: boolean }, string[]]> = [
  [{ key: true, agent: false, password: false }, ['publickey', 'none']],
  [{ key: true, agent: true, password: false }, ['publickey', 'agent', 'none']],
  [{ key: true, agent: true, password: true }, ['publickey', 'agent', 'password', 'none']],
  [{ key: false, agent: true, password: false }, ['agent', 'none']],
  [{ key: false, agent: false, password: true }, ['password', 'none']],
  [{ key: true, agent: false, password: true }, ['publickey', 'password', 'none']],
  [{ key: false, agent: false, password: false }, ['none']],
];

for (const [have, want] of TABLE) {
  test(`authMethods ${JSON.stringify(have)}`, (t) => {
    t.deepEqual(authMethods(have), want);
  });
}

let sshd: SshdFixture;
const opened: SshConnection[] = [];

test.before(async () => {
  delete process.env.SSH_AUTH_SOCK;
  sshd = await startSshd({ logLevel: 'DEBUG1' });
});

test.after.always(async () => {
  for (const c of opened) await c.close();
  await sshd?.dispose();
});

/** The methods of the authentication requests the server saw since `from` bytes of its log. */
function requestedMethods(from: number): string[] {
  return [...sshd.log().slice(from).matchAll(/userauth-request for user \S+ service ssh-connection method (\S+)/g)].map((m) => m[1]);
}

/** A login settles its log lines a moment after the session starts. */
const settle = () => new Promise((r) => setTimeout(r, 150));

test.serial('a key file: one publickey request (the key query, then the signature) and no `none` first', async (t) => {
  const from = sshd.log().length;
  const c = new SshConnection(sshd.settings());
  opened.push(c);
  t.is((await c.exec('echo in')).stdout, 'in\n');
  await settle();
  t.deepEqual(requestedMethods(from), ['publickey', 'publickey']);
});

test.serial('a key file and a password: the key is tried first, the password is never sent', async (t) => {
  const from = sshd.log().length;
  const c = new SshConnection(sshd.settings({ password: 'not-the-password' }));
  opened.push(c);
  t.is((await c.exec('echo in')).stdout, 'in\n');
  await settle();
  t.deepEqual(requestedMethods(from), ['publickey', 'publickey']);
});

test.serial('a key the server refuses, then a password it does not take: each tried once, `none` last, then a clear error', async (t) => {
  const other = join(sshd.dir, 'other_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const from = sshd.log().length;
  const c = new SshConnection(sshd.settings({ privateKeyFile: other, password: 'not-the-password' }));
  opened.push(c);
  await t.throwsAsync(c.connect(), { instanceOf: UnreachableError, message: /authentication failed/ });
  await settle();
  // the server allows publickey only (PasswordAuthentication no): the password request is refused unread
  t.deepEqual(requestedMethods(from), ['publickey', 'password', 'none']);
});

test.serial('an agent alone: its key, no `none` first', async (t) => {
  const agent = await startAgent(sshd.dir, sshd.clientKeyFile);
  try {
    const from = sshd.log().length;
    const c = new SshConnection(sshd.settings({ privateKeyFile: undefined }));
    opened.push(c);
    t.is((await c.exec('echo agent')).stdout, 'agent\n');
    await settle();
    t.deepEqual(requestedMethods(from), ['publickey', 'publickey']);
  } finally {
    agent.stop();
  }
});
