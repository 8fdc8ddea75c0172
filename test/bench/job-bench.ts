// The bundled job (playbooks/live-migration.yml) timed against the same job
// written for stock Ansible (test/bench/ansible-live-migration/), measured in
// the same run: --check, first run and rerun, each side on a fresh 3-host lab.
//
// Per side and round: the lab is brought up fresh, made OpenStack-like by
// playbooks/lab/openstack-like.yml (tsplay, not timed), every host's apt lists
// are refreshed and python3 + python3-apt are installed, on both sides: Ansible
// needs them on the target, and both sides must start from the same hosts (with
// python3 on Ansible's side only, tsplay's first run installed python3 as a
// dependency of the NFS packages: about 3.7 s more dpkg work per host, and 7
// more packages for its --check to predict). An OpenStack node has python3
// anyway: nova is written in it. Then the clock runs for: --check, the first run, the
// rerun. A run that fails, or a rerun that changes something, is an error:
// a figure from a broken run is not a figure.
//
// Rounds alternate which side goes first (interleaved), so load drifting on
// the shared machine hits both sides alike.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp, type LabInfo } from '../../engine/lab/index.js';
import { sshArgs } from '../../engine/lab/lab.js';
import { writeLabPlaybookInventory } from '../../engine/cli/demo.js';
import { stopHolders } from '../helpers/holder-procs.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ANSIBLE_DIR = join(ROOT, 'test', 'bench', 'ansible-live-migration');

// tsplay's steps keep their connections between runs as by default (ControlPersist=60s, as
// Ansible's steps do), with a connection holder of the benchmark's own; the lab's fixture run
// does not, so that the timed check starts with no login done, as Ansible's does.
const CONTROL_DIR = mkdtempSync(join(tmpdir(), 'tsplay-jobbench-cp-'));
function tsplayEnv(persist: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TSPLAY_CONTROL_PATH_DIR: CONTROL_DIR };
  if (persist) delete env.TSPLAY_CONTROL_PERSIST;
  else env.TSPLAY_CONTROL_PERSIST = '0';
  return env;
}

export type Side = 'tsplay' | 'ansible';
export type Step = 'check' | 'run' | 'rerun';
export const STEPS: Step[] = ['check', 'run', 'rerun'];

export interface StepTime {
  side: Side;
  step: Step;
  round: number;
  ms: number;
  /** Hosts' changed counts summed, from the recap. */
  changed: number;
  /** 1-minute load average when the step started. */
  load: number;
}

interface Proc {
  code: number;
  out: string;
  ms: number;
}

function runProc(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<Proc> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('error', (e) => { out += String(e); });
    child.on('close', (code) => resolve({ code: code ?? 99, out, ms: performance.now() - t0 }));
  });
}

