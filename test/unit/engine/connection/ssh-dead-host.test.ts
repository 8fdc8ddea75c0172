// A host that goes silent (link down, packets dropped) must cost a bounded
// time: keepalives notice the silence, connect and channel open have a
// deadline, and every command in flight fails as unreachable. A long command
// on a live link is not cut. Real sshd on loopback, behind a relay that can
// swallow everything (test/helpers/freeze-proxy.ts).

import test from 'ava';
import { CommandTimeoutError, InterruptedError, UnreachableError } from '../../../../engine/connection/connection.js';
import { SshConnection } from '../../../../engine/connection/ssh-connection.js';
import { FreezeProxy } from '../../../helpers/freeze-proxy.js';
import { SshdFixture, startSshd } from '../../../helpers/sshd.js';

let sshd: SshdFixture;
const opened: SshConnection[] = [];
const proxies: FreezeProxy[] = [];

test.before(async () => {
  delete process.env.SSH_AUTH_SOCK; // only the key file authenticates in these tests
  sshd = await startSshd();
});

test.after.always(async () => {
  for (const c of opened) await c.close();
  for (const p of proxies) await p.stop();
  await sshd?.dispose();
});

async function relay(opts: { frozen?: boolean } = {}): Promise<FreezeProxy> {
  const p = new FreezeProxy(sshd, opts);
  await p.start();
  proxies.push(p);
  return p;
}

/** A connection through the relay; T (the connection timeout) in ms. */
function conn(p: FreezeProxy, timeoutMs: number, over: Record<string, unknown> = {}): SshConnection {
  const c = new SshConnection(sshd.settings({ port: p.port, hostKeyChecking: 'off', connectTimeoutMs: timeoutMs, ...over }));
  opened.push(c);
  return c;
}

/** How a promise settled and when; gives up after `limitMs` so a hang fails the test instead of holding it. */
async function settle<T>(p: Promise<T>, limitMs: number): Promise<{ ms: number; value?: T; error?: unknown; hung?: true }> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<{ hung: true }>((resolve) => (timer = setTimeout(() => resolve({ hung: true }), limitMs)));
  const r = await Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), limit]);
  clearTimeout(timer);
  return { ms: Date.now() - t0, ...r };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until a process whose command line starts with `prefix` runs on the server (sshd is local); false after 5 s. */
async function runningOnServer(check: SshConnection, prefix: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if ((await check.exec('ps -eo args')).stdout.split('\n').some((l) => l.startsWith(prefix))) return true;
    await sleep(50);
  }
  return false;
}

function checker(): SshConnection {
  const c = new SshConnection(sshd.settings());
  opened.push(c);
  return c;
}

test.serial('silence mid-command: every command in flight fails as unreachable within the bound', async (t) => {
  const p = await relay();
  const c = conn(p, 1500);
  t.is((await c.exec('echo up')).stdout, 'up\n');
  const running = [c.exec('sleep 30'), c.exec('sleep 31')];
  await sleep(300);
  p.freeze();
  const rs = await Promise.all(running.map((r) => settle(r, 8000)));
  for (const r of rs) {
    t.falsy(r.hung, 'the command never ended');
    t.true(r.error instanceof UnreachableError, String(r.error));
    t.regex((r.error as Error).message, /no answer from .* for 1\.5 s/);
    t.true(r.ms < 1500 + 3000, `ended after ${r.ms} ms`);
  }
  t.log(`silence detected after ${rs.map((r) => r.ms).join(', ')} ms (bound 1500 ms)`);
});

test.serial('silence before any command: channel open is bounded, the command fails as unreachable', async (t) => {
  const p = await relay();
  const c = conn(p, 1500);
  await c.connect();
  p.freeze();
  const r = await settle(c.exec('echo never'), 8000);
  t.falsy(r.hung, 'the command never ended');
  t.true(r.error instanceof UnreachableError, String(r.error));
  t.true(r.ms < 3000, `ended after ${r.ms} ms`);
});

test.serial('a command asked for after the host went silent fails with the silence, not after a reconnect', async (t) => {
  // Keepalives notice the silence (about T after the freeze) while the channel
  // open asked for at T/2 is still waiting: the connection is gone because the
  // host is silent, so the command fails then, without reconnecting (which
  // would wait out another T against the same silent host).
  const p = await relay();
  const c = conn(p, 1500);
  await c.connect();
  p.freeze();
  await sleep(750);
  const r = await settle(c.exec('echo never'), 8000);
  t.falsy(r.hung, 'the command never ended');
  t.true(r.error instanceof UnreachableError, String(r.error));
  // About 750 ms (the keepalives), at most 1500 (the channel open's own deadline, if the keepalives
  // are late); the reconnect this must not make failed "could not be reopened", after about 2250 ms.
  t.regex((r.error as Error).message, /no answer/);
  t.notRegex((r.error as Error).message, /reopened/);
  t.true(r.ms < 2000, `ended ${r.ms} ms after it was asked for`);
});

