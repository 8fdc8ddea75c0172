// A run that uses vaulted content everywhere tsplay reads it (group_vars, a
// `!vault` value, include_vars, a copy src, a template using a secret), made by
// the real ansible-vault: the targets get the plaintext, and no output of the
// run (text at -vvv with --diff, JSON, JUnit, a failing task's message, debug)
// shows any secret. Without the password, or with a wrong one, the run stops
// at load, naming the file, before any task.

import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../helpers/cli-capture.js';
import { clearSecrets } from '../../../../engine/vault/redact.js';
import { setVaultSecrets } from '../../../../engine/vault/secrets.js';
import { ansibleVault, vaultDir, withAnsibleSerial } from './ansible-vault.js';

const SECRETS = ['GroupVarsSecret-111', 'InlineSecret-222', 'IncludeVarsSecret-333', 'CopySrcSecret-444'];

function site(): string {
  const d = vaultDir();
  mkdirSync(join(d, 'group_vars'));
  mkdirSync(join(d, 'files'));
  mkdirSync(join(d, 'templates'));
  mkdirSync(join(d, 'out'));
  writeFileSync(join(d, 'inventory.ini'), 'local1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3 plain_value=visible-value\n');
  writeFileSync(join(d, 'group_vars', 'all.yml'), 'gv_secret: GroupVarsSecret-111\n');
  ansibleVault(['encrypt', '--vault-password-file', 'pw-a', 'group_vars/all.yml'], d);
  writeFileSync(join(d, 'extra.yml'), 'iv_secret: IncludeVarsSecret-333\n');
  ansibleVault(['encrypt', '--vault-id', 'prod@pw-b', 'extra.yml'], d);
  writeFileSync(join(d, 'files', 'secret.conf'), 'password=CopySrcSecret-444\n');
  ansibleVault(['encrypt', '--vault-password-file', 'pw-a', 'files/secret.conf'], d);
  writeFileSync(join(d, 'templates', 'app.conf.j2'), 'token={{ gv_secret }}\n');
  const inline = ansibleVault(['encrypt_string', '--vault-id', 'prod@pw-b', '--name', 'inline_secret', 'InlineSecret-222'], d);
  writeFileSync(join(d, 'playbook.yml'), `- hosts: all
  gather_facts: false
  vars:
    ${inline.trimEnd().split('\n').join('\n    ')}
  tasks:
    - include_vars: extra.yml
    - debug: { msg: "group {{ gv_secret }} plain {{ plain_value }}" }
    - debug: { var: inline_secret }
    - command: echo {{ iv_secret }}
      changed_when: false
    - copy: { src: secret.conf, dest: "{{ dest }}/secret.conf" }
    - template: { src: app.conf.j2, dest: "{{ dest }}/app.conf" }
    - fail: { msg: "cannot use {{ inline_secret }} with {{ gv_secret }}" }
      ignore_errors: true
`);
  return d;
}

function noSecret(t: import('ava').ExecutionContext, text: string, what: string): void {
  for (const s of SECRETS) t.false(text.includes(s), `${what} shows ${s}:\n${text}`);
}

test.afterEach(() => {
  clearSecrets();
  setVaultSecrets([]);
});

