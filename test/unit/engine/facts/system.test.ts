// System facts: the pure parsers over small probe outputs (each expected value
// as Ansible 2.14's setup computes it from the same input: its collector code
// read for the rule, and the cases marked "checked" run through the real
// Ansible on this machine), gather_subset, and one live gathering.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import test from 'ava';
import { FACT_PROBES, gatherFacts, parseFacts, parseOsRelease, systemFacts, type ProbeResults } from '../../../../engine/facts/system.js';
import { resolveGatherSubset, subsetList } from '../../../../engine/facts/setup/subset.js';
import { ENVIRON_CONTAINER, LSB_RELEASE_MINIMAL_CKSUM, LSB_TOOL, MOUNT_POINTS_AWK, VIRT_MODULES, probesFor, readSmallFile } from '../../../../engine/facts/setup/probes.js';
import { serviceMgrName, distributionFacts, dnsFacts, dateTimeFacts, cmdlineFacts, localFacts, platformFacts, chrootFacts } from '../../../../engine/facts/setup/platform.js';
import { cpuFacts, memoryFacts, mountFacts } from '../../../../engine/facts/setup/hardware.js';
import { networkFacts } from '../../../../engine/facts/setup/network.js';
import { tsplayVirtFacts, virtualFacts } from '../../../../engine/facts/setup/virtual.js';
import { initSystemOf } from '../../../../engine/facts/init-system.js';
import { Host } from '../../../../engine/host/host.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import type { Connection } from '../../../../engine/connection/connection.js';

const ok = (stdout = ''): { rc: number; stdout: string; stderr: string } => ({ rc: 0, stdout, stderr: '' });
const fail = (rc = 1, stderr = ''): { rc: number; stdout: string; stderr: string } => ({ rc, stdout: '', stderr });

test('gather_subset as Ansible resolves it (checked: the fact names setup returned for each)', (t) => {
  const min = ['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips', 'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user'];
  const sorted = (s: Set<string>) => [...s].sort();
  t.deepEqual(sorted(resolveGatherSubset(['!all'])), [...min].sort());
  t.deepEqual(sorted(resolveGatherSubset(['!all', '!min'])), []);
  t.deepEqual(sorted(resolveGatherSubset(['!all', 'network'])), [...min, 'network'].sort());
  t.deepEqual(sorted(resolveGatherSubset(['network'])), [...min, 'network'].sort());
  // hardware needs the platform facts even without min (setup returned hostname, kernel, ... then)
  t.deepEqual(sorted(resolveGatherSubset(['!all', '!min', 'hardware'])), ['hardware', 'platform']);
  // each collector's required_facts come with it (checked: the fact names setup returned; test/lab/facts.test.ts compares them live)
  t.deepEqual(sorted(resolveGatherSubset(['!all', '!min', 'service_mgr'])), ['distribution', 'platform', 'service_mgr']);
  t.deepEqual(sorted(resolveGatherSubset(['!all', '!min', 'pkg_mgr'])), ['distribution', 'pkg_mgr']);
  t.deepEqual(sorted(resolveGatherSubset(['!all', '!min', 'network'])), ['distribution', 'network', 'platform']);
  t.deepEqual(sorted(resolveGatherSubset(['!all', '!min', 'virtual'])), ['virtual']);
  // required even when excluded by name (Ansible adds them after the exclusions)
  t.deepEqual(sorted(resolveGatherSubset(['!all', '!min', '!platform', 'hardware'])), ['hardware', 'platform']);
  t.true(resolveGatherSubset(['all']).has('virtual'));
  t.true(resolveGatherSubset([]).has('hardware'));
  // only exclusions: the minimal set, not all (checked: setup gather_subset=!facter,!ohai, =!nonesuch and
  // =!network each returned the same 56 facts as =!all); an unknown subset to exclude is accepted
  t.deepEqual(sorted(resolveGatherSubset(['!facter', '!ohai'])), [...min].sort());
  t.deepEqual(sorted(resolveGatherSubset(['!nonesuch'])), [...min].sort());
  t.deepEqual(sorted(resolveGatherSubset(['!network'])), [...min].sort());
  // explicitly named wins over its own exclusion
  t.true(resolveGatherSubset(['!network', 'network']).has('network'));
  t.throws(() => resolveGatherSubset(['netwrk']), { message: /^Bad subset 'netwrk' given to Ansible\. gather_subset options allowed: all, / });
  t.deepEqual(subsetList('!all, network'), ['!all', 'network']);
  t.deepEqual(subsetList(undefined), ['all']);
});

test('a subset runs only the probes it needs', (t) => {
  const keys = (s: string[]) => probesFor(resolveGatherSubset(s)).map((p) => p.key);
  t.deepEqual(keys(['!all', '!min']), []);
  t.false(keys(['!all']).includes('cpuinfo'));
  t.true(keys(['!all', 'hardware']).includes('mounts'));
  t.false(keys(['!all', 'hardware']).includes('ip_primary'));
  const ctx = { host: 'h', facts: {} as never };
  t.is(systemFacts.sections([{ subset: ['!all', '!min'] }], ctx).length, 0);
  // all: every probe but python_v (the python probe answers for it when the python collector runs)
  t.is(systemFacts.sections([undefined], ctx).length, FACT_PROBES.length - 1);
});

