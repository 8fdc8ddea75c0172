// Template files are checked before the run: `tsplay validate` and the load
// phase parse every template a playbook names statically, and report a syntax
// error at the template file's own line and column (with the task's place), a
// missing file at the task's `src`.

import test from 'ava';
import { join } from 'node:path';
import { LoadError } from '../../../../engine/errors.js';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { runMain } from '../../../helpers/main-output.js';
import { writeTree } from '../../../helpers/run-playbook.js';

const playbook = (src: string) => `- hosts: all
  gather_facts: false
  tasks:
    - name: render
      template:
        src: ${src}
        dest: /tmp/x
`;

async function loadError(files: Record<string, string>): Promise<{ e: LoadError; dir: string }> {
  const dir = writeTree(files);
  const registry = await loadRegistry();
  try {
    await loadPlaybook(join(dir, 'p.yml'), registry);
  } catch (e) {
    if (e instanceof LoadError) return { e, dir };
    throw e;
  }
  throw new Error('the playbook loaded without an error');
}

test('a syntax error in a template file is reported at the template\'s line and column, naming the task', async (t) => {
  const { e, dir } = await loadError({ 'p.yml': playbook('conf.j2'), 'conf.j2': 'a\nb\n{% for x in xs %}\n{{ x }}\n' });
  t.deepEqual(e.place, { file: join(dir, 'conf.j2'), line: 3, col: 4 });
  t.true(e.reason.includes('"{% for %}" is not closed'), e.message);
  t.true(e.reason.includes('p.yml:4:7'), e.message);
  t.true(e.message.includes('{% for x in xs %}'), 'the snippet quotes the template line');
});

test('a missing template file is reported at the task\'s src', async (t) => {
  const { e, dir } = await loadError({ 'p.yml': playbook('nope.j2') });
  t.is(e.place?.file, join(dir, 'p.yml'));
  t.is(e.place?.line, 6);
  t.true(e.reason.includes('template file nope.j2 not found; looked in: '), e.message);
});

test('a missing include inside a template is reported at the include\'s line', async (t) => {
  const { e, dir } = await loadError({ 'p.yml': playbook('conf.j2'), 'conf.j2': '# head\n  {% include "gone.j2" %}\n' });
  t.deepEqual(e.place, { file: join(dir, 'conf.j2'), line: 2, col: 14 });
  t.true(e.reason.includes('template "gone.j2" not found'), e.message);
});

test('an error in an imported template names that file', async (t) => {
  const { e, dir } = await loadError({ 'p.yml': playbook('conf.j2'), 'conf.j2': '{% import "m.j2" as m %}\n', 'm.j2': '{% macro a() %}\n{{ x | nofilter }}\n{% endmacro %}\n' });
  t.deepEqual(e.place, { file: join(dir, 'm.j2'), line: 2, col: 8 });
  t.true(e.reason.includes('unknown filter "nofilter"'), e.message);
});

test('handlebars template files are still checked (syntax) and ansible.builtin.template is checked too', async (t) => {
  const { e, dir } = await loadError({
    'p.yml': playbook('conf.j2').replace('template:', 'ansible.builtin.template:'),
    'conf.j2': 'a\n{{#if x}}\n',
  });
  t.is(e.place?.file, join(dir, 'conf.j2'));
  t.is(e.place?.line, 3); // handlebars reports an unclosed block at the end of the template
});

test('a templated src is left to run time; a good template loads', async (t) => {
  const dir = writeTree({ 'p.yml': playbook('"{{ name }}.j2"'), 'q.yml': playbook('ok.j2'), 'ok.j2': '{% if x %}\n{{ x }}\n{% endif %}\n' });
  const registry = await loadRegistry();
  await t.notThrowsAsync(loadPlaybook(join(dir, 'p.yml'), registry));
  await t.notThrowsAsync(loadPlaybook(join(dir, 'q.yml'), registry));
});

test('tsplay validate prints the template file\'s place and exits 4', async (t) => {
  const dir = writeTree({
    'p.yml': playbook('conf.j2'),
    'conf.j2': 'ok\n{% if x %}\n{% endfor %}\n',
    'inv.yml': 'all:\n  hosts:\n    h1:\n',
  });
  const r = await runMain(['validate', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')]);
  t.is(r.code, 4, r.text);
  t.true(r.text.includes(`${join(dir, 'conf.j2')}:3:4`), r.text);
});
