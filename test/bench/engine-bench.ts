// npm run bench:engine — N hosts x M no-op tasks through the whole engine, next to
// the raw cost of one command round trip measured in the same run.
//
//   local: hosts with ansible_connection=local (each command is a /bin/sh spawn)
//   ssh:   a lab (tsplay lab up), one connection per inventory host; the 100-host
//          run points 100 inventory names at the lab's hosts (100 SSH connections)
//
//   job:   the bundled job (--check, first run, rerun) for tsplay and for the
//          stock-Ansible playbook in test/bench/ansible-live-migration/, each on a
//          fresh 3-host lab, interleaved (test/bench/job-bench.ts)
//
// The no-op task is `ping` (as Ansible's: the host runs `true`): one round trip,
// no change. The many-host runs are also measured with a read task, `stat` on
// an existing path, whose host side is mostly the `stat` process's own start
// (1.5 to 2.5 ms of host CPU per task on a lab host, by load, against about 0.4 for ping).
// Every figure carries the 1-minute load average at its start (the machine is shared).
// Options: --hosts N --tasks M --ssh-hosts N --no-ssh --lab NAME
//          --only local,ssh|noop,job (default local,ssh; job takes minutes per round)
//          --rounds N (job rounds, default 1) --job-lab NAME --json FILE
//          --only light --light-hosts N (default 1000): the no-op run, the logins alone
//          (one task) and the read run on N light lab hosts (tsplay lab up N --light),
//          brought up and taken down here
//
// Connections kept between runs (ControlPersist, engine/connection/connection-holder.ts):
// the runs here log in every time (TSPLAY_CONTROL_PERSIST=0), as before the holder,
// except the rows that say "held": those run a second time right after a first
// run that left its connections with the holder, as Ansible's default
// ControlPersist=60s would between two runs. The holder's CPU and memory are
// counted as the controller's. The job part uses tsplay's default (held), as
// Ansible uses its own.

import { parseArgs } from 'node:util';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../engine/load/playbook.js';
import { loadRegistry } from '../../engine/load/registry.js';
import { Runner } from '../../engine/run/runner.js';
import { LocalConnection } from '../../engine/connection/local-connection.js';
import { SshConnection } from '../../engine/connection/ssh-connection.js';
import { connectionSettings } from '../../engine/inventory/inventory.js';
import type { RunEvent } from '../../engine/report/events.js';
import { measureRoundTrip } from './ssh-roundtrip.js';
import { jobBench, jobSummary, type StepTime } from './job-bench.js';
import { labCpuMs } from '../../engine/lab/index.js';
import { holderPids, procCpuMs, procRssAndFds, stopHolders } from '../helpers/holder-procs.js';

const { values: o } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100' },
    tasks: { type: 'string', default: '20' },
    'ssh-hosts': { type: 'string', default: '100' },
    'no-ssh': { type: 'boolean' },
    lab: { type: 'string', default: 'bench' },
    only: { type: 'string', default: 'local,ssh' },
    rounds: { type: 'string', default: '1' },
    'job-lab': { type: 'string', default: 'benchjob' },
    json: { type: 'string' },
    'light-hosts': { type: 'string', default: '1000' },
    'light-lab': { type: 'string', default: 'benchlight' },
  },
});

const PARTS = ['local', 'ssh', 'job', 'light'] as const;
// `noop` is another name for `ssh` (the round trip, per-task and the 100-host no-op run).
const only = new Set(o.only.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (x === 'noop' ? 'ssh' : x)));
for (const p of only) {
  if (!(PARTS as readonly string[]).includes(p)) {
    console.error(`--only: unknown part ${JSON.stringify(p)} (parts: ${PARTS.join(', ')})`);
    process.exit(5);
  }
}
if (o['no-ssh']) only.delete('ssh');

const M = Number(o.tasks);