function sshRun(info: LabInfo, address: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ssh', [...sshArgs(info, address), command], { maxBuffer: 16 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${address}: ${command}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/** Sum of `changed=N` over the PLAY RECAP lines of ansible-playbook's output. */
export function ansibleChanged(out: string): number | undefined {
  const recap = out.split('PLAY RECAP').pop();
  if (recap === undefined || recap === out) return undefined;
  let sum = 0;
  for (const m of recap.matchAll(/\bchanged=(\d+)/g)) sum += Number(m[1]);
  return sum;
}

/** Sum of the hosts' changed counts from tsplay's JSON recap event. */
export function tsplayChanged(out: string): number | undefined {
  for (const line of out.split('\n').reverse()) {
    if (!line.startsWith('{') || !line.includes('"recap"')) continue;
    try {
      const e = JSON.parse(line) as { kind?: string; hosts?: Record<string, { changed: number }> };
      if (e.kind === 'recap' && e.hosts) return Object.values(e.hosts).reduce((a, h) => a + h.changed, 0);
    } catch {
      /* not an event */
    }
  }
  return undefined;
}

interface Prepared {
  info: LabInfo;
  inventories: string[];
}

/** A fresh lab, OpenStack-like, apt lists fresh, python3 and python3-apt installed (both sides alike). */
async function prepare(lab: string, side: Side, log: (s: string) => void): Promise<Prepared> {
  if ((await labStatus()).some((l) => l.name === lab)) await labDown(lab);
  const info = await labUp({ name: lab, hosts: 3 });
  const jobInv = writeLabPlaybookInventory(info, ROOT);
  const inventories = [info.inventoryPath, jobInv];
  const fixture = await runProc(process.execPath, [join(ROOT, 'bin', 'tsplay.js'), 'run', join(ROOT, 'playbooks/lab/openstack-like.yml'), ...inventories.flatMap((i) => ['-i', i])], tsplayEnv(false));
  if (fixture.code !== 0) throw new Error(`lab fixture failed (exit ${fixture.code}):\n${fixture.out.slice(-3000)}`);
  const apt = 'export DEBIAN_FRONTEND=noninteractive; apt-get -q update >/dev/null && apt-get -q -y install python3 python3-apt >/dev/null 2>&1';
  await Promise.all(info.hosts.map((h) => sshRun(info, h.address, apt)));
  if (side === 'ansible') {
    const extra = join(info.stateDir, 'ansible-ssh.yml');
    writeFileSync(extra, [
      '# Written by test/bench/job-bench.ts: how ansible-playbook reaches the lab hosts.',
      'all:',
      '  vars:',
      `    ansible_ssh_common_args: ${JSON.stringify(`-o UserKnownHostsFile=${info.knownHostsFile} -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes`)}`,
      '    ansible_python_interpreter: /usr/bin/python3',
      '',
    ].join('\n'));
    inventories.push(extra);
  }
  log(`  ${side}: fresh lab ${lab} prepared (fixture ${(fixture.ms / 1000).toFixed(1)} s)`);
  return { info, inventories };
}

async function runStep(side: Side, step: Step, inventories: string[]): Promise<Proc & { changed?: number }> {
  const inv = inventories.flatMap((i) => ['-i', i]);
  const check = step === 'check' ? ['--check'] : [];
  if (side === 'tsplay') {
    const p = await runProc(process.execPath, [join(ROOT, 'bin', 'tsplay.js'), 'run', join(ROOT, 'playbooks/live-migration.yml'), ...inv, ...check, '--output', 'json'], tsplayEnv(true));
    return { ...p, changed: tsplayChanged(p.out) };
  }
  const env = { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE_DIR, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' };
  const p = await runProc('ansible-playbook', [...inv, join(ANSIBLE_DIR, 'site.yml'), ...check], env, ANSIBLE_DIR);
  return { ...p, changed: ansibleChanged(p.out) };
}

/** One side's three timed steps on a fresh lab. */
async function side(lab: string, s: Side, round: number, log: (s: string) => void, keep: boolean): Promise<StepTime[]> {
  const { inventories } = await prepare(lab, s, log);
  const out: StepTime[] = [];
  try {
    for (const step of STEPS) {
      const load = loadavg()[0];
      const r = await runStep(s, step, inventories);
      if (r.code !== 0) throw new Error(`${s} ${step} failed (exit ${r.code}):\n${r.out.slice(-3000)}`);
      if (r.changed === undefined) throw new Error(`${s} ${step}: no recap in the output`);
      if (step === 'rerun' && r.changed !== 0) throw new Error(`${s} rerun changed ${r.changed} (must be 0):\n${r.out.slice(-3000)}`);
      out.push({ side: s, step, round, ms: r.ms, changed: r.changed, load });
      log(`  ${s} ${step}: ${(r.ms / 1000).toFixed(2)} s, changed ${r.changed}, load ${load.toFixed(1)}`);
    }
  } finally {
    await stopHolders(CONTROL_DIR);
    if (!keep) await labDown(lab);
  }
  return out;
}

/** `rounds` rounds, each: tsplay and Ansible on fresh labs, alternating which goes first. */
export async function jobBench(opts: { lab: string; rounds: number; log: (s: string) => void; keep?: boolean }): Promise<StepTime[]> {
  const all: StepTime[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const order: Side[] = round % 2 === 1 ? ['tsplay', 'ansible'] : ['ansible', 'tsplay'];
    for (const s of order) all.push(...(await side(opts.lab, s, round, opts.log, opts.keep === true && round === opts.rounds && s === order[1])));
  }
  return all;
}

/** Mean per side and step, and Ansible / tsplay. */
export function jobSummary(times: StepTime[]): Array<{ step: Step; ansibleMs: number; tsplayMs: number; ratio: number; load: number; n: number }> {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return STEPS.map((step) => {
    const a = times.filter((t) => t.side === 'ansible' && t.step === step);
    const t = times.filter((x) => x.side === 'tsplay' && x.step === step);
    const ansibleMs = mean(a.map((x) => x.ms));
    const tsplayMs = mean(t.map((x) => x.ms));
    return { step, ansibleMs, tsplayMs, ratio: ansibleMs / tsplayMs, load: mean([...a, ...t].map((x) => x.load)), n: Math.min(a.length, t.length) };
  });
}
