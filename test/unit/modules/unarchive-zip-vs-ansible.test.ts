// unarchive with zip archives under Ansible 2.14 (ansible-playbook, local
// connection) and under tsplay, on fresh copies of the same files
// (test/helpers/module-differential.ts): the same files afterwards, the same
// changed/failed flags, the same second run, tsplay's --check predicting its own
// run, and (zip is one of the archives Ansible runs in check mode) the same
// --check verdict as Ansible's. Then sequences on one destination (a member
// edited or removed between runs) run through both tools step by step.
// The archives are made with Python's zipfile at fixed times (the same bytes on
// every run, so Ansible's side is cached by them).

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ansibleResults, differentialSummary, differentialUnavailable, runDifferential, snapshot, tsplayResults } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';

/** A zip from (name, content | null for a directory | { link }, mode) at 2024-01-02 03:04:06. */
function makeZip(members: Array<[string, string | null | { link: string }, number?]>): Buffer {
  const spec = JSON.stringify(members);
  return execFileSync('python3', ['-c', `
import json, sys, zipfile, io
b = io.BytesIO()
z = zipfile.ZipFile(b, 'w')
for name, content, mode in (m + [None] * (3 - len(m)) for m in json.loads(sys.argv[1])):
    i = zipfile.ZipInfo(name, (2024, 1, 2, 3, 4, 6))
    i.create_system = 3
    if content is None:
        i.external_attr = ((mode or 0o755) | 0o040000) << 16 | 0x10
        z.writestr(i, '')
    elif isinstance(content, dict):
        i.external_attr = (0o777 | 0o120000) << 16
        z.writestr(i, content['link'])
    else:
        i.external_attr = ((mode or 0o644) | 0o100000) << 16
        z.writestr(i, content)
z.close()
sys.stdout.buffer.write(b.getvalue())
`, spec]);
}

const APP = makeZip([['app/', null], ['app/a.txt', 'hi\n'], ['app/sub/', null, 0o750], ['app/sub/b.txt', 'x\n', 0o640], ['app/link', { link: 'a.txt' }]]);
const NODIR = makeZip([['top/f.txt', 'f\n'], ['top/g.txt', 'g\n', 0o600]]);
const FLAT = makeZip([['one.txt', '1\n'], ['two.txt', '2\n']]);
const CORRUPT = APP.subarray(0, 120);

const withDest = (zip: Buffer, more: DiffCase['files'] = {}): DiffCase['files'] => ({ 'a.zip': zip, d: { dir: true }, ...more });
const un = (extra: Record<string, unknown> = {}) => ({ unarchive: { src: '@DIR@/a.zip', dest: '@DIR@/d', ...extra } });

