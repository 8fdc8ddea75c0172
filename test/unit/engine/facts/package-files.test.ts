// What predicted packages would install (check mode): parsing recorded
// `apt-get -s` output and recorded snapshot-script output from a Debian 12 lab
// host, and the selection of files and units from them.

import test from 'ava';
import { packageFilesOf } from '../../../../engine/facts/package-content.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileState, HostReader, RunResult, ServiceState } from '../../../../engine/module-api.js';
import { unknownFacts } from '../../../../engine/host/host.js';
import { Overlay } from '../../../../engine/host/overlay.js';
import { predictedReader } from '../../../../engine/facts/fact.js';
import { file, fileContent } from '../../../../engine/facts/file.js';
import { services } from '../../../../engine/facts/services.js';
import { row, tableReader } from './table-reader.js';
import { closureContentsArgv, coveredPath, parseClosureContents, parseSnapshot, parseUcfLine, selectFile, selectUnit, snapshotArgv, unitInstallable } from '../../../../engine/facts/package-files.js';
import { quoteArgv } from '../../../../engine/host/shell.js';
import { parseTar } from '../../../../engine/facts/deb-archive.js';
import { gunzipSync } from 'node:zlib';
import { buildDeb, type DebMember } from './build-deb.js';
import { installDownloadsArgv, parseAptSimulation, parseInstallDownloads } from '../../../../engine/facts/apt-simulation.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'package-files');
const rec = (name: string) => readFileSync(join(dir, name), 'utf8');
const nfsServer = parseSnapshot(rec('snapshot-nfs-kernel-server.txt'));
const libvirt = parseSnapshot(rec('snapshot-libvirt-nfs-common.txt'));

test('apt-get -s: every Inst line, in order, with versions; upgrades keep the old version', (t) => {
  const sim = parseAptSimulation(rec('apt-sim-libvirt.txt'));
  t.is(sim.length, 43);
  t.deepEqual(sim.find((i) => i.name === 'libvirt-daemon-system'), { name: 'libvirt-daemon-system', version: '9.0.0-4+deb12u2' });
  t.true(sim.some((i) => i.name === 'libvirt-daemon-driver-qemu'));
  t.false(sim.some((i) => i.name === 'Conf' || i.name.startsWith('Conf')), 'Conf lines are not installs');
  t.deepEqual(parseAptSimulation(rec('apt-sim-upgrade.txt'))[0], { name: 'perl-base', version: '5.36.0-7+deb12u4', from: '5.36.0-7+deb12u3' });
  t.deepEqual(parseAptSimulation('Reading package lists...\nE: Unable to locate package nope\n'), []);
});

// Recorded on a fresh Debian 12 lab host, each request both ways (apt-get -s and --print-uris).
for (const [uris, sim] of [
  ['apt-uris-nfs-kernel-server.txt', 'apt-sim-nfs-kernel-server.txt'],
  ['apt-uris-norecommends-nfs-libvirt.txt', 'apt-sim-norecommends-nfs-libvirt.txt'],
]) {
  test(`apt-get --print-uris names the packages and versions apt-get -s installs: ${uris}`, (t) => {
    const byUris = parseInstallDownloads(rec(uris));
    const bySim = parseAptSimulation(rec(sim));
    t.true(bySim.length > 10);
    const key = (i: { name: string; version?: string }) => `${i.name}=${i.version}`;
    t.deepEqual(byUris.map(key).sort(), bySim.map(key).sort());
  });
}

test('apt-get --print-uris: escapes undone, foreign architectures named as apt-get -s names them, other lines ignored', (t) => {
  const out = 'amd64\nnfs-common_1%3a2.6.2-4+deb12u1_amd64.deb\nlibc6_2.36-9+deb12u4_i386.deb\nnetbase_6.4_all.deb\nE: something\n';
  t.deepEqual(parseInstallDownloads(out), [
    { name: 'nfs-common', version: '1:2.6.2-4+deb12u1' },
    { name: 'libc6:i386', version: '2.36-9+deb12u4' },
    { name: 'netbase', version: '6.4' },
  ]);
  t.deepEqual(parseInstallDownloads('amd64\n'), [], 'nothing to install');
  t.deepEqual(parseInstallDownloads(''), []);
  t.deepEqual(installDownloadsArgv(['a', 'b'], false).slice(3), ['tsplay-apt-uris', '--no-install-recommends', 'install', '--', 'a', 'b']);
  t.deepEqual(installDownloadsArgv(['a']).slice(3), ['tsplay-apt-uris', 'install', '--', 'a']);
});

