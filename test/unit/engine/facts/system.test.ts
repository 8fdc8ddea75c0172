// Facts: the pure parser over recorded probe outputs, and one live gathering.

import test from 'ava';
import { FACT_PROBES, gatherFacts, parseFacts, parseOsRelease, systemFacts, type ProbeResults } from '../../../../engine/facts/system.js';
import { Host } from '../../../../engine/host/host.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import type { Connection } from '../../../../engine/connection/connection.js';

const ok = (stdout = ''): { rc: number; stdout: string; stderr: string } => ({ rc: 0, stdout, stderr: '' });
const fail = (rc = 1, stderr = ''): { rc: number; stdout: string; stderr: string } => ({ rc, stdout: '', stderr });

const DEBIAN12_OS = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

// A lab host: systemd-nspawn, veth in a namespace, NO default route, hostname -f fails.
const labHost: ProbeResults = {
  hostname: ok('node1\n'),
  fqdn: fail(1, 'hostname: Name or service not known\n'),
  os_release: ok(DEBIAN12_OS),
  arch: ok('x86_64\n'),
  init: ok('pid1 systemd\nrun_systemd\netc_initd\n'),
  route: ok(''),
  addrs: ok('2: host0@if58    inet 10.213.1.11/24 brd 10.213.1.255 scope global host0\\       valid_lft forever preferred_lft forever\n'),
  hostname_i: ok('10.213.1.11 \n'),
  kvm: fail(),
  detect_virt: ok('systemd-nspawn\n'),
  cpu_virt: fail(),
  container_file: ok(),
  dockerenv: fail(),
};

test('lab host: systemd, no default route -> first global address, nspawn container', (t) => {
  t.deepEqual(parseFacts(labHost), {
    hostname: 'node1',
    fqdn: 'node1',
    os_id: 'debian',
    os_version: '12',
    os_codename: 'bookworm',
    architecture: 'x86_64',
    service_mgr: 'systemd',
    default_ipv4: '10.213.1.11',
    kvm: false,
    virtualization_hints: ['systemd-nspawn', 'container'],
  });
});

test('compute node: default route picks its interface, kvm and vmx', (t) => {
  const f = parseFacts({
    ...labHost,
    hostname: ok('compute1\n'),
    fqdn: ok('compute1.example.org\n'),
    route: ok('default via 192.0.2.1 dev eth1 proto static\n'),
    addrs: ok(
      '2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever preferred_lft forever\n' +
        '3: eth1    inet 192.0.2.7/24 brd 192.0.2.255 scope global eth1\\       valid_lft forever preferred_lft forever\n',
    ),
    kvm: ok(),
    detect_virt: { rc: 1, stdout: 'none\n', stderr: '' },
    cpu_virt: ok('vmx\n'),
    container_file: fail(),
  });
  t.is(f.fqdn, 'compute1.example.org');
  t.is(f.default_ipv4, '192.0.2.7');
  t.true(f.kvm);
  t.deepEqual(f.virtualization_hints, ['vmx']);
});

test('upstart host (Ubuntu 14.04), sysvinit host, unknown', (t) => {
  const upstart = parseFacts({
    ...labHost,
    os_release: ok('NAME="Ubuntu"\nVERSION="14.04.6 LTS, Trusty Tahr"\nID=ubuntu\nVERSION_ID="14.04"\n'),
    init: ok('pid1 init\ninitctl\netc_init\netc_initd\n'),
  });
  t.is(upstart.service_mgr, 'upstart');
  t.is(upstart.os_id, 'ubuntu');
  t.is(upstart.os_version, '14.04');
  t.is(upstart.os_codename, undefined);
  const sysv = parseFacts({ ...labHost, init: ok('pid1 init\netc_initd\n') });
  t.is(sysv.service_mgr, 'sysvinit');
  const none = parseFacts({ ...labHost, init: ok('pid1 sh\n') });
  t.is(none.service_mgr, 'unknown');
});

test('missing tools: no ip -> hostname -I; nothing -> no default_ipv4', (t) => {
  const noIp = parseFacts({ ...labHost, route: fail(127), addrs: fail(127), hostname_i: ok('127.0.1.1 10.1.1.1 fe80::1\n') });
  t.is(noIp.default_ipv4, '10.1.1.1');
  const nothing = parseFacts({ ...labHost, route: fail(127), addrs: fail(127), hostname_i: fail(1) });
  t.is(nothing.default_ipv4, undefined);
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
  t.not(f.os_id, 'unknown');
  t.true(['systemd', 'upstart', 'sysvinit', 'unknown'].includes(f.service_mgr));
  t.is(FACT_PROBES.length, new Set(FACT_PROBES.map(([k]) => k)).size);
});

test('system: a fact with one section per probe, parsed in probe order, no overlay rule', (t) => {
  const ctx = { host: 'h', facts: {} as never };
  t.is(systemFacts.sections([undefined], ctx).length, FACT_PROBES.length);
  const results = FACT_PROBES.map(([k]) => ({ ...(labHost[k] ?? fail()), stdoutBytes: Buffer.from(labHost[k]?.stdout ?? '') }));
  t.deepEqual(systemFacts.parse([undefined], results, ctx), [parseFacts(labHost)]);
  t.false('predict' in systemFacts);
});