// This benchmark's own connection holder, and cold runs unless a run asks for held connections.
const CONTROL_DIR = mkdtempSync(join(tmpdir(), 'tsplay-bench-cp-'));
process.env.TSPLAY_CONTROL_PATH_DIR = CONTROL_DIR;
process.env.TSPLAY_CONTROL_PERSIST = '0';

/** What each task of a run is: the no-op (`ping`), or a read (`stat /`). */
type TaskKind = 'noop' | 'read';
const TASK_TEXT: Record<TaskKind, string> = { noop: 'ping: {}', read: 'stat: { path: / }' };

function playbookText(tasks: number, kind: TaskKind): string {
  const lines = ['- hosts: all', '  gather_facts: false', '  tasks:'];
  for (let i = 0; i < tasks; i++) lines.push(`    - name: ${kind} ${i}`, `      ${TASK_TEXT[kind]}`);
  return lines.join('\n') + '\n';
}

interface Figures {
  hosts: number;
  tasks: number;
  wallMs: number;
  tasksPerSec: number;
  perTaskPerHostMs: number;
  failed: number;
  maxRssMb: number;
  maxFds: number;
  /** Controller CPU (user + system: this process and the connection holder's) over the run, per host-task. */
  cpuPerHostTaskMs: number;
  /** The connection holder's share of it, per host-task (held runs). */
  holderCpuPerHostTaskMs?: number;
  /** 1-minute load average when the run started. */
  load: number;
  /** The lab's CPU (its hosts' sshds and shells, engine/lab labCpuMs) over the run, per host-task; undefined without a lab. */
  hostCpuPerHostTaskMs?: number;
  /**
   * The shortest wall the run could take on this machine: all the CPU it used
   * (the controller's and the lab's) spread over every core. A wall near it means
   * the machine's CPU, not waiting, set the time.
   */
  cpuFloorMs?: number;
}

/** One line of the results table (and of --json). */
interface Row {
  part: string;
  what: string;
  value: number;
  unit: string;
  note?: string;
  load: number;
}
const rows: Row[] = [];
function row(part: string, what: string, value: number, unit: string, load: number, note?: string): void {
  rows.push({ part, what, value, unit, load, ...(note ? { note } : {}) });
}

/**
 * The machine's busy share of CPU time over `ms` (from /proc/stat), waiting
 * for I/O counted as busy: a thousand light hosts that have just started keep
 * the disk busy while the CPUs look idle (load 170 with the CPUs 80 % "idle").
 */
async function busyShare(ms: number): Promise<number> {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3], total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

/** Processes running or blocked on I/O now (from /proc/stat). */
function runnable(): number {
  const stat = readFileSync('/proc/stat', 'utf8');
  const n = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
  return n('procs_running') + n('procs_blocked');
}

/**
 * Wait until the machine is mostly idle (busy, I/O wait included, under 20 %
 * over a second, and at most 4 processes running or blocked; at most 3
 * minutes): a thousand sshds that have just started keep the machine busy for
 * a while after `lab up` returns, and a run measured then measures them too.
 */
async function settle(): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 180_000 && ((await busyShare(1000)) > 0.2 || runnable() > 4));
  return (performance.now() - t0) / 1000;
}

function fdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

async function runBench(inventoryText: string, hosts: number, tasks: number, forks: number, kind: TaskKind = 'noop', lab?: string, held = false): Promise<Figures> {
  if (!held) return runBenchOnce(inventoryText, hosts, tasks, forks, kind, lab, false);
  process.env.TSPLAY_CONTROL_PERSIST = '60';
  try {
    return await runBenchOnce(inventoryText, hosts, tasks, forks, kind, lab, true);
  } finally {
    process.env.TSPLAY_CONTROL_PERSIST = '0';
  }
}

