// SSH as operators have it (issue 13), on real lab hosts, through the tsplay
// command line as its own process: a key held by a real ssh-agent (no key file
// configured), an emptied agent (unreachable, exit 3); a private key with a
// passphrase (refused without a terminal before any host is touched, asked
// once on a pseudo-terminal for two hosts, a wrong passphrase refused, the
// agent used when it holds the key); become passwords for sudo
// (ansible_become_password vault-encrypted in the inventory, -K on a
// pseudo-terminal, a wrong one, none, a NOPASSWD host given one anyway), with
// persistent shells and without, with commands that read stdin, the password
// never in any output nor in the -vvv command log; and the same changed/failed
// as ansible-playbook 2.14 on the same hosts. Lab "keys", 2 hosts: keys1 where
// deploy's sudo asks for a password, keys2 where it does not.

import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import type { HostResultEvent, RunEvent } from '../../engine/report/events.js';
import { encryptVault } from '../../engine/vault/format.js';
import { labGate } from '../helpers/lab-gate.js';
import { labOut } from '../helpers/lab-cli.js';
import { tsplayCommand } from '../helpers/tsplay-command.js';

const LAB = 'keys';
const H1 = `${LAB}1`;
const H2 = `${LAB}2`;
const SUDO_PW = 'sudo pw 7Qx!';
const PASSPHRASE = 'key phrase 9Zr';
const VAULT_PW = 'vault-pass-1';

const canHost = labGate('the ssh-agent, key passphrase and become password lab tests');

interface Run {
  code: number;
  out: string;
  events: RunEvent[];
  ms: number;
}

