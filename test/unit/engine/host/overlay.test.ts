// The check-mode overlay over an in-memory host.

import test from 'ava';
import type { FileState, MountEntry, ServiceState } from '../../../../engine/module-api.js';
import { Overlay } from '../../../../engine/host/overlay.js';
import { predictedReader } from '../../../../engine/facts/fact.js';
import { file, fileContent } from '../../../../engine/facts/file.js';
import { groups } from '../../../../engine/facts/groups.js';
import { initSystem } from '../../../../engine/facts/init-system.js';
import { mounts } from '../../../../engine/facts/mounts.js';
import { packages } from '../../../../engine/facts/packages.js';
import { services } from '../../../../engine/facts/services.js';
import { users } from '../../../../engine/facts/users.js';
import { unknownFacts } from '../../../../engine/host/host.js';
import { row, tableReader, type TableReader } from '../facts/table-reader.js';
import { installDownloadsArgv } from '../../../../engine/facts/apt-simulation.js';

interface FakeHost {
  files: Record<string, Omit<FileState, 'path' | 'exists'>>;
  packages: Record<string, string>; // installed name -> version
  users: Record<string, { uid: number; gid: number }>;
  groups: Record<string, { gid: number; members: string[] }>;
  services: Record<string, { active: boolean; enabled: boolean | null }>;
  mounts: MountEntry[];
}

function fakeHost(init: Partial<FakeHost> = {}): { reader: TableReader; state: FakeHost } {
  const state: FakeHost = { files: {}, packages: {}, users: {}, groups: {}, services: {}, mounts: [], ...init };
  const st = (path: string, withContent: boolean): FileState => {
    const f = state.files[path];
    if (!f) return { path, exists: false };
    const out: FileState = { path, exists: true, ...f };
    if (!withContent) delete out.content;
    return out;
  };
  const reader = tableReader([
    row(file, (p) => st(p, false)),
    row(fileContent, (p) => st(p, true)),
    row(packages, (name) => (state.packages[name] ? { name, installed: true, version: state.packages[name] } : { name, installed: false })),
    row(users, (name) => (state.users[name] ? { name, exists: true, ...state.users[name], home: `/home/${name}`, shell: '/bin/sh' } : { name, exists: false })),
    row(groups, (name) => (state.groups[name] ? { name, exists: true, ...state.groups[name] } : { name, exists: false })),
    row(services, (name): ServiceState => {
      const s = state.services[name.replace(/\.service$/, '')];
      return s ? { name, exists: true, ...s } : { name, exists: false };
    }),
    row(mounts, () => state.mounts),
    row(initSystem, () => 'unknown'),
  ]);
  return { reader, state };
}

test('no predictions: answers are the host\'s own', async (t) => {
  const { reader } = fakeHost({ files: { '/etc/a': { type: 'file', mode: '0600', owner: 'nova', group: 'nova', content: Buffer.from('x'), size: 1 } } });
  const o = new Overlay();
  const r = predictedReader(reader, o);
  t.true(o.empty);
  t.deepEqual(await r.get(fileContent, '/etc/a'), await reader.get(fileContent, '/etc/a'));
  t.deepEqual(await r.getAll(file, ['/etc/a', '/nope']), await reader.getAll(file, ['/etc/a', '/nope']));
});

test('a predicted write is seen by a later read, keeping the old mode and owner', async (t) => {
  const { reader } = fakeHost({ files: { '/etc/a': { type: 'file', mode: '0600', owner: 'nova', group: 'nova', uid: 107, gid: 110, content: Buffer.from('old'), size: 3 } } });
  const o = new Overlay();
  o.add([{ kind: 'file', path: '/etc/a', state: 'file', content: Buffer.from('new ✓') }]);
  const r = predictedReader(reader, o);
  t.deepEqual(await r.get(fileContent, '/etc/a'), {
    path: '/etc/a', exists: true, type: 'file', mode: '0600', owner: 'nova', group: 'nova', uid: 107, gid: 110, content: Buffer.from('new ✓'), size: 7, predicted: true,
  });
  const [st] = await r.getAll(file, ['/etc/a']);
  t.is(st.content, undefined, 'stat carries no content');
  t.is(st.size, 7);
});

test('new file: defaults 0644 root:root; later partial prediction merges', async (t) => {
  const { reader } = fakeHost();
  const o = new Overlay();
  o.add([{ kind: 'file', path: '/etc/new.conf', state: 'file', content: Buffer.from('c') }]);
  o.add([{ kind: 'file', path: '/etc/new.conf', state: 'file', mode: '640', owner: 'nova' }]);
  const f = await predictedReader(reader, o).get(fileContent, '/etc/new.conf');
  t.like(f, { exists: true, type: 'file', content: Buffer.from('c'), mode: '0640', owner: 'nova', group: 'root', predicted: true });
  t.is(f.uid, undefined, 'a changed owner has no known uid');
});

