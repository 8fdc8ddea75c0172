// End to end (issues 5 and 10, "How it is checked"), one function for every
// init system, NFS version and libvirt transport: one controller and two computes, fresh lab
// hosts made OpenStack-like by the lab fixture, then
//   1. --check first, 2. the real run, 3. checks over plain SSH (the `ssh`
//   client, the lab's key and known_hosts), independent of tsplay's report,
//   4. a second run with changed=0 on every host, 5. the --check prediction
//   equal to what the real run changed, 5b. the canary: a guest live-migrates
//   both ways, and exactly the hop into a compute whose libvirt listener is
//   broken fails, 6. drift made by hand on one host and --check reporting
//   exactly that drift, 7. a taken UID stopping one compute at the pre-flight.
// Registers its ava hooks and test; each caller is its own test file (its own
// lab, so files run in parallel).

import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp, type LabInfo } from '../../engine/lab/index.js';
import { projectRoot, writeLabPlaybookInventory } from '../../engine/cli/demo.js';
import { changedPairs, labOut, labSsh, runJson, type CliRun } from './lab-cli.js';
import { labGate } from './lab-gate.js';

export interface LiveMigrationE2E {
  /** Lab name (one per test file). */
  lab: string;
  init: 'systemd' | 'sysvinit';
  nfsVersion: 3 | 4;
  /** libvirt_transport (default tcp, the guide's). tls: systemd only here. */
  transport?: 'tcp' | 'tls';
  /** Tasks --check reports changed on the drifted compute (step 6); default DRIFT_TASKS (tls: DRIFT_TASKS_TLS). */
  expectedDrift?: string[];
}

/**
 * The drift of step 6 (listen_tcp removed, nova's UID changed back) as --check
 * reports it, the same on every init system. The pre-flight (check_mode: true)
 * reports what it would change, in a real run as in --check, so it is part of it.
 */
export const DRIFT_TASKS = [
  'Pre-flight: nova UID (refused if another account has it)',
  'libvirtd.conf - listen_tcp = 1',
  'restart libvirt',
  'Record the old IDs on the host',
  'Stop nova-compute',
  'Stop libvirt',
  "Set nova's UID",
  'Start libvirt again',
  'Start nova-compute again',
];

/** The drift of step 6 over TLS: the removed libvirtd.conf line is listen_tls = 1. */
export const DRIFT_TASKS_TLS = DRIFT_TASKS.map((t) => t === 'libvirtd.conf - listen_tcp = 1' ? 'libvirtd.conf - listen_tls = 1' : t);

/** What the playbook writes into libvirtd.conf, and the line step 6 removes, per transport. */
const CONF = {
  tcp: { lines: ['listen_tls = 0', 'listen_tcp = 1', 'auth_tcp = "none"'], driftLine: 'listen_tcp = 1' },
  tls: { lines: ['listen_tls = 1', 'listen_tcp = 0', 'auth_tcp = "sasl"'], driftLine: 'listen_tls = 1' },
};

/** The files tls installs on a compute: path, mode, and its name in the controller's PKI directory. */
const TLS_FILES = [
  { path: '/etc/pki/CA/cacert.pem', mode: '644', pki: 'cacert.pem' },
  { path: '/etc/pki/libvirt/servercert.pem', mode: '644', pki: 'HOST/servercert.pem' },
  { path: '/etc/pki/libvirt/private/serverkey.pem', mode: '600', pki: 'HOST/serverkey.pem' },
  { path: '/etc/pki/libvirt/clientcert.pem', mode: '644', pki: 'HOST/clientcert.pem' },
  { path: '/etc/pki/libvirt/private/clientkey.pem', mode: '600', pki: 'HOST/clientkey.pem' },
];

/** Which of libvirt's ports (16509 tcp, 16514 tls) a host has a listening socket on, from /proc/net/tcp{,6}. */
const LISTENING = "awk '$4 == \"0A\" { split($2, a, \":\"); print a[2] }' /proc/net/tcp /proc/net/tcp6 | sort -u | "
  + "sed -n 's/^407D$/16509/p; s/^4082$/16514/p' | tr '\\n' ' '";

