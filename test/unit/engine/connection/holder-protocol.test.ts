// The connection holder's wire format (engine/connection/holder-protocol.ts) and
// the settings that pick a held connection: frames survive any chunking, errors
// come back as the classes the runner tests with instanceof, and two hosts share
// a held connection only when everything about the login is the same.

import test from 'ava';
import { CommandTimeoutError, InterruptedError, UnreachableError, type ConnectionSettings } from '../../../../engine/connection/connection.js';
import { encodeFrame, FrameReader, fromWire, heldKey, toWire, type HeldSettings } from '../../../../engine/connection/holder-protocol.js';
import { controlPersistFromEnv } from '../../../../engine/connection/held-connection.js';

test('frames come out whole and in order, however the stream is cut', (t) => {
  const bodies = [Buffer.alloc(0), Buffer.from([0, 255, 0xc3, 0x28, 10]), Buffer.alloc(70_000, 7)];
  const stream = Buffer.concat(bodies.map((b, i) => encodeFrame({ t: 'result', id: i, rc: i, stderr: 'é' }, b)));
  for (const cut of [1, 3, 8, 13, 4096, stream.length]) {
    const got: Array<[unknown, Buffer]> = [];
    const reader = new FrameReader((h, b) => got.push([h, Buffer.from(b)]));
    for (let i = 0; i < stream.length; i += cut) reader.push(stream.subarray(i, i + cut));
    t.is(got.length, 3, `cut ${cut}`);
    got.forEach(([h, b], i) => {
      t.deepEqual(h, { t: 'result', id: i, rc: i, stderr: 'é' });
      t.true(b.equals(bodies[i]), `body ${i}, cut ${cut}: bytes as sent`);
    });
  }
});

test('a frame with a bad length is refused, not waited for', (t) => {
  const bad = Buffer.alloc(8);
  bad.writeUInt32BE(2, 0);
  t.throws(() => new FrameReader(() => {}).push(bad), { message: /bad frame length 2/ });
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(4, 0);
  huge.writeUInt32BE(100, 4);
  t.throws(() => new FrameReader(() => {}).push(huge), { message: /bad header length 100/ });
});

test('errors cross the socket as their own classes', (t) => {
  const u = fromWire(toWire(new UnreachableError('h1', 'h1: gone')));
  t.true(u instanceof UnreachableError);
  t.like(u, { host: 'h1', message: 'h1: gone' });
  const c = fromWire(toWire(new CommandTimeoutError('h2', 'sleep 9', 1500)));
  t.true(c instanceof CommandTimeoutError);
  t.like(c, { host: 'h2', command: 'sleep 9', timeoutMs: 1500, message: 'command timed out after 1500 ms' });
  const i = fromWire(toWire(new InterruptedError('h3', 'h3: interrupted')));
  t.true(i instanceof InterruptedError);
  const other = fromWire(toWire(new TypeError('x')));
  t.false(other instanceof UnreachableError);
  t.like(other, { name: 'TypeError', message: 'x' });
});

const base: ConnectionSettings = {
  host: 'c1', connection: 'ssh', address: '10.0.0.2', port: 22, user: 'root', hostKeyChecking: 'strict',
  connectTimeoutMs: 10_000, commandTimeoutMs: 3_600_000, become: false, becomeUser: 'root', becomeMethod: 'sudo', privateKeyFile: '/k',
};
const held = (s: Partial<ConnectionSettings>, more: Partial<HeldSettings> = {}): HeldSettings => ({ settings: { ...base, ...s }, persistentShell: true, persistMs: 60_000, ...more });

test('a held connection is shared only by the same login', (t) => {
  const k = heldKey(held({}));
  t.is(heldKey(held({ become: true, becomeUser: 'nova', commandTimeoutMs: 5 }, { persistMs: 1 })), k, 'become and timeouts of commands are per command, not the login');
  for (const [what, other] of [
    ['inventory name', held({ host: 'c2' })],
    ['address', held({ address: '10.0.0.3' })],
    ['port', held({ port: 2222 })],
    ['user', held({ user: 'admin' })],
    ['key', held({ privateKeyFile: '/k2' })],
    ['password', held({ password: 'x' })],
    ['known hosts', held({ knownHostsFile: '/kh' })],
    ['host key checking', held({ hostKeyChecking: 'off' })],
    ['connection timeout', held({ connectTimeoutMs: 5000 })],
    ['jump host', held({ jump: { ...base, host: 'b', address: '10.0.0.1' } })],
    ['agent', held({}, { agent: '/run/agent.sock' })],
    ['persistent shell', held({}, { persistentShell: false })],
  ] as const) t.not(heldKey(other), k, what);
  t.false(heldKey(held({ password: 'secret-pw' })).includes('secret'), 'a hash, nothing in clear');
});

test('TSPLAY_CONTROL_PERSIST: seconds, 0 or no for off, unset for the inventory\'s', (t) => {
  t.is(controlPersistFromEnv({}), undefined);
  t.is(controlPersistFromEnv({ TSPLAY_CONTROL_PERSIST: '' }), undefined);
  t.is(controlPersistFromEnv({ TSPLAY_CONTROL_PERSIST: '0' }), 0);
  t.is(controlPersistFromEnv({ TSPLAY_CONTROL_PERSIST: 'no' }), 0);
  t.is(controlPersistFromEnv({ TSPLAY_CONTROL_PERSIST: '90' }), 90_000);
  t.is(controlPersistFromEnv({ TSPLAY_CONTROL_PERSIST: '0.5' }), 500);
  t.throws(() => controlPersistFromEnv({ TSPLAY_CONTROL_PERSIST: '1m' }), { message: /TSPLAY_CONTROL_PERSIST=1m: expected seconds/ });
});
