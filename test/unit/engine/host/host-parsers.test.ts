// Pure parsers of the host layer, on recorded outputs.

import test from 'ava';
import {
  buildSectionScript,
  parseDpkgQuery,
  parseGroup,
  parseMountinfo,
  parsePasswd,
  parseSections,
  parseStat,
  parseSystemctlShow,
  parseSysv,
  parseUpstart,
  systemdUnitName,
} from '../../../../engine/host/host.js';

const r = (stdout: string, rc = 0, stderr = '') => ({ rc, stdout, stderr });

test('sections: exact content, marker look-alikes from another call, missing section', (t) => {
  const nonce = 'n1';
  const { script, count } = buildSectionScript(['a', 'b'], nonce);
  t.is(count, 2);
  t.true(script.includes('@@tsplay:n1:begin:0@@'));
  const out = '@@tsplay:n1:begin:0@@\nx\n@@tsplay:n0:end:0@@ 0\nno-nl\n@@tsplay:n1:end:0@@ 0\n@@tsplay:n1:begin:1@@\n\n@@tsplay:n1:end:1@@ 7\n';
  const err = '@@tsplay:n1:begin:0@@\n\n@@tsplay:n1:end:0@@ 0\n@@tsplay:n1:begin:1@@\noops\n\n@@tsplay:n1:end:1@@ 7\n';
  t.deepEqual(parseSections(out, err, nonce, 2), [
    { rc: 0, stdout: 'x\n@@tsplay:n0:end:0@@ 0\nno-nl', stderr: '' },
    { rc: 7, stdout: '', stderr: 'oops\n' },
  ]);
  t.throws(() => parseSections(out.slice(0, 60), err, nonce, 2), { message: /section 0/ });
});

test('stat line: types, setgid mode, unnamed ids, symlink target with newline', (t) => {
  t.deepEqual(parseStat('/f', r('81a4\t644\t0\t0\troot\troot\t12\n')), {
    path: '/f', exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', size: 12,
  });
  t.like(parseStat('/d', r('45e8\t2750\t107\t110\tUNKNOWN\tUNKNOWN\t4096\n')), { type: 'directory', mode: '2750', owner: '107', group: '110' });
  t.like(parseStat('/l', r('a1ff\t777\t0\t0\troot\troot\t7\nta\nrget\n')), { type: 'link', linkTarget: 'ta\nrget' });
  t.like(parseStat('/s', r('c1ed\t755\t0\t0\troot\troot\t0\n')), { type: 'other' });
  t.deepEqual(parseStat('/m', r('', 3)), { path: '/m', exists: false });
  t.throws(() => parseStat('/x', r('', 2, 'stat: Permission denied')), { message: /Permission denied/ });
});

test('dpkg-query: ii/hi installed, rc and un not, multi-arch, unknown names', (t) => {
  const out = [
    'libvirt-daemon\tlibvirt-daemon\tii \t9.0.0-4',
    'nfs-common\tnfs-common\trc \t1:2.6.2-4',
    'held\theld\thi \t2.0',
    'libc6\tlibc6:amd64\tii \t2.36-9',
    'libc6\tlibc6:i386\tun \t',
    'half\thalf\tiF \t1',
  ].join('\n');
  t.deepEqual(parseDpkgQuery(['libvirt-daemon', 'nfs-common', 'held', 'libc6', 'libc6:amd64', 'libc6:i386', 'half', 'nope'], out), [
    { name: 'libvirt-daemon', installed: true, version: '9.0.0-4' },
    { name: 'nfs-common', installed: false },
    { name: 'held', installed: true, version: '2.0' },
    { name: 'libc6', installed: true, version: '2.36-9' },
    { name: 'libc6:amd64', installed: true, version: '2.36-9' },
    { name: 'libc6:i386', installed: false },
    { name: 'half', installed: false },
    { name: 'nope', installed: false },
  ]);
});

