// remote_user, port and connection as Ansible 2.14 applies them: which user and
// port a task connects with, and whether it runs locally, for the keyword on a
// play, block, role entry or task, against inventory and play variables.
//
// The expected values were read from `ansible-playbook -vvv` on this machine
// (ansible-core 2.14, Debian's package), 2026-11-30: "ESTABLISH SSH
// CONNECTION FOR USER: X" and "-o Port=N" for hosts whose address refuses
// connections. The live test below runs the same playbook under Ansible again
// and compares (skipped where ansible-playbook is not installed; CI has it).
// tsplay runs it with a recording connection in place of SSH.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { UnreachableError, type Connection, type ConnectionSettings } from '../../../../engine/connection/connection.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const ANSIBLE = '/usr/bin/ansible-playbook';
const me = userInfo().username;

interface Case {
  name: string;
  /** Inventory variables of the case's host (besides ansible_host). */
  hostVars: string;
  /** The play, without `hosts:` (added: the case's host and a local anchor that keeps the play going). */
  play: string;
  /** What Ansible did: the user and port it connected with over ssh, or 'local' (ran on the controller). */
  expected: { user: string; port: number } | 'local';
}

// `when` keeps the anchor host from running the task: a skipped host keeps the play alive
// (Ansible ends the playbook when every host of a play is unreachable).
const W = "when: inventory_hostname != 'anchor'";

const CASES: Case[] = [
  { name: 'play remote_user', hostVars: 'ansible_port=1', play: `remote_user: playuser\n  tasks:\n    - command: whoami\n      ${W}`, expected: { user: 'playuser', port: 1 } },
  { name: 'task remote_user beats the play\'s', hostVars: 'ansible_port=1', play: `remote_user: playuser\n  tasks:\n    - command: whoami\n      remote_user: taskuser\n      ${W}`, expected: { user: 'taskuser', port: 1 } },
  { name: 'inventory ansible_user beats the task keyword', hostVars: 'ansible_port=1 ansible_user=invuser', play: `remote_user: playuser\n  tasks:\n    - command: whoami\n      remote_user: taskuser\n      ${W}`, expected: { user: 'invuser', port: 1 } },
  { name: 'block remote_user beats the play\'s', hostVars: 'ansible_port=1', play: `remote_user: playuser\n  tasks:\n    - block:\n        - command: whoami\n          ${W}\n      remote_user: blockuser`, expected: { user: 'blockuser', port: 1 } },
  { name: 'play vars ansible_user beat the keywords', hostVars: 'ansible_port=1', play: `remote_user: playuser\n  vars:\n    ansible_user: playvaruser\n  tasks:\n    - command: whoami\n      remote_user: taskuser\n      ${W}`, expected: { user: 'playvaruser', port: 1 } },
  { name: 'play vars ansible_user without any keyword', hostVars: 'ansible_port=1', play: `vars:\n    ansible_user: playvaruser\n  tasks:\n    - command: whoami\n      ${W}`, expected: { user: 'playvaruser', port: 1 } },
  { name: 'templated remote_user, rendered per host', hostVars: 'ansible_port=1 who=tmpluser', play: `tasks:\n    - command: whoami\n      remote_user: "{{ who }}"\n      ${W}`, expected: { user: 'tmpluser', port: 1 } },
  { name: 'play port', hostVars: '', play: `port: 2\n  tasks:\n    - command: whoami\n      ${W}`, expected: { user: me, port: 2 } },
  { name: 'task port beats the play\'s', hostVars: '', play: `port: 2\n  tasks:\n    - command: whoami\n      port: 3\n      ${W}`, expected: { user: me, port: 3 } },
  { name: 'inventory ansible_port beats the port keyword', hostVars: 'ansible_port=1', play: `port: 2\n  tasks:\n    - command: whoami\n      ${W}`, expected: { user: me, port: 1 } },
  { name: 'role entry remote_user beats the play\'s', hostVars: 'ansible_port=1', play: `remote_user: playuser\n  roles:\n    - role: r\n      remote_user: roleuser\n      ${W}`, expected: { user: 'roleuser', port: 1 } },
  { name: 'gathering facts connects as the play\'s remote_user', hostVars: 'ansible_port=1', play: `gather_facts: true\n  remote_user: playuser\n  tasks:\n    - command: whoami\n      remote_user: taskuser\n      ${W}`, expected: { user: 'playuser', port: 1 } },
  { name: 'connection: local runs on the controller', hostVars: 'ansible_port=1', play: `connection: local\n  tasks:\n    - command: whoami\n      ${W}`, expected: 'local' },
  { name: 'inventory ansible_connection beats the connection keyword', hostVars: 'ansible_port=1 ansible_connection=ssh', play: `connection: local\n  tasks:\n    - command: whoami\n      ${W}`, expected: { user: me, port: 1 } },
];

