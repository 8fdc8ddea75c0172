// One persistent SSH connection per host (DESIGN.md §5), with node-ssh / ssh2.
//
// - Opened on first use and reused for every command: each command is one exec
//   channel on the same TCP connection.
// - We open the TCP socket ourselves and set TCP_NODELAY before handing it to
//   node-ssh (docs/lab.md: about 5 ms per exec instead of about 48 ms).
// - At most `maxChannels` (default 4) exec channels in flight; the rest queue
//   (docs/lab.md: 8 in flight makes sshd refuse channel opens).
// - Host keys are checked against an OpenSSH known_hosts file (strict,
//   accept-new or off).
// - A connection that drops is reopened once when the next command needs it;
//   if that fails the host is unreachable. A command whose connection dropped
//   while it ran is not re-run (it may have had effects): UnreachableError.
// - Every wait is bounded by the connection timeout T (connectTimeoutMs,
//   Ansible's ansible_ssh_timeout): opening (TCP, handshake and authentication
//   together), each channel open, and silence: keepalives go out every T/3 and
//   a host that answers none of them for T is dropped, failing every command in
//   flight as unreachable. A long command on a live link is not cut (sshd
//   answers keepalives while it runs); the command timeout is its own setting
//   and counts from asking for the channel to its close.
// - abort() (Ctrl-C after the grace): kill what still runs, drop the connection.
// - Commands run in persistent shells (shell-session.ts, shell-pool.ts): one
//   long-lived /bin/sh per channel slot, opened lazily; where none can start,
//   the host falls back to one exec channel per command (noted at -vv).
//   tsplay_persistent_shell=false or TSPLAY_PERSISTENT_SHELL=0 turns them off.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { JumpConnections } from './jump-connections.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { NodeSSH } from 'node-ssh';
import type { AuthenticationType, ClientChannel } from 'ssh2';
import { CommandTimeoutError, InterruptedError, UnreachableError, type Connection, type ConnectionSettings, type ExecOptions, type ExecResult } from './connection.js';
import { appendHostKey, checkHostKey, fingerprint, hostKeyName, keyTypeOfBlob, knownKeyTypes } from './known-hosts.js';
import { quote } from '../host/shell.js';
import { isEncryptedKey, keyUseOf } from './private-keys.js';
import { constants as osConstants } from 'node:os';
import { ShellLostError, ShellSession, ShellStartError, ShellTimeoutError, SHELL_LOOP } from './shell-session.js';
import { channelTransport, ShellPool } from './shell-pool.js';

export interface SshConnectionOptions {
  /** TCP_NODELAY on the socket (default true; false only to measure its effect). */
  noDelay?: boolean;
  /** Exec channels in flight per connection (default 4). */
  maxChannels?: number;
  /** Told when accept-new records a host key (the runner reports it, as OpenSSH warns). */
  onHostKeyAdded?: (added: HostKeyAdded) => void;
  /** Persistent shells (default: the host's tsplay_persistent_shell, then TSPLAY_PERSISTENT_SHELL, then on). */
  persistentShell?: boolean;
  /** Told what a -vv run shows (the fallback from persistent shells to exec channels). */
  onNote?: (msg: string) => void;
  /** The ssh-agent's socket (null: none); default: this process's SSH_AUTH_SOCK. */
  agent?: string | null;
}

export interface HostKeyAdded {
  /** Inventory hostname. */
  host: string;
  /** The name recorded in known_hosts: "10.0.0.2" or "[10.0.0.2]:2222". */
  name: string;
  keyType: string;
  fingerprint: string;
  file: string;
}

/** Keepalives per connection timeout: a probe every T/3, dropped after 3 unanswered (ssh2 gives up on the 3rd tick past the count). */
const KEEPALIVE_COUNT_MAX = 2;

