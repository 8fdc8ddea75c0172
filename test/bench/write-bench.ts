// Cost of one Host.writeFile: N sequential writes of a small file and of a
// 1 MiB file into one directory, over the local connection and, with --lab,
// over SSH to the first host of a running lab (tsplay lab up 1 --name NAME).
//   node --import tsx test/bench/write-bench.ts [--n 200] [--lab NAME] [--cas]
// Each write changes the content, so every one is a real replace. --cas also
// sends the previous content's hash (compare-and-swap: flock and a hash of the
// target on the host), as planned writes of lineinfile/copy/template do.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Connection } from '../../engine/connection/connection.js';
import { sha256Hex } from '../../engine/host/content-hash.js';
import { Host } from '../../engine/host/host.js';
import { connectionSettings } from '../../engine/inventory/inventory.js';
import { labInfoOf } from '../../engine/lab/index.js';
import { LocalConnection } from '../../engine/connection/local-connection.js';
import { SshConnection } from '../../engine/connection/ssh-connection.js';

const { values: o } = parseArgs({ options: { n: { type: 'string', default: '200' }, lab: { type: 'string' }, cas: { type: 'boolean' } } });
const n = Number(o.n);

async function measure(host: Host, dir: string, size: number, count: number): Promise<number> {
  const path = join(dir, `bench-${size}`);
  const body = 'x'.repeat(Math.max(0, size - 12));
  let previous = `warm-up\n${body}`;
  await host.writeFile(path, previous);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const next = `${String(i).padStart(11, '0')}\n${body}`;
    // the old Host.writeFile ignores the option (run this bench on both to compare)
    await host.writeFile(path, next, o.cas ? { expect: { sha256: sha256Hex(previous) } } : {});
    previous = next;
  }
  return (performance.now() - t0) / count;
}

async function bench(label: string, conn: Connection, dir: string): Promise<void> {
  const host = new Host(conn, { name: label });
  await conn.connect();
  const small = await measure(host, dir, 100, n);
  const big = await measure(host, dir, 1 << 20, Math.max(10, Math.floor(n / 10)));
  console.log(`${label}${o.cas ? ' (cas)' : ''}: ${small.toFixed(2)} ms per write of 100 B, ${big.toFixed(2)} ms per write of 1 MiB`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-write-bench-'));
  try {
    await bench('local', new LocalConnection('local'), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (o.lab) {
    const info = labInfoOf(o.lab);
    const first = info.hosts[0];
    const name = first.name;
    const conn = new SshConnection(connectionSettings(name, {
      ansible_host: first.address, ansible_user: 'root', ansible_ssh_private_key_file: info.keyFile, tsplay_known_hosts_file: info.knownHostsFile,
    }));
    try {
      await conn.connect();
      const r = await conn.exec('mktemp -d');
      await bench(`ssh ${name}`, conn, r.stdout.trim());
      await conn.exec(`rm -rf -- ${r.stdout.trim()}`);
    } finally {
      await conn.close();
    }
  }
}

await main();