test('snapshot: packages, entries, links, ucf lines; nothing else', (t) => {
  t.deepEqual([...nfsServer.pkgs.keys()].sort(), ['libyaml-0-2', 'netbase', 'nfs-kernel-server', 'python3-yaml']);
  t.deepEqual(nfsServer.missing, []);
  t.false(nfsServer.policyRcD);
  const nks = nfsServer.pkgs.get('nfs-kernel-server')!;
  t.deepEqual(nks.entries.get('/lib/systemd/system/nfs-kernel-server.service'), { type: 'link', mode: '0777', target: 'nfs-server.service' });
  t.is(nks.entries.get('/etc/init.d/nfs-kernel-server')?.mode, '0755');
  t.is(nks.ucfLines.length, 2);
  t.deepEqual(nfsServer.pkgs.get('netbase')!.entries.get('/etc'), { type: 'directory', mode: '0755' });
  const s = parseSnapshot('P\nS sysvinit\nM b\nnoise\nTAR\n\n'); // S: the old script's init line, now ignored
  t.true(s.policyRcD);
  t.deepEqual(s.missing, ['b']);
  t.is(s.pkgs.size, 0);
});

test('ucf lines: literal source and destination only', (t) => {
  t.deepEqual(parseUcfLine('\tucf --three-way /usr/share/nfs-kernel-server/conffiles/etc.exports /etc/exports'), [
    '/usr/share/nfs-kernel-server/conffiles/etc.exports',
    '/etc/exports',
  ]);
  t.deepEqual(parseUcfLine('  ucf --debconf-ok "/usr/share/x/conffiles/x.conf" "/etc/x.conf" || true'), ['/usr/share/x/conffiles/x.conf', '/etc/x.conf']);
  t.is(parseUcfLine('ucf --three-way $TEMPLATE /etc/x.conf'), undefined);
  t.is(parseUcfLine('# call ucf to install /a /b'), undefined);
  t.is(parseUcfLine('ucfr nfs-common /etc/idmapd.conf'), undefined);
});

test('files: a ucf template named in the postinst (etc.exports -> /etc/exports), mode 0644 root', (t) => {
  const f = selectFile(nfsServer, '/etc/exports')!;
  t.like(f, { path: '/etc/exports', exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, predicted: true });
  t.true(f.content!.toString('utf8').startsWith('# /etc/exports: the access control list'));
  t.is(f.size, f.content!.length);
  t.like(selectFile(nfsServer, '/etc/default/nfs-kernel-server'), { exists: true, type: 'file' });
});

test('files: nfs-common idmapd.conf already has [Mapping] Nobody-User = nobody', (t) => {
  const f = selectFile(libvirt, '/etc/idmapd.conf')!;
  t.regex(f.content!.toString('utf8'), /\[Mapping\]\n\nNobody-User = nobody\n/);
  // Only packages still predicted installed count.
  t.is(selectFile(libvirt, '/etc/idmapd.conf', new Set(['libvirt-daemon-system'])), undefined);
});

