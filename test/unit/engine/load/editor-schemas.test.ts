// The published schemas work in editors as shipped (issue 13):
//   - the real yaml-language-server (npm), driven as an editor drives it, over
//     playbooks that name schemas/playbook.schema.json by modeline or by a
//     VS Code-style `yaml.schemas` setting: no diagnostic for a good playbook
//     written the way Ansible users write them (`become: yes`, templated
//     booleans and enums, key=value), the right one at the right place for a
//     bad one;
//   - ajv in strict mode (what ajv-cli runs) compiles the one bundled playbook
//     file alone, and every module file alone, with no warning;
//   - nothing points at a host ($id): references resolve inside the files.

import test from 'ava';
import AjvModule from 'ajv';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { yamlDiagnostics } from '../../../helpers/yaml-ls.js';

const Ajv = AjvModule.default ?? AjvModule;
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const PLAYBOOK_SCHEMA = join(ROOT, 'schemas', 'playbook.schema.json');
const dir = mkdtempSync(join(tmpdir(), 'tsplay-editor-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `- hosts: all
  become: yes
  gather_facts: "{{ do_gather }}"
  vars:
    upd: true
  tasks:
    - name: update
      apt:
        update_cache: '{{ upd }}'
        name: nginx
        state: "{{ pkg_state }}"
    - name: key=value form
      file: path=/srv/x state=touch mode=0644
    - block:
        - ansible.builtin.systemd: { name: nginx, state: started, enabled: on }
      when: x is defined
      rescue:
        - debug: { msg: failed }
`;
const BAD = `- hosts: all
  tasks:
    - name: a typo
      file:
        path: /x
        stat: touch
    - name: a word for a boolean
      apt: { name: x, update_cache: sometimes }
`;

test('yaml-language-server: a modeline to schemas/playbook.schema.json: a good playbook has no diagnostic, a bad one gets each problem at its place', async (t) => {
  t.timeout(120_000);
  const modeline = `# yaml-language-server: $schema=${PLAYBOOK_SCHEMA}\n`;
  writeFileSync(join(dir, 'good.yml'), modeline + GOOD);
  writeFileSync(join(dir, 'bad.yml'), modeline + BAD);
  const [good, bad] = await yamlDiagnostics([join(dir, 'good.yml'), join(dir, 'bad.yml')]);
  t.deepEqual(good, []);
  t.true(bad.some((d) => d.line === 7 && d.col === 9 && d.message === 'Property stat is not allowed.'), JSON.stringify(bad));
  t.true(bad.some((d) => d.line === 9 && /update_cache|boolean|Incorrect type|not accepted|does not match/i.test(d.message)), JSON.stringify(bad));
  t.false(bad.some((d) => /Problems loading reference|Unable to load schema/.test(d.message)), JSON.stringify(bad));
});

test('yaml-language-server: the schema given by a yaml.schemas setting (VS Code), no modeline', async (t) => {
  t.timeout(120_000);
  writeFileSync(join(dir, 'site.yml'), GOOD);
  writeFileSync(join(dir, 'broken.yml'), BAD);
  const [good, bad] = await yamlDiagnostics([join(dir, 'site.yml'), join(dir, 'broken.yml')], { [PLAYBOOK_SCHEMA]: ['site.yml', 'broken.yml'] });
  t.deepEqual(good, []);
  t.true(bad.some((d) => d.line === 6 && d.message === 'Property stat is not allowed.'), JSON.stringify(bad));
});

test('ajv strict (as ajv-cli): the bundled playbook schema and each module schema compile alone with no warning; no $id, no host', (t) => {
  const warnings: string[] = [];
  const logger = { log: () => undefined, warn: (...a: unknown[]) => warnings.push(a.join(' ')), error: (...a: unknown[]) => warnings.push(a.join(' ')) };
  const files = [PLAYBOOK_SCHEMA, ...readdirSync(join(ROOT, 'schemas', 'modules')).map((f) => join(ROOT, 'schemas', 'modules', f))];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    t.false(text.includes('"$id"'), f);
    t.false(/"\$ref": "https?:/.test(text), `${f} refers to a host`);
    const ajv = new Ajv({ strict: true, allErrors: true, logger });
    t.notThrows(() => ajv.compile(JSON.parse(text) as object), f);
  }
  t.deepEqual(warnings, []);
  const validate = new Ajv({ strict: true, logger }).compile(JSON.parse(readFileSync(PLAYBOOK_SCHEMA, 'utf8')) as object);
  const parsed = [{ hosts: 'all', become: 'yes', tasks: [{ apt: { name: 'x', update_cache: '{{ upd }}' } }, { file: 'path=/x state=touch' }] }];
  t.true(validate(parsed), JSON.stringify(validate.errors));
  t.false(validate([{ hosts: 'all', tasks: [{ file: { path: '/x', stat: 'touch' } }] }]));
  t.false(validate([{ hosts: 'all', tasks: [{ apt: { name: 'x', update_cache: 'sometimes' } }] }]));
});
