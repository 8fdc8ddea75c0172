// A host's connection kept by the connection holder (connection-holder.ts), so
// that the next run within the persist time skips the login, as Ansible's
// default ControlPersist=60s does. The run talks to the holder over one Unix
// socket for all of its hosts (HolderClient); each host is a HeldConnection.
//
// Where the holder cannot be reached or started (no tsplay build to start it
// from, a control directory others can enter, a holder that died), the host
// connects directly, as it would with persistence off, and -vv says why. A
// holder that dies while a command runs fails that command as a dropped
// connection does (it may have had its effect); later commands connect directly.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { UnreachableError, type Connection, type ConnectionSettings, type ExecOptions, type ExecResult } from './connection.js';
import { ensureControlDir } from './connection-holder.js';
import { encodeFrame, FrameReader, fromWire, HOLDER_PROTOCOL, NOT_HELD, type HeldSettings, type Reply, type Request } from './holder-protocol.js';
import { keyUseOf } from './private-keys.js';
import { persistentShellFromEnv, SshConnection, type HostKeyAdded } from './ssh-connection.js';

/** How long a run waits for a holder it started to listen. */
const START_WAIT_MS = 3000;

/**
 * TSPLAY_CONTROL_PERSIST: seconds a connection is kept after a run (0 or `no`:
 * off), above every inventory and ansible.cfg setting; unset: undefined.
 */
export function controlPersistFromEnv(env: Record<string, string | undefined> = process.env): number | undefined {
  const v = env.TSPLAY_CONTROL_PERSIST?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (v === 'no' || v === 'false' || v === 'off') return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`TSPLAY_CONTROL_PERSIST=${env.TSPLAY_CONTROL_PERSIST}: expected seconds (0: off)`);
  return n * 1000;
}

/** The directory of the holder's socket: TSPLAY_CONTROL_PATH_DIR, else ~/.tsplay/cp (Ansible's is ~/.ansible/cp). */
export function controlDir(env: Record<string, string | undefined> = process.env): string {
  return env.TSPLAY_CONTROL_PATH_DIR || join(homedir(), '.tsplay', 'cp');
}

/**
 * How a holder is started, and what names its build: dist/holder.mjs (the holder alone,
 * bin/bundle.js), or `bin/tsplay.js hold-connections` where tsc has compiled the engine since
 * (bin/tsplay.js then runs tsc's output too). The socket's name follows the file that runs,
 * so a run never talks to a holder of another build.
 */
function holderEntry(): { args: string[]; build: string } | undefined {
  const time = (f: string) => statSync(join(PACKAGE_ROOT, f), { throwIfNoEntry: false })?.mtimeMs;
  const own = time('dist/holder.mjs');
  const compiled = time('dist/engine/cli/cli.js');
  const bundle = time('dist/tsplay.mjs');
  const id = (t: number) => createHash('sha256').update(`${HOLDER_PROTOCOL} ${PACKAGE_ROOT} ${t}`).digest('hex').slice(0, 16);
  if (own !== undefined && (compiled === undefined || own >= compiled)) return { args: [join(PACKAGE_ROOT, 'dist', 'holder.mjs')], build: id(own) };
  const newest = Math.max(compiled ?? -1, bundle ?? -1);
  if (newest < 0) return undefined;
  return { args: [join(PACKAGE_ROOT, 'bin', 'tsplay.js'), 'hold-connections'], build: id(newest) };
}

interface Pending {
  resolve: (r: { reply: Reply; body: Buffer }) => void;
  reject: (e: Error) => void;
}

/** A run's link to the holder: one socket for all of its hosts. */
export class HolderClient {
  /** Why hosts connect directly (undefined: the holder is used, or not tried yet). */
  unavailable?: string;
  private sock?: Socket;
  private starting?: Promise<boolean>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly events = new Map<string, (r: Reply) => void>();
  private readonly early = new Map<string, Reply[]>();

  constructor(private readonly dir = controlDir()) {}

  /** Reach the holder, starting one if none listens; false (and `unavailable`) where that fails. */
  start(): Promise<boolean> {
    this.starting ??= this.reach().then(
      () => true,
      (e: Error) => {
        this.unavailable = e.message;
        return false;
      },
    );
    return this.starting;
  }

