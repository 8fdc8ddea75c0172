// End to end (issues 5 and 10, "How it is checked"), one function for every
// init system and NFS version: one controller and two computes, fresh lab
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
  /** Tasks --check reports changed on the drifted compute (step 6); default DRIFT_TASKS. */
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

/** Shell checks and actions that depend on the init system. */
const INIT = {
  systemd: {
    libvirtListens: 'systemctl is-enabled libvirtd-tcp.socket && systemctl is-active libvirtd-tcp.socket',
    novaRunning: 'systemctl is-active nova-compute',
    breakListener: 'systemctl stop libvirtd-tcp.socket && systemctl restart libvirtd.service',
    restoreListener: 'systemctl stop libvirtd.service; systemctl start libvirtd-tcp.socket && systemctl start libvirtd.service',
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
  if (!labGate(`the live-migration lab test (${o.init}, NFSv${o.nfsVersion})`)) return;
  const LAB = o.lab;
  const ROOT = projectRoot();
  const INSTANCES = '/var/lib/nova/instances';
  const v4 = o.nfsVersion === 4;
  const sys = INIT[o.init];

  let info: LabInfo;
  let inventories: string[];

  type RunOutcome = CliRun;

  /** `tsplay run PLAYBOOK --output json` as a separate process; the events are its stdout lines. */
  function tsplay(playbook: string, extra: string[] = []): Promise<RunOutcome> {
    return runJson([join(ROOT, playbook), ...inventories, ...(v4 ? [] : ['-e', 'nfs_version=3']), ...extra]);
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
  });

  const [ctl, c1, c2] = [`${LAB}1`, `${LAB}2`, `${LAB}3`];
  const computes = [c1, c2];

  test.serial(`live migration from fresh hosts (${o.init}, NFSv${o.nfsVersion}): check, run, SSH checks, idempotence, prediction, canary, drift`, async (t) => {
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

    // 2. the real run.
    const real = await tsplay('playbooks/live-migration.yml');
    t.is(real.code, 0, `real run failed:\n${failures(real)}`);
    t.log(`real run: ${(real.ms / 1000).toFixed(1)} s`);
    const table = real.events.find((e) => e.kind === 'readiness');
    t.truthy(table, 'the run ends with a readiness table');
    if (table?.kind === 'readiness') {
      t.deepEqual(table.rows.map((r) => r.host).sort(), computes);
      for (const row of table.rows) {
        for (const [col, cell] of Object.entries(row.cells)) t.true(cell.ok, `${row.host} ${col}: ${cell.reason}`);
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
      const conf = await out(h, 'cat /etc/libvirt/libvirtd.conf');
      for (const line of ['listen_tls = 0', 'listen_tcp = 1', 'auth_tcp = "none"']) t.true(conf.split('\n').includes(line), `${h}: ${line}`);
      t.is((await ssh(h, sys.libvirtListens)).rc, 0, `${h}: libvirtd listens on TCP (${sys.libvirtListens})`);
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
    for (const from of computes) {
      for (const to of computes) {
        if (from === to) continue;
        const addr = info.hosts.find((x) => x.name === to)!.address;
        t.is(await out(from, `virsh -c qemu+tcp://${addr}/system hostname`), to, `libvirt on ${to} answers over TCP from ${from}`);
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

    //     libvirt's TCP listener broken on c2: exactly the hop into c2 fails,
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
    await out(c2, "sed -i '/^listen_tcp = 1$/d' /etc/libvirt/libvirtd.conf");
    await out(c2, `sed -i 's/^nova:x:${ctlIds.split(' ')[0]}:/nova:x:627:/' /etc/passwd`);
    const drift = await tsplay('playbooks/live-migration.yml', ['--check']);
    t.is(drift.code, 0, `--check after drift failed:\n${failures(drift)}`);
    t.log(`check after drift: ${(drift.ms / 1000).toFixed(1)} s`);
    const expected = (o.expectedDrift ?? DRIFT_TASKS).map((task) => `${c2} | ${task}`).sort();
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
