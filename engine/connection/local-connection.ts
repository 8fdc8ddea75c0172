// A connection to the controller itself: shell text runs under /bin/sh -c.
// Used for `connection: local` hosts and, in tests, to exercise the host layer
// (engine/host/host.ts) without SSH.

import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { CommandTimeoutError, InterruptedError, type Connection, type ExecOptions, type ExecResult } from './connection.js';

export interface LocalConnectionOptions {
  /** Default per-command timeout in ms (0 = none). */
  commandTimeoutMs?: number;
}

export class LocalConnection implements Connection {
  readonly host: string;
  private readonly commandTimeoutMs: number;
  /** Commands running now, so abort() can kill their process groups. */
  private readonly children = new Set<ChildProcess>();
  private aborted = false;

  constructor(host = 'localhost', opts: LocalConnectionOptions = {}) {
    this.host = host;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 0;
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  /** Ctrl-C after the grace: kill every running command's process group; they end as InterruptedError. */
  async abort(): Promise<void> {
    this.aborted = true;
    for (const child of this.children) killGroup(child);
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    if (this.aborted) return Promise.reject(new InterruptedError(this.host, `${this.host}: interrupted: no new command starts`));
    return new Promise((resolve, reject) => {
      // detached: the shell leads its own process group, so a timeout can kill
      // everything it started, not just the shell.
      const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      this.children.add(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          killGroup(child);
        }, timeoutMs);
      }
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      // A command that does not read its stdin closes the pipe: not an error.
      child.stdin.on('error', () => {});
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        this.children.delete(child);
        reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        this.children.delete(child);
        if (this.aborted) {
          reject(new InterruptedError(this.host, `${this.host}: interrupted: the running command was abandoned`));
          return;
        }
        if (timedOut) {
          reject(new CommandTimeoutError(this.host, command, timeoutMs));
          return;
        }
        const rc = code ?? 128 + signalNumber(signal);
        const stdoutBytes = Buffer.concat(out);
        resolve({ rc, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.concat(err).toString('utf8') });
      });
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
    });
  }
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}
