// The git module on real lab hosts (lab "mgit", 2 hosts). Git is not in the lab
// base, so:
//   - first, without git: a git task fails on both hosts with Ansible's message,
//     word for word (ansible-playbook on host 1, tsplay on host 2);
//   - git is then installed with apt from the lab's proxy on both hosts; host 1
//     holds a bare repository (/srv/app.git: main, a tag v1, a branch dev) and
//     host 2 a key that host 1's root accepts;
//   - through tsplay, host 2 clones over ssh across the lab bridge (key_file,
//     accept_newhostkey): HEAD, the tag with depth 1, the branch, a bare mirror
//     (and a second task on the first checkout, which must see the first's
//     prediction): --check predicts exactly the (host, task) pairs the run
//     changes, the run changes, a rerun changes nothing; the checkouts are
//     checked over plain ssh; then a new commit on host 1: --check predicts the
//     update of the HEAD and branch checkouts, the run makes it, a rerun is ok;
//   - against Ansible: the same playbook (host 1 and host 2 both clone from host
//     1 over ssh) run by ansible-playbook on host 1 and tsplay on host 2, the end
//     states compared (test/helpers/ansible-compare.ts), both idempotent.
// Runs whenever this machine can host a lab (labGate).

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp, type LabInfo } from '../../engine/lab/index.js';
import type { HostResultEvent } from '../../engine/report/events.js';
import { ansibleMissing, compareCase, formatResult, PREPARED_PACKAGES, prepareHost, runAnsible } from '../helpers/ansible-compare.js';
import { changedPairs, labOut, runJson, type CliRun } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the git lab tests');
const LAB = 'mgit';

const results = (r: CliRun): HostResultEvent[] => r.events.filter((e): e is HostResultEvent => e.kind === 'host_result');
const failures = (r: CliRun): string =>
  results(r).filter((e) => e.status === 'failed' || e.status === 'unreachable').map((e) => `${e.host} ${e.task}: ${e.msg}`).join('\n') +
  (r.code !== 0 ? `\nexit ${r.code}; stderr: ${r.stderr.slice(-1500)}` : '');

// Fixed authors and dates: the commits have the same SHAs wherever they are made.
const GIT_ENV = "export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@lab.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@lab.invalid GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z HOME=/root";

