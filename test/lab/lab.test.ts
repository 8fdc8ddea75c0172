// Lab tests against real hosts: a lab comes up, the engine's own SSH
// connection runs commands on it, and everything the lab made is gone after
// `down`. They run whenever this machine can host a lab (root and
// systemd-nspawn); under CI=true a machine that cannot host one is a failure.

import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { SshConnection } from '../../engine/connection/ssh-connection.js';
import { Host } from '../../engine/host/host.js';
import type { ConnectionSettings } from '../../engine/connection/connection.js';
import { labDown, labStatus, labUp, LAB_ROOT, type LabInfo } from '../../engine/lab/index.js';
import { ensureBase } from '../../engine/lab/base.js';
import { LabError } from '../../engine/lab/system.js';
import { services } from '../../engine/facts/services.js';
import { mounts } from '../../engine/facts/mounts.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the lab tests');

const LAB = 'labtest';
const KILLED = 'labkill';
const SYSV = 'labsysv';

function settingsFor(info: LabInfo, name: string, address: string): ConnectionSettings {
  return {
    host: name,
    connection: 'ssh',
    address,
    port: 22,
    user: 'root',
    privateKeyFile: info.keyFile,
    knownHostsFile: info.knownHostsFile,
    hostKeyChecking: 'strict',
    connectTimeoutMs: 10_000,
    commandTimeoutMs: 300_000,
    become: false,
    becomeUser: 'root',
    becomeMethod: 'sudo',
  };
}

