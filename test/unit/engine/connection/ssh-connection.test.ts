// SshConnection against a real OpenSSH server on loopback (test/helpers/sshd.ts).

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandTimeoutError, UnreachableError } from '../../../../engine/connection/connection.js';
import { Host } from '../../../../engine/host/host.js';
import { checkHostKey, fingerprint } from '../../../../engine/connection/known-hosts.js';
import { SshConnection } from '../../../../engine/connection/ssh-connection.js';
import { SshdFixture, startAgent, startSshd } from '../../../helpers/sshd.js';
import { fileContent } from '../../../../engine/facts/file.js';

let sshd: SshdFixture;
const opened: SshConnection[] = [];

test.before(async () => {
  delete process.env.SSH_AUTH_SOCK; // only the key file authenticates in these tests
  sshd = await startSshd();
});

test.after.always(async () => {
  for (const c of opened) await c.close();
  await sshd?.dispose();
});

function conn(...args: ConstructorParameters<typeof SshConnection>): SshConnection {
  const c = new SshConnection(...args);
  opened.push(c);
  return c;
}

test.serial('connect, exec, stdin, rc and both streams', async (t) => {
  const c = conn(sshd.settings());
  const r = await c.exec('cat; echo e >&2; exit 5', { stdin: "x'y\n$(z)" });
  t.deepEqual(r, { rc: 5, stdout: "x'y\n$(z)", stdoutBytes: Buffer.from("x'y\n$(z)"), stderr: 'e\n' });
  const bytes = Buffer.from([0, 0xe9, 0xff, 0x0a, 0xc3]);
  t.true((await c.exec('cat', { stdin: bytes })).stdoutBytes.equals(bytes), 'a Buffer on stdin comes back byte for byte');
  // the script's own process: the parent of a child it starts ($$ is the persistent shell's PID)
  t.is((await c.exec("kill -9 $(exec sh -c 'echo $PPID')")).rc, 137, 'killed by a signal: 128 + 9');
  t.is(c.connectCount, 1);
});

test.serial('50 sequential execs share one TCP connection', async (t) => {
  const before = sshd.logins();
  const c = conn(sshd.settings());
  for (let i = 0; i < 50; i++) {
    const r = await c.exec(`echo ${i}`);
    t.is(r.stdout, `${i}\n`);
  }
  t.is(c.connectCount, 1);
  await new Promise((r) => setTimeout(r, 100));
  t.is(sshd.logins() - before, 1, 'the server saw exactly one login');
});

test.serial('10 concurrent execs: capped at 4 channels, all succeed', async (t) => {
  const c = conn(sshd.settings());
  const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => c.exec(`sleep 0.2; echo ${i}`)));
  t.deepEqual(
    rs.map((r) => r.stdout),
    Array.from({ length: 10 }, (_, i) => `${i}\n`),
  );
  t.is(c.maxInFlight, 4);
  t.is(c.connectCount, 1);
  // 30 quick ones at once as well: no channel open failures
  const quick = await Promise.all(Array.from({ length: 30 }, () => c.exec('true')));
  t.true(quick.every((r) => r.rc === 0));
});

test.serial('Host over SSH: runAll, writeFile through stdin', async (t) => {
  const c = conn(sshd.settings());
  const h = new Host(c, { name: 'sshd-test', loginUser: sshd.user });
  const rs = await h.runAll([['echo', 'a b'], ['sh', '-c', 'printf x >&2; exit 2']]);
  t.deepEqual(rs, [
    { rc: 0, stdout: 'a b\n', stderr: '' },
    { rc: 2, stdout: '', stderr: 'x' },
  ]);
  const f = join(sshd.dir, "w r'it$e");
  await h.writeFile(f, 'over ssh\n`x`');
  t.is(readFileSync(f, 'utf8'), 'over ssh\n`x`');
  // Bytes over SSH both ways: every byte value, NULs, invalid UTF-8, no final newline.
  const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(70_000), Buffer.from([0xc3])]);
  const b = join(sshd.dir, 'binary');
  await h.writeFile(b, bytes);
  t.true(readFileSync(b).equals(bytes));
  t.true((await h.get(fileContent, b)).content?.equals(bytes));
});

test.serial('strict: unknown host key is refused, message names known_hosts and fingerprint', async (t) => {
  const empty = join(sshd.dir, 'empty_known_hosts');
  writeFileSync(empty, '');
  const c = conn(sshd.settings({ knownHostsFile: empty }));
  const err = await t.throwsAsync(c.exec('true'), { instanceOf: UnreachableError });
  t.regex(err.message, /unknown host/);
  t.true(err.message.includes(empty));
  t.true(err.message.includes('known_hosts'));
  t.true(err.message.includes(fingerprint(sshd.hostKeyBlob)));
  t.true(err.message.includes(`127.0.0.1:${sshd.port}`));
});

