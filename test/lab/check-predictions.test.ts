// --check predicts what a real run changes (DESIGN.md §4) on a fresh lab host,
// where an apt task brings files, dependencies and units that later tasks use:
//   apt nfs-kernel-server        -> changed (both)
//   ini_file /etc/idmapd.conf    -> ok: nfs-common (a new dependency) ships it via ucf with the value
//   lineinfile /etc/exports      -> changed: the ucf template exists, the line is added to it
//   apt nfs-common               -> ok: predicted as a dependency of the first install
//   service enabled: true        -> ok: the package's postinst enables nfs-server.service
// The set of (host, task) pairs reported changed must be the same in --check
// and in the real run that follows. The lab kernel has no NFS, so
// nfs-kernel-server installs but cannot start (docs/lab.md): the playbook asks
// only `enabled: true` of the service, which holds in the lab as on real hosts.
// Runs whenever this machine can host a lab (root and systemd-nspawn); under CI=true always.

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp, type LabInfo } from '../../engine/lab/index.js';
import type { HostResultEvent } from '../../engine/report/events.js';
import { labOut, runJson, type CliRun } from '../helpers/lab-cli.js';
import { SshConnection } from '../../engine/connection/ssh-connection.js';
import { Host } from '../../engine/host/host.js';
import { Overlay } from '../../engine/host/overlay.js';
import { predictedReader } from '../../engine/facts/fact.js';
import { packageFilesOf } from '../../engine/facts/package-content.js';
import { selectFile } from '../../engine/facts/package-files.js';
import { parseAptSimulation } from '../../engine/facts/apt-simulation.js';
import { services } from '../../engine/facts/services.js';
import { packages } from '../../engine/facts/packages.js';
import { file, fileContent } from '../../engine/facts/file.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the check-prediction lab tests');
const LAB = 'chk';
const EXPORT = '/srv/chk 10.0.0.0/8(rw,sync,no_subtree_check)';

const PLAYBOOK = `- hosts: all
  tasks:
    - name: install nfs-kernel-server
      apt: { name: nfs-kernel-server }
    - name: idmapd nobody user
      ini_file: { path: /etc/idmapd.conf, section: Mapping, option: Nobody-User, value: nobody }
    - name: export a directory
      lineinfile: { path: /etc/exports, line: "${EXPORT}" }
    - name: nfs-common is there
      apt: { name: nfs-common }
    - name: nfs-kernel-server enabled at boot
      service: { name: nfs-kernel-server, enabled: true }
`;

type RunOutcome = CliRun;

function tsplay(playbook: string, inventory: string, extra: string[] = []): Promise<RunOutcome> {
  return runJson([playbook, '-i', inventory, ...extra]);
}

const results = (r: RunOutcome) => r.events.filter((e): e is HostResultEvent => e.kind === 'host_result');
const changedPairs = (r: RunOutcome) => [...new Set(results(r).filter((e) => e.status === 'changed').map((e) => `${e.host} | ${e.task}`))].sort();
const statusOf = (r: RunOutcome, task: string) => results(r).find((e) => e.task === task)?.status;
const failures = (r: RunOutcome) =>
  results(r).filter((e) => e.status === 'failed' || e.status === 'unreachable').map((e) => `${e.host} ${e.task}: ${e.msg}`).join('\n') +
  (r.code !== 0 ? `\nexit ${r.code}; stderr: ${r.stderr.slice(-1500)}` : '');

