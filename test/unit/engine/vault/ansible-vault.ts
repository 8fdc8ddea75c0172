// Shared by the vault tests: run the real ansible-vault (Debian's ansible-core;
// CI installs it) with fixed passwords written to files in a temp directory.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';

export const ANSIBLE_VAULT = '/usr/bin/ansible-vault';
/** Outside CI, machines without ansible-core skip the tests that need it; in CI they always run. */
export const withAnsible = existsSync(ANSIBLE_VAULT) || process.env.CI ? test : test.skip;

/** A temp directory holding password files pw-a ("alpha-pass") and pw-b ("bravo-pass"). */
export function vaultDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tsplay-vault-'));
  writeFileSync(join(d, 'pw-a'), 'alpha-pass\n');
  writeFileSync(join(d, 'pw-b'), 'bravo-pass\n');
  return d;
}

export function ansibleVault(args: string[], cwd: string, input?: string): string {
  return execFileSync(ANSIBLE_VAULT, args, { cwd, encoding: 'utf8', input, env: { ...process.env, ANSIBLE_NOCOLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
}
/** As withAnsible, one test at a time (the CLI runs in-process: cwd and the run's secrets are the process's). */
export const withAnsibleSerial = existsSync(ANSIBLE_VAULT) || process.env.CI ? test.serial : test.skip;
