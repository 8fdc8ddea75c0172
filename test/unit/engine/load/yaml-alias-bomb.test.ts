// YAML aliases are bounded (issue 8): a "billion laughs" document is refused at
// its place with exit 4, in a second or two, wherever it is loaded; before, it
// cost 38 s of CPU unused and never finished (or aborted Node) once a task used it.

import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LoadError } from '../../../../engine/errors.js';
import { parseYaml } from '../../../../engine/load/yaml.js';
import { MAX_ALIAS_NODES } from '../../../../engine/load/yaml-aliases.js';
import { runMain } from '../../../helpers/main-output.js';
import { writeTree } from '../../../helpers/run-playbook.js';
import { tsplayCommand } from '../../../helpers/tsplay-command.js';

const root = join(import.meta.dirname ?? '', '..', '..', '..', '..');

// Nine levels of nine aliases: 9^9 (387 million) strings when expanded.
const LAUGHS = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
for (const [prev, cur] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h'], ['h', 'i']]) {
  LAUGHS.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
}
const INV = 'all:\n  hosts:\n    h1: { ansible_connection: local }\n';
// The vars start on line 5; *f (the alias that crosses the bound: 9^6 + ... nodes) is on line 5 + 6 = 11, column 12.
const PLAYBOOK = (msg: string) => `- hosts: all
  gather_facts: false
  vars:
    unused: 1
${LAUGHS.map((l) => `    ${l}`).join('\n')}
  tasks:
    - debug:
        msg: ${msg}
`;
const PLACE = /p\.yml:11:12: YAML: alias \*f makes the document too large when expanded/;

test.serial('validate and run refuse a billion-laughs playbook at the alias, exit 4, at once', async (t) => {
  // Warm up (module registry, compilation of the engine under tsx) so the time is the bomb's alone.
  const ok = writeTree({ 'inv.yml': INV, 'p.yml': PLAYBOOK('hi').replace(/ {2}vars:[\s\S]*? {2}tasks:/, '  tasks:') });
  t.is((await runMain(['validate', join(ok, 'p.yml'), '-i', join(ok, 'inv.yml')])).code, 0);
  for (const [cmd, msg] of [['validate', 'hi'], ['run', 'hi'], ['validate', '"{{ i }}"'], ['run', '"{{ i }}"']]) {
    const dir = writeTree({ 'inv.yml': INV, 'p.yml': PLAYBOOK(msg) });
    const r = await runMain([cmd, join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')]);
    t.is(r.code, 4, `${cmd} ${msg}: ${r.text}`);
    t.regex(r.text, PLACE, `${cmd} ${msg}`);
    // CPU time: the machine may be loaded by other runs; wall time only as a loose bound.
    t.true(r.cpuMs < 2000, `${cmd} ${msg}: took ${r.cpuMs} ms of CPU`);
    t.true(r.ms < 10_000, `${cmd} ${msg}: took ${r.ms} ms`);
  }
});

test.serial('the bound holds in inventories and -e @file too', async (t) => {
  const bomb = LAUGHS.map((l) => `    ${l}`).join('\n');
  const dir = writeTree({
    'inv.yml': `all:\n  hosts:\n    h1: { ansible_connection: local }\n  vars:\n${bomb}\n`,
    'ok.yml': INV,
    'p.yml': PLAYBOOK('hi').replace(/ {2}vars:[\s\S]*? {2}tasks:/, '  tasks:'),
    'extra.yml': LAUGHS.join('\n') + '\n',
  });
  const inv = await runMain(['run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')]);
  t.is(inv.code, 4, inv.text);
  t.regex(inv.text, /inv\.yml:11:12: YAML: alias \*f/);
  const extra = await runMain(['run', join(dir, 'p.yml'), '-i', join(dir, 'ok.yml'), '-e', `@${join(dir, 'extra.yml')}`]);
  t.is(extra.code, 4, extra.text);
  t.regex(extra.text, /extra\.yml:7:8: YAML: alias \*f/);
});

test('a separate tsplay process exits 4 with the place, and Node does not abort', async (t) => {
  const dir = writeTree({ 'inv.yml': INV, 'p.yml': PLAYBOOK('"{{ i }}"') });
  const child = spawn(process.execPath, [...tsplayCommand(), 'run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')], { cwd: root });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // Before the bound this ran for minutes: kill it rather than hang the suite.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  t.is(signal, null, out);
  t.is(code, 4, out);
  t.regex(out, PLACE);
  t.notRegex(out, /heap out of memory|FATAL ERROR|Native stack/i);
});

