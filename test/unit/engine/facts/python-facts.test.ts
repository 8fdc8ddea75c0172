// The python facts (ansible_python, ansible_python_version): the probe run on
// this machine through the local connection, then parsed, against Ansible's own
// setup output for the same machine (ansible -m setup, local connection), when
// Ansible is installed (CI installs it); and the parser on fixed probe output.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pythonFacts, pythonVersionFacts } from '../../../../engine/facts/setup/platform.js';
import { PROBES, probesFor } from '../../../../engine/facts/setup/probes.js';
import { resolveGatherSubset } from '../../../../engine/facts/setup/subset.js';

const probe = PROBES.find((p) => p.key === 'python');
const versionProbe = PROBES.find((p) => p.key === 'python_v');
const run = (stdout: string) => ({ python: { rc: 0, stdout, stderr: '' } });
const runV = (stdout: string) => ({ python_v: { rc: 0, stdout, stderr: '' } });
const probeKeys = (subset: string[]) => probesFor(resolveGatherSubset(subset)).map((p) => p.key).filter((k) => k.startsWith('python'));

test('the parser reads executable, version, implementation and ssl; python_version is apart (the platform collector has it)', (t) => {
  const out = run('/usr/bin/python3\n3 11 2 final 0\ncpython\n1\n');
  t.deepEqual(pythonFacts(out), {
    python: {
      executable: '/usr/bin/python3', has_sslcontext: true, type: 'cpython',
      version: { major: 3, minor: 11, micro: 2, releaselevel: 'final', serial: 0 }, version_info: [3, 11, 2, 'final', 0],
    },
  });
  t.deepEqual(pythonVersionFacts(out), { python_version: '3.11.2' });
  t.false((pythonFacts(run('/usr/bin/python3\n3 11 2 final 0\ncpython\n0\n')).python as { has_sslcontext: boolean }).has_sslcontext);
});

test('python_version: a pre-release as platform.python_version() writes it, from the probe or from `python -V`', (t) => {
  t.deepEqual(pythonVersionFacts(run('/usr/bin/python3\n3 12 0 candidate 1\ncpython\n1\n')), { python_version: '3.12.0rc1' });
  t.deepEqual(pythonVersionFacts(run('/usr/bin/python3\n3 13 0 alpha 2\ncpython\n1\n')), { python_version: '3.13.0a2' });
  const rows: [string, Record<string, string>][] = [
    ['Python 3.11.2\n', { python_version: '3.11.2' }],
    ['Python 3.12.0rc1\n', { python_version: '3.12.0rc1' }],
    ['Python 2.7.18\n', { python_version: '2.7.18' }],
    ['Python 3.9.16 (feeb267ead3e, Dec 29 2022, 14:57:16)\n[PyPy 7.3.11 with GCC 12.2.0]\n', { python_version: '3.9.16' }],
    ['', {}],
    ['sh: 1: python3: not found\n', {}],
  ];
  for (const [stdout, want] of rows) t.deepEqual(pythonVersionFacts(runV(stdout)), want, JSON.stringify(stdout));
});

test('the platform collector alone runs `python -V`; with the python collector only the python probe runs', (t) => {
  t.deepEqual(probeKeys(['!all', '!min', 'platform']), ['python_v']);
  t.deepEqual(probeKeys(['!all', '!min', 'service_mgr']), ['python_v']);
  t.deepEqual(probeKeys(['!all', '!min', 'python']), ['python']);
  t.deepEqual(probeKeys(['!all', '!min', 'platform', 'python']), ['python']);
  t.deepEqual(probeKeys(['min']), ['python']);
  t.deepEqual(probeKeys(['all']), ['python']);
  t.deepEqual(probeKeys(['!all', '!min', 'virtual']), []);
});

test('a host without python has no python facts (an expression using them is an undefined variable)', (t) => {
  t.deepEqual(pythonFacts(run('')), {});
  t.deepEqual(pythonFacts({}), {});
  t.deepEqual(pythonFacts(run('/usr/bin/python3\nnot a version\n')), {});
  t.deepEqual(pythonVersionFacts(run('')), {});
});

test("on this machine: the same python facts as Ansible's setup", (t) => {
  t.truthy(probe, 'a python probe exists');
  if (!existsSync('/usr/bin/ansible')) return t.fail('ansible is not installed (apt-get install ansible-core)');
  const stdout = execFileSync('/bin/sh', ['-c', probe!.sh], { encoding: 'utf8' });
  const ours = { ...pythonFacts(run(stdout)), ...pythonVersionFacts(run(stdout)) };
  const out = execFileSync('/usr/bin/ansible', ['localhost', '-c', 'local', '-e', 'ansible_python_interpreter=/usr/bin/python3', '-m', 'setup', '-a', 'filter=ansible_python*'], {
    encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0' }, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const facts = (JSON.parse(out.slice(out.indexOf('{'))) as { ansible_facts: Record<string, unknown> }).ansible_facts;
  t.deepEqual(ours, { python: facts.ansible_python, python_version: facts.ansible_python_version });
  // the platform collector alone: the same python_version from `python -V`
  const v = execFileSync('/bin/sh', ['-c', versionProbe!.sh], { encoding: 'utf8' });
  t.deepEqual(pythonVersionFacts(runV(v)), { python_version: facts.ansible_python_version });
});
