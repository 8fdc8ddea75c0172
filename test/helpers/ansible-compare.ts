// Run one playbook with ansible-playbook on one lab host and with tsplay on
// another, then compare what each left behind (issue 11, "How it is checked").
//
// A case is a directory holding a playbook (and the roles/ beside it). Both
// hosts start from the same fresh lab root with python3 and python3-apt (Ansible
// needs them; its apt module would otherwise install python3-apt itself). Then:
//   1. snapshot both hosts (before);
//   2. run 1: ansible-playbook on host A, tsplay on host B (at the same time);
//   3. snapshot both (after), each host's delta = what run 1 changed;
//   4. run 2 on both: the changed counts must match (Ansible's changed=0 holds for tsplay too).
// The end state is compared generically, not per role: every file, directory
// and link the run made, changed or removed (read from the host's overlay upper
// directory, against the lab's base for copied-up files: type, mode, owner,
// group, content hash, link target), the installed packages (dpkg's status) and
// the active systemd units. Host-specific text (the host's name and address) is
// normalised before hashing, noise is ignored (logs, caches, apt lists, /tmp,
// Python bytecode, Ansible's ~/.ansible, random keys packages generate).
//
// Used by test/lab/ansible-compat.test.ts (our role fixtures) and by the
// held-out measurement kept outside the project; `tsplayRoot` says which tsplay
// tree runs (this one by default), so a baseline can be taken from another.

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabInfo } from '../../engine/lab/index.js';
import { sshArgs } from '../../engine/lab/lab.js';
import { quoteArgv } from '../../engine/host/shell.js';
import { ansibleReference } from './ansible-reference.js';
import { tsplayCommand } from './tsplay-command.js';

export const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
const HERE_ROOT = join(import.meta.dirname ?? '', '..', '..');
const HARNESS_SOURCE = fileURLToPath(import.meta.url);
const REFERENCE_SOURCE = fileURLToPath(new URL('./ansible-reference.ts', import.meta.url));

// ---------------------------------------------------------------- end-state snapshots

/** One file-system entry as the comparison sees it. */
export interface Entry {
  type: 'file' | 'dir' | 'link' | 'other' | 'deleted';
  mode?: string;
  owner?: string;
  group?: string;
  /** sha256 of the (normalised) content, files only. */
  hash?: string;
  size?: number;
  target?: string;
}

export interface Snapshot {
  /** path -> entry, for every path present in the overlay's upper dir. */
  files: Map<string, Entry>;
  /** Installed packages (name:arch). */
  packages: Set<string>;
  /** Active systemd units (services, sockets, timers). */
  units: Set<string>;
}

/** What one run changed on one host, relative to its before-snapshot. */
export interface Delta {
  files: Map<string, Entry>;
  packagesAdded: string[];
  packagesRemoved: string[];
  unitsStarted: string[];
  unitsStopped: string[];
}

