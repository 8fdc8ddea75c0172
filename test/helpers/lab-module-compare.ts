// Shared pieces of the lab tests that run one module's tasks with ansible-playbook
// on one lab host and with tsplay on another (test/lab/modules-user.test.ts,
// test/lab/mount-vs-ansible.test.ts): the playbook, both sides' runs, each tool's
// per-task outcomes, tsplay's --check run, and the checks every case makes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabInfo } from '../../engine/lab/index.js';
import { hostRun, inventoryFor, runAnsible, runTsplay, type ToolRun } from './ansible-compare.js';
import { runJson } from './lab-cli.js';

/** One task's outcome, as either tool reported it. */
export interface TaskOutcome {
  changed: boolean;
  /** Failed (ignore_errors keeps the play going: an ignored failure counts). */
  failed: boolean;
  msg: string;
  result: Record<string, unknown>;
}

/** A playbook of the module's tasks (named t1, t2...; ignore_errors so every task runs), written into `dir`. */
export function modulePlaybook(module: string, tasks: readonly unknown[], dir: string): string {
  const list = tasks.map((args, i) => ({ name: `t${i + 1}`, [module]: args, ignore_errors: true }));
  const path = join(dir, 'play.yml');
  writeFileSync(path, JSON.stringify([{ hosts: 'all', gather_facts: false, tasks: list }], null, 2));
  return path;
}

const msgOf = (r: Record<string, unknown>): string => (typeof r.msg === 'string' ? r.msg : '');

/** Per task, from ansible-playbook's minimal callback output (`HOST | CHANGED => {json}`). */
export function ansibleOutcomes(out: string, host: string): TaskOutcome[] {
  const list: TaskOutcome[] = [];
  const re = /^(\S+) \| (SUCCESS|CHANGED|FAILED!|SKIPPED|UNREACHABLE!)(?: => (\{[\s\S]*?\n\}))?/gm;
  for (const m of out.matchAll(re)) {
    if (m[1] !== host) continue;
    const r = m[3] ? (JSON.parse(m[3]) as Record<string, unknown>) : {};
    list.push({ changed: r.changed === true, failed: m[2] === 'FAILED!' || m[2] === 'UNREACHABLE!', msg: msgOf(r), result: r });
  }
  return list;
}

/** Per task, from tsplay's JSON events. */
export function tsplayOutcomes(out: string, host: string): TaskOutcome[] {
  const list: TaskOutcome[] = [];
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: { kind?: string; host?: string; status?: string; ignored?: boolean; msg?: string; result?: Record<string, unknown> };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    if (e.kind !== 'host_result' || e.host !== host) continue;
    const result = e.result ?? {};
    list.push({ changed: e.status === 'changed', failed: e.status === 'failed' || e.ignored === true, msg: typeof e.msg === 'string' ? e.msg : msgOf(result), result });
  }
  return list;
}

/** C changed, F failed, . neither: one letter per task. */
export const outcomeFlags = (l: TaskOutcome[]): string => l.map((o) => (o.failed ? 'F' : o.changed ? 'C' : '.')).join('');

/** The first (up to 6) lines where Ansible's end state and tsplay's differ. */
export function firstDiff(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(la.length, lb.length) && diffs.length < 6; i++) {
    if (la[i] !== lb[i]) diffs.push(`  ansible: ${la[i] ?? '<none>'}\n  tsplay:  ${lb[i] ?? '<none>'}`);
  }
  return diffs.join('\n');
}

/** tsplay --check, as runTsplay runs tsplay (JSON events on stdout). */
export async function runCheck(info: LabInfo, host: string, pb: string, dir: string): Promise<string> {
  const inv = join(dir, 'inventory.yml');
  writeFileSync(inv, inventoryFor(info, host));
  return (await runJson([pb, '-i', inv, '--check'])).stdout;
}

/** Ansible's side of one case (what the reference cache keeps): its run, the end state, its rerun, the end state. */
export interface AnsibleCase {
  a1: ToolRun;
  sa1: string;
  a2: ToolRun;
  sa2: string;
}

