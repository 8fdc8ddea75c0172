// Ansible's side of a comparison, kept on disk by its inputs so that a rerun on
// the same machine does not pay for ansible-playbook again when nothing it
// depends on changed. What Ansible does here is a function of the task (the
// cases, the role files), of Ansible and the Python it runs on (their Debian
// package versions), of the harness that drives it (its source) and, for the
// lab, of the base image, the day (shadow's last-change field) and the
// versions of the packages the run installed. All of these
// make up the key (with a last check for what a key cannot hold: the package
// versions the mirror offers now); any change recomputes. The outcome stored is what
// ansible-playbook really produced on this machine, nothing is written by hand.
//
// The cache lives beside the lab's own (/var/cache/tsplay), so a fresh clone
// on the same machine finds it and a fresh machine recomputes.
// TSPLAY_ANSIBLE_REFERENCE=fresh recomputes (and rewrites) every entry;
// TSPLAY_ANSIBLE_REFERENCE=off neither reads nor writes the cache.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REFERENCE_DIR = process.env.TSPLAY_ANSIBLE_REFERENCE_DIR ?? '/var/cache/tsplay/ansible-reference';
const MODE = process.env.TSPLAY_ANSIBLE_REFERENCE ?? 'on';

let toolchain: string | undefined;
/**
 * The Debian versions of what runs Ansible's side (read once per process):
 * ansible-core, the `ansible` package's collections (community.general.ini_file,
 * ansible.posix.authorized_key, ...; "not installed" when absent), Python and its libraries.
 */
export function ansibleToolchain(): string {
  toolchain ??= ['ansible-core', 'ansible', 'python3', 'python3-jinja2', 'python3-yaml'].map((pkg) => {
    const r = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${Version} ${db:Status-Status}\n', pkg], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : `${pkg} not installed\n`;
  }).join('');
  return toolchain;
}

/** JSON with Buffers as their bytes (base64) and Maps as entry lists, for keys and for storage. */
const replacer = (_k: string, v: unknown): unknown => {
  if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
    return { $buffer: Buffer.from((v as { data: number[] }).data).toString('base64') };
  }
  if (v instanceof Map) return { $map: [...(v as Map<unknown, unknown>).entries()] };
  return v;
};
const reviver = (_k: string, v: unknown): unknown => {
  if (v && typeof v === 'object' && '$map' in v) return new Map((v as { $map: [unknown, unknown][] }).$map);
  if (v && typeof v === 'object' && '$buffer' in v) return Buffer.from((v as { $buffer: string }).$buffer, 'base64');
  return v;
};

/** The key of an outcome: its kind, its inputs, the toolchain and the source of the files that drive Ansible. */
export function referenceKey(kind: string, inputs: unknown, harnessFiles: string[]): string {
  const h = createHash('sha256');
  h.update(`${kind}\0${ansibleToolchain()}\0`);
  for (const f of harnessFiles) h.update(readFileSync(f)).update('\0');
  h.update(JSON.stringify(inputs, replacer));
  return h.digest('hex').slice(0, 24);
}

export interface Reference<T> {
  value: T;
  /** true when read from the cache, false when ansible-playbook ran now. */
  cached: boolean;
  key: string;
}

/** A cached outcome by its key; undefined when there is none (or the cache is off or refreshed). */
export function readReference<T>(kind: string, key: string): T | undefined {
  if (MODE === 'off' || MODE === 'fresh') return undefined;
  try {
    return JSON.parse(readFileSync(join(REFERENCE_DIR, `${kind}-${key}.json`), 'utf8'), reviver) as T;
  } catch {
    return undefined; // not cached yet, or unreadable: computed again
  }
}

/** Store an outcome under its key (atomically: a reader sees the old entry or the whole new one). */
export function writeReference(kind: string, key: string, value: unknown): void {
  if (MODE === 'off') return;
  mkdirSync(REFERENCE_DIR, { recursive: true });
  const file = join(REFERENCE_DIR, `${kind}-${key}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, replacer));
  renameSync(tmp, file);
  prune();
}

/** Entries not written for two weeks are dropped (their inputs are long gone). */
function prune(): void {
  const old = Date.now() - 14 * 86_400_000;
  for (const f of readdirSync(REFERENCE_DIR)) {
    try {
      if (statSync(join(REFERENCE_DIR, f)).mtimeMs < old) rmSync(join(REFERENCE_DIR, f), { force: true });
    } catch {
      /* removed meanwhile */
    }
  }
}

/** Ansible's outcome for these inputs: from the cache, else computed and stored. */
export async function ansibleReference<T>(
  kind: string, inputs: unknown, harnessFiles: string[], compute: () => Promise<T>,
  /** A last check of a cached outcome against what the key cannot hold (e.g. package versions on the mirror now). */
  stillValid?: (value: T) => Promise<boolean>,
): Promise<Reference<T>> {
  const key = referenceKey(kind, inputs, harnessFiles);
  const cached = readReference<T>(kind, key);
  if (cached !== undefined && (!stillValid || (await stillValid(cached)))) return { value: cached, cached: true, key };
  const value = await compute();
  writeReference(kind, key, value);
  return { value, cached: false, key };
}
