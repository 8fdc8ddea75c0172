// A throwaway OpenSSH server on 127.0.0.1 for SSH tests: its own config, an
// ed25519 host key, one authorized client key, a free port, a log we can count
// logins in. It never touches the machine's own sshd service.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ConnectionSettings } from '../../engine/connection/connection.js';

export const SSHD = '/usr/sbin/sshd';

/** Install openssh-server if sshd is missing, without letting the package start the system service. */
export function ensureSshd(): boolean {
  if (existsSync(SSHD)) return true;
  if (process.getuid?.() !== 0) return false;
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  try {
    if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'openssh-server'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: 'ignore',
    });
  } catch {
    return false;
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  return existsSync(SSHD);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function keygen(file: string, comment: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return readFileSync(file + '.pub', 'utf8').trim();
}

/** Every descendant of pid (children first found through /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(d));
    } catch {
      // process went away
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export class SshdFixture {
  readonly dir: string;
  readonly address = '127.0.0.1';
  port = 0;
  readonly user = userInfo().username;
  readonly clientKeyFile: string;
  readonly hostKeyFile: string;
  /** "ssh-ed25519 AAAA..." */
  readonly hostKeyLine: string;
  readonly hostKeyBlob: Buffer;
  /** A known_hosts file that records this server's key. */
  readonly knownHostsFile: string;
  readonly logFile: string;
  private proc?: ChildProcess;
  /** sshd's LogLevel: VERBOSE logs each login; DEBUG1 also each authentication request and its method. */
  readonly logLevel: string;

  constructor(opts: { logLevel?: string } = {}) {
    this.logLevel = opts.logLevel ?? 'VERBOSE';
    this.dir = mkdtempSync(join(tmpdir(), 'tsplay-sshd-'));
    this.clientKeyFile = join(this.dir, 'client_ed25519');
    const clientPub = keygen(this.clientKeyFile, 'tsplay-test-client');
    this.hostKeyFile = join(this.dir, 'host_ed25519');
    const hostPub = keygen(this.hostKeyFile, 'tsplay-test-host');
    this.hostKeyLine = hostPub.split(' ').slice(0, 2).join(' ');
    this.hostKeyBlob = Buffer.from(hostPub.split(' ')[1], 'base64');
    writeFileSync(join(this.dir, 'authorized_keys'), clientPub + '\n', { mode: 0o600 });
    this.knownHostsFile = join(this.dir, 'known_hosts');
    this.logFile = join(this.dir, 'sshd.log');
  }

  private writeConfig(): string {
    const cfg = join(this.dir, 'sshd_config');
    writeFileSync(
      cfg,
      [
        `Port ${this.port}`,
        `ListenAddress ${this.address}`,
        `HostKey ${this.hostKeyFile}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        `LogLevel ${this.logLevel}`,
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    return cfg;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    writeFileSync(this.knownHostsFile, `[${this.address}]:${this.port} ${this.hostKeyLine}\n`);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
    const cfg = this.writeConfig();
    const args = ['-D', '-f', cfg, '-E', this.logFile];
    // A login shell's rc file runs before every command over SSH (bash sources
    // ~/.bashrc when started by sshd). On this machine root's .bashrc runs
    // `pyenv init` (about 4 s under load), which would swamp what we measure. When
    // we can, run sshd in its own mount namespace with an empty file over it.
    const bashrc = join(userInfo().homedir, '.bashrc');
    if (process.getuid?.() === 0 && existsSync(bashrc) && existsSync('/usr/bin/unshare')) {
      const empty = join(this.dir, 'empty_bashrc');
      writeFileSync(empty, '');
      this.proc = spawn('/usr/bin/unshare', ['--mount', '/bin/sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', empty, bashrc, SSHD, ...args], {
        stdio: 'ignore',
      });
    } else {
      this.proc = spawn(SSHD, args, { stdio: 'ignore' });
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`sshd exited (${this.proc.exitCode}); log: ${this.log()}`);
      if (await this.banner()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not come up on port ${this.port}; log: ${this.log()}`);
  }

  private banner(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect({ host: this.address, port: this.port });
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('SSH-'));
      });
      s.once('error', () => resolve(false));
    });
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Successful logins so far (one per TCP connection). */
  logins(): number {
    return (this.log().match(/Accepted publickey/g) ?? []).length;
  }

  /** Kill the server and every session process it forked (connections drop). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const all = [p.pid, ...descendants(p.pid)];
    const exited = new Promise((r) => p.once('exit', r));
    for (const pid of all) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    this.proc = undefined;
  }

  /** Kill everything and start again on the same port with the same keys. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  settings(over: Partial<ConnectionSettings> = {}): ConnectionSettings {
    return {
      host: 'sshd-test',
      connection: 'ssh',
      address: this.address,
      port: this.port,
      user: this.user,
      privateKeyFile: this.clientKeyFile,
      knownHostsFile: this.knownHostsFile,
      hostKeyChecking: 'strict',
      connectTimeoutMs: 5000,
      commandTimeoutMs: 0,
      become: false,
      becomeUser: 'root',
      becomeMethod: 'sudo',
      ...over,
    };
  }
}

/** Start a fixture, or return undefined (with the reason) when sshd cannot run here. */
export async function startSshd(opts: { logLevel?: string } = {}): Promise<SshdFixture> {
  if (!ensureSshd()) throw new Error('OpenSSH server not available (needs root to install openssh-server)');
  const f = new SshdFixture(opts);
  await f.start();
  return f;
}

/**
 * An ssh-agent on a socket in `dir`, holding `keyFile`, and SSH_AUTH_SOCK set
 * to it for this process; `stop()` unsets it and ends the agent.
 */
export async function startAgent(dir: string, keyFile: string): Promise<{ stop: () => void }> {
  const sock = join(dir, `agent-${process.pid}-${Date.now()}.sock`);
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    execFileSync('ssh-add', ['-q', keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  } catch (e) {
    agent.kill(); // no agent left behind when it did not come up
    throw e;
  }
  process.env.SSH_AUTH_SOCK = sock;
  return {
    stop: () => {
      delete process.env.SSH_AUTH_SOCK;
      agent.kill();
    },
  };
}