async function runBenchOnce(inventoryText: string, hosts: number, tasks: number, forks: number, kind: TaskKind, lab: string | undefined, held: boolean): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-bench-'));
  writeFileSync(join(dir, 'inv.yml'), inventoryText);
  writeFileSync(join(dir, 'p.yml'), playbookText(tasks, kind));
  const inventory = await loadInventory([join(dir, 'inv.yml')]);
  const registry = await loadRegistry();
  const pb = await loadPlaybook(join(dir, 'p.yml'), registry);
  let failed = 0;
  let maxRss = 0;
  let maxFds = 0;
  // A held run counts the holder's memory, open files and CPU with this process's.
  let holders = held ? holderPids(CONTROL_DIR) : [];
  const holderCpu0 = new Map(holders.map((p) => [p, procCpuMs(p)]));
  const sample = setInterval(() => {
    if (held && !holders.length) holders = holderPids(CONTROL_DIR);
    const h = holders.map(procRssAndFds);
    maxRss = Math.max(maxRss, process.memoryUsage().rss + h.reduce((a, x) => a + x.rssBytes, 0));
    maxFds = Math.max(maxFds, fdCount() + h.reduce((a, x) => a + x.fds, 0));
  }, 50);
  const runner = new Runner({
    inventory, registry, check: false, diff: false, forks, strategy: 'linear', tags: [], skipTags: [], extraVars: {}, verbosity: 0,
    emit: (e: RunEvent) => {
      if (e.kind === 'host_result' && (e.status === 'failed' || e.status === 'unreachable')) {
        if (failed++ < 3) console.error(`  ${e.host}: ${e.status}: ${e.msg}`);
      }
    },
  });
  const load = loadavg()[0];
  const lab0 = lab ? labCpuMs(lab) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runner.run([pb]);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const lab1 = lab ? labCpuMs(lab) : undefined;
  clearInterval(sample);
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  if (held) for (const p of holderPids(CONTROL_DIR)) if (!holders.includes(p)) holders.push(p);
  const holderMs = holders.reduce((a, p) => a + procCpuMs(p) - (holderCpu0.get(p) ?? 0), 0);
  const controllerMs = (cpu.user + cpu.system) / 1000 + holderMs;
  const hostMs = lab0 !== undefined && lab1 !== undefined ? lab1 - lab0 : undefined;
  return {
    hosts, tasks, wallMs, tasksPerSec: (hosts * tasks) / (wallMs / 1000),
    perTaskPerHostMs: wallMs / tasks, failed, maxRssMb: maxRss / 1048576, maxFds,
    cpuPerHostTaskMs: controllerMs / (hosts * tasks), load,
    ...(held ? { holderCpuPerHostTaskMs: holderMs / (hosts * tasks) } : {}),
    ...(hostMs !== undefined ? { hostCpuPerHostTaskMs: hostMs / (hosts * tasks), cpuFloorMs: (controllerMs + hostMs) / availableParallelism() } : {}),
  };
}

/** The rows that say whose CPU the run used, and the wall that CPU alone sets (when the lab's CPU was read). */
function cpuRows(part: string, what: string, f: Figures, how: string): void {
  if (f.hostCpuPerHostTaskMs === undefined || f.cpuFloorMs === undefined) return;
  row(part, `${what}: lab hosts' CPU per host-task (sshd, shell; connections included)`, f.hostCpuPerHostTaskMs, 'ms', f.load, how);
  row(part, `${what}: CPU floor (controller + lab CPU / ${availableParallelism()} cores)`, f.cpuFloorMs / 1000, 's', f.load, `${how}; wall ${(f.wallMs / 1000).toFixed(2)} s`);
}

