// Bytes stay bytes on real lab hosts (issue 8, item 3), through the CLI as an
// operator runs it; every effect is checked over plain `ssh`, not through tsplay:
//   - copy of a 64 KiB random binary: byte-identical on the host (sha256), and
//     the second run reports ok;
//   - lineinfile on a Latin-1 file with CRLF and high bytes: only the edited
//     line changes (every other byte identical), and the second run reports ok;
//   - lineinfile on an ELF binary (a copy of /bin/true): fails with an error
//     naming the file and the host, and the file stays byte-identical;
//   - --check --diff of a binary copy shows Ansible's "binary" line, no garbage.
// Runs whenever this machine can host a lab (root and systemd-nspawn); under CI=true always.

import test from 'ava';
import { sha256Hex } from '../../engine/host/content-hash.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import type { HostResultEvent } from '../../engine/report/events.js';
import { labOut, runCli, runJson, type CliRun } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the bytes lab tests');
const LAB = 'bya';
const HOSTS = [`${LAB}1`, `${LAB}2`];
const DIR = '/root/bytes';

let info: LabInfo;

/** The exact bytes of a file on a host, over plain ssh. */
async function hostBytes(host: string, path: string): Promise<Buffer> {
  return Buffer.from((await labOut(info, host, `base64 -w0 -- '${path}'`)).trim(), 'base64');
}

function writeDir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-byteslab-'));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

function playbook(tasks: string): string {
  return `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`;
}

const results = (r: CliRun, task: string): HostResultEvent[] =>
  r.events.filter((e): e is HostResultEvent => e.kind === 'host_result' && e.task === task);

function statuses(r: CliRun, task: string): Record<string, string> {
  return Object.fromEntries(results(r, task).map((e) => [e.host, e.status]));
}

const all = (status: string): Record<string, string> => Object.fromEntries(HOSTS.map((h) => [h, status]));

// The controller's binary, and the Latin-1 file as it is before and after the edit.
const BLOB = randomBytes(65536);
const LATIN1_HEAD = Buffer.from('# caf\xe9 cr\xe8me br\xfbl\xe9e\r\n\xa0\xff\xfe\r\n', 'latin1');
const LATIN1_TAIL = Buffer.from('name=Jos\xe9\r\nlast line \xe9\xe8 without newline', 'latin1');
const LATIN1_BEFORE = Buffer.concat([LATIN1_HEAD, Buffer.from('key=old\r\n'), LATIN1_TAIL]);
const LATIN1_AFTER = Buffer.concat([LATIN1_HEAD, Buffer.from('key=new \u00e9t\u00e9\r\n', 'utf8'), LATIN1_TAIL]);

const COPY = playbook(`    - name: copy blob\n      copy: { src: files/blob.bin, dest: ${DIR}/blob.bin, mode: '0644' }\n`);
const LINEINFILE = playbook(`    - name: edit latin1\n      lineinfile: { path: ${DIR}/latin1.conf, regexp: '^key=', line: 'key=new \u00e9t\u00e9' }\n`);
const ELF = playbook(`    - name: edit elf\n      lineinfile: { path: ${DIR}/true.elf, line: 'x=1' }\n`);

let elfSha: Record<string, string> = {};