test('files: dpkg conffiles and directories from the data; unknown paths stay unprovided', (t) => {
  const q = selectFile(libvirt, '/etc/libvirt/qemu.conf')!;
  t.like(q, { type: 'file', mode: '0644', predicted: true });
  t.regex(q.content!.toString('utf8'), /^# Master configuration file for the QEMU driver/);
  t.regex(selectFile(libvirt, '/etc/libvirt/libvirtd.conf')!.content!.toString('utf8'), /#listen_tcp = 1/);
  t.like(selectFile(libvirt, '/etc/libvirt/'), { path: '/etc/libvirt/', type: 'directory', mode: '0755' });
  t.is(selectFile(libvirt, '/etc/libvirt/nope.conf'), undefined);
  t.is(selectFile(libvirt, '/etc/exports'), undefined, 'nfs-kernel-server is not among these packages');
  t.true(coveredPath('/etc/idmapd.conf'));
  t.false(coveredPath('/srv/nfs'));
  t.false(coveredPath('/etc'));
});

test('units: Debian policy from the unit file: WantedBy -> enabled and started; aliases; masked; static', (t) => {
  t.deepEqual(selectUnit(nfsServer, 'nfs-kernel-server', 'systemd', false), {
    name: 'nfs-kernel-server', exists: true, active: true, enabled: true, predicted: true,
  });
  t.deepEqual(selectUnit(nfsServer, 'nfs-kernel-server.service', 'systemd', true), {
    name: 'nfs-kernel-server.service', exists: true, active: false, enabled: true, predicted: true,
  }, 'policy-rc.d 101 forbids the start, not the enabling');
  t.like(selectUnit(libvirt, 'nfs-common', 'systemd', false), { exists: true, active: false, enabled: false }, '-> /dev/null: masked');
  t.like(selectUnit(libvirt, 'nfs-idmapd', 'systemd', false), { exists: true, active: false, enabled: null }, 'no [Install]: static');
  t.like(selectUnit(libvirt, 'portmap', 'systemd', false), { exists: true, active: true, enabled: true }, 'alias of rpcbind.service');
  t.like(selectUnit(libvirt, 'libvirtd', 'systemd', false), { exists: true, enabled: true });
  t.like(selectUnit(libvirt, 'libvirtd-tcp.socket', 'systemd', false), { exists: true, enabled: true });
  t.is(selectUnit(libvirt, 'nfs-kernel-server', 'systemd', false), undefined, 'no predicted package ships it');
  t.like(selectUnit(libvirt, 'rpcbind', 'sysvinit', false), { exists: true, active: true, enabled: true });
  t.is(selectUnit(libvirt, 'libvirtd', 'sysvinit', false), undefined, 'libvirt-daemon-system ships no init script here');
  t.is(selectUnit(libvirt, 'rpcbind', 'upstart', false), undefined);
});

test('unitInstallable reads only the [Install] section', (t) => {
  t.true(unitInstallable('[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target\n'));
  t.true(unitInstallable('[Install]\n  RequiredBy = a.target\n'));
  t.false(unitInstallable('[Unit]\nWantedBy=multi-user.target\n[Service]\nExecStart=/x\n'));
  t.false(unitInstallable('[Install]\nAlias=y.service\nWantedBy=\n'));
});

// ---- through the overlay reader, with a host that answers the snapshot script with a recording

/** A host whose snapshot script answers with the recording named by the first package asked for. */
function fakeHost(recordings: Record<string, string>, files: Record<string, string> = {}): { reader: HostReader; runs: string[][] } {
  const runs: string[][] = [];
  const st = (path: string, content: boolean): FileState =>
    path in files ? { path, exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', ...(content ? { content: Buffer.from(files[path]) } : {}) } : { path, exists: false };
  const reader = tableReader(
    [
      row(file, (p) => st(p, false)),
      row(fileContent, (p) => st(p, true)),
      row(services, (name): ServiceState => (name === 'ssh' ? { name, exists: true, active: true, enabled: true } : { name, exists: false })),
    ],
    {
      facts: { ...unknownFacts('fake'), service_mgr: 'systemd' },
      run(argv): RunResult {
        // The overlay's dependency resolution (apt-get --print-uris) fails here: the closure is the names alone.
        if (argv[3] !== 'tsplay-pkgfiles') return { rc: 100, stdout: '', stderr: '' };
        runs.push(argv);
        const f = recordings[argv[4]];
        return f ? { rc: 0, stdout: rec(f), stderr: '' } : { rc: 1, stdout: '', stderr: 'unexpected' };
      },
    },
  );
  return { reader, runs };
}

test('overlay: no package predicted -> no lookup, missing stays missing', async (t) => {
  const { reader, runs } = fakeHost({ 'nfs-kernel-server': 'snapshot-nfs-kernel-server.txt' });
  const r = predictedReader(reader, new Overlay());
  t.deepEqual(await r.get(fileContent, '/etc/exports'), { path: '/etc/exports', exists: false });
  t.deepEqual(await r.getAll(services, ['nfs-kernel-server']), [{ name: 'nfs-kernel-server', exists: false }]);
  t.is(runs.length, 0);
});

test('overlay: one round trip for the predicted packages, then answers from the cache', async (t) => {
  const { reader, runs } = fakeHost({ 'nfs-kernel-server': 'snapshot-nfs-kernel-server.txt' }, { '/etc/hosts': '127.0.0.1 localhost\n' });
  const o = new Overlay();
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }, { kind: 'package', name: 'netbase', installed: true }]);
  const r = predictedReader(reader, o);
  const exp = await r.get(fileContent, '/etc/exports');
  t.like(exp, { exists: true, type: 'file', mode: '0644', predicted: true });
  t.regex(exp.content!.toString('utf8'), /^# \/etc\/exports/);
  t.is(runs.length, 1);
  t.deepEqual(runs[0], snapshotArgv(['nfs-kernel-server', 'netbase']));
  t.true(quoteArgv(runs[0]).startsWith("sh -c 'set -u\n"), 'the script travels as one quoted argv word');
  const [svc, ssh] = await r.getAll(services, ['nfs-kernel-server', 'ssh']);
  t.like(svc, { exists: true, active: true, enabled: true, predicted: true });
  t.deepEqual(ssh, { name: 'ssh', exists: true, active: true, enabled: true });
  const [st, hosts, srv] = await r.getAll(file, ['/etc/exports', '/etc/hosts', '/srv/nfs']);
  t.like(st, { exists: true, type: 'file', predicted: true });
  t.is(st.content, undefined, 'stat carries no content');
  t.is(hosts.predicted, undefined, 'a real file is the host\'s');
  t.deepEqual(srv, { path: '/srv/nfs', exists: false });
  t.is(runs.length, 1, 'cached: no further round trip');
  // A unit none of the predicted packages ships: unknown, as after the real install.
  t.deepEqual(await r.getAll(services, ['libvirtd']), [{ name: 'libvirtd', exists: false }]);
  // A later task's prediction wins over the package's file; a service prediction over the package's unit.
  o.add([{ kind: 'file', path: '/etc/exports', state: 'file', content: Buffer.from('/srv *(rw)\n') }, { kind: 'service', name: 'nfs-kernel-server', active: false }]);
  t.is((await r.get(fileContent, '/etc/exports')).content?.toString('utf8'), '/srv *(rw)\n');
  t.like((await r.getAll(services, ['nfs-kernel-server']))[0], { exists: true, active: false, enabled: true });
  // A package predicted removed no longer provides files.
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: false }]);
  t.like(await r.get(fileContent, '/etc/default/nfs-kernel-server'), { exists: false });
  t.is(runs.length, 1);
});

