// Shared by the lab tests: run the tsplay CLI as a separate process and read
// its JSON events, and reach lab hosts with the plain OpenSSH client (checks
// independent of tsplay's own connection and report).

import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LabInfo } from '../../engine/lab/index.js';
import { sshArgs } from '../../engine/lab/lab.js';
import type { RunEvent } from '../../engine/report/events.js';
import { tsplayCommand } from './tsplay-command.js';

const ROOT = join(import.meta.dirname ?? '', '..', '..');

export interface CliRun {
  code: number;
  events: RunEvent[];
  ms: number;
  stdout: string;
  stderr: string;
}

/** `tsplay ARGS...` as its own process (tsplayCommand: the bundle when built); JSON event lines of stdout parsed. `env` adds to this process's environment. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsplayCommand(), ...args], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const events: RunEvent[] = [];
      for (const line of out.split('\n')) {
        if (!line.trim().startsWith('{')) continue;
        try { events.push(JSON.parse(line) as RunEvent); } catch { /* not an event line */ }
      }
      resolve({ code: code ?? 1, events, ms: Date.now() - started, stdout: out, stderr: err });
    });
  });
}

/** `tsplay run ARGS... --output json`. */
export function runJson(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(['run', ...args, '--output', 'json'], env);
}

/** The (host | task) pairs a run reported changed, sorted. */
export function changedPairs(r: CliRun): string[] {
  const s = new Set<string>();
  for (const e of r.events) if (e.kind === 'host_result' && e.status === 'changed') s.add(`${e.host} | ${e.task}`);
  return [...s].sort();
}

/** One command on a lab host through the plain OpenSSH client, with the lab's key and known_hosts. */
export function labSsh(info: LabInfo, host: string, command: string): Promise<{ rc: number; stdout: string; stderr: string }> {
  const h = info.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no lab host ${host}`);
  return new Promise((resolve) => {
    execFile('ssh', [...sshArgs(info, h.address), command], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const rc = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 255) : 0;
      resolve({ rc, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** labSsh that must succeed; its stdout. */
export async function labOut(info: LabInfo, host: string, command: string): Promise<string> {
  const r = await labSsh(info, host, command);
  if (r.rc !== 0) throw new Error(`${host}: ${command}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}
