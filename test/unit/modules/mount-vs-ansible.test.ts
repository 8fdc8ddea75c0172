// mount under Ansible 2.14 with ansible.posix (ansible-playbook, local
// connection) and under tsplay, on fresh copies of the same files
// (test/helpers/module-differential.ts): the same fstab afterwards, the same
// changed/failed flags, the same second run, and tsplay's --check predicting
// its own run. Only the states that leave the live mounts alone are run
// (present, absent_from_fstab, and absent on paths that are no mount point:
// Ansible's absent unmounts), each on an fstab and mount points in the case's
// own directory.

import test from 'ava';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { differentialSummary, differentialUnavailable, runDifferential, snapshot } from '../../helpers/module-differential.js';
import type { CaseFile, DiffCase } from '../../helpers/module-differential.js';

const F = 'fstab';
const tab = (content: string, mode = 0o644): Record<string, CaseFile> => ({ [F]: { content, mode, fillDir: true } });
const mnt = (name: string, args: Record<string, unknown>, files: Record<string, CaseFile> = {}): DiffCase =>
  ({ name, files, task: { mount: { fstab: `@DIR@/${F}`, path: '@DIR@/data', ...args } } });
const disk = { src: '/dev/sdb1', fstype: 'ext4', state: 'present' };

const debian = [
  '# /etc/fstab: static file system information.',
  '#',
  '# <file system> <mount point>   <type>  <options>       <dump>  <pass>',
  'UUID=0a1b2c3d / ext4 errors=remount-ro 0 1',
  '/dev/sda2\tnone\tswap\tsw\t0\t0',
  '',
  '',
].join('\n');
const withData = (line: string): string => `${debian}${line}\n`;

