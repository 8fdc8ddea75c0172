// A real run downloads the packages its apt tasks will install in the
// background from its start (engine/run/package-prefetch.ts): while an earlier
// task runs, the .deb lands in /var/cache/apt/archives, and the install takes
// it from there instead of downloading it. With TSPLAY_PACKAGE_PREFETCH=0 the
// same playbook finds no .deb before the install, and the install downloads it
// (the control). One fresh lab host per case.

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp, type LabInfo } from '../../engine/lab/index.js';
import type { HostResultEvent } from '../../engine/report/events.js';
import { labOut, runJson, type CliRun } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the package prefetch lab tests');
const LAB = 'pfx';
const PKG = 'tree';

// The first task waits (up to 120 s) for the background download to put the .deb in
// apt's cache, and fails if it never comes; the control asks once, at once. With
// `locked`, the waiting task holds dpkg's locks meanwhile (as a site's apt would):
// the download must not need them.
const WAIT = `for i in $(seq 1 120); do ls /var/cache/apt/archives/${PKG}_*.deb && exit 0; sleep 1; done; exit 1`;
const LOCKED_WAIT =
  `perl -MFcntl -e 'for my $p ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock") { open(my $f, ">>", $p) or die; my $s = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLK, $s) or die; push @k, $f } ` +
  `for (1 .. 120) { exit 0 if glob("/var/cache/apt/archives/${PKG}_*.deb"); sleep 1 } exit 1'`;
const playbook = (wait: 'wait' | 'locked' | 'once') => `- hosts: all
  gather_facts: false
  tasks:
    - name: the .deb is in apt's cache before the install
      shell: ${JSON.stringify(wait === 'wait' ? WAIT : wait === 'locked' ? LOCKED_WAIT : `ls /var/cache/apt/archives/${PKG}_*.deb`)}
      changed_when: false
      failed_when: false
      register: cached
    - name: report
      debug: { msg: "cached={{ cached.rc }}" }
    - name: install
      apt: { name: ${PKG} }
`;

const results = (r: CliRun) => r.events.filter((e): e is HostResultEvent => e.kind === 'host_result');
const debugMsg = (r: CliRun) => results(r).find((e) => e.task === 'report')?.msg;

if (canHost) {
  let dir: string;
  test.before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsplay-pfx-'));
  });
  test.after.always(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
  });

  const fresh = async (): Promise<LabInfo> => {
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
    return labUp({ name: LAB, hosts: 1 });
  };

  const run = async (t: { log(...a: unknown[]): void }, info: LabInfo, prefetch: boolean, locked = false): Promise<CliRun> => {
    const pb = join(dir, `pb-${prefetch}-${locked}.yml`);
    writeFileSync(pb, playbook(!prefetch ? 'once' : locked ? 'locked' : 'wait'));
    const before = process.env.TSPLAY_PACKAGE_PREFETCH;
    if (prefetch) delete process.env.TSPLAY_PACKAGE_PREFETCH;
    else process.env.TSPLAY_PACKAGE_PREFETCH = '0';
    try {
      const r = await runJson([pb, '-i', info.inventoryPath]);
      t.log(`prefetch ${prefetch ? 'on' : 'off'}: exit ${r.code}, ${r.ms} ms, ${debugMsg(r)}`);
      return r;
    } finally {
      if (before === undefined) delete process.env.TSPLAY_PACKAGE_PREFETCH;
      else process.env.TSPLAY_PACKAGE_PREFETCH = before;
    }
  };

  test.serial('a real run downloads what its apt task installs before the task, in the background', async (t) => {
    const info = await fresh();
    const host = info.hosts[0].name;
    t.is((await labOut(info, host, `ls /var/cache/apt/archives/ | grep -c '^${PKG}_' || true`)).trim(), '0', 'a fresh host has no .deb of it');
    const r = await run(t, info, true);
    t.is(r.code, 0, r.stderr);
    t.is(debugMsg(r), 'cached=0', 'the .deb was in the cache while the first task ran');
    t.is(results(r).find((e) => e.task === 'install')?.status, 'changed');
    t.regex(await labOut(info, host, `dpkg-query -W -f '\${Status}' ${PKG}`), /install ok installed/);
  });

  test.serial('the download takes no dpkg lock: it lands while another process holds them', async (t) => {
    const info = await fresh();
    const r = await run(t, info, true, true);
    t.is(r.code, 0, r.stderr);
    t.is(debugMsg(r), 'cached=0', 'the .deb came while the first task held dpkg\'s locks');
    t.is(results(r).find((e) => e.task === 'install')?.status, 'changed');
    t.regex(await labOut(info, info.hosts[0].name, `dpkg-query -W -f '\${Status}' ${PKG}`), /install ok installed/);
  });

  test.serial('control: with TSPLAY_PACKAGE_PREFETCH=0 nothing is downloaded before the install', async (t) => {
    const info = await fresh();
    const r = await run(t, info, false);
    t.is(r.code, 0, r.stderr);
    t.is(debugMsg(r), 'cached=2', 'ls found no .deb: nothing downloaded it');
    t.is(results(r).find((e) => e.task === 'install')?.status, 'changed');
    t.regex(await labOut(info, info.hosts[0].name, `dpkg-query -W -f '\${Status}' ${PKG}`), /install ok installed/);
  });

  // --check: the prefetch looks up the contents of the packages a host lacks (a download-only
  // `apt-get -d` in a private directory), unless every file and unit the later tasks name is on
  // the host already (contentReads). A wrapper before apt-get in root's PATH logs each call.
  test.serial('--check looks up nothing when the later tasks read only files the host has; it does when one is missing', async (t) => {
    const info = await fresh();
    const host = info.hosts[0].name;
    await labOut(info, host, `printf '#!/bin/sh\\necho "$*" >> /var/log/apt-get-calls\\nexec /usr/bin/apt-get "$@"\\n' > /usr/local/sbin/apt-get && chmod 755 /usr/local/sbin/apt-get && command -v apt-get`);
    const check = async (path: string): Promise<string[]> => {
      await labOut(info, host, ': > /var/log/apt-get-calls');
      const pb = join(dir, 'check-reads.yml');
      writeFileSync(pb, `- hosts: all\n  gather_facts: false\n  tasks:\n    - apt: { name: ${PKG} }\n    - stat: { path: ${path} }\n`);
      const r = await runJson([pb, '-i', info.inventoryPath, '--check']);
      t.is(r.code, 0, r.stderr);
      t.is(results(r).find((e) => e.task === 'apt')?.status, 'changed', 'the install is predicted');
      const calls = (await labOut(info, host, 'cat /var/log/apt-get-calls')).split('\n').filter(Boolean);
      t.log(`stat ${path}: ${r.ms} ms; apt-get calls: ${calls.map((c) => c.split(' ').find((w) => w === '-d' || w === '--print-uris' || w === '-s') ?? c).join(', ')}`);
      return calls;
    };
    const downloads = (calls: string[]) => calls.filter((c) => c.split(' ').includes('-d')).length;
    // The control first: it shows the wrapper sees the lookup.
    const absent = await check('/etc/tsplay-not-here.conf');
    t.true(downloads(absent) >= 1, 'a covered file the host lacks: the contents are looked up');
    const present = await check('/etc/hosts');
    t.is(downloads(present), 0, 'no contents lookup: /etc/hosts is on the host');
    t.is((await labOut(info, host, `dpkg-query -W -f '\${db:Status-Abbrev}' ${PKG} 2>/dev/null || true`)).trim(), '', 'the check installed nothing');
  });
}