  private async reach(): Promise<void> {
    const entry = holderEntry();
    if (!entry) throw new Error('no built tsplay to start the connection holder from (run npm run build)');
    ensureControlDir(this.dir);
    const path = join(this.dir, `h${HOLDER_PROTOCOL}-${entry.build}.sock`);
    let sock = await tryConnect(path);
    if (!sock) {
      const log = openSync(join(this.dir, 'holder.log'), 'a', 0o600);
      try {
        spawn(process.execPath, [...entry.args, path], { detached: true, stdio: ['ignore', 'ignore', log], cwd: '/' }).unref();
      } finally {
        closeSync(log);
      }
      const until = Date.now() + START_WAIT_MS;
      while (!sock && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
        sock = await tryConnect(path);
      }
      if (!sock) throw new Error(`the connection holder did not start within ${START_WAIT_MS / 1000} s (see ${join(this.dir, 'holder.log')})`);
    }
    this.attach(sock);
    // A holder that does not answer (stopped, wedged) must not hang the run: its hosts connect directly.
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the connection holder at ${path} did not answer within ${START_WAIT_MS / 1000} s`)), START_WAIT_MS);
    });
    try {
      const { reply } = await Promise.race([this.request({ t: 'hello', id: 0, v: HOLDER_PROTOCOL }), silent]);
      if (reply.t !== 'ok' || reply.v !== HOLDER_PROTOCOL) throw new Error(`the connection holder at ${path} speaks another protocol`);
    } catch (e) {
      sock.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private attach(sock: Socket): void {
    this.sock = sock;
    sock.unref();
    const reader = new FrameReader((header, body) => {
      const r = header as Reply;
      if (r.t === 'event') {
        const f = this.events.get(r.c);
        // What happens while a connection opens (a host key recorded) comes before the answer
        // that names the connection: kept until its HeldConnection listens.
        if (f) f(r);
        else this.early.set(r.c, [...(this.early.get(r.c) ?? []), r]);
        return;
      }
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      p.resolve({ reply: r, body });
    });
    sock.on('data', (chunk) => {
      try {
        reader.push(chunk);
      } catch (e) {
        sock.destroy(e as Error);
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.unavailable = 'the connection holder exited';
      this.sock = undefined;
      for (const p of this.pending.values()) p.reject(new Error('the connection holder exited'));
      this.pending.clear();
    });
  }

  get usable(): boolean {
    return this.sock !== undefined && !this.sock.destroyed;
  }

  /** Send a request; the answer, or an Error when the holder is gone. */
  request(req: Request, body?: Buffer): Promise<{ reply: Reply; body: Buffer }> {
    const sock = this.sock;
    if (!sock || sock.destroyed) return Promise.reject(new Error(this.unavailable ?? 'the connection holder is not reached'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Only a request in flight keeps the run's event loop alive.
      sock.ref();
      sock.write(encodeFrame({ ...req, id }, body));
    }).finally(() => {
      if (!this.pending.size) sock.unref();
    }) as Promise<{ reply: Reply; body: Buffer }>;
  }

  onEvents(key: string, f: (r: Reply) => void): void {
    this.events.set(key, f);
    const early = this.early.get(key);
    this.early.delete(key);
    for (const r of early ?? []) f(r);
  }

  /** The run is over: the holder keeps what it holds. */
  end(): void {
    this.sock?.end();
  }
}

let prestarted: HolderClient | undefined;

/**
 * Start reaching the holder now (the CLI, once it knows that hosts of the run keep their
 * connections): a holder that has to be started (about 0.4 s) starts while the run gets ready.
 */
export function prestartHolder(): void {
  prestarted ??= new HolderClient();
  void prestarted.start();
}

/** The holder client for a run: the one prestartHolder started, else a new one. */
export function takeHolderClient(): HolderClient {
  const c = prestarted ?? new HolderClient();
  prestarted = undefined;
  return c;
}

function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = netConnect(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', () => resolve(undefined));
  });
}

export interface HeldConnectionOptions {
  onHostKeyAdded?: (added: HostKeyAdded) => void;
  onNote?: (msg: string) => void;
}

export class HeldConnection implements Connection {
  readonly host: string;
  /** Set when this host connects directly instead (no holder). */
  direct?: SshConnection;
  /** The held connection's key, once the holder opened it. */
  private key?: string;
  private opening?: Promise<void>;

  constructor(readonly settings: ConnectionSettings, private readonly holder: HolderClient, private readonly persistMs: number, private readonly opts: HeldConnectionOptions = {}) {
    this.host = settings.host;
  }

  private goDirect(why: string): SshConnection {
    this.opts.onNote?.(`connecting directly, not through the connection holder: ${why}`);
    this.direct = new SshConnection(this.settings, { onHostKeyAdded: this.opts.onHostKeyAdded, onNote: this.opts.onNote });
    return this.direct;
  }

  connect(): Promise<void> {
    if (this.direct) return this.direct.connect();
    if (this.key && this.holder.usable) return Promise.resolve();
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<void> {
    if (!(await this.holder.start()) || !this.holder.usable) return (this.direct ?? this.goDirect(this.holder.unavailable ?? 'not reached')).connect();
    const s = this.settings;
    const keyUse = s.privateKeyFile ? keyUseOf(s.privateKeyFile) : undefined;
    const held: HeldSettings = {
      settings: s,
      persistentShell: s.persistentShell ?? persistentShellFromEnv(),
      persistMs: Number.isFinite(this.persistMs) ? this.persistMs : -1,
      ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
      ...(keyUse ? { keyUse } : {}),
    };
    let answer: { reply: Reply };
    try {
      answer = await this.holder.request({ t: 'open', id: 0, held });
    } catch (e) {
      return this.goDirect((e as Error).message).connect();
    }
    const r = answer.reply;
    if (r.t === 'error') throw fromWire(r.error);
    if (r.t !== 'ok' || !r.c) throw new UnreachableError(this.host, `${this.host}: the connection holder answered ${r.t}`);
    this.key = r.c;
    this.holder.onEvents(r.c, (ev) => {
      if (ev.t !== 'event') return;
      if (ev.kind === 'host_key_added') this.opts.onHostKeyAdded?.(ev.added);
      else this.opts.onNote?.(ev.msg);
    });
  }

  async exec(command: string, opts: ExecOptions = {}, again = true): Promise<ExecResult> {
    await this.connect();
    if (this.direct) return this.direct.exec(command, opts);
    const stdin = opts.stdin;
    const body = stdin === undefined ? undefined : typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin;
    let answer: { reply: Reply; body: Buffer };
    try {
      answer = await this.holder.request(
        {
          t: 'exec', id: 0, c: this.key!, command,
          timeoutMs: opts.timeoutMs ?? this.settings.commandTimeoutMs,
          ...(opts.inPlace ? { inPlace: true } : {}),
          ...(stdin !== undefined ? { stdin: typeof stdin === 'string' ? ('string' as const) : ('buffer' as const) } : {}),
        },
        body,
      );
    } catch (e) {
      throw new UnreachableError(this.host, `${this.host}: connection lost while a command was running: ${(e as Error).message}`);
    }
    const r = answer.reply;
    if (r.t === 'error' && r.error.name === NOT_HELD && again) {
      // The command did not start: open the connection again and send it once more.
      this.key = undefined;
      return this.exec(command, opts, false);
    }
    if (r.t === 'error') throw fromWire(r.error);
    if (r.t !== 'result') throw new UnreachableError(this.host, `${this.host}: the connection holder answered ${r.t}`);
    return { rc: r.rc, stdout: answer.body.toString('utf8'), stdoutBytes: answer.body, stderr: r.stderr };
  }

  async close(): Promise<void> {
    if (this.direct) return this.direct.close();
    const key = this.key;
    this.key = undefined;
    if (key && this.holder.usable) await this.holder.request({ t: 'release', id: 0, c: key }).catch(() => undefined);
  }

  async abort(): Promise<void> {
    if (this.direct) return this.direct.abort();
    const key = this.key;
    this.key = undefined;
    if (key && this.holder.usable) await this.holder.request({ t: 'abort', id: 0, c: key }).catch(() => undefined);
    // Nothing new starts for this host: its next connect goes direct and is refused as after abort.
    this.direct = new SshConnection(this.settings, {});
    await this.direct.abort();
  }
}