function files(): Record<string, string> {
  const inv = CASES.map((c, i) => `c${i} ansible_host=127.0.0.${i + 11} ${c.hostVars}`).join('\n')
    + '\nanchor ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n';
  const pb = CASES.map((c, i) => {
    const play = c.play.startsWith('gather_facts') ? c.play : `gather_facts: false\n  ${c.play}`;
    return `- hosts: c${i}:anchor\n  ${play}\n`;
  }).join('');
  return { 'hosts.ini': inv, 'playbook.yml': pb, 'roles/r/tasks/main.yml': '- command: whoami\n' };
}

type Seen = Record<string, { user: string; port: number } | 'local'>;

/** Run under Ansible and read, per case host, the first connection it made. */
function ansibleSeen(dir: string): Seen {
  let out: string;
  try {
    out = execFileSync(ANSIBLE, ['-vvv', '-i', join(dir, 'hosts.ini'), join(dir, 'playbook.yml')], {
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_LOCALHOST_WARNING: 'False' },
      encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const seen: Seen = {};
  CASES.forEach((_, i) => {
    const addr = `127.0.0.${i + 11}`;
    const local = new RegExp(`^<${addr.replace(/\./g, '\\.')}> ESTABLISH LOCAL CONNECTION`, 'm').exec(out);
    const ssh = new RegExp(`^<${addr.replace(/\./g, '\\.')}> ESTABLISH SSH CONNECTION FOR USER: (\\S+)`, 'm').exec(out);
    const exec = new RegExp(`^<${addr.replace(/\./g, '\\.')}> SSH: EXEC ssh .*$`, 'm').exec(out);
    if (local && (!ssh || local.index < ssh.index)) seen[`c${i}`] = 'local';
    else if (ssh && exec) {
      const port = /-o Port=(\d+)/.exec(exec[0]);
      seen[`c${i}`] = { user: ssh[1] === 'None' ? me : ssh[1], port: port ? Number(port[1]) : 22 };
    }
  });
  return seen;
}

/** Run under tsplay with ssh replaced by a recording connection that refuses, as the real address does. */
async function tsplaySeen(): Promise<{ seen: Seen; opened: ConnectionSettings[] }> {
  const seen: Seen = {};
  const opened: ConnectionSettings[] = [];
  const connect = (s: ConnectionSettings): Connection => {
    opened.push(s);
    if (s.connection === 'local') {
      const local = new LocalConnection(s.host);
      return {
        host: s.host, connect: () => local.connect(), close: () => local.close(),
        exec: (c, o) => {
          seen[s.host] ??= 'local';
          return local.exec(c, o);
        },
      };
    }
    const refuse = async (): Promise<never> => {
      seen[s.host] ??= { user: s.user, port: s.port };
      throw new UnreachableError(s.host, `${s.host}: connect ECONNREFUSED ${s.address}:${s.port}`);
    };
    return { host: s.host, connect: refuse, exec: refuse, close: async () => {} };
  };
  await runPlaybook(files(), { inventory: ['hosts.ini'], connect });
  delete seen.anchor;
  return { seen, opened };
}

const expected: Seen = Object.fromEntries(CASES.map((c, i) => [`c${i}`, c.expected]));

test('tsplay connects with the user, port and connection Ansible uses (table)', async (t) => {
  const { seen } = await tsplaySeen();
  for (const [i, c] of CASES.entries()) t.deepEqual(seen[`c${i}`], c.expected, c.name);
});

const maybe = existsSync(ANSIBLE) || process.env.CI ? test : test.skip;

maybe('the table is what ansible-playbook does', (t) => {
  const dir = writeTree(files());
  const seen = ansibleSeen(dir);
  for (const [i, c] of CASES.entries()) t.deepEqual(seen[`c${i}`], expected[`c${i}`], c.name);
});
