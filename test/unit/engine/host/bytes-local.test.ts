// Bytes stay bytes (issue 8, item 3), end to end on this machine through the
// local connection and the real Host: reads return the exact bytes, writes put
// the exact bytes, copy of a binary is byte-identical and idempotent, text
// modules edit Latin-1 files without re-encoding anything and refuse binaries.

import test from 'ava';
import { sha256Hex } from '../../../../engine/host/content-hash.js';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { Host } from '../../../../engine/host/host.js';
import type { ModuleContext, ModuleDef } from '../../../../engine/module-api.js';
import { validateModuleArgs } from '../../../../engine/load/module-args.js';
import { Overlay } from '../../../../engine/host/overlay.js';
import { predictedReader } from '../../../../engine/facts/fact.js';
import { runModule } from '../../../../engine/run/task-exec.js';
import { executeSteps } from '../../../../engine/run/steps.js';
import { consoleReporter } from '../../../../engine/report/report.js';
import { runPlaybook } from '../../../helpers/run-playbook.js';
import lineinfile from '../../../../modules/lineinfile.js';
import iniFile from '../../../../modules/ini_file.js';
import copy from '../../../../modules/copy.js';
import template from '../../../../modules/template.js';
import { fileContent } from '../../../../engine/facts/file.js';

const host = new Host(new LocalConnection(), { name: 'localhost' });
const dir = mkdtempSync(join(tmpdir(), 'tsplay-bytes-'));
const controller = join(dir, 'controller');
mkdirSync(controller);
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const ctx: ModuleContext = {
  diff: true, facts: host.facts,
  render: (t) => t,
  readLocalFile: async (p) => readFileSync(join(controller, p)),
};


async function run(mod: ModuleDef, rawArgs: Record<string, unknown>) {
  const args = structuredClone(rawArgs);
  const errors = validateModuleArgs(mod, args);
  if (errors.length) throw new Error(JSON.stringify(errors));
  const plan = mod.plan(args, await mod.gather(args, host, ctx), ctx);
  if (plan.changed) await executeSteps(plan.steps, host);
  const again = mod.plan(structuredClone(rawArgs), await mod.gather(args, host, ctx), ctx);
  return { plan, again };
}

test('readFile returns the exact bytes of a binary file', async (t) => {
  const p = join(dir, 'random.bin');
  const data = randomBytes(65536);
  writeFileSync(p, data);
  const st = await host.get(fileContent, p);
  t.true(Buffer.isBuffer(st.content));
  t.is(st.content!.length, 65536);
  t.is(sha256Hex(st.content as Buffer), sha256Hex(data));
});

test('writeFile puts the exact bytes of a Buffer', async (t) => {
  const p = join(dir, 'written.bin');
  const data = Buffer.concat([randomBytes(4096), Buffer.from([0, 0xff, 0xfe, 0xe9, 0x0d, 0x0a])]);
  await host.writeFile(p, data);
  t.true(readFileSync(p).equals(data));
});

test('copy src of a 64 KiB random binary is byte-identical and the second run is ok', async (t) => {
  const data = randomBytes(65536);
  writeFileSync(join(controller, 'blob.bin'), data);
  const dest = join(dir, 'blob.bin');
  const r = await run(copy, { src: 'blob.bin', dest });
  t.true(r.plan.changed);
  const written = readFileSync(dest);
  t.is(written.length, 65536);
  t.is(sha256Hex(written), sha256Hex(data));
  t.false(r.again.changed, JSON.stringify(r.again));
});

test('copy content is written as UTF-8', async (t) => {
  const dest = join(dir, 'utf8.txt');
  const r = await run(copy, { content: 'café ✓\n', dest });
  t.true(r.plan.changed);
  t.true(readFileSync(dest).equals(Buffer.from('café ✓\n', 'utf8')));
  t.false(r.again.changed);
});

test('lineinfile on a Latin-1 file changes only the edited line and is idempotent', async (t) => {
  const p = join(dir, 'latin1.conf');
  const head = Buffer.from('# caf\xe9 cr\xe8me br\xfbl\xe9e\r\n', 'latin1');
  const tail = Buffer.from('name=Jos\xe9\nlast\xff', 'latin1');
  writeFileSync(p, Buffer.concat([head, Buffer.from('key=old\n'), tail]));
  const r = await run(lineinfile, { path: p, regexp: '^key=', line: 'key=new' });
  t.true(r.plan.changed);
  t.true(readFileSync(p).equals(Buffer.concat([head, Buffer.from('key=new\n'), tail])), readFileSync(p).toString('latin1'));
  t.false(r.again.changed, JSON.stringify(r.again));
});