function show(label: string, f: Figures, rawMs?: number): void {
  const ratio = rawMs ? `  = ${(f.perTaskPerHostMs / rawMs).toFixed(2)}x one round trip (${rawMs.toFixed(2)} ms)` : '';
  const hostCpu = f.hostCpuPerHostTaskMs !== undefined && f.cpuFloorMs !== undefined ? `, lab hosts ${f.hostCpuPerHostTaskMs.toFixed(2)} ms, CPU floor ${(f.cpuFloorMs / 1000).toFixed(2)} s` : '';
  console.log(`${label.padEnd(34)} ${f.hosts} hosts x ${f.tasks} tasks: ${(f.wallMs / 1000).toFixed(2)} s, ${f.tasksPerSec.toFixed(0)} tasks/s, ${f.perTaskPerHostMs.toFixed(2)} ms per task step${ratio}; CPU ${f.cpuPerHostTaskMs.toFixed(2)} ms per host-task${hostCpu}; failed ${f.failed}; max RSS ${f.maxRssMb.toFixed(0)} MB; max fds ${f.maxFds}; load ${f.load.toFixed(1)}`);
  if (f.failed) throw new Error(`${label}: ${f.failed} host-task(s) failed: the figures are not valid`);
}

async function localBench(): Promise<void> {
  const raw = await measureRoundTrip(new LocalConnection('local'), 50);
  const inv = (n: number) => `all:\n  vars: { ansible_connection: local }\n  hosts:\n${Array.from({ length: n }, (_, i) => `    local${i + 1}:\n`).join('')}`;
  const f1 = await runBench(inv(1), 1, M, 1);
  show('local, 1 host', f1, raw.perExecMs);
  row('local', `per task, 1 host (${M} no-op tasks)`, f1.perTaskPerHostMs, 'ms', f1.load, `${(f1.perTaskPerHostMs / raw.perExecMs).toFixed(2)}x one /bin/sh spawn (${raw.perExecMs.toFixed(2)} ms)`);
  const fn = await runBench(inv(Number(o.hosts)), Number(o.hosts), M, 20);
  show(`local, ${o.hosts} hosts, forks 20`, fn);
  row('local', `${M} no-op tasks on ${o.hosts} local hosts: wall`, fn.wallMs / 1000, 's', fn.load, `controller CPU ${fn.cpuPerHostTaskMs.toFixed(2)} ms per host-task (spawns included)`);
}

