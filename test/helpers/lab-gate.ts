// The one gate of the lab tests (test/lab/*.test.ts): they run whenever this
// machine can host a lab (root, systemd-nspawn, the cgroup v1 systemd
// hierarchy); elsewhere they are skipped, except under CI=true, where a
// machine that cannot host a lab is a failing test, never a pass or a skip.

import test from 'ava';
import { existsSync } from 'node:fs';
import { which } from '../../engine/lab/system.js';

/** What this machine lacks to host a lab; empty when it can. */
export function labMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  if (which('systemd-nspawn') === undefined) missing.push('systemd-nspawn');
  if (!existsSync('/sys/fs/cgroup/systemd')) missing.push('the cgroup v1 systemd hierarchy (/sys/fs/cgroup/systemd)');
  return missing;
}

/** The part of ava's `test` the gate registers with (a fake in the gate's own test). */
export interface GateTest {
  (title: string, impl: (t: { fail(message: string): void }) => void): void;
  skip(title: string, impl: () => void): void;
}

export interface GateDeps {
  env: Record<string, string | undefined>;
  missing: () => string[];
  test: GateTest;
}

/**
 * Gate the lab tests of one file (`what` names them). True: the machine can
 * host a lab, register the tests. False: a failing test (CI=true) or a
 * skipped one has been registered in their place.
 */
export function labGate(what: string, deps: GateDeps = { env: process.env, missing: labMissing, test }): boolean {
  const missing = deps.missing();
  if (missing.length === 0) return true;
  const lacks = missing.join(', ');
  if (deps.env.CI === 'true') {
    deps.test(`CI can host a lab for ${what}`, (t) => t.fail(`CI=true but this machine cannot host a lab: it lacks ${lacks}`));
  } else {
    deps.test.skip(`${what} need a machine that can host a lab (it lacks ${lacks})`, () => {});
  }
  return false;
}