withAnsibleSerial('vaulted group_vars, !vault, include_vars, copy and template sources: targets right, outputs hide every secret', async (t) => {
  const d = site();
  const ids = ['--vault-password-file', 'pw-a', '--vault-id', 'prod@pw-b'];
  const text = await runCli(['run', 'playbook.yml', '-i', 'inventory.ini', ...ids, '-vvv', '--diff', '-e', `dest=${join(d, 'out')}`], d);
  t.is(text.code, 0, text.out + text.err);
  t.is(readFileSync(join(d, 'out', 'secret.conf'), 'utf8'), 'password=CopySrcSecret-444\n');
  t.is(readFileSync(join(d, 'out', 'app.conf'), 'utf8'), 'token=GroupVarsSecret-111\n');
  noSecret(t, text.out + text.err, 'text -vvv --diff');
  // What is not secret is shown, and the hidden places say so.
  t.regex(text.out, /group \*\*\*\*\*\*\*\* plain visible-value/);
  t.regex(text.out, /"inline_secret": "\*\*\*\*\*\*\*\*"/);
  t.regex(text.out, /cannot use \*\*\*\*\*\*\*\* with \*\*\*\*\*\*\*\*/);
  // A vaulted file's every line is a secret: the diff hides the line whole.
  t.regex(text.out, /\n\+\*\*\*\*\*\*\*\*\n/);
  t.regex(text.out, /\+token=\*\*\*\*\*\*\*\*/);

  mkdirSync(join(d, 'out2'));
  const json = await runCli(['run', 'playbook.yml', '-i', 'inventory.ini', ...ids, '--diff', '--output', 'json', '-e', `dest=${join(d, 'out2')}`], d);
  t.is(json.code, 0, json.out + json.err);
  noSecret(t, json.out + json.err, 'JSON');
  t.true(json.out.split('\n').filter(Boolean).every((l) => typeof JSON.parse(l) === 'object'));
  t.is(readFileSync(join(d, 'out2', 'secret.conf'), 'utf8'), 'password=CopySrcSecret-444\n');

  mkdirSync(join(d, 'out3'));
  const junit = await runCli(['run', 'playbook.yml', '-i', 'inventory.ini', ...ids, '--output', 'junit', '-e', `dest=${join(d, 'out3')}`], d);
  t.is(junit.code, 0, junit.out + junit.err);
  t.regex(junit.out, /<testsuites/);
  noSecret(t, junit.out + junit.err, 'JUnit');
});

withAnsibleSerial('no password, a wrong one, or a damaged file: a load error naming the file, exit 4, before any task', async (t) => {
  const d = site();
  const none = await runCli(['run', 'playbook.yml', '-i', 'inventory.ini'], d);
  t.is(none.code, 4);
  t.regex(none.err, /group_vars\/all\.yml:1:1: vault-encrypted file, and no vault secret was given/);
  t.false(none.out.includes('TASK ['));

  const wrong = await runCli(['run', 'playbook.yml', '-i', 'inventory.ini', '--vault-password-file', 'pw-b'], d);
  t.is(wrong.code, 4);
  t.regex(wrong.err, /group_vars\/all\.yml:1:1: vault-encrypted file: decryption failed, no vault secret opens it \(tried default@pw-b\)/);

  // The group_vars opens; the `!vault` value in the playbook needs prod's secret: its line is named.
  const inline = await runCli(['run', 'playbook.yml', '-i', 'inventory.ini', '--vault-password-file', 'pw-a', '--output', 'json'], d);
  t.is(inline.code, 4);
  const err = JSON.parse(inline.out.split('\n')[0]) as { kind: string; place?: string; msg: string };
  t.is(err.kind, 'error');
  t.regex(err.place ?? '', /playbook\.yml:4:20$/);
  t.regex(err.msg, /vault-encrypted value: decryption failed/);

  const text = readFileSync(join(d, 'group_vars', 'all.yml'), 'utf8');
  writeFileSync(join(d, 'group_vars', 'all.yml'), text.replace(/\n[0-9a-f]{10}/, '\nzzzzzzzzzz'));
  const damaged = await runCli(['run', 'playbook.yml', '-i', 'inventory.ini', '--vault-password-file', 'pw-a', '--vault-id', 'prod@pw-b'], d);
  t.is(damaged.code, 4);
  t.regex(damaged.err, /group_vars\/all\.yml:1:1: vault-encrypted file: the vault body is not hexadecimal/);
});

withAnsibleSerial('tsplay inventory --list and validate read vaulted vars with the same options', async (t) => {
  const d = site();
  const list = await runCli(['inventory', '-i', 'inventory.ini', '--list', '--vault-password-file', 'pw-a'], d);
  t.is(list.code, 0, list.err);
  // ansible-inventory --list prints the value it decrypted; tsplay hides it as every other output does.
  const meta = (JSON.parse(list.out) as { _meta: { hostvars: Record<string, Record<string, unknown>> } })._meta;
  t.is(meta.hostvars.local1.gv_secret, '********');
  t.is(meta.hostvars.local1.plain_value, 'visible-value');
  const bad = await runCli(['inventory', '-i', 'inventory.ini', '--list'], d);
  t.is(bad.code, 4);
  t.regex(bad.err, /all\.yml:1:1: vault-encrypted file, and no vault secret was given/);
  const ok = await runCli(['validate', 'playbook.yml', '-i', 'inventory.ini', '--vault-password-file', 'pw-a', '--vault-id', 'prod@pw-b', '-e', 'dest=/tmp iv_secret=x'], d);
  t.is(ok.code, 0, ok.out + ok.err);
});
