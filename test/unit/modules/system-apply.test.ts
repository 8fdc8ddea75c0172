// The system modules' plans run by the step executor (engine/run/steps.ts) against
// a scripted fake HostWriter: what runs, in which order, and how failures are reported.
import test from 'ava';
import type { ChangePlan, Facts, HostWriter, RunResult, WriteFileOptions } from '../../../engine/module-api.js';
import { ModuleError } from '../../../engine/module-api.js';
import { executeSteps } from '../../../engine/run/steps.js';
import type { Fact } from '../../../engine/facts/fact.js';
import { fileContent } from '../../../engine/facts/file.js';
import mount from '../../../modules/mount.js';
import command from '../../../modules/command.js';
import shell from '../../../modules/shell.js';
import usermod from '../../../modules/usermod.js';
import chownFind from '../../../modules/chown_find.js';

type Call = { exec: string[]; stdin?: string; cwd?: string } | { write: string; content: string; opts?: WriteFileOptions } | { run: string[] } | { read: string };

/** files: what the file_content fact answers (path -> content); writes are recorded as UTF-8 text. */
function fakeHost(answers: (argv: string[]) => RunResult, files: Record<string, Buffer> = {}) {
  const calls: Call[] = [];
  const host = {
    name: 'node1',
    async exec(argv: string[], opts?: { stdin?: string; cwd?: string }) {
      calls.push({ exec: argv, ...(opts?.stdin !== undefined ? { stdin: opts.stdin } : {}), ...(opts?.cwd ? { cwd: opts.cwd } : {}) });
      return answers(argv);
    },
    async run(argv: string[]) {
      calls.push({ run: argv });
      return answers(argv);
    },
    async writeFile(path: string, content: string | Buffer, opts?: WriteFileOptions) {
      calls.push({ write: path, content: content.toString(), ...(opts && Object.keys(opts).length ? { opts } : {}) });
      return {};
    },
    async get(fact: Fact<string, unknown>, path: string) {
      if (fact !== fileContent) throw new Error(`fake host: no fact ${fact.name}`);
      calls.push({ read: path });
      const content = files[path];
      return content ? { path, exists: true, type: 'file', content } : { path, exists: false };
    },
  } as unknown as HostWriter;
  return { host, calls };
}

const ok: RunResult = { rc: 0, stdout: '', stderr: '' };
const ctx = { diff: false, facts: { service_mgr: 'systemd' } as Facts };

/** What the engine does outside --check: the plan's result, then what the steps add. */
async function apply(plan: ChangePlan, host: HostWriter) {
  return { ...plan.result, ...(await executeSteps(plan.steps, host)).result };
}

test('mount: a failing mount puts the old fstab back and fails with mount\'s stderr', async (t) => {
  const plan = mount.plan(
    { path: '/mnt/x', src: 'srv:/x', fstype: 'nfs4', state: 'mounted', dump: '0', passno: '0', fstab: '/etc/fstab', allow_nonempty: false, backup: false, boot: true },
    { fstab: { exists: true, content: Buffer.from('# old\n') }, mounts: [], mountPoint: { exists: false, missing: ['/mnt/x'] } }, ctx) as ChangePlan;
  const { host, calls } = fakeHost((argv) => (argv[0] === 'mount' ? { rc: 32, stdout: '', stderr: 'mount.nfs: No such device\n' } : ok), { '/etc/fstab': Buffer.from('# old\n') });
  const err = await t.throwsAsync(apply(plan, host), { instanceOf: ModuleError });
  t.is(err.message, 'mount -- /mnt/x exited with rc 32: mount.nfs: No such device; undone: rmdir -- /mnt/x; /etc/fstab restored to its previous content');
  t.like((err).details, { cmd: ['mount', '--', '/mnt/x'], rc: 32, stderr: 'mount.nfs: No such device' });
  t.deepEqual(calls, [
    // compare-and-swap: the write expects the fstab that was read (sha256 of '# old\n')
    { write: '/etc/fstab', content: '# old\nsrv:/x /mnt/x nfs4 defaults 0 0\n', opts: { expect: { sha256: '51b504a673e6f1060fcf27c4f9b7908f1a51646255dcdfadbef91d7a03e1d5a6' } } },
    { exec: ['mkdir', '-p', '--', '/mnt/x'] },
    { exec: ['mount', '--', '/mnt/x'] },
    // the undos, latest first: the mount point mkdir made (Ansible removes it too), then
    // the old fstab bytes, only over what the task wrote (sha256 of the new fstab)
    { exec: ['rmdir', '--', '/mnt/x'] },
    { write: '/etc/fstab', content: '# old\n', opts: { expect: { sha256: '196e580cff9de287d94b2c3a578f41c36edbfa0856a24cc64214d0de6d9f24e6' } } },
  ]);
});

