// unarchive with zip archives on a real lab host (lab "unz", 1 host), through
// the tsplay CLI:
//   - the lab's base has no unzip: the task fails with Ansible's message and
//     nothing is unpacked;
//   - apt installs unzip, then a controller zip (owner/group/symbolic mode)
//     unpacks; then a remote zip (exclude, list_files) and a creates that its
//     members satisfy (--check sees them predicted): --check predicts exactly the
//     (host, task) pairs the real run changes, the run changes, a rerun changes
//     nothing; a member edited over ssh is seen by --check and put back by the run.
// Effects are checked over plain ssh. Ansible's own outcomes for the same kinds of
// cases are compared on this machine in test/unit/modules/unarchive-zip-vs-ansible.test.ts.
// Runs whenever this machine can host a lab (labGate).

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp, type LabInfo } from '../../engine/lab/index.js';
import type { HostResultEvent } from '../../engine/report/events.js';
import { changedPairs, labOut, runJson, type CliRun } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the unarchive zip lab tests');
const LAB = 'unz';

/** app/ (a.txt, sub/b.txt 0640, link -> a.txt), made with the zip command at a fixed time. */
function appZip(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-unz-src-'));
  try {
    mkdirSync(join(dir, 'app/sub'), { recursive: true });
    writeFileSync(join(dir, 'app/a.txt'), 'a\n');
    writeFileSync(join(dir, 'app/sub/b.txt'), 'b\n');
    execFileSync('chmod', ['640', join(dir, 'app/sub/b.txt')]);
    execFileSync('ln', ['-s', 'a.txt', join(dir, 'app/link')]);
    execFileSync('touch', ['-h', '-d', '2024-01-02 03:04:06', join(dir, 'app'), join(dir, 'app/a.txt'), join(dir, 'app/sub'), join(dir, 'app/sub/b.txt'), join(dir, 'app/link')]);
    // Into a file, not stdout: zip 3.0 needs a seekable output for entries it stores
    // (tiny files, links); on a pipe it fails 'zip -0 not supported for I/O on pipes'.
    execFileSync('zip', ['-qry', join(dir, 'app.zip'), 'app'], { cwd: dir });
    return readFileSync(join(dir, 'app.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = (r: CliRun): HostResultEvent[] => r.events.filter((e): e is HostResultEvent => e.kind === 'host_result');
const failures = (r: CliRun): string =>
  results(r).filter((e) => e.status === 'failed' || e.status === 'unreachable').map((e) => `${e.host} ${e.task}: ${e.msg}`).join('\n') +
  (r.code !== 0 ? `\nexit ${r.code}; stderr: ${r.stderr.slice(-1500)}` : '');

if (canHost) {
  let info: LabInfo;
  let dir: string;
  let host: string;
  const zip = appZip();

  test.before(async () => {
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 1 });
    host = info.hosts[0].name;
    dir = mkdtempSync(join(tmpdir(), 'tsplay-unz-'));
    mkdirSync(join(dir, 'files'));
    writeFileSync(join(dir, 'files/app.zip'), zip);
    await labOut(info, host, `mkdir -p /srv/z/d0 /srv/z/d1 /srv/z/d2 /srv/z/d3 && echo ${zip.toString('base64')} | base64 -d > /srv/z/app.zip`);
  });

  test.after.always(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial("without unzip on the host: Ansible's failure, nothing unpacked", async (t) => {
    t.is((await labOut(info, host, 'command -v unzip zipinfo; echo rc=$?')).trim(), 'rc=1', 'the lab base has no unzip');
    const pb = join(dir, 'nounzip.yml');
    writeFileSync(pb, '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: zip without unzip\n      unarchive: { src: files/app.zip, dest: /srv/z/d0 }\n');
    const r = await runJson([pb, '-i', info.inventoryPath]);
    t.is(r.code, 2, r.stderr.slice(-1000));
    const e = results(r).find((x) => x.task === 'zip without unzip');
    t.is(e?.status, 'failed');
    t.regex(e?.msg ?? '', /^Failed to find handler for "files\/app\.zip"\. Make sure the required command to extract the file is installed\.\nUnable to find required 'unzip' or 'zipinfo' binary in the path\./);
    t.is(await labOut(info, host, "ls -A /srv/z/d0; find /tmp -maxdepth 1 -name 'tmp.*'"), '', 'nothing unpacked, no temporary copy left');
  });

  const play = (name: string, tasks: string[]): string => {
    const pb = join(dir, name);
    writeFileSync(pb, ['- hosts: all', '  gather_facts: false', '  tasks:', ...tasks, ''].join('\n'));
    return pb;
  };
  /** --check, the real run, a rerun: --check predicts the run's changed pairs, the rerun changes nothing. */
  const threeRuns = async (t: import('ava').ExecutionContext, pb: string, expected: string[]) => {
    const inv = info.inventoryPath;
    const check = await runJson([pb, '-i', inv, '--check']);
    t.is(check.code, 0, failures(check));
    const t0 = Date.now();
    const real = await runJson([pb, '-i', inv]);
    t.log(`${pb.split('/').pop()}: real run ${Date.now() - t0} ms`);
    t.is(real.code, 0, failures(real));
    const rerun = await runJson([pb, '-i', inv]);
    t.is(rerun.code, 0, failures(rerun));
    t.deepEqual(changedPairs(real), expected.map((x) => `${host} | ${x}`).sort());
    t.deepEqual(changedPairs(check), changedPairs(real), '--check predicted exactly what the real run changed');
    t.deepEqual(changedPairs(rerun), [], 'the rerun changes nothing');
    return real;
  };

  test.serial('apt brings unzip, then a controller zip unpacks (owner, group, symbolic mode): --check predicts it, a rerun is a no-op', async (t) => {
    t.timeout(10 * 60_000);
    const pb = play('zip1.yml', [
      '    - name: unzip installed',
      '      apt: { name: unzip, state: present }',
      '    - name: controller zip',
      "      unarchive: { src: files/app.zip, dest: /srv/z/d1, owner: nobody, group: nogroup, mode: 'u=rwX,g=rX,o=' }",
    ]);
    await threeRuns(t, pb, ['unzip installed', 'controller zip']);
    const stat = (p: string) => labOut(info, host, `stat -c '%A %U:%G' ${p}`);
    t.is(await labOut(info, host, 'cat /srv/z/d1/app/a.txt /srv/z/d1/app/sub/b.txt; readlink /srv/z/d1/app/link'), 'a\nb\na.txt\n');
    t.is(await stat('/srv/z/d1/app /srv/z/d1/app/sub /srv/z/d1/app/a.txt /srv/z/d1/app/sub/b.txt'), 'drwxr-x--- nobody:nogroup\ndrwxr-x--- nobody:nogroup\n-rw-r----- nobody:nogroup\n-rw-r----- nobody:nogroup\n');
    t.is((await stat('/srv/z/d1/app/link')).trim(), 'lrwxrwxrwx nobody:nogroup');
  });

  test.serial('a remote zip (exclude, list_files) and a creates that its members satisfy; an edit over ssh is seen and put back', async (t) => {
    t.timeout(10 * 60_000);
    const pb = play('zip2.yml', [
      '    - name: remote zip',
      "      unarchive: { src: /srv/z/app.zip, dest: /srv/z/d2, remote_src: true, exclude: ['app/sub/*'], list_files: true }",
      '    - name: creates skips',
      '      unarchive: { src: files/app.zip, dest: /srv/z/d3, creates: /srv/z/d2/app/a.txt }',
    ]);
    const real = await threeRuns(t, pb, ['remote zip']);
    t.deepEqual(results(real).find((e) => e.task === 'remote zip')?.result?.files, ['app/', 'app/link', 'app/a.txt'], 'list_files: the names exclude leaves');
    t.like(results(real).find((e) => e.task === 'creates skips')?.result ?? {}, { skipped: true, msg: 'skipped, since /srv/z/d2/app/a.txt exists' });
    t.is(await labOut(info, host, 'find /srv/z/d2 | sort'), '/srv/z/d2\n/srv/z/d2/app\n/srv/z/d2/app/a.txt\n/srv/z/d2/app/link\n', 'exclude kept app/sub out');
    t.is(await labOut(info, host, 'ls -A /srv/z/d3'), '');

    await labOut(info, host, "printf 'edited\\n' > /srv/z/d2/app/a.txt");
    const check2 = await runJson([pb, '-i', info.inventoryPath, '--check']);
    const real2 = await runJson([pb, '-i', info.inventoryPath]);
    t.is(real2.code, 0, failures(real2));
    t.deepEqual(changedPairs(real2), [`${host} | remote zip`]);
    t.deepEqual(changedPairs(check2), changedPairs(real2));
    t.is(await labOut(info, host, 'cat /srv/z/d2/app/a.txt'), 'a\n');
  });
}