/** Paths whose content is noise for an end-state comparison. */
export const IGNORED: RegExp[] = [
  /^\/(tmp|var\/tmp|run|proc|sys|dev)(\/|$)/,
  /^\/var\/log(\/|$)/,
  /^\/var\/cache(\/|$)/,
  /^\/var\/backups(\/|$)/,
  /^\/var\/lib\/apt(\/|$)/,
  /^\/var\/lib\/dpkg(\/|$)/, // compared as the package list instead
  /^\/var\/lib\/systemd(\/|$)/, // random seed, timer stamps, helper bookkeeping (enablement is compared in /etc)
  /^\/var\/lib\/ucf(\/|$)/,
  /^\/var\/lib\/logrotate\/status$/,
  /^\/var\/lib\/sudo(\/|$)/,
  /^\/var\/lib\/private(\/|$)/,
  /^\/var\/lib\/dhcp(\/|$)/,
  /^\/var\/lib\/python(\/|$)/,
  /^\/var\/mail(\/|$)/,
  /(^|\/)__pycache__(\/|$)/,
  /\.pyc$/,
  /^\/root\/\.(ansible|cache|lesshst|bash_history|wget-hsts|viminfo)(\/|$)/,
  /^\/etc\/ld\.so\.cache$/,
  /^\/etc\/\.pwd\.lock$/,
  /^\/etc\/machine-id$/,
  /^\/etc\/ssh\/ssh_host_/,
  /^\/etc\/ssl\/private\/ssl-cert-snakeoil\.key$/,
  /^\/etc\/ssl\/certs\/ssl-cert-snakeoil\.pem$/,
  /^\/etc\/ssl\/certs\/[0-9a-f]{8}\.\d+$/, // hash links: the snakeoil certificate's is random per host
  /^\/var\/lib\/postfix\/(master\.lock|prng_exch)$/, // the master's PID, random bytes
  /^\/var\/spool\/postfix\/pid\/master\.pid$/, // the master's PID again (in the chroot)
  /^\/var\/spool\/postfix\/(etc|lib)\//, // the chroot's copies of the host's own /etc files (hosts, resolv.conf...)
  /^\/var\/lib\/samba\/private\/secrets\.tdb$/, // the machine's random secrets
  /^\/var\/lib\/redis\/dump\.rdb$/, // redis's snapshot records its save time
  /^\/var\/lib\/fail2ban\/fail2ban\.sqlite3$/, // fail2ban's runtime database (bans, its own start times)
  /^\/etc\/aliases\.db$/, // Berkeley DB pages keep stale bytes; /etc/aliases itself is compared
  /^\/etc\/sasldb2$/, // sasl2-bin's postinst makes it with saslpasswd2: Berkeley DB, a random file ID and stale pages holding the host's name
  /^\/etc\/(passwd|group|shadow|gshadow)-$/, // backups shadow-utils writes
  /^\/etc\/(subuid|subgid)-$/,
];

export const ignored = (path: string): boolean => IGNORED.some((r) => r.test(path));

/** Where a lab host's overlay lives on this machine. */
export function hostDirs(info: LabInfo, host: string): { upper: string; root: string; lower: string } {
  const state = JSON.parse(readFileSync(join(info.stateDir, 'state.json'), 'utf8')) as { base: string };
  const dir = join(info.stateDir, 'hosts', host);
  return { upper: join(dir, 'upper'), root: join(dir, 'root'), lower: state.base };
}

function idNames(file: string): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3) m.set(Number(f[2]), f[0]);
    }
  } catch {
    /* absent */
  }
  return m;
}

/**
 * Replace a host's own name and address in text (templates render them), as whole words only:
 * host cmpb1 must not turn gcc's `cmpb128` into `<HOST>28`, nor address .1 turn .11 into `<ADDRESS>1`.
 */
