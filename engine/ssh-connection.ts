// One persistent SSH connection per host (DESIGN.md §5), with node-ssh / ssh2.
//
// - Opened on first use and reused for every command: each command is one exec
//   channel on the same TCP connection.
// - We open the TCP socket ourselves and set TCP_NODELAY before handing it to
//   node-ssh (lab-notes: about 5 ms per exec instead of about 48 ms).
// - At most `maxChannels` (default 4) exec channels in flight; the rest queue
//   (lab-notes: 8 in flight makes sshd refuse channel opens).
// - Host keys are checked against an OpenSSH known_hosts file (strict,
//   accept-new or off).
// - A connection that drops is reopened once when the next command needs it;
//   if that fails the host is unreachable. A command whose connection dropped
//   while it ran is not re-run (it may have had effects): UnreachableError.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NodeSSH } from 'node-ssh';
import { CommandTimeoutError, UnreachableError, type Connection, type ConnectionSettings, type ExecOptions, type ExecResult } from './connection.js';
import { appendHostKey, checkHostKey, fingerprint, keyTypeOfBlob, knownKeyTypes } from './known-hosts.js';
import { quote } from './shell.js';
import { constants as osConstants } from 'node:os';

export interface SshConnectionOptions {
  /** TCP_NODELAY on the socket (default true; false only to measure its effect). */
  noDelay?: boolean;
  /** Exec channels in flight per connection (default 4). */
  maxChannels?: number;
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
  private ssh?: NodeSSH;
  private client?: Ssh2Client;
  private alive = false;
  private everOpened = false;
  private opening?: Promise<void>;
  private closing = false;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(settings: ConnectionSettings, opts: SshConnectionOptions = {}) {
    this.settings = settings;
    this.host = settings.host;
    this.noDelay = opts.noDelay ?? true;
    this.maxChannels = opts.maxChannels ?? 4;
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

  async connect(): Promise<void> {
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
    const agent = process.env.SSH_AUTH_SOCK || undefined;
    if (!privateKey && !agent && s.password === undefined) {
      throw this.unreachable(`no way to authenticate to ${this.where}: set ansible_ssh_private_key_file, or run an ssh-agent (SSH_AUTH_SOCK)`);
    }

    const sock = await this.tcpConnect(s.connectTimeoutMs);
    sock.setNoDelay(this.noDelay);

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

    const ssh = new NodeSSH();
    const remaining = Math.max(1000, s.connectTimeoutMs - (Date.now() - started));
    try {
      await ssh.connect({
        sock,
        username: s.user,
        privateKey,
        agent,
        password: s.password,
        readyTimeout: remaining,
        hostVerifier,
        ...(algorithms ? { algorithms } : {}),
      } as Parameters<NodeSSH['connect']>[0]);
    } catch (e) {
      sock.destroy();
      ssh.connection?.end();
      if (refusal) throw this.unreachable(refusal);
      const msg = (e as Error).message;
      if (/privateKey|private key|passphrase/i.test(msg) && s.privateKeyFile) {
        throw this.unreachable(`cannot use private key file ${s.privateKeyFile} for ${this.where}: ${msg}`);
      }
      if (/authentication methods failed/i.test(msg)) {
        throw this.unreachable(`authentication failed for ${this.where}${s.privateKeyFile ? ` with key ${s.privateKeyFile}` : ''}${agent ? ' or the ssh-agent' : ''}: ${msg}`);
      }
      throw this.unreachable(`SSH to ${this.where} failed: ${msg}`);
    }
    const client = ssh.connection!;
    // node-ssh listens for 'error' only while connecting; a later socket error
    // must not crash the process: it shows up as 'close' and a lost connection.
    client.on('error', () => {});
    client.on('close', () => {
      if (this.client === client) this.alive = false;
    });
    this.ssh = ssh;
    this.client = client;
    this.alive = true;
    this.everOpened = true;
    this.connectCount++;
    this.lastConnectMs = Date.now() - started;
  }

  private tcpConnect(timeoutMs: number): Promise<Socket> {
    const { address, port } = this.settings;
    return new Promise((resolve, reject) => {
      const sock = netConnect({ host: address, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(this.unreachable(`cannot connect to ${address}:${port}: timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
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
    await this.acquire();
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.release();
      }
    };
    const tag = randomBytes(8).toString('hex');
    const wrapped = wrapCommand(command, tag);
    try {
      let client = await this.ensureOpen();
      let channel: any;
      try {
        channel = await openExec(client, wrapped);
      } catch (e) {
        // The command never started. If the connection went away, reopen once and retry.
        if (this.alive) throw this.unreachable(`cannot open an exec channel on ${this.where}: ${(e as Error).message}`);
        client = await this.ensureOpen();
        try {
          channel = await openExec(client, wrapped);
        } catch (e2) {
          throw this.unreachable(`cannot open an exec channel on ${this.where}: ${(e2 as Error).message}`);
        }
      }
      // The slot is freed when the channel is really closed (after a timeout the
      // server may take a while), not when the promise settles.
      return await this.runChannel(channel, command, tag, opts, release);
    } catch (e) {
      if (!(e instanceof CommandTimeoutError)) release();
      throw e;
    }
  }

  private runChannel(channel: any, command: string, tag: string, opts: ExecOptions, onClosed: () => void): Promise<ExecResult> {
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
          this.killTagged(tag).finally(() => reject(new CommandTimeoutError(this.host, command, timeoutMs)));
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
        if (!exited) {
          reject(this.unreachable(`connection to ${this.where} was lost while a command was running`));
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
   * Kill what a timed-out command left running. sshd refuses "signal" requests
   * for root logins ("session signalling requires privilege separation"), and
   * closing a channel does not stop its process, so find the process group
   * of the shell named by the command's tag and kill it, on a fresh
   * channel (outside the channel cap, bounded to 3 s).
   */
  private async killTagged(tag: string): Promise<void> {
    const client = this.client;
    if (!this.alive || !client) return;
    // The tag is the shell's $1: an exact NUL-separated word of its cmdline
    // (this killer's own cmdline holds it only inside a longer word).
    const killer =
      `for f in $(grep -lxzF ${quote(tagWord(tag))} /proc/[0-9]*/cmdline 2>/dev/null); do ` +
      `p=\${f#/proc/}; p=\${p%/cmdline}; ` +
      `g=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f3); ` +
      `kill -KILL -- -$g $p 2>/dev/null; done; true`;
    try {
      const ch = await openExec(client, killer);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 3000);
        ch.on('close', () => {
          clearTimeout(t);
          resolve();
        });
        ch.on('error', () => {});
        ch.resume?.();
        ch.stderr?.resume?.();
        ch.end();
      });
    } catch {
      // best effort
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.alive = false;
    const ssh = this.ssh;
    this.ssh = undefined;
    this.client = undefined;
    if (ssh) ssh.dispose();
  }
}

function openExec(client: Ssh2Client, command: string): Promise<any> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err: Error | undefined, channel: any) => (err ? reject(err) : resolve(channel)));
    } catch (e) {
      reject(e);
    }
  });
}

/**
 * Send a "signal" channel request (RFC 4254 6.9; OpenSSH honours it since 7.9).
 * ssh2's Channel.signal() refuses once stdin has been closed, which is always
 * the case here, so go through its protocol object for an open channel.
 */
function sendSignal(channel: any, name: string): void {
  try {
    const state = channel.outgoing?.state;
    if (state === 'open' || state === 'eof') channel._client._protocol.signal(channel.outgoing.id, name);
  } catch {
    // closing the channel is all that is left
  }
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
