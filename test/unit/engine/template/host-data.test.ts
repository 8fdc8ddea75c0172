// Host data is data (issue 8 item 4): what comes back from a host (registered
// results, command output, file contents, module facts, and values derived from
// them through set_fact, vars and loops) is never rendered as a template.
// Ansible marks it unsafe; `!unsafe` in a playbook is the same mark.

import test from 'ava';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';
import { loadInventory } from '../../../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { validatePlaybookVariables } from '../../../../engine/load/validate.js';
import { buildVars } from '../../../../engine/template/vars.js';
import { renderDeep } from '../../../../engine/template/template.js';
import { Unsafe, trackUnsafe } from '../../../../engine/template/unsafe.js';

const INVENTORY = `all:
  hosts:
    local1: { ansible_connection: local, private_key: /home/ops/.ssh/id_secret }
`;

type Debug = { kind: 'debug'; host: string; task: string; msg: unknown };
function debugs(r: Awaited<ReturnType<typeof runPlaybook>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of r.events) if (e.kind === 'debug') out[(e as Debug).task] = (e as Debug).msg;
  return out;
}

test('command output with {{ }}, {% %} and an unclosed {{ is printed verbatim, through register, set_fact, vars and loop', async (t) => {
  const evil = '{{ private_key }} {% if true %}x{% endif %} {{ oops';
  const r = await runPlaybook({
    'inventory.yml': INVENTORY,
    'evil.txt': evil + '\n',
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  vars:
    derived: "seen: {{ out.stdout }}"
  tasks:
    - name: read
      command: cat {{ playbook_dir }}/evil.txt
      register: out
    - name: msg
      debug: { msg: "{{ out.stdout }}" }
    - name: var
      debug: { var: out.stdout }
    - name: keep
      set_fact:
        copied: "{{ out.stdout }}"
        copied_list: "{{ out.stdout_lines }}"
    - name: copied
      debug: { msg: "{{ copied }}" }
    - name: copied_list
      debug: { msg: "{{ copied_list[0] }}" }
    - name: derived
      debug: { msg: "{{ derived }}" }
    - name: each
      debug: { msg: "{{ item }}" }
      loop: "{{ out.stdout_lines }}"
    - name: unrelated when
      debug: { msg: fine }
      when: out.rc == 0 and copied is defined
    - name: hostvars
      debug: { msg: "{{ hostvars['local1'].copied }}" }
`,
  }, { inventory: ['inventory.yml'] });
  t.is(r.code, 0, JSON.stringify(r.results().filter((e) => e.status === 'failed')));
  const d = debugs(r);
  t.is(d.msg, evil);
  t.deepEqual(d.var, { 'out.stdout': evil });
  t.is(d.copied, evil);
  t.is(d.copied_list, evil);
  t.is(d.derived, `seen: ${evil}`);
  t.is(d.each, evil);
  t.is(d['unrelated when'], 'fine');
  t.is(d.hostvars, evil);
  t.false(JSON.stringify(r.events).includes('/home/ops/.ssh/id_secret'), 'the inventory variable named in host data was never rendered');
});

test('facts set by a module from host data are data', async (t) => {
  const r = await runPlaybook({
    'inventory.yml': INVENTORY,
    'library/read_fact.js': `
export default {
  name: 'read_fact',
  description: 'a fact read from a file on the host',
  schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
  async gather(args, host) { return (await host.run(['cat', '--', args.path])).stdout; },
  plan(args, content) { return { changed: false, reason: 'read', result: { ansible_facts: { from_host: content.trim() } } }; },
};
`,
    'evil.txt': '{{ private_key }}\n',
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - read_fact: { path: "{{ playbook_dir }}/evil.txt" }
    - name: fact
      debug: { msg: "{{ from_host }}" }
`,
  }, { inventory: ['inventory.yml'] });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.is(debugs(r).fact, '{{ private_key }}');
});

