// Light lab hosts (`tsplay lab up N --light`): a host that is only an sshd.
// Each has its own overlay root over the cached base and its own network
// namespace on the lab's bridge, like a full host, but no init and no
// systemd: sshd runs directly, chrooted into the overlay, in its own mount,
// UTS, IPC and PID namespaces (so /proc, /run, /tmp and the hostname are the
// host's own), inside the host's network namespace. A thousand of them fit on a small machine.
//
// Limits: a Linux bridge takes at most 1024 ports, so a light lab has at most
// 1000 hosts; a /24 holds 243 hosts (.11-.253), so a bigger lab spans several
// of the lab range's /24s on the one bridge, each host with on-link routes to
// the others (still no default route).

export const LIGHT_MAX_HOSTS = 1000;
export const HOSTS_PER_SUBNET = 243;

/** How many /24s a light lab of n hosts needs. */
export function subnetsFor(n: number): number {
  return Math.ceil(n / HOSTS_PER_SUBNET);
}

/** Host i (0-based) of a lab whose /24 prefixes are `prefixes` ("10.213.4"): its address. */
export function hostAddress(prefixes: string[], i: number): string {
  const p = prefixes[Math.floor(i / HOSTS_PER_SUBNET)];
  if (p === undefined) throw new Error(`host ${i + 1} is past the lab's ${prefixes.length} subnet(s)`);
  return `${p}.${11 + (i % HOSTS_PER_SUBNET)}`;
}

/**
 * A light host's sshd neither re-executes itself per connection (-r) nor opens
 * a PAM session (UsePAM=no: no motd scripts, pam_env, pam_limits or loginuid).
 * On this 2-core machine, the hosts' login CPU sets most of the wall of a run
 * on a thousand of them, and on a real fleet each host pays its login on its
 * own CPU: measured on a light host, 131 ms of CPU per login with both, 73 ms
 * without (docs/lab.md). Key-only root login works the same.
 *
 * Constant script run by `unshare --mount --uts --ipc --pid --fork`
 * inside the host's network namespace; $1 is the host's overlay root. The
 * mounts it makes live in the host's private mount namespace and go away with
 * its last process (`lab down` kills it), so nothing is left on the machine.
 */
const SSHD_SCRIPT = [
  'set -e',
  'r=$1',
  'mount -t proc proc "$r/proc"',
  'mount --rbind /dev "$r/dev"',
  'mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$r/run"',
  'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/tmp"',
  'mkdir -p "$r/run/sshd"',
  'hostname -F "$r/etc/hostname"',
  'exec chroot "$r" /usr/sbin/sshd -D -e -r -o UsePAM=no',
].join('\n');

/** The command that runs one light host's sshd (given to the lab's launcher). */
export function lightHostArgv(netns: string, root: string): string[] {
  return [
    'ip', 'netns', 'exec', netns,
    'unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--propagation', 'private', '--kill-child',
    '/bin/sh', '-c', SSHD_SCRIPT, 'tsplay-lab-light-host', root,
  ];
}

/** Hosts to check with a real SSH login at `up` (all of a small lab, a spread of a big one). */
export function loginSample<T>(hosts: T[], max = 12): T[] {
  if (hosts.length <= max) return hosts;
  const step = (hosts.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, k) => hosts[Math.round(k * step)]);
}
