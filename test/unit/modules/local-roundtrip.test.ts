// gather -> plan -> apply -> gather -> plan on this machine through the local
// connection and the real Host: the applied change is what the plan said, and the
// second plan is a no-op (idempotency on a real filesystem, not only in fixtures).

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../engine/connection/local-connection.js';
import { Host } from '../../../engine/host/host.js';
import type { ModuleContext, ModuleDef } from '../../../engine/module-api.js';
import { validateModuleArgs } from '../../../engine/load/module-args.js';
import { executeSteps } from '../../../engine/run/steps.js';
import lineinfile from '../../../modules/lineinfile.js';
import iniFile from '../../../modules/ini_file.js';
import copy from '../../../modules/copy.js';
import template from '../../../modules/template.js';
import file from '../../../modules/file.js';

const host = new Host(new LocalConnection(), { name: 'localhost' });
const dir = mkdtempSync(join(tmpdir(), 'tsplay-files-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const ctx: ModuleContext = {
  diff: true, facts: host.facts,
  render: (t) => t.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, k: string) => ({ listen: '0.0.0.0' } as Record<string, string>)[k] ?? ''),
  readLocalFile: async (p) => readFileSync(join(dir, 'controller', p)),
};

async function run(mod: ModuleDef, rawArgs: Record<string, unknown>) {
  const args = structuredClone(rawArgs);
  const errors = validateModuleArgs(mod, args);
  if (errors.length) throw new Error(JSON.stringify(errors));
  const plan = mod.plan(args, await mod.gather(args, host, ctx), ctx);
  const applied = plan.changed ? (await executeSteps(plan.steps, host)).result : undefined;
  const again = mod.plan(structuredClone(rawArgs), await mod.gather(args, host, ctx), ctx);
  return { plan, applied, again };
}

test.serial('lineinfile: CRLF file, regexp replace, metacharacters written literally, then idempotent', async (t) => {
  const p = join(dir, 'libvirtd.conf');
  writeFileSync(p, '#listen_tcp = 1\r\nauth_tcp = "sasl"\r\nlast');
  const line = `auth_tcp = "none" # $(id) ; 'q' \`x\``;
  const r = await run(lineinfile, { path: p, regexp: '^\\s*#?\\s*auth_tcp\\s*=', line, backup: true });
  t.true(r.plan.changed);
  t.is(readFileSync(p, 'utf8'), `#listen_tcp = 1\r\n${line}\r\nlast`);
  t.false(r.again.changed, JSON.stringify(r.again));
  const backup = (r.applied as { backup_file?: string }).backup_file;
  t.truthy(backup);
  t.is(readFileSync(backup!, 'utf8'), '#listen_tcp = 1\r\nauth_tcp = "sasl"\r\nlast');
});

test.serial('lineinfile create with mode, then mode change only', async (t) => {
  const p = join(dir, 'exports');
  const r = await run(lineinfile, { path: p, line: '/srv 10.0.0.0/24(rw)', create: true, mode: '0600' });
  t.true(r.plan.changed);
  t.is(readFileSync(p, 'utf8'), '/srv 10.0.0.0/24(rw)\n');
  t.is(statSync(p).mode & 0o7777, 0o600);
  t.false(r.again.changed);
  const r2 = await run(lineinfile, { path: p, line: '/srv 10.0.0.0/24(rw)', mode: 'g+r,o+r' });
  t.deepEqual(r2.plan.changed && r2.plan.steps, [{ kind: 'run', argv: ['chmod', '--', '0644', p] }]);
  t.is(statSync(p).mode & 0o7777, 0o644);
  t.false(r2.again.changed);
});

test.serial('ini_file: section-less libvirtd.conf and a sectioned idmapd.conf without final newline', async (t) => {
  const lv = join(dir, 'libvirtd2.conf');
  writeFileSync(lv, '# comment\n#listen_tls = 0\n\n#auth_tcp = "sasl"\n');
  for (const [option, value] of [['listen_tls', '0'], ['auth_tcp', '"none"']]) {
    const r = await run(iniFile, { path: lv, section: null, option, value });
    t.true(r.plan.changed);
    t.false(r.again.changed);
  }
  t.is(readFileSync(lv, 'utf8'), '# comment\nlisten_tls = 0\n\nauth_tcp = "none"\n');
  const id = join(dir, 'idmapd.conf');
  writeFileSync(id, '[General]\nVerbosity = 0\n\n[Mapping]\nNobody-User = root');
  const r = await run(iniFile, { path: id, section: 'Mapping', option: 'Nobody-Group', value: 'nogroup' });
  t.true(r.plan.changed);
  t.false(r.again.changed);
  t.is(readFileSync(id, 'utf8'), '[General]\nVerbosity = 0\n\n[Mapping]\nNobody-User = root\nNobody-Group = nogroup\n');
});

test.serial('copy into a directory and template render, both idempotent', async (t) => {
  mkdirSync(join(dir, 'controller'), { recursive: true });
  writeFileSync(join(dir, 'controller', 'vnc.conf'), '[vnc]\nserver_listen = {{ listen }}\n');
  const dest = join(dir, 'etc');
  mkdirSync(dest);
  const c = await run(copy, { src: 'vnc.conf', dest, mode: 'u=rw,g=r,o=' });
  t.true(c.plan.changed);
  t.is(readFileSync(join(dest, 'vnc.conf'), 'utf8'), '[vnc]\nserver_listen = {{ listen }}\n');
  t.is(statSync(join(dest, 'vnc.conf')).mode & 0o7777, 0o640);
  t.false(c.again.changed);
  const tp = await run(template, { src: 'vnc.conf', dest: join(dest, 'rendered.conf') });
  t.true(tp.plan.changed);
  t.is(readFileSync(join(dest, 'rendered.conf'), 'utf8'), '[vnc]\nserver_listen = 0.0.0.0\n');
  t.false(tp.again.changed);
});

test.serial('file: directory with parents and symbolic mode, recurse with X, link, absent', async (t) => {
  const d = join(dir, 'nova', 'instances');
  const r = await run(file, { path: d, state: 'directory', mode: 'u=rwx,g=rx,o=' });
  t.true(r.plan.changed);
  t.is(statSync(d).mode & 0o7777, 0o750);
  t.false(r.again.changed);
  writeFileSync(join(d, 'disk'), 'x', { mode: 0o600 });
  writeFileSync(join(d, 'run.sh'), 'x', { mode: 0o700 });
  mkdirSync(join(d, '_base'), { mode: 0o700 });
  const ox = await run(file, { path: d, state: 'directory', recurse: true, mode: 'go+rX' });
  t.true(ox.plan.changed);
  t.is(statSync(join(d, 'disk')).mode & 0o7777, 0o644);
  t.is(statSync(join(d, 'run.sh')).mode & 0o7777, 0o755);
  t.is(statSync(join(d, '_base')).mode & 0o7777, 0o755);
  t.false(ox.again.changed, JSON.stringify(ox.again));
  const l = join(dir, 'link');
  const lr = await run(file, { path: l, state: 'link', src: d });
  t.true(lr.plan.changed);
  t.false(lr.again.changed);
  const gone = await run(file, { path: join(dir, 'nova'), state: 'absent' });
  t.true(gone.plan.changed);
  t.false(existsSync(join(dir, 'nova')));
  t.false(gone.again.changed);
  t.true(readdirSync(dir).includes('link'));
});
