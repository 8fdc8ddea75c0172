// remote_user, port, connection and become_method on real lab hosts: a task
// runs over SSH as the user its keywords name (a second connection to the
// same host, kept for the run), sudo from that user and su from root become
// another one, `port` reaches sshd on a second port, `connection: local`
// runs on the controller, facts are gathered as the play's remote_user, a
// templated remote_user renders per host, check mode plans over the same
// connections, and a user that cannot log in makes the host unreachable as
// the main connection would. Lab "conn", 2 hosts.
//
// Checked against Ansible: the first playbook below (on conn1, python3
// installed) gave under ansible-playbook 2.14 on 2026-11-30 the same output for
// every task as the assertions here: deploy (facts), "deploy 22", "root 22",
// deploy (templated), root (sudo), deploy (su), "root 2222", the controller's
// hostname.

import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { loadInventory } from '../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../engine/load/playbook.js';
import { loadRegistry } from '../../engine/load/registry.js';
import { Runner } from '../../engine/run/runner.js';
import type { ConnectionSettings } from '../../engine/connection/connection.js';
import { connect } from '../../engine/run/connect.js';
import type { HostResultEvent, RunEvent } from '../../engine/report/events.js';
import { labGate } from '../helpers/lab-gate.js';
import { labOut, labSsh } from '../helpers/lab-cli.js';
import { sshConfigReader } from '../../engine/connection/ssh-config.js';
import { execFileSync } from 'node:child_process';

const LAB = 'conn';
const H1 = `${LAB}1`;
const H2 = `${LAB}2`;

const canHost = labGate('the connection keyword lab tests');

interface Run {
  code: number;
  events: RunEvent[];
  /** Every connection the run made: its host, user, port and kind. */
  opened: string[];
}