test('overlay: packages already extracted are not asked again; a new one costs one round trip, for it only', async (t) => {
  const { reader, runs } = fakeHost({ 'nfs-common': 'snapshot-libvirt-nfs-common.txt', 'nfs-kernel-server': 'snapshot-nfs-kernel-server.txt' });
  const o = new Overlay();
  o.add([{ kind: 'package', name: 'nfs-common', installed: true }]);
  const r = predictedReader(reader, o);
  t.regex((await r.get(fileContent, '/etc/idmapd.conf')).content!.toString('utf8'), /Nobody-User = nobody/);
  // The first answer also held libvirt-daemon-system (as when both are predicted at once).
  o.add([{ kind: 'package', name: 'libvirt-daemon-system', installed: true }]);
  t.like(await r.get(fileContent, '/etc/libvirt/qemu.conf'), { exists: true, type: 'file' });
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  t.like(await r.get(fileContent, '/etc/exports'), { exists: true, type: 'file' });
  t.deepEqual(runs.map((a) => a.slice(4)), [['nfs-common'], ['nfs-kernel-server']]);
});

test('prefetch (engine/run/package-prefetch.ts): concurrent asks share one round trip; a package no task predicts answers nothing', async (t) => {
  const { reader, runs } = fakeHost({ 'nfs-kernel-server': 'snapshot-nfs-kernel-server.txt' });
  const o = new Overlay();
  const files = packageFilesOf(o);
  // The prefetch and a second ask at the same time: one snapshot.
  await Promise.all([files.ensure(reader, ['nfs-kernel-server']), files.ensure(reader, ['nfs-kernel-server'])]);
  t.is(runs.length, 1);
  const r = predictedReader(reader, o);
  // Looked at, but no task of the run predicts installing it: the host's answer stands.
  t.deepEqual(await r.get(fileContent, '/etc/exports'), { path: '/etc/exports', exists: false });
  t.deepEqual(await r.getAll(services, ['nfs-kernel-server']), [{ name: 'nfs-kernel-server', exists: false }]);
  // Once an apt task predicts it, the prefetched content answers, with no new round trip.
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  t.like(await r.get(fileContent, '/etc/exports'), { exists: true, type: 'file', predicted: true });
  t.is(runs.length, 1);
});

