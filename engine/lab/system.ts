// Small wrappers around the system tools the lab drives. Every tool runs with
// an argument vector (execFile), never through a shell, so no lab value is
// ever parsed as shell text on the machine.

import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export interface RunOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a program; resolves with its output whatever the exit code. */
export function runRaw(
  file: string,
  args: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args as string[],
      { maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 0 },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
          reject(new LabError(`${file}: ${(err as NodeJS.ErrnoException).code} (${err.message})`));
          return;
        }
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ stdout: String(stdout), stderr: String(stderr), code: typeof code === 'number' ? code : 1 });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Run a program; throws a LabError carrying the command, exit code and stderr unless it exits 0. */
export async function run(
  file: string,
  args: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  const r = await runRaw(file, args, opts);
  if (r.code !== 0) {
    throw new LabError(`${[file, ...args].join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
  return r.stdout;
}

/** Run a long program with its output streamed to a log callback (debootstrap, apt-get). */
export function runLogged(file: string, args: readonly string[], log: (line: string) => void, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args as string[], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let tail = '';
    const onData = (buf: Buffer) => {
      const text = buf.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => reject(new LabError(`${file}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new LabError(`${[file, ...args].join(' ')} exited ${code}: ${tail.trim()}`));
    });
  });
}

/** Is a program on PATH (or an absolute path that exists)? */
export function which(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  const dirs = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const d of [...dirs, '/usr/sbin', '/sbin']) {
    const p = `${d}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** program -> Debian package that provides it */
export const REQUIRED_TOOLS: Record<string, string> = {
  debootstrap: 'debootstrap',
  'systemd-nspawn': 'systemd-container',
  'apt-cacher-ng': 'apt-cacher-ng',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  ip: 'iproute2',
  mount: 'mount',
  chroot: 'coreutils',
  nsenter: 'util-linux',
  unshare: 'util-linux',
};

/** Install the Debian packages that provide missing tools; refuse clearly if that is impossible. */
export async function ensureTools(log: (line: string) => void): Promise<void> {
  const missing = Object.entries(REQUIRED_TOOLS).filter(([tool]) => !which(tool));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  if (!which('apt-get')) {
    throw new LabError(`missing tools (${missing.map(([t]) => t).join(', ')}) and no apt-get to install ${pkgs.join(' ')}`);
  }
  log(`installing ${pkgs.join(' ')} (missing: ${missing.map(([t]) => t).join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['-y', '-q', '--no-install-recommends', 'install', ...pkgs];
  // apt-cacher-ng's postinst would start the packaged service on every address;
  // the lab starts its own instance, so keep package scripts from starting daemons.
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !existsSync(policy);
  if (addedPolicy) {
    writeFileSync(policy, '#!/bin/sh\n# tsplay lab: installing lab tools, do not start daemons\nexit 101\n');
    chmodSync(policy, 0o755);
  }
  let r: RunOutput;
  try {
    r = await runRaw('apt-get', install, { env });
    if (r.code !== 0) {
      await runRaw('apt-get', ['-q', 'update'], { env });
      r = await runRaw('apt-get', install, { env });
    }
  } finally {
    if (addedPolicy) rmSync(policy, { force: true });
  }
  const still = Object.keys(REQUIRED_TOOLS).filter((tool) => !which(tool));
  if (r.code !== 0 || still.length) {
    throw new LabError(`cannot install ${pkgs.join(' ')} (still missing: ${still.join(', ') || 'none'}): ${(r.stderr || r.stdout).trim().slice(-1000)}`);
  }
}

export interface MirrorEntry {
  uri: string;
  suites: string[];
  components: string[];
}

/** The Debian mirrors this machine's apt uses, read at run time (deb822 .sources first, then sources.list). */
export function readAptMirrors(): MirrorEntry[] {
  const entries: MirrorEntry[] = [];
  const dir = '/etc/apt/sources.list.d';
  const files: string[] = [];
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (f.endsWith('.sources')) files.push(`${dir}/${f}`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const fields: Record<string, string> = {};
      let last = '';
      for (const line of stanza.split('\n')) {
        if (/^\s*#/.test(line) || !line.trim()) continue;
        const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (m) {
          last = m[1].toLowerCase();
          fields[last] = m[2].trim();
        } else if (last && /^\s/.test(line)) fields[last] += ' ' + line.trim();
      }
      if (!fields.uris || !(fields.types ?? '').split(/\s+/).includes('deb')) continue;
      if ((fields.enabled ?? 'yes').toLowerCase() === 'no') continue;
      for (const uri of fields.uris.split(/\s+/)) {
        entries.push({ uri, suites: (fields.suites ?? '').split(/\s+/).filter(Boolean), components: (fields.components ?? 'main').split(/\s+/).filter(Boolean) });
      }
    }
  }
  const list = ['/etc/apt/sources.list', ...(existsSync(dir) ? readdirSync(dir).sort().filter((f) => f.endsWith('.list')).map((f) => `${dir}/${f}`) : [])];
  for (const file of list) {
    if (!existsSync(file)) continue;
    for (const raw of readFileSync(file, 'utf8').split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
      if (m) entries.push({ uri: m[1], suites: [m[2]], components: m[3].split(/\s+/).filter(Boolean) });
    }
  }
  return entries;
}

/** The machine's main Debian mirror (the entry carrying the release's own suite). */
export function mainMirror(suite: string): MirrorEntry {
  const entries = readAptMirrors().filter((e) => /^https?:\/\//.test(e.uri));
  const main = entries.find((e) => e.suites.includes(suite)) ?? entries[0];
  if (!main) throw new LabError('no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list');
  return main;
}

/** The release codename of this machine (the lab base uses the same release). */
export function machineSuite(): string {
  const text = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const m = /^VERSION_CODENAME=(\w+)/m.exec(text);
  if (!m) throw new LabError('cannot read VERSION_CODENAME from /etc/os-release');
  return m[1];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