if (canHost) {
  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: HOSTS.length });
    const latin1 = LATIN1_BEFORE.toString('base64');
    await Promise.all(HOSTS.map((h) => labOut(info, h, `mkdir -p ${DIR} && cp /bin/true ${DIR}/true.elf && printf %s ${latin1} | base64 -d > ${DIR}/latin1.conf`)));
    elfSha = Object.fromEntries(await Promise.all(HOSTS.map(async (h): Promise<[string, string]> => [h, sha256Hex(await hostBytes(h, `${DIR}/true.elf`))])));
  });

  test.after.always(async () => {
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial('--check --diff of a binary copy: a "binary" line, no garbage, nothing written', async (t) => {
    const dir = writeDir({ 'files/blob.bin': BLOB, 'playbook.yml': COPY });
    const r = await runCli(['run', join(dir, 'playbook.yml'), '-i', info.inventoryPath, '--check', '--diff']);
    t.is(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l === 'diff skipped: source file appears to be binary');
    t.is(lines.length, HOSTS.length, r.stdout);
    // U+FFFD (a replacement character) or a NUL would be binary decoded as text.
    t.notRegex(r.stdout, /[\uFFFD]|\0|^[+-]/m, 'no decoded binary in the output');
    for (const h of HOSTS) t.regex(r.stdout, new RegExp(`changed: \\[${h}\\]`));
    for (const h of HOSTS) t.is((await labOut(info, h, `test -e ${DIR}/blob.bin && echo yes || echo no`)).trim(), 'no');
    console.log(`[bytes lab] --check --diff: exit ${r.code}, ${lines.length} x "${lines[0]}"`);
  });

  test.serial('copy of a 64 KiB random binary: byte-identical (sha256 on the host); the second run is ok', async (t) => {
    const dir = writeDir({ 'files/blob.bin': BLOB, 'playbook.yml': COPY });
    const first = await runJson([join(dir, 'playbook.yml'), '-i', info.inventoryPath]);
    t.is(first.code, 0, first.stdout + first.stderr);
    t.deepEqual(statuses(first, 'copy blob'), all('changed'));
    for (const h of HOSTS) {
      const [sum, size] = (await labOut(info, h, `sha256sum ${DIR}/blob.bin | cut -d' ' -f1; stat -c %s ${DIR}/blob.bin`)).trim().split('\n');
      t.is(sum, sha256Hex(BLOB), h);
      t.is(Number(size), 65536, h);
      console.log(`[bytes lab] ${h}: copy wrote ${size} bytes, sha256 ${sum} (controller ${sha256Hex(BLOB)})`);
    }
    const second = await runJson([join(dir, 'playbook.yml'), '-i', info.inventoryPath]);
    t.is(second.code, 0);
    t.deepEqual(statuses(second, 'copy blob'), all('ok'));
    console.log(`[bytes lab] copy: first run ${JSON.stringify(statuses(first, 'copy blob'))}, second ${JSON.stringify(statuses(second, 'copy blob'))}`);
  });

  test.serial('lineinfile on a Latin-1 CRLF file: only the edited line changes; the second run is ok', async (t) => {
    const dir = writeDir({ 'playbook.yml': LINEINFILE });
    const first = await runJson([join(dir, 'playbook.yml'), '-i', info.inventoryPath, '--diff']);
    t.is(first.code, 0, first.stdout + first.stderr);
    t.deepEqual(statuses(first, 'edit latin1'), all('changed'));
    for (const h of HOSTS) {
      const now = await hostBytes(h, `${DIR}/latin1.conf`);
      t.true(now.equals(LATIN1_AFTER), `${h}: ${now.toString('hex')}`);
      // Every byte outside the edited line is the old byte.
      t.true(now.subarray(0, LATIN1_HEAD.length).equals(LATIN1_HEAD));
      t.true(now.subarray(now.length - LATIN1_TAIL.length).equals(LATIN1_TAIL));
      console.log(`[bytes lab] ${h}: latin1.conf ${LATIN1_BEFORE.length} -> ${now.length} bytes, head ${LATIN1_HEAD.length} and tail ${LATIN1_TAIL.length} bytes identical, sha256 ${sha256Hex(now)}`);
    }
    const second = await runJson([join(dir, 'playbook.yml'), '-i', info.inventoryPath]);
    t.is(second.code, 0);
    t.deepEqual(statuses(second, 'edit latin1'), all('ok'));
    for (const h of HOSTS) t.true((await hostBytes(h, `${DIR}/latin1.conf`)).equals(LATIN1_AFTER));
  });

  test.serial('lineinfile on an ELF binary: fails naming the file and the host; the file stays byte-identical', async (t) => {
    const dir = writeDir({ 'playbook.yml': ELF });
    const r = await runCli(['run', join(dir, 'playbook.yml'), '-i', info.inventoryPath]);
    t.is(r.code, 2, r.stdout + r.stderr);
    for (const h of HOSTS) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`fatal: [${h}]`));
      t.truthy(line, r.stdout);
      t.true(line!.includes(`${DIR}/true.elf`), line);
      t.regex(line!, /binary/);
      t.is(sha256Hex(await hostBytes(h, `${DIR}/true.elf`)), elfSha[h], `${h}: true.elf unchanged`);
      console.log(`[bytes lab] ${line} -- sha256 before and after ${elfSha[h]}`);
    }
  });
}