test('a predicted file implies its directories; absent removes a subtree; later wins', async (t) => {
  const { reader } = fakeHost();
  const o = new Overlay();
  const r = predictedReader(reader, o);
  o.add([{ kind: 'file', path: '/srv/exports/a/file', state: 'file', content: Buffer.from('') }]);
  const [srv, exp, a, other] = await r.getAll(file, ['/srv', '/srv/exports/', '/srv/exports/a', '/srv/other']);
  t.like(srv, { exists: true, type: 'directory', predicted: true });
  t.like(exp, { exists: true, type: 'directory' });
  t.like(a, { exists: true, type: 'directory' });
  t.deepEqual(other, { path: '/srv/other', exists: false });
  o.add([{ kind: 'file', path: '/srv/exports', state: 'absent' }]);
  const [exp2, f2] = await r.getAll(file, ['/srv/exports', '/srv/exports/a/file']);
  t.deepEqual(exp2, { path: '/srv/exports', exists: false, predicted: true });
  t.deepEqual(f2, { path: '/srv/exports/a/file', exists: false, predicted: true });
  o.add([{ kind: 'file', path: '/srv/exports/b', state: 'link', target: '/x' }]);
  const [exp3, b] = await r.getAll(file, ['/srv/exports', '/srv/exports/b']);
  t.like(exp3, { exists: true, type: 'directory' });
  t.like(b, { exists: true, type: 'link', linkTarget: '/x' });
});

test('an explicit directory prediction keeps its mode when files are predicted inside', async (t) => {
  const { reader } = fakeHost();
  const o = new Overlay();
  o.add([
    { kind: 'file', path: '/d', state: 'directory', mode: '0700', owner: 'nova' },
    { kind: 'file', path: '/d/f', state: 'file', content: Buffer.from('x') },
  ]);
  t.like((await predictedReader(reader, o).getAll(file, ['/d']))[0], { type: 'directory', mode: '0700', owner: 'nova' });
});

test('a real directory stays itself when a file is predicted inside', async (t) => {
  const { reader } = fakeHost({ files: { '/etc': { type: 'directory', mode: '0755', owner: 'root', group: 'root' } } });
  const o = new Overlay();
  o.add([{ kind: 'file', path: '/etc/x', state: 'file', content: Buffer.from('') }]);
  const [etc] = await predictedReader(reader, o).getAll(file, ['/etc']);
  t.is(etc.predicted, undefined);
});

test('packages: predicted installed has no version; predicted removal', async (t) => {
  const { reader } = fakeHost({ packages: { nfs: '1.0' } });
  const o = new Overlay();
  o.add([
    { kind: 'package', name: 'libvirt-daemon-system', installed: true },
    { kind: 'package', name: 'nfs', installed: false },
  ]);
  t.deepEqual(await predictedReader(reader, o).getAll(packages, ['libvirt-daemon-system', 'nfs', 'other']), [
    { name: 'libvirt-daemon-system', installed: true, predicted: true },
    { name: 'nfs', installed: false, predicted: true },
    { name: 'other', installed: false },
  ]);
});

test('users and groups: new ids, new and removed accounts', async (t) => {
  const { reader } = fakeHost({ users: { nova: { uid: 107, gid: 110 } }, groups: { nova: { gid: 110, members: ['x'] } } });
  const o = new Overlay();
  o.add([{ kind: 'user', name: 'nova', uid: 111 }]);
  o.add([{ kind: 'user', name: 'nova', gid: 112 }]);
  o.add([{ kind: 'group', name: 'nova', gid: 112 }, { kind: 'user', name: 'fresh', uid: 500 }, { kind: 'group', name: 'gone', exists: false }]);
  const r = predictedReader(reader, o);
  const [nova, fresh] = await r.getAll(users, ['nova', 'fresh']);
  t.deepEqual(nova, { name: 'nova', exists: true, uid: 111, gid: 112, home: '/home/nova', shell: '/bin/sh', predicted: true });
  t.deepEqual(fresh, { name: 'fresh', exists: true, uid: 500, predicted: true });
  const [g, gone] = await r.getAll(groups, ['nova', 'gone']);
  t.deepEqual(g, { name: 'nova', exists: true, gid: 112, members: ['x'], predicted: true });
  t.deepEqual(gone, { name: 'gone', exists: false, predicted: true });
});

