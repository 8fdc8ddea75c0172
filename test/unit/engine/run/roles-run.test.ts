// Roles and includes at run time over the local connection: order of
// execution, variable precedence, role handlers, include_tasks/include_role
// with loops and conditions, and the search path for template/copy sources
// and include_vars. Each playbook + role tree also runs under the real
// ansible-playbook (2.14, local connection, gather_facts: false) and the
// printed debug messages in order, the recap and the files written must be
// the same; that comparison is skipped only where ansible-playbook is
// missing and CI is not set.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const ANSIBLE = '/usr/bin/ansible-playbook';
const INI = 'local1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\nlocal2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n';
const haveAnsible = existsSync(ANSIBLE) || Boolean(process.env.CI);

interface Observed {
  /** debug messages of local1, in order. */
  msgs: string[];
  /** "included: ..." lines (file name relative to the tree), in order. */
  included: string[];
  recap: Record<string, Record<string, number>>;
}

function runAnsible(dir: string): Observed {
  let out: string;
  try {
    out = execFileSync(ANSIBLE, ['-i', join(dir, 'hosts.ini'), join(dir, 'playbook.yml')], {
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_ROLES_PATH: join(dir, 'nowhere'), ANSIBLE_RETRY_FILES_ENABLED: 'False' },
      encoding: 'utf8', cwd: dir,
    });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const msgs: string[] = [];
  let host = '';
  for (const line of out.split('\n')) {
    const h = /^ok: \[(\S+)\] => \{$/.exec(line);
    if (h) host = h[1];
    const m = /^\s+"msg": (".*")$/.exec(line);
    if (m && host === 'local1') msgs.push(JSON.parse(m[1]) as string);
  }
  const included = [...out.matchAll(/^included: (\S+) for (.*)$/gm)].map((m) => `${m[1].slice(dir.length + 1)} for ${m[2]}`);
  const recap: Observed['recap'] = {};
  for (const m of out.matchAll(/^(\S+)\s+:\s+(ok=.*)$/gm)) {
    recap[m[1]] = Object.fromEntries([...m[2].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])]));
  }
  return { msgs, included, recap };
}

async function runTsplay(files: Record<string, string>): Promise<Observed & { dir: string; code: number }> {
  const r = await runPlaybook(files);
  const msgs = r.events.flatMap((e) => (e.kind === 'debug' && e.host === 'local1' ? [String(e.msg)] : []));
  const included = r.events.flatMap((e) => (e.kind === 'included' ? [`${e.file.slice(r.dir.length + 1)} for ${e.hosts.join(', ')}${e.item !== undefined ? ` => (item=${JSON.stringify(e.item).replace(/^"|"$/g, "")})` : ''}`] : []));
  const recap: Observed['recap'] = {};
  for (const [h, c] of Object.entries(r.recap())) recap[h] = { ...c };
  return { msgs, included, recap, dir: r.dir, code: r.code };
}

/** Run under both; the expected values are written in the test and checked against Ansible too. */
async function both(t: import('ava').ExecutionContext, files: Record<string, string>, expected: Partial<Observed>) {
  const ours = await runTsplay(files);
  if (expected.msgs) t.deepEqual(ours.msgs, expected.msgs, 'tsplay: messages');
  if (expected.included) t.deepEqual(ours.included, expected.included, 'tsplay: included');
  if (expected.recap) t.deepEqual(ours.recap, expected.recap, 'tsplay: recap');
  if (!haveAnsible) return ours;
  const dir = writeTree({ ...files, 'hosts.ini': INI });
  const theirs = runAnsible(dir);
  if (expected.msgs) t.deepEqual(theirs.msgs, expected.msgs, 'ansible-playbook: messages');
  // Ansible lists an include's hosts in the order their results arrived, which varies
  // from run to run under load; tsplay's order (play order) is checked exactly above.
  const hostSet = (lines: string[]) => lines.map((l) => l.replace(/ for ([^=]+?)( =>|$)/, (_m, hosts: string, tail: string) => ` for ${hosts.split(', ').sort().join(', ')}${tail}`));
  if (expected.included) t.deepEqual(hostSet(theirs.included), hostSet(expected.included), 'ansible-playbook: included');
  t.deepEqual(ours.recap, theirs.recap, 'recap as ansible-playbook');
  return ours;
}