test('lineinfile matches non-ASCII regexp and line as UTF-8 bytes, as Python re on bytes does', async (t) => {
  const p = join(dir, 'mixed.conf');
  const latin = Buffer.from('city=M\xfcnchen\n', 'latin1');
  writeFileSync(p, Buffer.concat([latin, Buffer.from('greeting=grüß\n', 'utf8')]));
  const r = await run(lineinfile, { path: p, regexp: '^greeting=grü', line: 'greeting=grüezi' });
  t.true(r.plan.changed);
  t.true(readFileSync(p).equals(Buffer.concat([latin, Buffer.from('greeting=grüezi\n', 'utf8')])));
  t.false(r.again.changed);
  // The Latin-1 ü (0xFC) is not the UTF-8 ü (C3 BC): no match, the line is added.
  const r2 = await run(lineinfile, { path: p, regexp: '^city=Mü', line: 'city=München' });
  t.true(r2.plan.changed);
  t.true(readFileSync(p).equals(Buffer.concat([latin, Buffer.from('greeting=grüezi\ncity=München\n', 'utf8')])));
});

// community.general's ini_file reads the file as UTF-8 and fails on any other bytes; so does tsplay's.
test('ini_file refuses a Latin-1 file, naming it, and leaves it byte-identical', async (t) => {
  const p = join(dir, 'latin1.ini');
  const before = Buffer.from('[s]\r\nname = Andr\xe9\r\n', 'latin1');
  writeFileSync(p, before);
  const e = await t.throwsAsync(run(iniFile, { path: p, section: 's', option: 'x', value: '1' }));
  t.true(e.message.includes(`${p} is not UTF-8 text`), e.message);
  t.true(readFileSync(p).equals(before));
});

test('lineinfile on an ELF binary fails naming the file and leaves it byte-identical', async (t) => {
  const p = join(dir, 'true.elf');
  copyFileSync('/bin/true', p);
  const before = readFileSync(p);
  const e = await t.throwsAsync(run(lineinfile, { path: p, line: 'x=1' }));
  t.regex(e.message, /binary/);
  t.true(e.message.includes(p), e.message);
  t.true(readFileSync(p).equals(before));
});

test('template: a source that is not UTF-8 fails naming the file', async (t) => {
  writeFileSync(join(controller, 'latin1.j2'), Buffer.from('caf\xe9 {{ x }}\n', 'latin1'));
  const e = await t.throwsAsync(run(template, { src: 'latin1.j2', dest: join(dir, 't.out') }));
  t.regex(e.message, /UTF-8/);
  t.true(e.message.includes('latin1.j2'), e.message);
});

test('check mode: a predicted binary copy is seen byte-exact by a later task, with a binary diff marker', async (t) => {
  const data = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), randomBytes(1000)]);
  writeFileSync(join(controller, 'pred.bin'), data);
  const dest = join(dir, 'pred.bin');
  const overlay = new Overlay();
  const out = await runModule(copy, { src: 'pred.bin', dest, force: true, backup: false }, host, { check: true, overlay, ctx });
  t.is(out.status, 'changed');
  t.true(out.diff?.[0].afterBinary, JSON.stringify(out.diff?.[0]).slice(0, 200));
  const seen = await predictedReader(host, overlay).get(fileContent, dest);
  t.true(Buffer.isBuffer(seen.content) && seen.content.equals(data));
  t.is(seen.size, data.length);
});

test('playbook: copy src of a binary twice through the runner: changed, then ok; --check --diff shows a binary line', async (t) => {
  const data = randomBytes(65536);
  const dest = join(dir, 'runner-blob.bin');
  const files = {
    'files/blob.bin': data,
    'playbook.yml': `- hosts: local1\n  gather_facts: false\n  tasks:\n    - name: put blob\n      copy: { src: files/blob.bin, dest: ${JSON.stringify(dest)} }\n`,
  };
  const checked = await runPlaybook(files, { check: true, diff: true });
  const [pred] = checked.results('put blob');
  t.is(pred.status, 'changed');
  const lines: string[] = [];
  const reporter = consoleReporter({ out: { write: (s: string) => (lines.push(s), true) } as never, color: false, diff: true });
  for (const e of checked.events) reporter(e);
  const text = lines.join('');
  t.regex(text, /diff skipped: source file appears to be binary/);
  t.notRegex(text, /\uFFFD/);
  const first = await runPlaybook(files);
  t.is(first.results('put blob')[0].status, 'changed');
  t.is(sha256Hex(readFileSync(dest)), sha256Hex(data));
  const second = await runPlaybook(files);
  t.is(second.results('put blob')[0].status, 'ok', JSON.stringify(second.results('put blob')[0].result));
});
