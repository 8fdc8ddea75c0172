// The runner over the local connection: real commands and files in a temp dir.

import test from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook } from '../../../helpers/run-playbook.js';
import type { RunEvent } from '../../../../engine/report/events.js';

test('when, register, set_fact and debug across tasks', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: echo
      command: echo hello
      register: out
      changed_when: false
    - name: remember
      set_fact:
        greeting: "{{ out.stdout }} world"
    - name: only local1
      debug: { msg: "{{ greeting }}" }
      when: inventory_hostname == 'local1'
`,
  });
  t.is(r.code, 0);
  t.deepEqual(r.results('echo').map((e) => e.status), ['ok', 'ok']);
  const dbg = r.events.filter((e) => e.kind === 'debug');
  t.is(dbg.length, 1);
  t.deepEqual((dbg[0] as { msg: unknown }).msg, 'hello world');
  t.deepEqual(r.results('only local1').map((e) => `${e.host}:${e.status}`).sort(), ['local1:ok', 'local2:skipped']);
  t.deepEqual(r.recap().local2, { ok: 2, changed: 0, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 });
});

test('loop with item, loop label and registered results', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  vars:
    names: [a, b, c]
  tasks:
    - name: each
      command: "echo {{ item }}"
      loop: "{{ names }}"
      register: each
    - name: check
      assert:
        that:
          - each.results | length == 3
          - each.results[2].stdout == 'c'
          - each is changed
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.deepEqual(r.results('each').map((e) => e.item), ['a', 'b', 'c']);
  t.is(r.results('check')[0].status, 'ok');
});

test('handlers run once, at the end, only on hosts that changed, in definition order', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: change on local1
      command: "true"
      when: inventory_hostname == 'local1'
      notify: [second, first]
    - name: change again
      command: "true"
      when: inventory_hostname == 'local1'
      notify: first
    - name: no change
      command: "true"
      changed_when: false
      notify: second
  handlers:
    - name: first
      debug: { msg: first }
    - name: second
      debug: { msg: second }
`,
  });
  t.is(r.code, 0);
  const handlerRuns = r.events.filter((e) => e.kind === 'task_start' && e.handler).map((e) => (e as { task: string }).task);
  t.deepEqual(handlerRuns, ['first', 'second']);
  t.deepEqual(r.results('first').map((e) => e.host), ['local1']);
  t.deepEqual(r.results('second').map((e) => e.host), ['local1']);
});

test('block, rescue and always: the rescued failure is counted as rescued', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - block:
        - name: boom
          command: "false"
        - name: never
          debug: { msg: unreachable code }
      rescue:
        - name: recover
          debug: { msg: recovered }
      always:
        - name: cleanup
          debug: { msg: always }
    - name: after
      debug: { msg: after }
`,
  });
  t.is(r.code, 0);
  t.is(r.results('boom')[0].status, 'failed');
  t.is(r.results('never').length, 0);
  t.is(r.results('recover')[0].status, 'ok');
  t.is(r.results('cleanup')[0].status, 'ok');
  t.is(r.results('after')[0].status, 'ok');
  t.like(r.recap().local1, { failed: 0, rescued: 1 });
});

test('always runs after an unrescued failure, and the host then stops', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: fails on local1
          command: "false"
          when: inventory_hostname == 'local1'
      always:
        - name: cleanup
          debug: { msg: always }
    - name: next
      debug: { msg: next }
`,
  });
  t.is(r.code, 2);
  t.deepEqual(r.results('cleanup').map((e) => e.host).sort(), ['local1', 'local2']);
  t.deepEqual(r.results('next').map((e) => e.host), ['local2']);
  t.like(r.recap().local1, { failed: 1 });
});

