// Per-exec round trip on one persistent SSH connection to a loopback sshd,
// with and without TCP_NODELAY, and the connect time.
//   node --import tsx test/bench/ssh-roundtrip.ts [n]
// measureRoundTrip is reused by the engine bench.

import type { Connection } from '../../engine/connection/connection.js';
import { SshConnection } from '../../engine/connection/ssh-connection.js';
import { startSshd } from '../helpers/sshd.js';

/** Mean wall time of n sequential `true` execs on an already opened connection. */
export async function measureRoundTrip(conn: Connection, n: number): Promise<{ perExecMs: number }> {
  await conn.connect();
  await conn.exec('true'); // warm-up: first channel
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await conn.exec('true');
    if (r.rc !== 0) throw new Error(`true failed: rc ${r.rc} ${r.stderr}`);
  }
  return { perExecMs: (performance.now() - t0) / n };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 50);
  delete process.env.SSH_AUTH_SOCK;
  const sshd = await startSshd();
  try {
    const connects: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = new SshConnection(sshd.settings());
      const t0 = performance.now();
      await c.connect();
      connects.push(performance.now() - t0);
      await c.close();
    }
    connects.sort((a, b) => a - b);
    const fast = new SshConnection(sshd.settings(), { noDelay: true });
    const withNoDelay = await measureRoundTrip(fast, n);
    await fast.close();
    const slow = new SshConnection(sshd.settings(), { noDelay: false });
    const withoutNoDelay = await measureRoundTrip(slow, n);
    await slow.close();
    const fmt = (x: number) => x.toFixed(2);
    console.log(`connect (median of 5):           ${fmt(connects[2])} ms`);
    console.log(`exec 'true', setNoDelay(true):   ${fmt(withNoDelay.perExecMs)} ms each (n=${n})`);
    console.log(`exec 'true', setNoDelay(false):  ${fmt(withoutNoDelay.perExecMs)} ms each (n=${n})`);
  } finally {
    await sshd.dispose();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
