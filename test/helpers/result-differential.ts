// Differential runs of what a task RETURNS (the value `register` stores): the
// same task, on fresh copies of the same files, through Ansible 2.14
// (ansible-playbook, local connection) and tsplay (in-process, local
// connection), in three passes: --check on a fresh copy, a real run on another
// fresh copy, and a second real run on that copy. Each pass's registered
// results are compared key by key: every key Ansible returns (but the ones
// listed in IGNORED, and values only Ansible can have, like its temp paths)
// must be in tsplay's result with the same value. Extra tsplay keys (msg,
// commands) are allowed. Paths are compared with the case directory as @DIR@.
//
// Cases are module-differential's (files, a task naming paths with @DIR@).
// Ansible's side is kept in the reference cache (test/helpers/ansible-reference.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ansibleReference } from './ansible-reference.js';
import { ansibleResults, tsplayResults, writeCase } from './module-differential.js';
import type { DiffCase } from './module-differential.js';

const HARNESS_SOURCE = fileURLToPath(import.meta.url);
const DIFFERENTIAL_SOURCE = fileURLToPath(new URL('./module-differential.ts', import.meta.url));
const REFERENCE_SOURCE = fileURLToPath(new URL('./ansible-reference.ts', import.meta.url));

/** Keys not compared: Ansible's own bookkeeping, and diff (tsplay reports diffs through --diff, not the result). */
export const IGNORED = new Set(['diff', 'invocation', 'failed', '_ansible_no_log', 'warnings', 'deprecations']);

export type Pass = 'check' | 'run' | 'rerun';
export type Result = Record<string, unknown>;

export interface ResultOutcome {
  name: string;
  pass: Pass;
  ansible: Result;
  tsplay: Result;
  /** Empty when every compared key of Ansible's result is tsplay's too. */
  differences: string[];
}

/** Values with the case root replaced by @DIR@ (deeply), or any other path by its stand-in. */
function relative(v: unknown, dir: string, as = '@DIR@'): unknown {
  if (typeof v === 'string') return v.replaceAll(dir, as);
  if (Array.isArray(v)) return v.map((x) => relative(x, dir, as));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, relative(x, dir, as)]));
  return v;
}

function ansiblePass(cases: DiffCase[], root: string, check: boolean): Result[] {
  return ansibleResults(cases, root, check).map((r, i) => relative(r, join(root, cases[i].name)) as Result);
}

async function tsplayPass(cases: DiffCase[], root: string, check: boolean): Promise<Result[]> {
  return (await tsplayResults(cases, root, check)).map((r, i) =>
    r === undefined ? { failed: true, msg: 'no result (the run stopped before this case)' }
    : relative({ ...(r.result ?? {}), changed: r.status === 'changed', failed: r.status === 'failed' }, join(root, cases[i].name)) as Result);
}

/** A value only Ansible can return: a path in its own temporary directory. */
const ansibleOnly = (v: unknown): boolean => typeof v === 'string' && /\/\.ansible\/tmp\//.test(v);

/** Differences between Ansible's result and tsplay's (see the file comment). */
export function compareResults(a: Result, t: Result, ignore: readonly string[] = []): string[] {
  const out: string[] = [];
  if (a.failed === true || t.failed === true) {
    if (a.failed !== t.failed) out.push(`failed: ansible ${String(a.failed)} (${JSON.stringify(a.msg ?? '')}), tsplay ${String(t.failed)} (${JSON.stringify(t.msg ?? '')})`);
    return out;
  }
  for (const [k, v] of Object.entries(a)) {
    if (IGNORED.has(k) || ignore.includes(k) || ansibleOnly(v)) continue;
    if (!(k in t)) out.push(`${k}: ansible ${JSON.stringify(v)}, tsplay has none`);
    else if (JSON.stringify(v) !== JSON.stringify(t[k])) out.push(`${k}: ansible ${JSON.stringify(v)}, tsplay ${JSON.stringify(t[k])}`);
  }
  return out;
}

/** Run the cases through both tools in the three passes and compare the results (but the keys in `ignore`). */
export async function runResultDifferential(cases: DiffCase[], ignore: readonly string[] = []): Promise<ResultOutcome[]> {
  const base = mkdtempSync(join(tmpdir(), 'tsplay-rdiff-'));
  try {
    const fresh = (label: string): string => {
      const root = join(base, label);
      for (const c of cases) writeCase(join(root, c.name), c.files ?? {});
      return root;
    };
    const side = async (label: string, pass: (cs: DiffCase[], root: string, check: boolean) => Result[] | Promise<Result[]>): Promise<Record<Pass, Result[]>> => {
      const check = await pass(cases, fresh(`${label}-check`), true);
      const root = fresh(label);
      const run = await pass(cases, root, false);
      const rerun = await pass(cases, root, false);
      return { check, run, rerun };
    };
    // Ansible's side is cached by the cases, Ansible and these harness files (test/helpers/ansible-reference.ts);
    // paths under this call's temporary root read as @BASE@ there.
    const reference = await ansibleReference('result-differential', cases, [HARNESS_SOURCE, DIFFERENTIAL_SOURCE, REFERENCE_SOURCE], async () =>
      relative(await side('ansible', ansiblePass), base, '@BASE@') as Record<Pass, Result[]>);
    const ansible = relative(reference.value, '@BASE@', base) as Record<Pass, Result[]>;
    const tsplay = await side('tsplay', tsplayPass);
    const out: ResultOutcome[] = [];
    for (const pass of ['check', 'run', 'rerun'] as const) {
      cases.forEach((c, i) => {
        out.push({ name: c.name, pass, ansible: ansible[pass][i], tsplay: tsplay[pass][i], differences: compareResults(ansible[pass][i], tsplay[pass][i], ignore) });
      });
    }
    return out;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** "N of M results the same as Ansible's" with the differing ones listed. */
export function resultSummary(label: string, outcomes: ResultOutcome[]): string {
  const same = outcomes.filter((o) => o.differences.length === 0).length;
  const lines = outcomes.filter((o) => o.differences.length).map((o) => `  ${o.name} (${o.pass}): ${o.differences.join('; ')}`);
  return [`${label}: ${same} of ${outcomes.length} results (check, run, rerun) the same as Ansible's`, ...lines].join('\n');
}
