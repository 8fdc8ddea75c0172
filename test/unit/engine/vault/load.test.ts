// Where vaulted content is read at load (engine/load/yaml.ts, engine/vault/):
// `!vault` values at their place, whole vaulted files (vars files, role
// defaults and vars, inventories, -e @file), and the registration that keeps
// each decrypted value out of reports.

import test from 'ava';
import { join } from 'node:path';
import { parseYaml, loadYamlFile } from '../../../../engine/load/yaml.js';
import { loadInventory, loadVarsFile } from '../../../../engine/inventory/inventory.js';
import { parseExtraVars } from '../../../../engine/cli/cli.js';
import { encryptVault } from '../../../../engine/vault/format.js';
import { setVaultSecrets, type VaultSecret } from '../../../../engine/vault/secrets.js';
import { clearSecrets, redactText } from '../../../../engine/vault/redact.js';
import { Unsafe } from '../../../../engine/template/unsafe.js';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const A: VaultSecret = { id: 'default', password: Buffer.from('alpha-pass'), source: 'pw-a' };
const enc = (text: string, label?: string) => encryptVault(Buffer.from(text), A.password, label);
const inline = (text: string, indent: string) => `!vault |\n${enc(text).trimEnd().split('\n').map((l) => indent + l).join('\n')}`;

test.beforeEach(() => {
  clearSecrets();
  setVaultSecrets([A]);
});

test.serial('!vault values: decrypted to strings at load, nested anywhere, registered; other tags untouched', (t) => {
  const src = `db:\n  password: ${inline('pa55-word', '    ')}\nlist:\n  - ${inline('item-secret', '    ')}\n  - plain\nunsafe: !unsafe "{{ x }}"\n`;
  const doc = parseYaml(src, 'vars.yml');
  t.deepEqual((doc.value as { db: unknown }).db, { password: 'pa55-word' });
  t.deepEqual((doc.value as { list: unknown }).list, ['item-secret', 'plain']);
  t.is(redactText('pa55-word and item-secret and plain'), '******** and ******** and plain');
  t.true((doc.value as { unsafe: unknown }).unsafe instanceof Unsafe);
});

test.serial('a !vault value that does not open names its line and column; with no secret given, it says how to give one', (t) => {
  const src = `a: 1\nb: ${inline('x', '  ')}\n`;
  setVaultSecrets([{ id: 'default', password: Buffer.from('other'), source: 'pw-x' }]);
  t.throws(() => parseYaml(src, 'vars.yml'), { message: /^vars\.yml:2:4: vault-encrypted value: decryption failed, no vault secret opens it \(tried default@pw-x\)/ });
  setVaultSecrets([]);
  t.throws(() => parseYaml(src, 'vars.yml'), { message: /^vars\.yml:2:4: vault-encrypted value, and no vault secret was given/ });
});

test.serial('whole vaulted files: vars file, role defaults (loadYamlFile), -e @file; every value registered, parse errors without the text', async (t) => {
  const d = writeTree({
    'vars.yml': enc('api_key: key-from-vars\nport: 5432\n'),
    'roles/db/defaults/main.yml': enc('db_root: root-from-defaults\n'),
    'extra.yml': enc('extra_secret: from-extra-file\n'),
    'broken.yml': enc('a: [unclosed-secret-text\n'),
  });
  t.deepEqual(await loadVarsFile(join(d, 'vars.yml')), { api_key: 'key-from-vars', port: 5432 });
  t.deepEqual((await loadYamlFile(join(d, 'roles/db/defaults/main.yml'))).value, { db_root: 'root-from-defaults' });
  t.deepEqual(await parseExtraVars([`@${join(d, 'extra.yml')}`]), { extra_secret: 'from-extra-file' });
  t.is(redactText('key-from-vars 5432 root-from-defaults from-extra-file'), '******** ******** ******** ********');
  const e = await t.throwsAsync(loadVarsFile(join(d, 'broken.yml')));
  t.regex(e.message, /broken\.yml:\d+:\d+: YAML syntax error/);
  t.false(e.message.includes('unclosed-secret-text'));
});

test.serial('a vaulted inventory (YAML and INI) loads; its host names are not registered as secrets', async (t) => {
  const d = writeTree({
    'hosts.yml': enc('all:\n  hosts:\n    web1: { ansible_connection: local }\n'),
    'hosts.ini': enc('db1 ansible_connection=local\n'),
  });
  const inv = await loadInventory([join(d, 'hosts.yml'), join(d, 'hosts.ini')]);
  t.deepEqual([...inv.hosts.keys()].sort(), ['db1', 'web1']);
  t.is(redactText('web1 db1'), 'web1 db1');
});

test.serial('a vaulted vars_files entry and role vars in a run: the values reach the tasks, the events hide them', async (t) => {
  const run = await runPlaybook({
    'secret.yml': enc('vf_secret: VarsFilesSecret-9\n'),
    'roles/app/vars/main.yml': enc('role_secret: RoleVarsSecret-8\n'),
    'roles/app/tasks/main.yml': '- debug: { msg: "role {{ role_secret }}" }\n- set_fact: { combined: "{{ vf_secret }}-{{ role_secret }}" }\n- assert: { that: ["combined == \'VarsFilesSecret-9-RoleVarsSecret-8\'"] }\n',
    'playbook.yml': '- hosts: local1\n  gather_facts: false\n  vars_files: [secret.yml]\n  roles: [app]\n  tasks:\n    - debug: { var: vf_secret }\n',
  });
  t.is(run.code, 0, JSON.stringify(run.results()));
  const text = JSON.stringify(run.events);
  t.false(text.includes('VarsFilesSecret-9'), text);
  t.false(text.includes('RoleVarsSecret-8'), text);
  t.regex(text, /role \*\*\*\*\*\*\*\*/);
});