test('retries/until retries until the condition holds', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: count
      shell: "echo x >> {{ playbook_dir }}/count; wc -l < {{ playbook_dir }}/count"
      register: c
      until: c.stdout | int >= 3
      retries: 5
      delay: 0
`,
  });
  t.is(r.code, 0);
  t.is(readFileSync(join(r.dir, 'count'), 'utf8').trim().split('\n').length, 3);
  t.is(r.results('count')[0].result?.attempts, 3);
});

test('until as Ansible 2.14 (checked with ansible-playbook on this machine): a true until ends the retries even on a failed result; each retry prints FAILED - RETRYING', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: fails but done
      command: "false"
      register: f
      until: f.rc == 1
      retries: 3
      delay: 0
      ignore_errors: true
    - name: never done
      command: echo x
      register: n
      until: n.rc == 1
      retries: 2
      delay: 0
      ignore_errors: true
`,
  });
  t.like(r.results('fails but done')[0], { status: 'failed', ignored: true, result: { attempts: 1, rc: 1 } });
  const retries = r.events.filter((e) => e.kind === 'retry');
  t.deepEqual(retries.map((e) => e.kind === 'retry' && [e.task, e.left]), [['never done', 2], ['never done', 1]]);
  // Deliberate (docs/playbooks.md "Conditions"): the true count of attempts (Ansible says 2 after 3) and a message that says why.
  t.like(r.results('never done')[0], { status: 'failed', result: { attempts: 3, msg: 'run echo x (until condition not met after 3 attempts)' } });
});

test('ignore_errors counts as ignored and the host goes on', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: fails
      command: "false"
      ignore_errors: true
      register: f
    - name: sees failure
      assert: { that: ["f is failed", "f.rc == 1"] }
`,
  });
  t.is(r.code, 0);
  t.true(r.results('fails')[0].ignored);
  t.like(r.recap().local1, { ok: 2, failed: 0, ignored: 1 });
});

test('failed_when turns a success into a failure; the other host goes on', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: judged
      command: echo bad
      register: out
      failed_when: "'bad' in out.stdout and inventory_hostname == 'local1'"
    - name: next
      debug: { msg: ok }
`,
  });
  t.is(r.code, 2);
  t.deepEqual(r.results('judged').map((e) => `${e.host}:${e.status}`).sort(), ['local1:failed', 'local2:changed']);
  t.deepEqual(r.results('next').map((e) => e.host), ['local2']);
});

test('an undefined variable fails the task naming the variable, task and place', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: uses undefined
      debug: { msg: "{{ nope.deeper }}" }
`,
  });
  t.is(r.code, 2);
  const msg = r.results('uses undefined')[0].msg ?? '';
  t.regex(msg, /undefined variable "nope/);
  t.regex(msg, /playbook\.yml:5:7/);
  t.regex(msg, /uses undefined/);
});

test('hostvars: a later play reads what an earlier play registered on another host', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - command: echo 111
      register: nova_id
- hosts: local2
  gather_facts: false
  tasks:
    - name: read
      assert:
        that: hostvars.local1.nova_id.stdout == '111'
    - name: template
      debug: { msg: "uid={{ hostvars.local1.nova_id.stdout }}" }
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.is((r.events.find((e) => e.kind === 'debug') as { msg: unknown }).msg, 'uid=111');
});

test('serial runs the play in batches', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - name: one
      debug: { msg: one }
    - name: two
      debug: { msg: two }
`,
  });
  t.is(r.code, 0);
  const order = r.results().map((e) => `${e.task}@${e.host}`);
  t.deepEqual(order, ['one@local1', 'two@local1', 'one@local2', 'two@local2']);
});

test('tags and skip-tags select tasks; always runs unless skipped', async (t) => {
  const files = {
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - { name: a, debug: { msg: a }, tags: [alpha] }
    - { name: b, debug: { msg: b }, tags: beta }
    - { name: c, debug: { msg: c }, tags: [always] }
    - { name: d, debug: { msg: d } }
`,
  };
  const only = await runPlaybook(files, { tags: ['alpha'] });
  t.deepEqual(only.results().map((e) => e.task), ['a', 'c']);
  const skip = await runPlaybook(files, { skipTags: ['alpha', 'always'] });
  t.deepEqual(skip.results().map((e) => e.task), ['b', 'd']);
});

test('run_once runs on the first host and registers for all', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      command: echo once
      run_once: true
      register: o
    - name: everyone sees it
      assert: { that: "o.stdout == 'once'" }
`,
  });
  t.is(r.code, 0);
  t.deepEqual(r.results('once').map((e) => e.host), ['local1']);
  t.is(r.results('everyone sees it').length, 2);
});