test.serial('a host that accepts TCP and says nothing: connect is bounded as a whole', async (t) => {
  const p = await relay({ frozen: true });
  const c = conn(p, 1200);
  const r = await settle(c.exec('echo never'), 8000);
  t.falsy(r.hung, 'connect never ended');
  t.true(r.error instanceof UnreachableError, String(r.error));
  t.regex((r.error as Error).message, /timed out after 1\.2 s/);
  t.true(r.ms >= 1100 && r.ms < 2500, `ended after ${r.ms} ms`);
});

test.serial('a long quiet command on a live link is not cut by the silence bound', async (t) => {
  const p = await relay();
  const c = conn(p, 1500);
  const r = await settle(c.exec('sleep 5; echo done'), 15_000);
  t.falsy(r.hung);
  t.like(r.value, { rc: 0, stdout: 'done\n', stderr: '' }, 'a command three times as long as the timeout ends normally');
  t.true(r.ms >= 5000);
});

test.serial('the command timeout counts from asking for the channel', async (t) => {
  const p = await relay();
  const c = conn(p, 5000);
  await c.connect();
  // The relay freezes as the channel is asked for: the command timeout (600 ms),
  // shorter than the silence bound, ends the wait.
  p.freeze();
  const r = await settle(c.exec('echo never', { timeoutMs: 600 }), 8000);
  t.falsy(r.hung);
  t.true(r.error instanceof CommandTimeoutError || r.error instanceof UnreachableError, String(r.error));
  t.true(r.ms < 2500, `ended after ${r.ms} ms`);
});

test.serial('abort: running commands end as interrupted, their processes are killed, in bounded time', async (t) => {
  const p = await relay();
  const c = conn(p, 5000);
  const check = checker();
  const sleeping = async () => (await check.exec('ps -eo args')).stdout.split('\n').some((l) => l.startsWith('sleep 40.4242'));
  const running = c.exec('sleep 40.4242');
  t.true(await runningOnServer(check, 'sleep 40.4242'), 'the command runs');
  const a = await settle(c.abort(), 5000);
  t.falsy(a.hung, 'abort never ended');
  t.true(a.ms < 2500, `abort took ${a.ms} ms`);
  const r = await settle(running, 2000);
  t.true(r.error instanceof InterruptedError, String(r.error));
  t.false(await sleeping(), 'the abandoned command was killed on the server');
  await t.throwsAsync(c.exec('true'), { instanceOf: InterruptedError }, 'nothing new starts on an aborted connection');
});

test.serial('abort on a silent host is bounded and closes the connection', async (t) => {
  const p = await relay();
  const c = conn(p, 10_000);
  const running = c.exec('sleep 40.4343');
  t.true(await runningOnServer(checker(), 'sleep 40.4343'), 'the command runs');
  p.freeze();
  const before = p.openSockets;
  const a = await settle(c.abort(), 6000);
  t.falsy(a.hung, 'abort never ended');
  t.true(a.ms < 3500, `abort took ${a.ms} ms`);
  const r = await settle(running, 1000);
  t.true(r.error instanceof InterruptedError, String(r.error));
  await sleep(200);
  t.true(p.openSockets < before, 'our end of the TCP connection was closed');
});

test.serial('abort while connecting: the connection that completes later is not kept', async (t) => {
  const p = await relay();
  const c = conn(p, 5000);
  const running = c.exec('true');
  await sleep(20); // TCP connected, SSH handshake under way
  await c.abort();
  const r = await settle(running, 6000);
  t.true(r.error instanceof InterruptedError, String(r.error));
  await sleep(500);
  t.is(p.openSockets, 0, 'no connection left open through the relay');
});

test.serial('abort during a handshake with a silent host: ends at once, not at the connect deadline', async (t) => {
  const p = await relay({ frozen: true });
  const c = conn(p, 20_000);
  const running = c.exec('true');
  await sleep(200);
  const a = await settle(c.abort(), 3000);
  t.falsy(a.hung, 'abort never ended');
  const r = await settle(running, 2000);
  t.falsy(r.hung, 'the command waited for the connect deadline');
  t.true(r.error instanceof InterruptedError, String(r.error));
});
