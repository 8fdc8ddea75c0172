// Fact `services`: init-system output -> state; predictions + state -> predicted state.

import test from 'ava';
import { parseSystemctlShow, parseSystemctlShowMany, serviceSnippet, services, systemdUnitName } from '../../../../engine/facts/services.js';
import { ReadAhead } from '../../../../engine/host/read-ahead.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import type { Prediction, ServiceState } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

const show = (load: string, active: string, ufs: string) => out(`LoadState=${load}\nActiveState=${active}\nSubState=x\nUnitFileState=${ufs}\n`);
const systemd = readCtx({ service_mgr: 'systemd' });

test('services: one section per name, by init system (systemd: one systemctl for several); a name like an option is refused', (t) => {
  t.deepEqual(services.sections(['libvirtd'], systemd), [quoteArgv(['systemctl', 'show', '-p', 'LoadState,ActiveState,SubState,UnitFileState', '--', 'libvirtd.service'])]);
  t.deepEqual(services.sections(['libvirtd', 'x.socket'], systemd), [
    quoteArgv(['systemctl', 'show', '-p', 'LoadState,ActiveState,SubState,UnitFileState', '--', 'libvirtd.service', 'x.socket']),
  ]);
  t.deepEqual(services.sections(['a', 'b'], readCtx({}, 'sysvinit')), [serviceSnippet('sysvinit', 'a'), serviceSnippet('sysvinit', 'b')]);
  t.true(serviceSnippet('upstart', "it's").includes("initctl status 'it'\\''s'"));
  t.throws(() => services.sections(['-R'], systemd), { message: /^h: "-R" is not a service name/ });
  t.throws(() => services.sections(['a'], readCtx()), { message: /unknown service manager/ });
});

test('services (systemd): not-found, enabled, runtime, static, masked, disabled', (t) => {
  const rows: Array<[ReturnType<typeof out>, ServiceState | Partial<ServiceState>]> = [
    [show('not-found', 'inactive', ''), { name: 's', exists: false }],
    [show('loaded', 'active', 'enabled'), { name: 's', exists: true, active: true, enabled: true }],
    [show('loaded', 'inactive', 'enabled-runtime'), { name: 's', exists: true, active: false, enabled: true }],
    [show('loaded', 'active', 'static'), { name: 's', exists: true, active: true, enabled: null }],
    [show('loaded', 'activating', 'indirect'), { name: 's', exists: true, active: true, enabled: null }],
    [show('masked', 'inactive', 'masked'), { name: 's', exists: true, active: false, enabled: false }],
    [show('loaded', 'failed', 'disabled'), { name: 's', exists: true, active: false, enabled: false }],
  ];
  for (const [o, expected] of rows) t.deepEqual(parseRows(services, ['s'], [o], systemd), [expected], o.stdout);
  t.throws(() => parseSystemctlShow('f', out('', 1, 'System has not been booted with systemd')), { message: /booted with systemd/ });
  t.is(systemdUnitName('libvirtd'), 'libvirtd.service');
  t.is(systemdUnitName('libvirtd-tcp.socket'), 'libvirtd-tcp.socket');
  t.is(systemdUnitName('nova-compute.service'), 'nova-compute.service');
});

test('services (upstart, sysvinit): probe lines', (t) => {
  const up = readCtx({}, 'upstart');
  t.deepEqual(parseRows(services, ['nova-compute'], [out('exists\nstatus nova-compute start/running, process 1234\n')], up), [
    { name: 'nova-compute', exists: true, active: true, enabled: true },
  ]);
  t.deepEqual(parseRows(services, ['libvirt-bin'], [out('exists\nmanual\nstatus libvirt-bin stop/waiting\n')], up), [
    { name: 'libvirt-bin', exists: true, active: false, enabled: false },
  ]);
  t.deepEqual(parseRows(services, ['nope'], [out('status \n')], up), [{ name: 'nope', exists: false }]);
  const sysv = readCtx({ service_mgr: 'sysvinit' });
  t.deepEqual(parseRows(services, ['nfs'], [out('exists\nenabled\nstatus 0\n')], sysv), [{ name: 'nfs', exists: true, active: true, enabled: true }]);
  t.deepEqual(parseRows(services, ['nfs'], [out('exists\nstatus 3\n')], sysv), [{ name: 'nfs', exists: true, active: false, enabled: false }]);
  t.deepEqual(parseRows(services, ['nfs'], [out('')], sysv), [{ name: 'nfs', exists: false }]);
});