const cases: DiffCase[] = [
  { name: 'fresh-controller', files: withDest(APP), task: un() },
  { name: 'fresh-remote', files: withDest(APP), task: un({ remote_src: true }) },
  { name: 'copy-false', files: withDest(APP), task: un({ copy: false }) },
  { name: 'flat', files: withDest(FLAT), task: un({ remote_src: true }) },
  { name: 'member-changed', files: withDest(APP, { 'd/app/a.txt': 'edited\n' }), task: un() },
  { name: 'other-files-kept', files: withDest(FLAT, { 'd/mine.txt': 'mine\n' }), task: un() },
  { name: 'creates-exists', files: withDest(APP, { 'd/marker': 'm' }), task: un({ creates: '@DIR@/d/marker' }) },
  { name: 'creates-absent', files: withDest(APP), task: un({ creates: '@DIR@/d/app/a.txt' }) },
  { name: 'exclude', files: withDest(APP), task: un({ exclude: ['app/sub/*'] }) },
  { name: 'exclude-one', files: withDest(FLAT), task: un({ exclude: 'two.txt' }) },
  { name: 'include', files: withDest(APP), task: un({ include: ['app/a.txt'] }) },
  { name: 'include-no-match', files: withDest(APP), task: un({ include: ['nothing*'] }) },
  { name: 'list-files', files: withDest(APP), task: un({ list_files: true }) },
  { name: 'mode-octal', files: withDest(APP), task: un({ mode: '0600' }) },
  { name: 'mode-symbolic', files: withDest(APP), task: un({ mode: 'u=rwX,g=rX,o=' }) },
  { name: 'mode-top-folder', files: withDest(NODIR), task: un({ mode: '0640' }) },
  { name: 'owner-group', files: withDest(APP), task: un({ owner: 'nobody', group: 'nogroup' }) },
  { name: 'owner-numeric', files: withDest(FLAT), task: un({ owner: 65534 }) },
  { name: 'keep-newer', files: withDest(FLAT, { 'd/one.txt': 'newer\n' }), task: un({ keep_newer: true }) },
  { name: 'extra-opts-junk-paths', files: withDest(APP), task: un({ extra_opts: ['-j'] }) },
  { name: 'no-top-dir-entries', files: withDest(NODIR), task: un() },
  { name: 'corrupt', files: withDest(CORRUPT), task: un() },
  { name: 'corrupt-remote', files: withDest(CORRUPT), task: un({ remote_src: true }) },
  { name: 'dest-missing', files: { 'a.zip': APP }, task: un() },
  { name: 'dest-is-file', files: { 'a.zip': APP, d: 'file' }, task: un() },
];

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the unarchive zip differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('unarchive zip: the same outcome as Ansible 2.14 in every case', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('unarchive zip', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    // extra_opts -j: Ansible compares zipinfo's paths (app/a.txt) with dest and never finds them: changed every run
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name}: ${o.differences.join('; ')}`), []);
    // zip is an archive Ansible runs in --check: its verdict there is ours
    // but where unzip -o will fail (an include pattern matches nothing), tsplay's --check fails as its run does; Ansible's says changed
    t.true(by['include-no-match'].ansible.checkChanged === true && by['include-no-match'].ansible.failed === true && by['include-no-match'].tsplay.checkFailed === true);
    // and a damaged zip: Ansible falls back to its tar handler, which skips in --check; tsplay's --check fails as the run does
    for (const n of ['corrupt', 'corrupt-remote']) t.true(by[n].ansible.checkChanged === false && by[n].ansible.checkFailed === false && by[n].tsplay.checkFailed === true, n);
    const ownCheck = new Set(['include-no-match', 'corrupt', 'corrupt-remote']);
    t.deepEqual(outcomes.filter((o) => !ownCheck.has(o.name) && (o.ansible.checkChanged !== o.tsplay.checkChanged || o.ansible.checkFailed !== o.tsplay.checkFailed))
      .map((o) => `${o.name}: ansible check ${o.ansible.checkChanged}/${o.ansible.checkFailed}, tsplay ${o.tsplay.checkChanged}/${o.tsplay.checkFailed}`), []);
    // the comparison is real: these unpack, fail, skip or stay as Ansible's do
    t.true(by['fresh-controller'].tsplay.changed && by['fresh-controller'].tsplay.changed2 === false);
    t.regex(by['fresh-controller'].tsplay.tree['d/app/link'], /^link -> a\.txt /);
    t.regex(by['fresh-controller'].tsplay.tree['d/app/sub/b.txt'], /^file 0640 0:0 "x\\n"$/);
    t.regex(by['member-changed'].tsplay.tree['d/app/a.txt'], /"hi\\n"$/);
    t.false(by['creates-exists'].tsplay.changed);
    t.false('d/app/sub/b.txt' in by['exclude'].tsplay.tree);
    t.regex(by['keep-newer'].tsplay.tree['d/one.txt'], /"newer\\n"$/);
    t.regex(by['mode-top-folder'].tsplay.tree['d/top'], /^dir 0640 /);
    t.regex(by['owner-group'].tsplay.tree['d/app/a.txt'], /^file 0644 65534:65534 /);
    t.true(by['corrupt'].tsplay.failed && by['corrupt-remote'].tsplay.failed);
    t.deepEqual(Object.keys(by['corrupt'].tsplay.tree).filter((p) => p.startsWith('d/')), [], 'nothing unpacked from a damaged zip');
  });

  test('unarchive zip: list_files and handler as Ansible returns them', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'tsplay-unzip-list-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const listCases: DiffCase[] = [
      { name: 'all', task: un({ list_files: true, remote_src: true }) },
      { name: 'include', task: un({ list_files: true, remote_src: true, include: ['app/a*', '*.txt'] }) },
      { name: 'include-overlap', task: un({ list_files: true, remote_src: true, include: ['app/*', 'app/sub/*'] }) },
      { name: 'exclude', task: un({ list_files: true, remote_src: true, exclude: ['app/sub*'] }) },
    ];
    const fresh = (side: string) => {
      for (const c of listCases) {
        mkdirSync(join(root, side, c.name, 'd'), { recursive: true });
        writeFileSync(join(root, side, c.name, 'a.zip'), APP);
      }
      return join(root, side);
    };
    const a = ansibleResults(listCases, fresh('ansible'), false);
    const ts = await tsplayResults(listCases, fresh('tsplay'), false);
    listCases.forEach((c, i) => {
      t.deepEqual(ts[i]?.result?.files, a[i].files, c.name);
      t.is(ts[i]?.result?.handler, a[i].handler, c.name);
      if (a[i].failed !== true) for (const k of ['state', 'mode', 'owner', 'group', 'uid', 'gid', 'size']) t.is(ts[i]?.result?.[k], a[i][k], `${c.name}: ${k}`);
    });
    t.deepEqual(a[1].files, ['app/a.txt', 'app/a.txt', 'app/sub/b.txt'], 'a name once per include pattern it matches');
    t.true(a[2].failed === true && ts[2]?.status === 'failed', 'overlapping include patterns: unzip says one matched nothing');
  });

  // One destination, several runs, the host changed between them: each step through both tools.
  test('unarchive zip: a member edited, removed, retyped or touched between runs', async (t) => {
    t.timeout(5 * 60_000);
    const root = mkdtempSync(join(tmpdir(), 'tsplay-unzip-seq-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const steps: Array<[string, (d: string) => void]> = [
      ['first run', () => {}],
      ['unchanged', () => {}],
      ['content edited', (d) => writeFileSync(join(d, 'app/a.txt'), 'hi!\n')],
      ['member removed', (d) => unlinkSync(join(d, 'app/sub/b.txt'))],
      ['mtime touched', (d) => utimesSync(join(d, 'app/a.txt'), new Date(), new Date())],
      ['same size and mtime, other bytes', (d) => {
        const p = join(d, 'app/a.txt');
        writeFileSync(p, 'ho\n');
        const ts = new Date(2024, 0, 2, 3, 4, 6); // the member's time, local as unzip reads it
        utimesSync(p, ts, ts);
      }],
      ['mode changed', (d) => execFileSync('chmod', ['600', join(d, 'app/a.txt')])],
      ['owner changed', (d) => execFileSync('chown', ['65534', join(d, 'app/sub')])],
      ['link replaced by a file', (d) => { unlinkSync(join(d, 'app/link')); writeFileSync(join(d, 'app/link'), 'a.txt'); }],
    ];
    const flags: Record<string, string[]> = { ansible: [], tsplay: [] };
    const trees: Record<string, Array<Record<string, string>>> = { ansible: [], tsplay: [] };
    for (const side of ['ansible', 'tsplay'] as const) {
      const caseDir = join(root, side, 'seq');
      mkdirSync(join(caseDir, 'd'), { recursive: true });
      writeFileSync(join(caseDir, 'a.zip'), APP);
      const seq: DiffCase[] = [{ name: 'seq', task: un() }];
      for (const [label, change] of steps) {
        change(join(caseDir, 'd'));
        const check = side === 'ansible' ? ansibleResults(seq, join(root, side), true)[0].changed === true : (await tsplayResults(seq, join(root, side), true))[0]?.status === 'changed';
        const real = side === 'ansible' ? ansibleResults(seq, join(root, side), false)[0].changed === true : (await tsplayResults(seq, join(root, side), false))[0]?.status === 'changed';
        flags[side].push(`${label}: check ${check} run ${real}`);
        trees[side].push(snapshot(join(caseDir, 'd')));
      }
    }
    t.deepEqual(flags.tsplay, flags.ansible);
    t.deepEqual(trees.tsplay, trees.ansible);
    t.deepEqual(flags.ansible.map((f) => f.endsWith('run true')), [true, false, true, true, true, true, true, true, true], 'each change on disk is seen');
    t.is(readFileSync(join(root, 'tsplay/seq/d/app/a.txt'), 'utf8'), 'hi\n');
  });
}

// Without unzip and zipinfo on the host (hidden in a mount namespace of their own): Ansible's failure.
const canHide = process.getuid?.() === 0 && missing === undefined;
(canHide ? test : test.skip)('unarchive zip: no unzip on the host fails with Ansible\'s message, nothing unpacked', (t) => {
  const child = fileURLToPath(new URL('../../helpers/unzip-missing-child.ts', import.meta.url));
  const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    'mount --bind /dev/null /usr/bin/unzip && mount --bind /dev/null /usr/bin/zipinfo && exec "$@"', 'sh',
    process.execPath, '--import', 'tsx', child, APP.toString('base64')], { encoding: 'utf8' });
  const r = JSON.parse(out) as Record<'ansible' | 'tsplay', { failed: boolean; msg: string; tree: Record<string, string> }>;
  t.true(r.ansible.failed);
  t.true(r.tsplay.failed);
  const head = (m: string) => m.replace(/^Failed to find handler for ".*?"/, 'Failed to find handler for "SRC"').split('\n')[0];
  t.is(head(r.tsplay.msg), head(r.ansible.msg));
  // Ansible lists every handler's reason (its tar handlers' too, in set order); the zip ones are tsplay's
  const zipReasons = (m: string) => m.split('\n').filter((l) => l.startsWith('Unable to find required')).sort();
  t.deepEqual(zipReasons(r.tsplay.msg), zipReasons(r.ansible.msg));
  t.deepEqual(zipReasons(r.tsplay.msg), ["Unable to find required 'unzip' or 'unzip' binary in the path.", "Unable to find required 'unzip' or 'zipinfo' binary in the path."]);
  t.deepEqual(r.tsplay.tree, {});
  t.deepEqual(r.ansible.tree, {});
});