test('prefetch: a failed tentative look or simulation is no answer; the task looks again itself', async (t) => {
  const { reader, runs } = fakeHost({ 'nfs-kernel-server': 'snapshot-nfs-kernel-server.txt' });
  let failNext = true;
  const flaky: HostReader = Object.create(reader) as HostReader;
  flaky.run = async (argv, opts) => {
    if (failNext) {
      failNext = false;
      return { rc: 1, stdout: '', stderr: 'sudo: a password is required' };
    }
    return reader.run(argv, opts);
  };
  const o = new Overlay();
  const files = packageFilesOf(o);
  await files.ensure(flaky, ['nfs-kernel-server'], { tentative: true });
  t.is(runs.length, 0, 'the failed look reached no recording');
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  t.like(await predictedReader(flaky, o).get(fileContent, '/etc/exports'), { exists: true, type: 'file', predicted: true });
  t.is(runs.length, 1, 'the task looked again and got the answer');
  // The same for the dependency simulation: a tentative failure is not cached.
  failNext = true;
  await t.throwsAsync(files.closure(flaky, ['rsync'], undefined, { tentative: true }));
  t.deepEqual(await files.closure(flaky, ['rsync']), ['rsync']);
});

// ---- the closure and the contents in one round trip (apt-get install --download-only into a private directory)