export function normalise(text: Buffer, subst: [string, string][]): Buffer {
  if (text.length > 4 << 20 || text.subarray(0, 8192).includes(0)) return text;
  let s = text.toString('latin1');
  for (const [from, to] of subst) s = s.replace(new RegExp(`(?<![A-Za-z0-9_])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'g'), to);
  return Buffer.from(s, 'latin1');
}

function entryOf(path: string, st: Stats, users: Map<number, string>, groups: Map<number, string>, subst: [string, string][]): Entry {
  if (st.isCharacterDevice() && st.rdev === 0) return { type: 'deleted' }; // overlay whiteout
  const base = {
    mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    owner: users.get(st.uid) ?? String(st.uid),
    group: groups.get(st.gid) ?? String(st.gid),
  };
  if (st.isDirectory()) return { type: 'dir', ...base };
  if (st.isSymbolicLink()) return { type: 'link', ...base, mode: undefined, target: readlinkSync(path) };
  if (st.isFile()) {
    const content = normalise(readFileSync(path), subst);
    return { type: 'file', ...base, size: content.length, hash: createHash('sha256').update(content).digest('hex').slice(0, 16) };
  }
  return { type: 'other', ...base };
}

/** Every entry of a host's upper dir (the host's changes to the base), noise left out. */
export function walkUpper(upper: string, root: string, subst: [string, string][]): Map<string, Entry> {
  const users = idNames(join(root, 'etc/passwd'));
  const groups = idNames(join(root, 'etc/group'));
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(upper, rel));
    } catch {
      return;
    }
    for (const n of names) {
      const p = `${rel}/${n}`;
      if (ignored(p)) continue;
      let st: Stats;
      try {
        st = lstatSync(join(upper, p));
      } catch {
        continue;
      }
      out.set(p, entryOf(join(upper, p), st, users, groups, subst));
      if (st.isDirectory()) walk(p);
    }
  };
  walk('');
  return out;
}

/** The base's entry for a path (what the host shows when the upper dir does not hold it). */
function lowerEntry(lower: string, root: string, path: string, subst: [string, string][]): Entry | undefined {
  try {
    const st = lstatSync(join(lower, path));
    return entryOf(join(lower, path), st, idNames(join(root, 'etc/passwd')), idNames(join(root, 'etc/group')), subst);
  } catch {
    return undefined;
  }
}

function installedPackages(root: string): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8');
  } catch {
    return out;
  }
  for (const para of text.split(/\n\n+/)) {
    const name = /^Package: (.+)$/m.exec(para)?.[1];
    const status = /^Status: (.+)$/m.exec(para)?.[1];
    const arch = /^Architecture: (.+)$/m.exec(para)?.[1];
    if (name && status?.endsWith(' installed')) out.add(`${name}:${arch ?? ''}`);
  }
  return out;
}

/** ssh to a lab host with the lab's key; stdout (rejects on a non-zero exit). */
export function hostRun(info: LabInfo, host: string, command: string, timeoutMs = 600_000): Promise<string> {
  const h = info.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no lab host ${host}`);
  return new Promise((resolve, reject) => {
    execFile('ssh', [...sshArgs(info, h.address), command], { maxBuffer: 64 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${host}: ${command}: ${err.message}\n${String(stderr)}`));
      else resolve(String(stdout));
    });
  });
}

async function activeUnits(info: LabInfo, host: string): Promise<Set<string>> {
  const out = await hostRun(info, host, 'systemctl list-units --type=service,socket,timer --state=active --plain --no-legend --no-pager || true');
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((u) => u && !u.startsWith('user@') && !u.startsWith('session-')));
}

/** The substitutions that make one host's text comparable with another's. */
export function hostSubst(info: LabInfo, host: string): [string, string][] {
  const h = info.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no lab host ${host}`);
  return [[h.address, '<ADDRESS>'], [h.name, '<HOST>']];
}

export async function snapshot(info: LabInfo, host: string): Promise<Snapshot> {
  const d = hostDirs(info, host);
  return { files: walkUpper(d.upper, d.root, hostSubst(info, host)), packages: installedPackages(d.root), units: await activeUnits(info, host) };
}

const sameEntry = (a: Entry | undefined, b: Entry | undefined): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** What changed between two snapshots of one host (copied-up entries equal to the base are not changes). */
export function deltaOf(before: Snapshot, after: Snapshot, base?: { lower: string; root: string; subst: [string, string][] }): Delta {
  const files = new Map<string, Entry>();
  const paths = new Set([...before.files.keys(), ...after.files.keys()]);
  for (const p of paths) {
    const inBase = () => (base ? lowerEntry(base.lower, base.root, p, base.subst) : undefined);
    const was = before.files.get(p) ?? inBase();
    const now = after.files.get(p) ?? inBase();
    const wasX = was?.type === 'deleted' ? undefined : was;
    const nowX = now?.type === 'deleted' ? undefined : now;
    if (sameEntry(wasX, nowX)) continue;
    files.set(p, nowX ?? { type: 'deleted' });
  }
  const diff = <T>(a: Set<T>, b: Set<T>) => [...a].filter((x) => !b.has(x)).sort();
  return {
    files,
    packagesAdded: diff(after.packages, before.packages),
    packagesRemoved: diff(before.packages, after.packages),
    unitsStarted: diff(after.units, before.units),
    unitsStopped: diff(before.units, after.units),
  };
}

export function describe(e: Entry | undefined): string {
  if (!e) return 'unchanged';
  if (e.type === 'deleted') return 'removed';
  const own = `${e.owner}:${e.group}`;
  if (e.type === 'link') return `link -> ${e.target} (${own})`;
  if (e.type === 'dir') return `dir ${e.mode} ${own}`;
  if (e.type === 'file') return `file ${e.mode} ${own} ${e.size} bytes sha256:${e.hash}`;
  return `special ${e.mode} ${own}`;
}

/** A first differing line of two text files, for the report. */
function firstLineDiff(a: string, b: string): string | undefined {
  let pa: Buffer, pb: Buffer;
  try {
    pa = readFileSync(a);
    pb = readFileSync(b);
  } catch {
    return undefined;
  }
  if (pa.includes(0) || pb.includes(0)) return undefined;
  const la = pa.toString('utf8').split('\n');
  const lb = pb.toString('utf8').split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: ansible ${JSON.stringify(la[i] ?? '<end of file>')} vs tsplay ${JSON.stringify(lb[i] ?? '<end of file>')}`;
  }
  return undefined;
}

export interface Difference {
  what: string;
  ansible: string;
  tsplay: string;
  detail?: string;
}

/** Differences between Ansible's delta (host A) and tsplay's (host B). */
export function compareDeltas(a: Delta, b: Delta, roots?: { a: string; b: string }): Difference[] {
  const out: Difference[] = [];
  const paths = [...new Set([...a.files.keys(), ...b.files.keys()])].sort();
  for (const p of paths) {
    const ea = a.files.get(p);
    const eb = b.files.get(p);
    if (sameEntry(ea, eb)) continue;
    const detail = ea?.type === 'file' && eb?.type === 'file' && roots ? firstLineDiff(join(roots.a, p), join(roots.b, p)) : undefined;
    out.push({ what: p, ansible: describe(ea), tsplay: describe(eb), detail });
  }
  const sets: [string, string[], string[]][] = [
    ['package installed', a.packagesAdded, b.packagesAdded],
    ['package removed', a.packagesRemoved, b.packagesRemoved],
    ['unit started', a.unitsStarted, b.unitsStarted],
    ['unit stopped', a.unitsStopped, b.unitsStopped],
  ];
  for (const [what, xa, xb] of sets) {
    for (const x of xa) if (!xb.includes(x)) out.push({ what: `${what}: ${x}`, ansible: 'yes', tsplay: 'no' });
    for (const x of xb) if (!xa.includes(x)) out.push({ what: `${what}: ${x}`, ansible: 'no', tsplay: 'yes' });
  }
  return out;
}

// ---------------------------------------------------------------- running both tools

export interface ToolRun {
  code: number;
  /** changed count from the recap; undefined when there was none (load error). */
  changed?: number;
  failed?: number;
  output: string;
  ms: number;
}

/** An inventory both tools read: the one host, how to reach it, and nothing else. */
export function inventoryFor(info: LabInfo, host: string): string {
  const h = info.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no lab host ${host}`);
  const q = (s: string) => JSON.stringify(s);
  return [
    'all:',
    '  hosts:',
    `    ${h.name}:`,
    `      ansible_host: ${q(h.address)}`,
    '      ansible_user: root',
    `      ansible_ssh_private_key_file: ${q(info.keyFile)}`,
    `      tsplay_known_hosts_file: ${q(info.knownHostsFile)}`,
    '      ansible_python_interpreter: /usr/bin/python3',
    '',
  ].join('\n');
}

function runProcess(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number; out: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => { out += String(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 99, out, ms: Date.now() - t0 });
    });
  });
}

