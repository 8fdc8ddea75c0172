// Run the `tsplay` command line in-process (engine/cli/cli.ts main) with what
// it prints captured: console.log/console.error and direct stdout writes.

import { main } from '../../engine/cli/cli.js';

export interface CapturedRun {
  code: number;
  /** stdout: console.log lines (each ending in a newline) and raw writes, in order. */
  out: string;
  /** console.error lines, joined with newlines. */
  err: string;
}

export async function runCli(argv: string[], cwd?: string): Promise<CapturedRun> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error, before] = [console.log, console.error, process.cwd()];
  const write = process.stdout.write.bind(process.stdout);
  console.log = (...a: unknown[]) => out.push(`${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk))) as never;
  if (cwd) process.chdir(cwd);
  try {
    return { code: await main(argv), out: out.join(''), err: err.join('\n') };
  } finally {
    if (cwd) process.chdir(before);
    [console.log, console.error] = [log, error];
    process.stdout.write = write;
  }
}