test('any_errors_fatal stops every host', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: fail one
      fail: { msg: stop }
      when: inventory_hostname == 'local1'
    - name: next
      debug: { msg: next }
`,
  });
  t.is(r.code, 2);
  t.is(r.results('next').length, 0);
});

test('check mode writes nothing and later tasks see the predicted file', async (t) => {
  const files = {
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: add line
      lineinfile: { path: "{{ playbook_dir }}/conf", line: "listen_tcp = 1", create: true }
    - name: same line again
      lineinfile: { path: "{{ playbook_dir }}/conf", line: "listen_tcp = 1" }
`,
  };
  const check = await runPlaybook(files, { check: true });
  t.is(check.code, 0, JSON.stringify(check.results()));
  t.false(existsSync(join(check.dir, 'conf')), 'check mode must not create the file');
  t.is(check.results('add line')[0].status, 'changed');
  t.is(check.results('same line again')[0].status, 'ok', 'the second task plans against the predicted content');
  const real = await runPlaybook(files);
  t.is(real.code, 0);
  t.is(readFileSync(join(real.dir, 'conf'), 'utf8'), 'listen_tcp = 1\n');
  t.deepEqual(real.results().map((e) => e.status), check.results().map((e) => e.status));
});

// As ansible-playbook 2.14 runs it (checked with /usr/bin/ansible-playbook): a topic wakes every handler
// that listens to it, skipped ones included, and a handler notified by an earlier one runs in the same flush.
test('a notified listen topic runs every handler listening to it, in definition order', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - { name: change, command: "true", notify: [restart thing, first] }
  handlers:
    - { name: first, command: "true", notify: early }
    - { name: early, debug: { msg: early } }
    - { name: remove pid, debug: { msg: remove }, listen: restart thing, when: false }
    - { name: restart service, debug: { msg: restart }, listen: restart thing }
    - { name: also, debug: { msg: also }, listen: restart thing }
`,
  });
  t.is(r.code, 0);
  const handlerRuns = r.events.filter((e) => e.kind === 'task_start' && e.handler).map((e) => (e as { task: string }).task);
  t.deepEqual(handlerRuns, ['first', 'early', 'remove pid', 'restart service', 'also']);
  t.deepEqual(r.results('remove pid').map((e) => e.status), ['skipped']);
  t.deepEqual(r.results('also').map((e) => e.status), ['ok']);
});

test('a notified name runs the first handler of that name and every handler listening to it', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - { name: change, command: "true", notify: dup }
  handlers:
    - { name: dup, debug: { msg: dup-first } }
    - { name: dup, debug: { msg: dup-second } }
    - { name: other, debug: { msg: other }, listen: dup }
`,
  });
  t.is(r.code, 0);
  t.deepEqual(r.events.filter((e) => e.kind === 'debug').map((e) => (e as { msg: unknown }).msg), ['dup-first', 'other']);
});

test('meta flush_handlers runs notified handlers at that point', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - { name: change, command: "true", notify: h }
    - meta: flush_handlers
    - { name: after, debug: { msg: after } }
  handlers:
    - { name: h, debug: { msg: handler } }
`,
  });
  t.is(r.code, 0);
  t.deepEqual(r.results().map((e) => e.task), ['change', 'h', 'after']);
});

test('free strategy: a slow host does not hold the others back', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: slow on local1
      # 4 s: more than two process starts take on a loaded machine.
      shell: "sleep {{#if (eq inventory_hostname 'local1')}}4{{else}}0{{/if}}"
    - name: mark
      shell: "echo {{ inventory_hostname }} >> {{ playbook_dir }}/order"
`,
  }, { strategy: 'free' });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.deepEqual(readFileSync(join(r.dir, 'order'), 'utf8').trim().split('\n'), ['local2', 'local1']);
});

