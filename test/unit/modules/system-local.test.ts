// gather -> plan -> apply -> gather -> plan for the system modules on this
// machine, through the local connection and the real Host: what was applied is
// what the plan said, and the second plan is a no-op. Everything stays inside a
// temporary directory (mount uses its own fstab file and a tmpfs).

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../engine/connection/local-connection.js';
import { Host } from '../../../engine/host/host.js';
import type { ModuleContext, ModuleDef, ModuleError } from '../../../engine/module-api.js';
import { validateModuleArgs } from '../../../engine/load/module-args.js';
import { executeSteps } from '../../../engine/run/steps.js';
import command from '../../../modules/command.js';
import shell from '../../../modules/shell.js';
import stat from '../../../modules/stat.js';
import getent from '../../../modules/getent.js';
import waitFor from '../../../modules/wait_for.js';
import chownFind from '../../../modules/chown_find.js';
import mount from '../../../modules/mount.js';

/** The error a run fails with (the test fails if it does not fail). */
async function failure(p: Promise<unknown>): Promise<ModuleError> {
  try {
    await p;
  } catch (e) {
    return e as ModuleError;
  }
  throw new Error('expected the run to fail');
}

const host = new Host(new LocalConnection(), { name: 'localhost' });
const dir = mkdtempSync(join(tmpdir(), 'tsplay-system-'));
const mnt = join(dir, 'mnt point');
test.after.always(() => {
  try { execFileSync('umount', [mnt], { stdio: 'ignore' }); } catch { /* not mounted */ }
  rmSync(dir, { recursive: true, force: true });
});

const ctx: ModuleContext = {
  diff: true, facts: host.facts, render: (s) => s, readLocalFile: async () => Buffer.alloc(0),
};

async function run(mod: ModuleDef, rawArgs: Record<string, unknown>) {
  const args = structuredClone(rawArgs);
  const errors = validateModuleArgs(mod, args);
  if (errors.length) throw new Error(JSON.stringify(errors));
  const plan = mod.plan(args, await mod.gather(args, host, ctx), ctx);
  // what the engine does outside --check: the executor runs the plan's steps (no module overrides apply)
  const applied = plan.changed ? { ...plan.result, ...(await executeSteps(plan.steps, host)).result } : undefined;
  const args2 = structuredClone(rawArgs);
  validateModuleArgs(mod, args2);
  let again: Record<string, unknown>;
  try {
    again = mod.plan(args2, await mod.gather(args2, host, ctx), ctx) as unknown as Record<string, unknown>;
  } catch (e) {
    again = { error: (e as Error).message };
  }
  return { plan, applied, again };
}

const NASTY = `a'b"c $(touch ${dir}/pwned); \`id\` \\ * ~\nline2`;

test.serial('command and shell: arguments arrive literally; rc/stdout returned; creates makes the second run a no-op', async (t) => {
  const r = await run(command, { argv: ['printf', '%s', NASTY] });
  t.is((r.applied as { stdout: string }).stdout, NASTY);
  t.false(existsSync(join(dir, 'pwned')));
  const quoted = await run(command, { cmd: `printf '%s|%s' 'a;b' "$(x)"` });
  t.is((quoted.applied as { stdout: string }).stdout, 'a;b|$(x)');
  const target = join(dir, 'made');
  const s = await run(shell, { cmd: 'cat; pwd >&2', creates: 'made', stdin: NASTY, stdin_add_newline: false, chdir: dir });
  t.true(s.plan.changed);
  t.is((s.applied as { stderr: string }).stderr, dir);
  t.is((s.applied as { stdout: string }).stdout, NASTY);
  const s2 = await run(shell, { cmd: `touch ${target}`, creates: target });
  t.true(s2.plan.changed);
  t.deepEqual(s2.again, { changed: false, reason: `not run: ${target} exists`, result: { cmd: ['/bin/sh', '-c', `touch ${target}`], rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] } });
  const fail = await failure(run(command, { argv: ['ls', join(dir, 'nope')] }));
  t.regex(fail.message, /^ls .*nope exited with rc 2: ls: cannot access/);
  t.is(fail.details.rc, 2);
});

test.serial('stat and getent read the real host', async (t) => {
  const f = join(dir, 'statme');
  writeFileSync(f, 'hello');
  chmodSync(f, 0o640);
  const r = await run(stat, { path: f });
  t.false(r.plan.changed);
  t.like((r.plan.result as { stat: object }).stat, { exists: true, isreg: true, islnk: false, mode: '0640', size: 5, uid: 0, pw_name: 'root' });
  const g = await run(getent, { database: 'passwd', key: 'root' });
  t.like(g.plan.result, { uid: 0, gid: 0, name: 'root' });
  t.deepEqual(((g.plan.result as { ansible_facts: { getent_passwd: Record<string, string[]> } }).ansible_facts.getent_passwd.root).slice(0, 3), ['x', '0', '0']);
  const byId = await run(getent, { database: 'group', key: 0 });
  t.like(byId.plan.result, { name: 'root', gid: 0 });
  const missing = await run(getent, { database: 'passwd', key: 'no-such-user-tsplay', fail_key: false });
  t.is((missing.plan as { reason: string }).reason, 'no-such-user-tsplay not found in passwd (fail_key: false)');
});