test.serial('strict and accept-new: a changed host key is refused', async (t) => {
  const wrong = join(sshd.dir, 'wrong_known_hosts');
  const other = readFileSync(sshd.clientKeyFile + '.pub', 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(wrong, `[127.0.0.1]:${sshd.port} ${other}\n`);
  for (const mode of ['strict', 'accept-new'] as const) {
    const c = conn(sshd.settings({ knownHostsFile: wrong, hostKeyChecking: mode }));
    const err = await t.throwsAsync(c.connect(), { instanceOf: UnreachableError });
    t.regex(err.message, /HOST KEY CHANGED/);
  }
  const off = conn(sshd.settings({ knownHostsFile: wrong, hostKeyChecking: 'off' }));
  t.is((await off.exec('echo ok')).stdout, 'ok\n');
});

test.serial('accept-new records an unknown key, then matches it', async (t) => {
  const file = join(sshd.dir, 'new', 'known_hosts');
  const c = conn(sshd.settings({ knownHostsFile: file, hostKeyChecking: 'accept-new' }));
  t.is((await c.exec('echo ok')).stdout, 'ok\n');
  t.is(checkHostKey(file, '127.0.0.1', sshd.port, sshd.hostKeyBlob), 'match');
  const strict = conn(sshd.settings({ knownHostsFile: file }));
  t.is((await strict.exec('true')).rc, 0);
});

test.serial('missing or unreadable key file is a clear unreachable error', async (t) => {
  const missing = join(sshd.dir, 'no_such_key');
  const c = conn(sshd.settings({ privateKeyFile: missing }));
  const err = await t.throwsAsync(c.exec('true'), { instanceOf: UnreachableError });
  t.true(err.message.includes(missing));
  const garbage = join(sshd.dir, 'garbage_key');
  writeFileSync(garbage, 'not a key\n');
  const g = conn(sshd.settings({ privateKeyFile: garbage }));
  const err2 = await t.throwsAsync(g.exec('true'), { instanceOf: UnreachableError });
  t.true(err2.message.includes(garbage));
  if (process.getuid?.() !== 0) {
    const unreadable = join(sshd.dir, 'unreadable_key');
    copyFileSync(sshd.clientKeyFile, unreadable);
    chmodSync(unreadable, 0);
    await t.throwsAsync(conn(sshd.settings({ privateKeyFile: unreadable })).exec('true'), { message: /unreadable_key/ });
  }
});

test.serial('ssh-agent authentication (SSH_AUTH_SOCK), no key file', async (t) => {
  const agent = await startAgent(sshd.dir, sshd.clientKeyFile);
  try {
    const c = conn(sshd.settings({ privateKeyFile: undefined }));
    t.is((await c.exec('echo via agent')).stdout, 'via agent\n');
  } finally {
    agent.stop();
  }
  const none = conn(sshd.settings({ privateKeyFile: undefined }));
  await t.throwsAsync(none.connect(), { instanceOf: UnreachableError, message: /no way to authenticate/ });
});

test.serial('nothing listening: unreachable, names address:port', async (t) => {
  const c = conn(sshd.settings({ port: 1, connectTimeoutMs: 2000 }));
  const err = await t.throwsAsync(c.connect(), { instanceOf: UnreachableError });
  t.regex(err.message, /127\.0\.0\.1:1/);
});

test.serial('command timeout closes the channel; the connection stays usable', async (t) => {
  const c = conn(sshd.settings());
  const started = Date.now();
  await t.throwsAsync(c.exec('sleep 20.4242', { timeoutMs: 300 }), { instanceOf: CommandTimeoutError });
  t.true(Date.now() - started < 6000);
  t.is((await c.exec('echo after')).stdout, 'after\n');
  await new Promise((r) => setTimeout(r, 300));
  const ps = await c.exec('ps -eo args');
  t.false(ps.stdout.includes('sleep 20.4242'), 'the timed-out command was killed on the server');
  t.is(c.connectCount, 1);
});

// Last: it restarts and then stops the server.
test.serial('server killed mid-run: reopened once, then unreachable', async (t) => {
  const c = conn(sshd.settings());
  t.is((await c.exec('echo 1')).stdout, '1\n');
  const running = c.exec('sleep 5');
  await new Promise((r) => setTimeout(r, 200));
  await sshd.restart();
  await t.throwsAsync(running, { instanceOf: UnreachableError, message: /lost while a command was running/ });
  t.is((await c.exec('echo 2')).stdout, '2\n');
  t.is(c.connectCount, 2);
  await sshd.stop();
  await new Promise((r) => setTimeout(r, 100));
  const err = await t.throwsAsync(c.exec('echo 3'), { instanceOf: UnreachableError });
  t.regex(err.message, /lost and could not be reopened/);
  t.regex(err.message, new RegExp(`127\\.0\\.0\\.1:${sshd.port}`));
});