test("no_log hides args and output; environment reaches the command; delegate_to runs elsewhere with this host's vars", async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: secret
      command: echo s3cret
      no_log: true
    - name: env
      shell: echo "$GREETING"
      environment: { GREETING: hi there }
      register: e
    - assert: { that: "e.stdout == 'hi there'" }
    - name: delegated
      shell: "echo {{ inventory_hostname }}"
      delegate_to: local2
      register: d
    - assert: { that: "d.stdout == 'local1'" }
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  const secret = r.results('secret')[0];
  t.false(JSON.stringify(secret).includes('s3cret'));
  t.regex(secret.msg ?? '', /no_log/);
});

test('a failing probe with changed_when: false and failed_when: false is ok, not changed', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: probe
      command: "false"
      register: p
      changed_when: false
      failed_when: false
    - assert: { that: ["p.rc == 1", "p is not changed", "p is not failed"] }
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.is(r.results('probe')[0].status, 'ok');
  t.like(r.recap().local1, { changed: 0, failed: 0 });
});

test('inventory variables render lazily: an unused or not-yet-set reference is not an error', async (t) => {
  const r = await runPlaybook({
    'inventory.yml': `all:
  vars:
    later: "{{ not_yet_set }}/x"
    peer: "{{ hostvars.local2.inventory_hostname }}"
  hosts:
    local1: { ansible_connection: local }
    local2: { ansible_connection: local }
`,
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - debug: { msg: "{{ peer }}" }
    - set_fact: { not_yet_set: /srv }
    - name: late
      debug: { msg: "{{ later }}" }
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.deepEqual(r.events.filter((e) => e.kind === 'debug').map((e) => (e as { msg: unknown }).msg), ['local2', '/srv/x']);
});

test('a check_mode: true task (a pre-flight) predicts nothing: later tasks still plan the change', async (t) => {
  const files = {
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: preflight
      lineinfile: { path: "{{ playbook_dir }}/conf", line: "x = 1", create: true }
      check_mode: true
    - name: real
      lineinfile: { path: "{{ playbook_dir }}/conf", line: "x = 1", create: true }
`,
  };
  for (const check of [true, false]) {
    const r = await runPlaybook(files, { check });
    t.is(r.code, 0);
    t.deepEqual(r.results().map((e) => `${e.task}:${e.status}`), ['preflight:changed', 'real:changed'], `check=${check}`);
  }
});

test('a user module from library/; without gather_facts modules still see facts, variables do not', async (t) => {
  const r = await runPlaybook({
    'library/init_system.js': `export default {
  name: 'init_system',
  description: 'report the init system the engine detected',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  async gather(args, host, ctx) { return { mgr: ctx.facts.service_mgr, arch: host.facts.architecture }; },
  plan(args, state) { return { changed: false, reason: 'read', result: state }; },
};
`,
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: probe
      init_system: {}
      register: s
    - name: checks
      assert:
        that:
          - s.mgr in ['systemd', 'upstart', 'sysvinit', 'process_api', 'service']
          - s.arch | length > 0
          - ansible_service_mgr is not defined
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
});

test('without gather_facts, tsplay\'s own modules run no fact probe; the init system is read once per host', async (t) => {
  const playbook = `
- hosts: local1
  gather_facts: false
  tasks:
    - stat: { path: / }
    - systemd: { name: tsplay-no-such-unit.service, state: started }
      ignore_errors: true
    - systemd: { name: tsplay-no-such-unit.service, state: started }
      ignore_errors: true
`;
  // --check: nothing on this machine changes, and gather still reads everything it reads for real
  const r = await runPlaybook({ 'playbook.yml': playbook }, { verbosity: 3, check: true });
  const commandsOf = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { kind: 'command' }> => e.kind === 'command').map((e) => e.command);
  const cmds = commandsOf(r.events);
  t.is(r.results().length, 3, JSON.stringify(r.results()));
  // the minimal set's probe reads LONG_BIT; the init system probe prints run_systemd
  t.is(cmds.filter((c) => c.includes('getconf LONG_BIT')).length, 0, cmds.join('\n---\n'));
  t.is(cmds.filter((c) => c.includes('echo run_systemd')).length, 1, cmds.join('\n---\n'));
  // a user's module still gets the probe, once
  const user = await runPlaybook({
    'library/facts_seen.js': `export default {
  name: 'facts_seen',
  description: 'report the os_id it saw',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  async gather(args, host, ctx) { return { os: ctx.facts.os_id }; },
  plan(args, state) { return { changed: false, reason: 'read', result: state }; },
};
`,
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - facts_seen: {}
    - facts_seen: {}
`,
  }, { verbosity: 3 });
  const userCmds = commandsOf(user.events);
  t.is(userCmds.filter((c) => c.includes('getconf LONG_BIT')).length, 1);
  t.not((user.results()[0].result as { os?: string }).os, 'unknown');
});

test('readiness: a check with a false when is no column; detail shows beside ok', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: hop
      set_fact: { hop_ms: 1234 }
      when: inventory_hostname == 'local1'
    - name: table
      readiness:
        title: Ready
        checks:
          - name: always
            that: true
          - name: migration
            when: hop_ms is defined
            that: hop_ms < 2000
            detail: "{{ inventory_hostname }} in {{ hop_ms | default('') }} ms"
            reason: "too slow"
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  const ev = r.events.find((e) => e.kind === 'readiness');
  if (ev?.kind !== 'readiness') return t.fail('no readiness event');
  t.deepEqual(ev.columns, ['always', 'migration']);
  const rows = Object.fromEntries(ev.rows.map((x) => [x.host, x.cells]));
  t.deepEqual(rows.local1, { always: { ok: true }, migration: { ok: true, detail: 'local1 in 1234 ms' } });
  t.deepEqual(rows.local2, { always: { ok: true } }, 'no migration cell where its when is false');
});

