// The end-state comparison of test/helpers/ansible-compare.ts on fixture trees
// (no lab): what counts as a change, what is noise, what is a difference, and
// how a verdict reads. The lab test (test/lab/ansible-compat.test.ts) relies on
// these to fail when tsplay leaves a host differently from Ansible.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compareDeltas, deltaOf, formatResult, ignored, normalise, readTsplayOutput, summary, walkUpper, type CaseResult, type Delta, type Snapshot,
} from '../../helpers/ansible-compare.js';

function tree(files: Record<string, string | { link: string } | { dir: true; mode?: number } | { mode: number; content: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'compat-unit-'));
  for (const [p, v] of Object.entries(files)) {
    const full = join(root, p);
    if (typeof v === 'object' && 'dir' in v) {
      mkdirSync(full, { recursive: true });
      if (v.mode !== undefined) chmodSync(full, v.mode);
      continue;
    }
    mkdirSync(join(full, '..'), { recursive: true });
    if (typeof v === 'string') writeFileSync(full, v);
    else if ('link' in v) symlinkSync(v.link, full);
    else {
      writeFileSync(full, v.content);
      chmodSync(full, v.mode);
    }
  }
  return root;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nwww-data:x:33:\n';
const SUBST_A: [string, string][] = [['10.0.0.11', '<ADDRESS>'], ['hosta', '<HOST>']];
const SUBST_B: [string, string][] = [['10.0.0.12', '<ADDRESS>'], ['hostb', '<HOST>']];

function snap(upper: string, root: string, subst: [string, string][], packages: string[] = [], units: string[] = []): Snapshot {
  return { files: walkUpper(upper, root, subst), packages: new Set(packages), units: new Set(units) };
}
const none: Snapshot = { files: new Map(), packages: new Set(), units: new Set() };

test('noise paths are ignored, state paths are not', (t) => {
  const table: [string, boolean][] = [
    ['/var/log/syslog', true],
    ['/var/cache/apt/pkgcache.bin', true],
    ['/var/lib/apt/lists/x_Packages', true],
    ['/var/lib/dpkg/status', true],
    ['/usr/lib/python3/dist-packages/apt/__pycache__/x.cpython-311.pyc', true],
    ['/root/.ansible/tmp', true],
    ['/tmp/x', true],
    ['/etc/ssh/ssh_host_rsa_key', true],
    ['/etc/passwd-', true],
    ['/etc/aliases.db', true],
    ['/etc/sasldb2', true],
    ['/etc/sasldb2.bak', false],
    ['/etc/passwd', false],
    ['/etc/nginx/sites-enabled/default', false],
    ['/var/lib/chrony', false],
    ['/var/logx', false],
    ['/srv/site/release', false],
  ];
  for (const [path, want] of table) t.is(ignored(path), want, path);
});

test('a host\'s own name and address are normalised in text, binary content is left alone', (t) => {
  t.is(normalise(Buffer.from('server hosta at 10.0.0.11;\n'), SUBST_A).toString(), 'server <HOST> at <ADDRESS>;\n');
  // Whole words only: gcc's headers name intrinsics like __builtin_ia32_cmpb128_mask, which host cmpb1 must not touch.
  t.is(normalise(Buffer.from('hostab hosta.lab 10.0.0.111 10.0.0.11\n'), SUBST_A).toString(), 'hostab <HOST>.lab 10.0.0.111 <ADDRESS>\n');
  const bin = Buffer.from([0x68, 0x6f, 0x73, 0x74, 0x61, 0, 1]);
  t.deepEqual(normalise(bin, SUBST_A), bin);
});