async function sshBench(): Promise<void> {
  const { labUp, labDown, labStatus, labInfoOf } = await import('../../engine/lab/index.js');
  // Reuse a lab of that name when it is up; otherwise bring one up and take it down after.
  const started = !(await labStatus()).some((l) => l.name === o.lab && l.state === 'up');
  const info = started ? await labUp({ name: o.lab, hosts: 3 }) : labInfoOf(o.lab);
  try {
    const common = `ansible_user: root, ansible_ssh_private_key_file: ${info.keyFile}, tsplay_known_hosts_file: ${info.knownHostsFile}`;
    const first = info.hosts[0];
    const conn = new SshConnection(connectionSettings(first.name, { ansible_host: first.address, ansible_user: 'root', ansible_ssh_private_key_file: info.keyFile, tsplay_known_hosts_file: info.knownHostsFile }));
    const rawLoad = loadavg()[0];
    const raw = await measureRoundTrip(conn, 200);
    await conn.close();
    row('ssh', 'raw round trip (exec `true`, one connection, its persistent shell)', raw.perExecMs, 'ms', rawLoad);
    // The same on an exec channel per command (tsplay_persistent_shell=false): an sshd session and a login shell each.
    const execConn = new SshConnection(connectionSettings(first.name, { ansible_host: first.address, ansible_user: 'root', ansible_ssh_private_key_file: info.keyFile, tsplay_known_hosts_file: info.knownHostsFile, tsplay_persistent_shell: false }));
    const rawExec = await measureRoundTrip(execConn, 100);
    await execConn.close();
    row('ssh', 'raw round trip (exec `true` on a new exec channel each, one connection)', rawExec.perExecMs, 'ms', loadavg()[0]);
    const one = `all:\n  vars: { ${common} }\n  hosts:\n    ${first.name}: { ansible_host: ${first.address} }\n`;
    const f1 = await runBench(one, 1, M, 1);
    show('ssh, 1 host', f1, raw.perExecMs);
    row('ssh', `per task, 1 host (${M} no-op tasks, wall / ${M}: the connection included)`, f1.perTaskPerHostMs, 'ms', f1.load, `${(f1.perTaskPerHostMs / raw.perExecMs).toFixed(2)}x the raw round trip`);
    // What one more task costs once the host is connected: two runs that differ only in
    // their number of tasks, so the connection, the shell's start and the run's own
    // start-up cancel out. The difference is about 100 ms, so one pair moves with
    // the machine (1.4x to 2.4x the round trip in one day): the median of 5 pairs.
    const PAIRS = 5;
    const marginals: number[] = [];
    let f1long: Figures | undefined;
    for (let i = 0; i < PAIRS; i++) {
      const short = i === 0 ? f1 : await runBench(one, 1, M, 1);
      f1long = await runBench(one, 1, 5 * M, 1);
      marginals.push((f1long.wallMs - short.wallMs) / (4 * M));
    }
    show('ssh, 1 host, 5x the tasks', f1long!, raw.perExecMs);
    marginals.sort((a, b) => a - b);
    const marginal = marginals[Math.floor(PAIRS / 2)];
    row('ssh', `per task, 1 host, connected (median of ${PAIRS} pairs: (wall of ${5 * M} tasks - wall of ${M}) / ${4 * M})`, marginal, 'ms', f1long!.load,
      `${(marginal / raw.perExecMs).toFixed(2)}x the raw round trip (${raw.perExecMs.toFixed(2)} ms), pairs ${marginals.map((m) => m.toFixed(2)).join(' ')} ms; target: at most one round trip above it`);
    row('ssh', 'controller CPU per host-task, 1 host', f1.cpuPerHostTaskMs, 'ms', f1.load);
    const three = `all:\n  vars: { ${common} }\n  hosts:\n${info.hosts.map((h) => `    ${h.name}: { ansible_host: ${h.address} }\n`).join('')}`;
    const f3 = await runBench(three, 3, M, 20);
    show('ssh, 3 hosts', f3, raw.perExecMs);
    row('ssh', `per task, 3 hosts (${M} no-op tasks)`, f3.perTaskPerHostMs, 'ms', f3.load);
    const n = Number(o['ssh-hosts']);
    const many = `all:\n  vars: { ${common} }\n  hosts:\n${Array.from({ length: n }, (_, i) => `    b${i + 1}: { ansible_host: ${info.hosts[i % info.hosts.length].address} }\n`).join('')}`;
    const fn = await runBench(many, n, M, 20, 'noop', o.lab);
    show(`ssh, ${n} connections to ${info.hosts.length} hosts`, fn, raw.perExecMs);
    // The lab boots at most 60 full hosts (systemd each): n inventory names share its hosts.
    const how = `${n} inventory names on ${info.hosts.length} lab hosts, forks 20`;
    row('noop', `${M} no-op tasks on ${n} SSH hosts: wall`, fn.wallMs / 1000, 's', fn.load, how);
    row('noop', `${M} no-op tasks on ${n} SSH hosts: max RSS`, fn.maxRssMb, 'MB', fn.load, how);
    row('noop', `${M} no-op tasks on ${n} SSH hosts: max open files`, fn.maxFds, 'fds', fn.load, how);
    row('noop', `${M} no-op tasks on ${n} SSH hosts: controller CPU per host-task`, fn.cpuPerHostTaskMs, 'ms', fn.load, how);
    cpuRows('noop', `${M} no-op tasks on ${n} SSH hosts`, fn, how);
    // The same with a read task (stat): what a task that starts a process on the host costs.
    const fr = await runBench(many, n, M, 20, 'read', o.lab);
    show(`ssh, ${n} connections, read tasks`, fr, raw.perExecMs);
    row('noop', `${M} read tasks (stat) on ${n} SSH hosts: wall`, fr.wallMs / 1000, 's', fr.load, how);
    row('noop', `${M} read tasks (stat) on ${n} SSH hosts: controller CPU per host-task`, fr.cpuPerHostTaskMs, 'ms', fr.load, how);
    cpuRows('noop', `${M} read tasks (stat) on ${n} SSH hosts`, fr, how);
    await heldRows('noop', `${M} no-op tasks on ${n} SSH hosts`, many, n, o.lab, how);
  } finally {
    await stopHolders(CONTROL_DIR);
    if (started) await labDown(o.lab);
  }
}