test.serial('wait_for sees a listening port from the host', async (t) => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((res) => server.once('listening', res));
  const port = (server.address() as AddressInfo).port;
  try {
    const r = await run(waitFor, { port, timeout: 5 });
    t.false(r.plan.changed);
    t.regex((r.plan as { reason: string }).reason, new RegExp(`^127\\.0\\.0\\.1:${port} is open \\(after [0-9.]+s\\)$`));
  } finally {
    server.close();
  }
  const closed = await failure(run(waitFor, { port, timeout: 1, sleep: 0.2 }));
  t.is(closed.message, `timed out after 1s waiting for 127.0.0.1:${port} to be open`);
});

test.serial('chown_find re-owns exactly the old IDs\' files, keeps setgid, never follows links, logs, then finds nothing', async (t) => {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'sub dir'), { recursive: true });
  const files = { both: join(tree, 'sub dir', 'both'), uidOnly: join(tree, 'uid-only'), gidOnly: join(tree, 'gid;$(id)'), other: join(tree, 'other'), sgid: join(tree, 'sgid') };
  for (const p of Object.values(files)) writeFileSync(p, 'x');
  chownSync(tree, 54321, 54322);
  chownSync(join(tree, 'sub dir'), 0, 0);
  chownSync(files.both, 54321, 54322);
  chownSync(files.uidOnly, 54321, 0);
  chownSync(files.gidOnly, 0, 54322);
  chownSync(files.other, 999, 999);
  chownSync(files.sgid, 0, 54322);
  chmodSync(files.sgid, 0o2755);
  const link = join(tree, 'link');
  symlinkSync(files.other, link);
  lchownSync(link, 54321, 54322);

  const logDir = join(dir, 'logs');
  const r = await run(chownFind, { old_uid: 54321, new_uid: 54331, old_gid: '54322', new_gid: 54332, paths: [tree], log_dir: logDir });
  t.true(r.plan.changed);
  t.is((r.plan.result as { count: number }).count, 6);
  const own = (p: string) => { const s = lstatSync(p); return `${s.uid}:${s.gid}`; };
  t.is(own(tree), '54331:54332');
  t.is(own(join(tree, 'sub dir')), '0:0');
  t.is(own(files.both), '54331:54332');
  t.is(own(files.uidOnly), '54331:0');
  t.is(own(files.gidOnly), '0:54332');
  t.is(own(files.other), '999:999');
  t.is(own(link), '54331:54332');
  t.is(own(files.sgid), '0:54332');
  t.is(statSync(files.sgid).mode & 0o7777, 0o2755);
  const log = readFileSync((r.applied as { log: string }).log, 'utf8');
  t.true(log.includes(`${files.gidOnly}\t0:54322\t0:54332\n`));
  t.true(log.includes(`${link}\t54321:54322\t54331:54332\n`));
  t.is(statSync((r.applied as { log: string }).log).mode & 0o777, 0o600);
  t.false(r.again.changed);
  t.is((r.again as { reason: string }).reason, `no files under ${tree} to re-own (uid 54321 -> 54331, gid 54322 -> 54332)`);
});

test.serial('mount: tmpfs via its own fstab; refuses a non-empty dir; restores fstab on failure; unmounted; absent', async (t) => {
  const fstab = join(dir, 'fstab');
  writeFileSync(fstab, '# test fstab\nproc /proc proc defaults 0 0');
  mkdirSync(mnt);
  writeFileSync(join(mnt, 'instance-1'), 'x');
  const base = { path: mnt, src: 'tsplaytest', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted', fstab };
  const refused = await failure(run(mount, base));
  t.is(refused.message, `refusing to mount tsplaytest on ${mnt}: the directory is not empty and mounting would hide instance-1 (1 entry); move them away or set allow_nonempty: true`);
  rmSync(join(mnt, 'instance-1'));

  const bad = await failure(run(mount, { ...base, fstype: 'nosuchfs' }));
  t.regex(bad.message, /^mount -T .* exited with rc \d+: .*; .* restored to its previous content$/s);
  t.is(readFileSync(fstab, 'utf8'), '# test fstab\nproc /proc proc defaults 0 0');

  const r = await run(mount, base);
  t.true(r.plan.changed);
  t.is(readFileSync(fstab, 'utf8'), `# test fstab\nproc /proc proc defaults 0 0\ntsplaytest ${mnt.replace(' ', '\\040')} tmpfs size=1m 0 0\n`);
  t.true(readFileSync('/proc/self/mountinfo', 'utf8').includes(mnt.replace(' ', '\\040')));
  t.false(r.again.changed, JSON.stringify(r.again));

  const u = await run(mount, { path: mnt, state: 'unmounted', fstab });
  t.true(u.plan.changed);
  t.deepEqual(u.again, { changed: false, reason: `${mnt} is not mounted` });
  const a = await run(mount, { path: mnt, state: 'absent', fstab });
  t.is(readFileSync(fstab, 'utf8'), '# test fstab\nproc /proc proc defaults 0 0\n');
  t.false(a.again.changed);
});