if (canHost) {
  let info: LabInfo;
  let dir: string;
  let h1: string;
  let h2: string;
  let addr1: string;

  test.before(async () => {
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 2 , packages: PREPARED_PACKAGES });
    dir = mkdtempSync(join(tmpdir(), 'tsplay-mgit-'));
    [h1, h2] = info.hosts.map((h) => h.name);
    addr1 = info.hosts[0].address;
  });

  test.after.always(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  const noAnsible = ansibleMissing();

  test.serial('without git: the task fails with Ansible\'s message (ansible on host 1, tsplay on host 2)', async (t) => {
    t.timeout(15 * 60_000);
    if (noAnsible !== undefined) return t.fail(`missing ${noAnsible}`);
    await Promise.all(info.hosts.map((h) => prepareHost(info, h.name)));
    for (const h of info.hosts) t.is((await labOut(info, h.name, 'command -v git || echo none')).trim(), 'none', `${h.name}: git is not in the lab base`);
    const pb = join(dir, 'nogit.yml');
    writeFileSync(pb, '- hosts: all\n  gather_facts: false\n  tasks:\n    - git: { repo: /srv/none.git, dest: /opt/none }\n');
    const a = await runAnsible(info, h1, pb);
    // Ansible prints the result as JSON: the quotes around git are escaped there.
    const m = /(Failed to find required executable \\?"git\\?" in paths: [^"\s]*)/.exec(a.output);
    t.truthy(m, a.output.slice(-1500));
    const r = await runJson([pb, '-i', info.inventoryPath, '-l', h2]);
    t.is(r.code, 2);
    const msg = results(r).find((e) => e.host === h2)?.msg ?? '';
    t.is(msg, m![1].replaceAll('\\"', '"'));
  });

  test.serial('git over ssh between lab hosts: --check predicts the run, the run changes, a rerun changes nothing; an update after a new commit', async (t) => {
    t.timeout(15 * 60_000);
    await Promise.all(info.hosts.map((h) => labOut(info, h.name, 'export DEBIAN_FRONTEND=noninteractive; apt-get -q -y install git >/dev/null && git --version')));
    // Host 1: the repository; host 2: a key host 1's root accepts.
    await labOut(info, h1, [
      GIT_ENV, 'rm -rf /srv/app.git /srv/work', 'git init -q --bare -b main /srv/app.git', 'git init -q -b main /srv/work', 'cd /srv/work',
      'printf "one\\n" > a && printf "#!/bin/sh\\n" > run.sh && chmod 755 run.sh && git add -A && git commit -qm one && git tag v1',
      'git checkout -q -b dev && printf "dev\\n" > d && git add d && git commit -qm dev && git checkout -q main',
      'printf "two\\n" > b && git add b && git commit -qm two && git push -q --tags /srv/app.git main dev',
    ].join(' && '));
    await labOut(info, h2, 'mkdir -p /root/.ssh && rm -f /root/.ssh/gitkey* && ssh-keygen -q -t ed25519 -N "" -C mgit -f /root/.ssh/gitkey');
    const pub = (await labOut(info, h2, 'cat /root/.ssh/gitkey.pub')).trim();
    await labOut(info, h1, `printf '%s\\n' '${pub}' >> /root/.ssh/authorized_keys`);
    const sha = async (ref: string) => (await labOut(info, h1, `git -C /srv/app.git rev-parse ${ref}`)).trim();

    const repo = `root@${addr1}:/srv/app.git`;
    const ssh = 'key_file: /root/.ssh/gitkey, accept_newhostkey: true';
    const pb = join(dir, 'git.yml');
    writeFileSync(pb, [
      `- hosts: ${h2}`,
      '  gather_facts: false',
      '  tasks:',
      '    - name: clone HEAD',
      `      ansible.builtin.git: { repo: "${repo}", dest: /opt/app, ${ssh} }`,
      '    - name: same checkout again',
      `      git: { repo: "${repo}", dest: /opt/app, ${ssh} }`,
      '    - name: tag with depth 1',
      `      git: { repo: "${repo}", dest: /opt/app-v1, version: v1, depth: 1, ${ssh} }`,
      '    - name: branch',
      `      git: { repo: "${repo}", dest: /opt/app-dev, version: dev, ${ssh} }`,
      '    - name: bare mirror',
      `      git: { repo: "${repo}", dest: /srv/mirror.git, bare: true, ${ssh} }`,
      '    - name: the checkout is there for a later task',
      '      stat: { path: /opt/app }',
      '      register: s',
      '    - assert: { that: [s.stat.exists, s.stat.isdir] }',
      '',
    ].join('\n'));
    const inv = info.inventoryPath;
    const check = await runJson([pb, '-i', inv, '--check']);
    t.is(check.code, 0, failures(check));
    const real = await runJson([pb, '-i', inv]);
    t.is(real.code, 0, failures(real));
    const rerun = await runJson([pb, '-i', inv]);
    t.is(rerun.code, 0, failures(rerun));
    const expected = ['clone HEAD', 'tag with depth 1', 'branch', 'bare mirror'].map((task) => `${h2} | ${task}`).sort();
    t.deepEqual(changedPairs(check), expected, 'check predicts the real run');
    t.deepEqual(changedPairs(real), expected);
    t.deepEqual(changedPairs(rerun), [], 'a second run changes nothing');
    const main1 = await sha('main');
    const first = results(real).find((e) => e.task === 'clone HEAD');
    t.like(first?.result, { before: null, after: main1 });

    const on2 = (cmd: string) => labOut(info, h2, cmd).then((s) => s.trim());
    t.is(await on2('git -C /opt/app rev-parse HEAD'), main1);
    t.is(await on2('git -C /opt/app symbolic-ref --short HEAD'), 'main');
    t.is(await on2('git -C /opt/app config --get remote.origin.url'), repo);
    t.is(await on2('stat -c %a /opt/app/run.sh'), '755');
    t.is(await on2('git -C /opt/app-v1 rev-parse HEAD'), await sha('v1'));
    t.is(await on2('git -C /opt/app-v1 rev-parse --is-shallow-repository'), 'true');
    t.is(await on2('git -C /opt/app-dev rev-parse HEAD'), await sha('dev'));
    t.is(await on2('git -C /opt/app-dev symbolic-ref --short HEAD'), 'dev');
    t.is(await on2('git -C /srv/mirror.git rev-parse --is-bare-repository'), 'true');

    // A new commit on host 1's main: the HEAD checkout and the mirror move; the tag and the branch do not.
    await labOut(info, h1, `${GIT_ENV} && cd /srv/work && printf "three\\n" > c && git add c && git commit -qm three && git push -q /srv/app.git main`);
    const main2 = await sha('main');
    t.not(main2, main1);
    const check2 = await runJson([pb, '-i', inv, '--check']);
    t.is(check2.code, 0, failures(check2));
    const real2 = await runJson([pb, '-i', inv]);
    t.is(real2.code, 0, failures(real2));
    const rerun2 = await runJson([pb, '-i', inv]);
    t.is(rerun2.code, 0, failures(rerun2));
    const moved = ['clone HEAD', 'bare mirror'].map((task) => `${h2} | ${task}`).sort();
    t.deepEqual(changedPairs(check2), moved, 'check predicts the update');
    t.deepEqual(changedPairs(real2), moved);
    t.deepEqual(changedPairs(rerun2), []);
    t.like(results(real2).find((e) => e.task === 'clone HEAD')?.result, { before: main1, after: main2 });
    t.is(await on2('git -C /opt/app rev-parse HEAD'), main2);
    t.is(await on2('cat /opt/app/c'), 'three');
    t.is(await on2('git -C /srv/mirror.git rev-parse main'), main2);
  });

  test.serial('the same clone over ssh with Ansible (host 1) and tsplay (host 2): the same end state, both idempotent', async (t) => {
    t.timeout(15 * 60_000);
    if (noAnsible !== undefined) return t.fail(`missing ${noAnsible}`);
    // Host 1 clones from itself over ssh: its own key, accepted by itself. Both reach it as `gitsrv`
    // (the comparison replaces a host's own address in its files, so the URL must not hold it).
    await labOut(info, h1, 'mkdir -p /root/.ssh && rm -f /root/.ssh/gitkey* && ssh-keygen -q -t ed25519 -N "" -C mgit1 -f /root/.ssh/gitkey && cat /root/.ssh/gitkey.pub >> /root/.ssh/authorized_keys');
    for (const h of [h1, h2]) await labOut(info, h, `grep -q " gitsrv$" /etc/hosts || echo "${addr1} gitsrv" >> /etc/hosts`);
    const pb = join(dir, 'compare.yml');
    writeFileSync(pb, [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      `    - git: { repo: "root@gitsrv:/srv/app.git", dest: /opt/cmp, version: dev, key_file: /root/.ssh/gitkey, accept_hostkey: true }`,
      `    - git: { repo: "root@gitsrv:/srv/app.git", dest: /opt/cmp-tag, version: v1, key_file: /root/.ssh/gitkey, accept_hostkey: true }`,
      '',
    ].join('\n'));
    const r = await compareCase(info, 'git', pb, { ansibleHost: h1, tsplayHost: h2, log: (l) => t.log(l) });
    t.log(formatResult(r));
    t.true(r.ansibleOk, r.ansible1.output.slice(-2000));
    t.is(r.ansible1.changed, 2);
    t.true(r.ansibleIdempotent);
    t.true(r.tsplayOk, r.tsplay1.output.slice(-2000));
    t.is(r.tsplay1.changed, 2);
    t.true(r.tsplayIdempotent);
    // .git internals (index, logs, packs, FETCH_HEAD) hold timestamps and random names: config and HEAD are
    // compared, the rest through git below; known_hosts entries are hashed with a random salt (Debian's HashKnownHosts).
    const real = r.differences.filter((d) => !/\/\.git\/(?!config$|HEAD$)/.test(d.what) && d.what !== '/root/.ssh/known_hosts');
    t.log(r.differences.map((d) => d.what).join('\n'));
    t.deepEqual(real, []);
    for (const h of [h1, h2]) {
      t.is((await labOut(info, h, 'git -C /opt/cmp symbolic-ref --short HEAD')).trim(), 'dev', h);
      t.is((await labOut(info, h, 'git -C /opt/cmp rev-parse HEAD')).trim(), (await labOut(info, h1, 'git -C /srv/app.git rev-parse dev')).trim(), h);
      t.is((await labOut(info, h, 'git -C /opt/cmp config --get remote.origin.url')).trim(), 'root@gitsrv:/srv/app.git', h);
      t.is((await labOut(info, h, 'git -C /opt/cmp-tag rev-parse HEAD')).trim(), (await labOut(info, h1, 'git -C /srv/app.git rev-parse v1^{commit}')).trim(), h);
    }
  });
}