/** What a lab of this name left on the machine, found independently of the lab code's own bookkeeping. */
function leftovers(name: string, subnet?: string): string[] {
  const found: string[] = [];
  const dir = `${LAB_ROOT}/${name}`;
  if (existsSync(dir)) found.push(`state dir ${dir}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && (mp.startsWith(dir + '/') || mp === dir)) found.push(`mount ${mp}`);
    if (mp && mp.startsWith(`/run/netns/tsplay-${name}-`)) found.push(`netns mount ${mp}`);
  }
  if (existsSync('/run/netns')) for (const ns of readdirSync('/run/netns')) if (ns.startsWith(`tsplay-${name}-`)) found.push(`netns ${ns}`);
  const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string; ifalias?: string }>;
  for (const l of links) if (l.ifalias === `tsplay-lab:${name}`) found.push(`link ${l.ifname}`);
  if (subnet) {
    const prefix = subnet.replace(/\.0\/24$/, '.');
    const addrs = execFileSync('ip', ['-4', 'addr', 'show'], { encoding: 'utf8' });
    if (addrs.includes(prefix)) found.push(`address in ${subnet}`);
    const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
    if (routes.includes(prefix)) found.push(`route for ${subnet}`);
  }
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(`${dir}/`) || cmd.includes(`--machine=${name}`)) found.push(`process ${e}: ${cmd.replace(/\0/g, ' ').slice(0, 120)}`);
    } catch {
      /* exited */
    }
  }
  for (const h of ['systemd', 'unified', 'memory']) {
    if (existsSync(`/sys/fs/cgroup/${h}/tsplay-lab/${name}`)) found.push(`cgroup ${h}/tsplay-lab/${name}`);
  }
  return found;
}

if (canHost) {
  let info: LabInfo;
  const hosts: Host[] = [];
  const conns: SshConnection[] = [];

  test.before(async () => {
    await labDown(LAB); // a lab of this name left by an earlier killed run
    await ensureBase('systemd', (l) => console.log(`[lab base] ${l}`));
    await ensureBase('sysvinit', (l) => console.log(`[lab base sysvinit] ${l}`));
  });

  test.after.always(async () => {
    for (const c of conns) await c.close().catch(() => {});
    await labDown(LAB).catch(() => {});
    await labDown(KILLED).catch(() => {});
    await labDown(SYSV).catch(() => {});
  });

  test.serial('lab up 3: every host answers SSH through the engine connection, with host-key checking on', async (t) => {
    const t0 = Date.now();
    info = await labUp({ name: LAB, hosts: 3 });
    const upMs = Date.now() - t0;
    t.log(`lab up 3: ${upMs} ms`);
    t.true(upMs < 30_000, `lab up 3 took ${upMs} ms`);
    t.deepEqual(info.hosts.map((h) => h.name), ['labtest1', 'labtest2', 'labtest3']);
    const inv = readFileSync(info.inventoryPath, 'utf8');
    for (const h of info.hosts) t.regex(inv, new RegExp(`${h.name}:\\n\\s+ansible_host: "${h.address.replace(/\./g, '\\.')}"`));
    t.true(inv.includes(info.knownHostsFile) && inv.includes(info.keyFile));
    for (const h of info.hosts) {
      const conn = new SshConnection(settingsFor(info, h.name, h.address));
      conns.push(conn);
      hosts.push(new Host(conn, { name: h.name }));
    }
    const names = await Promise.all(hosts.map((h) => h.run(['hostname'])));
    t.deepEqual(names.map((r) => r.stdout.trim()), info.hosts.map((h) => h.name));
    const pid1 = await Promise.all(hosts.map((h) => h.run(['cat', '/proc/1/comm'])));
    t.deepEqual(pid1.map((r) => r.stdout.trim()), ['systemd', 'systemd', 'systemd']);
    const sshd = await hosts[0].run(['systemctl', 'is-active', 'ssh']);
    t.is(sshd.stdout.trim(), 'active');
  });

  test.serial('a second up of the same lab is refused', async (t) => {
    const e = await t.throwsAsync(labUp({ name: LAB, hosts: 1 }), { instanceOf: LabError });
    t.regex(e.message, /already up/);
    // and the lab is still there
    t.is((await hosts[0].run(['true'])).rc, 0);
  });

  test.serial('host-key checking is on: a wrong known_hosts entry makes the host unreachable', async (t) => {
    // labtest1's address with labtest2's key recorded
    const kh = readFileSync(info.knownHostsFile, 'utf8').split('\n');
    const key2 = kh.find((l) => l.startsWith(`${info.hosts[1].address} `))!.split(' ').slice(1).join(' ');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const tmp = mkdtempSync('/tmp/tsplay-lab-kh-');
    writeFileSync(`${tmp}/known_hosts`, `${info.hosts[0].address} ${key2}\n${info.hosts[0].name} ${key2}\n`);
    const conn = new SshConnection({ ...settingsFor(info, info.hosts[0].name, info.hosts[0].address), knownHostsFile: `${tmp}/known_hosts` });
    const e = await t.throwsAsync(conn.exec('true'));
    t.regex(e.message, /host key/i);
    await conn.close().catch(() => {});
    // the right key connects
    const ok = new SshConnection(settingsFor(info, info.hosts[0].name, info.hosts[0].address));
    t.is((await ok.exec('hostname')).stdout.trim(), info.hosts[0].name);
    await ok.close();
  });

  test.serial('hosts are isolated: files, hostnames, machine IDs, host keys, network', async (t) => {
    const [h1, h2, h3] = hosts;
    t.is((await h1.run(['sh', '-c', 'echo only-on-1 > /root/marker'])).rc, 0);
    t.is((await h1.run(['cat', '/root/marker'])).stdout, 'only-on-1\n');
    for (const h of [h2, h3]) t.not((await h.run(['test', '-e', '/root/marker'])).rc, 0, `${h.name} sees host 1's file`);
    const ids = await Promise.all(hosts.map((h) => h.run(['cat', '/etc/machine-id'])));
    t.is(new Set(ids.map((r) => r.stdout.trim())).size, 3);
    for (const r of ids) t.regex(r.stdout.trim(), /^[0-9a-f]{32}$/);
    const keys = await Promise.all(hosts.map((h) => h.run(['cat', '/etc/ssh/ssh_host_ed25519_key.pub'])));
    t.is(new Set(keys.map((r) => r.stdout.split(' ')[1])).size, 3);
    const kh = readFileSync(info.knownHostsFile, 'utf8');
    for (const r of keys) t.true(kh.includes(r.stdout.split(' ')[1]));
    // /etc/hosts lists every lab host; hosts reach each other, and nothing else.
    const etcHosts = (await h2.run(['cat', '/etc/hosts'])).stdout;
    for (const h of info.hosts) t.regex(etcHosts, new RegExp(`^${h.address.replace(/\./g, '\\.')}\\s+${h.name}$`, 'm'));
    t.is((await h2.run(['ping', '-c', '1', '-W', '2', info.hosts[2].name])).rc, 0);
    const route = await h2.run(['ip', 'route', 'show', 'default']);
    t.is(route.stdout.trim(), '');
    const out = await h2.run(['ip', 'route', 'get', '192.0.2.1']);
    t.not(out.rc, 0);
    t.regex(out.stderr, /unreachable/i);
    // its sysfs lists its own links only, not the machine's (other labs' veths and bridges)
    t.is((await h2.run(['ls', '/sys/class/net'])).stdout, 'eth0\nlo\n');
  });

  test.serial('packages install through the lab proxy; a second install of the same package is fast', async (t) => {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const t0 = Date.now();
    const first = await hosts[1].run(['apt-get', 'install', '-y', '-q', 'tree'], { env });
    const firstMs = Date.now() - t0;
    t.is(first.rc, 0, first.stderr);
    const t1 = Date.now();
    const second = await hosts[2].run(['apt-get', 'install', '-y', '-q', 'tree'], { env });
    const secondMs = Date.now() - t1;
    t.is(second.rc, 0, second.stderr);
    t.log(`apt-get install tree: first ${firstMs} ms, second (cached) ${secondMs} ms`);
    t.true(secondMs < 30_000);
    t.is((await hosts[2].run(['tree', '--version'])).rc, 0);
    t.not((await hosts[0].run(['test', '-e', '/usr/bin/tree'])).rc, 0, 'installed on one host only');
    const cfg = (await hosts[1].run(['apt-config', 'dump', 'Acquire::http::Proxy'])).stdout;
    t.true(cfg.includes(info.proxyUrl), cfg);
  });

  test.serial('NFS stand-in: exported dir mounts on a peer with shared numeric owners; missing export fails', async (t) => {
    const [h1, h2, h3] = hosts;
    const setup = await h1.shell(
      "mkdir -p /srv/share /srv/v4root/data && chmod 1777 /srv/share && printf '%s\\n' '/srv/share labtest2(rw,no_subtree_check)' '/srv/v4root *(rw,fsid=0)' > /etc/exports",
    );
    t.is(setup.rc, 0, setup.stderr);
    t.is((await h2.run(['mkdir', '-p', '/mnt/share', '/mnt/v4', '/mnt/none'])).rc, 0);
    const m = await h2.run(['mount', '-t', 'nfs', 'labtest1:/srv/share', '/mnt/share']);
    t.is(m.rc, 0, m.stderr);
    t.regex(m.stderr, /stand-in/, 'the stand-in says what it is');
    const w = await h2.run(['setpriv', '--reuid=4321', '--regid=4322', '--clear-groups', 'sh', '-c', 'echo from-2 > /mnt/share/f']);
    t.is(w.rc, 0, w.stderr);
    const st = await h1.run(['stat', '-c', '%u:%g %s', '/srv/share/f']);
    t.is(st.stdout.trim(), '4321:4322 7');
    t.is((await h1.run(['cat', '/srv/share/f'])).stdout, 'from-2\n');
    const table = await h2.get(mounts, undefined);
    t.true(table.some((x) => x.path === '/mnt/share'), 'the engine sees the mount');
    // mount -a asks again for a share already mounted: left as it is, no second bind stacked
    const again = await h2.run(['mount', '-t', 'nfs', 'labtest1:/srv/share', '/mnt/share']);
    t.is(again.rc, 0, again.stderr);
    t.regex(again.stderr, /already mounted on \/mnt\/share/);
    const binds = (await h2.run(['findmnt', '-rn', '-o', 'TARGET', '--mountpoint', '/mnt/share'])).stdout.trim().split('\n');
    t.deepEqual(binds, ['/mnt/share']);
    // NFSv4 pseudo-root: SERVER:/ is the export marked fsid=0
    const v4 = await h2.run(['mount', '-t', 'nfs4', `${info.hosts[0].address}:/`, '/mnt/v4']);
    t.is(v4.rc, 0, v4.stderr);
    t.is((await h2.run(['test', '-d', '/mnt/v4/data'])).rc, 0);
    // missing export, and a client the export does not list
    const missing = await h2.run(['mount', '-t', 'nfs', 'labtest1:/srv/nothere', '/mnt/none']);
    t.is(missing.rc, 32);
    t.regex(missing.stderr, /access denied by server/);
    t.is((await h3.run(['mkdir', '-p', '/mnt/share'])).rc, 0);
    const denied = await h3.run(['mount', '-t', 'nfs', 'labtest1:/srv/share', '/mnt/share']);
    t.is(denied.rc, 32);
    t.is((await h2.run(['umount', '/mnt/share'])).rc, 0);
    t.not((await h2.run(['test', '-e', '/mnt/share/f'])).rc, 0);
    // unmounted, the record of it does not stand in for a mount: the next mount binds again
    const remount = await h2.run(['mount', '-t', 'nfs', 'labtest1:/srv/share', '/mnt/share']);
    t.is(remount.rc, 0, remount.stderr);
    t.regex(remount.stderr, /bind-mounted/);
    t.is((await h2.run(['cat', '/mnt/share/f'])).stdout, 'from-2\n');
    t.is((await h2.run(['umount', '/mnt/share'])).rc, 0);
  });

  test.serial('lab status reports every host running with its memory', async (t) => {
    const st = (await labStatus()).find((l) => l.name === LAB);
    t.truthy(st);
    t.is(st!.state, 'up');
    t.true(st!.proxyRunning);
    for (const h of st!.hosts) {
      t.true(h.running);
      t.true((h.memoryBytes ?? 0) > 1_000_000 && (h.memoryBytes ?? 0) < 500_000_000, `${h.name}: ${h.memoryBytes}`);
    }
    t.log(`memory per host (anon): ${st!.hosts.map((h) => `${h.name} ${((h.memoryBytes ?? 0) / 1048576).toFixed(1)} MiB`).join(', ')}`);
  });

  test.serial('the command line: inventory, status and ssh', async (t) => {
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'engine/lab/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const inv = await cli(['inventory', '--name', LAB]);
    t.is(inv.code, 0, inv.stderr);
    t.is(inv.stdout.trim(), info.inventoryPath);
    const status = await cli(['status']);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, new RegExp(`lab ${LAB}: up`));
    for (const h of info.hosts) t.regex(status.stdout, new RegExp(`${h.name}\\s+${h.address.replace(/\./g, '\\.')}\\s+running\\s+memory \\d+\\.\\d MiB`));
    const ssh = await cli(['ssh', info.hosts[2].name, 'cat', '/etc/hostname']);
    t.is(ssh.code, 0, ssh.stderr);
    t.is(ssh.stdout.trim(), info.hosts[2].name);
    const missing = await cli(['inventory', '--name', 'nosuchlab']);
    t.is(missing.code, 1);
    t.regex(missing.stderr, /not up/);
  });

  test.serial('lab down removes everything the lab made, quickly, and is safe twice', async (t) => {
    for (const c of conns) await c.close();
    t.true(leftovers(LAB, info.subnet).length > 0, 'the check sees a lab that is up');
    const t0 = Date.now();
    await labDown(LAB);
    const downMs = Date.now() - t0;
    t.log(`lab down: ${downMs} ms`);
    t.true(downMs < 10_000);
    t.deepEqual(leftovers(LAB, info.subnet), []);
    await labDown(LAB);
    t.deepEqual(leftovers(LAB, info.subnet), []);
  });

  test.serial('sysvinit hosts: sysvinit is PID 1 and services go through /etc/init.d', async (t) => {
    await labDown(SYSV);
    const sysv = await labUp({ name: SYSV, hosts: 2, init: 'sysvinit' });
    const conns2 = sysv.hosts.map((h) => new SshConnection(settingsFor(sysv, h.name, h.address)));
    try {
      const [a, b] = conns2.map((c, i) => new Host(c, { name: sysv.hosts[i].name }));
      t.is((await a.run(['cat', '/proc/1/comm'])).stdout.trim(), 'init');
      t.is((await a.run(['test', '-d', '/run/systemd/system'])).rc, 1, 'no systemd running');
      t.is((await b.run(['hostname'])).stdout.trim(), sysv.hosts[1].name);
      t.is((await b.run(['ls', '/sys/class/net'])).stdout, 'eth0\nlo\n');
      const [ssh, cron] = await a.getAll(services, ['ssh', 'cron']);
      t.like(ssh, { exists: true, active: true, enabled: true });
      t.like(cron, { exists: true, active: true });
      t.is((await a.run(['service', 'cron', 'stop'])).rc, 0);
      t.like((await a.getAll(services, ['cron']))[0], { exists: true, active: false });
    } finally {
      for (const c of conns2) await c.close().catch(() => {});
      await labDown(SYSV);
    }
    t.deepEqual(leftovers(SYSV, sysv.subnet), []);
  });

  test('lab up refuses clearly when not run as root, and makes nothing', async (t) => {
    const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', 'engine/lab/main.ts', 'up', '1', '--name', 'labnoroot'],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: '/tmp' } },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    t.is(out.code, 1);
    t.regex(out.stderr, /must run as root/);
    t.deepEqual(leftovers('labnoroot'), []);
  });

  test.serial('a lab left half-up by a killed process is cleaned by the next up and down', async (t) => {
    await labDown(KILLED);
    const child = spawn(process.execPath, ['--import', 'tsx', 'engine/lab/main.ts', 'up', '2', '--name', KILLED], { stdio: 'ignore' });
    // kill it once it has made namespaces (mid-up)
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (existsSync('/run/netns') && readdirSync('/run/netns').some((n) => n.startsWith(`tsplay-${KILLED}-`))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 500));
    t.true(leftovers(KILLED).length > 0, 'the killed up left something behind');
    const again = await labUp({ name: KILLED, hosts: 1 });
    t.is(again.hosts.length, 1);
    const conn = new SshConnection(settingsFor(again, again.hosts[0].name, again.hosts[0].address));
    t.is((await conn.exec('hostname')).stdout.trim(), `${KILLED}1`);
    await conn.close();
    await labDown(KILLED);
    t.deepEqual(leftovers(KILLED, again.subnet), []);
  });

  const WITH = 'labpkgs';
  test.serial('packages: hosts start with them, from a cached copy of the base; the base is left as it was', async (t) => {
    t.timeout(10 * 60_000);
    await labDown(WITH);
    const base = await ensureBase('systemd', () => {});
    const info = await labUp({ name: WITH, hosts: 1, packages: ['python3-apt', 'python3'] });
    try {
      const lower = (JSON.parse(readFileSync(`${LAB_ROOT}/${WITH}/state.json`, 'utf8')) as { base: string }).base;
      t.true(lower.startsWith(`${base}+pkgs-`), `the hosts run on a base with the packages: ${lower}`);
      t.true(existsSync(`${lower}/usr/lib/python3/dist-packages/apt/__init__.py`));
      t.false(existsSync(`${base}/usr/lib/python3/dist-packages/apt/__init__.py`), 'the base itself is not changed');
      const conn = new SshConnection(settingsFor(info, info.hosts[0].name, info.hosts[0].address));
      const r = await conn.exec("dpkg-query -W -f '${db:Status-Abbrev}\\n' python3 python3-apt && python3 -c 'import apt_pkg; apt_pkg.init(); print(1)'");
      await conn.close();
      t.is(r.stdout, 'ii \nii \n1\n');
      // the same packages in another order: the same cached copy, nothing built again
      await labDown(WITH);
      const again = Date.now();
      await labUp({ name: WITH, hosts: 1, packages: ['python3', 'python3-apt', 'python3'] });
      t.is((JSON.parse(readFileSync(`${LAB_ROOT}/${WITH}/state.json`, 'utf8')) as { base: string }).base, lower);
      t.log(`lab up on the cached copy: ${Date.now() - again} ms`);
      await t.throwsAsync(labUp({ name: 'labpkgbad', hosts: 1, packages: ['python3; rm -rf /'] }), { instanceOf: LabError, message: /not a Debian package name/ });
    } finally {
      await labDown(WITH);
      await labDown('labpkgbad'); // made only if the name were not refused
    }
  });
}