// Recorded on a fresh Debian 12 lab host (no python3 yet), one after the other:
// the closure-and-contents script (then extracting on the host: x/FILE.deb/...
// and c/FILE.deb.postinst in a tar) and INSTALL_DOWNLOADS_SCRIPT for
// nfs-kernel-server. The script now sends the .debs themselves: each is built
// here again with dpkg-deb from the recorded members and postinst, and sent in
// the script's output format (CLOSURE_CONTENTS_SCRIPT).
const recorded = (() => {
  const lines = rec('fetch-nfs-kernel-server.txt').split('\n');
  const tar = parseTar(gunzipSync(Buffer.from(lines[lines.indexOf('TAR') + 1], 'base64')));
  return lines.filter((l) => l.startsWith('D ')).map((l) => {
    const file = l.slice(2);
    const [name, version, arch] = file.replace(/\.deb$/, '').split('_');
    const members: DebMember[] = [];
    let postinst: string | undefined;
    for (const e of tar) {
      const n = e.name.replace(/^\.\//, '').replace(/\/$/, '');
      if (n === `c/${file}.postinst`) postinst = e.data.length ? e.data.toString('utf8') : undefined;
      if (!n.startsWith(`x/${file}/`)) continue;
      const path = n.slice(`x/${file}/`.length);
      if (e.type === 'file') members.push({ path, type: 'file', mode: parseInt(e.mode, 8), content: e.data });
      else if (e.type === 'directory') members.push({ path, type: 'dir', mode: parseInt(e.mode, 8) });
      else if (e.type === 'link') members.push({ path, type: 'link', target: e.target });
    }
    return buildDeb({ name, version: decodeURIComponent(version), arch, members, postinst });
  });
})();

/** CLOSURE_CONTENTS_SCRIPT's output for these .debs: `known` ones (FILE:SIZE) announced only. */
function fetchOutput(debs: Array<{ file: string; bytes: Buffer }>, known: readonly string[] = [], policyRcD = false): Buffer {
  const sent = debs.filter((d) => !known.includes(`${d.file}:${d.bytes.length}`));
  const head = ['amd64', ...(policyRcD ? ['P'] : []), ...debs.map((d) => `${sent.includes(d) ? 'D' : 'K'} ${d.bytes.length} ${d.file}`), 'DATA', ''].join('\n');
  return Buffer.concat([Buffer.from(head), ...sent.map((d) => d.bytes)]);
}

/** The FILE:SIZE words before the `--` of a closureContentsArgv. */
const knownOf = (argv: string[]) => argv.slice(4, argv.indexOf('--', 4));

test('closure and contents: the packages apt-get --print-uris names, with their files', async (t) => {
  const fetched = await parseClosureContents(fetchOutput(recorded));
  const key = (i: { name: string; version?: string }) => `${i.name}=${i.version}`;
  const byUris = parseInstallDownloads(rec('apt-uris-nfs-kernel-server-fresh.txt'));
  t.is(byUris.length, 25);
  t.deepEqual(fetched.installs.map(key).sort(), byUris.map(key).sort());
  t.deepEqual(fetched.installs.find((i) => i.name === 'nfs-common'), { name: 'nfs-common', version: '1:2.6.2-4+deb12u1' }, '%3a undone');
  t.deepEqual([...fetched.snap.pkgs.keys()].sort(), byUris.map((i) => i.name).sort(), 'every package looked at, named as apt names it');
  t.deepEqual(fetched.unread, []);
  t.false(fetched.snap.policyRcD);
  t.regex(selectFile(fetched.snap, '/etc/idmapd.conf')!.content!.toString('utf8'), /Nobody-User = nobody/);
  // /etc/exports comes from a ucf template named in nfs-kernel-server's postinst.
  t.like(selectFile(fetched.snap, '/etc/exports'), { exists: true, type: 'file', mode: '0644' });
  t.is(fetched.snap.pkgs.get('nfs-kernel-server')!.ucfLines.length, 2);
  t.like(selectUnit(fetched.snap, 'nfs-kernel-server', 'systemd', false), { exists: true, active: true, enabled: true });
  t.like(selectUnit(fetched.snap, 'rpcbind', 'systemd', false), { exists: true, enabled: true });
  // Announced only (K): read from what the controller read before, the same answer.
  const again = await parseClosureContents(fetchOutput(recorded, recorded.map((d) => `${d.file}:${d.bytes.length}`)));
  t.deepEqual([...again.snap.pkgs.keys()].sort(), [...fetched.snap.pkgs.keys()].sort());
  t.is(again.snap.pkgs.get('nfs-common'), fetched.snap.pkgs.get('nfs-common'), 'the same reading, not a second one');
  // The same parse rules on a small hand-made output: a foreign architecture; policy-rc.d; a .deb never read here is unread.
  const small = await parseClosureContents(Buffer.from('amd64\nP\nK 10 libc6_2.36-9_i386.deb\nnoise\nDATA\n'));
  t.deepEqual(small.installs, [{ name: 'libc6:i386', version: '2.36-9' }]);
  t.deepEqual(small.unread, ['libc6:i386']);
  t.true(small.snap.policyRcD);
  // Bytes that do not add up to the sizes announced: no answer.
  const out = fetchOutput(recorded.slice(0, 2));
  await t.throwsAsync(parseClosureContents(out.subarray(0, out.length - 1)), { message: /ends inside/ });
  await t.throwsAsync(parseClosureContents(Buffer.concat([out, Buffer.from('x')])), { message: /1 bytes more/ });
  await t.throwsAsync(parseClosureContents(Buffer.from('amd64\nD 3 a_1_all.deb\n')), { message: /no DATA line/ });
  t.deepEqual(closureContentsArgv(['a', 'b'], false).slice(3), ['tsplay-pkgfetch', '--', '--no-install-recommends', 'install', '--', 'a', 'b']);
  t.deepEqual(closureContentsArgv(['a'], undefined, ['x_1_all.deb:10']).slice(3), ['tsplay-pkgfetch', 'x_1_all.deb:10', '--', 'install', '--', 'a']);
  t.true(closureContentsArgv(['a'])[2].includes('Debug::NoLocking=1'), 'no dpkg lock taken, as --print-uris takes none');
});

/** A host that answers the one-round-trip script with the recording, or refuses it (rc 100, a download that failed). */
function fetchHost(fetchRc: number): { reader: HostReader; runs: string[][] } {
  const runs: string[][] = [];
  const reader = tableReader([row(fileContent, (path): FileState => ({ path, exists: false })), row(services, (name): ServiceState => ({ name, exists: false }))], {
    facts: { ...unknownFacts('fake'), service_mgr: 'systemd' },
    run(argv): RunResult {
      runs.push(argv);
      if (argv[3] === 'tsplay-pkgfetch') {
        if (fetchRc !== 0) return { rc: fetchRc, stdout: 'amd64\n', stderr: 'E: Failed to fetch' };
        const out = fetchOutput(recorded, knownOf(argv));
        return { rc: 0, stdout: out.toString('utf8'), stderr: '', stdoutBytes: out };
      }
      if (argv[3] === 'tsplay-apt-uris') return { rc: 0, stdout: rec('apt-uris-nfs-kernel-server-fresh.txt'), stderr: '' };
      if (argv[3] === 'tsplay-pkgfiles') return { rc: 0, stdout: rec('snapshot-nfs-kernel-server.txt'), stderr: '' };
      return { rc: 1, stdout: '', stderr: 'unexpected' };
    },
  });
  return { reader, runs };
}

test('closure and contents: a file read after a predicted install costs one round trip; later reads none', async (t) => {
  const { reader, runs } = fetchHost(0);
  const o = new Overlay();
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  const r = predictedReader(reader, o);
  t.regex((await r.get(fileContent, '/etc/idmapd.conf')).content!.toString('utf8'), /Nobody-User = nobody/);
  t.like(await r.get(fileContent, '/etc/exports'), { exists: true, type: 'file', predicted: true });
  t.like((await r.getAll(services, ['rpcbind']))[0], { exists: true, predicted: true });
  t.deepEqual(runs, [closureContentsArgv(['nfs-kernel-server'], undefined, knownOf(runs[0]))]);
});

test('closure and contents: a .deb the controller has read is not sent again by the next host', async (t) => {
  const first = fetchHost(0);
  await packageFilesOf(new Overlay()).closure(first.reader, ['nfs-kernel-server'], undefined, { contents: true });
  const second = fetchHost(0);
  const o = new Overlay();
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  t.regex((await predictedReader(second.reader, o).get(fileContent, '/etc/idmapd.conf')).content!.toString('utf8'), /Nobody-User = nobody/);
  t.deepEqual(knownOf(second.runs[0]).sort(), recorded.map((d) => `${d.file}:${d.bytes.length}`).sort(), 'every .deb named as known');
  t.is(second.runs.length, 1);
});

test('closure and contents: where apt cannot download, --print-uris then the snapshot answer as before', async (t) => {
  const { reader, runs } = fetchHost(100);
  const o = new Overlay();
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  const r = predictedReader(reader, o);
  t.like(await r.get(fileContent, '/etc/exports'), { exists: true, type: 'file', predicted: true });
  t.deepEqual(runs.map((a) => a[3]), ['tsplay-pkgfetch', 'tsplay-apt-uris', 'tsplay-pkgfiles']);
});

test('closure and contents: the prefetch\'s ask is the task\'s; the prefetch\'s snapshot ensure costs nothing more', async (t) => {
  const { reader, runs } = fetchHost(0);
  const o = new Overlay();
  const files = packageFilesOf(o);
  const all = await files.closure(reader, ['nfs-kernel-server'], undefined, { tentative: true, contents: true });
  t.is(all.length, 25);
  await files.ensure(reader, all, { tentative: true });
  t.is(runs.length, 1);
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  t.like(await predictedReader(reader, o).get(fileContent, '/etc/idmapd.conf'), { exists: true, predicted: true });
  t.is(runs.length, 1);
});

test('the closure-and-contents script itself (run here, with a stand-in apt-get): sizes, K for a known .deb, the bytes exact', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-fetch-'));
  try {
    const debs = join(dir, 'debs');
    const bin = join(dir, 'bin');
    mkdirSync(debs);
    mkdirSync(bin);
    const two = recorded.filter((d) => /^(nfs-common|netbase)_/.test(d.file));
    for (const d of two) writeFileSync(join(debs, d.file), d.bytes);
    // apt-get -d: the .debs into the private archive directory it is given; dpkg: the architecture
    writeFileSync(join(bin, 'apt-get'), '#!/bin/sh\nfor a in "$@"; do case $a in Dir::Cache::Archives=*) d=${a#Dir::Cache::Archives=};; esac; done\ncp "$DEBS"/*.deb "$d"\n', { mode: 0o755 });
    writeFileSync(join(bin, 'dpkg'), '#!/bin/sh\necho amd64\n', { mode: 0o755 });
    const netbase = two.find((d) => d.file.startsWith('netbase_'))!;
    const argv = closureContentsArgv(['nfs-common'], undefined, [`${netbase.file}:${netbase.bytes.length}`, 'other_1_all.deb:5']);
    const out = execFileSync('/bin/sh', argv.slice(1), { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DEBS: debs } });
    const head = out.subarray(0, out.indexOf('\nDATA\n')).toString('utf8').split('\n');
    t.deepEqual(head.filter((l) => /^[DK] /.test(l)), two.map((d) => `${d === netbase ? 'K' : 'D'} ${d.bytes.length} ${d.file}`).sort((a, b) => (a.slice(a.lastIndexOf(' ')) < b.slice(b.lastIndexOf(' ')) ? -1 : 1)));
    const nfs = two.find((d) => d !== netbase)!;
    t.deepEqual(out.subarray(out.length - nfs.bytes.length), nfs.bytes, 'the .deb\'s bytes, exactly, and nothing after them');
    const parsed = await parseClosureContents(out);
    t.deepEqual(parsed.installs.map((i) => i.name).sort(), ['netbase', 'nfs-common']);
    t.regex(selectFile(parsed.snap, '/etc/idmapd.conf')!.content!.toString('utf8'), /Nobody-User = nobody/);
    t.is(parsed.snap.policyRcD, existsSync('/usr/sbin/policy-rc.d'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('closure and contents: a .deb the controller cannot read is extracted on the host, for it only', async (t) => {
  const runs: string[][] = [];
  const netbase = recorded.find((d) => d.file.startsWith('netbase_'))!;
  const garbled = { file: 'nfs-kernel-server_1%3a2.6.2-4+deb12u1_amd64.deb', bytes: Buffer.from('!<arch>\nnot really a deb') };
  const reader = tableReader([row(fileContent, (path): FileState => ({ path, exists: false }))], {
    facts: { ...unknownFacts('fake'), service_mgr: 'systemd' },
    run(argv): RunResult {
      runs.push(argv);
      if (argv[3] === 'tsplay-pkgfetch') {
        const out = fetchOutput([garbled, netbase], knownOf(argv));
        return { rc: 0, stdout: '', stderr: '', stdoutBytes: out };
      }
      if (argv[3] === 'tsplay-pkgfiles') return { rc: 0, stdout: rec('snapshot-nfs-kernel-server.txt'), stderr: '' };
      return { rc: 1, stdout: '', stderr: 'unexpected' };
    },
  });
  const o = new Overlay();
  o.add([{ kind: 'package', name: 'nfs-kernel-server', installed: true }]);
  t.like(await predictedReader(reader, o).get(fileContent, '/etc/exports'), { exists: true, type: 'file', predicted: true });
  t.deepEqual(runs.map((a) => a[3]), ['tsplay-pkgfetch', 'tsplay-pkgfiles']);
  t.deepEqual(runs[1].slice(4), ['nfs-kernel-server'], 'only the unread package is extracted on the host');
});