/** "1.5 s", "10 s": timeouts in messages, in the unit the inventory uses. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

const requireHere = createRequire(import.meta.url);
let nodeSshModule: typeof import('node-ssh') | undefined;

/**
 * node-ssh, and ssh2 under it, loaded on the first direct connection: loading
 * them cost 115 to 140 ms of a run's start, and a run whose hosts all go
 * through the connection holder (engine/connection/held-connection.ts) never
 * opens one itself.
 */
function newNodeSsh(): NodeSSH {
  nodeSshModule ??= requireHere('node-ssh') as typeof import('node-ssh');
  return new nodeSshModule.NodeSSH();
}

// ssh2's supported host key algorithms, in its default order.
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Prefer the key types already recorded for the host, so a host with several keys presents a known one. */
export function hostKeyAlgorithms(known: string[]): string[] {
  const first: string[] = [];
  for (const t of known) {
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of algos) if (HOST_KEY_ALGOS.includes(a) && !first.includes(a)) first.push(a);
  }
  return [...first, ...HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

/**
 * The authentication methods to try, in order: the key file, then the agent's
 * keys, then the password, as OpenSSH's default PreferredAuthentications
 * (publickey before password). ssh2's own order starts with a `none` request
 * (as OpenSSH's client does, to learn the server's list) and puts a password
 * before the key; the `none` request costs every login a round trip and the
 * server's failed-attempt delay (OpenSSH 9 holds a failure for 5 to 9 ms
 * before answering). `none` stays last, for a server that lets anyone in.
 */
export function authMethods(have: { key: boolean; agent: boolean; password: boolean }): AuthenticationType[] {
  const methods: AuthenticationType[] = [];
  if (have.key) methods.push('publickey');
  if (have.agent) methods.push('agent');
  if (have.password) methods.push('password');
  methods.push('none');
  return methods;
}

type Ssh2Client = NonNullable<NodeSSH['connection']>;

export class SshConnection implements Connection {
  readonly host: string;
  readonly settings: ConnectionSettings;
  /** TCP connections opened so far (tests and benchmarks read it). */
  connectCount = 0;
  /** Highest number of exec channels that were in flight at once. */
  maxInFlight = 0;
  /** Milliseconds the last successful open took (TCP + SSH handshake + auth). */
  lastConnectMs = 0;

  private readonly noDelay: boolean;
  private readonly maxChannels: number;
  private readonly onHostKeyAdded?: (added: HostKeyAdded) => void;
  private ssh?: NodeSSH;
  private client?: Ssh2Client;
  private sock?: Duplex;
  /** The jump host's connection this one is tunnelled through (settings.jump), held until close. */
  private jumpConn?: SshConnection;
  /** Why the connection went away (keepalive, socket error), for the messages of the commands it ends. */
  private lostReason?: string;
  /** The connection was lost because the host went silent (keepalives or a channel open unanswered): a command that has not started fails at once rather than waiting on a reconnect. */
  private lostToSilence = false;
  /** Set by abort(): nothing new starts, what ends now ends as interrupted. */
  private aborted = false;
  /** Tags of the commands in flight, so abort() can kill their process groups. */
  private readonly running = new Set<string>();
  private alive = false;
  private everOpened = false;
  private opening?: Promise<void>;
  private closing = false;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  /** The persistent shells (tests and benchmarks read `started` and `unavailable`). */
  readonly shells = new ShellPool<Ssh2Client>();
  private readonly onNote?: (msg: string) => void;
  private readonly agent?: string | null;

  constructor(settings: ConnectionSettings, opts: SshConnectionOptions = {}) {
    this.settings = settings;
    this.host = settings.host;
    this.noDelay = opts.noDelay ?? true;
    this.maxChannels = opts.maxChannels ?? 4;
    this.onHostKeyAdded = opts.onHostKeyAdded;
    this.onNote = opts.onNote;
    this.agent = opts.agent;
    if (!(opts.persistentShell ?? settings.persistentShell ?? persistentShellFromEnv())) this.shells.unavailable = 'turned off';
  }

  /** The connection timeout T: connect, channel open, and how long a silent host is waited for. */
  private get timeoutMs(): number {
    return this.settings.connectTimeoutMs;
  }

  /** "user@address:port", for messages. */
  get where(): string {
    return `${this.settings.user}@${this.settings.address}:${this.settings.port}`;
  }

  get knownHostsFile(): string {
    return this.settings.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts');
  }

  private unreachable(msg: string): UnreachableError {
    return new UnreachableError(this.host, `${this.host}: ${msg}`);
  }

  private interrupted(what: string): InterruptedError {
    return new InterruptedError(this.host, `${this.host}: interrupted: ${what}`);
  }

  async connect(): Promise<void> {
    if (this.aborted) throw this.interrupted('no new connection starts');
    if (this.alive) return;
    this.closing = false;
    if (!this.opening) this.opening = this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<void> {
    const s = this.settings;
    const started = Date.now();
    let privateKey: string | undefined;
    if (s.privateKeyFile) {
      try {
        privateKey = readFileSync(s.privateKeyFile, 'utf8');
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw this.unreachable(`cannot read private key file ${s.privateKeyFile}: ${err.code ?? err.message}`);
      }
    }
    const agent = (this.agent === undefined ? process.env.SSH_AUTH_SOCK : this.agent) || undefined;
    let passphrase: string | undefined;
    if (privateKey !== undefined && s.privateKeyFile && isEncryptedKey(privateKey)) {
      // engine/connection/private-keys.ts decided before the run: the agent holds it, or its passphrase was asked.
      const use = keyUseOf(s.privateKeyFile);
      if (use?.kind === 'passphrase') passphrase = use.passphrase;
      else if (use?.kind === 'agent' && agent) privateKey = undefined;
      else throw this.unreachable(`private key file ${s.privateKeyFile} has a passphrase that was not given: add the key to an ssh-agent (ssh-add ${s.privateKeyFile}), or run tsplay on a terminal to be asked for it`);
    }
    if (!privateKey && !agent && s.password === undefined) {
      throw this.unreachable(`no way to authenticate to ${this.where}: set ansible_ssh_private_key_file, or run an ssh-agent (SSH_AUTH_SOCK)`);
    }

    const sock = s.jump ? await this.tunnel(s.jump) : await this.tcpConnect(this.timeoutMs);
    if (sock instanceof Socket) sock.setNoDelay(this.noDelay);

    let refusal: string | undefined;
    const mode = s.hostKeyChecking;
    const file = this.knownHostsFile;
    const hostVerifier =
      mode === 'off'
        ? undefined
        : (key: Buffer): boolean => {
            try {
              const status = checkHostKey(file, s.address, s.port, key);
              if (status === 'match') return true;
              const desc = `${keyTypeOfBlob(key)} key ${fingerprint(key)}`;
              if (status === 'unknown') {
                if (mode === 'accept-new') {
                  appendHostKey(file, s.address, s.port, key);
                  this.onHostKeyAdded?.({ host: this.host, name: hostKeyName(s.address, s.port), keyType: keyTypeOfBlob(key), fingerprint: fingerprint(key), file });
                  return true;
                }
                refusal = `host key verification failed for ${this.where}: unknown host, its ${desc} is not in known_hosts file ${file} (record it, e.g. with ssh-keyscan, or use host key checking accept-new)`;
              } else {
                refusal = `host key verification failed for ${this.where}: HOST KEY CHANGED, the ${desc} it presents differs from the key recorded in known_hosts file ${file}; refusing to connect`;
              }
            } catch (e) {
              refusal = `host key verification failed for ${this.where}: cannot use known_hosts file ${file}: ${(e as Error).message}`;
            }
            return false;
          };
    let algorithms: Record<string, string[]> | undefined;
    if (mode !== 'off') {
      try {
        const known = knownKeyTypes(file, s.address, s.port);
        if (known.length) algorithms = { serverHostKey: hostKeyAlgorithms(known) };
      } catch {
        // unreadable file: the verifier reports it
      }
    }

    const ssh = newNodeSsh();
    // One deadline for the whole open: what the TCP connect left of T covers
    // the handshake and authentication (an agent or a server that stalls
    // mid-exchange included). ssh2's own readyTimeout is only a backstop.
    const remaining = this.timeoutMs - (Date.now() - started);
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ssh.connect({
          sock,
          username: s.user,
          privateKey,
          ...(passphrase !== undefined ? { passphrase } : {}),
          agent,
          password: s.password,
          authHandler: authMethods({ key: privateKey !== undefined, agent: agent !== undefined, password: s.password !== undefined }),
          readyTimeout: remaining + 1000,
          keepaliveInterval: Math.max(1, Math.floor(this.timeoutMs / (KEEPALIVE_COUNT_MAX + 1))),
          keepaliveCountMax: KEEPALIVE_COUNT_MAX,
          hostVerifier,
          ...(algorithms ? { algorithms } : {}),
        }),
        new Promise((_, reject) => {
          deadline = setTimeout(() => reject(new Error(`timed out after ${seconds(this.timeoutMs)} (TCP connect, SSH handshake and authentication)`)), Math.max(0, remaining));
        }),
      ]);
    } catch (e) {
      sock.destroy();
      ssh.connection?.end();
      if (this.aborted) throw this.interrupted('the connection being opened was dropped');
      if (refusal) throw this.unreachable(refusal);
      const msg = (e as Error).message;
      if (/privateKey|private key|passphrase/i.test(msg) && s.privateKeyFile) {
        throw this.unreachable(`cannot use private key file ${s.privateKeyFile} for ${this.where}: ${msg}`);
      }
      if (/authentication methods failed/i.test(msg)) {
        throw this.unreachable(`authentication failed for ${this.where}${s.privateKeyFile ? ` with key ${s.privateKeyFile}` : ''}${agent ? ' or the ssh-agent' : ''}: ${msg}`);
      }
      throw this.unreachable(`SSH to ${this.where} failed: ${msg}`);
    } finally {
      clearTimeout(deadline);
    }
    if (this.closing || this.aborted) {
      // closed or aborted while this was opening: do not keep what arrives late
      ssh.dispose();
      sock.destroy();
      throw this.aborted ? this.interrupted('the connection being opened was dropped') : this.unreachable(`connection to ${this.where} is closed`);
    }
    const client = ssh.connection!;
    // node-ssh listens for 'error' only while connecting; a later socket error
    // must not crash the process: it shows up as 'close' and a lost connection.
    client.on('error', (e: Error & { level?: string }) => {
      if (this.client !== client) return;
      this.lostReason = e.level === 'client-timeout' ? `no answer from ${this.where} for ${seconds(this.timeoutMs)} (keepalive)` : e.message;
      if (e.level === 'client-timeout') this.lostToSilence = true;
    });
    client.on('close', () => {
      if (this.client === client) this.alive = false;
    });
    this.ssh = ssh;
    this.client = client;
    this.sock = sock;
    this.lostReason = undefined;
    this.lostToSilence = false;
    this.alive = true;
    this.everOpened = true;
    this.connectCount++;
    this.lastConnectMs = Date.now() - started;
  }

  /** A channel to this host's sshd through the jump host's connection (opened, or shared with other hosts). */
  private async tunnel(jump: ConnectionSettings): Promise<Duplex> {
    this.jumpConn ??= JUMP_HOSTS.acquire(jump, () => new SshConnection(jump, { onHostKeyAdded: this.onHostKeyAdded, persistentShell: false, agent: this.agent }));
    try {
      const stream = await this.jumpConn.forwardOut(this.settings.address, this.settings.port, this.timeoutMs);
      this.sock = stream;
      return stream;
    } catch (e) {
      if (e instanceof InterruptedError) throw e;
      throw this.unreachable(`cannot reach ${this.where} through jump host ${jump.user}@${jump.address}:${jump.port}: ${(e as Error).message}`);
    }
  }

  /** Open a TCP forward from this host to another (this host as a jump host): ssh -W. */
  async forwardOut(address: string, port: number, timeoutMs: number): Promise<Duplex> {
    const client = await this.ensureOpen();
    return await new Promise<Duplex>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to the forward to ${address}:${port} within ${seconds(timeoutMs)}`)), timeoutMs);
      try {
        client.forwardOut('127.0.0.1', 0, address, port, (err: Error | undefined, channel: ClientChannel) => {
          clearTimeout(timer);
          if (err) reject(new Error(`it could not open a connection to ${address}:${port}: ${err.message}`));
          else resolve(channel);
        });
      } catch (e) {
        clearTimeout(timer);
        reject(asError(e));
      }
    });
  }

  private tcpConnect(timeoutMs: number): Promise<Socket> {
    const { address, port } = this.settings;
    return new Promise((resolve, reject) => {
      const sock = netConnect({ host: address, port });
      // Known from the start, so that close() and abort() can cut an open under way.
      this.sock = sock;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(this.unreachable(`cannot connect to ${address}:${port}: timed out after ${seconds(timeoutMs)}`));
      }, timeoutMs);
      const closedEarly = () => {
        clearTimeout(timer);
        reject(this.unreachable(`cannot connect to ${address}:${port}: the connection was closed`));
      };
      sock.once('close', closedEarly);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        sock.off('close', closedEarly);
        resolve(sock);
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        sock.destroy();
        reject(this.unreachable(`cannot connect to ${address}:${port}: ${e.code ?? e.message}`));
      });
    });
  }

  /** Open on first use; after a drop, reopen once (failure = unreachable). */
  private async ensureOpen(): Promise<Ssh2Client> {
    if (this.aborted) throw this.interrupted('no new command starts');
    if (this.alive && this.client) return this.client;
    if (this.closing) throw this.unreachable(`connection to ${this.where} is closed`);
    if (this.everOpened && !this.opening) {
      try {
        await this.connect();
      } catch (e) {
        const msg = e instanceof Error ? e.message.replace(`${this.host}: `, '') : String(e);
        throw this.unreachable(`connection to ${this.where} was lost and could not be reopened: ${msg}`);
      }
    } else {
      await this.connect();
    }
    return this.client!;
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < this.maxChannels) {
      this.inFlight++;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      // the releasing exec handed its slot over: inFlight unchanged
    }
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inFlight--;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.aborted) throw this.interrupted('no new command starts');
    await this.acquire();
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.release();
      }
    };
    // The command timeout covers the whole exchange, from asking for a channel to its close.
    const timeoutMs = opts.timeoutMs ?? this.settings.commandTimeoutMs;
    let opened = false;
    // The tag that finds the command's processes on the exec path (the persistent shell's are found by its loop's tag).
    let tag: string | undefined;
    try {
      let client = await this.ensureOpen();
      if (this.shells.unavailable === undefined) {
        const r = await this.execInShell(client, command, opts, timeoutMs);
        if (r) {
          release();
          return r;
        }
      }
      tag = randomBytes(8).toString('hex');
      this.running.add(tag);
      const wrapped = wrapCommand(command, tag);
      const asked = Date.now();
      const left = () => (timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - asked)) : 0);
      let channel: ClientChannel;
      try {
        channel = await this.openChannel(client, wrapped, command, tag, left(), timeoutMs);
      } catch (e) {
        if (e instanceof UnreachableError || e instanceof CommandTimeoutError || this.aborted) throw e;
        // The command never started. If the connection went away, reopen once and
        // retry; but not when it went away because the host is silent: that
        // reconnect would only wait out another T before failing the same way.
        if (this.alive) throw this.unreachable(`cannot open an exec channel on ${this.where}: ${(e as Error).message}`);
        if (this.lostToSilence) throw this.unreachable(`connection to ${this.where} was lost before the command started: ${this.lostReason}`);
        client = await this.ensureOpen();
        try {
          channel = await this.openChannel(client, wrapped, command, tag, left(), timeoutMs);
        } catch (e2) {
          if (e2 instanceof UnreachableError || e2 instanceof CommandTimeoutError || this.aborted) throw e2;
          throw this.unreachable(`cannot open an exec channel on ${this.where}: ${(e2 as Error).message}`);
        }
      }
      opened = true;
      // The slot is freed when the channel is really closed (after a timeout the
      // server may take a while), not when the promise settles.
      return await this.runChannel(channel, command, tag, { ...opts, timeoutMs: left() }, release, timeoutMs);
    } catch (e) {
      if (!opened || !(e instanceof CommandTimeoutError)) release();
      if (this.aborted && !(e instanceof InterruptedError)) throw this.interrupted('the running command was abandoned');
      throw e;
    } finally {
      if (tag) this.running.delete(tag);
    }
  }

  /**
   * Run a command in a persistent shell (a pooled one, or a new one). Undefined:
   * no shell could be had for it, run it on an exec channel instead. Errors as
   * the exec path's: a shell or channel that ends mid-command is unreachable
   * (never re-run), a timeout kills by tag and drops the session.
   */
  private async execInShell(client: Ssh2Client, command: string, opts: ExecOptions, timeoutMs: number): Promise<ExecResult | undefined> {
    const started = Date.now();
    let session = this.shells.take(client);
    if (!session) {
      try {
        session = await this.startShell(client, command, timeoutMs);
      } catch (e) {
        // a silent host or the command's own timeout: as on the exec path
        if (e instanceof UnreachableError || e instanceof CommandTimeoutError) throw e;
        if (e instanceof ShellStartError && this.alive && this.client === client && !this.aborted) {
          this.shells.unavailable = e.message;
          this.onNote?.(`${this.host}: no persistent shell on ${this.where} (${e.message}): using one exec channel per command`);
        }
        return undefined;
      }
    }
    const left = timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - started)) : 0;
    // The script runs in a subshell of the loop, so it is found by the loop's tag
    // (killing its group ends the session, which is dropped after a kill anyway).
    const loopTag = session.tag!;
    this.running.add(loopTag);
    try {
      const r = await session.run(command, { stdin: opts.stdin, timeoutMs: left, kill: () => this.killTagged([loopTag]), inPlace: opts.inPlace });
      this.shells.give(client, session);
      return r;
    } catch (e) {
      if (e instanceof ShellTimeoutError) throw new CommandTimeoutError(this.host, command, timeoutMs);
      if (this.aborted) throw this.interrupted('the running command was abandoned');
      if (e instanceof ShellLostError) {
        if (!this.alive || this.client !== client) throw this.unreachable(`connection to ${this.where} was lost while a command was running${this.lostReason ? `: ${this.lostReason}` : ''}`);
        throw this.unreachable(`the persistent shell on ${this.where} ended while a command was running (${e.message})`);
      }
      throw e;
    } finally {
      this.running.delete(loopTag);
    }
  }

  /**
   * Open a channel with the shell loop (bounded as an exec channel's open: a
   * silent host is unreachable) and greet it, within T (and the command's
   * timeout, if shorter).
   */
  private async startShell(client: Ssh2Client, command: string, commandTimeoutMs: number): Promise<ShellSession> {
    const t = commandTimeoutMs > 0 ? Math.min(this.timeoutMs, commandTimeoutMs) : this.timeoutMs;
    const sessionTag = randomBytes(8).toString('hex');
    const channel = await this.openChannel(client, `exec /bin/sh -c ${quote(SHELL_LOOP)} sh ${tagWord(sessionTag)}`, command, sessionTag, commandTimeoutMs, commandTimeoutMs);
    this.shells.started++;
    return ShellSession.start(channelTransport(channel), t, sessionTag);
  }

  /**
   * Ask for an exec channel, within T and what is left of the command timeout.
   * No answer within T: the host has gone silent; drop the connection so that
   * everything in flight on it ends as unreachable too.
   */
  private openChannel(client: Ssh2Client, wrapped: string, command: string, tag: string, commandLeftMs: number, commandTimeoutMs: number): Promise<ClientChannel> {
    const commandFirst = commandLeftMs > 0 && commandLeftMs < this.timeoutMs;
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        if (commandFirst) {
          reject(new CommandTimeoutError(this.host, command, commandTimeoutMs));
        } else {
          const reason = `no answer to a channel open from ${this.where} within ${seconds(this.timeoutMs)}`;
          this.drop(reason);
          reject(this.unreachable(reason));
        }
      }, commandFirst ? commandLeftMs : this.timeoutMs);
      openExec(client, wrapped).then(
        (channel) => {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            resolve(channel);
            return;
          }
          // Opened after we gave up: the command has started; stop it.
          channel.on('error', () => {});
          channel.close();
          void this.killTagged([tag]);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(asError(e));
        },
      );
    });
  }

  /** The host stopped answering: end the connection now (its commands fail as unreachable). */
  private drop(reason: string): void {
    this.lostReason = reason;
    this.lostToSilence = true;
    this.alive = false;
    this.sock?.destroy();
  }

  private runChannel(channel: ClientChannel, command: string, tag: string, opts: ExecOptions, onClosed: () => void, fullTimeoutMs = opts.timeoutMs ?? 0): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.settings.commandTimeoutMs;
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | null = null;
      let signal: string | null = null;
      let exited = false;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          sendSignal(channel, 'KILL');
          channel.close();
          // a server that never confirms the close must not hold the slot forever
          setTimeout(onClosed, 5000).unref();
          void this.killTagged([tag]).finally(() => reject(new CommandTimeoutError(this.host, command, fullTimeoutMs)));
        }, timeoutMs);
      }
      channel.on('data', (b: Buffer) => out.push(b));
      channel.stderr.on('data', (b: Buffer) => err.push(b));
      channel.on('error', () => {});
      const noteExit = (c: number | null | undefined, sig?: string | null) => {
        if (exited || (c === undefined && !sig)) return;
        exited = true;
        code = c ?? null;
        signal = sig ?? null;
      };
      channel.on('exit', noteExit);
      // ssh2 passes the exit status to 'close' as well: the 'exit' event can fire
      // before this listener exists (status, EOF and close in one TCP read right
      // after the exec reply), and 'close' is the one we cannot miss.
      channel.on('close', (c?: number | null, sig?: string | null) => {
        noteExit(c, sig);
        if (timer) clearTimeout(timer);
        onClosed();
        if (timedOut) return;
        // After abort() a command ends because we killed it or cut its connection.
        if (this.aborted) {
          reject(this.interrupted('the running command was abandoned'));
          return;
        }
        if (!exited) {
          reject(this.unreachable(`connection to ${this.where} was lost while a command was running${this.lostReason ? `: ${this.lostReason}` : ''}`));
          return;
        }
        const sigName = signal ? (String(signal).startsWith('SIG') ? String(signal) : 'SIG' + signal) : '';
        const sigNum = sigName ? ((osConstants.signals as Record<string, number>)[sigName] ?? 0) : 0;
        const stdoutBytes = Buffer.concat(out);
        resolve({
          rc: code ?? 128 + sigNum,
          stdout: stdoutBytes.toString('utf8'),
          stdoutBytes,
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      if (opts.stdin !== undefined) channel.end(opts.stdin);
      else channel.end();
    });
  }

  /**
   * Kill what a timed-out or abandoned command left running. sshd refuses
   * "signal" requests for root logins ("session signalling requires privilege
   * separation"), and closing a channel does not stop its process, so find the
   * process group of each shell named by a command's tag and kill it, on a
   * fresh channel (outside the channel cap), all within `budgetMs`.
   */
  private async killTagged(tags: string[], budgetMs = 3000): Promise<void> {
    const client = this.client;
    if (!this.alive || !client || !tags.length) return;
    // The tag is the shell's $1: an exact NUL-separated word of its cmdline
    // (this killer's own cmdline holds it only inside a longer word).
    const words = tags.map((t) => `-e ${quote(tagWord(t))}`).join(' ');
    const killer =
      `for f in $(grep -lxzF ${words} /proc/[0-9]*/cmdline 2>/dev/null); do ` +
      `p=\${f#/proc/}; p=\${p%/cmdline}; ` +
      `g=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f3); ` +
      `kill -KILL -- -$g $p 2>/dev/null; done; true`;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
    const kill = (async () => {
      const ch = await openExec(client, killer);
      await new Promise<void>((resolve) => {
        ch.on('close', () => resolve());
        ch.on('error', () => {});
        ch.resume?.();
        ch.stderr?.resume?.();
        ch.end();
      });
    })().catch(() => {
      // best effort
    });
    await Promise.race([kill, budget]);
    clearTimeout(timer);
  }

  /**
   * Ctrl-C after the grace: nothing new starts here, the process groups of the
   * commands still running are killed where the connection still works (at
   * most 1.5 s), then the connection is dropped; the commands end as
   * InterruptedError.
   */
  async abort(): Promise<void> {
    if (this.aborted) return;
    this.aborted = true;
    if (this.running.size) await this.killTagged([...this.running], 1500);
    await this.close();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.alive = false;
    if (this.jumpConn) {
      const jump = this.jumpConn;
      this.jumpConn = undefined;
      // the bastion's connection closes with the last host behind it
      void JUMP_HOSTS.release(jump).catch(() => undefined);
    }
    const { ssh, sock } = this;
    this.ssh = undefined;
    this.client = undefined;
    this.sock = undefined;
    this.shells.closeAll();
    if (ssh) ssh.dispose();
    // A polite end waits for the server's answer; a silent host never gives it,
    // and the open socket would keep the process alive: cut it soon.
    if (sock && !sock.destroyed) {
      if (this.aborted) {
        sock.destroy();
      } else {
        const timer = setTimeout(() => sock.destroy(), 1000);
        timer.unref();
        sock.once('close', () => clearTimeout(timer));
      }
    }
  }
}