/** Shell checks and actions that depend on the init system (and, for systemd, the transport). */
const INIT = {
  systemd: {
    libvirtListens: 'systemctl is-enabled libvirtd-tcp.socket && systemctl is-active libvirtd-tcp.socket',
    novaRunning: 'systemctl is-active nova-compute',
    breakListener: 'systemctl stop libvirtd-tcp.socket && systemctl restart libvirtd.service',
    restoreListener: 'systemctl stop libvirtd.service; systemctl start libvirtd-tcp.socket && systemctl start libvirtd.service',
  },
  'systemd-tls': {
    libvirtListens: 'systemctl is-enabled libvirtd-tls.socket && systemctl is-active libvirtd-tls.socket'
      + ' && ! systemctl is-active libvirtd-tcp.socket && ! systemctl is-enabled libvirtd-tcp.socket',
    novaRunning: 'systemctl is-active nova-compute',
    breakListener: 'systemctl stop libvirtd-tls.socket && systemctl restart libvirtd.service',
    restoreListener: 'systemctl stop libvirtd.service; systemctl start libvirtd-tls.socket && systemctl start libvirtd.service',
  },
  sysvinit: {
    // ps -C selects by process name: a pattern on the command line would match this shell too.
    libvirtListens: "grep -qx 'LIBVIRTD_ARGS=\"--listen\"' /etc/default/libvirtd && ps -C libvirtd -o args= | grep -q -- ' --listen'",
    novaRunning: 'service nova-compute status',
    breakListener: "sed -i 's/^LIBVIRTD_ARGS=.*/LIBVIRTD_ARGS=\"\"/' /etc/default/libvirtd && service libvirtd restart",
    restoreListener: "sed -i 's/^LIBVIRTD_ARGS=.*/LIBVIRTD_ARGS=\"--listen\"/' /etc/default/libvirtd && service libvirtd restart",
  },
};

