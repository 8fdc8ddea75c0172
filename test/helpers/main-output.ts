// Run the CLI's main() in this process and capture what it prints (stdout
// writes, console.log and console.error), for tests that read its messages.

import { main } from '../../engine/cli/cli.js';

export interface MainRun {
  code: number;
  /** Everything printed, one entry per write or console line, joined with '\n'. */
  text: string;
  ms: number;
  /** CPU time of this process during the run (user + system). */
  cpuMs: number;
}

export async function runMain(argv: string[]): Promise<MainRun> {
  const lines: string[] = [];
  const origErr = console.error;
  const origLog = console.log;
  const origWrite = process.stdout.write.bind(process.stdout);
  console.error = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const start = performance.now();
  const cpu = process.cpuUsage();
  try {
    const code = await main(argv);
    const used = process.cpuUsage(cpu);
    return { code, text: lines.join('\n'), ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    console.error = origErr;
    console.log = origLog;
    process.stdout.write = origWrite;
  }
}
