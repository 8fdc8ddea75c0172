// SshConnection's persistent shells (engine/connection/shell-session.ts) against a
// real OpenSSH server on loopback (test/helpers/sshd.ts): one session serves
// sequential commands, parallel commands get at most maxChannels sessions,
// timeouts and a killed shell leave the connection usable, a forced command
// makes the host fall back to exec channels with a note, and the switches.

import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandTimeoutError, UnreachableError } from '../../../../engine/connection/connection.js';
import { persistentShellFromEnv, SshConnection } from '../../../../engine/connection/ssh-connection.js';
import { connectionSettings } from '../../../../engine/inventory/host-vars.js';
import { SshdFixture, startSshd } from '../../../helpers/sshd.js';

let sshd: SshdFixture;
const opened: SshConnection[] = [];

test.before(async () => {
  delete process.env.SSH_AUTH_SOCK;
  delete process.env.TSPLAY_PERSISTENT_SHELL;
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

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test.serial('200 sequential commands: one session, one TCP connection, exact results', async (t) => {
  const c = conn(sshd.settings());
  for (let i = 0; i < 200; i++) {
    const r = await c.exec(`echo ${i}; echo e${i} >&2; exit ${i % 7}`);
    if (r.stdout !== `${i}\n` || r.stderr !== `e${i}\n` || r.rc !== i % 7) t.fail(`command ${i}: ${JSON.stringify(r)}`);
  }
  t.is(c.shells.started, 1);
  t.is(c.shells.unavailable, undefined);
  t.is(c.connectCount, 1);
});

test.serial('10 in parallel: at most 4 sessions, all results right, reused afterwards', async (t) => {
  const c = conn(sshd.settings());
  const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => c.exec(`sleep 0.2; echo ${i}`)));
  t.deepEqual(rs.map((r) => r.stdout), Array.from({ length: 10 }, (_, i) => `${i}\n`));
  t.is(c.shells.started, 4);
  t.is(c.maxInFlight, 4);
  await Promise.all(Array.from({ length: 4 }, () => c.exec('true')));
  t.is(c.shells.started, 4);
});

test.serial('5 MB binary stdin and stdout, exact bytes', async (t) => {
  const c = conn(sshd.settings());
  const blob = randomBytes(5 << 20);
  const w = await c.exec('f=$(mktemp); cat > "$f"; sha256sum < "$f" | cut -c1-64; echo "$f" >&2', { stdin: blob });
  t.is(w.stdout.trim(), sha(blob));
  const r = await c.exec(`cat '${w.stderr.trim()}'; rm -f '${w.stderr.trim()}'`);
  t.true(r.stdoutBytes.equals(blob));
  t.is(c.shells.started, 1);
});

test.serial('timeout: killed on the server, the next command works in a new session', async (t) => {
  const c = conn(sshd.settings());
  await c.exec('true');
  const started = Date.now();
  await t.throwsAsync(c.exec('sleep 20.5151', { timeoutMs: 300 }), { instanceOf: CommandTimeoutError });
  t.true(Date.now() - started < 6000);
  t.is((await c.exec('echo after')).stdout, 'after\n');
  await new Promise((r) => setTimeout(r, 300));
  t.false((await c.exec('ps -eo args')).stdout.includes('sleep 20.5151'), 'the timed-out command was killed');
  t.is(c.shells.started, 2);
  t.is(c.connectCount, 1);
});

test.serial('a shell killed from another channel: its command fails unreachable, the next works', async (t) => {
  const c = conn(sshd.settings());
  const pidFile = `/tmp/tsplay-shell-pid-${process.pid}`;
  const running = c.exec(`echo $$ > ${pidFile}; sleep 1`);
  await new Promise((r) => setTimeout(r, 300));
  t.is((await c.exec(`kill -KILL $(cat ${pidFile}); rm -f ${pidFile}`)).rc, 0);
  await t.throwsAsync(running, { instanceOf: UnreachableError, message: /persistent shell .* ended while a command was running/ });
  t.is((await c.exec('echo next')).stdout, 'next\n');
  t.is(c.connectCount, 1);
});

test.serial('a forced command in authorized_keys: exec channels for the host, noted once', async (t) => {
  const keys = join(sshd.dir, 'authorized_keys');
  const before = readFileSync(keys, 'utf8');
  writeFileSync(keys, `command="echo forced" ${before}`);
  try {
    const notes: string[] = [];
    const c = conn(sshd.settings(), { onNote: (m) => notes.push(m) });
    t.is((await c.exec('echo hi')).stdout, 'forced\n');
    t.is((await c.exec('echo again')).stdout, 'forced\n');
    t.regex(c.shells.unavailable ?? '', /ended before it answered/);
    t.is(notes.length, 1);
    t.regex(notes[0], /no persistent shell on .*: using one exec channel per command/);
  } finally {
    writeFileSync(keys, before);
  }
});

test.serial('turned off: option, host variable, environment', async (t) => {
  const off = conn(sshd.settings(), { persistentShell: false });
  t.is((await off.exec('echo x')).stdout, 'x\n');
  t.is(off.shells.started, 0);
  t.is(off.shells.unavailable, 'turned off');
  const byVar = conn({ ...sshd.settings(), persistentShell: false });
  t.is((await byVar.exec('echo y')).stdout, 'y\n');
  t.is(byVar.shells.started, 0);
  process.env.TSPLAY_PERSISTENT_SHELL = '0';
  try {
    const byEnv = conn(sshd.settings());
    await byEnv.exec('true');
    t.is(byEnv.shells.started, 0);
  } finally {
    delete process.env.TSPLAY_PERSISTENT_SHELL;
  }
});

test('persistentShellFromEnv and tsplay_persistent_shell', (t) => {
  const table: Array<[string | undefined, boolean]> = [[undefined, true], ['', true], ['1', true], ['yes', true], ['0', false], ['false', false], ['No', false], [' off ', false]];
  for (const [v, want] of table) t.is(persistentShellFromEnv({ TSPLAY_PERSISTENT_SHELL: v }), want, String(v));
  t.is(connectionSettings('h', {}).persistentShell, undefined);
  t.is(connectionSettings('h', { tsplay_persistent_shell: 'no' }).persistentShell, false);
  t.is(connectionSettings('h', { tsplay_persistent_shell: true }).persistentShell, true);
  t.throws(() => connectionSettings('h', { tsplay_persistent_shell: 'maybe' }), { message: /host "h": tsplay_persistent_shell must be a boolean/ });
});