const ssh: ServiceState = { name: 'ssh', exists: true, active: true, enabled: true };
const ROWS: Array<{ what: string; value: ServiceState; predictions: Prediction[][]; expected: ServiceState }> = [
  { what: 'nothing predicted', value: ssh, predictions: [], expected: ssh },
  { what: 'stopped, x and x.service are one', value: ssh, predictions: [[{ kind: 'service', name: 'ssh.service', active: false }]], expected: { ...ssh, active: false, predicted: true } },
  { what: 'merged: disabled then started', value: { ...ssh, active: false }, predictions: [[{ kind: 'service', name: 'ssh', enabled: false }], [{ kind: 'service', name: 'ssh', active: true }]], expected: { ...ssh, enabled: false, predicted: true } },
  { what: 'unknown unit, explicitly started', value: { name: 'n', exists: false }, predictions: [[{ kind: 'service', name: 'n', active: true }]], expected: { name: 'n', exists: true, active: true, enabled: false, predicted: true } },
  { what: 'unknown unit, a package removed: still unknown', value: { name: 'x', exists: false }, predictions: [[{ kind: 'package', name: 'x', installed: false }]], expected: { name: 'x', exists: false } },
];

test('services: predictions -> predicted state', async (t) => {
  for (const row of ROWS) t.deepEqual(await predictRow(services, row.value.name, row.value, row.predictions), row.expected, row.what);
});
// Units a predicted package ships: test/unit/engine/facts/package-files.test.ts (recorded snapshots).

// Recorded on a lab host (Debian 12): `systemctl show -p LoadState,ActiveState,SubState,UnitFileState -- libvirtd.socket nosuch.service sshd.service`.
const SHOW_THREE = 'LoadState=loaded\nActiveState=active\nSubState=listening\nUnitFileState=enabled\n\n' +
  'LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n\n' +
  'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n';

test('services (systemd): several units in one systemctl show, a block each in order; a failed call or a wrong count is an error for all', (t) => {
  const names = ['libvirtd.socket', 'nosuch', 'sshd'];
  t.deepEqual(services.parse(names, [{ ...out(SHOW_THREE), rc: 0 }], systemd), [
    { name: 'libvirtd.socket', exists: true, active: true, enabled: true },
    { name: 'nosuch', exists: false },
    { name: 'sshd', exists: true, active: true, enabled: true },
  ]);
  t.throws(() => parseSystemctlShowMany(names.slice(0, 2), { rc: 0, stdout: SHOW_THREE, stderr: '' }), { message: /3 answers for 2 units/ });
  t.throws(() => parseSystemctlShowMany(names, { rc: 1, stdout: '', stderr: 'Failed to connect to bus' }), { message: /failed \(rc 1.*Failed to connect to bus/ });
});

test('read ahead: a value answers one read of the same fact, argument and reader; a read it cannot answer whole goes to the host', (t) => {
  const ahead = new ReadAhead();
  ahead.put('root', services, ['a', 'b'], ['A', 'B']);
  t.is(ahead.take('other-user', services, ['a']), undefined, 'another reader');
  t.is(ahead.take('root', services, ['a', 'c']), undefined, 'not every argument');
  t.is(ahead.size, 2, 'nothing taken by a read it could not answer');
  t.deepEqual(ahead.take('root', services, ['b']), ['B']);
  t.is(ahead.take('root', services, ['b']), undefined, 'taken once');
  t.deepEqual(ahead.take('root', services, ['a']), ['A']);
  t.is(ahead.size, 0);
});
