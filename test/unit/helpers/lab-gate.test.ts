// The lab tests' one gate (test/helpers/lab-gate.ts): under CI=true a machine
// that cannot host a lab registers a failing test; elsewhere a skipped one.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { labGate, labMissing, type GateDeps, type GateTest } from '../../helpers/lab-gate.js';

interface Registered {
  kind: 'test' | 'skip';
  title: string;
  /** What the registered test did when run: the t.fail messages. */
  failures: string[];
}

function fakeTest(): { test: GateTest; registered: Registered[] } {
  const registered: Registered[] = [];
  const fn = (title: string, impl: (t: { fail(message: string): void }) => void) => {
    const r: Registered = { kind: 'test', title, failures: [] };
    impl({ fail: (m) => r.failures.push(m) });
    registered.push(r);
  };
  fn.skip = (title: string) => {
    registered.push({ kind: 'skip', title, failures: [] });
  };
  return { test: fn, registered };
}

const deps = (env: Record<string, string | undefined>, missing: string[], t: GateTest): GateDeps => ({ env, missing: () => missing, test: t });

test('CI=true on a machine that cannot host a lab: one registered test, and it fails naming what is missing', (t) => {
  const f = fakeTest();
  t.false(labGate('the bytes lab tests', deps({ CI: 'true' }, ['root', 'systemd-nspawn'], f.test)));
  t.is(f.registered.length, 1);
  t.is(f.registered[0].kind, 'test');
  t.is(f.registered[0].title, 'CI can host a lab for the bytes lab tests');
  t.deepEqual(f.registered[0].failures, ['CI=true but this machine cannot host a lab: it lacks root, systemd-nspawn']);
});

test('outside CI a machine that cannot host a lab skips the file, it does not pass', (t) => {
  for (const env of [{}, { CI: 'false' }, { CI: '' }]) {
    const f = fakeTest();
    t.false(labGate('the lab tests', deps(env, ['root'], f.test)));
    t.deepEqual(f.registered, [{ kind: 'skip', title: 'the lab tests need a machine that can host a lab (it lacks root)', failures: [] }]);
  }
});

test('with ava itself: under CI=true the gate test fails the run; outside CI it is a skip', (t) => {
  const root = join(import.meta.dirname, '..', '..', '..');
  const run = (ci: string) => spawnSync(process.execPath, [join(root, 'node_modules/ava/entrypoints/cli.mjs'), '--config', 'test/unit/helpers/fixtures/ava-gate.config.mjs'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, GATE_CI: ci, CI: '' },
  });
  const inCi = run('true');
  t.is(inCi.status, 1, inCi.stdout + inCi.stderr);
  t.regex(inCi.stdout + inCi.stderr, /CI=true but this machine cannot host a lab: it lacks root/);
  t.regex(inCi.stdout + inCi.stderr, /1 test failed/);
  const outside = run('');
  t.is(outside.status, 0, outside.stdout + outside.stderr);
  t.regex(outside.stdout + outside.stderr, /1 test skipped/);
  t.notRegex(outside.stdout + outside.stderr, /passed/);
});

test('a machine that can host a lab registers the real tests, with or without CI', (t) => {
  for (const env of [{ CI: 'true' }, {}]) {
    const f = fakeTest();
    t.true(labGate('the lab tests', deps(env, [], f.test)));
    t.deepEqual(f.registered, []);
  }
});

test('labMissing names only the three requirements', (t) => {
  const known = ['root', 'systemd-nspawn', 'the cgroup v1 systemd hierarchy (/sys/fs/cgroup/systemd)'];
  for (const m of labMissing()) t.true(known.includes(m), m);
  t.is(labMissing().includes('root'), process.getuid?.() !== 0);
});

test('every lab test file gates through labGate and none probes the machine or CI itself', (t) => {
  const dir = join(import.meta.dirname, '..', '..', 'lab');
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts'));
  t.true(files.length >= 9, files.join(' '));
  const e2e = readFileSync(join(import.meta.dirname, '..', '..', 'helpers', 'live-migration-e2e.ts'), 'utf8');
  t.regex(e2e, /if \(!labGate\(/);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    t.true(/const canHost = labGate\('/.test(text) || /liveMigrationE2E\(/.test(text), `${f} does not use labGate`);
    for (const own of [/process\.env\.CI/, /which\('systemd-nspawn'\)/, /getuid/, /test\.skip\(/]) t.notRegex(text, own, `${f} has its own gate`);
  }
  t.notRegex(e2e, /process\.env\.CI|systemd-nspawn'\)|getuid/);
});
