// The connection holder: tsplay's ControlPersist. Ansible's ssh connection runs
// OpenSSH with `-o ControlMaster=auto -o ControlPersist=60s` by default, so a
// host's login is paid once and the next run within 60 s reuses it. tsplay
// keeps its connections in its own process, which ends with the run; this is
// the process that outlives it.
//
// - Started by the first run that wants it (engine/connection/held-connection.ts),
//   detached, in `/` (it never keeps a directory busy), listening on a Unix
//   socket in a directory only its user can enter (~/.tsplay/cp, mode 0700).
// - Holds SshConnections by host login (holder-protocol.ts, heldKey) and runs
//   the runs' commands on them: the same code, the same errors, the same
//   persistent shells as a direct connection. A connection serves one run at a
//   time; two runs on the same host at once get a login each, as without the
//   holder, so that one run's Ctrl-C never touches the other's commands.
// - A connection that a run takes again is first checked with one round trip
//   (`:` in its shell, at most 3 s): a host rebuilt or an sshd restarted since shows there,
//   and the connection is opened afresh (host key checked again) before any
//   of the run's commands is sent.
// - A run that goes away with commands in flight (killed) has them killed on
//   the host and their connection dropped, as Ctrl-C's abort does.
// - A connection no run has used for its persist time is closed; the holder
//   exits when it holds none and no run is attached. One timer for all of it.

import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { SshConnection } from './ssh-connection.js';
import { encodeFrame, FrameReader, heldKey, HOLDER_PROTOCOL, NOT_HELD, toWire, type HeldSettings, type Reply, type Request } from './holder-protocol.js';
import { setKeyUse } from './private-keys.js';

interface Held {
  /** What the runs call it: its login's key and a number. */
  id: string;
  key: string;
  conn: SshConnection;
  persistMs: number;
  lastUsed: number;
  /** The run that has it now; one run at a time, so that one run's Ctrl-C never touches another's commands. */
  user?: Socket;
  inFlight: number;
}

const SWEEP_MS = 1000;
/**
 * The longest a held connection's probe waits (the connection timeout when shorter): a probe
 * that fails costs only a fresh login, so a host that went away is not waited for the whole
 * connection timeout before it is logged in to again (or found unreachable).
 */
const PROBE_MS = 3000;

const persistOf = (hs: HeldSettings): number => (hs.persistMs < 0 ? Infinity : hs.persistMs);
/** A holder nobody talked to since it started exits after this. */
const FIRST_CLIENT_MS = 10_000;

