// Loading roles and includes (engine/load/roles.ts, playbook.ts): the
// standard layout, where a role is found, dependencies and their dedup, the
// variables a role brings, and load errors that name file:line:col and the
// places searched. Expected values are Ansible 2.14's documented behaviour;
// the ones marked "checked" were run under /usr/bin/ansible-playbook 2.14.

import test from 'ava';
import { join } from 'node:path';
import { loadPlaybook, type Block, type Item, type Task } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { LoadError } from '../../../../engine/errors.js';
import { findInSearchPath, searchedPlaces } from '../../../../engine/load/search-path.js';
import { writeTree } from '../../../helpers/run-playbook.js';

async function load(files: Record<string, string>, opts: { rolesPath?: string[] } = {}) {
  const dir = writeTree(files);
  const registry = await loadRegistry([]);
  return { dir, pb: await loadPlaybook(join(dir, 'playbook.yml'), registry, opts) };
}

async function loadError(files: Record<string, string>, opts: { rolesPath?: string[] } = {}): Promise<LoadError> {
  const dir = writeTree(files);
  const registry = await loadRegistry([]);
  const e = await loadPlaybook(join(dir, 'playbook.yml'), registry, opts).then(() => undefined, (x: unknown) => x);
  if (!(e instanceof LoadError)) throw new Error(`expected a LoadError, got ${String(e)}`);
  return e;
}

/** Every task in run order as "role: name" (blocks flattened). */
function flat(items: Item[]): Task[] {
  return items.flatMap((it) => (it.kind === 'block' ? flat([...it.block, ...it.rescue, ...it.always]) : [it]));
}
const names = (items: Item[]) => flat(items).map((t) => `${t.role?.name ?? '-'}:${t.name ?? t.action}`);

const ROLE_TREE: Record<string, string> = {
  'roles/common/tasks/main.yml': '- name: common task\n  debug: { msg: common }\n',
  'roles/common/defaults/main.yml': 'shared: common-def\ncommon_only: 1\n',
  'roles/common/handlers/main.yml': '- name: restart common\n  debug: { msg: h }\n',
  'roles/web/meta/main.yml': 'galaxy_info: { author: me }\ndependencies:\n  - common\n',
  'roles/web/defaults/main.yml': 'shared: web-def\nport: 80\n',
  'roles/web/vars/main.yml': 'web_var: from-vars\n',
  'roles/web/tasks/main.yaml': '- name: web task\n  command: "true"\n  notify: restart web\n',
  'roles/web/handlers/main.yml': '- name: restart web\n  debug: { msg: h }\n',
};

test('roles: run after pre_tasks, before tasks; dependencies first and once (checked)', async (t) => {
  const { pb } = await load({
    ...ROLE_TREE,
    'playbook.yml': `
- hosts: all
  pre_tasks: [{ name: pre, debug: { msg: pre } }]
  roles:
    - common
    - role: web
      http_port: 8080
      vars: { entry_var: 1 }
      tags: [webtag]
      when: true
  tasks: [{ name: task, debug: { msg: t } }]
  post_tasks: [{ name: post, debug: { msg: post } }]
`,
  });
  const play = pb.plays[0];
  t.deepEqual(names(play.preTasks), ['-:pre']);
  // common runs once: web's dependency on it is deduplicated (same params).
  t.deepEqual(names(play.tasks), ['common:common task', 'web:web task', '-:task']);
  t.deepEqual(names(play.postTasks), ['-:post']);
  // Role handlers come before the play's; each also answers to "role : name".
  t.deepEqual(play.handlers.map((h) => [h.name, h.listen]), [['restart common', ['common : restart common']], ['restart web', ['web : restart web']]]);
  const web = play.roles.find((r) => r.name === 'web')!;
  t.deepEqual(web.params, { http_port: 8080 });
  // get_default_vars / get_vars: dependencies' first, then the role's own; entry vars below vars/main.
  t.deepEqual(web.defaults, { shared: 'web-def', common_only: 1, port: 80 });
  t.deepEqual(web.vars, { entry_var: 1, web_var: 'from-vars' });
  // The entry's keywords wrap the role's items (dependency included).
  const block = play.tasks.find((i): i is Block => i.kind === 'block' && i.role?.name === 'web')!;
  t.deepEqual(block.tags, ['webtag']);
  t.deepEqual(block.when, [true]);
});

test('roles: the same role with other params runs again; allow_duplicates runs it again (checked)', async (t) => {
  const { pb } = await load({
    'roles/r/tasks/main.yml': '- name: r\n  debug: { msg: r }\n',
    'roles/dup/tasks/main.yml': '- name: dup\n  debug: { msg: d }\n',
    'roles/dup/meta/main.yml': 'allow_duplicates: true\n',
    'playbook.yml': '- hosts: all\n  roles: [r, r, { role: r, p: 1 }, dup, dup]\n',
  });
  t.deepEqual(names(pb.plays[0].tasks), ['r:r', 'r:r', 'dup:dup', 'dup:dup']);
});