/** Both sides of one case, parsed: Ansible on host 1, tsplay (--check, run, rerun) on host 2. */
export interface CaseRuns {
  a1: ToolRun;
  b1: ToolRun;
  oa1: TaskOutcome[];
  oa2: TaskOutcome[];
  check: TaskOutcome[];
  ob1: TaskOutcome[];
  ob2: TaskOutcome[];
  sa1: string;
  sb1: string;
  sa2: string;
  sb2: string;
}

/**
 * Run one case's playbook on both hosts at the same time: `prepare` (if any) on each
 * host first; Ansible's side from `cached` when the reference cache has it, else run
 * and handed to `record`; tsplay's --check, run and rerun with the end state after each run.
 */
export async function runBothSides(lab: LabInfo, pb: string, dir: string, opts: {
  endState: (info: LabInfo, host: string) => Promise<string>;
  prepare?: string;
  cached?: AnsibleCase;
  record: (side: AnsibleCase) => void;
}): Promise<CaseRuns> {
  const [ha, hb] = [lab.hosts[0].name, lab.hosts[1].name];
  const ansibleSide = async (): Promise<AnsibleCase> => {
    if (opts.prepare) await hostRun(lab, ha, opts.prepare);
    const a1 = await runAnsible(lab, ha, pb);
    const sa1 = await opts.endState(lab, ha);
    const a2 = await runAnsible(lab, ha, pb);
    const side = { a1, sa1, a2, sa2: await opts.endState(lab, ha) };
    opts.record(side);
    return side;
  };
  const tsplaySide = async () => {
    if (opts.prepare) await hostRun(lab, hb, opts.prepare);
    const checkOut = await runCheck(lab, hb, pb, dir);
    const b1 = await runTsplay(lab, hb, pb);
    const sb1 = await opts.endState(lab, hb);
    const b2 = await runTsplay(lab, hb, pb);
    return { checkOut, b1, sb1, b2, sb2: await opts.endState(lab, hb) };
  };
  const [{ a1, sa1, a2, sa2 }, { checkOut, b1, sb1, b2, sb2 }] = await Promise.all([opts.cached ? Promise.resolve(opts.cached) : ansibleSide(), tsplaySide()]);
  return {
    a1, b1, sa1, sb1, sa2, sb2,
    oa1: ansibleOutcomes(a1.output, ha), oa2: ansibleOutcomes(a2.output, ha),
    check: tsplayOutcomes(checkOut, hb), ob1: tsplayOutcomes(b1.output, hb), ob2: tsplayOutcomes(b2.output, hb),
  };
}

/** What every case checks: changed/failed per task on both runs, tsplay's --check against its run, both end states. */
export function sideProblems(r: CaseRuns): string[] {
  const flags = outcomeFlags;
  const problems: string[] = [];
  if (flags(r.oa1) !== flags(r.ob1)) problems.push(`run 1 changed/failed: ansible ${flags(r.oa1)} tsplay ${flags(r.ob1)}`);
  if (flags(r.oa2) !== flags(r.ob2)) problems.push(`run 2 changed/failed: ansible ${flags(r.oa2)} tsplay ${flags(r.ob2)}`);
  if (flags(r.check) !== flags(r.ob1)) problems.push(`tsplay --check ${flags(r.check)} but its run ${flags(r.ob1)}`);
  if (r.sa1 !== r.sb1) problems.push(`end state after run 1:\n${firstDiff(r.sa1, r.sb1)}`);
  if (r.sa2 !== r.sb2) problems.push(`end state after run 2:\n${firstDiff(r.sa2, r.sb2)}`);
  return problems;
}

/** One verdict line: the flags of both tools' runs and tsplay's --check. */
export function flagsSummary(r: CaseRuns): string {
  const flags = outcomeFlags;
  return `ansible ${flags(r.oa1)}/${flags(r.oa2)}, tsplay check ${flags(r.check)}, run ${flags(r.ob1)}/${flags(r.ob2)}`;
}
