// Shared pieces of the lab tests that run one module's tasks with ansible-playbook
// on one lab host and with tsplay on another (test/lab/modules-user.test.ts,
// test/lab/mount-vs-ansible.test.ts): the playbook, each tool's per-task
// outcomes, tsplay's --check run, and the first lines where two end states differ.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabInfo } from '../../engine/lab/index.js';
import { inventoryFor } from './ansible-compare.js';
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