test('role search path: roles/ beside the playbook, the roles path, then the playbook dir, then a path', async (t) => {
  const other = writeTree({ 'far/tasks/main.yml': '- name: far\n  debug: { msg: x }\n' });
  const { pb } = await load({
    'roles/near/tasks/main.yml': '- name: near\n  debug: { msg: x }\n',
    'beside/tasks/main.yml': '- name: beside\n  debug: { msg: x }\n',
    'sub/bypath/tasks/main.yml': '- name: bypath\n  debug: { msg: x }\n',
    'playbook.yml': '- hosts: all\n  roles: [near, far, beside, sub/bypath]\n',
  }, { rolesPath: [other] });
  t.deepEqual(names(pb.plays[0].tasks), ['near:near', 'far:far', 'beside:beside', 'bypath:bypath']);
  t.is(pb.plays[0].roles[1].path, join(other, 'far'));
});

test('a role not found: error at the role line, listing every place searched', async (t) => {
  const e = await loadError({ 'playbook.yml': '- hosts: all\n  roles:\n    - nosuch\n' }, { rolesPath: ['/nonexistent/roles'] });
  t.is(e.place?.line, 3);
  t.is(e.place?.col, 7);
  t.regex(e.message, /role "nosuch" not found; looked in: .*\/roles\/nosuch, \/nonexistent\/roles\/nosuch, .*\/nosuch/);
});

test('a dependency not found names the meta file line', async (t) => {
  const e = await loadError({
    'roles/a/meta/main.yml': 'dependencies:\n  - role: missing\n',
    'playbook.yml': '- hosts: all\n  roles: [a]\n',
  });
  t.regex(e.place?.file ?? '', /roles\/a\/meta\/main.yml$/);
  t.is(e.place?.line, 2);
  t.regex(e.message, /role "missing" not found/);
});

const REFUSED: Array<[string, Record<string, string>, RegExp, number]> = [
  ['an unsupported keyword on a role entry', { 'roles/r/tasks/main.yml': '[]\n', 'playbook.yml': '- hosts: all\n  roles:\n    - role: r\n      delegate_to: x\n' }, /"delegate_to" on a role is not supported/, 4],
  ['a collection role', { 'playbook.yml': '- hosts: all\n  roles: [ns.col.role]\n' }, /collection role/, 2],
  ['role meta argument_specs', { 'roles/r/meta/main.yml': 'argument_specs: {}\n', 'playbook.yml': '- hosts: all\n  roles: [r]\n' }, /role meta "argument_specs" is not supported/, 1],
  // Ansible 2.14: "'become' is not a valid attribute for a TaskInclude" (checked).
  ['become on include_tasks', { 'i.yml': '[]\n', 'playbook.yml': '- hosts: all\n  tasks:\n    - include_tasks: i.yml\n      become: true\n' }, /"become" is not a keyword of include_tasks .*apply/, 4],
  ['register on include_tasks', { 'i.yml': '[]\n', 'playbook.yml': '- hosts: all\n  tasks:\n    - include_tasks: i.yml\n      register: r\n' }, /registering an include/, 4],
  ['a missing statically named include', { 'playbook.yml': '- hosts: all\n  tasks:\n    - include_tasks: nope.yml\n' }, /file not found: .*nope.yml/, 3],
  ['an unknown import_role option', { 'roles/r/tasks/main.yml': '[]\n', 'playbook.yml': '- hosts: all\n  tasks:\n    - import_role: { name: r, public: true }\n' }, /import_role: unknown option "public"/, 3],
  ['a missing tasks_from', { 'roles/r/tasks/main.yml': '[]\n', 'playbook.yml': '- hosts: all\n  tasks:\n    - include_role: { name: r, tasks_from: other }\n' }, /tasks file "other" not found/, 3],
  ['an unsupported key on import_playbook', { 'other.yml': '[]\n', 'playbook.yml': '- import_playbook: other.yml\n  become: true\n' }, /"become" is not allowed with import_playbook/, 2],
  ['a role dependency cycle', { 'roles/a/meta/main.yml': 'dependencies: [b]\n', 'roles/b/meta/main.yml': 'dependencies: [a]\n', 'playbook.yml': '- hosts: all\n  roles: [a]\n' }, /role dependency cycle/, 1],
];

for (const [what, files, message, line] of REFUSED) {
  test(`refused at load: ${what}`, async (t) => {
    const e = await loadError(files);
    t.regex(e.message, message);
    t.is(e.place?.line, line);
  });
}

test('import_role is static: its tasks in place, with the import keywords; include_role with a plain name is loaded now', async (t) => {
  const { pb } = await load({
    'roles/r/tasks/main.yml': '- name: main\n  debug: { msg: m }\n',
    'roles/r/tasks/other.yml': '- name: other\n  debug: { msg: o }\n',
    'roles/r/vars/alt.yml': 'alt: 1\n',
    'playbook.yml': `
- hosts: all
  tasks:
    - import_role: { name: r, tasks_from: other, vars_from: alt }
      when: x is defined
      run_once: true
    - include_role: { name: r }
    - include_role: { name: "{{ which }}" }
`,
  });
  const [imp, inc, dyn] = pb.plays[0].tasks;
  t.deepEqual(names([imp]), ['r:other']);
  t.deepEqual((imp as Block).when, ['x is defined']);
  t.true(flat([imp])[0].runOnce);
  t.deepEqual(pb.plays[0].roles.map((r) => [r.name, r.vars]), [['r', { alt: 1 }]]);
  t.is((inc as Task).include?.kind, 'include_role');
  t.deepEqual(names((inc as Task).include?.items ?? []), ['r:main']);
  t.is((inc as Task).name, 'include_role : r');
  t.is((dyn as Task).include?.items, undefined, 'a templated role name is read at run time');
});

