// The python facts (ansible_python, ansible_python_version): the probe run on
// this machine through the local connection, then parsed, against Ansible's own
// setup output for the same machine (ansible -m setup, local connection), when
// Ansible is installed (CI installs it); and the parser on fixed probe output.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pythonFacts, pythonVersionFacts } from '../../../../engine/facts/setup/platform.js';
import { PROBES } from '../../../../engine/facts/setup/probes.js';

const probe = PROBES.find((p) => p.key === 'python');
const run = (stdout: string) => ({ python: { rc: 0, stdout, stderr: '' } });

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
});
