// The controller's .deb reader (engine/facts/deb-archive.ts) against the
// host's extraction it replaces (package-files.ts EXTRACT_DEBS_SCRIPT: dpkg-deb
// and GNU tar, run here with /bin/sh): the same members and postinst lines for
// .debs built with dpkg-deb in each compression, and for the real .debs in this
// machine's apt cache where there are some.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { arMembers, parseTar, readDeb } from '../../../../engine/facts/deb-archive.js';
import { coveredPath, EXTRACT_DEBS_SCRIPT, parseSnapshot, type PkgFiles } from '../../../../engine/facts/package-files.js';
import { buildDeb, type DebMember } from './build-deb.js';

/** The host's extraction of these .deb files, run on this machine, by file name. */
function hostExtraction(debs: Array<{ file: string; bytes: Buffer }>): Map<string, PkgFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-debs-'));
  try {
    for (const d of debs) writeFileSync(join(dir, d.file), d.bytes);
    const out = execFileSync('/bin/sh', ['-c', EXTRACT_DEBS_SCRIPT, 'sh', ...debs.map((d) => join(dir, d.file))], { maxBuffer: 256 << 20 }).toString('utf8');
    return parseSnapshot(out).pkgs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the predictions can look at: the covered paths (package-files.ts coveredPath), and the ucf lines. */
function comparable(p: PkgFiles | undefined) {
  if (!p) return undefined;
  const entries = [...p.entries].filter(([path]) => coveredPath(path)).sort(([a], [b]) => (a < b ? -1 : 1));
  return { entries: entries.map(([path, e]) => ({ path, type: e.type, mode: e.mode, target: e.target, content: e.content?.toString('base64') })), ucfLines: p.ucfLines };
}

const members: DebMember[] = [
  { path: 'etc/foo.conf', type: 'file', mode: 0o640, content: 'a = 1\n' },
  { path: 'etc/foo.d', type: 'dir', mode: 0o750 },
  { path: 'etc/foo.d/bar.conf', type: 'file', content: 'bar\n' },
  { path: 'etc/foo.link', type: 'link', target: 'foo.conf' },
  { path: 'etc/default/foo', type: 'file', content: Buffer.from([0, 1, 2, 255, 10]) },
  { path: 'etc/sudoers.d/foo', type: 'file', mode: 0o440, content: '# x\n' },
  { path: `etc/${'long-name-'.repeat(14)}.conf`, type: 'file', content: 'long\n' },
  { path: 'etc/init.d/foo', type: 'file', mode: 0o755, content: '#!/bin/sh\n' },
  { path: 'usr/share/foo/conffiles/etc.foo', type: 'file', content: 'template\n' },
  { path: 'usr/share/foo/deep/conffiles/x', type: 'file', content: 'deep\n' },
  { path: 'lib/systemd/system/foo.service', type: 'file', content: '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' },
  { path: 'lib/systemd/system/foo-alias.service', type: 'link', target: 'foo.service' },
  { path: 'lib/systemd/system/masked.service', type: 'link', target: '/dev/null' },
  { path: 'usr/lib/systemd/system/bar.socket', type: 'file', content: '[Socket]\n' },
  { path: 'usr/bin/foo', type: 'file', mode: 0o755, content: 'binary\n' },
  { path: 'usr/share/doc/foo/copyright', type: 'file', content: 'c\n' },
];
const postinst = '#!/bin/sh\nset -e\nucf /usr/share/foo/conffiles/etc.foo /etc/foo\nucfr foo /etc/foo\necho done\n';

for (const compression of ['xz', 'gzip', 'none'] as const) {
  test(`a .deb built with -Z${compression}: the same members and postinst lines as the host's extraction`, async (t) => {
    const deb = buildDeb({ name: `foo-${compression}`, members, postinst, compression });
    const mine = await readDeb(deb.bytes);
    t.truthy(mine);
    const host = hostExtraction([deb]).get(deb.file);
    t.deepEqual(comparable(mine), comparable(host));
    // and what that is, so that both cannot be empty alike
    t.deepEqual([...mine!.entries.keys()].filter(coveredPath).sort(), [
      '/etc/default', '/etc/default/foo', '/etc/foo.conf', '/etc/foo.d', '/etc/foo.d/bar.conf', '/etc/foo.link', '/etc/init.d', '/etc/init.d/foo',
      `/etc/${'long-name-'.repeat(14)}.conf`, '/etc/sudoers.d', '/etc/sudoers.d/foo', '/lib/systemd/system/foo-alias.service', '/lib/systemd/system/foo.service',
      '/lib/systemd/system/masked.service', '/usr/lib/systemd/system/bar.socket', '/usr/share/foo/conffiles/etc.foo',
    ]);
    t.like(mine!.entries.get('/etc/foo.conf'), { type: 'file', mode: '0640' });
    t.like(mine!.entries.get('/etc/foo.d'), { type: 'directory', mode: '0750' });
    t.like(mine!.entries.get('/lib/systemd/system/masked.service'), { type: 'link', target: '/dev/null' });
    t.deepEqual(mine!.entries.get('/etc/default/foo')?.content, Buffer.from([0, 1, 2, 255, 10]), 'bytes as shipped');
    t.deepEqual(mine!.ucfLines, ['ucf /usr/share/foo/conffiles/etc.foo /etc/foo'], 'lines naming ucf itself (not ucfr)');
    // GNU tar's `*` matches `/`: the nested conffiles directory is kept, as the extraction keeps it
    t.truthy(mine!.entries.get('/usr/share/foo/deep/conffiles/x'));
    t.is(mine!.entries.get('/usr/bin/foo'), undefined);
  });
}

test('a .deb without a postinst: no ucf lines; the same as the host', async (t) => {
  const deb = buildDeb({ name: 'plain', members: [{ path: 'etc/plain.conf', type: 'file', content: 'p\n' }] });
  const mine = await readDeb(deb.bytes);
  t.deepEqual(mine?.ucfLines, []);
  t.deepEqual(comparable(mine), comparable(hostExtraction([deb]).get(deb.file)));
});

test('a hard link in /etc is read as the file it links to (the extraction dropped it)', async (t) => {
  const deb = buildDeb({
    name: 'hl',
    members: [
      { path: 'etc/a.conf', type: 'file', mode: 0o600, content: 'same\n' },
      { path: 'etc/b.conf', type: 'hardlink', target: 'etc/a.conf' },
    ],
  });
  const mine = (await readDeb(deb.bytes))!;
  for (const p of ['/etc/a.conf', '/etc/b.conf']) t.like(mine.entries.get(p), { type: 'file', mode: '0600', content: Buffer.from('same\n') }, p);
});

test('zstd members: read where Node has zstd, else left to the host (undefined)', async (t) => {
  let deb;
  try {
    deb = buildDeb({ name: 'z', members: [{ path: 'etc/z.conf', type: 'file', content: 'z\n' }], compression: 'zstd' });
  } catch {
    t.pass('this dpkg-deb cannot build zstd');
    return;
  }
  t.true(arMembers(deb.bytes)!.some((m) => m.name === 'data.tar.zst'));
  const mine = await readDeb(deb.bytes);
  if (typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function') t.like(mine?.entries.get('/etc/z.conf'), { type: 'file', content: Buffer.from('z\n') });
  else t.is(mine, undefined);
});

test('not a .deb, or a cut one: undefined (the host extracts it)', async (t) => {
  const deb = buildDeb({ name: 'cut', members: [{ path: 'etc/c.conf', type: 'file', content: 'c\n'.repeat(5000) }] });
  t.is(await readDeb(Buffer.from('hello')), undefined);
  t.is(await readDeb(deb.bytes.subarray(0, deb.bytes.length - 100)), undefined);
  const broken = Buffer.from(deb.bytes);
  broken.fill(0x41, broken.length - 200, broken.length - 100); // inside data.tar.xz
  t.is(await readDeb(broken), undefined);
});

test('tar: pax path and linkpath records name the member', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-pax-'));
  try {
    const long = 'd'.repeat(120);
    execFileSync('/bin/sh', ['-c', `mkdir -p ./etc/${long} && printf x > ./etc/${long}/f && ln -s ${long}/f ./etc/l && tar --format=pax -cf t.tar ./etc`], { cwd: dir });
    const entries = parseTar(readFileSync(join(dir, 't.tar')));
    t.true(entries.some((e) => e.name === `./etc/${long}/f` && e.type === 'file' && e.data.toString() === 'x'));
    t.true(entries.some((e) => e.name === './etc/l' && e.type === 'link' && e.target === `${long}/f`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Real packages: those in this machine's apt cache (none on a cleaned machine): up to 40 under 4 MB, spread over the sizes.
const ARCHIVES = '/var/cache/apt/archives';
const cached = existsSync(ARCHIVES)
  ? readdirSync(ARCHIVES).filter((f) => f.endsWith('.deb')).map((f) => ({ f, size: statSync(join(ARCHIVES, f)).size })).filter((d) => d.size < 4 << 20).sort((a, b) => a.size - b.size)
  : [];
const real = cached.filter((_, i) => i % Math.max(1, Math.ceil(cached.length / 40)) === 0);

test(`real .debs from the apt cache (${real.length} here): the same as the host's extraction`, async (t) => {
  if (!real.length) {
    t.pass('no .deb in this machine\'s apt cache');
    return;
  }
  const debs = real.map(({ f }) => ({ file: f, bytes: readFileSync(join(ARCHIVES, f)) }));
  const host = hostExtraction(debs);
  let withContent = 0;
  for (const d of debs) {
    const mine = await readDeb(d.bytes);
    t.truthy(mine, d.file);
    t.deepEqual(comparable(mine), comparable(host.get(d.file)), d.file);
    if (mine && [...mine.entries.keys()].some(coveredPath)) withContent++;
  }
  t.log(`${debs.length} .debs, ${withContent} with /etc or unit files`);
});