test('ordinary reuse of anchors is not limited', (t) => {
  // 400 hosts, each merging a 20-key default mapping (js-yaml allows 10,000 merged keys),
  // and 2000 plain aliases of it: 50,000 nodes added.
  const keys = Array.from({ length: 20 }, (_, i) => `  k${i}: v${i}`).join('\n');
  const hosts = Array.from({ length: 400 }, (_, i) => `  h${i}: { <<: *d, id: ${i} }`).join('\n');
  const copies = Array.from({ length: 2000 }, (_, i) => `  c${i}: *d`).join('\n');
  const doc = parseYaml(`defaults: &d\n${keys}\nhosts:\n${hosts}\ncopies:\n${copies}\n`, 'many.yml');
  const v = doc.value as { hosts: Record<string, Record<string, unknown>>; copies: Record<string, Record<string, unknown>> };
  t.is(v.hosts.h399.k19, 'v19');
  t.is(v.hosts.h399.id, 399);
  t.is(v.copies.c1999.k0, 'v0');
});

test('the node bound and the text bound are both enforced, and a recursive alias is refused', (t) => {
  // Just over the node bound: one anchored list of 1001 items aliased 1000 times.
  const items = `[${Array(1001).fill('1').join(',')}]`;
  const many = `a: &a ${items}\nb: [${Array(Math.ceil(MAX_ALIAS_NODES / 1002) + 1).fill('*a').join(',')}]\n`;
  const e1 = t.throws(() => parseYaml(many, 'n.yml'), { instanceOf: LoadError });
  t.regex(e1.message, /^n\.yml:2:\d+: YAML: alias \*a .* more than 1,000,000 nodes/);
  // A 1 MiB string aliased 17 times: more than 16 MiB of text.
  const big = `s: &s "${'x'.repeat(1024 * 1024)}"\nt: [${Array(17).fill('*s').join(', ')}]\n`;
  const e2 = t.throws(() => parseYaml(big, 't.yml'), { instanceOf: LoadError });
  t.regex(e2.message, /^t\.yml:2:\d+: YAML: alias \*s .* more than 16 MiB of text/);
  // 16 aliases of it stay within the bound.
  t.is((parseYaml(`s: &s "${'x'.repeat(1024 * 1024)}"\nt: [${Array(15).fill('*s').join(', ')}]\n`, 'ok.yml').value as { t: string[] }).t.length, 15);
  const e3 = t.throws(() => parseYaml('a: &x [1, *x]\n', 'r.yml'), { instanceOf: LoadError });
  t.regex(e3.message, /^r\.yml:1:11: YAML: alias \*x refers to the node that contains it/);
});

test.serial('deeply nested input is refused with its place or option, never a stack overflow', async (t) => {
  const dir = writeTree({
    'inv.yml': INV,
    'deep.yml': `- hosts: all\n  vars:\n    deep: ${'['.repeat(5000)}${']'.repeat(5000)}\n  tasks: []\n`,
    'ok.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: "{{ x | length }}" }\n',
  });
  const yaml = await runMain(['validate', join(dir, 'deep.yml'), '-i', join(dir, 'inv.yml')]);
  t.is(yaml.code, 4, yaml.text);
  t.regex(yaml.text, /deep\.yml:3:\d+: YAML syntax error: nesting exceeded maxDepth/);
  const json = `{"x": ${'['.repeat(20000)}${']'.repeat(20000)}}`;
  const extra = await runMain(['run', join(dir, 'ok.yml'), '-i', join(dir, 'inv.yml'), '-e', json]);
  t.is(extra.code, 5, extra.text);
  t.regex(extra.text, /-e: JSON nested deeper than 100 levels/);
  t.notRegex(extra.text, /call stack/);
  const fine = await runMain(['run', join(dir, 'ok.yml'), '-i', join(dir, 'inv.yml'), '-e', `{"x": ${'['.repeat(50)}1${']'.repeat(50)}}`]);
  t.is(fine.code, 0, fine.text);
});