test('getent passwd / group', (t) => {
  t.deepEqual(parsePasswd(['nova', 'x'], 'nova:x:107:110:OpenStack Nova,,,:/var/lib/nova:/bin/sh\n'), [
    { name: 'nova', exists: true, uid: 107, gid: 110, home: '/var/lib/nova', shell: '/bin/sh' },
    { name: 'x', exists: false },
  ]);
  t.deepEqual(parseGroup(['libvirt', 'nova'], 'libvirt:x:120:nova,root\nnova:x:110:\n'), [
    { name: 'libvirt', exists: true, gid: 120, members: ['nova', 'root'] },
    { name: 'nova', exists: true, gid: 110, members: [] },
  ]);
});

test('systemctl show: not-found, enabled, runtime, static, masked, disabled', (t) => {
  const show = (load: string, active: string, ufs: string) => r(`LoadState=${load}\nActiveState=${active}\nSubState=x\nUnitFileState=${ufs}\n`);
  t.deepEqual(parseSystemctlShow('nfs-server', show('not-found', 'inactive', '')), { name: 'nfs-server', exists: false });
  t.deepEqual(parseSystemctlShow('ssh', show('loaded', 'active', 'enabled')), { name: 'ssh', exists: true, active: true, enabled: true });
  t.like(parseSystemctlShow('a', show('loaded', 'inactive', 'enabled-runtime')), { active: false, enabled: true });
  t.like(parseSystemctlShow('b', show('loaded', 'active', 'static')), { enabled: null });
  t.like(parseSystemctlShow('c', show('loaded', 'inactive', 'indirect')), { enabled: null });
  t.like(parseSystemctlShow('d', show('masked', 'inactive', 'masked')), { exists: true, enabled: false });
  t.like(parseSystemctlShow('e', show('loaded', 'failed', 'disabled')), { active: false, enabled: false });
  t.throws(() => parseSystemctlShow('f', r('', 1, 'System has not been booted with systemd')), { message: /booted with systemd/ });
  t.is(systemdUnitName('libvirtd'), 'libvirtd.service');
  t.is(systemdUnitName('libvirtd-tcp.socket'), 'libvirtd-tcp.socket');
  t.is(systemdUnitName('nova-compute.service'), 'nova-compute.service');
});

test('upstart and sysvinit probes', (t) => {
  t.deepEqual(parseUpstart('nova-compute', r('exists\nstatus nova-compute start/running, process 1234\n')), {
    name: 'nova-compute', exists: true, active: true, enabled: true,
  });
  t.like(parseUpstart('libvirt-bin', r('exists\nmanual\nstatus libvirt-bin stop/waiting\n')), { active: false, enabled: false });
  t.deepEqual(parseUpstart('nope', r('status \n')), { name: 'nope', exists: false });
  t.deepEqual(parseSysv('nfs', r('exists\nenabled\nstatus 0\n')), { name: 'nfs', exists: true, active: true, enabled: true });
  t.deepEqual(parseSysv('nfs', r('exists\nstatus 3\n')), { name: 'nfs', exists: true, active: false, enabled: false });
  t.deepEqual(parseSysv('nfs', r('')), { name: 'nfs', exists: false });
});

test('mountinfo: octal escapes, optional fields, super options', (t) => {
  const text = [
    '24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
    '45 24 0:40 / /mnt/with\\040space rw,nosuid - tmpfs tmp\\040fs rw,size=1024k',
    '46 24 0:41 /srv/instances /var/lib/nova/instances rw master:3 shared:9 - nfs4 ctl:/srv/instances rw,vers=4.2,hard',
  ].join('\n');
  t.deepEqual(parseMountinfo(text), [
    { path: '/', src: '/dev/sda1', fstype: 'ext4', opts: 'rw,relatime,errors=remount-ro' },
    { path: '/mnt/with space', src: 'tmp fs', fstype: 'tmpfs', opts: 'rw,nosuid,size=1024k' },
    { path: '/var/lib/nova/instances', src: 'ctl:/srv/instances', fstype: 'nfs4', opts: 'rw,vers=4.2,hard' },
  ]);
});