test('omit: options rendered to omit are left out, as if not written', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: chdir omitted
      command:
        cmd: pwd
        chdir: "{{ workdir | default(omit) }}"
      register: out
    - name: msg omitted
      debug:
        msg: "{{ nothing | default(omit) }}"
    - name: the placeholder is a per-run string
      assert:
        that:
          - omit is string
          - omit is match('__omit_place_holder__[0-9a-f]{40}$')
`,
  });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.is(r.results('chdir omitted')[0].status, 'changed');
  const dbg = r.events.filter((e) => e.kind === 'debug');
  t.deepEqual((dbg[0] as { msg: unknown }).msg, 'Hello world!');
  t.is(r.results('the placeholder is a per-run string')[0].status, 'ok');
});

test("debug var= of an undefined variable prints Ansible's VARIABLE IS NOT DEFINED!, and registers the variable under its name", async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `- hosts: local1
  gather_facts: false
  tasks:
    - debug: var=nope
    - debug: var=y
      vars: { y: [1] }
      register: r
    - debug: var=r
`,
  });
  t.is(r.code, 0);
  const dbg = r.events.filter((e) => e.kind === 'debug').map((e) => (e as { msg: unknown }).msg);
  t.deepEqual(dbg, [{ nope: 'VARIABLE IS NOT DEFINED!' }, { y: [1] }, { r: { y: [1], changed: false } }]);
});

test('a bad argument in a task guarded by when fails that task only when it runs (as Ansible: a task for another platform is skipped)', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `- hosts: local1
  gather_facts: false
  vars: { family: Debian }
  tasks:
    - name: other platform
      package: { name: fail2ban, state: present, enablerepo: epel }
      when: family == 'RedHat'
    - name: this platform
      package: { name: fail2ban, state: present, enablerepo: epel }
      when: family == 'Debian'
    - name: after
      debug: msg=never
`,
  });
  t.is(r.code, 2);
  t.is(r.results('other platform')[0].status, 'skipped');
  const failed = r.results('this platform')[0];
  t.is(failed.status, 'failed');
  t.regex(failed.msg ?? '', /playbook\.yml:9:50: package: unknown option "enablerepo"/);
  t.is(r.results('after').length, 0);
});

test('a bad argument in a task without when is still refused at load', async (t) => {
  const err = await t.throwsAsync(runPlaybook({ 'playbook.yml': '- hosts: local1\n  tasks:\n    - package: { name: x, enablerepo: epel }\n' }));
  t.regex(err?.message ?? '', /playbook\.yml:3:\d+: package: unknown option "enablerepo"/);
});