if (canHost) {
  let info: LabInfo;
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-connlab-'));

  async function run(playbook: string, check = false): Promise<Run> {
    writeFileSync(join(dir, 'playbook.yml'), playbook);
    const inventory = await loadInventory([join(dir, 'inventory.yml')]);
    const registry = await loadRegistry();
    const pb = await loadPlaybook(join(dir, 'playbook.yml'), registry);
    const events: RunEvent[] = [];
    const opened: string[] = [];
    const runner = new Runner({
      inventory, registry, check, diff: false, forks: 5, strategy: 'linear',
      tags: [], skipTags: [], extraVars: {}, verbosity: 0, emit: (e) => events.push(e),
      // The ordinary factory (ssh or local), recording what was opened.
      connect: (s: ConnectionSettings) => {
        opened.push(`${s.host} ${s.connection} ${s.user}:${s.port}`);
        return connect(s, (e) => events.push(e));
      },
    });
    const code = await runner.run([pb]);
    return { code, events, opened };
  }

  const results = (r: Run, task: string): HostResultEvent[] => r.events.filter((e): e is HostResultEvent => e.kind === 'host_result' && e.task === task);
  const stdout = (r: Run, task: string, host = H1): string => {
    const e = results(r, task).find((x) => x.host === host);
    if (!e) throw new Error(`no result for ${task} on ${host}: ${JSON.stringify(r.events.filter((x) => x.kind === 'host_result'))}`);
    const out = e.result?.stdout;
    return typeof out === 'string' ? out : `(${e.status}: ${e.msg ?? ''})`;
  };

  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 2 });
    for (const h of [H1, H2]) {
      // A login user with the lab's key, allowed sudo without a password; sshd also on port 2222.
      await labOut(info, h, [
        'useradd -m -s /bin/bash deploy',
        'install -d -m 700 -o deploy -g deploy /home/deploy/.ssh',
        'install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys',
        "echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy",
        "printf 'Port 22\\nPort 2222\\n' > /etc/ssh/sshd_config.d/conn-test.conf",
        'systemctl reload ssh',
        'for i in $(seq 50); do ss -ltn | grep -q ":2222 " && break; sleep 0.1; done; ss -ltn | grep -q ":2222 "',
        'command -v sudo',
      ].join(' && '));
    }
    // The lab's host keys, also for sshd's second port ("[address]:2222", as OpenSSH records them).
    const known = readFileSync(info.knownHostsFile, 'utf8').split('\n').filter((l) => /^\d/.test(l));
    writeFileSync(join(dir, 'known_hosts'), [...known, ...known.map((l) => l.replace(/^(\S+)/, '[$1]:2222')), ''].join('\n'));
    // The lab's inventory without its ansible_user: root, which (a variable) would beat every
    // remote_user keyword, as in Ansible. The default login user is then the controller's (root).
    writeFileSync(join(dir, 'inventory.yml'), [
      'all:',
      '  vars:',
      `    ansible_ssh_private_key_file: ${JSON.stringify(info.keyFile)}`,
      `    tsplay_known_hosts_file: ${JSON.stringify(join(dir, 'known_hosts'))}`,
      '  hosts:',
      ...info.hosts.map((h) => `    ${h.name}: { ansible_host: ${JSON.stringify(h.address)} }`),
      '',
    ].join('\n'));
  });

  test.after.always(async () => {
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  const PLAYBOOK = `
- hosts: ${H1}:${H2}
  gather_facts: true
  remote_user: deploy
  vars:
    login_as: "{{ 'deploy' if inventory_hostname == '${H1}' else 'root' }}"
  tasks:
    - name: facts were gathered as the play's user
      debug: { msg: "{{ ansible_user_id }}" }
    - name: play user
      shell: 'echo "$(id -un) \${SSH_CONNECTION##* }"'
    - name: task user
      shell: 'echo "$(id -un) \${SSH_CONNECTION##* }"'
      remote_user: root
    - name: templated user
      command: id -un
      remote_user: "{{ login_as }}"
    - name: sudo from the play's user
      command: id -un
      become: true
      become_method: sudo
    - name: su from root
      command: id -un
      remote_user: root
      become: true
      become_method: su
      become_user: deploy
    - name: second port
      shell: 'echo "$(id -un) \${SSH_CONNECTION##* }"'
      remote_user: root
      port: 2222
    - name: on the controller
      command: hostname
      connection: local
    - name: a file written as the play's user
      copy: { content: "written by tsplay\\n", dest: /home/deploy/made-by-deploy }
`;

  test.serial('each task runs as its keywords say; one connection per (host, user, port), kept for the run', async (t) => {
    const r = await run(PLAYBOOK);
    t.is(r.code, 0, JSON.stringify(r.events.filter((e) => e.kind === 'host_result' && e.status === 'failed')));
    const debug = r.events.filter((e) => e.kind === 'debug' && e.task === "facts were gathered as the play's user") as Array<{ host?: string; msg?: unknown }>;
    t.deepEqual(debug.map((d) => d.msg), ['deploy', 'deploy']);
    t.is(stdout(r, 'play user'), 'deploy 22');
    t.is(stdout(r, 'task user'), 'root 22');
    t.is(stdout(r, 'templated user', H1), 'deploy');
    t.is(stdout(r, 'templated user', H2), 'root');
    t.is(stdout(r, 'sudo from the play\'s user'), 'root');
    t.is(stdout(r, 'su from root'), 'deploy');
    t.is(stdout(r, 'second port'), 'root 2222');
    t.is(stdout(r, 'on the controller'), hostname());
    t.is((await labOut(info, H1, 'stat -c %U /home/deploy/made-by-deploy')).trim(), 'deploy');
    // Lazily, once each per host: the play's user (facts and tasks), root, root on 2222, and the controller.
    t.deepEqual(r.opened.filter((o) => o.includes(' ssh ')).sort(), [
      `${H1} ssh deploy:22`, `${H1} ssh root:22`, `${H1} ssh root:2222`,
      `${H2} ssh deploy:22`, `${H2} ssh root:22`, `${H2} ssh root:2222`,
    ]);
    t.deepEqual(r.opened.filter((o) => o.includes(' local ')).map((o) => o.split(' ')[0]).sort(), [H1, H2]);
    // Closed at the end: no session of the run's extra user is left on the host.
    const sessions = await labOut(info, H1, "for i in $(seq 25); do n=$(ps -eo user,args | grep -c '^deploy .*sshd'); [ \"$n\" = 0 ] && break; sleep 0.2; done; echo $n");
    t.is(sessions.trim(), '0');
  });

  test.serial('check mode plans over the same connections and changes nothing', async (t) => {
    await labOut(info, H1, 'rm -f /home/deploy/made-by-deploy');
    const r = await run(PLAYBOOK, true);
    t.is(r.code, 0);
    const copy = results(r, 'a file written as the play\'s user').find((e) => e.host === H1);
    t.is(copy?.status, 'changed');
    t.is((await labSsh(info, H1, 'test -e /home/deploy/made-by-deploy')).rc, 1, 'check mode wrote nothing');
    t.true(r.opened.includes(`${H1} ssh deploy:22`));
  });

  test.serial('an OpenSSH client configuration (-F) gives HostName, User, Port, IdentityFile and UserKnownHostsFile, as the ssh client reads it', async (t) => {
    const cfg = join(dir, 'ssh_config');
    writeFileSync(cfg, [
      'Host alias*',
      `  HostName ${info.hosts[0].address}`,
      '  User deploy',
      '  Port 2222',
      `  IdentityFile ${info.keyFile}`,
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'inventory-alias.yml'), `all:\n  hosts:\n    alias1: { ansible_ssh_common_args: "-F ${cfg}" }\n`);
    writeFileSync(join(dir, 'alias.yml'), `
- hosts: alias1
  gather_facts: false
  tasks:
    - name: who and where
      shell: 'echo "$(id -un) \${SSH_CONNECTION##* }"'
`);
    const events: RunEvent[] = [];
    const runner = new Runner({
      inventory: await loadInventory([join(dir, 'inventory-alias.yml')]), registry: await loadRegistry(), check: false, diff: false, forks: 5, strategy: 'linear',
      tags: [], skipTags: [], extraVars: {}, verbosity: 0, emit: (e) => events.push(e), connectionDefaults: { sshConfig: sshConfigReader() },
    });
    const code = await runner.run([await loadPlaybook(join(dir, 'alias.yml'), await loadRegistry())]);
    t.is(code, 0, JSON.stringify(events.filter((e) => e.kind === 'host_result')));
    const ours = (events.find((e) => e.kind === 'host_result' && e.task === 'who and where') as HostResultEvent).result?.stdout;
    t.is(ours, 'deploy 2222');
    // OpenSSH's own client, with the same file, lands in the same place.
    const theirs = execFileSync('ssh', ['-F', cfg, '-o', 'BatchMode=yes', 'alias1', 'echo "$(id -un) ${SSH_CONNECTION##* }"'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    t.is(theirs, String(ours));
  });

  test.serial('a user that cannot log in makes the host unreachable, as for its own connection', async (t) => {
    const r = await run(`
- hosts: ${H1}:${H2}
  gather_facts: false
  tasks:
    - name: as nobody-here
      command: id -un
      remote_user: "{{ 'nosuchuser' if inventory_hostname == '${H2}' else 'root' }}"
    - name: after
      command: "true"
`);
    t.is(r.code, 3, 'exit 3: a host unreachable');
    t.is(results(r, 'as nobody-here').find((e) => e.host === H2)?.status, 'unreachable');
    t.is(results(r, 'as nobody-here').find((e) => e.host === H1)?.status, 'changed');
    t.deepEqual(results(r, 'after').map((e) => e.host), [H1]);
    const recap = r.events.find((e) => e.kind === 'recap') as { hosts: Record<string, { unreachable: number }> };
    t.is(recap.hosts[H2].unreachable, 1);
  });

  // Last: it closes sshd's second port on conn2 to every address but conn1's.
  test.serial('a jump host (-J): the host is reached only through its bastion, as OpenSSH reaches it', async (t) => {
    const [b, target] = info.hosts;
    await labOut(info, H2, [
      `printf 'Match LocalPort 2222 Address *,!${b.address}\\n  PubkeyAuthentication no\\n  PasswordAuthentication no\\n  KbdInteractiveAuthentication no\\n' > /etc/ssh/sshd_config.d/zz-jump-test.conf`,
      'sshd -t', 'systemctl reload ssh', 'sleep 0.5',
    ].join(' && '));
    const where = 'echo "${SSH_CONNECTION%% *} ${SSH_CONNECTION##* }"';
    const inv = (extra: string) => [
      'all:', '  vars:',
      `    ansible_ssh_private_key_file: ${JSON.stringify(info.keyFile)}`,
      `    tsplay_known_hosts_file: ${JSON.stringify(join(dir, 'known_hosts'))}`,
      '  hosts:',
      `    ${H2}: { ansible_host: ${JSON.stringify(target.address)}, ansible_user: root, ansible_port: 2222${extra} }`, '',
    ].join('\n');
    const runWith = async (inventory: string) => {
      writeFileSync(join(dir, 'inventory-jump.yml'), inventory);
      writeFileSync(join(dir, 'jump.yml'), `- hosts: ${H2}\n  gather_facts: false\n  tasks:\n    - name: where from\n      shell: '${where}'\n`);
      const events: RunEvent[] = [];
      const runner = new Runner({
        inventory: await loadInventory([join(dir, 'inventory-jump.yml')]), registry: await loadRegistry(), check: false, diff: false, forks: 5, strategy: 'linear',
        tags: [], skipTags: [], extraVars: {}, verbosity: 0, emit: (e) => events.push(e),
      });
      const code = await runner.run([await loadPlaybook(join(dir, 'jump.yml'), await loadRegistry())]);
      return { code, result: events.find((e) => e.kind === 'host_result') as HostResultEvent };
    };
    // Straight from the controller: refused by the target's sshd.
    const direct = await runWith(inv(''));
    t.is(direct.code, 3, JSON.stringify(direct.result));
    t.is(direct.result.status, 'unreachable');
    // Through conn1: the target sees the bastion's address as the client.
    const jumped = await runWith(inv(`, ansible_ssh_common_args: "-J root@${b.address}"`));
    t.is(jumped.code, 0, JSON.stringify(jumped.result));
    t.is(jumped.result.result?.stdout, `${b.address} 2222`);
    // The ProxyCommand form sites use gives the same.
    const proxied = await runWith(inv(`, ansible_ssh_common_args: "-o ProxyCommand='ssh -W %h:%p -q root@${b.address}'"`));
    t.is(proxied.result.result?.stdout, `${b.address} 2222`);
    // OpenSSH with -J (its jump ssh reads the -F file for its key and known_hosts) lands in the same place.
    const cfg = join(dir, 'ssh_config_jump');
    writeFileSync(cfg, `Host *\n  IdentityFile ${info.keyFile}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  BatchMode yes\n`);
    const theirs = execFileSync('ssh', ['-F', cfg, '-J', `root@${b.address}`, '-p', '2222', `root@${target.address}`, where], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    t.is(theirs, `${b.address} 2222`);
  });
}