test('a delta holds what the run made, changed or removed, not what only was copied up', (t) => {
  const root = tree({ 'etc/passwd': PASSWD, 'etc/group': GROUP });
  const lower = tree({
    'etc/motd': 'old\n',
    'etc/keep.conf': { mode: 0o644, content: 'same\n' },
    'etc/update-motd.d/10-uname': 'x',
    'var/log': { dir: true, mode: 0o755 },
  });
  const before = tree({ 'etc/tsplay-lab/hosts': 'x' });
  const after = tree({
    'etc/tsplay-lab/hosts': 'x',
    'etc/motd': 'new on hosta\n',
    'etc/keep.conf': { mode: 0o644, content: 'same\n' }, // copied up, unchanged
    'srv/site': { dir: true, mode: 0o755 },
    'etc/update-motd.d': { dir: true, mode: 0o755 },
    'etc/nginx/sites-enabled/a.conf': { link: '/etc/nginx/sites-available/a.conf' },
    'var/log/app.log': 'noise',
  });
  // overlayfs records a removed file as a 0/0 character device (a whiteout); mknod needs root
  const canMknod = process.getuid?.() === 0;
  if (canMknod) execFileSync('mknod', [join(after, 'etc/update-motd.d/10-uname'), 'c', '0', '0']);
  const d = deltaOf(snap(before, root, SUBST_A), snap(after, root, SUBST_A, ['chrony:amd64'], ['chrony.service']), { lower, root, subst: SUBST_A });
  t.deepEqual([...d.files.keys()].sort(), [
    '/etc/motd', '/etc/nginx', '/etc/nginx/sites-enabled', '/etc/nginx/sites-enabled/a.conf',
    ...(canMknod ? ['/etc/update-motd.d/10-uname'] : []), '/srv', '/srv/site',
  ]);
  if (canMknod) t.deepEqual(d.files.get('/etc/update-motd.d/10-uname'), { type: 'deleted' });
  t.is(d.files.get('/etc/nginx/sites-enabled/a.conf')?.target, '/etc/nginx/sites-available/a.conf');
  t.is(d.files.get('/srv/site')?.mode, '0755');
  t.deepEqual(d.packagesAdded, ['chrony:amd64']);
  t.deepEqual(d.unitsStarted, ['chrony.service']);
  t.deepEqual(deltaOf(none, none).files.size, 0);
});

function deltas(a: Record<string, Parameters<typeof tree>[0][string]>, b: Record<string, Parameters<typeof tree>[0][string]>): [Delta, Delta, string, string] {
  const root = tree({ 'etc/passwd': PASSWD, 'etc/group': GROUP });
  const lower = tree({});
  const ua = tree(a);
  const ub = tree(b);
  return [
    deltaOf(none, snap(ua, root, SUBST_A), { lower, root, subst: SUBST_A }),
    deltaOf(none, snap(ub, root, SUBST_B), { lower, root, subst: SUBST_B }),
    ua,
    ub,
  ];
}

test('the same end state on two hosts is no difference, whatever the host names in the text', (t) => {
  const [da, db] = deltas(
    { 'etc/motd': 'hosta: Debian 12\n', 'etc/hosts.allow': { mode: 0o600, content: 'ALL: 10.0.0.11\n' } },
    { 'etc/motd': 'hostb: Debian 12\n', 'etc/hosts.allow': { mode: 0o600, content: 'ALL: 10.0.0.12\n' } },
  );
  t.deepEqual(compareDeltas(da, db), []);
});

test('content, mode, a missing file and a link target are differences, with the first differing line', (t) => {
  const [da, db, ua, ub] = deltas(
    { 'etc/chrony.conf': 'server a iburst\nmakestep 1 3\n', 'etc/x': { mode: 0o644, content: 'x' }, 'etc/only-a': 'a', 'etc/l': { link: '/a' } },
    { 'etc/chrony.conf': 'server a iburst\nmakestep 1.0 3\n', 'etc/x': { mode: 0o600, content: 'x' }, 'etc/l': { link: '/b' } },
  );
  const diffs = compareDeltas(da, db, { a: ua, b: ub });
  t.deepEqual(diffs.map((d) => d.what), ['/etc/chrony.conf', '/etc/l', '/etc/only-a', '/etc/x']);
  t.is(diffs[0].detail, 'line 2: ansible "makestep 1 3" vs tsplay "makestep 1.0 3"');
  t.is(diffs[1].ansible, 'link -> /a (root:root)');
  t.is(diffs[2].tsplay, 'unchanged');
  t.regex(diffs[3].ansible, /^file 0644 root:root 1 bytes/);
  t.regex(diffs[3].tsplay, /^file 0600 root:root 1 bytes/);
});

