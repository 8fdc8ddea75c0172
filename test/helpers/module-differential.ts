// Differential runs of module tasks: the same task, on fresh copies of the same
// files, through Ansible 2.14 (ansible-playbook, local connection) and through
// tsplay (in-process, local connection); then the outcomes compared: every file
// left under the case's directory (type, bytes, mode, owner, link target), the
// changed and failed flags of a first run, the changed flag of a second run
// (idempotency), and tsplay's --check prediction against its own real run
// (issue 12, "How it is checked").
//
// A case writes its files into its own directory and names paths in its task
// with `@DIR@`, replaced by that directory for each tool. All cases of one call
// run in one playbook per tool and per pass (check, run 1, run 2), so the
// comparison costs three ansible-playbook runs however many cases there are,
// and none when Ansible's outcome for the same cases is already cached
// (test/helpers/ansible-reference.ts).

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../engine/load/playbook.js';
import { loadRegistry } from '../../engine/load/registry.js';
import type { HostResultEvent, RunEvent } from '../../engine/report/events.js';
import { Runner } from '../../engine/run/runner.js';
import { ansibleReference } from './ansible-reference.js';

export const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
const HARNESS_SOURCE = fileURLToPath(import.meta.url);
const REFERENCE_SOURCE = fileURLToPath(new URL('./ansible-reference.ts', import.meta.url));

/** A file to create before the task: its content, or content and mode; `{ dir: true }` makes a directory. */
export type CaseFile = string | Buffer | { content?: string | Buffer; mode?: number; dir?: boolean; link?: string; fillDir?: boolean };

export interface DiffCase {
  /** Unique within the call; also the case's directory name (letters, digits, - and _). */
  name: string;
  files?: Record<string, CaseFile>;
  /** One task mapping, e.g. { replace: { path: '@DIR@/f', regexp: 'a', replace: 'b' } }; no name or register. */
  task: Record<string, unknown>;
}

export interface SideOutcome {
  checkChanged?: boolean;
  checkFailed?: boolean;
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  changed2?: boolean;
  failed2?: boolean;
  /** path (relative to the case dir) -> a one-line description of what is there after run 1. */
  tree: Record<string, string>;
}

export interface DiffOutcome {
  name: string;
  ansible: SideOutcome;
  tsplay: SideOutcome;
  /** Empty when tsplay's outcome is Ansible's (and its check predicted its run). */
  differences: string[];
}

/** Why the differential cannot run here (undefined: it can). */
export function differentialUnavailable(): string | undefined {
  return existsSync(ANSIBLE_PLAYBOOK) ? undefined : `${ANSIBLE_PLAYBOOK} is missing (apt-get install ansible-core)`;
}

export const fill = (v: unknown, dir: string): unknown =>
  typeof v === 'string' ? v.replaceAll('@DIR@', dir)
  : Array.isArray(v) ? v.map((x) => fill(x, dir))
  : v && typeof v === 'object' && !Buffer.isBuffer(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, dir)]))
  : v;

export function writeCase(dir: string, files: Record<string, CaseFile>): void {
  mkdirSync(dir, { recursive: true });
  for (const [p, f] of Object.entries(files)) {
    const path = join(dir, p);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof f === 'string' || Buffer.isBuffer(f)) writeFileSync(path, f);
    else if (f.dir) mkdirSync(path, { recursive: true });
    else if (f.link !== undefined) execFileSync('ln', ['-s', '--', f.link, path]);
    // fillDir: `@DIR@` in the text becomes the case's directory (a config file naming its own paths).
    else writeFileSync(path, f.fillDir && typeof f.content === 'string' ? f.content.replaceAll('@DIR@', dir) : f.content ?? '');
    if (typeof f === 'object' && !Buffer.isBuffer(f) && f.mode !== undefined) chmodSync(path, f.mode);
  }
}