const ROLES: Record<string, string> = {
  'roles/common/defaults/main.yml': 'shared: common-def\nonly_common_def: yes-common\n',
  'roles/common/tasks/main.yml': '- debug: { msg: "common shared={{ shared }} name={{ role_name }}" }\n',
  'roles/common/handlers/main.yml': '- name: restart common\n  debug: { msg: "handler common" }\n',
  'roles/web/meta/main.yml': 'dependencies:\n  - role: common\n',
  'roles/web/defaults/main.yml': 'shared: web-def\nhttp_port: 80\nweb_def: web-def\n',
  'roles/web/vars/main.yml': 'web_var: from-role-vars\n',
  'roles/web/tasks/main.yml': [
    '- debug: { msg: "web port={{ http_port }} shared={{ shared }} web_var={{ web_var }} entry={{ entry_var }} arn={{ ansible_role_name }}" }',
    '- command: "true"',
    '  notify: restart web',
    '',
  ].join('\n'),
  'roles/web/handlers/main.yml': '- name: restart web\n  debug: { msg: "handler web port={{ http_port }}" }\n',
};

test('roles: order (pre_tasks, handlers, deps, roles, tasks, handlers, post_tasks) and precedence, as ansible-playbook', async (t) => {
  const playbook = `
- hosts: local1
  gather_facts: false
  vars:
    shared: play
    web_var: play
    web_def: play
  pre_tasks:
    - debug: { msg: "pre web_def={{ web_def }} only={{ only_common_def }} web_var={{ web_var }}" }
    - command: "true"
      notify: restart play
  roles:
    - common
    - role: web
      http_port: 8080
      vars: { entry_var: entry }
  tasks:
    - debug: { msg: "task port={{ http_port | default('none') }} web_var={{ web_var }}" }
  post_tasks:
    - debug: { msg: post }
  handlers:
    - name: restart play
      debug: { msg: "handler play" }
`;
  const ours = await both(t, { ...ROLES, 'playbook.yml': playbook }, {
    msgs: [
      // Role vars are the play's (above play vars); role defaults are below them.
      'pre web_def=play only=yes-common web_var=from-role-vars',
      'handler play',
      // common runs once although web depends on it too.
      'common shared=play name=common',
      'web port=8080 shared=play web_var=from-role-vars entry=entry arn=web',
      // Role params are the role's only; its defaults are the play's (Ansible exposes them play-wide).
      'task port=80 web_var=from-role-vars',
      'handler web port=8080',
      'post',
    ],
  });
  t.is(ours.code, 0);
});