test('!all,!min: only the facts of what was asked', (t) => {
  t.deepEqual(parseFacts({}, resolveGatherSubset(['!all', '!min'])), {} as never);
});

test('service_mgr as Ansible names it (PID 1, else the init tools)', (t) => {
  const cases: Array<[string, string, string]> = [
    ['pid1 systemd\nrun_systemd\netc_initd\n', 'sbin_init /lib/systemd/systemd\n', 'systemd'],
    // checked: this machine's PID 1 is process_api, Ansible says so
    ['pid1 process_api\netc_initd\n', 'sbin_init /lib/systemd/systemd\n', 'process_api'],
    ['pid1 init\ninitctl\netc_init\netc_initd\n', 'sbin_init \n', 'upstart'],
    ['pid1 init\netc_initd\n', 'sbin_init \n', 'sysvinit'],
    ['pid1 init\netc_initd\n', 'openrc\nsbin_init \n', 'openrc'],
    ['pid1 init\n', 'sbin_init /lib/systemd/systemd\n', 'systemd'],
    ['pid1 bash\n', 'sbin_init \n', 'service'],
    ['pid1 runit-init\n', 'sbin_init \n', 'runit'],
    ['pid1 tini\netc_initd\n', 'sbin_init \n', 'tini'],
  ];
  for (const [init, extra, want] of cases) t.is(serviceMgrName({ init: ok(init), init_extra: ok(extra) }), want, init);
});

test('modules act through the init system detected, not service_mgr\'s name', (t) => {
  const f = parseFacts({ init: ok('pid1 tini\netc_initd\n'), init_extra: ok('sbin_init \n') }, resolveGatherSubset(['!all']));
  t.is(f.service_mgr, 'tini');
  t.is(initSystemOf(f), 'sysvinit');
  t.is(initSystemOf({ service_mgr: 'upstart' }), 'upstart'); // facts given by hand (fixtures)
  t.is(initSystemOf({ service_mgr: 'service' }), 'unknown');
});

const DEBIAN12_OS = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`;

test('distribution: Debian without python3-distro on the host is VERSION_ID, as Ansible (checked: ansible-playbook on a lab host, motd fixture)', (t) => {
  const f = distributionFacts({ os_release: ok(DEBIAN12_OS), debian_version: ok('12.15\n'), py_distro: ok('no\n') });
  t.is(f.distribution_version, '12');
  t.is(f.distribution_major_version, '12');
  t.is(f.distribution_minor_version, '15');
  t.is(distributionFacts({ os_release: ok(DEBIAN12_OS), debian_version: ok('12.15\n'), py_distro: ok('yes\n') }).distribution_version, '12.15');
});

test('distribution: Debian with its point release, Ubuntu, testing (checked: Debian 12.11 on this machine)', (t) => {
  t.deepEqual(distributionFacts({ os_release: ok(DEBIAN12_OS), debian_version: ok('12.11\n') }), {
    distribution: 'Debian', distribution_version: '12.11', distribution_major_version: '12', distribution_minor_version: '11',
    distribution_release: 'bookworm', distribution_file_parsed: true, distribution_file_path: '/etc/os-release',
    distribution_file_variety: 'Debian', os_family: 'Debian',
  });
  const ubuntu = distributionFacts({
    os_release: ok('NAME="Ubuntu"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n'),
    debian_version: ok('bookworm/sid\n'),
  });
  t.like(ubuntu, { distribution: 'Ubuntu', distribution_version: '22.04', distribution_major_version: '22', distribution_release: 'jammy', os_family: 'Debian' });
  const trixie = distributionFacts({ os_release: ok('PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n'), debian_version: ok('trixie/sid\n') });
  t.like(trixie, { distribution: 'Debian', distribution_version: 'NA', distribution_major_version: 'NA', distribution_release: 'trixie' });
  t.like(distributionFacts({ os_release: ok('ID=rocky\nVERSION_ID="9.3"\nNAME="Rocky Linux"\n'), debian_version: fail() }), {
    distribution: 'Rocky', distribution_version: '9.3', distribution_major_version: '9', os_family: 'RedHat',
  });
});

test('platform: fqdn as socket.getfqdn, domain after the first dot', (t) => {
  const uname = ok('Linux 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64\ncompute1\n');
  t.like(platformFacts({ uname, fqdn: ok('192.0.2.7      compute1.example.org compute1\n'), long_bit: ok('64\n'), machine_id: ok('abc\n') }), {
    system: 'Linux', kernel: '6.1.0-18-amd64', kernel_version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)', machine: 'x86_64', architecture: 'x86_64', userspace_bits: '64', userspace_architecture: 'x86_64',
    hostname: 'compute1', nodename: 'compute1', fqdn: 'compute1.example.org', domain: 'example.org', machine_id: 'abc',
  });
  // checked: this machine resolves vm to 127.0.0.1, whose entry is "localhost": Ansible's fqdn is localhost
  t.like(platformFacts({ uname, fqdn: ok('127.0.0.1       localhost\n') }), { fqdn: 'localhost', domain: '' });
  t.like(platformFacts({ uname, fqdn: ok('') }), { fqdn: 'compute1', domain: '' });
});

const COMPUTE_SYSNET = `@@if eth0
address=52:54:00:12:34:56
mtu=1500
operstate=up
type=1
flags=0x1003
speed=1000
pciid=0000:00:03.0
module=virtio_net
@@if eth1
address=52:54:00:ab:cd:ef
mtu=9000
operstate=up
type=1
flags=0x1103
@@if lo
address=00:00:00:00:00:00
mtu=65536
operstate=unknown
type=772
flags=0x9
@@if br0
address=52:54:00:00:00:01
mtu=1500
operstate=down
type=1
flags=0x1002
bridge=8000.525400000001
stp=0
brif=vnet0 vnet1 
`;

const COMPUTE_IP = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0
       valid_lft forever preferred_lft forever
    inet6 fe80::5054:ff:fe12:3456/64 scope link
       valid_lft forever preferred_lft forever
3: eth1: <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> mtu 9000 qdisc fq_codel state UP group default qlen 1000
    link/ether 52:54:00:ab:cd:ef brd ff:ff:ff:ff:ff:ff
    inet 192.0.2.7/26 brd 192.0.2.63 scope global eth1
       valid_lft forever preferred_lft forever
    inet 192.0.2.9/32 scope global eth1:vip
       valid_lft forever preferred_lft forever
    inet6 2001:db8::7/64 scope global
       valid_lft forever preferred_lft forever
4: br0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000
    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff
`;

