// accept-new recording a host key says so, as OpenSSH does ("Warning:
// Permanently added ... to the list of known hosts"), at default verbosity,
// and as a JSON event; the next run, which finds the key, says nothing.
// The CLI as its own process against a throwaway sshd on loopback.

import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint } from '../../../../engine/connection/known-hosts.js';
import { writeTree } from '../../../helpers/run-playbook.js';
import { SshdFixture, startSshd } from '../../../helpers/sshd.js';
import { tsplayCommand } from '../../../helpers/tsplay-command.js';

const root = join(import.meta.dirname ?? '', '..', '..', '..', '..');
let sshd: SshdFixture;

test.before(async () => {
  sshd = await startSshd();
});

test.after.always(async () => {
  await sshd?.dispose();
});

function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.SSH_AUTH_SOCK;
  const child = spawn(process.execPath, [...tsplayCommand(), ...args], { cwd: root, env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('exit', (code) => (clearTimeout(limit), resolve({ code, out }))));
}

test('accept-new: the added key is announced in text and as a JSON event, once', async (t) => {
  const dir = writeTree({ 'p.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n' });
  const knownHosts = join(dir, 'known_hosts'); // does not exist yet
  const inv = (name: string) => `all:
  hosts:
    ${name}:
      ansible_host: 127.0.0.1
      ansible_port: ${sshd.port}
      ansible_user: ${sshd.user}
      ansible_ssh_private_key_file: ${sshd.clientKeyFile}
      tsplay_known_hosts_file: ${knownHosts}
      tsplay_host_key_checking: accept-new
`;
  const files = writeTree({ 'text.yml': inv('h1'), 'json.yml': inv('h2') });
  const name = `[127.0.0.1]:${sshd.port}`;
  const fp = fingerprint(sshd.hostKeyBlob);

  const text = await cli(['run', join(dir, 'p.yml'), '-i', join(files, 'text.yml')]);
  t.is(text.code, 0, text.out);
  t.true(
    text.out.includes(`Warning: Permanently added '${name}' (ED25519) to the list of known hosts (h1, ${fp}, ${knownHosts}).`),
    text.out,
  );
  t.regex(readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `));

  const again = await cli(['run', join(dir, 'p.yml'), '-i', join(files, 'text.yml'), '--output', 'json']);
  t.is(again.code, 0, again.out);
  t.false(again.out.includes('host_key_added'), 'a known key is not announced');

  // A fresh file for the JSON run: the key is unknown again.
  const jsonKnown = join(dir, 'known_hosts_json');
  const jsonInv = writeTree({ 'inv.yml': inv('h2').replace(knownHosts, jsonKnown) });
  const json = await cli(['run', join(dir, 'p.yml'), '-i', join(jsonInv, 'inv.yml'), '--output', 'json']);
  t.is(json.code, 0, json.out);
  const events = json.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(events.filter((e) => e.kind === 'host_key_added'), [
    { kind: 'host_key_added', host: 'h2', name, keyType: 'ssh-ed25519', fingerprint: fp, file: jsonKnown },
  ]);
});
