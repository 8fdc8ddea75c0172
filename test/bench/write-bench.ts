// Cost of one Host.writeFile: N sequential writes of a small file and of a
// 1 MiB file into one directory, over the local connection and, with --lab,
// over SSH to the first host of a running lab (tsplay lab up 1 --name NAME).
//   node --import tsx test/bench/write-bench.ts [--n 200] [--lab NAME]
// Each write changes the content, so every one is a real replace.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Connection } from '../../engine/connection.js';
import { Host } from '../../engine/host.js';
import { connectionSettings } from '../../engine/inventory.js';
import { labInfoOf } from '../../engine/lab/index.js';
import { LocalConnection } from '../../engine/local-connection.js';
import { SshConnection } from '../../engine/ssh-connection.js';

const { values: o } = parseArgs({ options: { n: { type: 'string', default: '200' }, lab: { type: 'string' } } });
const n = Number(o.n);

async function measure(host: Host, dir: string, size: number, count: number): Promise<number> {
  const path = join(dir, `bench-${size}`);
  const body = 'x'.repeat(Math.max(0, size - 12));
  await host.writeFile(path, `warm-up\n${body}`);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await host.writeFile(path, `${String(i).padStart(11, '0')}\n${body}`);
  return (performance.now() - t0) / count;
}

async function bench(label: string, conn: Connection, dir: string): Promise<void> {
  const host = new Host(conn, { name: label });
  await conn.connect();
  const small = await measure(host, dir, 100, n);
  const big = await measure(host, dir, 1 << 20, Math.max(10, Math.floor(n / 10)));
  console.log(`${label}: ${small.toFixed(2)} ms per write of 100 B, ${big.toFixed(2)} ms per write of 1 MiB`);
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