test('network: default_ipv4 is the route to 8.8.8.8 with its interface\'s address, as Ansible\'s mapping', (t) => {
  const f = networkFacts({
    route4: ok('8.8.8.8 via 192.0.2.1 dev eth1 src 192.0.2.7 uid 0 \n    cache \n'),
    route6: ok('2404:6800:400a:800::1012 from :: via 2001:db8::1 dev eth1 proto static src 2001:db8::7 metric 1024 pref medium\n'),
    sysnet: ok(COMPUTE_SYSNET), ip_primary: ok(COMPUTE_IP), ip_secondary: ok(''),
  });
  t.deepEqual(f.default_ipv4, {
    interface: 'eth1', address: '192.0.2.7', gateway: '192.0.2.1', broadcast: '192.0.2.63', netmask: '255.255.255.192', network: '192.0.2.0',
    prefix: '26', macaddress: '52:54:00:ab:cd:ef', mtu: 9000, type: 'ether', alias: 'eth1',
  });
  t.deepEqual(f.default_ipv6, {
    interface: 'eth1', address: '2001:db8::7', gateway: '2001:db8::1', prefix: '64', scope: 'global', macaddress: '52:54:00:ab:cd:ef', mtu: 9000, type: 'ether',
  });
  t.deepEqual(f.all_ipv4_addresses, ['10.0.0.5', '192.0.2.7', '192.0.2.9']);
  t.deepEqual(f.all_ipv6_addresses, ['fe80::5054:ff:fe12:3456', '2001:db8::7']);
  // in the order Ansible's dict has them: an address label's entry comes right after its device
  t.deepEqual(f.interfaces, ['eth0', 'eth1', 'eth1_vip', 'lo', 'br0']);
  t.deepEqual(f.eth0, {
    device: 'eth0', macaddress: '52:54:00:12:34:56', mtu: 1500, active: true, module: 'virtio_net', type: 'ether', pciid: '0000:00:03.0', speed: 1000,
    promisc: false, ipv4: { address: '10.0.0.5', broadcast: '10.0.0.255', netmask: '255.255.255.0', network: '10.0.0.0', prefix: '24' },
    ipv6: [{ address: 'fe80::5054:ff:fe12:3456', prefix: '64', scope: 'link' }],
  });
  t.like(f.eth1, { promisc: true, ipv4: { address: '192.0.2.7', prefix: '26' } });
  // an address labelled eth1:vip is its own entry, eth1_vip (Ansible: ':' becomes '_')
  t.deepEqual(f.eth1_vip, { ipv4: { address: '192.0.2.9', broadcast: '', netmask: '255.255.255.255', network: '192.0.2.9', prefix: '32' } });
  t.like(f.lo, { type: 'loopback', active: true, ipv4: { address: '127.0.0.1', netmask: '255.0.0.0', network: '127.0.0.0' } });
  t.false('macaddress' in (f.lo as object));
  t.like(f.br0, { type: 'bridge', interfaces: ['vnet0', 'vnet1'], id: '8000.525400000001', stp: false, active: false });
});

test('network: no default route -> default_ipv4 is {} (checked: a lab host)', (t) => {
  const f = networkFacts({ route4: { rc: 2, stdout: '', stderr: 'RTNETLINK answers: Network is unreachable\n' }, route6: fail(2), sysnet: ok(COMPUTE_SYSNET), ip_primary: ok(COMPUTE_IP), ip_secondary: ok('') });
  t.deepEqual(f.default_ipv4, {});
  t.deepEqual(f.default_ipv6, {});
});