if (canHost) {
  let info: LabInfo;
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-keyslab-'));
  const encKey = join(dir, 'id_enc');
  let agentPid: number | undefined;
  const agentSock = join(dir, 'agent.sock');

  /**
   * tsplay ARGS with `env` added (SSH_AUTH_SOCK removed unless given). With
   * `answers`, on a pseudo-terminal (util-linux script): each answer is typed
   * when its prompt has appeared, so a terminal echo would show in the output.
   */
  function tsplay(args: string[], opts: { env?: Record<string, string>; answers?: Array<[string, string]> } = {}): Promise<Run> {
    const started = Date.now();
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', SSH_AUTH_SOCK: undefined, ...opts.env };
    // the run's working directory is the test's own: tsplayCommand's paths are absolute
    const argv = [process.execPath, ...tsplayCommand(), ...args];
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const child = opts.answers
      ? spawn('script', ['-qec', argv.map(q).join(' '), '/dev/null'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(argv[0], argv.slice(1), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const answers = [...(opts.answers ?? [])];
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        if (answers.length && out.includes(answers[0][0])) child.stdin?.write(`${answers.shift()![1]}\r`);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', reject);
      child.on('close', (code) => {
        const events: RunEvent[] = [];
        for (const line of out.split(/\r?\n/)) {
          if (!line.trim().startsWith('{')) continue;
          try {
            events.push(JSON.parse(line.trim()) as RunEvent);
          } catch {
            // not an event line
          }
        }
        resolve({ code: code ?? 1, out, events, ms: Date.now() - started });
      });
    });
  }

  const results = (r: Run, task: string): HostResultEvent[] => r.events.filter((e): e is HostResultEvent => e.kind === 'host_result' && e.task === task);
  const statusOf = (r: Run, task: string, host: string): string => results(r, task).find((e) => e.host === host)?.status ?? 'none';
  const inventory = (file: string, lines: string[]) => writeFileSync(join(dir, file), ['all:', ...lines, ''].join('\n'));
  const hostsBlock = () => ['  hosts:', ...info.hosts.map((h) => `    ${h.name}: { ansible_host: ${JSON.stringify(h.address)} }`)];
  const sh = (cmd: string, args: string[], env: Record<string, string> = {}) => execFileSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 2 });
    // A key with a passphrase, for root on both hosts; deploy logs in with the lab's key.
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'tsplay-keys-test', '-f', encKey]);
    const pub = readFileSync(`${encKey}.pub`, 'utf8').trim();
    for (const h of [H1, H2]) {
      const sudoers = h === H1 ? 'deploy ALL=(ALL) ALL' : 'deploy ALL=(ALL) NOPASSWD:ALL';
      await labOut(info, h, [
        `echo ${JSON.stringify(pub)} >> /root/.ssh/authorized_keys`,
        'useradd -m -s /bin/bash deploy',
        `echo ${JSON.stringify(`deploy:${SUDO_PW}`)} | chpasswd`,
        'install -d -m 700 -o deploy -g deploy /home/deploy/.ssh',
        'install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys',
        `echo '${sudoers}' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy`,
      ].join(' && '));
    }
    const kh = `    tsplay_known_hosts_file: ${JSON.stringify(info.knownHostsFile)}`;
    // No key file at all: the agent is the only way in.
    inventory('agent.yml', ['  vars:', '    ansible_user: root', kh, ...hostsBlock()]);
    inventory('enc.yml', ['  vars:', '    ansible_user: root', `    ansible_ssh_private_key_file: ${JSON.stringify(encKey)}`, kh, ...hostsBlock()]);
    const deployVars = ['  vars:', '    ansible_user: deploy', `    ansible_ssh_private_key_file: ${JSON.stringify(info.keyFile)}`, kh];
    inventory('deploy.yml', [...deployVars, ...hostsBlock()]);
    // The become password vault-encrypted in the inventory (ansible-vault's format).
    const vaulted = encryptVault(Buffer.from(SUDO_PW), Buffer.from(VAULT_PW)).trimEnd().split('\n').map((l) => `      ${l}`);
    inventory('deploy-vault.yml', [...deployVars, '    ansible_become_password: !vault |', ...vaulted, ...hostsBlock()]);
    writeFileSync(join(dir, 'vault-pass'), `${VAULT_PW}\n`);
    writeFileSync(join(dir, 'hostname.yml'), ['- hosts: all', '  gather_facts: false', '  tasks:', '    - name: who', '      command: hostname', '      changed_when: false', ''].join('\n'));
    writeFileSync(join(dir, 'become.yml'), [
      '- hosts: all',
      '  gather_facts: false',
      '  become: true',
      '  tasks:',
      '    - name: who',
      '      command: id -un',
      '      register: who',
      '      changed_when: false',
      '      failed_when: who.stdout != "root"',
      '    - name: stdin',
      '      command: cat',
      '      args: { stdin: "first line\\nsecond line" }',
      '      register: cat',
      '      changed_when: false',
      '      failed_when: cat.stdout != "first line\\nsecond line"',
      // environment: the command text goes on stdin too (after the password line)
      '    - name: env',
      '      command: printenv TSPLAY_TEST_VAR',
      '      environment: { TSPLAY_TEST_VAR: "from env" }',
      '      register: envr',
      '      changed_when: false',
      '      failed_when: envr.stdout != "from env"',
      '    - name: write',
      '      copy: { dest: "/root/become-{{ suffix }}.txt", content: "written by {{ inventory_hostname }}\\n" }',
      '    - name: show',
      '      debug: { var: ansible_become_password }',
      '',
    ].join('\n'));
  });

  test.after.always(async () => {
    if (agentPid) {
      try {
        process.kill(agentPid);
      } catch {
        // already gone
      }
    }
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial('ssh-agent: no key file, the agent holds the key: connects; the agent emptied: a held login still works, a new one is unreachable, naming the host', async (t) => {
    const started = sh('ssh-agent', ['-a', agentSock, '-s']);
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
    t.true(agentPid > 0, started);
    sh('ssh-add', ['-q', info.keyFile], { SSH_AUTH_SOCK: agentSock });
    const ok = await tsplay(['run', 'hostname.yml', '-i', 'agent.yml', '--output', 'json'], { env: { SSH_AUTH_SOCK: agentSock } });
    t.is(ok.code, 0, ok.out);
    t.is(statusOf(ok, 'who', H1), 'ok');
    t.is(statusOf(ok, 'who', H2), 'ok');
    sh('ssh-add', ['-q', '-D'], { SSH_AUTH_SOCK: agentSock });
    // A login kept between runs (ControlPersist, Ansible's default) is not authenticated again,
    // as OpenSSH's master connection is not: the next run still gets in. A fresh login cannot.
    const held = await tsplay(['run', 'hostname.yml', '-i', 'agent.yml', '--output', 'json'], { env: { SSH_AUTH_SOCK: agentSock } });
    t.is(held.code, 0, held.out);
    const none = await tsplay(['run', 'hostname.yml', '-i', 'agent.yml', '--output', 'json'], { env: { SSH_AUTH_SOCK: agentSock, TSPLAY_CONTROL_PERSIST: '0' } });
    t.is(none.code, 3, none.out);
    for (const h of [H1, H2]) {
      const e = results(none, 'who').find((x) => x.host === h);
      t.is(e?.status, 'unreachable', none.out);
      t.regex(e?.msg ?? '', new RegExp(`^${h}: authentication failed for root@[\\d.]+:22 or the ssh-agent`), none.out);
    }
  });

  test.serial('a key with a passphrase: refused without a terminal before any host is touched, naming the key and ssh-agent', async (t) => {
    const r = await tsplay(['run', 'hostname.yml', '-i', 'enc.yml', '--output', 'json']);
    t.is(r.code, 5, r.out);
    t.true(r.out.includes(`private key file ${encKey} has a passphrase, and standard input is not a terminal`), r.out);
    t.true(r.out.includes(`ssh-add ${encKey}`), r.out);
    t.false(r.events.some((e) => e.kind === 'run_start' || e.kind === 'host_result'), r.out);
  });

  test.serial('a key with a passphrase on a terminal: asked once for two hosts, not echoed; a wrong one refused naming the key', async (t) => {
    const prompt = `Enter passphrase for key '${encKey}': `;
    const r = await tsplay(['run', 'hostname.yml', '-i', 'enc.yml', '--output', 'json'], { answers: [[prompt, PASSPHRASE]] });
    t.is(r.code, 0, r.out);
    t.is(r.out.split(prompt).length - 1, 1, r.out);
    t.false(r.out.includes(PASSPHRASE), r.out);
    t.is(statusOf(r, 'who', H1), 'ok');
    t.is(statusOf(r, 'who', H2), 'ok');
    const bad = await tsplay(['run', 'hostname.yml', '-i', 'enc.yml', '--output', 'json'], { answers: [[prompt, 'not it']] });
    t.is(bad.code, 5, bad.out);
    t.true(bad.out.includes(`wrong passphrase for private key file ${encKey}`), bad.out);
    t.false(bad.events.some((e) => e.kind === 'host_result'), bad.out);
  });

  test.serial('a key with a passphrase that the agent holds: the agent is used, nothing is asked', async (t) => {
    if (!agentPid) return t.fail('no agent (the agent test did not start it)');
    // ssh-add reads the passphrase from an askpass program here (no terminal).
    const askpass = join(dir, 'askpass');
    writeFileSync(askpass, `#!/bin/sh\necho '${PASSPHRASE}'\n`);
    chmodSync(askpass, 0o700);
    sh('ssh-add', ['-q', encKey], { SSH_AUTH_SOCK: agentSock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' });
    const r = await tsplay(['run', 'hostname.yml', '-i', 'enc.yml', '--output', 'json'], { env: { SSH_AUTH_SOCK: agentSock } });
    t.is(r.code, 0, r.out);
    t.false(r.out.includes('Enter passphrase'), r.out);
    t.is(statusOf(r, 'who', H1), 'ok');
    t.is(statusOf(r, 'who', H2), 'ok');
  });

  for (const persistent of ['1', '0']) {
    test.serial(`become password vault-encrypted in the inventory (persistent shells ${persistent}): sudo with and without NOPASSWD, stdin intact, never shown, not even at -vvv`, async (t) => {
      const r = await tsplay(['run', 'become.yml', '-i', 'deploy-vault.yml', '--vault-password-file', 'vault-pass', '--output', 'json', '-vvv', '-e', `suffix=${persistent}`], { env: { TSPLAY_PERSISTENT_SHELL: persistent } });
      t.is(r.code, 0, r.out);
      for (const h of [H1, H2]) {
        for (const task of ['who', 'stdin', 'env']) t.is(statusOf(r, task, h), 'ok', `${task} on ${h}: ${r.out}`);
        t.is(statusOf(r, 'write', h), 'changed', r.out);
        t.is(await labOut(info, h, `cat /root/become-${persistent}.txt`), `written by ${h}\n`);
        const shown = results(r, 'show').find((e) => e.host === h);
        t.is(shown?.result?.ansible_become_password, '********', r.out);
      }
      t.true(r.events.some((e) => e.kind === 'command' && e.command.includes('sudo -H -A')), 'the -vvv command log is there');
      t.false(r.out.includes(SUDO_PW), r.out);
    });
  }

  test.serial('a wrong become password: "Incorrect sudo password", tried once per host and run; none: "Missing sudo password"; NOPASSWD ignores it', async (t) => {
    writeFileSync(join(dir, 'twice.yml'), ['- hosts: all', '  gather_facts: false', '  become: true', '  tasks:',
      '    - { name: one, command: id -un, ignore_errors: true }', '    - { name: two, command: id -un }', ''].join('\n'));
    const wrong = await tsplay(['run', 'twice.yml', '-i', 'deploy.yml', '--output', 'json', '-e', '{"ansible_become_password": "wrong pw"}']);
    t.is(wrong.code, 2, wrong.out);
    t.regex(results(wrong, 'one').find((e) => e.host === H1)?.msg ?? '', /^keys1: Incorrect sudo password/);
    t.regex(results(wrong, 'two').find((e) => e.host === H1)?.msg ?? '', /^keys1: Incorrect sudo password .*not tried again/);
    t.is(statusOf(wrong, 'two', H2), 'changed', 'NOPASSWD: the password is not asked for, and the command runs');
    // sudo's failure delay is paid once (three tries, about 2 s each), not again for the second task.
    t.true((results(wrong, 'two').find((e) => e.host === H1)?.durationMs ?? 9999) < 1000, wrong.out);
    const none = await tsplay(['run', 'twice.yml', '-i', 'deploy.yml', '--output', 'json']);
    t.is(none.code, 2, none.out);
    t.regex(results(none, 'one').find((e) => e.host === H1)?.msg ?? '', /^keys1: Missing sudo password/);
    t.is(statusOf(none, 'one', H2), 'changed');
  });

  test.serial('-K on a terminal: "BECOME password: " once, not echoed, used for every host; without a terminal (or become_ask_pass) refused', async (t) => {
    const r = await tsplay(['run', 'become.yml', '-i', 'deploy.yml', '--output', 'json', '-K', '-e', 'suffix=k'], { answers: [['BECOME password: ', SUDO_PW]], env: { TSPLAY_PERSISTENT_SHELL: '1' } });
    t.is(r.code, 0, r.out);
    t.is(r.out.split('BECOME password: ').length - 1, 1, r.out);
    t.false(r.out.includes(SUDO_PW), r.out);
    for (const h of [H1, H2]) for (const task of ['who', 'stdin', 'env']) t.is(statusOf(r, task, h), 'ok', `${task} on ${h}: ${r.out}`);
    const noTty = await tsplay(['run', 'become.yml', '-i', 'deploy.yml', '--output', 'json', '-e', 'suffix=n'], { env: { ANSIBLE_BECOME_ASK_PASS: 'true' } });
    t.is(noTty.code, 5, noTty.out);
    t.true(noTty.out.includes('become_ask_pass (env: ANSIBLE_BECOME_ASK_PASS) asks for the become password on a terminal'), noTty.out);
  });

  test.serial('the same changed/failed as ansible-playbook 2.14 with the right, a wrong and no become password', async (t) => {
    if (!process.env.PATH?.split(':').some((d) => { try { execFileSync(join(d, 'ansible-playbook'), ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })) {
      return t.fail('ansible-playbook is missing (apt-get install ansible-core)');
    }
    for (const h of [H1, H2]) await labOut(info, h, 'export DEBIAN_FRONTEND=noninteractive; command -v python3 >/dev/null || { apt-get -q update >/dev/null && apt-get -q -y install python3 >/dev/null; }');
    writeFileSync(join(dir, 'cmp.yml'), ['- hosts: all', '  gather_facts: false', '  become: true', '  tasks:',
      '    - { name: marker, command: "touch /root/cmp-marker" }', ''].join('\n'));
    const ansibleEnv = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${info.knownHostsFile}`, ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' };
    const outcome = (text: string, h: string): string => {
      const m = new RegExp(`^(ok|changed|fatal): \\[${h}\\]`, 'm').exec(text);
      const incorrect = new RegExp(`^fatal: \\[${h}\\].*(Incorrect|Missing) sudo password`, 'm').exec(text);
      return incorrect ? incorrect[1] : m?.[1] ?? 'none';
    };
    for (const [label, extra] of [['right', { ansible_become_password: SUDO_PW }], ['wrong', { ansible_become_password: 'wrong pw' }], ['none', {}]] as const) {
      const a = spawnResult('ansible-playbook', ['-i', 'deploy.yml', 'cmp.yml', '-e', JSON.stringify(extra)], ansibleEnv);
      const ours = await tsplay(['run', 'cmp.yml', '-i', 'deploy.yml', '--output', 'json', '-e', JSON.stringify(extra)]);
      t.is(ours.code, a.code, `${label}: exit codes\n${a.out}\n${ours.out}`);
      for (const h of [H1, H2]) {
        const theirs = outcome(a.out, h);
        const e = results(ours, 'marker').find((x) => x.host === h);
        const mine = e?.status === 'failed' ? /(Incorrect|Missing) sudo password/.exec(e.msg ?? '')?.[1] ?? 'fatal' : e?.status ?? 'none';
        t.is(mine, theirs, `${label} on ${h}:\n${a.out}\n${ours.out}`);
      }
    }
  });

  function spawnResult(cmd: string, args: string[], env: NodeJS.ProcessEnv): { code: number; out: string } {
    try {
      return { code: 0, out: execFileSync(cmd, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      const err = e as { status?: number; stdout?: string; stderr?: string };
      return { code: err.status ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
    }
  }
}