export async function runHolder(socketPath: string): Promise<void> {
  const byId = new Map<string, Held>();
  const byKey = new Map<string, Set<Held>>();
  const clients = new Set<Socket>();
  const started = Date.now();
  let everClient = false;
  let lastClientGone = Date.now();
  let made = 0;

  const send = (sock: Socket | undefined, r: Reply, body?: Buffer) => {
    if (sock && !sock.destroyed) sock.write(encodeFrame(r, body));
  };

  const forget = (h: Held) => {
    if (byId.get(h.id) !== h) return;
    byId.delete(h.id);
    const set = byKey.get(h.key);
    set?.delete(h);
    if (set && !set.size) byKey.delete(h.key);
  };
  const drop = (h: Held, abort: boolean): Promise<void> => {
    forget(h);
    return (abort ? h.conn.abort() : h.conn.close()).catch(() => undefined);
  };

  /** An idle connection of this login, probed; or a new one. */
  const open = async (sock: Socket, hs: HeldSettings): Promise<Held> => {
    const key = heldKey(hs);
    for (const h of byKey.get(key) ?? []) {
      if (h.user) continue;
      h.user = sock;
      // One round trip: a connection that died since (host rebuilt, sshd restarted) is opened afresh.
      try {
        await h.conn.exec(':', { inPlace: true, timeoutMs: Math.min(hs.settings.connectTimeoutMs, PROBE_MS) });
        h.persistMs = persistOf(hs);
        h.lastUsed = Date.now();
        return h;
      } catch {
        void drop(h, false);
        break;
      }
    }
    if (hs.keyUse && hs.settings.privateKeyFile) setKeyUse(hs.settings.privateKeyFile, hs.keyUse);
    const id = `${key}.${++made}`;
    const conn = new SshConnection(hs.settings, {
      persistentShell: hs.persistentShell,
      agent: hs.agent ?? null,
      onHostKeyAdded: (added) => send(byId.get(id)?.user, { t: 'event', c: id, kind: 'host_key_added', added }),
      onNote: (msg) => send(byId.get(id)?.user, { t: 'event', c: id, kind: 'note', msg }),
    });
    const h: Held = { id, key, conn, persistMs: persistOf(hs), lastUsed: Date.now(), user: sock, inFlight: 0 };
    byId.set(id, h);
    byKey.set(key, (byKey.get(key) ?? new Set()).add(h));
    try {
      await conn.connect();
    } catch (e) {
      void drop(h, false);
      throw e;
    }
    return h;
  };

  const handle = async (sock: Socket, req: Request, body: Buffer): Promise<void> => {
    try {
      if (req.t === 'hello') return send(sock, { t: 'ok', id: req.id, v: HOLDER_PROTOCOL });
      if (req.t === 'open') {
        const h = await open(sock, req.held);
        return send(sock, { t: 'ok', id: req.id, c: h.id });
      }
      const found = byId.get(req.c);
      const h = found?.user === sock ? found : undefined;
      if (req.t === 'release') {
        if (h) {
          h.user = undefined;
          h.lastUsed = Date.now();
        }
        return send(sock, { t: 'ok', id: req.id });
      }
      if (req.t === 'abort') {
        // Answered once the commands in flight have ended (as InterruptedError), so that their
        // answers reach the run first, as a direct connection's abort() settles them before it returns.
        if (h) {
          await drop(h, true);
          await new Promise((resolve) => setImmediate(resolve));
        }
        return send(sock, { t: 'ok', id: req.id });
      }
      if (!h) throw Object.assign(new Error('the connection holder no longer holds this connection for this run'), { name: NOT_HELD });
      h.inFlight++;
      h.lastUsed = Date.now();
      try {
        const stdin = req.stdin === 'string' ? body.toString('utf8') : req.stdin === 'buffer' ? body : undefined;
        const r = await h.conn.exec(req.command, { timeoutMs: req.timeoutMs, ...(req.inPlace ? { inPlace: true } : {}), ...(stdin !== undefined ? { stdin } : {}) });
        send(sock, { t: 'result', id: req.id, rc: r.rc, stderr: r.stderr }, r.stdoutBytes);
      } finally {
        h.inFlight--;
        h.lastUsed = Date.now();
      }
    } catch (e) {
      send(sock, { t: 'error', id: req.id, error: toWire(e) });
    }
  };

  const server = createServer((sock) => {
    everClient = true;
    clients.add(sock);
    const reader = new FrameReader((header, body) => void handle(sock, header as Request, body));
    sock.on('data', (chunk) => {
      try {
        reader.push(chunk);
      } catch {
        sock.destroy();
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      clients.delete(sock);
      if (!clients.size) lastClientGone = Date.now();
      for (const h of [...byId.values()]) {
        if (h.user !== sock) continue;
        h.user = undefined;
        h.lastUsed = Date.now();
        // Killed with commands running: kill them on the host too, as Ctrl-C's abort does.
        if (h.inFlight) void drop(h, true);
      }
    });
  });

  await listenOnce(server, socketPath);

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const h of [...byId.values()]) {
      if (!h.user && !h.inFlight && now - h.lastUsed > h.persistMs) void drop(h, false);
    }
    const idleFor = now - (everClient ? lastClientGone : started);
    if (!clients.size && !byId.size && idleFor > (everClient ? 0 : FIRST_CLIENT_MS)) stop();
  }, SWEEP_MS);

  const stop = () => {
    clearInterval(sweep);
    server.close();
    try {
      unlinkSync(socketPath);
    } catch {
      // already gone
    }
    for (const h of [...byId.values()]) void drop(h, false);
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Listen on the socket; a stale socket file (its holder gone) is replaced; a live one means another holder: exit. */
async function listenOnce(server: ReturnType<typeof createServer>, socketPath: string): Promise<void> {
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const alive = await new Promise<boolean>((resolve) => {
      const c = netConnect(socketPath);
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (alive) process.exit(0);
    unlinkSync(socketPath);
    await listen();
  }
  chmodSync(socketPath, 0o600);
}

/** The holder's directory: made mode 0700 if missing; refused if another user owns it or others can enter it. */
export function ensureControlDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (process.getuid && st.uid !== process.getuid()) throw new Error(`${dir} belongs to another user`);
  if (st.mode & 0o077) throw new Error(`${dir} can be entered by other users (mode ${(st.mode & 0o777).toString(8)}); make it 0700`);
}