test('services: a unit no predicted package ships stays unknown; explicit predictions apply', async (t) => {
  const { reader } = fakeHost({ services: { ssh: { active: true, enabled: true } } });
  const o = new Overlay();
  const r = predictedReader(reader, o);
  t.deepEqual(await r.getAll(services, ['nfs-kernel-server']), [{ name: 'nfs-kernel-server', exists: false }], 'before any package prediction');
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  t.deepEqual(await r.getAll(services, ['nfs-kernel-server', 'ssh']), [
    // The fake host has no package snapshot: no predicted package ships the unit (engine/facts/package-files.ts).
    { name: 'nfs-kernel-server', exists: false },
    { name: 'ssh', exists: true, active: true, enabled: true },
  ]);
  o.add([{ kind: 'service', name: 'nfs-kernel-server.service', active: true }]);
  o.add([{ kind: 'service', name: 'ssh', enabled: false }]);
  t.deepEqual(await r.getAll(services, ['nfs-kernel-server', 'ssh.service']), [
    { name: 'nfs-kernel-server', exists: true, active: true, enabled: false, predicted: true },
    { name: 'ssh.service', exists: true, active: true, enabled: false, predicted: true },
  ]);
});

test('services: removing a package does not invent units', async (t) => {
  const { reader } = fakeHost();
  const o = new Overlay();
  o.add([{ kind: 'package', name: 'x', installed: false }]);
  t.deepEqual(await predictedReader(reader, o).getAll(services, ['x']), [{ name: 'x', exists: false }]);
});

test('mounts: predicted mounted and unmounted', async (t) => {
  const { reader } = fakeHost({
    mounts: [
      { path: '/', src: '/dev/sda1', fstype: 'ext4', opts: 'rw' },
      { path: '/mnt/old', src: 'tmpfs', fstype: 'tmpfs', opts: 'rw' },
    ],
  });
  const o = new Overlay();
  o.add([
    { kind: 'mount', path: '/var/lib/nova/instances', mounted: true, src: 'ctl:/srv/instances', fstype: 'nfs', opts: 'rw,hard' },
    { kind: 'mount', path: '/mnt/old/', mounted: false },
  ]);
  t.deepEqual(await predictedReader(reader, o).get(mounts, undefined), [
    { path: '/', src: '/dev/sda1', fstype: 'ext4', opts: 'rw' },
    { path: '/var/lib/nova/instances', src: 'ctl:/srv/instances', fstype: 'nfs', opts: 'rw,hard', predicted: true },
  ]);
});

test('run and runAll pass through to the real host', async (t) => {
  const { reader } = fakeHost();
  const o = new Overlay();
  o.add([{ kind: 'file', path: '/x', state: 'file', content: Buffer.from('y') }]);
  const r = predictedReader(reader, o);
  t.is((await r.run(['cat', '/x'])).stdout, 'real');
  await r.runAll([['a'], ['b']]);
  t.deepEqual(reader.runs, [['cat', '/x'], ['a'], ['b']]);
  t.is(r.name, 'fake');
  t.is(r.facts, reader.facts);
});

test('packages: new dependencies of a predicted install are predicted installed (apt resolves them, per recommends setting, cached)', async (t) => {
  const calls: string[][] = [];
  const base = tableReader([row(packages, (name) => ({ name, installed: name === 'netbase' }))], {
    name: 'h',
    facts: { ...unknownFacts('h'), service_mgr: 'systemd' },
    run(argv) {
      calls.push(argv);
      return { rc: 0, stdout: 'amd64\nrpcbind_1.2.6-6+b1_amd64.deb\nnfs-common_1%3a2.6.2-4_amd64.deb\nnfs-kernel-server_1%3a2.6.2-4_amd64.deb\n', stderr: '' };
    },
  });
  const o = new Overlay();
  const r = predictedReader(base, o);
  t.deepEqual(await r.getAll(packages, ['nfs-common']), [{ name: 'nfs-common', installed: false }], 'nothing predicted: the host answers, no resolution');
  t.is(calls.length, 0);
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true, installRecommends: false }]);
  t.deepEqual(await r.getAll(packages, ['nfs-common', 'netbase', 'unrelated']), [
    { name: 'nfs-common', installed: true, predicted: true },
    { name: 'netbase', installed: true },
    { name: 'unrelated', installed: false },
  ]);
  t.deepEqual(calls, [installDownloadsArgv(['nfs-kernel-server'], false)]);
  t.deepEqual(calls[0].slice(4), ['--no-install-recommends', 'install', '--', 'nfs-kernel-server']);
  await r.getAll(packages, ['rpcbind']);
  t.is(calls.length, 1, 'the resolution is cached');
});
