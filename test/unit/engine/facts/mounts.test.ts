// Fact `mounts`: /proc/self/mountinfo -> entries; predictions + entries -> predicted entries.

import test from 'ava';
import { mounts } from '../../../../engine/facts/mounts.js';
import type { MountEntry, Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

test('mounts: one cat of mountinfo', (t) => {
  t.deepEqual(mounts.sections([undefined], readCtx()), ['cat /proc/self/mountinfo']);
});

test('mounts: octal escapes, optional fields, super options', (t) => {
  const text = [
    '24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
    '45 24 0:40 / /mnt/with\\040space rw,nosuid - tmpfs tmp\\040fs rw,size=1024k',
    '46 24 0:41 /srv/instances /var/lib/nova/instances rw master:3 shared:9 - nfs4 ctl:/srv/instances rw,vers=4.2,hard',
    'short line',
  ].join('\n');
  t.deepEqual(parseRows(mounts, [undefined], [out(text)]), [
    [
      { path: '/', src: '/dev/sda1', fstype: 'ext4', opts: 'rw,relatime,errors=remount-ro' },
      { path: '/mnt/with space', src: 'tmp fs', fstype: 'tmpfs', opts: 'rw,nosuid,size=1024k' },
      { path: '/var/lib/nova/instances', src: 'ctl:/srv/instances', fstype: 'nfs4', opts: 'rw,vers=4.2,hard' },
    ],
  ]);
  t.throws(() => parseRows(mounts, [undefined], [out('', 1, 'no proc')]), { message: /^h: cannot read \/proc\/self\/mountinfo/ });
});

const base: MountEntry[] = [
  { path: '/', src: '/dev/sda1', fstype: 'ext4', opts: 'rw' },
  { path: '/mnt/old', src: 'tmpfs', fstype: 'tmpfs', opts: 'rw' },
];
const ROWS: Array<{ what: string; predictions: Prediction[][]; expected: MountEntry[] }> = [
  { what: 'nothing predicted', predictions: [], expected: base },
  {
    what: 'mounted and unmounted (trailing slash is the same point)',
    predictions: [[
      { kind: 'mount', path: '/var/lib/nova/instances', mounted: true, src: 'ctl:/srv/instances', fstype: 'nfs', opts: 'rw,hard' },
      { kind: 'mount', path: '/mnt/old/', mounted: false },
    ]],
    expected: [base[0], { path: '/var/lib/nova/instances', src: 'ctl:/srv/instances', fstype: 'nfs', opts: 'rw,hard', predicted: true }],
  },
  {
    what: 'remounted with new options: the rest as the host had it, appended',
    predictions: [[{ kind: 'mount', path: '/mnt/old', mounted: true, opts: 'ro' }]],
    expected: [base[0], { path: '/mnt/old', src: 'tmpfs', fstype: 'tmpfs', opts: 'ro', predicted: true }],
  },
];

test('mounts: predictions -> predicted entries', async (t) => {
  for (const row of ROWS) t.deepEqual(await predictRow(mounts, undefined, base, row.predictions), row.expected, row.what);
});
