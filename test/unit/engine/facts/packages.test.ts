// Fact `packages`: dpkg-query output -> state; predictions + state -> predicted state.

import test from 'ava';
import { packages } from '../../../../engine/facts/packages.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { PackageState, Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx, tableReader } from './table-reader.js';
import { installDownloadsArgv } from '../../../../engine/facts/apt-simulation.js';

test('packages: one dpkg-query for every name, after --', (t) => {
  t.deepEqual(packages.sections(['a', '-b'], readCtx()), [
    quoteArgv(['dpkg-query', '-W', '-f=${Package}\t${binary:Package}\t${db:Status-Abbrev}\t${Version}\n', '--', 'a', '-b']),
  ]);
});

test('packages: ii/hi installed, rc and un not, multi-arch, unknown names', (t) => {
  const o = [
    'libvirt-daemon\tlibvirt-daemon\tii \t9.0.0-4',
    'nfs-common\tnfs-common\trc \t1:2.6.2-4',
    'held\theld\thi \t2.0',
    'libc6\tlibc6:amd64\tii \t2.36-9',
    'libc6\tlibc6:i386\tun \t',
    'half\thalf\tiF \t1',
  ].join('\n');
  const names = ['libvirt-daemon', 'nfs-common', 'held', 'libc6', 'libc6:amd64', 'libc6:i386', 'half', 'nope'];
  t.deepEqual(parseRows(packages, names, [out(o, 1)]), [
    { name: 'libvirt-daemon', installed: true, version: '9.0.0-4' },
    { name: 'nfs-common', installed: false },
    { name: 'held', installed: true, version: '2.0' },
    { name: 'libc6', installed: true, version: '2.36-9' },
    { name: 'libc6:amd64', installed: true, version: '2.36-9' },
    { name: 'libc6:i386', installed: false },
    { name: 'half', installed: false },
    { name: 'nope', installed: false },
  ]);
  t.throws(() => parseRows(packages, ['a'], [out('', 2, 'dpkg-query: error')]), { message: /^h: dpkg-query failed \(rc 2\)/ });
});

const ROWS: Array<{ what: string; value: PackageState; predictions: Prediction[][]; expected: PackageState }> = [
  { what: 'nothing predicted', value: { name: 'a', installed: true, version: '1' }, predictions: [], expected: { name: 'a', installed: true, version: '1' } },
  { what: 'predicted installed: no version', value: { name: 'a', installed: false }, predictions: [[{ kind: 'package', name: 'a', installed: true }]], expected: { name: 'a', installed: true, predicted: true } },
  { what: 'already as predicted: the host\'s', value: { name: 'a', installed: true, version: '1' }, predictions: [[{ kind: 'package', name: 'a', installed: true }]], expected: { name: 'a', installed: true, version: '1' } },
  { what: 'predicted removed', value: { name: 'a', installed: true, version: '1' }, predictions: [[{ kind: 'package', name: 'a', installed: false }]], expected: { name: 'a', installed: false, predicted: true } },
  { what: 'later wins', value: { name: 'a', installed: false }, predictions: [[{ kind: 'package', name: 'a', installed: true }], [{ kind: 'package', name: 'a', installed: false }]], expected: { name: 'a', installed: false } },
];

test('packages: predictions -> predicted state', async (t) => {
  // The dependency resolution finds nothing more (rc 100): only the names themselves.
  const host = tableReader([], { run: () => ({ rc: 100, stdout: '', stderr: '' }) });
  for (const row of ROWS) t.deepEqual(await predictRow(packages, row.value.name, row.value, row.predictions, host), row.expected, row.what);
});

test('packages: a new dependency of a predicted install is predicted installed', async (t) => {
  const host = tableReader([], { run: () => out('amd64\nrpcbind_1.2.6-6+b1_amd64.deb\nnfs-common_1%3a2.6.2-4_amd64.deb\n') });
  const install: Prediction[] = [{ kind: 'package', name: 'nfs-common', installed: true }];
  t.deepEqual(await predictRow(packages, 'rpcbind', { name: 'rpcbind', installed: false }, [install], host), { name: 'rpcbind', installed: true, predicted: true });
  t.deepEqual(await predictRow(packages, 'other', { name: 'other', installed: false }, [install], host), { name: 'other', installed: false });
  t.deepEqual(
    await predictRow(packages, 'rpcbind', { name: 'rpcbind', installed: false }, [install, [{ kind: 'package', name: 'rpcbind', installed: false }]], host),
    { name: 'rpcbind', installed: false },
    'predicted removed after',
  );
  t.deepEqual(host.runs, [
    installDownloadsArgv(['nfs-common']),
    installDownloadsArgv(['nfs-common']),
  ], 'one resolution per overlay (each row has its own)');
});