test('packages and units one side has and the other has not are differences', (t) => {
  const empty = { files: new Map(), packagesRemoved: [], unitsStopped: [] };
  const a: Delta = { ...empty, packagesAdded: ['chrony:amd64', 'tzdata:all'], unitsStarted: ['chrony.service'] };
  const b: Delta = { ...empty, packagesAdded: ['tzdata:all'], unitsStarted: [] };
  t.deepEqual(compareDeltas(a, b).map((d) => `${d.what} ${d.ansible}/${d.tsplay}`), [
    'package installed: chrony:amd64 yes/no',
    'unit started: chrony.service yes/no',
  ]);
});

function result(over: Partial<CaseResult>): CaseResult {
  const run = { code: 0, changed: 3, failed: 0, output: '', ms: 1 };
  return {
    name: 'chrony', ansible1: run, ansible2: { ...run, changed: 0 }, tsplay1: run, tsplay2: { ...run, changed: 0 },
    tsplayLoads: true, ansibleOk: true, ansibleIdempotent: true, tsplayOk: true, sameEndState: true, tsplayIdempotent: true,
    differences: [], verdict: 'same', ...over,
  };
}

test('verdict lines and the summary', (t) => {
  t.is(formatResult(result({})), 'SAME      chrony: same end state as Ansible, idempotent (changed 3/0 both)');
  const refused = result({
    tsplayLoads: false, tsplayOk: false, sameEndState: false, tsplayIdempotent: false, verdict: 'different',
    tsplay1: { code: 4, output: 'ERROR: chrony.yml:2:3: play: unknown option "roles"', ms: 1 }, tsplay2: undefined,
    differences: [{ what: '/etc/chrony/chrony.conf', ansible: 'file 0644 root:root 10 bytes sha256:ab', tsplay: 'unchanged' }],
  });
  t.is(
    formatResult(refused),
    [
      'DIFFERENT chrony: tsplay refuses it at load; end state 1 difference(s); changed run1 ansible 3 tsplay -, run2 ansible 0 tsplay -',
      '    | ERROR: chrony.yml:2:3: play: unknown option "roles"',
      '    /etc/chrony/chrony.conf: ansible file 0644 root:root 10 bytes sha256:ab; tsplay unchanged',
    ].join('\n'),
  );
  const notIdem = result({ tsplayIdempotent: false, verdict: 'different', tsplay2: { code: 0, changed: 1, failed: 0, output: '', ms: 1 } });
  t.regex(formatResult(notIdem), /second run: ansible changed=0, tsplay changed=1/);
  t.is(summary([result({}), refused, notIdem]), '1 of 3 roles: same end state as Ansible, idempotent');
});

test("tsplay's JSON output: the host's recap counts, and the lines a report shows (a load refusal's error included)", (t) => {
  const refusal = '{"kind":"error","msg":"unknown module or task keyword \\"sr_fingerprint\\"","place":"roles/sshd/tasks/main.yml:15:3","exitCode":4}';
  t.deepEqual(readTsplayOutput([refusal, '{"kind":"run_end","exitCode":4,"durationMs":0}', ''].join('\n'), 'h2'), { changed: undefined, failed: undefined, output: `${refusal}\n` });
  const result = '{"kind":"host_result","host":"h2","task":"t","status":"changed"}';
  const recap = '{"kind":"recap","hosts":{"h2":{"ok":3,"changed":2,"failed":1,"unreachable":1,"skipped":0}}}';
  const run = readTsplayOutput(['{"kind":"task_start","task":"t"}', result, 'plain text', recap].join('\n'), 'h2');
  t.deepEqual(run, { changed: 2, failed: 2, output: [result, 'plain text', recap].join('\n') });
});