/**
 * The same no-op run twice with connections held (ControlPersist): the first logs in and leaves
 * its connections with the holder, the second (measured) takes them over, as a run within 60 s
 * of the last one does by default, and as Ansible's runs do.
 */
async function heldRows(part: string, what: string, inventoryText: string, n: number, lab: string, how: string): Promise<void> {
  await stopHolders(CONTROL_DIR);
  await settle();
  const first = await runBench(inventoryText, n, M, 20, 'noop', lab, true);
  show(`${what}, held: the first run`, first);
  const f = await runBench(inventoryText, n, M, 20, 'noop', lab, true);
  show(`${what}, held: the next run`, f);
  const heldHow = `${how}; the run before left its connections with the holder (ControlPersist)`;
  row(part, `${what}, connections held: wall`, f.wallMs / 1000, 's', f.load, heldHow);
  row(part, `${what}, connections held: max RSS (run + holder)`, f.maxRssMb, 'MB', f.load, heldHow);
  row(part, `${what}, connections held: max open files (run + holder)`, f.maxFds, 'fds', f.load, heldHow);
  row(part, `${what}, connections held: controller CPU per host-task (run + holder)`, f.cpuPerHostTaskMs, 'ms', f.load, `${heldHow}; the holder's share ${f.holderCpuPerHostTaskMs?.toFixed(2)} ms`);
  cpuRows(part, `${what}, connections held`, f, heldHow);
  row(part, `${what}, connections held: the first run (logins into the holder): wall`, first.wallMs / 1000, 's', first.load, heldHow);
  await stopHolders(CONTROL_DIR);
}

async function jobPart(): Promise<StepTime[]> {
  const rounds = Number(o.rounds);
  console.log(`job: the bundled job, tsplay and stock Ansible, ${rounds} round(s), each side on a fresh 3-host lab (${o['job-lab']})`);
  const times = await jobBench({ lab: o['job-lab'], rounds, log: (s) => console.log(s) });
  for (const s of jobSummary(times)) {
    const what = { check: '--check', run: 'first run', rerun: 'rerun (no change)' }[s.step];
    row('job', `${what}: Ansible`, s.ansibleMs / 1000, 's', s.load, `mean of ${s.n}`);
    row('job', `${what}: tsplay`, s.tsplayMs / 1000, 's', s.load, `mean of ${s.n}`);
    row('job', `${what}: Ansible / tsplay`, s.ratio, 'x', s.load);
  }
  return times;
}