test('set_fact of playbook text is still a template (as Ansible: only host data is unsafe)', async (t) => {
  const r = await runPlaybook({
    'inventory.yml': INVENTORY,
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  vars:
    literal: !unsafe "{{ private_key }}"
  tasks:
    - set_fact:
        later: "\\\\{{ private_key }}"
    - name: later
      debug: { msg: "{{ later }}" }
    - name: literal
      debug: { msg: "{{ literal }}" }
    - name: unsafe arg
      debug: { msg: !unsafe "{{ literal }} {{ oops" }
`,
  }, { inventory: ['inventory.yml'] });
  t.is(r.code, 0, JSON.stringify(r.results()));
  const d = debugs(r);
  t.is(d.later, '/home/ops/.ssh/id_secret');
  t.is(d.literal, '{{ private_key }}');
  t.is(d['unsafe arg'], '{{ literal }} {{ oops');
});

test('buildVars: an Unsafe binding is bound verbatim, and a value rendered from it is known to be data', (t) => {
  const vars = buildVars([{ secret: 's3cret', data: new Unsafe('{{ secret }}'), derived: '<{{ data }}>', plain: '<{{ secret }}>', nested: ['{{ derived }}', new Unsafe('{{ x')] }]);
  t.is(vars.data, '{{ secret }}');
  t.is(vars.derived, '<{{ secret }}>');
  t.deepEqual(vars.nested, ['<{{ secret }}>', '{{ x']);
  t.deepEqual(trackUnsafe(() => renderDeep('{{ derived }}', vars)), { value: '<{{ secret }}>', unsafe: true });
  t.deepEqual(trackUnsafe(() => renderDeep('{{ nested }}', vars)), { value: ['<{{ secret }}>', '{{ x'], unsafe: true });
  t.deepEqual(trackUnsafe(() => renderDeep('{{ plain }}', vars)), { value: '<s3cret>', unsafe: false });
  // Bindings copied into a later merge keep their mark.
  const next = buildVars([vars, { again: '{{ derived }}' }]);
  t.true(trackUnsafe(() => next.again).unsafe);
  const marked: Record<string, unknown> = { a: new Unsafe('{{ secret }}') };
  t.is(renderDeep(marked, vars).a, '{{ secret }}');
});

test('!unsafe in the inventory, play vars and task args: loaded, validated and run without being read as a template', async (t) => {
  const files = {
    'inventory.yml': `all:
  vars:
    raw: !unsafe "{{ ghost }} {{ oops"
  hosts:
    local1: { ansible_connection: local }
`,
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  vars:
    stmt: !unsafe "{% raw %}{{ ghost }}"
  tasks:
    - name: show
      debug: { msg: "{{ raw }} | {{ stmt }} | {{ hostvars.local1.raw }}" }
    - name: arg
      command: { argv: [printf, '%s', !unsafe "{{ ghost }}"] }
      register: out
      changed_when: false
    - name: out
      debug: { msg: "{{ out.stdout }}" }
`,
  };
  const dir = writeTree(files);
  const registry = await loadRegistry();
  const problems = validatePlaybookVariables([await loadPlaybook(join(dir, 'playbook.yml'), registry)], await loadInventory([join(dir, 'inventory.yml')]), {});
  t.deepEqual(problems, [], 'tsplay validate reads no variable inside !unsafe');
  const r = await runPlaybook(files, { inventory: ['inventory.yml'] });
  t.is(r.code, 0, JSON.stringify(r.results()));
  const d = debugs(r);
  t.is(d.show, '{{ ghost }} {{ oops | {% raw %}{{ ghost }} | {{ ghost }} {{ oops');
  t.is(d.out, '{{ ghost }}');
});

test('gathered facts are data: a host whose hostname reads "{{ private_key }}"', async (t) => {
  const real = hostname().split('.')[0];
  const r = await runPlaybook({
    'inventory.yml': INVENTORY,
    'playbook.yml': `
- hosts: local1
  gather_facts: true
  tasks:
    - name: fact
      debug: { msg: "{{ ansible_hostname }}|{{ ansible_facts.hostname }}|{{ hostvars.local1.ansible_hostname }}" }
`,
  }, {
    inventory: ['inventory.yml'],
    // The controller's hostname, as the host reports it, replaced with template text.
    connect: (s) => {
      const local = new LocalConnection(s.host);
      return { host: s.host, connect: async () => {}, close: async () => {}, exec: async (c, o) => {
        const res = await local.exec(c, o);
        const swap = (text: string) => text.split(real).join('{{ private_key }}');
        return { ...res, stdout: swap(res.stdout), stdoutBytes: Buffer.from(swap(res.stdoutBytes.toString('latin1')), 'latin1') };
      } };
    },
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.is(debugs(r).fact, '{{ private_key }}|{{ private_key }}|{{ private_key }}');
});
