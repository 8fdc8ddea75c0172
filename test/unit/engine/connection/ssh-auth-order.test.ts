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

/** The methods of the authentication requests the server logged since `from` bytes of its log. */
function loggedMethods(from: number): string[] {
  return [...sshd.log().slice(from).matchAll(/userauth-request for user \S+ service ssh-connection method (\S+)/g)].map((m) => m[1]);
}

/**
 * The methods logged since `from`, once there are `n` of them (sshd's log lags
 * the login a little) or after 5 s. A request before the expected ones (a
 * `none` first) is among them: the caller compares the whole list.
 */
async function requestedMethods(from: number, n: number): Promise<string[]> {
  for (let waited = 0; loggedMethods(from).length < n && waited < 5000; waited += 25) await new Promise((r) => setTimeout(r, 25));
  return loggedMethods(from);
}

test.serial('a key file: one publickey request (the key query, then the signature) and no `none` first', async (t) => {
  const from = sshd.log().length;
  const c = new SshConnection(sshd.settings());
  opened.push(c);
  t.is((await c.exec('echo in')).stdout, 'in\n');
  t.deepEqual(await requestedMethods(from, 2), ['publickey', 'publickey']);
});

test.serial('a key file and a password: the key is tried first, the password is never sent', async (t) => {
  const from = sshd.log().length;
  const c = new SshConnection(sshd.settings({ password: 'not-the-password' }));
  opened.push(c);
  t.is((await c.exec('echo in')).stdout, 'in\n');
  t.deepEqual(await requestedMethods(from, 2), ['publickey', 'publickey']);
});

test.serial('a key the server refuses, then a password it does not take: each tried once, `none` last, then a clear error', async (t) => {
  const other = join(sshd.dir, 'other_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const from = sshd.log().length;
  const c = new SshConnection(sshd.settings({ privateKeyFile: other, password: 'not-the-password' }));
  opened.push(c);
  await t.throwsAsync(c.connect(), { instanceOf: UnreachableError, message: /authentication failed/ });
  // the server allows publickey only (PasswordAuthentication no): the password request is refused unread
  t.deepEqual(await requestedMethods(from, 3), ['publickey', 'password', 'none']);
});

test.serial('an agent alone: its key, no `none` first', async (t) => {
  const agent = await startAgent(sshd.dir, sshd.clientKeyFile);
  try {
    const from = sshd.log().length;
    const c = new SshConnection(sshd.settings({ privateKeyFile: undefined }));
    opened.push(c);
    t.is((await c.exec('echo agent')).stdout, 'agent\n');
    t.deepEqual(await requestedMethods(from, 2), ['publickey', 'publickey']);
  } finally {
    agent.stop();
  }
});
