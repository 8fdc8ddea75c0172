// Fact `pip_packages`: the script's output -> which pip, the virtualenv, the
// installed list; predictions + state -> predicted state. The outputs are
// what the script printed on this machine (a venv, Debian's system Python).

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePip, pipPackages, pipSnippet } from '../../../../engine/facts/pip.js';
import type { PipState } from '../../../../engine/facts/pip.js';
import type { Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow } from './table-reader.js';

test('pip_packages: output -> pip, virtualenv, canonical names and versions', (t) => {
  t.deepEqual(parsePip(out('venv=1\nem=0\npip=/srv/venv/bin/pip3\n---\nTiny.B==0.5\ntinya==2.0\npip==23.0.1\n')), {
    venvExists: true, pip: ['/srv/venv/bin/pip3'], installed: { 'tiny-b': '0.5', tinya: '2.0', pip: '23.0.1' },
  });
  t.deepEqual(parsePip(out('venv=0\nem=1\npip=/usr/bin/python3\tpip.__main__\n---\nansible-core==2.14.18\n')), {
    venvExists: false, pip: ['/usr/bin/python3', '-m', 'pip.__main__'], installed: { 'ansible-core': '2.14.18' }, externallyManaged: true,
  });
  t.deepEqual(parsePip(out('venv=0\nem=0\npip=\n---\n')), { venvExists: false, installed: {} }, 'no pip found');
  t.deepEqual(parsePip(out('venv=1\nem=0\npip=/v/bin/pip3\n---\n', 1, 'boom')).listError, { rc: 1, stderr: 'boom' });
  t.is(parseRows(pipPackages, [{ venv: '/v' }], [out('venv=1\nem=0\npip=/v/bin/pip\n---\na_b==1\n')])[0].installed['a-b'], '1');
});

test('pip_packages: the script run for real finds a virtualenv and its pip', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-pipfact-'));
  try {
    const missing = parsePip({ rc: 0, stdout: execFileSync('/bin/sh', ['-c', pipSnippet({ venv: join(dir, 'v') })], { encoding: 'utf8' }), stderr: '' });
    t.deepEqual(missing, { venvExists: false, installed: {} });
    execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', join(dir, 'v')]);
    const noPip = parsePip({ rc: 0, stdout: execFileSync('/bin/sh', ['-c', pipSnippet({ venv: join(dir, 'v') })], { encoding: 'utf8' }), stderr: '' });
    t.deepEqual(noPip, { venvExists: true, installed: {} }, 'a virtualenv without pip');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const base: PipState = { venvExists: true, pip: ['/v/bin/pip3'], installed: { tinya: '1.0' } };
const ROWS: Array<{ what: string; where?: { venv: string } | { default: true }; base?: PipState; predictions: Prediction[][]; expected: PipState }> = [
  { what: 'nothing predicted', predictions: [], expected: base },
  { what: 'an install with its version', predictions: [[{ kind: 'pip', env: 'venv:/v', name: 'tiny-b', installed: true, version: '0.5' }]], expected: { ...base, installed: { tinya: '1.0', 'tiny-b': '0.5' }, predicted: true } },
  { what: 'an install, version unknown', predictions: [[{ kind: 'pip', env: 'venv:/v', name: 'tinya', installed: true }]], expected: { ...base, installed: { tinya: null }, predicted: true } },
  { what: 'a removal', predictions: [[{ kind: 'pip', env: 'venv:/v', name: 'tinya', installed: false }]], expected: { ...base, installed: {}, predicted: true } },
  { what: 'another environment', predictions: [[{ kind: 'pip', env: 'venv:/w', name: 'tinya', installed: false }]], expected: base },
  {
    what: 'a virtualenv a task creates, then an install in it', base: { venvExists: false, installed: {} },
    predictions: [[{ kind: 'file', path: '/v/bin/activate', state: 'file' }, { kind: 'pip', env: 'venv:/v', name: 'tinya', installed: true, version: '2.0' }]],
    expected: { venvExists: true, pip: ['/v/bin/pip3'], installed: { tinya: '2.0' }, predicted: true },
  },
  {
    what: "Debian's python3-pip installed by an earlier task: the default pip", where: { default: true } as never, base: { venvExists: false, installed: {}, externallyManaged: true },
    predictions: [[{ kind: 'package', name: 'python3-pip', installed: true }]],
    expected: { venvExists: false, pip: ['/usr/bin/python3', '-m', 'pip.__main__'], installed: {}, externallyManaged: true, predicted: true },
  },
  { what: 'a virtualenv removed', predictions: [[{ kind: 'file', path: '/v', state: 'absent' }]], expected: { venvExists: false, installed: {}, predicted: true } },
];

test('pip_packages: predictions -> predicted state', async (t) => {
  for (const row of ROWS) t.deepEqual(await predictRow(pipPackages, row.where ?? { venv: '/v' }, row.base ?? base, row.predictions), row.expected, row.what);
});
