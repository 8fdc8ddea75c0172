// unarchive on this machine (local connection): the same sequence of tasks
// as a playbook run with Ansible 2.14 here (/tmp, a tar.gz of app/a.txt and
// app/sub/b.txt) gave changed = true, false, true (mode), false, true
// (remote_src with --strip-components=1, list_files ['', 'sub/', 'sub/b.txt',
// 'a.txt']), then creates: skipped. The expected values are Ansible's.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../engine/connection/local-connection.js';
import { Host } from '../../../engine/host/host.js';
import { validateModuleArgs } from '../../../engine/load/module-args.js';
import { loadRegistry } from '../../../engine/load/registry.js';
import type { ModuleDef } from '../../../engine/module-api.js';
import { executeSteps } from '../../../engine/run/steps.js';

const registry = await loadRegistry();
const root = mkdtempSync(join(tmpdir(), 'tsplay-unarchive-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'src/app/sub'), { recursive: true });
writeFileSync(join(root, 'src/app/a.txt'), 'hi\n');
writeFileSync(join(root, 'src/app/sub/b.txt'), 'x\n');
execFileSync('tar', ['czf', join(root, 'app.tgz'), '-C', join(root, 'src'), 'app']);
execFileSync('tar', ['cJf', join(root, 'app.txz'), '-C', join(root, 'src'), 'app']);
const dest = join(root, 'd1');
mkdirSync(dest);

const host = new Host(new LocalConnection(), { name: 'localhost' });
const ctx = {
  diff: false, render: (s: string) => s, readLocalFile: (p: string) => Promise.resolve(readFileSync(p)),
  facts: { hostname: 'l', os_id: 'debian', os_version: '12', architecture: 'x86_64', service_mgr: 'unknown', kvm: false, virtualization_hints: [] } as never,
};

async function unarchive(args: Record<string, unknown>, check = false): Promise<{ changed: boolean; result: Record<string, unknown> }> {
  const def = registry.get('unarchive') as ModuleDef;
  const a = structuredClone(args);
  const errors = validateModuleArgs(def, a);
  if (errors.length) throw new Error(JSON.stringify(errors));
  const plan = def.plan(a, await def.gather(a, host, ctx), ctx);
  if (plan.changed && !check) await executeSteps(plan.steps, host);
  return { changed: plan.changed, result: plan.result ?? {} };
}

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);

test.serial("Ansible's sequence: unpack, ok, mode, ok, remote_src with extra_opts and list_files, creates", async (t) => {
  const src = join(root, 'app.tgz');
  t.true((await unarchive({ src, dest }, true)).changed, 'check predicts the unpack');
  t.throws(() => statSync(join(dest, 'app')), undefined, 'check wrote nothing');
  t.true((await unarchive({ src, dest })).changed);
  t.is(readFileSync(join(dest, 'app/sub/b.txt'), 'utf8'), 'x\n');
  t.false((await unarchive({ src, dest })).changed);
  t.true((await unarchive({ src, dest, mode: '0750' })).changed);
  t.is(mode(join(dest, 'app')), '750');
  t.is(mode(join(dest, 'app/a.txt')), '750');
  t.false((await unarchive({ src, dest, mode: '0750' })).changed);
  const e = await unarchive({ src, dest, remote_src: true, extra_opts: ['--strip-components=1'], list_files: true });
  t.true(e.changed);
  t.deepEqual(e.result.files, ['', 'sub/', 'sub/b.txt', 'a.txt']);
  t.is(readFileSync(join(dest, 'a.txt'), 'utf8'), 'hi\n');
  const f = await unarchive({ src, dest, creates: join(dest, 'app') });
  t.false(f.changed);
  t.is(f.result.msg, `skipped, since ${join(dest, 'app')} exists`);
  t.is(f.result.skipped, true);
});

test.serial('xz from the controller; a changed member is unpacked again', async (t) => {
  const d = join(root, 'd2');
  mkdirSync(d);
  const src = join(root, 'app.txz');
  t.true((await unarchive({ src, dest: d })).changed);
  t.false((await unarchive({ src, dest: d })).changed);
  writeFileSync(join(d, 'app/a.txt'), 'changed locally\n');
  // tar compares whole seconds: within the archive's own second the edit would not show
  utimesSync(join(d, 'app/a.txt'), new Date(2001, 0, 1), new Date(2001, 0, 1));
  t.true((await unarchive({ src, dest: d })).changed, 'mod time differs');
  t.is(readFileSync(join(d, 'app/a.txt'), 'utf8'), 'hi\n');
});

test.serial('refusals: dest not a directory, extra_opts that run commands, a damaged zip', async (t) => {
  const src = join(root, 'app.tgz');
  await t.throwsAsync(unarchive({ src, dest: join(root, 'nope') }), { message: /Destination '.*nope' is not a directory/ });
  await t.throwsAsync(unarchive({ src, dest, extra_opts: ['--to-command=id'] }), { message: /extra_opts "--to-command=id" is refused/ });
  execFileSync('zip', ['-qr', join(root, 'ok.zip'), 'app'], { cwd: join(root, 'src') });
  await t.throwsAsync(unarchive({ src: join(root, 'ok.zip'), dest, extra_opts: ['-d', '/etc'] }), { message: /extra_opts "-d" is refused for a zip/ });
  await t.throwsAsync(unarchive({ src: join(root, 'ok.zip'), dest, extra_opts: ['-qZ'] }), { message: /extra_opts "-qZ" is refused for a zip/ });
  writeFileSync(join(root, 'a.zip'), Buffer.from('PK\x03\x04rest', 'latin1'));
  await t.throwsAsync(unarchive({ src: join(root, 'a.zip'), dest }), { message: /^Failed to find handler for ".*a\.zip"\. Make sure the required command to extract the file is installed\.\nCommand "\/usr\/bin\/unzip" could not handle archive: / });
});

test.serial('remote_src with --strip-components twice: changed, then ok (Ansible 2.14: true, false)', async (t) => {
  const d = join(root, 'd3');
  mkdirSync(d);
  const src = join(root, 'app.tgz');
  const args = { src, dest: d, remote_src: true, extra_opts: ['--strip-components=1'] };
  t.true((await unarchive(args)).changed);
  t.false((await unarchive(args)).changed);
  t.is(readFileSync(join(d, 'sub/b.txt'), 'utf8'), 'x\n');
});
