// Record the system-fact probes of a host as a fixture (test/fixtures/facts/),
// and what Ansible's setup printed for the same host right after, for the
// parser tables in test/unit/engine/facts/system-recorded.test.ts:
//   npx tsx test/helpers/record-fact-probes.ts OUT            this machine (local connection)
//   npx tsx test/helpers/record-fact-probes.ts OUT LAB HOST   a lab host (tsplay lab up), python3 and python3-distro
//                                                             installed on it (without python3-distro, Ansible's
//                                                             distribution_version has no point release)
// Writes OUT.probes.json and OUT.ansible.json. The environment is kept to a few
// variables (ENV_KEPT) in both, so a recording carries nothing private.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Host } from '../../engine/host/host.js';
import { LocalConnection } from '../../engine/connection/local-connection.js';
import { SshConnection } from '../../engine/connection/ssh-connection.js';
import { labInfoOf } from '../../engine/lab/index.js';
import type { Connection } from '../../engine/connection/connection.js';
import { PROBES } from '../../engine/facts/setup/probes.js';

// not LANG/LC_*/TERM: OpenSSH forwards the controller's LANG and Ansible runs in a pty (TERM), tsplay does neither
export const ENV_KEPT = ['HOME', 'LOGNAME', 'SHELL', 'USER'];

const [out, lab, hostName] = process.argv.slice(2);
let conn: Connection;
let ansibleArgs: string[];
if (lab && hostName) {
  const info = labInfoOf(lab);
  const h = info.hosts.find((x) => x.name === hostName);
  if (!h) throw new Error(`no host ${hostName} in lab ${lab}`);
  conn = new SshConnection({
    host: h.name, connection: 'ssh', address: h.address, port: 22, user: 'root', privateKeyFile: info.keyFile,
    knownHostsFile: info.knownHostsFile, hostKeyChecking: 'strict', connectTimeoutMs: 10_000, commandTimeoutMs: 300_000,
    become: false, becomeUser: 'root', becomeMethod: 'sudo',
  });
  ansibleArgs = ['all', '-i', `${h.address},`, '-u', 'root', '--private-key', info.keyFile, '-e', 'ansible_python_interpreter=/usr/bin/python3',
    `--ssh-common-args=-o UserKnownHostsFile=${info.knownHostsFile} -o StrictHostKeyChecking=yes`, '-m', 'setup'];
} else {
  conn = new LocalConnection('local');
  ansibleArgs = ['localhost', '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=/usr/bin/python3', '-m', 'setup'];
}
await conn.connect();
const host = new Host(conn, { name: hostName ?? 'local' });
const res = await host.runSections(PROBES.map((p) => p.sh));
await conn.close();
const probes: Record<string, { rc: number; stdout: string; stderr: string }> = {};
PROBES.forEach((p, i) => (probes[p.key] = { rc: res[i].rc, stdout: res[i].stdout, stderr: res[i].stderr }));
probes.cmdline = { rc: 0, stdout: '', stderr: '' }; // the kernel's command line is the machine's, not the host's business
probes.env.stdout = probes.env.stdout.split('\0').filter((e) => ENV_KEPT.includes(e.split('=')[0])).join('\0') + '\0';
const text = execFileSync('ansible', ansibleArgs, { encoding: 'utf8' });
const facts = (JSON.parse(text.slice(text.indexOf('{'))) as { ansible_facts: Record<string, unknown> }).ansible_facts;
const env = facts.ansible_env as Record<string, string>;
facts.ansible_env = Object.fromEntries(Object.entries(env).filter(([k]) => ENV_KEPT.includes(k)));
for (const k of ['ansible_python', 'ansible_python_version', 'ansible_devices', 'ansible_device_links', 'ansible_cmdline', 'ansible_proc_cmdline']) delete facts[k];
writeFileSync(`${out}.probes.json`, JSON.stringify(probes, null, 1) + '\n');
writeFileSync(`${out}.ansible.json`, JSON.stringify(facts, null, 1) + '\n');