async function lightPart(): Promise<void> {
  const { labUp, labDown, labStatus } = await import('../../engine/lab/index.js');
  const n = Number(o['light-hosts']);
  const name = o['light-lab'];
  if ((await labStatus()).some((l) => l.name === name)) await labDown(name);
  const upLoad = loadavg()[0];
  const info = await labUp({ name, hosts: n, light: true });
  try {
    row('light', `lab up ${n} --light`, (info.upMs ?? 0) / 1000, 's', upLoad);
    const waited = await settle();
    row('light', 'wait after lab up until the machine is idle (busy, I/O wait included, < 20 % over 1 s)', waited, 's', loadavg()[0]);
    const inv = `all:\n  vars: { ansible_user: root, ansible_ssh_private_key_file: ${info.keyFile}, tsplay_known_hosts_file: ${info.knownHostsFile} }\n  hosts:\n${info.hosts.map((h) => `    ${h.name}: { ansible_host: ${h.address} }\n`).join('')}`;
    const f = await runBench(inv, n, M, 20, 'noop', name);
    show(`ssh, ${n} light hosts, forks 20`, f);
    const how = `${n} light lab hosts (one sshd each), forks 20`;
    row('light', `${M} no-op tasks on ${n} light hosts: wall`, f.wallMs / 1000, 's', f.load, how);
    row('light', `${M} no-op tasks on ${n} light hosts: max RSS`, f.maxRssMb, 'MB', f.load, how);
    row('light', `${M} no-op tasks on ${n} light hosts: max open files`, f.maxFds, 'fds', f.load, how);
    row('light', `${M} no-op tasks on ${n} light hosts: controller CPU per host-task`, f.cpuPerHostTaskMs, 'ms', f.load, how);
    cpuRows('light', `${M} no-op tasks on ${n} light hosts`, f, how);
    // The logins alone: one no-op task, so each host's SSH login (on the host: sshd's re-exec,
    // its PAM session, the login shell) and one round trip. What the 20-task run spends beyond it
    // is the tasks' own share.
    await settle();
    const fl = await runBench(inv, n, 1, 20, 'noop', name);
    show(`ssh, ${n} light hosts, 1 task`, fl);
    row('light', `1 no-op task on ${n} light hosts (the logins): wall`, fl.wallMs / 1000, 's', fl.load, how);
    row('light', `1 no-op task on ${n} light hosts (the logins): controller CPU per host`, fl.cpuPerHostTaskMs, 'ms', fl.load, how);
    cpuRows('light', `1 no-op task on ${n} light hosts (the logins)`, fl, how);
    await settle();
    const fr = await runBench(inv, n, M, 20, 'read', name);
    show(`ssh, ${n} light hosts, read tasks`, fr);
    row('light', `${M} read tasks (stat) on ${n} light hosts: wall`, fr.wallMs / 1000, 's', fr.load, how);
    row('light', `${M} read tasks (stat) on ${n} light hosts: max RSS`, fr.maxRssMb, 'MB', fr.load, how);
    row('light', `${M} read tasks (stat) on ${n} light hosts: controller CPU per host-task`, fr.cpuPerHostTaskMs, 'ms', fr.load, how);
    cpuRows('light', `${M} read tasks (stat) on ${n} light hosts`, fr, how);
    await heldRows('light', `${M} no-op tasks on ${n} light hosts`, inv, n, name, how);
  } finally {
    await stopHolders(CONTROL_DIR);
    const t0 = performance.now();
    await labDown(name);
    row('light', `lab down (${n} light hosts)`, (performance.now() - t0) / 1000, 's', loadavg()[0]);
  }
}

function table(): string {
  const head = ['part', 'what', 'value', 'load', 'note'];
  const body = rows.map((r) => [r.part, r.what, `${r.value < 10 ? r.value.toFixed(2) : r.value.toFixed(1)} ${r.unit}`, r.load.toFixed(1), r.note ?? '']);
  return [head, head.map(() => '---'), ...body].map((c) => `| ${c.join(' | ')} |`).join('\n');
}

const startedAt = new Date().toISOString();
console.log(`tsplay engine benchmark (${startedAt}, node ${process.version}, parts: ${[...only].join(', ')})`);
if (only.has('local')) await localBench();
const isRoot = process.getuid?.() === 0;
if (only.has('ssh')) {
  if (!isRoot) console.log('ssh: skipped (the lab needs root)');
  else await sshBench();
}
let jobTimes: StepTime[] = [];
if (only.has('job')) {
  if (!isRoot) console.log('job: skipped (the lab needs root)');
  else jobTimes = await jobPart();
}
if (only.has('light')) {
  if (!isRoot) console.log('light: skipped (the lab needs root)');
  else await lightPart();
}
if (rows.length) console.log(`\n${table()}`);
if (o.json) {
  writeFileSync(o.json, JSON.stringify({ startedAt, node: process.version, parts: [...only], rows, job: jobTimes }, null, 2) + '\n');
  console.log(`results: ${o.json}`);
}