/** Bastions' connections, shared by the hosts behind them across the run. */
const JUMP_HOSTS = new JumpConnections<SshConnection>();

function openExec(client: Ssh2Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err: Error | undefined, channel: ClientChannel) => (err ? reject(err) : resolve(channel)));
    } catch (e) {
      reject(asError(e));
    }
  });
}

/** What was thrown, as an Error (ssh2 throws and rejects with Errors; anything else is wrapped). */
function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** The parts of an ssh2 channel that sendSignal uses and ssh2's types do not declare. */
interface ChannelInternals {
  outgoing?: { state?: string; id: number };
  _client: { _protocol: { signal(id: number, name: string): void } };
}

/**
 * Send a "signal" channel request (RFC 4254 6.9; OpenSSH honours it since 7.9).
 * ssh2's Channel.signal() refuses once stdin has been closed, which is always
 * the case here, so go through its protocol object for an open channel.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const ch = channel as unknown as ChannelInternals;
  try {
    const state = ch.outgoing?.state;
    if (ch.outgoing && (state === 'open' || state === 'eof')) ch._client._protocol.signal(ch.outgoing.id, name);
  } catch {
    // closing the channel is all that is left
  }
}

/** TSPLAY_PERSISTENT_SHELL=0/false/no/off turns persistent shells off for every host; anything else or unset: on. */
export function persistentShellFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  const v = env.TSPLAY_PERSISTENT_SHELL?.trim().toLowerCase();
  return !(v === '0' || v === 'false' || v === 'no' || v === 'off');
}

function tagWord(tag: string): string {
  return `tsplay-run-${tag}`;
}

/**
 * Run the text under /bin/sh (whatever the login shell), marked by a tag (an
 * unused $1; $0 stays "sh" for error messages) so that a timed-out command's
 * process group can be found and killed. `exec` replaces the login shell: no
 * extra process per command.
 */
export function wrapCommand(command: string, tag: string): string {
  return `exec /bin/sh -c ${quote(command)} sh ${tagWord(tag)}`;
}