test('tasks of a role carry the search path: the role dir, the task file dir, the playbook dir', async (t) => {
  const { dir, pb } = await load({
    'roles/r/tasks/main.yml': '- name: main\n  debug: { msg: m }\n',
    'playbook.yml': '- hosts: all\n  roles: [r]\n  tasks: [{ name: t, debug: { msg: x } }]\n',
  });
  const [inRole, outside] = flat(pb.plays[0].tasks);
  t.deepEqual(inRole.src.searchPath, [join(dir, 'roles/r'), join(dir, 'roles/r/tasks'), dir]);
  t.deepEqual(outside.src.searchPath, [dir]);
});

test('search path: <dir>/<kind>/<name> then <dir>/<name>, first found wins', (t) => {
  const dir = writeTree({ 'role/templates/a.j2': 'x', 'role/b.j2': 'x', 'play/templates/c.j2': 'x' });
  const path = [join(dir, 'role'), join(dir, 'role/tasks'), join(dir, 'play')];
  t.is(findInSearchPath(path, 'templates', 'a.j2'), join(dir, 'role/templates/a.j2'));
  t.is(findInSearchPath(path, 'templates', 'b.j2'), join(dir, 'role/b.j2'));
  t.is(findInSearchPath(path, 'templates', 'c.j2'), join(dir, 'play/templates/c.j2'));
  t.is(findInSearchPath(path, 'templates', 'none.j2'), undefined);
  t.deepEqual(searchedPlaces(path, 'templates', 'x'), [
    join(dir, 'role/templates/x'), join(dir, 'role/x'), join(dir, 'role/tasks/x'), join(dir, 'play/templates/x'), join(dir, 'play/x'),
  ]);
  // A name that already starts with the folder is not looked for under it twice.
  t.deepEqual(searchedPlaces([join(dir, 'play')], 'files', 'files/f'), [join(dir, 'play/files/f')]);
});

test('import_playbook takes vars, when and tags (as 2.14) and applies them to every imported play', async (t) => {
  const { pb } = await load({
    'other.yml': '- hosts: all\n  vars: { a: 1, b: 1 }\n  tasks: [{ name: t, debug: { msg: x } }]\n',
    'playbook.yml': '- import_playbook: other.yml\n  vars: { b: 2 }\n  when: go | bool\n  tags: [imp]\n',
  });
  const play = pb.plays[0];
  t.deepEqual(play.vars, { a: 1, b: 2 });
  t.deepEqual(play.tags, ['imp']);
  t.deepEqual((play.tasks[0] as Block).when, ['go | bool']);
});

test('vars_files: a list item is a list of candidates', async (t) => {
  const { pb } = await load({ 'playbook.yml': '- hosts: all\n  vars_files: [a.yml, [missing.yml, "v/{{ x }}.yml"]]\n  tasks: []\n' });
  t.deepEqual(pb.plays[0].varsFiles, ['a.yml', ['missing.yml', 'v/{{ x }}.yml']]);
});

test('import_tasks keywords apply to every imported task: block keywords wrap them, run_once/delegate_to go on each', async (t) => {
  const { pb } = await load({
    't.yml': '- name: a\n  debug: { msg: a }\n- name: b\n  debug: { msg: b }\n  delegate_to: other\n',
    'playbook.yml': '- hosts: all\n  tasks:\n    - import_tasks: t.yml\n      become: true\n      run_once: true\n      delegate_to: localhost\n',
  });
  const [wrapper] = pb.plays[0].tasks as Block[];
  t.true(wrapper.become);
  t.deepEqual(flat([wrapper]).map((x) => [x.name, x.runOnce, x.delegateTo]), [['a', true, 'localhost'], ['b', true, 'other']]);
});

test('import_tasks takes its file as a mapping too ({file: t.yml}, as Ansible does); another option is refused at its place', async (t) => {
  const { pb } = await load({
    't.yml': '- name: a\n  debug: { msg: a }\n',
    'playbook.yml': '- hosts: all\n  tasks:\n    - ansible.builtin.import_tasks:\n        file: t.yml\n      run_once: true\n',
  });
  t.deepEqual(flat(pb.plays[0].tasks).map((x) => [x.name, x.runOnce]), [['a', true]]);
  const err = await t.throwsAsync(load({ 't.yml': '- debug: { msg: a }\n', 'playbook.yml': '- hosts: all\n  tasks:\n    - import_tasks:\n        file: t.yml\n        apply: {}\n' }));
  t.regex(err?.message ?? '', /playbook\.yml:5:9: import_tasks: unknown option "apply"/);
});