test('hardware: processor counts as Ansible computes them from /proc/cpuinfo', (t) => {
  const two = (pid: string, core: string, n: string) =>
    `processor\t: ${n}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)\nphysical id\t: ${pid}\nsiblings\t: 4\ncore id\t\t: ${core}\ncpu cores\t: 2\nflags\t\t: fpu vmx\n\n`;
  const f = cpuFacts({ cpuinfo: ok(two('0', '0', '0') + two('0', '0', '1') + two('0', '1', '2') + two('0', '1', '3')), nproc: ok('4\n') }, 'x86_64');
  t.deepEqual(f, {
    processor: ['0', 'GenuineIntel', 'Intel(R) Xeon(R)', '1', 'GenuineIntel', 'Intel(R) Xeon(R)', '2', 'GenuineIntel', 'Intel(R) Xeon(R)', '3', 'GenuineIntel', 'Intel(R) Xeon(R)'],
    processor_count: 1, processor_cores: 2, processor_threads_per_core: 2, processor_vcpus: 4, processor_nproc: 4,
  });
  const arm = cpuFacts({ cpuinfo: ok('processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n'), nproc: ok('2\n') }, 'aarch64');
  t.like(arm, { processor: ['0', '1'], processor_count: 2, processor_cores: 1, processor_threads_per_core: 1, processor_vcpus: 2 });
});

test('hardware: memory and mounts', (t) => {
  const m = memoryFacts({ meminfo: ok('MemTotal:        2048000 kB\nMemFree:          512000 kB\nBuffers:           10240 kB\nCached:           102400 kB\nSwapCached:            0 kB\nSwapTotal:        1048576 kB\nSwapFree:         1048576 kB\n') });
  t.deepEqual(m, {
    memtotal_mb: 2000, memfree_mb: 500, swaptotal_mb: 1024, swapfree_mb: 1024,
    memory_mb: { real: { total: 2000, used: 1500, free: 500 }, nocache: { free: 610, used: 1390 }, swap: { total: 1024, free: 1024, used: 0, cached: 0 } },
  });
  const mtab = '/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n/dev/sda2 /srv/my\\040data xfs rw 0 0\nnfs1:/export /mnt/nfs nfs4 rw 0 0\n/dev/sdb /none none rw 0 0\n';
  const f = mountFacts({
    mounts: ok(`${mtab}@@statvfs\n/\t4096 4096 1000 400 300 100 40\n/srv/my data\t4096 4096 10 5 5 10 9\n@@uuid\n/dev/sda1 1111-2222\n/dev/sda2\n@@bind\n/ /dev/sda1 ext4 rw\n`),
  });
  t.deepEqual(f.mounts, [
    { mount: '/', device: '/dev/sda1', fstype: 'ext4', options: 'rw,relatime', size_total: 4096000, size_available: 1228800, block_size: 4096, block_total: 1000, block_available: 300, block_used: 700, inode_total: 100, inode_available: 40, inode_used: 60, uuid: '1111-2222' },
    { mount: '/srv/my data', device: '/dev/sda2', fstype: 'xfs', options: 'rw', size_total: 40960, size_available: 20480, block_size: 4096, block_total: 10, block_available: 5, block_used: 5, inode_total: 10, inode_available: 9, inode_used: 1, uuid: 'N/A' },
    { mount: '/mnt/nfs', device: 'nfs1:/export', fstype: 'nfs4', options: 'rw', uuid: 'N/A' },
  ]);
});

test('virtualization: nspawn guest, KVM guest by DMI, KVM host, bare metal', (t) => {
  const v = (virt: string, extra: ProbeResults = {}) => virtualFacts({ virt: ok(virt), ...extra });
  t.deepEqual(v('@@cgroup\n0::/init.scope\n@@environ\ncontainer=systemd-nspawn\n@@flags\n/run/systemd/container\n@@container\nsystemd-nspawn\n\n@@modules\n@@detect\nsystemd-nspawn\n'), {
    virtualization_type: 'container', virtualization_role: 'guest', virtualization_tech_guest: ['container', 'systemd-nspawn'], virtualization_tech_host: [],
  });
  t.like(v('@@cgroup\n@@environ\n@@flags\n@@container\n\n@@modules\nvirtio\n@@detect\nkvm\n', { dmi: ok('product_name=Standard PC (Q35 + ICH9, 2009)\nsys_vendor=QEMU\nbios_vendor=SeaBIOS\n') }), {
    virtualization_type: 'kvm', virtualization_role: 'guest',
  });
  t.like(v('@@cgroup\n@@environ\n@@flags\n/dev/kvm\n@@container\n\n@@modules\nkvm_intel\nkvm\n@@detect\nnone\n', { dmi: ok('product_name=PowerEdge R640\nsys_vendor=Dell Inc.\n') }), {
    virtualization_type: 'kvm', virtualization_role: 'host', virtualization_tech_host: ['kvm'],
  });
  t.like(v('@@cgroup\n@@environ\n@@flags\n@@container\n\n@@modules\n@@detect\nnone\n'), { virtualization_type: 'NA', virtualization_role: 'NA' });
  // PID 1's variables as grep -z gives them: each ended by a NUL
  t.like(v('@@cgroup\n@@environ\ncontainer=lxc\0\n@@flags\n@@container\n\n@@modules\n@@detect\nnone\n'), { virtualization_type: 'lxc', virtualization_role: 'guest' });
  t.like(v('@@cgroup\n@@environ\ncontainer=podman\0container=x\0\n@@flags\n@@container\n\n@@modules\n@@detect\nnone\n'), { virtualization_type: 'podman' });
  // tsplay's own: /dev/kvm, and the hints the hypervisor check prints
  t.deepEqual(tsplayVirtFacts({ virt: ok('@@flags\n/dev/kvm\n@@detect\nnone\n'), cpuinfo: ok('flags\t\t: fpu vmx sse\n') }), { kvm: true, virtualization_hints: ['vmx'] });
  t.deepEqual(tsplayVirtFacts({ virt: ok('@@flags\n/run/systemd/container\n@@detect\nsystemd-nspawn\n'), cpuinfo: ok('flags\t\t: fpu\n') }), { kvm: false, virtualization_hints: ['systemd-nspawn', 'container'] });
});

