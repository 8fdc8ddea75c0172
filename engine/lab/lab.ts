// The lab: N real Debian hosts on this machine. Each host is an overlay of the
// cached base, booted by systemd-nspawn with its own init as PID 1, in its own
// network namespace on a bridge the lab creates, running OpenSSH with key-only
// root login. See docs/lab.md.
//
// Everything a lab makes is findable from its name alone (state dir, netns
// names, link aliases, cgroups, subnet claim), so a lab left half-up by a
// killed process is cleaned by the next `up` or `down`.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync, symlinkSync, renameSync, unlinkSync, writeFileSync, openSync, closeSync, chmodSync,
} from 'node:fs';
import net from 'node:net';
import pLimit from 'p-limit';
import { checkBase, ensureBase, ensureBaseWith, type InitSystem } from './base.js';
import { LIGHT_MAX_HOSTS, hostAddress, lightHostArgv, loginSample, subnetsFor } from './light.js';
import { PEERS_DIR } from './nfs-standin.js';
import { LabError, ensureTools, pidAlive, run, runRaw, sleep, which } from './system.js';

export const LAB_ROOT = '/var/lib/tsplay/lab';
const SUBNET_CLAIMS = `${LAB_ROOT}/.subnets`;
export const PROXY_CACHE_ROOT = '/var/cache/tsplay/apt-cacher-ng';
const SUBNET_PREFIX = '10.213';
// Not apt-cacher-ng's default 3142, so a packaged instance on the machine (bound to
// every address) can never be mistaken for the lab's own proxy.
const PROXY_PORT = 3149;
const BLACKHOLE_METRIC = 4242;
const CGROUP_HIERARCHIES = ['systemd', 'unified', 'memory'];
const MAX_HOSTS = 60;

export interface LabHost {
  name: string;
  address: string;
}

export interface LabInfo {
  name: string;
  init: InitSystem;
  /** e.g. 10.213.1.0/24 */
  subnet: string;
  bridge: string;
  /** The machine's address on the bridge (the apt proxy listens there). */
  gateway: string;
  proxyUrl: string;
  stateDir: string;
  inventoryPath: string;
  keyFile: string;
  knownHostsFile: string;
  hosts: LabHost[];
  /** Milliseconds `up` took. */
  upMs?: number;
}

interface HostState extends LabHost {
  netns: string;
  veth: string;
  dir: string;
}

interface LabState {
  name: string;
  index: number;
  init: InitSystem;
  base?: string;
  status: 'starting' | 'up';
  /** Light hosts (only an sshd each, engine/lab/light.ts). */
  light?: boolean;
  /** Further /24 indexes of a light lab bigger than one /24 (index is the first). */
  moreIndexes?: number[];
  pid: number;
  startedAt: string;
  upMs?: number;
  hosts: HostState[];
}

export interface HostStatus extends LabHost {
  running: boolean;
  /** Anonymous memory (RSS + shmem) of everything the host runs, from its memory cgroup. */
  memoryBytes?: number;
  /** The memory cgroup's whole usage, page cache included. */
  memoryUsageBytes?: number;
}

export interface LabStatus {
  name: string;
  state: 'up' | 'starting' | 'stale';
  init: InitSystem;
  subnet: string;
  inventoryPath: string;
  hosts: HostStatus[];
  proxyRunning: boolean;
}

export type Log = (line: string) => void;
const quiet: Log = () => {};

// ---------------------------------------------------------------- names

export function validateName(name: string): void {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(name)) {
    throw new LabError(`invalid lab name ${JSON.stringify(name)}: use 1-12 lowercase letters and digits, starting with a letter`);
  }
}

