// Run Ansible's own `ansible-inventory -i SRC --list` (ansible-core 2.14,
// Debian's package; installed in CI) and tsplay's equivalent, for tests that
// compare the two. ANSIBLE_INVENTORY_ENABLED is left at its defaults.
// Ansible's answer is kept in the reference cache (test/helpers/ansible-reference.ts),
// keyed by every file of the inventory's tree (content and executable bit),
// the sources, the environment given and this file's source.

import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { loadInventory, inventoryList } from '../../engine/inventory/inventory.js';
import { ansibleReference } from './ansible-reference.js';
import { writeTree } from './run-playbook.js';

export const ANSIBLE_INVENTORY = '/usr/bin/ansible-inventory';
export const haveAnsibleInventory = existsSync(ANSIBLE_INVENTORY) || Boolean(process.env.CI);

/** Objects with their keys sorted, recursively; lists keep their order (it is meaningful). */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** Every file under `dir` (recursively): its path relative to `root`, its content and whether it is executable. */
function treeInputs(dir: string, root: string): [string, string, boolean][] {
  const out: [string, string, boolean][] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...treeInputs(full, root));
    else out.push([relative(root, full), readFileSync(full, 'latin1'), (statSync(full).mode & 0o111) !== 0]);
  }
  return out;
}

export interface AnsibleInventoryResult {
  list: unknown;
  stderr: string;
  /** true when read from the reference cache. */
  cached: boolean;
}

/**
 * `ansible-inventory -i SRC... --list`: its parsed JSON and its stderr (warnings),
 * from the reference cache when the files under `roots` (every directory the
 * sources read), the sources and the environment given are those of a run already made.
 */
export async function ansibleInventoryList(sources: string[], roots: string[], env: NodeJS.ProcessEnv = {}): Promise<AnsibleInventoryResult> {
  if (!roots.length) throw new Error('ansibleInventoryList: give the directories the sources read (the cache key)');
  const base = roots[0];
  const inputs = {
    sources: sources.map((s) => relative(base, s)),
    env,
    trees: roots.map((r) => treeInputs(r, r)),
  };
  const ref = await ansibleReference('ansible-inventory', inputs, [fileURLToPath(import.meta.url)], () => runAnsibleInventory(sources, env));
  return { ...ref.value, cached: ref.cached };
}

function runAnsibleInventory(sources: string[], env: NodeJS.ProcessEnv): Promise<{ list: unknown; stderr: string }> {
  const args = [...sources.flatMap((s) => ['-i', s]), '--list'];
  return new Promise((resolve, reject) => {
    execFile(ANSIBLE_INVENTORY, args, { env: { ...process.env, ANSIBLE_NOCOLOR: '1', ...env }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ansible-inventory ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      try {
        resolve({ list: canonical(JSON.parse(stdout)), stderr });
      } catch (e) {
        reject(new Error(`ansible-inventory printed no JSON: ${(e as Error).message}\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** What `tsplay inventory -i SRC... --list` prints, parsed (engine/cli/cli.ts prints inventoryList). */
export async function tsplayInventoryList(sources: string[]): Promise<unknown> {
  return canonical(JSON.parse(JSON.stringify(inventoryList(await loadInventory(sources)))));
}

/** writeTree, then make the named files executable. */
export function writeTreeWithScripts(files: Record<string, string>, executable: string[]): string {
  const dir = writeTree(files);
  for (const f of executable) chmodSync(join(dir, f), 0o755);
  return dir;
}