test('include_tasks: loop with loop_var, when, templated name, vars; include_role with tasks_from, as ansible-playbook', async (t) => {
  const files = {
    'tasks/one.yml': '- debug: { msg: "one {{ thing }} {{ extra }}" }\n',
    'tasks/local1.yml': '- debug: { msg: "per-host {{ inventory_hostname }}" }\n',
    'roles/r/tasks/main.yml': '- debug: { msg: "r main {{ rp }}" }\n',
    'roles/r/tasks/other.yml': '- debug: { msg: "r other {{ rp }} {{ role_default }}" }\n- include_tasks: nested.yml\n',
    'roles/r/tasks/nested.yml': '- debug: { msg: "nested in {{ role_name }}" }\n',
    'roles/r/defaults/main.yml': 'role_default: rd\nrp: default\n',
    'roles/priv/tasks/main.yml': '- debug: { msg: "priv {{ priv_def }}" }\n',
    'roles/priv/defaults/main.yml': 'priv_def: pd\n',
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: tasks/one.yml
      loop: [a, b]
      loop_control: { loop_var: thing }
      vars: { extra: x }
      when: thing != 'b' or inventory_hostname == 'local1'
    - include_tasks: "tasks/{{ inventory_hostname }}.yml"
      when: inventory_hostname == 'local1'
    - include_role: { name: r, tasks_from: other }
      vars: { rp: given }
    - include_role: { name: priv }
    # include_role without public: its defaults stay its own; import_role's are the play's from the start.
    - debug: { msg: "after include_role {{ priv_def | default('private') }} {{ role_default }}" }
    - import_role: { name: r }
`,
  };
  await both(t, files, {
    msgs: ['one a x', 'one b x', 'per-host local1', 'r other given rd', 'nested in r', 'priv pd', 'after include_role private rd', 'r main default'],
    included: [
      'tasks/one.yml for local1, local2 => (item=a)',
      'tasks/one.yml for local1 => (item=b)',
      'tasks/local1.yml for local1',
      'roles/r/tasks/nested.yml for local1, local2',
    ],
  });
});

test('search path: template and copy sources and include_vars come from the role first, then the playbook dir, as ansible-playbook', async (t) => {
  const tree = (dest: string) => ({
    'roles/r/templates/t.j2': 'role template {{ who }}\n',
    'roles/r/files/f.txt': 'role file\n',
    'roles/r/vars/extra.yml': 'who: role-vars-extra\n',
    'templates/t.j2': 'playbook template {{ who }}\n',
    'files/only-here.txt': 'playbook file\n',
    'roles/r/tasks/main.yml': [
      '- include_vars: extra.yml',
      `- template: { src: t.j2, dest: "${dest}/t.out" }`,
      `- copy: { src: f.txt, dest: "${dest}/f.out" }`,
      `- copy: { src: only-here.txt, dest: "${dest}/only.out" }`,
      '',
    ].join('\n'),
    'playbook.yml': `- hosts: local1\n  gather_facts: false\n  roles: [r]\n  tasks:\n    - template: { src: t.j2, dest: "${dest}/play.out" }\n`,
  });
  const ours = writeTree({});
  const r = await runPlaybook(tree(ours));
  t.is(r.code, 0);
  const read = (d: string) => ['t.out', 'f.out', 'only.out', 'play.out'].map((f) => readFileSync(join(d, f), 'utf8'));
  const expected = ['role template role-vars-extra\n', 'role file\n', 'playbook file\n', 'playbook template role-vars-extra\n'];
  t.deepEqual(read(ours), expected);
  if (!haveAnsible) return;
  const theirs = writeTree({});
  runAnsible(writeTree({ ...tree(theirs), 'hosts.ini': INI }));
  t.deepEqual(read(theirs), expected, 'ansible-playbook wrote the same files');
});

test('vars_files: the first existing file of a list; a templated name per host', async (t) => {
  const files = {
    'vars/local1.yml': 'from: local1-file\n',
    'vars/local2.yml': 'from: local2-file\n',
    'vars/common.yml': 'common: "yes"\n',
    'playbook.yml': `
- hosts: all
  gather_facts: false
  vars_files:
    - vars/common.yml
    - ["vars/missing.yml", "vars/{{ inventory_hostname }}.yml"]
  tasks:
    - debug: { msg: "{{ from }} {{ common }}" }
`,
  };
  const ours = await both(t, files, { msgs: ['local1-file yes'] });
  t.is(ours.code, 0);
});

test('a templated include_tasks that names a missing file fails the host at the include, naming it', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': '- hosts: local1\n  gather_facts: false\n  tasks:\n    - include_tasks: "{{ \'nope\' }}.yml"\n    - debug: { msg: never }\n',
  });
  t.is(r.code, 2);
  const failed = r.results().find((e) => e.status === 'failed');
  t.regex(failed?.msg ?? '', /file not found: .*nope\.yml/);
  t.regex(failed?.msg ?? '', /playbook\.yml:4:/);
});

test('apply: keywords reach the included tasks; tags on the include itself do not (as Ansible)', async (t) => {
  const files = {
    'inc.yml': '- debug: { msg: "included {{ inventory_hostname }}" }\n',
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks:
        file: inc.yml
        apply: { tags: [applied], run_once: true }
      tags: [always]
    - include_tasks: inc.yml
      tags: [plain]
`,
  };
  const r = await runPlaybook(files, { tags: ['applied'] });
  const msgs = r.events.flatMap((e) => (e.kind === 'debug' ? [`${e.host}: ${String(e.msg)}`] : []));
  // run_once through apply: the first host only; the second include is not selected by --tags applied.
  t.deepEqual(msgs, ['local1: included local1']);
});

test('an include_tasks file that does not load fails only a host that reaches it, at its own file:line:col (as Ansible reads includes when reached)', async (t) => {
  const files = {
    'arch.yml': '- pacman: { name: x }\n',
    'playbook.yml': [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - include_tasks: arch.yml',
      "      when: inventory_hostname == 'local2'",
      '    - debug: { msg: after }',
    ].join('\n') + '\n',
  };
  const r = await runPlaybook(files);
  t.is(r.code, 2, 'the run fails (a host failed), it was not refused at load');
  const failed = r.events.flatMap((e) => (e.kind === 'host_result' && e.status === 'failed' ? [e] : []));
  t.deepEqual(failed.map((e) => e.host), ['local2']);
  t.regex(JSON.stringify(failed[0]), /arch\.yml:1:3/);
  t.regex(JSON.stringify(failed[0]), /pacman/);
  const after = r.events.flatMap((e) => (e.kind === 'debug' ? [e.host] : []));
  t.deepEqual(after, ['local1']);
});
