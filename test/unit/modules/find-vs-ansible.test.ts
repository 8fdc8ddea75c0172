// find on this machine, under Ansible 2.14's find module (/usr/bin/ansible,
// local connection) and under tsplay's, over the same directory tree: the same
// files in the same order, the same matched/examined counts and stat keys.
// Every row here is checked against the real Ansible when it is installed.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../engine/connection/local-connection.js';
import { Host } from '../../../engine/host/host.js';
import { validateModuleArgs } from '../../../engine/load/module-args.js';
import { loadRegistry } from '../../../engine/load/registry.js';
import type { ModuleDef } from '../../../engine/module-api.js';

const ANSIBLE = '/usr/bin/ansible';  // ansible-playbook beside it
const registry = await loadRegistry();
const root = mkdtempSync(join(tmpdir(), 'tsplay-find-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

const old = new Date(Date.now() - 10 * 86400 * 1000);
const tree: Record<string, string> = {
  'a.conf': 'listen 80\nserver_name x\n',
  'b.txt': 'hello\n',
  '.hidden.conf': 'x\n',
  'big.log': 'y'.repeat(5000),
  'sub/c.conf': '  listen 8080\n',
  'sub/deep/d.conf': 'listen 1\n',
  '.hdir/e.conf': 'listen 2\n',
  'old.log': 'old\n',
};
for (const [p, c] of Object.entries(tree)) {
  mkdirSync(join(root, p, '..'), { recursive: true });
  writeFileSync(join(root, p), c);
}
utimesSync(join(root, 'old.log'), old, old);
chmodSync(join(root, 'b.txt'), 0o4755);
symlinkSync('sub', join(root, 'lnk'));
mkdirSync(join(root, 'empty.d'));

const rows: Array<[string, Record<string, unknown>]> = [
  ['defaults: regular files of the directory itself, no hidden ones', {}],
  ['patterns and recurse', { patterns: '*.conf', recurse: true }],
  ['hidden: true (hidden directories are walked either way)', { patterns: ['*.conf'], recurse: true, hidden: true }],
  ['excludes', { patterns: '*', excludes: 'a*,b*', recurse: true }],
  ['use_regex (matched at the start of the name)', { patterns: ['^[ab]', 'con'], use_regex: true, recurse: true }],
  ['contains: a line must match from its start', { contains: 'listen', recurse: true }],
  ['contains with read_whole_file', { contains: 'listen 8', read_whole_file: true, recurse: true }],
  ['file_type directory', { file_type: 'directory', recurse: true }],
  ['file_type link', { file_type: 'link' }],
  ['file_type any, depth 1', { file_type: 'any', recurse: true, depth: 1 }],
  ['depth 2', { recurse: true, depth: 2 }],
  ['age 2d (older than two days)', { age: '2d', recurse: true }],
  ['age -2d (newer than two days)', { age: '-2d' }],
  ['size 4k and more', { size: '4k' }],
  ['size -10 (at most 10 bytes)', { size: '-10', recurse: true }],
  ['a missing path is skipped with a warning', { paths: [join(root, 'nope'), root] }],
];

const host = new Host(new LocalConnection(), { name: 'localhost' });
const ctx = { diff: false, facts: { hostname: 'l', os_id: 'debian', os_version: '12', architecture: 'x86_64', service_mgr: 'unknown', kvm: false, virtualization_hints: [] } as never, render: (s: string) => s, readLocalFile: () => Promise.resolve(Buffer.alloc(0)) };

async function tsplayFind(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const def = registry.get('find') as ModuleDef;
  const a = structuredClone(args);
  const errors = validateModuleArgs(def, a);
  if (errors.length) throw new Error(JSON.stringify(errors));
  const plan = def.plan(a, await def.gather(a, host, ctx), ctx);
  return plan.result ?? {};
}

/** Every row's result under Ansible, in one ansible-playbook run (each row a registered find task). */
function ansibleFinds(): Array<Record<string, unknown>> {
  const out = join(root, '..', `${root.split('/').pop()}-ansible.json`);
  const tasks = rows.map(([, extra], i) => `    - find: ${JSON.stringify({ paths: [root], ...extra })}\n      register: r${i}\n`).join('');
  const names = rows.map((_, i) => `r${i}`).join(', ');
  const pb = join(root, '..', `${root.split('/').pop()}-playbook.yml`);
  writeFileSync(pb, `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks}    - copy: { content: "{{ [${names}] | to_json }}", dest: ${JSON.stringify(out)} }\n`);
  try {
    execFileSync(`${ANSIBLE}-playbook`, ['-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=/usr/bin/python3', pb], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
    return JSON.parse(readFileSync(out, 'utf8')) as Array<Record<string, unknown>>;
  } finally {
    rmSync(out, { force: true });
    rmSync(pb, { force: true });
  }
}

let theirsAll: Array<Record<string, unknown>> | undefined;

type Stat = Record<string, unknown>;

for (const [title, extra] of rows) {
  test.serial(`find like Ansible: ${title}`, async (t) => {
    if (!existsSync(ANSIBLE)) return t.pass('ansible is not installed here');
    const args = { paths: [root], ...extra };
    const ours = await tsplayFind(args);
    theirsAll ??= ansibleFinds();
    const theirs = theirsAll[rows.findIndex(([name]) => name === title)];
    const paths = (r: Record<string, unknown>) => (r.files as Stat[]).map((f) => f.path);
    t.deepEqual(paths(ours), paths(theirs), 'the same files in the same order');
    t.is(ours.matched, theirs.matched);
    t.true((ours.matched as number) > 0, 'every row matches something (no vacuous comparison)');
    t.is(ours.examined, theirs.examined);
    t.deepEqual(ours.skipped_paths, theirs.skipped_paths);
    t.is(ours.msg, theirs.msg);
    const theirFiles = theirs.files as Stat[];
    (ours.files as Stat[]).forEach((f, i) => {
      const g = theirFiles[i];
      t.deepEqual(Object.keys(f).sort(), Object.keys(g).sort(), `${String(f.path)}: stat keys`);
      for (const k of Object.keys(g)) {
        // atime: Ansible's own reads (contains) touch it
        if (k === 'atime') continue;
        if (k === 'mtime' || k === 'ctime') t.true(Math.abs((f[k] as number) - (g[k] as number)) < 1e-5, `${String(f.path)} ${k}`);
        else t.deepEqual(f[k], g[k], `${String(f.path)} ${k}`);
      }
    });
  });
}
