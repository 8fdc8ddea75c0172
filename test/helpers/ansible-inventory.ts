// Run Ansible's own `ansible-inventory -i SRC --list` (ansible-core 2.14,
// Debian's package; installed in CI) and tsplay's equivalent, for tests that
// compare the two. ANSIBLE_INVENTORY_ENABLED is left at its defaults.

import { execFile } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory, inventoryList } from '../../engine/inventory/inventory.js';
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

/** `ansible-inventory -i SRC... --list`: its parsed JSON and its stderr (warnings). */
export function ansibleInventoryList(sources: string[], env: NodeJS.ProcessEnv = {}): Promise<{ list: unknown; stderr: string }> {
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