test('mount: success runs write, mkdir, mount in order', async (t) => {
  const plan = mount.plan(
    { path: '/mnt/x', src: 'srv:/x', fstype: 'nfs4', state: 'mounted', dump: '0', passno: '0', fstab: '/etc/fstab', allow_nonempty: false, backup: true, boot: true },
    { fstab: { exists: true, content: Buffer.alloc(0) }, mounts: [], mountPoint: { exists: false } }, ctx) as ChangePlan;
  const { host, calls } = fakeHost(() => ok);
  await apply(plan, host);
  t.deepEqual(calls.map((c) => ('exec' in c ? c.exec.join(' ') : 'write' in c ? `write ${c.write} ${JSON.stringify(c.opts)}` : 'read' in c ? `read ${c.read}` : '')),
    ['write /etc/fstab {"backup":true,"expect":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}', 'mkdir -p -- /mnt/x', 'mount -- /mnt/x']);
});

test('command: returns rc/stdout/stderr; a non-zero rc fails with them in the details', async (t) => {
  const plan = command.plan({ cmd: "printf '%s' 'a b'", chdir: '/tmp', stdin: 'in', stdin_add_newline: true }, {}, ctx) as ChangePlan;
  const good = fakeHost(() => ({ rc: 0, stdout: 'a b\nc\n', stderr: '' }));
  const res = await apply(plan, good.host);
  t.deepEqual(good.calls, [{ exec: ['printf', '%s', 'a b'], stdin: 'in\n', cwd: '/tmp' }]);
  t.like(res, { rc: 0, stdout: 'a b\nc', stderr: '', stdout_lines: ['a b', 'c'], stderr_lines: [], cmd: ['printf', '%s', 'a b'] });

  const bad = fakeHost(() => ({ rc: 2, stdout: 'partial\n', stderr: 'ls: cannot access x\n' }));
  const err = await t.throwsAsync(apply(shell.plan({ cmd: 'ls x', stdin_add_newline: true, executable: '/bin/sh' }, {}, ctx) as ChangePlan, bad.host), { instanceOf: ModuleError });
  t.is(err.message, "/bin/sh -c 'ls x' exited with rc 2: ls: cannot access x");
  t.like((err).details, { rc: 2, stdout: 'partial', stderr: 'ls: cannot access x' });
});

test('usermod: rc 8 is explained by naming the processes of the old uid', async (t) => {
  const plan = usermod.plan({ name: 'nova', uid: 111 },
    { user: { name: 'nova', exists: true, uid: 107, gid: 113 }, uidOwner: null }, ctx) as ChangePlan;
  const { host, calls } = fakeHost((argv) => argv[0] === 'usermod'
    ? { rc: 8, stdout: '', stderr: 'usermod: user nova is currently used by process 4242\n' }
    : { rc: 0, stdout: ' 4242 nova-compute\n 4300 sleep\n', stderr: '' });
  const err = await t.throwsAsync(apply(plan, host), { instanceOf: ModuleError });
  t.is(err.message, 'cannot change nova: the user is running processes (4242 nova-compute, 4300 sleep); stop them (their services) first');
  t.like((err).details, { cmd: ['usermod', '-u', '111', '--', 'nova'], rc: 8, explanation: ['4242 nova-compute', '4300 sleep'] });
  t.deepEqual(calls, [{ exec: ['usermod', '-u', '111', '--', 'nova'] }, { run: ['ps', '-o', 'pid=,comm=', '-u', '107'] }]);
});

test('usermod: success returns the old and new IDs', async (t) => {
  const plan = usermod.plan({ name: 'nova', uid: 111 },
    { user: { name: 'nova', exists: true, uid: 107, gid: 113 }, uidOwner: null }, ctx) as ChangePlan;
  const { host } = fakeHost(() => ok);
  t.like(await apply(plan, host), { name: 'nova', old_uid: 107, old_gid: 113, uid: 111, gid: 113 });
});

test('chown_find: the log is written (timestamped, 0600) before the first chown', async (t) => {
  const plan = chownFind.plan({ old_uid: 107, new_uid: 111, paths: '/', cross_filesystems: false, log_dir: '/var/log/tsplay', list_limit: 20 },
    { ids: [{ old_uid: 107, new_uid: 111 }], unresolved: [], missing: [], networkMounts: [],
      find: { argv: [], rc: 0, stdout: '107 113 644 /var/lib/nova\0', stderr: '' } }, ctx) as ChangePlan;
  const { host, calls } = fakeHost(() => ok);
  const res = await apply(plan, host);
  t.regex(res.log as string, /^\/var\/log\/tsplay\/chown_find-\d{8}T\d{6}\.\d{3}Z\.log$/);
  t.deepEqual(calls.map((c) => ('exec' in c ? c.exec.join(' ') : 'write' in c ? `write ${c.write} ${c.opts?.mode}` : '')),
    ['mkdir -p -- /var/log/tsplay', `write ${res.log as string} 0600`, 'chown -h -- 111 /var/lib/nova']);
  t.is(res.count, 1);
});