/** lab1..labN for the default lab, <name>1..<name>N otherwise. */
export function hostNames(name: string, n: number): string[] {
  const prefix = name === 'default' ? 'lab' : name;
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

const stateDir = (name: string) => `${LAB_ROOT}/${name}`;
const netnsName = (lab: string, host: string) => `tsplay-${lab}-${host}`;
const linkAlias = (lab: string) => `tsplay-lab:${lab}`;
const bridgeName = (index: number) => `tslab${index}`;
const cgroupRel = (lab: string) => `tsplay-lab/${lab}`;
const subnetOf = (index: number) => `${SUBNET_PREFIX}.${index}`;

function labInfo(st: LabState): LabInfo {
  const dir = stateDir(st.name);
  const sub = subnetOf(st.index);
  return {
    name: st.name,
    init: st.init,
    subnet: `${sub}.0/24`,
    bridge: bridgeName(st.index),
    gateway: `${sub}.1`,
    proxyUrl: `http://${sub}.1:${PROXY_PORT}/`,
    stateDir: dir,
    inventoryPath: `${dir}/inventory.yml`,
    keyFile: `${dir}/id_ed25519`,
    knownHostsFile: `${dir}/known_hosts`,
    hosts: st.hosts.map((h) => ({ name: h.name, address: h.address })),
    upMs: st.upMs,
  };
}

function readState(name: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(`${stateDir(name)}/state.json`, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

async function saveState(st: LabState): Promise<void> {
  const file = `${stateDir(st.name)}/state.json`;
  writeFileSync(`${file}.tmp`, JSON.stringify(st, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

// ---------------------------------------------------------------- processes and cgroups

/** Pure cgroup v2 machines have one hierarchy at /sys/fs/cgroup. */
const PURE_V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

function cgroupDirs(lab: string, sub?: string): string[] {
  if (PURE_V2) return [`/sys/fs/cgroup/${cgroupRel(lab)}${sub ? `/${sub}` : ''}`];
  return CGROUP_HIERARCHIES.filter((h) => existsSync(`/sys/fs/cgroup/${h}`)).map(
    (h) => `/sys/fs/cgroup/${h}/${cgroupRel(lab)}${sub ? `/${sub}` : ''}`,
  );
}

/** Every pid in a cgroup directory tree. */
function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    try {
      for (const l of readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n')) if (l.trim()) out.push(Number(l));
    } catch {
      /* gone */
    }
    for (const e of entries) {
      try {
        if (statSync(`${d}/${e}`).isDirectory()) walk(`${d}/${e}`);
      } catch {
        /* gone */
      }
    }
  };
  walk(dir);
  return out;
}

/** Remove a cgroup tree bottom-up (only empty cgroups can be removed). */
function removeCgroupTree(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    try {
      if (statSync(`${dir}/${e}`).isDirectory()) removeCgroupTree(`${dir}/${e}`);
    } catch {
      /* gone */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* busy or gone */
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** A process's state letter from /proc (R, S, D, Z, ...), '?' when it is gone. */
function procState(pid: number): string {
  try {
    return /^State:\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** Processes whose command line mentions the lab's state dir (in case a cgroup move failed). */
function pidsMentioning(dir: string): number[] {
  const out: number[] = [];
  const needle = Buffer.from(dir + '/');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`);
      if (cmd.includes(needle)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

function labPids(lab: string): number[] {
  const set = new Set<number>();
  for (const d of cgroupDirs(lab)) for (const p of cgroupPids(d)) set.add(p);
  for (const p of pidsMentioning(stateDir(lab))) set.add(p);
  set.delete(process.pid);
  return [...set].filter(pidAlive);
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** Start a detached process inside its own cgroups (one per hierarchy); it outlives this process. */
function launchInCgroup(lab: string, sub: string, argv: string[], logFile: string, restartOn133: boolean): number {
  const procs: string[] = [];
  for (const d of cgroupDirs(lab, sub)) {
    mkdirSync(d, { recursive: true });
    procs.push(`${d}/cgroup.procs`);
  }
  // Constant script; the cgroup files and the command come in as data.
  const script = [
    'IFS=:; for f in $TSPLAY_LAB_CGROUPS; do echo $$ > "$f"; done; unset IFS TSPLAY_LAB_CGROUPS',
    restartOn133
      ? // systemctl reboot inside a host makes nspawn exit 133: boot it again.
        'while :; do "$@"; rc=$?; [ "$rc" = 133 ] || exit "$rc"; echo "tsplay lab: host rebooting"; done'
      : 'exec "$@"',
  ].join('\n');
  const fd = openSync(logFile, 'a');
  const child = spawn('/bin/sh', ['-c', script, 'tsplay-lab-launcher', ...argv], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', TSPLAY_LAB_CGROUPS: procs.join(':'), LANG: 'C.UTF-8' },
  });
  closeSync(fd);
  child.unref();
  return child.pid ?? 0;
}

// ---------------------------------------------------------------- network

interface IpLink {
  ifname: string;
  ifalias?: string;
}

async function linksWithAlias(alias: string): Promise<string[]> {
  const out = await runRaw('ip', ['-j', 'link', 'show']);
  if (out.code !== 0) return [];
  try {
    return (JSON.parse(out.stdout) as IpLink[]).filter((l) => l.ifalias === alias).map((l) => l.ifname);
  } catch {
    return [];
  }
}

function claimedIndexes(): Map<number, string> {
  const m = new Map<number, string>();
  if (!existsSync(SUBNET_CLAIMS)) return m;
  for (const e of readdirSync(SUBNET_CLAIMS)) {
    try {
      m.set(Number(e), readlinkSync(`${SUBNET_CLAIMS}/${e}`));
    } catch {
      /* gone */
    }
  }
  return m;
}

/** Claim a free 10.213.<index>.0/24 for this lab (atomic: a symlink per index); not one of `taken`. */
async function claimSubnet(lab: string, taken: ReadonlySet<number> = new Set()): Promise<number> {
  mkdirSync(SUBNET_CLAIMS, { recursive: true });
  const routes = (await runRaw('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  const addrs = (await runRaw('ip', ['-4', 'addr', 'show'])).stdout;
  for (let i = 1; i <= 254; i++) {
    const sub = `${SUBNET_PREFIX}.${i}.`;
    const path = `${SUBNET_CLAIMS}/${i}`;
    let owner: string | undefined;
    try {
      owner = readlinkSync(path);
    } catch {
      /* free */
    }
    if (taken.has(i)) continue;
    if (owner === lab) return i;
    if (owner !== undefined) {
      if (existsSync(stateDir(owner))) continue;
      try {
        unlinkSync(path); // stale claim: its lab is gone
      } catch {
        continue;
      }
    }
    if (routes.includes(sub) || addrs.includes(sub)) continue; // used by something else on the machine
    try {
      symlinkSync(lab, path);
      return i;
    } catch {
      continue;
    }
  }
  throw new LabError(`no free subnet left in ${SUBNET_PREFIX}.0.0/16`);
}

// ---------------------------------------------------------------- mounts

function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = f[4].replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp === dir || mp.startsWith(dir + '/')) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

// ---------------------------------------------------------------- cleanup

/**
 * The controller reaches every lab host through the bridge, so the kernel keeps
 * one neighbour (ARP) entry per host it talks to. The default table holds 1024
 * entries and starts evicting recent ones above 512: with hundreds of light
 * hosts, connections then fail with EHOSTUNREACH (measured: 488 of 20000
 * host-tasks on 1000 light hosts). Raise the thresholds so the lab's hosts
 * fit, never lower them (they are the machine's, and stay until reboot:
 * docs/lab.md "Light hosts").
 */
function roomForNeighbours(hosts: number): void {
  const need = [hosts + 256, 2 * (hosts + 256), 4 * (hosts + 256)];
  need.forEach((want, i) => {
    const file = `/proc/sys/net/ipv4/neigh/default/gc_thresh${i + 1}`;
    try {
      if (Number(readFileSync(file, 'utf8').trim()) < want) writeFileSync(file, `${want}\n`);
    } catch {
      /* not writable here: the lab still works up to the default size */
    }
  });
}

/** The process that is a running host: nspawn, or a light host's sshd. */
const hostProcess = (st: Pick<LabState, 'light'>) => (st.light ? 'sshd' : 'systemd-nspawn');

/** Is this lab up (or being brought up by a live process)? */
function liveState(name: string): 'up' | 'starting' | undefined {
  const st = readState(name);
  if (!st) return undefined;
  if (st.status === 'starting' && st.pid !== process.pid && pidAlive(st.pid)) return 'starting';
  if (st.status === 'up' && labPids(name).some((p) => comm(p) === hostProcess(st))) return 'up';
  return undefined;
}

/** Remove everything a lab of this name made; safe on a half-made or absent lab. */
async function cleanup(name: string, log: Log): Promise<void> {
  const t0 = Date.now();
  const dir = stateDir(name);
  const st = readState(name);
  // 1. processes: launchers first (so nothing restarts), then nspawn (hosts halt
  // cleanly if they can within a short grace; their state is discarded anyway), then the rest.
  let pids = labPids(name);
  for (const p of pids) if (comm(p) === 'sh') kill(p, 'SIGKILL');
  for (const p of pids) if (comm(p) === 'systemd-nspawn' || comm(p) === 'apt-cacher-ng') kill(p, 'SIGTERM');
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    pids = labPids(name);
    if (!pids.some((p) => comm(p) === 'systemd-nspawn')) break;
    await sleep(100);
  }
  // A killed host's processes can take seconds to go on a loaded machine (a PID
  // namespace torn down, writes to the overlay finishing): 2.5 s was once too
  // short in CI (the lab was left with its overlays and namespaces).
  const killDeadline = Date.now() + 30_000;
  for (;;) {
    pids = labPids(name);
    if (pids.length === 0 || Date.now() > killDeadline) break;
    for (const p of pids) kill(p, 'SIGKILL');
    await sleep(50);
  }
  if (pids.length) throw new LabError(`cannot stop processes of lab ${name} in 30 s: ${pids.map((p) => `${p} (${comm(p)} ${procState(p)})`).join(', ')}`);
  for (const d of cgroupDirs(name)) removeCgroupTree(d);
  for (const h of PURE_V2 ? ['.'] : CGROUP_HIERARCHIES) {
    try {
      rmdirSync(`/sys/fs/cgroup/${h}/tsplay-lab`); // only when no other lab uses it
    } catch {
      /* in use or absent */
    }
  }
  const tProc = Date.now();
  // 2. mounts under the state dir (overlays)
  const limit = pLimit(16); // a light lab has up to 1000 overlays
  await Promise.all(
    mountsUnder(dir).map((mp) => limit(async () => {
      const r = await runRaw('umount', [mp]);
      if (r.code !== 0) await runRaw('umount', ['-l', mp]);
    })),
  );
  const tMount = Date.now();
  // 3. network: namespaces, links, route
  const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns').filter((ns) => ns.startsWith(`tsplay-${name}-`)) : [];
  const batch = namespaces.map((ns) => `netns delete ${ns}`);
  if (batch.length) await runRaw('ip', ['-force', '-batch', '-'], { input: batch.join('\n') + '\n' });
  const links = await linksWithAlias(linkAlias(name));
  if (links.length) await runRaw('ip', ['-force', '-batch', '-'], { input: links.map((l) => `link delete ${l}`).join('\n') + '\n' });
  const indexes = new Set<number>();
  if (st && st.index > 0) indexes.add(st.index);
  for (const [i, owner] of claimedIndexes()) if (owner === name) indexes.add(i);
  for (const i of indexes) {
    if (existsSync(`/sys/class/net/${bridgeName(i)}`)) await runRaw('ip', ['link', 'delete', bridgeName(i)]);
    await runRaw('ip', ['route', 'delete', 'blackhole', `${subnetOf(i)}.0/24`, 'metric', String(BLACKHOLE_METRIC)]);
  }
  const tNet = Date.now();
  // 4. files
  const left = mountsUnder(dir);
  if (left.length) throw new LabError(`lab ${name}: cannot unmount ${left.join(', ')}`);
  await runRaw('rm', ['-rf', '--one-file-system', dir]);
  rmSync(dir, { recursive: true, force: true });
  for (const i of indexes) {
    try {
      unlinkSync(`${SUBNET_CLAIMS}/${i}`);
    } catch {
      /* gone */
    }
  }
  if (process.env.TSPLAY_LAB_TIMING) log(`lab ${name}: processes ${tProc - t0} ms, mounts ${tMount - tProc} ms, network ${tNet - tMount} ms, files ${Date.now() - tNet} ms`);
  log(`lab ${name}: cleaned`);
}

// ---------------------------------------------------------------- up

async function waitTcp(address: string, port: number, deadline: number, banner?: string): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(1000, () => done(false));
      s.once('error', () => done(false));
      if (banner) s.once('data', (d) => done(d.toString().startsWith(banner)));
      else s.once('connect', () => done(true));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new LabError(`${address}:${port} did not answer in time`);
    await sleep(100);
  }
}

/** ssh client arguments that log in to a lab host as root with host-key checking on. */
export function sshArgs(info: Pick<LabInfo, 'keyFile' | 'knownHostsFile'>, address: string, opts: { batch?: boolean } = {}): string[] {
  return [
    '-F', '/dev/null',
    '-i', info.keyFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${info.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    ...(opts.batch === false ? [] : ['-o', 'BatchMode=yes']),
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
    '-o', 'KexAlgorithms=curve25519-sha256',
    '-l', 'root',
    address,
  ];
}

function inventoryYaml(info: LabInfo): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    `# tsplay lab ${q(info.name)}: written by \`tsplay lab up\`; removed by \`tsplay lab down\`.`,
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    ansible_ssh_private_key_file: ${q(info.keyFile)}`,
    `    tsplay_known_hosts_file: ${q(info.knownHostsFile)}`,
    `    lab_subnet: ${q(info.subnet)}`,
    '  hosts:',
    ...info.hosts.flatMap((h) => [`    ${h.name}:`, `      ansible_host: ${q(h.address)}`]),
    '  children:',
    '    lab:',
    '      hosts:',
    ...info.hosts.map((h) => `        ${h.name}: {}`),
  ];
  return lines.join('\n') + '\n';
}

export interface UpOptions {
  name?: string;
  hosts?: number;
  init?: InitSystem;
  log?: Log;
  /** Hosts that are only an sshd (no init), up to 1000: engine/lab/light.ts. */
  light?: boolean;
  /**
   * Debian packages the hosts start with, beyond the base's: from a copy of the base
   * with them installed, built once and cached (engine/lab/base.ts ensureBaseWith).
   */
  packages?: readonly string[];
}

export async function labUp(opts: UpOptions = {}): Promise<LabInfo> {
  const started = Date.now();
  const name = opts.name ?? 'default';
  const n = opts.hosts ?? 3;
  const init = opts.init ?? 'systemd';
  const log = opts.log ?? quiet;
  const light = opts.light === true;
  validateName(name);
  const max = light ? LIGHT_MAX_HOSTS : MAX_HOSTS;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new LabError(`host count must be 1..${max}${light ? ' with --light' : ' (more with --light)'}, got ${n}`);
  if (light && opts.init === 'sysvinit') throw new LabError('--light hosts have no init: --init does not apply');
  if (light && opts.packages?.length) throw new LabError('--light hosts run on the base as it is: packages do not apply');
  if (init !== 'systemd' && init !== 'sysvinit') throw new LabError(`--init must be systemd or sysvinit, got ${String(init)}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new LabError('tsplay lab up must run as root (it mounts, creates namespaces and a bridge)');
  await ensureTools(log);
  const live = liveState(name);
  if (live === 'up') throw new LabError(`lab ${name} is already up: run \`tsplay lab down --name ${name}\` first`);
  if (live === 'starting') throw new LabError(`lab ${name} is being brought up by process ${readState(name)?.pid}`);
  if (existsSync(stateDir(name)) || labPids(name).length || [...claimedIndexes().values()].includes(name)) {
    const had = existsSync(stateDir(name)) || labPids(name).length;
    await cleanup(name, had ? (l) => log(`${l} (left over from an earlier run)`) : quiet);
  }
  const base = await ensureBaseWith(await ensureBase(init, log), opts.packages ?? [], log);
  checkBase(base);

  const dir = stateDir(name);
  mkdirSync(LAB_ROOT, { recursive: true });
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new LabError(`lab ${name} is being brought up by another process`);
    throw e;
  }
  // Mark the lab as being brought up at once, so a concurrent `up` of this name refuses.
  await saveState({ name, index: 0, init, status: 'starting', pid: process.pid, startedAt: new Date().toISOString(), hosts: [] });
  const index = await claimSubnet(name);
  const sub = subnetOf(index);
  const indexes = [index];
  while (indexes.length < (light ? subnetsFor(n) : 1)) indexes.push(await claimSubnet(name, new Set(indexes)));
  const prefixes = indexes.map(subnetOf);
  const names = hostNames(name, n);
  const st: LabState = {
    name,
    index,
    init,
    base,
    ...(light ? { light: true, moreIndexes: indexes.slice(1) } : {}),
    status: 'starting',
    pid: process.pid,
    startedAt: new Date().toISOString(),
    hosts: names.map((h, i) => ({
      name: h,
      address: light ? hostAddress(prefixes, i) : `${sub}.${11 + i}`,
      netns: netnsName(name, h),
      veth: `tl${index}h${i + 1}`,
      dir: `${dir}/hosts/${h}`,
    })),
  };
  await saveState(st);
  const info = labInfo(st);
  try {
    // Bridge, address, and a blackhole so lab traffic can never leave by another interface.
    const br = bridgeName(index);
    await run('ip', ['link', 'add', br, 'type', 'bridge']);
    await run('ip', ['link', 'set', br, 'alias', linkAlias(name)]);
    try {
      writeFileSync(`/proc/sys/net/ipv6/conf/${br}/disable_ipv6`, '1');
    } catch {
      /* no ipv6 */
    }
    await run('ip', ['addr', 'add', `${info.gateway}/24`, 'dev', br]);
    await run('ip', ['link', 'set', br, 'up']);
    if (light) roomForNeighbours(n);
    await run('ip', ['route', 'add', 'blackhole', `${sub}.0/24`, 'metric', String(BLACKHOLE_METRIC)]);
    for (const p of prefixes.slice(1)) {
      await run('ip', ['addr', 'add', `${p}.1/24`, 'dev', br]);
      await run('ip', ['route', 'add', 'blackhole', `${p}.0/24`, 'metric', String(BLACKHOLE_METRIC)]);
    }

    // apt proxy on the bridge address, cache kept between labs of this name.
    const acngConf = `${dir}/apt-cacher-ng`;
    const cache = `${PROXY_CACHE_ROOT}/${name}`;
    mkdirSync(acngConf, { recursive: true });
    mkdirSync(`${dir}/log`, { recursive: true });
    mkdirSync(cache, { recursive: true });
    writeFileSync(
      `${acngConf}/acng.conf`,
      [
        '# tsplay lab apt proxy (own config: the packaged backends are not used)',
        `CacheDir: ${cache}`,
        `LogDir: ${dir}/log`,
        `SocketPath: ${dir}/apt-cacher-ng.socket`,
        `PidFile: ${dir}/apt-cacher-ng.pid`,
        `BindAddress: ${info.gateway}`,
        `Port: ${PROXY_PORT}`,
        'Foreground: 1',
        'ReportPage: acng-report.html',
        'ExThreshold: 30',
        'VerboseLog: 0',
        '',
      ].join('\n'),
    );
    const proxyPid = launchInCgroup(name, 'proxy', ['apt-cacher-ng', '-c', acngConf], `${dir}/log/apt-cacher-ng.out`, false);

    // Client key for root logins.
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `tsplay-lab-${name}`, '-f', info.keyFile]);
    const clientPub = readFileSync(`${info.keyFile}.pub`, 'utf8');

    // Network namespaces and veth pairs (one batch), then addresses inside each namespace.
    const batch = st.hosts.flatMap((h) => [
      `netns add ${h.netns}`,
      `link add ${h.veth} type veth peer name eth0 netns ${h.netns}`,
      `link set ${h.veth} alias ${linkAlias(name)}`,
      `link set ${h.veth} master ${br} up`,
    ]);
    await run('ip', ['-batch', '-'], { input: batch.join('\n') + '\n' });
    // At most 16 helper processes at a time: a light lab has up to 1000 hosts.
    const limit = pLimit(16);
    const mine = (a: string) => a.slice(0, a.lastIndexOf('.'));
    await Promise.all(
      st.hosts.map((h) =>
        limit(() => run('ip', ['-n', h.netns, '-batch', '-'], {
          input: [
            `link set lo up`, `addr add ${h.address}/24 dev eth0`, `link set eth0 up`,
            // A light lab spanning several /24s: the others are on the same bridge (on-link).
            ...prefixes.filter((p) => p !== mine(h.address)).map((p) => `route add ${p}.0/24 dev eth0`),
          ].join('\n') + '\n',
        })),
      ),
    );

    // Root filesystems and per-host identity.
    const hostsFile =
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' + st.hosts.map((h) => `${h.address}\t${h.name}`).join('\n') + '\n';
    const labHosts = st.hosts.map((h) => `${h.name} ${h.address}`).join('\n') + '\n';
    const hostKeys = new Map<string, string>();
    await Promise.all(
      st.hosts.map((h) => limit(async () => {
        for (const d of ['upper', 'work', 'root']) mkdirSync(`${h.dir}/${d}`, { recursive: true });
        await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base},upperdir=${h.dir}/upper,workdir=${h.dir}/work`, `${h.dir}/root`]);
        const r = `${h.dir}/root`;
        rmSync(`${r}/etc/ssh/ssh_host_ed25519_key`, { force: true });
        rmSync(`${r}/etc/ssh/ssh_host_ed25519_key.pub`, { force: true });
        await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${h.name}`, '-f', `${r}/etc/ssh/ssh_host_ed25519_key`]);
        hostKeys.set(h.name, readFileSync(`${r}/etc/ssh/ssh_host_ed25519_key.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' '));
        writeFileSync(`${r}/etc/hostname`, `${h.name}\n`);
        writeFileSync(`${r}/etc/machine-id`, randomBytes(16).toString('hex') + '\n');
        writeFileSync(`${r}/etc/hosts`, hostsFile);
        mkdirSync(`${r}/etc/tsplay-lab`, { recursive: true });
        writeFileSync(`${r}/etc/tsplay-lab/hosts`, labHosts);
        writeFileSync(`${r}/etc/tsplay-lab/README`, `Lab host ${h.name} of tsplay lab ${name}. ${PEERS_DIR}/<host> holds each peer's root (for the NFS stand-in).\n`);
        mkdirSync(`${r}/root/.ssh`, { recursive: true, mode: 0o700 });
        writeFileSync(`${r}/root/.ssh/authorized_keys`, clientPub);
        chmodSync(`${r}/root/.ssh/authorized_keys`, 0o600);
        writeFileSync(`${r}/etc/apt/apt.conf.d/01tsplay-lab-proxy`, `Acquire::http::Proxy "${info.proxyUrl}";\nAcquire::https::Proxy "DIRECT";\n`);
      })),
    );
    writeFileSync(
      info.knownHostsFile,
      st.hosts.flatMap((h) => [`${h.name} ${hostKeys.get(h.name)}`, `${h.address} ${hostKeys.get(h.name)}`]).join('\n') + '\n',
    );

    // Boot (light hosts: start sshd).
    for (const h of light ? st.hosts : []) {
      launchInCgroup(name, h.name, lightHostArgv(h.netns, `${h.dir}/root`), `${dir}/log/${h.name}.log`, false);
    }
    for (const h of light ? [] : st.hosts) {
      const binds = st.hosts.filter((p) => p.name !== h.name).map((p) => `--bind=${p.dir}/root:${PEERS_DIR}/${p.name}`);
      launchInCgroup(
        name,
        h.name,
        [
          // A systemd host's nspawn starts inside the host's network namespace (not only joined
          // to it): the sysfs it mounts then lists the host's own interfaces, not the machine's
          // (every lab's veths). A sysvinit host's sysfs is its own either way, and started so it
          // would get read-only cgroup v1 mounts, where elogind cannot mount its hierarchy (and
          // logins wait on it). nsenter, not `ip netns exec`: that remounts /sys, under which
          // nspawn needs the cgroup mounts.
          ...(init === 'systemd' ? ['nsenter', `--net=/run/netns/${h.netns}`] : []),
          'systemd-nspawn', '--boot', '--register=no', '--keep-unit', '--quiet',
          `--directory=${h.dir}/root`, `--machine=${h.name}`,
          `--network-namespace-path=/run/netns/${h.netns}`,
          '--console=passive', '--link-journal=no', '--settings=no', '--resolv-conf=off', '--timezone=off',
          ...binds,
        ],
        `${dir}/log/${h.name}.log`,
        true,
      );
    }
    const deadline = Date.now() + 60_000 + (light ? 100 * n : 0);
    await waitTcp(info.gateway, PROXY_PORT, deadline);
    if (!pidAlive(proxyPid)) {
      throw new LabError(`the lab's apt-cacher-ng exited: ${readFileSync(`${dir}/log/apt-cacher-ng.out`, 'utf8').trim().slice(-500)}`);
    }
    await Promise.all(st.hosts.map((h) => limit(() => waitTcp(h.address, 22, deadline, 'SSH-'))));
    // A real login with host-key checking on, through the files the inventory names
    // (every host of a full lab; a spread of at most 12 hosts of a light one).
    await Promise.all(
      (light ? loginSample(st.hosts) : st.hosts).map(async (h) => {
        const out = await run('ssh', [...sshArgs(info, h.address), 'hostname'], { timeoutMs: 30_000 });
        if (out.trim() !== h.name) throw new LabError(`${h.address} answered as ${out.trim()}, expected ${h.name}`);
      }),
    );
    writeFileSync(info.inventoryPath, inventoryYaml(info));
    st.status = 'up';
    st.upMs = Date.now() - started;
    await saveState(st);
    info.upMs = st.upMs;
    log(`lab ${name}: ${n}${light ? ' light' : ''} host(s) up in ${(st.upMs / 1000).toFixed(1)} s`);
    return info;
  } catch (e) {
    log(`lab ${name}: up failed, cleaning up: ${(e as Error).message}`);
    const logs = st.hosts.map((h) => `${dir}/log/${h.name}.log`).filter(existsSync);
    const tail = logs.length ? readFileSync(logs[0], 'utf8').split('\n').slice(-15).join('\n') : '';
    await cleanup(name, quiet).catch((c) => log(`cleanup failed: ${(c as Error).message}`));
    throw new LabError(`${(e as Error).message}${tail ? `\n--- ${st.hosts[0].name} boot log (tail) ---\n${tail}` : ''}`);
  }
}

// ---------------------------------------------------------------- down, status, info

export async function labDown(name = 'default', log: Log = quiet): Promise<void> {
  validateName(name);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new LabError('tsplay lab down must run as root');
  if (!existsSync(stateDir(name)) && labPids(name).length === 0 && ![...claimedIndexes().values()].includes(name)) {
    // Nothing recorded; still sweep names-derived leftovers (netns, links) cheaply.
    await cleanup(name, quiet);
    log(`lab ${name} is not up`);
    return;
  }
  await cleanup(name, log);
}

/**
 * CPU time (ms, user and system) the lab's processes have used so far: its
 * hosts and its apt proxy, from the lab's cgroup in the unified (v2)
 * hierarchy. Undefined where that is not there. The benchmark reads it before
 * and after a run (test/bench/engine-bench.ts): the hosts' share of the work.
 */
export function labCpuMs(lab: string): number | undefined {
  const d = PURE_V2 ? `/sys/fs/cgroup/${cgroupRel(lab)}` : `/sys/fs/cgroup/unified/${cgroupRel(lab)}`;
  try {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(`${d}/cpu.stat`, 'utf8'));
    return m ? Number(m[1]) / 1000 : undefined;
  } catch {
    return undefined;
  }
}

function memoryOf(lab: string, host: string): { memoryBytes?: number; memoryUsageBytes?: number } {
  if (PURE_V2) {
    const d = `/sys/fs/cgroup/${cgroupRel(lab)}/${host}`;
    try {
      const text = readFileSync(`${d}/memory.stat`, 'utf8');
      const get = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      return { memoryBytes: get('anon') + get('shmem'), memoryUsageBytes: Number(readFileSync(`${d}/memory.current`, 'utf8')) };
    } catch {
      return {};
    }
  }
  const dir = `/sys/fs/cgroup/memory/${cgroupRel(lab)}/${host}`;
  try {
    const text = readFileSync(`${dir}/memory.stat`, 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { memoryBytes: get('total_rss') + get('total_shmem'), memoryUsageBytes: Number(readFileSync(`${dir}/memory.usage_in_bytes`, 'utf8')) };
  } catch {
    return {};
  }
}

export async function labStatus(): Promise<LabStatus[]> {
  if (!existsSync(LAB_ROOT)) return [];
  const out: LabStatus[] = [];
  for (const name of readdirSync(LAB_ROOT).sort()) {
    if (name.startsWith('.')) continue;
    const st = readState(name);
    if (!st) continue;
    const info = labInfo(st);
    const hosts = st.hosts.map((h) => {
      const running = cgroupDirs(name, h.name).slice(0, 1).some((d) => cgroupPids(d).some((p) => comm(p) === hostProcess(st)));
      return { name: h.name, address: h.address, running, ...(running ? memoryOf(name, h.name) : {}) };
    });
    const live = liveState(name);
    out.push({
      name,
      state: live ?? 'stale',
      init: st.init,
      subnet: info.subnet,
      inventoryPath: info.inventoryPath,
      hosts,
      proxyRunning: cgroupDirs(name, 'proxy').slice(0, 1).some((d) => cgroupPids(d).length > 0),
    });
  }
  return out;
}

/** LabInfo of a lab that is up. */
export function labInfoOf(name = 'default'): LabInfo {
  validateName(name);
  const st = readState(name);
  if (!st || st.status !== 'up') throw new LabError(`lab ${name} is not up (run \`tsplay lab up${name === 'default' ? '' : ` --name ${name}`}\`)`);
  return labInfo(st);
}

/** Find the lab and address of a host name (or address) across the labs that are up. */
export function findHost(host: string, name?: string): { info: LabInfo; host: LabHost } {
  const names = name ? [name] : existsSync(LAB_ROOT) ? readdirSync(LAB_ROOT).filter((n) => !n.startsWith('.')) : [];
  for (const n of names) {
    const st = readState(n);
    if (!st || st.status !== 'up') continue;
    const info = labInfo(st);
    const h = info.hosts.find((x) => x.name === host || x.address === host);
    if (h) return { info, host: h };
  }
  throw new LabError(`no lab host named ${host} is up`);
}

export function sshPath(): string {
  return which('ssh') ?? 'ssh';
}