const cases: DiffCase[] = [
  mnt('present-add', disk, tab(debian)),
  mnt('present-already', disk, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-already-tabs', disk, tab(withData('/dev/sdb1\t@DIR@/data\text4\tdefaults\t0\t0'))),
  mnt('present-opts-change-tabs', { ...disk, opts: 'noatime,nofail' }, tab(withData('/dev/sdb1\t@DIR@/data\text4\tdefaults\t0\t0'))),
  mnt('present-src-change', { ...disk, src: 'UUID=feed' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-dump-passno', { ...disk, dump: '1', passno: '2' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-dump-int', { ...disk, dump: 1, passno: 2 }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 1 2'))),
  mnt('present-four-fields', disk, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults'))),
  mnt('present-five-fields', disk, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0'))),
  mnt('present-commented-entry', disk, tab(withData('#/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-indented-comment', disk, tab(withData('   # /dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-no-final-newline', disk, tab('UUID=0a1b2c3d / ext4 errors=remount-ro 0 1')),
  mnt('present-no-final-newline-entry', { ...disk, opts: 'ro' }, tab('/dev/sdb1 @DIR@/data ext4 defaults 0 0')),
  mnt('present-duplicates', { ...disk, opts: 'ro' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0\n/dev/sdc1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-duplicates-first-same', disk, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0\n/dev/sdc1 @DIR@/data xfs defaults 0 0'))),
  mnt('present-malformed-line', disk, tab(withData('justonefield\n/dev/x @DIR@/data'))),
  mnt('present-missing-fstab', disk),
  { name: 'present-missing-fstab-dir', task: { mount: { fstab: '@DIR@/etc/fstab', path: '@DIR@/data', ...disk } } },
  mnt('present-space-in-path', { ...disk, path: '@DIR@/my data' }, tab(debian)),
  mnt('present-escaped-already', { ...disk, path: '@DIR@/my data' }, tab(withData('/dev/sdb1 @DIR@/my\\040data ext4 defaults 0 0'))),
  mnt('present-tab-in-path', { ...disk, path: '@DIR@/a\tb' }, tab(debian)),
  mnt('present-ampersand-src', { src: '//srv/a&b', fstype: 'cifs', opts: 'guest', state: 'present' }, tab(debian)),
  mnt('present-trailing-slash', { ...disk, path: '@DIR@/data/' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-mode-kept', { ...disk, opts: 'ro' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'), 0o600)),
  mnt('present-swap', { src: '/dev/sdc1', path: 'none', fstype: 'swap', opts: 'sw', state: 'present' }, tab(debian)),
  mnt('present-nfs', { src: 'srv:/export', fstype: 'nfs4', opts: 'rw,_netdev', state: 'present' }, tab(debian)),
  mnt('present-backup', { ...disk, opts: 'ro', backup: true }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-backup-unchanged', { ...disk, backup: true }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('present-boot-false', { ...disk, boot: false, opts: 'ro' }, tab(debian)),
  mnt('present-boot-false-defaults', { ...disk, boot: false }, tab(debian)),
  mnt('present-boot-false-noauto', { ...disk, boot: false, opts: 'noauto,ro' }, tab(debian)),
  mnt('absent-from-fstab', { state: 'absent_from_fstab' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('absent-from-fstab-keeps-dir', { state: 'absent_from_fstab' }, { ...tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0')), data: { dir: true } }),
  mnt('absent-from-fstab-not-there', { state: 'absent_from_fstab' }, tab(debian)),
  mnt('absent-from-fstab-four-fields', { state: 'absent_from_fstab' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults'))),
  mnt('absent-from-fstab-duplicates', { state: 'absent_from_fstab' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0\n/dev/sdc1\t@DIR@/data\txfs\tro\t0\t0'))),
  mnt('absent-from-fstab-missing-fstab', { state: 'absent_from_fstab' }),
  mnt('absent-removes-dir', { state: 'absent' }, { ...tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0')), data: { dir: true } }),
  mnt('absent-no-dir', { state: 'absent' }, tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0'))),
  mnt('absent-dir-not-empty', { state: 'absent' }, { ...tab(withData('/dev/sdb1 @DIR@/data ext4 defaults 0 0')), 'data/keep': 'x' }),
  mnt('absent-not-in-fstab-keeps-dir', { state: 'absent' }, { ...tab(debian), data: { dir: true } }),
  mnt('absent-missing-fstab', { state: 'absent' }),
];

/** Backup files carry a time (and Ansible's the process id): compared by their content under one name. */
function fstabSnapshot(dir: string): Record<string, string> {
  const tree = snapshot(dir);
  const out: Record<string, string> = {};
  for (const [p, v] of Object.entries(tree)) out[/^fstab\..+~$/.test(p) ? 'fstab.BACKUP~' : p] = v;
  if (Object.keys(tree).filter((p) => /^fstab\..+~$/.test(p)).length > 1) out['fstab.BACKUP~'] = `${readdirSync(dir).length} backups`;
  return out;
}

/** Cases where tsplay keeps its own outcome on purpose (docs/modules/mount.md); the value: how each difference starts. */
const DELIBERATE: Record<string, string[]> = {
  // Ansible removes the entry, then fails at rmdir of the mount point (it holds a file): a failure after
  // a change. tsplay fails before editing fstab, so that --check can predict the failure.
  'absent-dir-not-empty': ['fstab: '],
  // Ansible writes the tab raw, which splits the mount point into two fields (a broken entry that every
  // run appends again); tsplay writes it as fstab's \011 escape, as mount(8) reads it.
  'present-tab-in-path': ['second run changed: ansible true, tsplay false', 'fstab: '],
};

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the mount differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('mount: the same outcome as ansible.posix under Ansible 2.14 (fstab states only)', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases, { snapshot: fstabSnapshot, snapshotSources: [fileURLToPath(import.meta.url)] });
    t.log(differentialSummary('mount', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    for (const o of outcomes) {
      const expected = DELIBERATE[o.name];
      if (expected === undefined) t.deepEqual(o.differences, [], o.name);
      else t.true(o.differences.length > 0 && o.differences.every((d) => expected.some((e) => d.startsWith(e))), `${o.name}: ${o.differences.join('; ')}`);
    }
    // The comparison is real: what Ansible did, as observed.
    t.true(by['present-add'].ansible.changed);
    t.false(by['present-add'].ansible.changed2);
    t.false(by['present-already-tabs'].ansible.changed);
    t.regex(by['present-add'].tsplay.tree[F], /\\n\/dev\/sdb1 @DIR@\/data ext4 defaults 0 0\\n"$/);
    t.false('data' in by['absent-removes-dir'].ansible.tree);
    t.true(by['absent-dir-not-empty'].ansible.failed && by['absent-dir-not-empty'].tsplay.failed);
    t.true(by['present-four-fields'].ansible.changed);
    t.regex(by['present-boot-false'].ansible.tree[F], /ext4 ro,noauto 0 0\\n"$/);
    t.regex(by['absent-missing-fstab'].ansible.tree[F], /^file 0644 0:0 ""$/);
  });
}