export function liveMigrationE2E(o: LiveMigrationE2E): void {
  const transport = o.transport ?? 'tcp';
  if (!labGate(`the live-migration lab test (${o.init}, NFSv${o.nfsVersion}, ${transport})`)) return;
  if (transport === 'tls' && o.init !== 'systemd') throw new Error('the tls variant is written for systemd hosts');
  const LAB = o.lab;
  const ROOT = projectRoot();
  const INSTANCES = '/var/lib/nova/instances';
  const v4 = o.nfsVersion === 4;
  const tls = transport === 'tls';
  const sys = tls ? INIT['systemd-tls'] : INIT[o.init];
  const conf = CONF[transport];
  const scheme = `qemu+${transport}`;
  // tls: a fresh controller-side PKI directory per test run (the site CA is made in it).
  const pki = tls ? join(mkdtempSync(join(tmpdir(), `tsplay-${o.lab}-pki-`)), 'libvirt') : '';

  let info: LabInfo;
  let inventories: string[];

  type RunOutcome = CliRun;

  /** `tsplay run PLAYBOOK --output json` as a separate process; the events are its stdout lines. */
  function tsplay(playbook: string, extra: string[] = []): Promise<RunOutcome> {
    const tlsVars = tls ? ['-e', 'libvirt_transport=tls', '-e', `libvirt_tls_pki_dir=${pki}`] : [];
    return runJson([join(ROOT, playbook), ...inventories, ...(v4 ? [] : ['-e', 'nfs_version=3']), ...tlsVars, ...extra]);
  }

  function failures(r: RunOutcome): string {
    return r.events
      .filter((e) => e.kind === 'host_result' && (e.status === 'failed' || e.status === 'unreachable') && !e.ignored)
      .map((e) => e.kind === 'host_result' ? `${e.host} ${e.task}: ${e.msg ?? JSON.stringify(e.result)}` : '')
      .join('\n') + (r.code !== 0 ? `\nstderr: ${r.stderr.slice(-2000)}` : '');
  }

  function recap(r: RunOutcome) {
    const e = r.events.find((x) => x.kind === 'recap');
    if (!e || e.kind !== 'recap') throw new Error('no recap event in the JSON output');
    return e.hosts;
  }

  /** One command on a lab host through the plain OpenSSH `ssh` client. */
  const ssh = (host: string, command: string) => labSsh(info, host, command);

  const out = async (host: string, command: string): Promise<string> => (await labOut(info, host, command)).trim();

  test.before(async () => {
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 3, init: o.init });
    inventories = ['-i', info.inventoryPath, '-i', writeLabPlaybookInventory(info, ROOT)];
  });

  test.after.always(async () => {
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
    if (pki) rmSync(join(pki, '..'), { recursive: true, force: true });
  });

  const [ctl, c1, c2] = [`${LAB}1`, `${LAB}2`, `${LAB}3`];
  const computes = [c1, c2];

  test.serial(`live migration from fresh hosts (${o.init}, NFSv${o.nfsVersion}${tls ? ', libvirt over TLS' : ''}): check, run, SSH checks, idempotence, prediction, canary, drift`, async (t) => {
    t.timeout(30 * 60_000);

    const fixture = await tsplay('playbooks/lab/openstack-like.yml');
    t.is(fixture.code, 0, `fixture failed:\n${failures(fixture)}`);
    t.log(`fixture: ${(fixture.ms / 1000).toFixed(1)} s`);
    const oldNova = await out(c1, 'id -u nova');
    t.not(oldNova, await out(ctl, 'id -u nova'), 'the fixture gives computes other nova IDs than the controller');

    // 1. --check on the OpenStack-like hosts.
    const check = await tsplay('playbooks/live-migration.yml', ['--check']);
    t.is(check.code, 0, `--check failed:\n${failures(check)}`);
    t.log(`check run: ${(check.ms / 1000).toFixed(1)} s`);
    t.is(await out(c1, 'id -u nova'), oldNova, '--check changed nothing');
    if (tls) t.false(existsSync(pki), '--check made no CA and no certificate on the controller');

    // 2. the real run.
    const real = await tsplay('playbooks/live-migration.yml');
    t.is(real.code, 0, `real run failed:\n${failures(real)}`);
    t.log(`real run: ${(real.ms / 1000).toFixed(1)} s`);
    if (tls) t.false(/PRIVATE KEY/.test(real.stdout + real.stderr + check.stdout + check.stderr), 'no private key is ever printed');
    const table = real.events.find((e) => e.kind === 'readiness');
    t.truthy(table, 'the run ends with a readiness table');
    if (table?.kind === 'readiness') {
      t.deepEqual(table.rows.map((r) => r.host).sort(), computes);
      for (const row of table.rows) {
        for (const [col, cell] of Object.entries(row.cells)) t.true(cell.ok, `${row.host} ${col}: ${cell.reason}`);
        if (tls) t.is(row.cells['libvirt TCP']?.detail, 'tls on 16514; accepts tls 16514', `${row.host}: the table says which transport it accepts`);
      }
    }

    // 3. every step of the guide holds, checked over SSH.
    const subnet = info.subnet;
    t.is(await out(ctl, "dpkg-query -W -f='${Status}' nfs-kernel-server"), 'install ok installed');
    const idmapd = await out(ctl, 'cat /etc/idmapd.conf');
    t.regex(idmapd, /^\[Mapping\][^[]*^Nobody-User = nobody$/m);
    t.regex(idmapd, /^\[Mapping\][^[]*^Nobody-Group = nogroup$/m);
    t.is(await out(ctl, `grep -c '^${INSTANCES} ' /etc/exports`), '1');
    t.is(await out(ctl, `grep '^${INSTANCES} ' /etc/exports`), `${INSTANCES} ${subnet}(rw,sync,no_root_squash${v4 ? ',fsid=0' : ''})`);
    t.regex(await out(ctl, 'exportfs -v'), new RegExp(`^${INSTANCES}\\s`, 'm'));
    t.is(await out(ctl, `stat -c %a ${INSTANCES}`), '755', 'chmod o+x turned the fixture 0754 into 0755');
    const ctlIds = await out(ctl, 'echo $(id -u nova) $(getent group nova | cut -d: -f3)');
    const qemuIds = await out(c1, 'echo $(id -u libvirt-qemu) $(getent group libvirt-qemu | cut -d: -f3)');
    const marker = `e2e-${process.pid}-${Date.now()}`;
    await out(ctl, `echo shared > ${INSTANCES}/${marker} && chown nova:nova ${INSTANCES}/${marker}`);
    for (const h of computes) {
      t.is(await out(h, "dpkg-query -W -f='${Status}' nfs-common"), 'install ok installed', h);
      t.is(await out(h, `grep ' ${INSTANCES} ' /etc/fstab`), v4 ? `${ctl}:/ ${INSTANCES} nfs4 auto,_netdev,proto=tcp 0 0` : `${ctl}:${INSTANCES} ${INSTANCES} nfs auto,_netdev,vers=3,proto=tcp 0 0`, h);
      t.is((await ssh(h, `mountpoint -q ${INSTANCES}`)).rc, 0, `${h}: the share is mounted`);
      t.is(await out(h, `cat ${INSTANCES}/${marker}`), 'shared', `${h} sees the controller's files`);
      t.is(await out(h, `stat -c '%U:%G' ${INSTANCES}/${marker}`), 'nova:nova', `${h}: numeric IDs match across hosts`);
      t.is(await out(h, `stat -c '%U:%G %A' ${INSTANCES}`), 'nova:nova drwxr-xr-x', h);
      t.is((await ssh(h, 'mount -a')).rc, 0, `${h}: mount -a`);
      const confText = await out(h, 'cat /etc/libvirt/libvirtd.conf');
      for (const line of conf.lines) t.true(confText.split('\n').includes(line), `${h}: ${line}`);
      t.is((await ssh(h, sys.libvirtListens)).rc, 0, `${h}: libvirtd listens on ${transport} (${sys.libvirtListens})`);
      if (tls) {
        t.false(confText.split('\n').includes('auth_tcp = "none"'), `${h}: no unauthenticated TCP left in libvirtd.conf`);
        t.is((await out(h, LISTENING)).trim(), '16514', `${h}: TLS 16514 listens, TCP 16509 does not`);
        for (const f of TLS_FILES) {
          t.is(await out(h, `stat -c '%a %U:%G' ${f.path}`), `${f.mode} root:root`, `${h}: ${f.path}`);
          const local = readFileSync(join(pki, f.pki.replace('HOST', h)));
          t.is((await out(h, `md5sum < ${f.path}`)).split(' ')[0], createHash('md5').update(local).digest('hex'), `${h}: ${f.path} is the controller's ${f.pki}`);
        }
        t.is(await out(h, 'stat -c %a /etc/pki/libvirt/private'), '700', `${h}: private key directory`);
        const san = execFileSync('openssl', ['x509', '-in', join(pki, h, 'servercert.pem'), '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });
        t.regex(san, new RegExp(`DNS:${h}, IP Address:${info.hosts.find((x) => x.name === h)!.address.replace(/\./g, '\\.')}\\s*$`), `${h}: SAN = its name and migration address`);
        for (const role of ['server', 'client']) {
          execFileSync('openssl', ['verify', '-CAfile', join(pki, 'cacert.pem'), join(pki, h, `${role}cert.pem`)]);
        }
      }
      t.is(await out(h, 'echo $(id -u nova) $(getent group nova | cut -d: -f3)'), ctlIds, `${h}: nova IDs = controller's`);
      t.is(await out(h, 'echo $(id -u libvirt-qemu) $(getent group libvirt-qemu | cut -d: -f3)'), qemuIds, `${h}: libvirt-qemu IDs = first compute's`);
      t.is(await out(h, 'stat -c %U:%G /var/log/nova/nova-compute.log'), 'nova:nova', `${h}: nova's files re-owned`);
      t.is(await out(h, 'stat -c %U:%G /var/cache/lab-fixture/owned-by-libvirt-qemu'), 'libvirt-qemu:libvirt-qemu', `${h}: libvirt-qemu's files re-owned`);
      t.is(await out(h, 'find / -xdev \\( -nouser -o -nogroup \\) -print | head -5'), '', `${h}: no file left with an old, now unnamed ID`);
      t.is((await ssh(h, sys.novaRunning)).rc, 0, `${h}: nova-compute started again`);
      const nova = await out(h, 'cat /etc/nova/nova.conf');
      t.regex(nova, /^\[DEFAULT\][^[]*^vncserver_listen = 0\.0\.0\.0$/m, h);
      t.regex(nova, /^\[vnc\][^[]*^server_listen = 0\.0\.0\.0$/m, h);
    }
    t.regex(await out(c2, 'cat /var/log/live-migration-id-changes.log'), /nova uid 627->611/, 'old IDs recorded on the host');
    if (tls) {
      t.is(statSync(pki).mode & 0o777, 0o700, 'the controller PKI directory is private');
      t.is(statSync(join(pki, 'cakey.pem')).mode & 0o777, 0o600, 'the CA key is 0600');
      t.deepEqual(readdirSync(pki).sort(), ['cacert.pem', 'cakey.pem', c1, c2].sort());
    }
    for (const from of computes) {
      for (const to of computes) {
        if (from === to) continue;
        const addr = info.hosts.find((x) => x.name === to)!.address;
        t.is(await out(from, `virsh -c ${scheme}://${addr}/system hostname`), to, `libvirt on ${to} answers over ${transport} from ${from}`);
        if (tls) t.not((await ssh(from, `virsh -c qemu+tcp://${addr}/system hostname`)).rc, 0, `libvirt on ${to} refuses plain TCP from ${from}`);
      }
    }
    await out(ctl, `rm -f ${INSTANCES}/${marker}`);

    // 4. idempotence.
    const second = await tsplay('playbooks/live-migration.yml');
    t.is(second.code, 0, `second run failed:\n${failures(second)}`);
    t.log(`second run: ${(second.ms / 1000).toFixed(1)} s`);
    for (const [host, counts] of Object.entries(recap(second))) t.is(counts.changed, 0, `${host} changed on the second run: ${changedPairs(second).join('; ')}`);

    // 5. --check predicted exactly what the real run changed.
    t.deepEqual(changedPairs(check), changedPairs(real));

    // 5b. the canary (issue 10): --check defines nothing; the real run migrates
    //     a guest both ways (c1 -> c2, c2 -> c1) and leaves nothing behind.
    const leftovers = async () => {
      const left: string[] = [];
      for (const h of computes) {
        const doms = await out(h, 'virsh list --all --name | grep -c . || true');
        if (doms !== '0') left.push(`${h}: ${doms} domain(s)`);
      }
      const disks = await out(ctl, `ls ${INSTANCES} | grep -c tsplay-canary || true`);
      if (disks !== '0') left.push(`${disks} canary disk(s) in the share`);
      return left;
    };
    const canaryCell = (r: RunOutcome, host: string) => {
      const tbl = r.events.find((e) => e.kind === 'readiness');
      const row = tbl?.kind === 'readiness' ? tbl.rows.find((x) => x.host === host) : undefined;
      return row?.cells['live migration'];
    };
    const canaryCheck = await tsplay('playbooks/live-migration-canary.yml', ['--check']);
    t.is(canaryCheck.code, 0, `canary --check failed:\n${failures(canaryCheck)}`);
    t.deepEqual(await leftovers(), [], 'canary --check defined nothing');
    const canary = await tsplay('playbooks/live-migration-canary.yml');
    t.is(canary.code, 0, `canary failed:\n${failures(canary)}`);
    t.log(`canary run: ${(canary.ms / 1000).toFixed(1)} s`);
    for (const [from, to] of [[c1, c2], [c2, c1]]) {
      const cell = canaryCell(canary, from);
      t.true(cell?.ok, `${from} -> ${to}: ${cell?.reason}`);
      t.regex(cell?.detail ?? '', new RegExp(`^${from} -> ${to} in \\d+ ms$`));
      t.log(`canary hop ${cell?.detail}`);
    }
    t.deepEqual(await leftovers(), [], 'the canary removed its guests and disks');

    //     libvirt's listener (TCP, or TLS) broken on c2: exactly the hop into c2 fails,
    //     naming the pair and libvirt's message; the other hop still migrates.
    await out(c2, sys.breakListener);
    const broken = await tsplay('playbooks/live-migration-canary.yml');
    await out(c2, sys.restoreListener);
    t.is(broken.code, 2, `a broken listener fails the hop into it (exit 2):\n${failures(broken)}`);
    const into = canaryCell(broken, c1);
    t.false(into?.ok ?? true, 'c1 -> c2 fails');
    t.regex(into?.reason ?? '', new RegExp(`^${c1} -> ${c2}: .*(unable to connect|Connection refused)`));
    t.true(canaryCell(broken, c2)?.ok, `c2 -> c1 still migrates: ${canaryCell(broken, c2)?.reason}`);
    t.deepEqual(await leftovers(), [], 'a failed hop leaves nothing behind either');

    // 6. drift on one compute, by hand: a libvirtd.conf line removed and nova's
    //    UID changed back in /etc/passwd (no files re-owned).
    await out(c2, `sed -i '/^${conf.driftLine}$/d' /etc/libvirt/libvirtd.conf`);
    await out(c2, `sed -i 's/^nova:x:${ctlIds.split(' ')[0]}:/nova:x:627:/' /etc/passwd`);
    const drift = await tsplay('playbooks/live-migration.yml', ['--check']);
    t.is(drift.code, 0, `--check after drift failed:\n${failures(drift)}`);
    t.log(`check after drift: ${(drift.ms / 1000).toFixed(1)} s`);
    const expected = (o.expectedDrift ?? (tls ? DRIFT_TASKS_TLS : DRIFT_TASKS)).map((task) => `${c2} | ${task}`).sort();
    t.deepEqual(changedPairs(drift), expected);

    // 7. the controller's nova UID taken by another account on one compute: that
    //    compute stops at the pre-flight, naming the account, before anything on
    //    it changes (the drift above stays as it is); the other hosts go on.
    const targetUid = ctlIds.split(' ')[0];
    await out(c2, `useradd --no-create-home --shell /usr/sbin/nologin --uid ${targetUid} squatter`);
    const fingerprint = `md5sum /etc/libvirt/libvirtd.conf /etc/passwd /etc/group /etc/fstab; id -u nova; ${sys.novaRunning} && echo nova-compute runs || true`;
    const beforeBlocked = await out(c2, fingerprint);
    const blocked = await tsplay('playbooks/live-migration.yml');
    t.is(blocked.code, 2, `a taken UID must fail that host (exit 2):\n${failures(blocked)}`);
    const c2Failures = blocked.events.filter((e) => e.kind === 'host_result' && e.host === c2 && e.status === 'failed');
    t.is(c2Failures.length, 1);
    const refusal = c2Failures[0].kind === 'host_result' ? c2Failures[0] : undefined;
    t.is(refusal?.task, 'Pre-flight: nova UID (refused if another account has it)');
    t.regex(refusal?.msg ?? '', new RegExp(`${targetUid}.*squatter|squatter.*${targetUid}`));
    t.deepEqual(changedPairs(blocked).filter((p) => p.startsWith(`${c2} |`)), [], `nothing changed on ${c2}`);
    t.is(await out(c2, fingerprint), beforeBlocked, `${c2} is exactly as it was`);
    const blockedRecap = recap(blocked);
    for (const h of [ctl, c1]) t.is(blockedRecap[h].failed, 0, `${h} goes on`);
    t.log(`run with a taken UID on ${c2}: ${(blocked.ms / 1000).toFixed(1)} s`);
  });
}
