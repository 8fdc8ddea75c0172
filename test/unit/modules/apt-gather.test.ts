// What apt's gather asks the host: `apt-cache policy` only for the packages
// whose candidate the plan can use (those not installed; every one under
// `latest`), and the plan's outcome the same as when every candidate is known.

import test from 'ava';
import apt from '../../../modules/apt.js';
import { validateModuleArgs } from '../../../engine/load/module-args.js';
import { packages } from '../../../engine/facts/packages.js';
import type { RunResult } from '../../../engine/module-api.js';
import { row, tableReader } from '../engine/facts/table-reader.js';

const INSTALLED = new Set(['nfs-common', 'rpcbind']);
const POLICY: Record<string, string> = {
  'nfs-common': 'nfs-common:\n  Installed: 1:2.6.2-4\n  Candidate: 1:2.6.2-4+deb12u1\n',
  rpcbind: 'rpcbind:\n  Installed: 1.2.6-6+b1\n  Candidate: 1.2.6-6+b1\n',
  'nfs-kernel-server': 'nfs-kernel-server:\n  Installed: (none)\n  Candidate: 1:2.6.2-4+deb12u1\n',
};

function hostWith() {
  const run = (argv: string[]): RunResult => {
    if (argv.includes('policy')) return { rc: 0, stdout: argv.slice(argv.indexOf('--') + 1).map((n) => POLICY[n] ?? '').join(''), stderr: '' };
    if (argv[0] === 'stat') return { rc: 0, stdout: '1700000000\n1700000000\n', stderr: '' };
    if (argv[0] === 'date') return { rc: 0, stdout: '1700000600\n', stderr: '' };
    return { rc: 1, stdout: '', stderr: `unexpected ${argv.join(' ')}` };
  };
  return tableReader([
    row(packages, (name) => (INSTALLED.has(name) ? { name, installed: true, version: name === 'rpcbind' ? '1.2.6-6+b1' : '1:2.6.2-4' } : { name, installed: false })),
  ], { run });
}

const policyOf = (runs: string[][]) => runs.find((a) => a.includes('policy'));

for (const [title, args, policyNames, outcome] of [
  ['present, all installed: no apt-cache, no change', { name: ['nfs-common', 'rpcbind'], state: 'present', update_cache: true, cache_valid_time: 3600 }, undefined, 'unchanged'],
  ['present, one missing: apt-cache for that one only, an install', { name: ['nfs-common', 'nfs-kernel-server'], state: 'present' }, ['nfs-kernel-server'], 'install nfs-kernel-server'],
  ['latest: apt-cache for every package, the upgrade seen', { name: ['nfs-common', 'rpcbind'], state: 'latest' }, ['nfs-common', 'rpcbind'], 'upgrade nfs-common 1:2.6.2-4 -> 1:2.6.2-4+deb12u1'],
  ['absent: no apt-cache', { name: ['nfs-common'], state: 'absent' }, undefined, 'remove nfs-common'],
] as const) {
  test(`apt gather: ${title}`, async (t) => {
    const a: Record<string, unknown> = structuredClone(args);
    validateModuleArgs(apt, a);
    const host = hostWith();
    const state = await apt.gather(a as never, host, { diff: false, facts: host.facts, render: (s: string) => s } as never);
    const policy = policyOf(host.runs);
    t.deepEqual(policy ? policy.slice(policy.indexOf('--') + 1) : undefined, policyNames ? [...policyNames] : undefined);
    const plan = apt.plan(a as never, state, { diff: false } as never);
    t.is(plan.changed ? plan.summary : 'unchanged', outcome);
  });
}
