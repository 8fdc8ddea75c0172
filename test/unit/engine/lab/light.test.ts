// Light lab hosts' address plan and launch command (engine/lab/light.ts); the
// hosts themselves are exercised by test/lab/light-hosts.test.ts.

import test from 'ava';
import { HOSTS_PER_SUBNET, LIGHT_MAX_HOSTS, hostAddress, lightHostArgv, loginSample, subnetsFor } from '../../../../engine/lab/light.js';

test('a light lab fits on one bridge (at most 1024 ports) and spans /24s of 243 hosts', (t) => {
  t.true(LIGHT_MAX_HOSTS < 1024);
  t.is(HOSTS_PER_SUBNET, 243);
  const table: Array<[number, number]> = [[1, 1], [243, 1], [244, 2], [486, 2], [487, 3], [1000, 5]];
  for (const [n, subnets] of table) t.is(subnetsFor(n), subnets, `${n} hosts`);
});

test('host addresses: .11 to .253 of each /24 in turn, never .0, .1 or .255', (t) => {
  const p = ['10.213.4', '10.213.5', '10.213.7'];
  const table: Array<[number, string]> = [[0, '10.213.4.11'], [1, '10.213.4.12'], [242, '10.213.4.253'], [243, '10.213.5.11'], [485, '10.213.5.253'], [486, '10.213.7.11']];
  for (const [i, a] of table) t.is(hostAddress(p, i), a, `host ${i + 1}`);
  const all = Array.from({ length: 3 * HOSTS_PER_SUBNET }, (_, i) => hostAddress(p, i));
  t.is(new Set(all).size, all.length, 'every address once');
  t.throws(() => hostAddress(p, 3 * HOSTS_PER_SUBNET), { message: /past the lab's 3 subnet/ });
});

test('the launch command: sshd in the host netns, own mount, UTS, IPC and PID namespaces, chrooted into the overlay', (t) => {
  const argv = lightHostArgv('tsplay-x-x1', '/var/lib/tsplay/lab/x/hosts/x1/root');
  t.deepEqual(argv.slice(0, 4), ['ip', 'netns', 'exec', 'tsplay-x-x1']);
  t.deepEqual(argv.slice(4, 13), ['unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--propagation', 'private', '--kill-child']);
  t.is(argv.at(-1), '/var/lib/tsplay/lab/x/hosts/x1/root', 'the root comes in as data, not in the script');
  const script = argv[argv.indexOf('-c') + 1];
  t.regex(script, /exec chroot "\$r" \/usr\/sbin\/sshd -D -e -r -o UsePAM=no$/, 'no re-exec and no PAM session per login');
  t.false(script.includes('/var/lib'), 'the script is constant');
});

test('login sample: every host of a small lab, a spread with both ends of a big one', (t) => {
  t.deepEqual(loginSample([1, 2, 3]), [1, 2, 3]);
  const big = Array.from({ length: 1000 }, (_, i) => i);
  const s = loginSample(big);
  t.is(s.length, 12);
  t.is(s[0], 0);
  t.is(s[11], 999);
  t.deepEqual([...s].sort((a, b) => a - b), s);
});
