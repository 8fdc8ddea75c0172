// Run a playbook in-process and capture the runner's events (for engine tests).

import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadInventory } from '../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../engine/load/playbook.js';
import { loadRegistry } from '../../engine/load/registry.js';
import { Runner, type RunnerOptions } from '../../engine/run/runner.js';
import type { RunEvent, HostResultEvent } from '../../engine/report/events.js';

export interface PlaybookRun {
  code: number;
  events: RunEvent[];
  dir: string;
  /** host_result events, optionally for one task name. */
  results(task?: string): HostResultEvent[];
  recap(): Extract<RunEvent, { kind: 'recap' }>['hosts'];
}

/** Write files (path -> content; a string is written as UTF-8) into a new temp dir; returns the dir. */
export function writeTree(files: Record<string, string | Buffer>, dir = mkdtempSync(join(tmpdir(), 'tsplay-test-'))): string {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

export const LOCAL_INVENTORY = `all:
  hosts:
    local1: { ansible_connection: local }
    local2: { ansible_connection: local }
`;

export async function runPlaybook(
  files: Record<string, string | Buffer>,
  opts: Partial<Omit<RunnerOptions, 'inventory' | 'registry' | 'emit'>> & { playbook?: string; inventory?: string[] } = {},
): Promise<PlaybookRun> {
  const dir = writeTree({ 'inventory.yml': LOCAL_INVENTORY, ...files });
  const inventory = await loadInventory((opts.inventory ?? ['inventory.yml']).map((p) => join(dir, p)));
  // A library/ directory beside the playbook holds the user's own modules, as for the CLI.
  const registry = await loadRegistry([join(dir, 'library')]);
  const pb = await loadPlaybook(join(dir, opts.playbook ?? 'playbook.yml'), registry);
  const events: RunEvent[] = [];
  const { playbook: _p, inventory: _i, ...runnerOpts } = opts;
  const runner = new Runner({
    check: false, diff: false, forks: 5, strategy: 'linear', tags: [], skipTags: [], extraVars: {}, verbosity: 0,
    ...runnerOpts,
    inventory, registry,
    emit: (e) => events.push(e),
  });
  const code = await runner.run([pb]);
  return {
    code, events, dir,
    results: (task) => events.filter((e): e is HostResultEvent => e.kind === 'host_result' && (task === undefined || e.task === task)),
    recap: () => (events.find((e) => e.kind === 'recap') as Extract<RunEvent, { kind: 'recap' }>).hosts,
  };
}