export async function runAnsible(info: LabInfo, host: string, playbook: string, timeoutMs = 900_000): Promise<ToolRun> {
  const work = mkdtempSync(join(tmpdir(), 'compat-ansible-'));
  const inv = join(work, 'inventory.yml');
  writeFileSync(inv, inventoryFor(info, host));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_LOCAL_TEMP: join(work, 'tmp'),
    ANSIBLE_SSH_ARGS: [
      '-o', `UserKnownHostsFile=${info.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'KexAlgorithms=curve25519-sha256', '-o', 'ControlMaster=auto', '-o', 'ControlPersist=60s', '-o', 'IdentitiesOnly=yes',
    ].join(' '),
    ANSIBLE_CONTROL_PATH_DIR: join(work, 'cp'),
  };
  const r = await runProcess(ANSIBLE_PLAYBOOK, ['-i', inv, basename(playbook)], { cwd: dirname(playbook), env, timeoutMs });
  const m = new RegExp(`^${host}\\s+:\\s+(ok=.*)$`, 'm').exec(r.out);
  const counts = m ? Object.fromEntries([...m[1].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])])) : undefined;
  return { code: r.code, changed: counts?.changed, failed: counts ? counts.failed + counts.unreachable : undefined, output: r.out, ms: r.ms };
}

/** tsplay from a tree (its bundle when built, else engine/cli/cli.ts through tsx: tsplayCommand), `--output json`. */
export async function runTsplay(info: LabInfo, host: string, playbook: string, tsplayRoot = HERE_ROOT, timeoutMs = 900_000): Promise<ToolRun> {
  const work = mkdtempSync(join(tmpdir(), 'compat-tsplay-'));
  const inv = join(work, 'inventory.yml');
  writeFileSync(inv, inventoryFor(info, host));
  const r = await runProcess(process.execPath, [...tsplayCommand(tsplayRoot), 'run', playbook, '-i', inv, '--output', 'json'], {
    cwd: tsplayRoot, env: { ...process.env, NO_COLOR: '1' }, timeoutMs,
  });
  return { code: r.code, ...readTsplayOutput(r.out, host), ms: r.ms };
}

/**
 * The recap counts of one host from tsplay's `--output json`, and the text a report shows:
 * host results, warnings, the recap and errors (a load refusal's message and place), besides any plain lines.
 */
export function readTsplayOutput(out: string, host: string): { changed?: number; failed?: number; output: string } {
  let changed: number | undefined;
  let failed: number | undefined;
  const text: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('{')) {
      try {
        const e = JSON.parse(line) as { kind: string; hosts?: Record<string, { changed: number; failed: number; unreachable: number }> };
        if (e.kind === 'recap' && e.hosts?.[host]) {
          changed = e.hosts[host].changed;
          failed = e.hosts[host].failed + e.hosts[host].unreachable;
        }
        if (e.kind === 'host_result' || e.kind === 'recap' || e.kind === 'warning' || e.kind === 'error') text.push(line);
        continue;
      } catch {
        /* not an event */
      }
    }
    text.push(line);
  }
  return { changed, failed, output: text.join('\n') };
}

// ---------------------------------------------------------------- one case

export interface CaseResult {
  name: string;
  ansible1: ToolRun;
  ansible2?: ToolRun;
  tsplay1: ToolRun;
  tsplay2?: ToolRun;
  /** tsplay did not refuse the playbook at load (exit code 4 or 5). */
  tsplayLoads: boolean;
  ansibleOk: boolean;
  ansibleIdempotent: boolean;
  tsplayOk: boolean;
  sameEndState: boolean;
  /** tsplay's second run changed as much as Ansible's (0 when Ansible's is 0). */
  tsplayIdempotent: boolean;
  differences: Difference[];
  verdict: 'same' | 'different' | 'ansible-failed';
}

export interface CaseOptions {
  /** Host for ansible-playbook and host for tsplay; both fresh. */
  ansibleHost: string;
  tsplayHost: string;
  tsplayRoot?: string;
  log?: (line: string) => void;
  /**
   * Keep Ansible's side in the reference cache (test/helpers/ansible-reference.ts), keyed by
   * `inputs` (what the playbook's outcome depends on: see labInputs) and the content of `files`
   * (the playbook and what it reads). `prepare` readies the Ansible host; it runs only when
   * Ansible's side is not cached. Without `reference`, Ansible always runs.
   */
  reference?: { inputs: unknown; files: string[]; prepare?: () => Promise<void> };
}

/** Prepare a fresh lab host for a case: apt lists and what Ansible needs on the target. */
/**
 * What prepareHost installs, for labUp's `packages`: hosts that start with them (a cached copy of
 * the lab base) spend 3.5 s of CPU in prepareHost (apt-get update) rather than 10 s.
 */
export const PREPARED_PACKAGES: readonly string[] = ['python3', 'python3-apt'];

/** Fresh apt lists, python3 and python3-apt (a no-op install on a lab up with PREPARED_PACKAGES). */
export async function prepareHost(info: LabInfo, host: string): Promise<void> {
  await hostRun(info, host, `export DEBIAN_FRONTEND=noninteractive; apt-get -q update >/dev/null && apt-get -q -y install ${PREPARED_PACKAGES.join(' ')} >/dev/null`);
}

/** Tail of a run's output for a report. */
export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** What one tool's side of a case gave: its two runs and what run 1 changed on its host. */
export interface SideRuns {
  run1: ToolRun;
  run2?: ToolRun;
  delta: Delta;
  /** The version of each package run 1 installed. */
  versions: Record<string, string>;
}

/** One tool on one fresh host: snapshot, run 1, snapshot (the delta), and run 2 when run 1 succeeded. */
async function runSide(info: LabInfo, host: string, run: () => Promise<ToolRun>): Promise<SideRuns> {
  const d = hostDirs(info, host);
  const before = await snapshot(info, host);
  const run1 = await run();
  const after = await snapshot(info, host);
  const delta = deltaOf(before, after, { lower: d.lower, root: d.root, subst: hostSubst(info, host) });
  const installed = packageVersions(d.root);
  const versions = Object.fromEntries(delta.packagesAdded.map((p) => [p.split(':')[0], installed.get(p) ?? '']));
  const run2 = run1.code === 0 ? await run() : undefined;
  return { run1, run2, delta, versions };
}

/** name:arch -> version of every installed package. */
function packageVersions(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const para of readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8').split(/\n\n+/)) {
    const name = /^Package: (.+)$/m.exec(para)?.[1];
    const arch = /^Architecture: (.+)$/m.exec(para)?.[1];
    const version = /^Version: (.+)$/m.exec(para)?.[1];
    if (name && version) out.set(`${name}:${arch ?? ''}`, version);
  }
  return out;
}

/** Would the host install today the versions a cached run installed? (apt's candidates, after the host's apt-get update) */
export async function sameCandidates(info: LabInfo, host: string, versions: Record<string, string>): Promise<boolean> {
  const names = Object.keys(versions);
  if (!names.length) return true;
  const out = await hostRun(info, host, quoteArgv(['apt-cache', 'policy', '--', ...names]));
  const candidates = new Map<string, string>();
  let current = '';
  for (const line of out.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) current = head[1];
    const c = /^\s+Candidate: (.+)$/.exec(line);
    if (c && current) candidates.set(current, c[1]);
  }
  return names.every((n) => candidates.get(n) === versions[n]);
}

/**
 * What Ansible's side of a lab case depends on besides the playbook and the package versions
 * (checked apart, see sameCandidates): the lab's base image, and the day (UTC), which
 * /etc/shadow's last-change field records for every user a run makes.
 */
export function labInputs(info: LabInfo, host: string): { base: string; day: string } {
  return { base: basename(hostDirs(info, host).lower), day: new Date().toISOString().slice(0, 10) };
}

export async function compareCase(info: LabInfo, name: string, playbook: string, opts: CaseOptions): Promise<CaseResult> {
  const log = opts.log ?? (() => {});
  const A = opts.ansibleHost;
  const B = opts.tsplayHost;
  log(`${name}: ansible on ${A}, tsplay on ${B}`);
  const ansibleSide = async (): Promise<SideRuns> => {
    await opts.reference?.prepare?.();
    return runSide(info, A, () => runAnsible(info, A, playbook));
  };
  const [a, t] = await Promise.all([
    opts.reference
      ? ansibleReference('ansible-compat', opts.reference.inputs, [HARNESS_SOURCE, REFERENCE_SOURCE, ...opts.reference.files], ansibleSide,
        (cached) => sameCandidates(info, B, cached.versions)).then((r) => {
        if (r.cached) log(`${name}: Ansible's side read from the reference cache (${r.key})`);
        return r.value;
      })
      : ansibleSide(),
    runSide(info, B, () => runTsplay(info, B, playbook, opts.tsplayRoot)),
  ]);
  const { run1: ansible1, run2: ansible2 } = a;
  const { run1: tsplay1, run2: tsplay2 } = t;
  const ansibleOk = ansible1.code === 0;
  const tsplayLoads = tsplay1.code !== 4 && tsplay1.code !== 5;
  const tsplayOk = tsplay1.code === 0;
  const differences = compareDeltas(a.delta, t.delta, { a: hostDirs(info, A).root, b: hostDirs(info, B).root });
  const ansibleIdempotent = ansible2 !== undefined && ansible2.code === 0 && ansible2.changed === 0;
  const tsplayIdempotent = tsplay2 !== undefined && tsplay2.code === 0 && ansible2 !== undefined && tsplay2.changed === ansible2.changed;
  const sameEndState = tsplayOk && differences.length === 0;
  return {
    name, ansible1, ansible2, tsplay1, tsplay2, tsplayLoads, ansibleOk, ansibleIdempotent, tsplayOk, sameEndState, tsplayIdempotent, differences,
    verdict: !ansibleOk ? 'ansible-failed' : sameEndState && tsplayIdempotent ? 'same' : 'different',
  };
}