/** What is under `dir`: each path with its type, mode, owner and content (or link target). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const path = rel ? join(dir, rel) : dir;
    const st = lstatSync(path);
    const meta = `${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out[rel || '.'] = `link -> ${readlinkSync(path)} ${st.uid}:${st.gid}`;
    else if (st.isDirectory()) {
      if (rel) out[rel] = `dir ${meta}`;
      for (const n of readdirSync(path).sort()) walk(rel ? `${rel}/${n}` : n);
    // The case's own directory named in a file reads as @DIR@ (each tool's copy lives elsewhere).
    } else if (st.isFile()) out[rel] = `file ${meta} ${JSON.stringify(readFileSync(path).toString('latin1').replaceAll(dir, '@DIR@'))}`;
    else out[rel] = `other ${meta}`;
  };
  if (existsSync(dir)) walk('');
  return out;
}

const playbookFor = (cases: DiffCase[], root: string, resultsFile?: string): string => {
  const tasks = cases.map((c, i) => ({ name: `case ${c.name}`, ...(fill(c.task, join(root, c.name)) as object), register: `r${i}`, ignore_errors: true }));
  if (resultsFile) {
    const all = `{{ {${cases.map((_, i) => `'r${i}': r${i}`).join(', ')}} | to_json }}`;
    tasks.push({ name: 'results', copy: { content: all, dest: resultsFile }, check_mode: false } as never);
  }
  return JSON.stringify([{ hosts: 'all', gather_facts: false, tasks }], null, 1);
};

type Flags = Pick<SideOutcome, 'changed' | 'failed' | 'msg'>;

/** Each case's registered result under Ansible (one ansible-playbook run, local connection). */
export function ansibleResults(cases: DiffCase[], root: string, check: boolean): Array<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'tsplay-diff-pb-'));
  try {
    const results = join(work, 'results.json');
    writeFileSync(join(work, 'pb.yml'), playbookFor(cases, root, results));
    writeFileSync(join(work, 'hosts'), 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
    execFileSync(ANSIBLE_PLAYBOOK, ['-i', join(work, 'hosts'), join(work, 'pb.yml'), ...(check ? ['--check'] : [])], {
      encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = JSON.parse(readFileSync(results, 'utf8')) as Record<string, Record<string, unknown>>;
    return cases.map((_, i) => r[`r${i}`]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Each case's result event under tsplay (in-process, local connection); undefined when the run stopped before it. */
export async function tsplayResults(cases: DiffCase[], root: string, check: boolean): Promise<Array<HostResultEvent | undefined>> {
  const work = mkdtempSync(join(tmpdir(), 'tsplay-diff-pb-'));
  try {
    writeFileSync(join(work, 'pb.yml'), playbookFor(cases, root));
    writeFileSync(join(work, 'hosts.yml'), 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n');
    const registry = await loadRegistry();
    const pb = await loadPlaybook(join(work, 'pb.yml'), registry);
    const events: RunEvent[] = [];
    const runner = new Runner({
      check, diff: false, forks: 1, strategy: 'linear', tags: [], skipTags: [], extraVars: {}, verbosity: 0,
      inventory: await loadInventory([join(work, 'hosts.yml')]), registry, emit: (e) => events.push(e),
    });
    await runner.run([pb]);
    const results = events.filter((e): e is HostResultEvent => e.kind === 'host_result');
    return cases.map((c) => results.find((e) => e.task === `case ${c.name}`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function ansiblePass(cases: DiffCase[], root: string, check: boolean): Flags[] {
  return ansibleResults(cases, root, check).map((r) => ({ changed: r.changed === true, failed: r.failed === true, msg: r.msg as string | undefined }));
}

async function tsplayPass(cases: DiffCase[], root: string, check: boolean): Promise<Flags[]> {
  return (await tsplayResults(cases, root, check)).map((r) =>
    r === undefined ? { failed: true, msg: 'no result (the run stopped before this case)' }
    : { changed: r.status === 'changed', failed: r.status === 'failed', msg: r.msg ?? (r.result?.msg as string | undefined) });
}

export interface DifferentialOptions {
  /** What a case's directory holds, as compared (default: every file; git compares a checkout without .git internals). */
  snapshot?: (dir: string) => Record<string, string>;
  /** The files that define `snapshot` (its test file): part of the reference cache's key, as the snapshot shapes Ansible's side. */
  snapshotSources?: string[];
}

const snapshotTree = (dir: string): Record<string, string> => snapshot(dir);

/**
 * Run every case through both tools and compare. Each side gets its own fresh root
 * for --check (which must leave the files untouched), then a fresh root for run 1
 * and run 2. Needs root for owner changes as the tasks ask.
 */
export async function runDifferential(cases: DiffCase[], opts: DifferentialOptions = {}): Promise<DiffOutcome[]> {
  const snapshot = opts.snapshot ?? snapshotTree;
  const base = mkdtempSync(join(tmpdir(), 'tsplay-diff-'));
  try {
    const fresh = (label: string): string => {
      const root = join(base, label);
      for (const c of cases) writeCase(join(root, c.name), c.files ?? {});
      return root;
    };
    const side = async (label: string, pass: (cs: DiffCase[], root: string, check: boolean) => Flags[] | Promise<Flags[]>): Promise<SideOutcome[]> => {
      const checkRoot = fresh(`${label}-check`);
      const before = cases.map((c) => snapshot(join(checkRoot, c.name)));
      const check = await pass(cases, checkRoot, true);
      const untouched = cases.map((c, i) => JSON.stringify(snapshot(join(checkRoot, c.name))) === JSON.stringify(before[i]));
      const root = fresh(label);
      const run1 = await pass(cases, root, false);
      const tree = cases.map((c) => snapshot(join(root, c.name)));
      const run2 = await pass(cases, root, false);
      return cases.map((_, i) => ({
        checkChanged: check[i].changed, checkFailed: check[i].failed || !untouched[i],
        changed: run1[i].changed, failed: run1[i].failed, msg: run1[i].msg,
        changed2: run2[i].changed, failed2: run2[i].failed,
        tree: tree[i],
      }));
    };
    // Ansible's side depends only on the cases, Ansible and this harness: cached by them (test/helpers/ansible-reference.ts).
    // Paths under this call's temporary root read as @BASE@ in the cache.
    if (opts.snapshot && !opts.snapshotSources?.length) throw new Error('runDifferential: a snapshot function needs its snapshotSources (the reference cache keys on them)');
    const reference = await ansibleReference('module-differential', cases, [HARNESS_SOURCE, REFERENCE_SOURCE, ...(opts.snapshotSources ?? [])], async () =>
      (await side('ansible', ansiblePass)).map((o) => ({ ...o, msg: o.msg?.replaceAll(base, '@BASE@') })));
    const ansible = reference.value.map((o) => ({ ...o, msg: o.msg?.replaceAll('@BASE@', base) }));
    const tsplay = await side('tsplay', tsplayPass);
    return cases.map((c, i) => {
      const a = ansible[i];
      const t = tsplay[i];
      const differences: string[] = [];
      if (a.failed !== t.failed) differences.push(`failed: ansible ${a.failed} (${a.msg ?? ''}), tsplay ${t.failed} (${t.msg ?? ''})`);
      if (a.changed !== t.changed) differences.push(`changed: ansible ${a.changed}, tsplay ${t.changed}`);
      if (a.changed2 !== t.changed2) differences.push(`second run changed: ansible ${a.changed2}, tsplay ${t.changed2}`);
      if (t.checkChanged !== t.changed || t.checkFailed !== t.failed) {
        differences.push(`tsplay --check predicted changed ${t.checkChanged} failed ${t.checkFailed} (or touched a file); the run: changed ${t.changed} failed ${t.failed}`);
      }
      for (const p of new Set([...Object.keys(a.tree), ...Object.keys(t.tree)])) {
        if (a.tree[p] !== t.tree[p]) differences.push(`${p}: ansible ${a.tree[p] ?? 'absent'}; tsplay ${t.tree[p] ?? 'absent'}`);
      }
      return { name: c.name, ansible: a, tsplay: t, differences };
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** "N of M cases: the same outcome as Ansible" with the differing cases listed. */
export function differentialSummary(label: string, outcomes: DiffOutcome[]): string {
  const same = outcomes.filter((o) => o.differences.length === 0).length;
  const lines = outcomes.filter((o) => o.differences.length).map((o) => `  ${o.name}: ${o.differences.join('; ')}`);
  return [`${label}: ${same} of ${outcomes.length} cases the same outcome as Ansible`, ...lines].join('\n');
}
