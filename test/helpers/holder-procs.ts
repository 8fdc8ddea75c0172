// The connection holders a benchmark or a test started (engine/connection/connection-holder.ts):
// found by their control directory, so that their CPU and memory count as the
// controller's, and stopped when a part is done (they would otherwise hold
// connections to a lab that is being taken down).

import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Pids of the holders whose socket is in `dir`. */
export function holderPids(dir: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const words = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if ((words.includes('hold-connections') || words.some((w) => w.endsWith('/holder.mjs'))) && words.some((w) => w.startsWith(dir + '/'))) pids.push(Number(e));
    } catch {
      // exited
    }
  }
  return pids;
}

/** CPU (user + system) the process has used, in ms; 0 once it is gone. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Resident memory and open files of the process (0 once it is gone). */
export function procRssAndFds(pid: number): { rssBytes: number; fds: number } {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { rssBytes: m ? Number(m[1]) * 1024 : 0, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rssBytes: 0, fds: 0 };
  }
}

/** SIGTERM every holder of `dir` and wait (up to 5 s) until they are gone. */
export async function stopHolders(dir: string): Promise<void> {
  for (const pid of holderPids(dir)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 50 && holderPids(dir).length; i++) await new Promise((r) => setTimeout(r, 100));
}
