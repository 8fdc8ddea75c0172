import test from 'ava';
import { newestMtime, parseAptPolicy } from '../../../../modules/lib/apt-policy.js';

test('installed, candidate, (none), unknown packages absent', (t) => {
  const out = [
    'nfs-common:',
    '  Installed: (none)',
    '  Candidate: 1:2.6.2-4+deb12u1',
    '  Version table:',
    '     1:2.6.2-4+deb12u1 500',
    '        500 http://mirror.invalid/debian bookworm/main amd64 Packages',
    'libc6:amd64:',
    '  Installed: 2.36-9+deb12u7',
    '  Candidate: 2.36-9+deb12u9',
    '  Version table:',
    ' *** 2.36-9+deb12u7 100',
    '        100 /var/lib/dpkg/status',
    'mail-transport-agent:',
    '  Installed: (none)',
    '  Candidate: (none)',
    '  Version table:',
    '',
  ].join('\n');
  t.deepEqual(parseAptPolicy(out), {
    'nfs-common': { installed: null, candidate: '1:2.6.2-4+deb12u1' },
    'libc6:amd64': { installed: '2.36-9+deb12u7', candidate: '2.36-9+deb12u9' },
    'mail-transport-agent': { installed: null, candidate: null },
  });
  t.deepEqual(parseAptPolicy(''), {});
});

test('cache age: newest of the stat outputs, ignoring error lines', (t) => {
  t.is(newestMtime('1700000000\n1700000500\n'), 1700000500);
  t.is(newestMtime("stat: cannot statx '/var/cache/apt/pkgcache.bin': No such file or directory\n1700000000\n"), 1700000000);
  t.is(newestMtime(''), null);
});