/** The verdict line of a case and, when it is not the same, why (first differences, the failing run's tail). */
export function formatResult(r: CaseResult, maxDiffs = 8): string {
  const a2 = r.ansible2?.changed ?? '-';
  const t2 = r.tsplay2?.changed ?? '-';
  const head =
    r.verdict === 'same'
      ? `SAME      ${r.name}: same end state as Ansible, idempotent (changed ${r.ansible1.changed}/${a2} both)`
      : r.verdict === 'ansible-failed'
        ? `ANSIBLE-FAILED ${r.name}: ansible-playbook exit ${r.ansible1.code}`
        : `DIFFERENT ${r.name}: tsplay ${!r.tsplayLoads ? 'refuses it at load' : !r.tsplayOk ? `exit ${r.tsplay1.code}` : 'runs'}; ` +
          `end state ${r.sameEndState ? 'same' : `${r.differences.length} difference(s)`}; ` +
          `changed run1 ansible ${r.ansible1.changed ?? '-'} tsplay ${r.tsplay1.changed ?? '-'}, run2 ansible ${a2} tsplay ${t2}`;
  const lines = [head];
  if (r.verdict === 'ansible-failed') lines.push(indent(tail(r.ansible1.output)));
  if (r.verdict === 'different') {
    if (!r.tsplayOk) lines.push(indent(tail(r.tsplay1.output, 8)));
    for (const d of r.differences.slice(0, maxDiffs)) {
      lines.push(`    ${d.what}: ansible ${d.ansible}; tsplay ${d.tsplay}${d.detail ? `; ${d.detail}` : ''}`);
    }
    if (r.differences.length > maxDiffs) lines.push(`    ... and ${r.differences.length - maxDiffs} more`);
    if (r.tsplayOk && !r.tsplayIdempotent) lines.push(`    second run: ansible changed=${a2}, tsplay changed=${t2}`);
  }
  return lines.join('\n');
}

const indent = (s: string) => s.split('\n').map((l) => `    | ${l}`).join('\n');

export function summary(results: CaseResult[]): string {
  const same = results.filter((r) => r.verdict === 'same').length;
  return `${same} of ${results.length} roles: same end state as Ansible, idempotent`;
}

/** Does this machine have what the comparison needs besides a lab? */
export function ansibleMissing(): string | undefined {
  return existsSync(ANSIBLE_PLAYBOOK) ? undefined : `${ANSIBLE_PLAYBOOK} (Debian's ansible-core)`;
}