if (canHost) {
  let info: LabInfo;
  let dir: string;

  test.before(async () => {
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 1 });
    dir = mkdtempSync(join(tmpdir(), 'tsplay-chk-'));
  });

  test.after.always(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial('--check on a fresh host changes the same (host, task) pairs as the real run', async (t) => {
    const host = info.hosts[0];
    const pb = join(dir, 'nfs-server.yml');
    writeFileSync(pb, PLAYBOOK);

    // The host is fresh: none of the packages or files exists yet.
    const conn = new SshConnection({
      host: host.name, connection: 'ssh', address: host.address, port: 22, user: 'root',
      privateKeyFile: info.keyFile, knownHostsFile: info.knownHostsFile, hostKeyChecking: 'strict',
      connectTimeoutMs: 10_000, commandTimeoutMs: 300_000, become: false, becomeUser: 'root', becomeMethod: 'sudo',
    });
    const h = new Host(conn, { name: host.name });
    try {
      // The lab base has an empty /etc/exports for its NFS stand-in (engine/lab/base.ts);
      // remove it so the host is like a fresh Debian and the package's file is the one seen.
      t.is((await h.run(['rm', '-f', '/etc/exports'])).rc, 0);
      const pre = await h.getAll(packages, ['nfs-kernel-server', 'nfs-common']);
      t.deepEqual(pre.map((p) => p.installed), [false, false], 'a fresh lab host has neither package');
      t.deepEqual((await h.getAll(file, ['/etc/idmapd.conf', '/etc/exports'])).map((s) => s.exists), [false, false]);

      // The lookups' cost, measured through the engine's own overlay reader.
      let t0 = performance.now();
      const sim = await h.run(['env', 'LC_ALL=C', 'apt-get', '-s', '-q', 'install', 'nfs-kernel-server']);
      const simMs = performance.now() - t0;
      const names = parseAptSimulation(sim.stdout).map((i) => i.name);
      t.true(names.includes('nfs-common') && names.includes('rpcbind'), `apt-get -s lists the new dependencies: ${names.join(' ')}`);
      const overlay = new Overlay();
      overlay.add(names.map((name) => ({ kind: 'package' as const, name, installed: true })));
      const r = predictedReader(h, overlay);
      t0 = performance.now();
      await h.get(fileContent, '/etc/idmapd.conf');
      const plainMs = performance.now() - t0;
      t0 = performance.now();
      const idmapd = await r.get(fileContent, '/etc/idmapd.conf');
      const firstMs = performance.now() - t0;
      t0 = performance.now();
      const exportsFile = await r.get(fileContent, '/etc/exports');
      const [svc] = await r.getAll(services, ['nfs-kernel-server']);
      const cachedMs = performance.now() - t0;
      t.regex(idmapd.content?.toString('utf8') ?? '', /\[Mapping\][^[]*Nobody-User = nobody/);
      t.like(exportsFile, { exists: true, type: 'file', predicted: true });
      t.like(svc, { exists: true, enabled: true, predicted: true });
      t.is(packageFilesOf(overlay).stats.roundTrips, 1, 'one download-only install resolves and brings the contents; then cached');
      // The engine's resolution (apt-get --print-uris) against apt-get -s, asked for the same install.
      t0 = performance.now();
      const resolved = await packageFilesOf(new Overlay()).closure(h, ['nfs-kernel-server']);
      const urisMs = performance.now() - t0;
      t.deepEqual([...resolved].sort(), [...names].sort(), 'the same packages as apt-get -s');
      // The same in one round trip with the contents, while another process holds dpkg's locks
      // (as a site's apt or the run's own install may): nothing waits for them or takes them.
      const hold = `perl -MFcntl -e 'for my $p ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock") { open(my $f, ">>", $p) or die; my $s = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLK, $s) or die; push @k, $f } sleep 60' >/dev/null 2>&1 & echo $!`;
      const holder = (await h.run(['sh', '-c', hold])).stdout.trim();
      try {
        await new Promise((r) => setTimeout(r, 500));
        const refused = await h.run(['sh', '-c', 'LC_ALL=C apt-get install -y -q sl 2>&1']);
        t.regex(refused.stdout, /Could not get lock \/var\/lib\/dpkg\/lock-frontend/, 'the locks are held: a real install is refused');
        t0 = performance.now();
        const withContents = packageFilesOf(new Overlay());
        const fetched = await withContents.closure(h, ['nfs-kernel-server'], undefined, { contents: true });
        const fetchMs = performance.now() - t0;
        t.deepEqual([...fetched].sort(), [...names].sort(), 'the download-only install names the same packages as apt-get -s');
        t.regex(selectFile(withContents.snap, '/etc/idmapd.conf')?.content?.toString('utf8') ?? '', /Nobody-User = nobody/);
        t.is(withContents.stats.roundTrips, 1);
        t.log(`nfs-kernel-server (${names.length} packages): apt-get -s install ${simMs.toFixed(0)} ms, apt-get --print-uris install ${urisMs.toFixed(0)} ms, download-only install with the contents ${fetchMs.toFixed(0)} ms`);
      } finally {
        await h.run(['kill', holder]);
      }
      t.log(`plain readFile: ${plainMs.toFixed(0)} ms; first package lookup (readFile /etc/idmapd.conf): ${firstMs.toFixed(0)} ms; cached (readFile /etc/exports + services): ${cachedMs.toFixed(0)} ms`);
    } finally {
      await conn.close();
    }

    const check = await tsplay(pb, info.inventoryPath, ['--check', '--diff']);
    t.is(check.code, 0, failures(check));
    t.is(statusOf(check, 'idmapd nobody user'), 'ok', 'nfs-common brings idmapd.conf with the value');
    t.is(statusOf(check, 'nfs-common is there'), 'ok', 'predicted as a dependency');
    t.is(statusOf(check, 'nfs-kernel-server enabled at boot'), 'ok', 'the postinst enables it');
    const predictedExports = results(check).find((e) => e.task === 'export a directory')?.diff?.[0];
    t.truthy(predictedExports, 'lineinfile shows its diff in --check');
    t.regex(predictedExports!.before, /^# \/etc\/exports: the access control list/, 'the diff starts from the package\'s file');
    t.log(`--check: ${check.ms} ms; per task: ${results(check).map((e) => `${e.task} ${e.durationMs} ms`).join(', ')}`);

    const real = await tsplay(pb, info.inventoryPath);
    t.is(real.code, 0, failures(real));
    t.log(`real run: ${real.ms} ms; per task: ${results(real).map((e) => `${e.task} ${e.durationMs} ms`).join(', ')}`);
    t.deepEqual(changedPairs(check), changedPairs(real), '--check predicted exactly what the real run changed');
    t.deepEqual(changedPairs(real), [`${host.name} | export a directory`, `${host.name} | install nfs-kernel-server`]);

    // The real file is what --check predicted.
    const after = await tsplay(pb, info.inventoryPath, ['--check', '--diff']);
    t.is(after.code, 0, failures(after));
    t.deepEqual(changedPairs(after), [], 'a --check after the real run predicts nothing');
    const conn2 = new SshConnection({
      host: host.name, connection: 'ssh', address: host.address, port: 22, user: 'root',
      privateKeyFile: info.keyFile, knownHostsFile: info.knownHostsFile, hostKeyChecking: 'strict',
      connectTimeoutMs: 10_000, commandTimeoutMs: 60_000, become: false, becomeUser: 'root', becomeMethod: 'sudo',
    });
    try {
      const h2 = new Host(conn2, { name: host.name });
      t.is((await h2.get(fileContent, '/etc/exports')).content?.toString('utf8'), predictedExports!.after);
      const [unit] = await h2.getAll(services, ['nfs-kernel-server']);
      t.is(unit.enabled, true);
    } finally {
      await conn2.close();
    }
  });

  // --check, a loop of service items: one `systemctl show` for every item's unit, made
  // before the first item (ModuleDef.loopReads, action.ts readLoopAhead); a real run reads
  // per item, since an item may change what the next one finds. A wrapper before systemctl
  // in root's PATH logs each call; the same results either way.
  test.serial('--check reads a service loop\'s units in one systemctl call; a real run reads each item', async (t) => {
    const host = info.hosts[0].name;
    const units = ['ssh.service', 'systemd-journald.service', 'cron.service'];
    await labOut(info, host, `printf '#!/bin/sh\\necho "$*" >> /var/log/systemctl-calls\\nexec /usr/bin/systemctl "$@"\\n' > /usr/local/sbin/systemctl && chmod 755 /usr/local/sbin/systemctl`);
    t.teardown(() => labOut(info, host, 'rm -f /usr/local/sbin/systemctl /var/log/systemctl-calls').then(() => undefined, () => undefined));
    const shows = async (pb: string, extra: string[]): Promise<{ run: RunOutcome; calls: string[] }> => {
      await labOut(info, host, ': > /var/log/systemctl-calls');
      const run = await tsplay(pb, info.inventoryPath, extra);
      t.is(run.code, 0, failures(run));
      const calls = (await labOut(info, host, 'cat /var/log/systemctl-calls')).split('\n').filter((l) => l.startsWith('show -p LoadState'));
      return { run, calls: calls.map((c) => c.replace(/^show -p \S+ -- /, '')) };
    };
    const loop = join(dir, 'service-loop.yml');
    writeFileSync(loop, `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: loop\n      service: { name: "{{ item }}", state: started }\n      loop: ${JSON.stringify(units)}\n`);

    const check = await shows(loop, ['--check']);
    t.deepEqual(check.calls, [units.join(' ')], 'one call, every item\'s unit');
    const real = await shows(loop, []);
    t.deepEqual(real.calls, units, 'a real run: one call per item');
    const statuses = (r: RunOutcome) => results(r).map((e) => `${e.task} ${String((e as { item?: unknown }).item)} ${e.status}`);
    t.deepEqual(statuses(check.run), statuses(real.run));
    t.deepEqual(statuses(real.run), units.map((u) => `loop ${u} ok`));

    // The read made ahead answers once: the second item, the same unit, reads the host and sees the first item's prediction.
    const twice = join(dir, 'service-twice.yml');
    writeFileSync(twice, `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: stop\n      service: { name: "{{ item }}", state: stopped }\n      loop: [cron.service, cron.service]\n`);
    const stop = await shows(twice, ['--check']);
    t.deepEqual(stop.calls, ['cron.service', 'cron.service'], 'one name read ahead (a single unit), then the second item reads itself');
    t.deepEqual(statuses(stop.run), ['stop cron.service changed', 'stop cron.service ok']);
    t.regex(await labOut(info, host, 'systemctl is-active cron.service'), /^active/, '--check stopped nothing');
  });
}
