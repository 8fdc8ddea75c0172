// What a run and the connection holder (engine/connection/connection-holder.ts)
// say to each other over the holder's Unix socket. Pure.
//
// A frame: a 4-byte big-endian length of what follows, a 4-byte length of the
// JSON header, the header, then the body (stdin or stdout bytes, as is).
// Requests carry an `id`; the holder answers each with the same id. Events
// (a host key recorded, a note for -vv) carry none.

import { createHash } from 'node:crypto';
import { CommandTimeoutError, InterruptedError, UnreachableError, type ConnectionSettings } from './connection.js';
import type { KeyUse } from './private-keys.js';

/** Bumped whenever a message changes: a run never talks to a holder of another version. */
export const HOLDER_PROTOCOL = 1;

/** What the holder needs to open one host's connection (its own SshConnection). */
export interface HeldSettings {
  settings: ConnectionSettings;
  /** SSH_AUTH_SOCK of the run (the holder has no environment of its own to trust). */
  agent?: string;
  /** What the run decided for an encrypted key (engine/connection/private-keys.ts). */
  keyUse?: KeyUse;
  /** The persistent shell setting the run resolved (tsplay_persistent_shell, TSPLAY_PERSISTENT_SHELL). */
  persistentShell: boolean;
  /** How long the holder keeps the connection after the last run released it (-1: until the holder is stopped). */
  persistMs: number;
}

export type Request =
  | { t: 'hello'; id: number; v: number }
  | { t: 'open'; id: number; held: HeldSettings }
  | { t: 'exec'; id: number; c: string; command: string; timeoutMs: number; inPlace?: boolean; stdin?: 'string' | 'buffer' }
  | { t: 'abort'; id: number; c: string }
  | { t: 'release'; id: number; c: string };

/** The error name of a command sent on a connection the run does not have (any more): the run opens it again. */
export const NOT_HELD = 'NotHeldError';

export interface WireError {
  name: string;
  message: string;
  host?: string;
  command?: string;
  timeoutMs?: number;
}

export type Reply =
  | { t: 'ok'; id: number; c?: string; v?: number }
  | { t: 'result'; id: number; rc: number; stderr: string }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'event'; c: string; kind: 'host_key_added'; added: { host: string; name: string; keyType: string; fingerprint: string; file: string } }
  | { t: 'event'; c: string; kind: 'note'; msg: string };

export function encodeFrame(header: object, body?: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const b = body ?? Buffer.alloc(0);
  const out = Buffer.allocUnsafe(8 + h.length + b.length);
  out.writeUInt32BE(4 + h.length + b.length, 0);
  out.writeUInt32BE(h.length, 4);
  h.copy(out, 8);
  b.copy(out, 8 + h.length);
  return out;
}

/** Frames out of a byte stream, in order, whatever its chunks. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;

  constructor(private readonly onFrame: (header: unknown, body: Buffer) => void, private readonly maxFrame = 1 << 30) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.have += chunk.length;
    for (;;) {
      if (this.have < 4) return;
      const head = this.peek(4);
      const len = head.readUInt32BE(0);
      if (len < 4 || len > this.maxFrame) throw new Error(`bad frame length ${len}`);
      if (this.have < 4 + len) return;
      const frame = this.take(4 + len).subarray(4);
      const hlen = frame.readUInt32BE(0);
      if (hlen > frame.length - 4) throw new Error(`bad header length ${hlen}`);
      const header: unknown = JSON.parse(frame.subarray(4, 4 + hlen).toString('utf8'));
      this.onFrame(header, frame.subarray(4 + hlen));
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return out;
  }
}

export function toWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const w: WireError = { name: err.name, message: err.message };
  if (err instanceof UnreachableError || err instanceof InterruptedError) w.host = err.host;
  if (err instanceof CommandTimeoutError) Object.assign(w, { host: err.host, command: err.command, timeoutMs: err.timeoutMs });
  return w;
}

/** The error the run's code expects (instanceof works as on a direct connection). */
export function fromWire(w: WireError): Error {
  if (w.name === 'UnreachableError') return new UnreachableError(w.host ?? '', w.message);
  if (w.name === 'InterruptedError') return new InterruptedError(w.host ?? '', w.message);
  if (w.name === 'CommandTimeoutError') return new CommandTimeoutError(w.host ?? '', w.command ?? '', w.timeoutMs ?? 0);
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}

/**
 * Which held connection a host's settings name: everything that decides where
 * the connection goes, how it logs in and checks the host, and what its
 * messages call the host. Two runs share a connection only when all of it is
 * the same. A hash, so that no secret sits in the holder's map in clear.
 */
export function heldKey(h: HeldSettings): string {
  const s = h.settings;
  const pick = (x: ConnectionSettings): unknown => ({
    host: x.host, address: x.address, port: x.port, user: x.user, key: x.privateKeyFile, password: x.password,
    knownHosts: x.knownHostsFile, checking: x.hostKeyChecking, timeout: x.connectTimeoutMs, jump: x.jump ? pick(x.jump) : undefined,
  });
  return createHash('sha256').update(JSON.stringify([pick(s), h.agent, h.keyUse, h.persistentShell])).digest('hex').slice(0, 32);
}