test("virt probe parts on this machine: the modules /proc/modules lists, and PID 1's container= variables, as the tr|grep and cut they replace", (t) => {
  const sh = (text: string) => spawnSync('/bin/sh', ['-c', text], { encoding: 'utf8' }).stdout;
  const listed = sh('cut -d" " -f1 /proc/modules').split('\n').filter((m) => ['kvm', 'vboxdrv', 'virtio'].includes(m));
  t.deepEqual(sh(VIRT_MODULES).split('\n').filter(Boolean), listed);
  t.deepEqual(sh(ENVIRON_CONTAINER).split(/[\0\n]/).filter(Boolean), sh("tr '\\000' '\\n' </proc/1/environ | grep '^container='").split('\n').filter(Boolean));
  // a process whose environment has container= (the fake PID 1 is this shell's own environ)
  const own = (file: string) => ENVIRON_CONTAINER.replaceAll('/proc/1/environ', file);
  t.deepEqual(spawnSync('/bin/sh', ['-c', own('/proc/self/environ')], { encoding: 'utf8', env: { A: '1', container: 'lxc', B: '2' } }).stdout.split('\0').filter((l) => l.trim()), ['container=lxc']);
  // a module tree where kvm is loaded, virtio built in (no initstate: /proc/modules would not list it), vboxdrv absent
  const sys = mkdtempSync('/tmp/tsplay-sysmod-');
  try {
    mkdirSync(`${sys}/kvm`);
    writeFileSync(`${sys}/kvm/initstate`, 'live\n');
    mkdirSync(`${sys}/virtio`);
    t.deepEqual(sh(VIRT_MODULES.replaceAll('/sys/module', sys)).split('\n').filter(Boolean), ['kvm']);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('dns, date_time, cmdline, local, chroot', (t) => {
  t.deepEqual(dnsFacts({ resolv: ok('# c\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch example.org lab\ndomain example.org\noptions ndots:2 rotate\n') }), {
    dns: { nameservers: ['10.0.0.2', '10.0.0.3'], search: ['example.org', 'lab'], domain: 'example.org', options: { ndots: '2', rotate: true } },
  });
  // Europe/Paris in winter: standard CET, daylight CEST
  const dt = dateTimeFacts({ date_time: ok('2026|01|Friday|5|00|02|09|05|07|1767341107|CET|+0100|123456789\n' +
    '2025|01|Saturday|6|00|04|15|13|20|1736000000|CET|+0100|000000000\n2025|07|Thursday|4|26|03|01|46|40|1751500000|CEST|+0200|000000000\n') });
  t.deepEqual(dt.date_time, {
    year: '2026', month: '01', weekday: 'Friday', weekday_number: '5', weeknumber: '00', day: '02', hour: '09', minute: '05', second: '07',
    epoch: '1767341107', epoch_int: '1767341107', date: '2026-01-02', time: '09:05:07', iso8601_micro: '2026-01-02T08:05:07.123456Z',
    iso8601: '2026-01-02T08:05:07Z', iso8601_basic: '20260102T090507123456', iso8601_basic_short: '20260102T090507', tz: 'CET', tz_dst: 'CEST', tz_offset: '+0100',
  });
  t.deepEqual(cmdlineFacts({ cmdline: ok('BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet console=tty0 console=ttyS0\n') }), {
    cmdline: { BOOT_IMAGE: '/vmlinuz', root: 'UUID=1', ro: true, quiet: true, console: 'ttyS0' },
    proc_cmdline: { BOOT_IMAGE: '/vmlinuz', root: 'UUID=1', ro: true, quiet: true, console: ['tty0', 'ttyS0'] },
  });
  t.deepEqual(localFacts({ local: ok('== f /etc/ansible/facts.d/site.fact\n{"role": "db"}\n\n== x /etc/ansible/facts.d/ini.fact\n[general]\nAsdf=1\n\n') }), {
    local: { site: { role: 'db' }, ini: { general: { asdf: '1' } } },
  });
  t.deepEqual(localFacts({ local: ok('') }), { local: {} });
  t.deepEqual(chrootFacts({ chroot: ok('\n2049:2\n2049:2\next2/ext3\n') }), { is_chroot: false });
  t.deepEqual(chrootFacts({ chroot: ok('\n2049:131\n\next2/ext3\n') }), { is_chroot: true });
  t.deepEqual(chrootFacts({ chroot: ok('mychroot\n2049:2\n2049:2\next2/ext3\n') }), { is_chroot: true });
});

test('os-release quoting', (t) => {
  t.deepEqual(parseOsRelease(`ID=debian\nNAME="Debian \\"x\\""\nX='single'\n# c\n`), { ID: 'debian', NAME: 'Debian "x"', X: 'single' });
});

test('gatherFacts: one round trip on a real host (this machine)', async (t) => {
  const local = new LocalConnection('local');
  let calls = 0;
  const counting: Connection = { host: 'l', connect: async () => {}, close: async () => {}, exec: (c, o) => (calls++, local.exec(c, o)) };
  const f = await gatherFacts(new Host(counting, { name: 'l' }));
  t.is(calls, 1);
  t.truthy(f.hostname);
  t.truthy(f.architecture);
  t.is(f.os_family, 'Debian');
  t.true(typeof f.default_ipv4 === 'object');
  t.true(Array.isArray(f.mounts));
  t.is(FACT_PROBES.length, new Set(FACT_PROBES.map(([k]) => k)).size);
  const min = await gatherFacts(new Host(counting, { name: 'l' }), { subset: ['!all'] });
  t.is(calls, 2);
  t.false('mounts' in min);
  t.is(min.os_family, 'Debian');
});

// readSmallFile stands in for `cat` of a small file in the probes: the same bytes, no process.
const SMALL_FILES: ReadonlyArray<readonly [string, string]> = [
  ['ends with a newline', 'NAME="Debian GNU/Linux"\nID=debian\n'],
  ['no newline at the end', 'x\ny'],
  ['one line, no newline', '1'],
  ['empty', ''],
  ['only newlines', '\n\n'],
  ['blanks, backslashes, tabs, CR', '  lead\\n and \\\\ trail  \n\ttab\r\n'],
  ['UTF-8', 'naïve — ✓\n'],
];
for (const shell of ['/bin/sh', '/bin/bash']) {
  test(`readSmallFile gives cat's bytes and status under ${shell}`, (t) => {
    const dir = mkdtempSync('/tmp/tsplay-small-');
    try {
      for (const [name, text] of SMALL_FILES) {
        const f = `${dir}/f`;
        writeFileSync(f, text);
        const r = spawnSync(shell, ['-c', `${readSmallFile('"$1"')}; echo " rc=$?" >&2`, 'sh', f]);
        t.is(r.stdout.toString('utf8'), text, name);
        t.is(r.stderr.toString(), ' rc=0\n', name);
      }
      // a file that cannot be opened: a non-zero status and nothing on stderr (the probes' parsers read the status)
      const r = spawnSync(shell, ['-c', `${readSmallFile('"$1"')}; echo "rc=$?" >&2`, 'sh', `${dir}/absent`]);
      t.is(r.stdout.toString(), '');
      t.regex(r.stderr.toString(), /^rc=[1-9]\d*\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// The fqdn and user probes start fewer processes than before (no awk; no second
// getent when the login name is the user's own): the same output and status as
// the earlier scripts, under /bin/sh and bash, with a getent that answers from a
// table (first match by name or id, exit 2 when nothing matches, as getent does).
const EARLIER = {
  fqdn: '{ IFS= read -r n </proc/sys/kernel/hostname; } 2>/dev/null || n=$(uname -n); a=$(getent ahosts "$n" 2>/dev/null | awk \'NR==1{print $1}\'); if [ -n "$a" ]; then getent hosts "$a"; fi',
  user: 'ru=; eu=; rg=; eg=; while read -r k a b r; do case $k in Uid:) ru=$a; eu=$b;; Gid:) rg=$a; eg=$b;; esac; done </proc/self/status 2>/dev/null; ' +
    '[ -n "$eu" ] || { eu=$(id -u); eg=$(id -g); ru=$(id -ru); rg=$(id -rg); }; ' +
    'p=$(getent passwd "$eu"); n=${p%%:*}; ' +
    'echo "${LOGNAME:-${USER:-${LNAME:-${USERNAME:-}}}}"; printf \'%s\\n\' "$eu" "$eg" "$ru" "$rg" "$n"; ' +
    'u="${LOGNAME:-${USER:-${LNAME:-${USERNAME:-$n}}}}"; getent passwd "$u" || { [ -n "$p" ] && printf \'%s\\n\' "$p"; }',
};
const FAKE_GETENT = [
  '#!/bin/sh',
  'db=$1; shift; [ "$1" = -- ] && shift',
  'case $db in',
  '  ahosts) [ -n "$AHOSTS" ] || exit 2; printf \'%s\' "$AHOSTS";;',
  '  hosts) [ -n "$HOSTS" ] || exit 2; printf \'%s\\n\' "$1 $HOSTS";;',
  '  passwd) printf \'%s\' "$PASSWD" | awk -F: -v k="$1" \'$1 == k || $3 == k { print; found = 1; exit } END { exit !found }\' || exit 2;;',
  'esac',
].join('\n');
const uid = String(process.getuid?.() ?? 0);
const passwd = (...names: string[]) => names.map((n, i) => `${n}:x:${i === 0 ? uid : 4000 + i}:${i === 0 ? uid : 4000 + i}:${n}:/home/${n}:/bin/sh\n`).join('');
const probeCases: Array<[string, Record<string, string>]> = [
  ['a name with a dotted reverse entry', { AHOSTS: '192.0.2.7       STREAM c1.example.org\n192.0.2.7       DGRAM  \n192.0.2.7       RAW    \n', HOSTS: 'c1.example.org c1' }],
  ['an IPv6 first address, tab separated', { AHOSTS: 'fe80::1\tSTREAM c1\n', HOSTS: 'c1' }],
  ['the name does not resolve', { AHOSTS: '', HOSTS: 'never' }],
  ['no reverse entry', { AHOSTS: '192.0.2.7 STREAM c1\n', HOSTS: '' }],
  ['the login name is the user\'s own', { LOGNAME: 'me', PASSWD: passwd('me', 'other') }],
  ['the login name is another user', { LOGNAME: 'other', PASSWD: passwd('me', 'other') }],
  ['the login name has no entry', { LOGNAME: 'ghost', PASSWD: passwd('me') }],
  ['no login name: the user\'s own name', { PASSWD: passwd('me') }],
  ['the user has no entry', { LOGNAME: 'me', PASSWD: passwd('someone').replace(/:\d+:\d+:/, ':4999:4999:') }],
];
test('the fqdn and user probes print what the earlier, longer scripts printed', (t) => {
  const dir = mkdtempSync('/tmp/tsplay-getent-');
  try {
    writeFileSync(`${dir}/getent`, FAKE_GETENT, { mode: 0o755 });
    const now = Object.fromEntries(FACT_PROBES);
    for (const shell of ['/bin/sh', '/bin/bash']) {
      for (const [what, vars] of probeCases) {
        const env: Record<string, string> = { PATH: `${dir}:/usr/bin:/bin`, AHOSTS: '', HOSTS: '', PASSWD: '', ...vars };
        for (const key of ['fqdn', 'user'] as const) {
          const run = (script: string) => spawnSync(shell, ['-c', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
          const before = run(EARLIER[key]);
          const after = run(now[key]);
          t.deepEqual([after.status, after.stdout, after.stderr], [before.status, before.stdout, before.stderr], `${shell}, ${key}: ${what}`);
        }
      }
    }
    t.regex(spawnSync('/bin/sh', ['-c', now.fqdn], { env: { PATH: `${dir}:/usr/bin:/bin`, AHOSTS: '192.0.2.7 STREAM x\n', HOSTS: 'x.example.org x' }, encoding: 'utf8' }).stdout, /^192\.0\.2\.7 x\.example\.org x\n$/, 'the fake getent answers');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The date_time probe under /bin/sh in zones with daylight saving north and south,
// a negative one (Dublin: IST is standard time), half-hours and none, against
// Python's time module as Ansible's date_time collector reads it for the same instant.
const dateProbe = FACT_PROBES.find(([key]) => key === 'date_time')![1];
for (const zone of ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Europe/Dublin']) {
  test(`the date_time probe as Ansible's collector reads the clock, in ${zone}`, (t) => {
    const env = { ...process.env, TZ: zone };
    const probe = spawnSync('/bin/sh', ['-c', dateProbe], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    t.is(probe.status, 0, probe.stderr);
    t.is(probe.stdout.split('\n').length, 4, probe.stdout);
    const dt = dateTimeFacts({ date_time: ok(probe.stdout) }).date_time as Record<string, string>;
    const py = [
      'import datetime, json, sys, time',
      'e = int(sys.argv[1]); now = datetime.datetime.fromtimestamp(e); lt = time.localtime(e)',
      'print(json.dumps({k: now.strftime(f) for k, f in [("year", "%Y"), ("month", "%m"), ("weekday", "%A"), ("weekday_number", "%w"), ("weeknumber", "%W"), ("day", "%d"), ("hour", "%H"), ("minute", "%M"), ("second", "%S"), ("date", "%Y-%m-%d"), ("time", "%H:%M:%S"), ("iso8601_basic_short", "%Y%m%dT%H%M%S")]} | {',
      '  "epoch_int": str(e), "iso8601": datetime.datetime.utcfromtimestamp(e).strftime("%Y-%m-%dT%H:%M:%SZ"),',
      '  "tz": time.strftime("%Z", lt), "tz_offset": time.strftime("%z", lt), "tz_dst": time.tzname[1]}))',
    ].join('\n');
    const ref = spawnSync('/usr/bin/python3', ['-c', py, dt.epoch], { env, encoding: 'utf8' });
    t.is(ref.status, 0, ref.stderr);
    t.like(dt, JSON.parse(ref.stdout) as Record<string, string>);
    t.is(dt.iso8601_micro, `${dt.iso8601.slice(0, -1)}.${dt.iso8601_basic.slice(-6)}Z`);
  });
}

// The lsb probe stands in for Debian 12's lsb_release script (its statements, by
// the shell alone): the same stdout and exit status as the script itself, for
// os-release files that it reads through LSB_OS_RELEASE.
const OS_RELEASES: ReadonlyArray<readonly [string, string]> = [
  ['Debian 12', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'],
  ['NAME equal to ID but for case: ID becomes NAME', 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n'],
  ['NAME in capitals', 'NAME=DEBIAN\nID=debian\n'],
  ['ID capitalised, NAME longer', 'NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n'],
  ['mixed case ID and NAME', 'NAME="openSUSE Leap"\nID="opensuse-leap"\nVERSION_ID="15.5"\n'],
  ['no NAME', 'ID=alpine\nVERSION_ID=3.19.0\n'],
  ['NAME is x (the script reads that as unset)', 'NAME=x\nID=x\n'],
  ['no ID', 'NAME="Nameless"\nPRETTY_NAME="Nameless 1"\n'],
  ['empty', ''],
  ['ID starts with a non-ASCII letter', 'NAME="émile"\nID=émile\n'],
  ['ID starts with a digit, single character', 'NAME=7\nID=7\n'],
  ['quotes, escapes and blanks', 'NAME="Foo \\"Bar\\""\nID=\'foo bar\'\nPRETTY_NAME="a\\\\b  c"\nVERSION_CODENAME=\n'],
  ['a variable expanded from another', 'NAME=Debian\nID=debian\nVERSION_ID=12\nPRETTY_NAME="$NAME $VERSION_ID"\n'],
  ['an unset variable (set -u: the script fails)', 'ID=debian\nPRETTY_NAME="$NOT_SET_ANYWHERE"\n'],
  ['a failing command (set -e: the script fails)', 'ID=debian\nfalse\nNAME=Debian\n'],
  ['ID with a newline (the real script runs)', 'NAME="a\nb"\nID="deb\nian"\n'],
];
const lsbTool = spawnSync('sh', ['-c', 'command -v lsb_release; cksum </usr/bin/lsb_release'], { encoding: 'utf8' }).stdout;
for (const shell of ['/bin/sh', '/bin/bash']) {
  test(`the lsb probe prints what Debian 12's lsb_release prints, under ${shell}`, (t) => {
    // The comparison needs the script itself: the test fails, not passes, without it.
    t.is(lsbTool, `/usr/bin/lsb_release\n${LSB_RELEASE_MINIMAL_CKSUM}\n`, 'Debian 12\'s lsb_release (apt-get install lsb-release)');
    const dir = mkdtempSync('/tmp/tsplay-lsb-');
    try {
      for (const [name, text] of OS_RELEASES) {
        const f = `${dir}/os-release`;
        writeFileSync(f, text);
        const env = { PATH: process.env.PATH, LSB_OS_RELEASE: f };
        const real = spawnSync('/usr/bin/lsb_release', ['-a'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        // stdin not a socket: bash would read ~/.bashrc, as when sshd starts it
        const ours = spawnSync(shell, ['-c', LSB_TOOL], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        t.is(ours.stdout, `tool\n${real.stdout}`, name);
        // The script runs under /bin/sh (dash here): under bash, a failure's status is
        // bash's (1 where dash gives 2); the parser reads only whether it is 0.
        if (shell === '/bin/sh') t.is(ours.status, real.status, name);
        else t.is(ours.status === 0, real.status === 0, name);
        t.is(ours.stderr, '', name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// MOUNT_POINTS_AWK picks the mounts whose statvfs numbers are read, and decodes their names as Ansible does.
test('the mounts probe: the mount points to stat, their octal escapes decoded', (t) => {
  const mtab = [
    '/dev/vda1 / ext4 rw,relatime 0 0',
    'proc /proc proc rw 0 0',
    'tmpfs /run tmpfs rw 0 0',
    '/dev/vdb /srv/a\\040b\\134c\\011d ext4 rw 0 0',
    'ctrl:/var/lib/nova/instances /var/lib/nova/instances nfs4 rw 0 0',
    '/dev/vdc /odd\\12x\\0401 ext4 rw 0 0',
  ].join('\n') + '\n';
  const awks = ['awk', 'mawk', 'gawk'].filter((a) => spawnSync('sh', ['-c', `command -v ${a}`]).status === 0);
  t.true(awks.includes('awk'), 'no awk on this machine: the probe needs one');
  for (const awk of awks) {
    const r = spawnSync(awk, [MOUNT_POINTS_AWK], { input: mtab });
    t.is(r.status, 0, awk);
    // a backslash not followed by three octal digits stays as it is
    t.is(r.stdout.toString(), '/\n/srv/a b\\c\td\n/var/lib/nova/instances\n/odd\\12x 1\n', awk);
  }
});
