// Jinja statements in template files and strings (engine/template/jinja.ts),
// as a table: template -> the bytes Ansible 2.14 writes.
//
// Every expected value in CASES was produced by the real Ansible on this
// machine (ansible-core 2.14.18, Jinja2 3.1.6): each template was written to a
// file and rendered with `ansible-playbook` running the template module over
// the local connection, with VARS as vars_files and FILES beside the
// templates; the output files were read back byte for byte. Ansible's
// environment: trim_blocks=True, lstrip_blocks=False, and its trailing-newline
// fix-up. Cases rendering a boolean, list or mapping directly are left out here:
// Python-style rendering of values belongs to the expression layer.

import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderJinja, compileJinja, checkJinja, isJinjaStatementTemplate } from '../../../../engine/template/jinja.js';
import { renderString, TemplateError, templateVariables } from '../../../../engine/template/template.js';
import { renderTemplateFile, pythonDateTime } from '../../../../engine/template/template-file.js';
import { Unsafe } from '../../../../engine/template/unsafe.js';
import { buildVars } from '../../../../engine/template/vars.js';
import { trackUnsafe } from '../../../../engine/template/unsafe.js';

const VARS: Record<string, unknown> = {
  'n': 3,
  'xs': [
    'a',
    'b',
    'c'
  ],
  'empty': [],
  'd': {
    'k1': 'v1',
    'k2': 'v2'
  },
  'users': [
    {
      'name': 'alice',
      'uid': 1001,
      'shell': '/bin/bash'
    },
    {
      'name': 'bob',
      'uid': 1002
    }
  ],
  'port': 22,
  'listen': [
    '0.0.0.0',
    '::'
  ],
  'flag': true,
  'word': 'abc'
};

const FILES: Record<string, string> = {
  "part.txt": "part {{ n }}\n",
  "item.txt": "({{ x }})",
  "macros.txt": "{% macro hi(n) %}hi {{ n }}{% endmacro %}\n{% macro other() %}{{ xs | default([\"no-context\"]) | join(\"\") }}{% endmacro %}\n"
};

const dir = mkdtempSync(join(tmpdir(), 'tsplay-jinja-'));
for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);

// [case, template, Ansible's output]: all checked against Ansible 2.14 (see above).
const CASES: [string, string, string][] = [
  ["if-elif-else", "{% if n > 5 %}\nbig\n{% elif n > 2 %}\nmedium\n{% else %}\nsmall\n{% endif %}\n", "medium\n"],
  ["if-else-inline", "mode={% if flag %}on{% else %}off{% endif %};\n", "mode=on;\n"],
  ["if-defined", "{% if missing is defined %}set{% else %}unset{% endif %} {% if n is defined and n == 3 %}three{% endif %}\n", "unset three\n"],
  ["for-loop-vars", "{% for x in xs %}\n{{ loop.index }} {{ loop.index0 }} {{ loop.revindex }} {{ loop.revindex0 }} {{ loop.length }} {{ loop.cycle(\"odd\", \"even\") }} {{ x }}{% if loop.first %} first{% endif %}{% if loop.last %} last{% endif %}\n\n{% endfor %}\n", "1 0 3 2 3 odd a first\n2 1 2 1 3 even b\n3 2 1 0 3 odd c last\n"],
  ["for-else", "{% for x in empty %}\n{{ x }}\n{% else %}\nnothing\n{% endfor %}\ndone\n", "nothing\ndone\n"],
  ["for-items", "{% for k, v in d.items() %}\n{{ k }} = {{ v }}\n{% endfor %}\n", "k1 = v1\nk2 = v2\n"],
  ["for-dict-keys", "{% for k in d %}{{ k }};{% endfor %}\n", "k1;k2;\n"],
  ["for-tuple-parens", "{% for (k, v) in d.items() %}{{ k }}:{{ v }} {% endfor %}\n", "k1:v1 k2:v2 \n"],
  ["for-if-filter", "{% for x in xs if x != \"b\" %}{{ loop.index }}/{{ loop.length }}={{ x }} {% endfor %}\n", "1/2=a 2/2=c \n"],
  ["for-nested-outer-loop", "{% for x in xs %}{% set outer = loop %}{% for y in [1, 2] %}{{ outer.index }}.{{ loop.index }}{{ x }}{{ y }} {% endfor %}{% endfor %}\n", "1.1a1 1.2a2 2.1b1 2.2b2 3.1c1 3.2c2 \n"],
  ["for-string", "{% for c in word %}[{{ c }}]{% endfor %}\n", "[a][b][c]\n"],
  ["for-range", "{% for i in range(3) %}{{ i }}{% endfor %} {% for i in range(1, 10, 3) %}{{ i }},{% endfor %}\n", "012 1,4,7,\n"],
  ["for-previtem", "{% for x in xs %}{{ loop.previtem | default(\"-\") }}<{{ x }}>{{ loop.nextitem | default(\"-\") }} {% endfor %}\n", "-<a>b a<b>c b<c>- \n"],
  ["for-filtered-iter", "{% for x in xs | sort %}{{ x }}{% endfor %}|{% for u in users if u.shell is defined %}{{ u.name }}{% endfor %}|{% for x in [3, 1, 2] | sort %}{{ x }}{% endfor %}\n", "abc|alice|123\n"],
  ["config-file", "# {{ \"generated\" }}\nPort {{ port }}\n{% for a in listen %}\nListenAddress {{ a }}\n{% endfor %}\n{% for u in users %}\nMatch User {{ u.name }}\n{% if u.shell is defined %}\n    ForceCommand {{ u.shell }}\n{% endif %}\n{% endfor %}\n", "# generated\nPort 22\nListenAddress 0.0.0.0\nListenAddress ::\nMatch User alice\n    ForceCommand /bin/bash\nMatch User bob\n"],
  ["set-simple", "{% set greeting = xs[0] | upper %}hello {{ greeting }}\n", "hello A\n"],
  ["set-plain", "{% set greeting = \"hello\" %}{% set count = n %}{{ greeting }} {{ count }}\n", "hello 3\n"],
  ["set-tuple", "{% set a, b = [1, 2] %}{{ a }}-{{ b }}\n", "1-2\n"],
  ["set-block", "{% set body %}\nline {{ n }}\n{% endset %}\n[{{ body }}]\n", "[line 3\n]\n"],
  ["set-scope-for", "{% set v = \"outer\" %}{% for x in xs %}{% set v = x %}{% endfor %}{{ v }}\n", "outer\n"],
  ["set-scope-if", "{% if flag %}{% set w = \"from-if\" %}{% endif %}{{ w }}\n", "from-if\n"],
  ["namespace", "{% set ns = namespace(count=0, found=\"no\") %}{% for x in xs %}{% set ns.count = loop.index %}{% if x == \"b\" %}{% set ns.found = \"yes\" %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }}\n", "3 yes\n"],
  ["macro", "{% macro opt(name, value=\"on\", sep=\" = \") -%}\n{{ name }}{{ sep }}{{ value }}\n{%- endmacro %}\n{{ opt(\"a\") }}\n{{ opt(\"b\", \"off\") }}\n{{ opt(\"c\", sep=\": \") }}\n", "a = on\nb = off\nc: on\n"],
  ["macro-sees-vars", "{% macro show() %}n is {{ n }}{% endmacro %}{{ show() }}\n", "n is 3\n"],
  ["macro-loop", "{% macro li(x) %}<{{ x }}>{% endmacro %}{% for x in xs %}{{ li(x) }}{% endfor %}\n", "<a><b><c>\n"],
  ["with", "{% with a = 1, b = xs[1] %}{{ a }}{{ b }}{% endwith %}\n", "1b\n"],
  ["block-in-place", "{% block head %}n={{ n }}{% endblock %}\n", "n=3\n"],
  ["block-set-stays-inside", "{% set x = 1 %}{% block b %}{% set x = 2 %}{{ x }}{% endblock b %}{{ x }}\n", "21\n"],
  ["block-scoped-in-loop", "{% for y in xs %}{% block item scoped %}[{{ y }}]{% endblock %}{% endfor %}\n", "[a][b][c]\n"],
  ["include", "before\n{% include \"part.txt\" %}\nafter\n", "before\npart 3after\n"],
  ["include-loop-context", "{% for x in xs %}{% include \"item.txt\" %}{% endfor %}\n", "(a)(b)(c)\n"],
  ["import-as", "{% import \"macros.txt\" as m %}{{ m.hi(\"w\") }}|{{ m.other() }}\n", "hi w|no-context\n"],
  ["from-import", "{% from \"macros.txt\" import hi, hi as greet %}{{ hi(\"a\") }} {{ greet(\"b\") }}\n", "hi a hi b\n"],
  ["import-with-context", "{% import \"macros.txt\" as m with context %}{{ m.other() }}\n", "abc\n"],
  ["raw", "A\n{% raw %}\n{{ not_a_var }} {% if %}\n{% endraw %}\nB\n", "A\n\n{{ not_a_var }} {% if %}\nB\n"],
  ["raw-strip", "x {%- raw -%}  {{ y }}  {%- endraw -%}  \nz\n", "x{{ y }}z\n"],
  ["comment", "A\n{# a comment #}\nB\n{#\n  multi\n  line\n#}\nC{# inline #}D\n", "A\nB\nCD\n"],
  ["comment-strip", "A  {#- c -#}  B\n", "AB\n"],
  ["ws-dash", "a\n   {%- if flag -%}   \n  b  \n  {%- endif %}\nc\n", "abc\n"],
  ["ws-expr-dash", "[  {{- n -}}  ]\n[ {{ n }} ]\n", "[3]\n[ 3 ]\n"],
  ["ws-plus", "{% if flag +%}\nkept newline\n{% endif %}\n", "\nkept newline\n"],
  ["ws-indented-tags", "start\n  {% if flag %}\n  yes\n  {% endif %}\nend\n", "start\n    yes\n  end\n"],
  ["trail-block-last", "a\n{% if flag %}b{% endif %}\n", "a\nb\n"],
  ["trail-empty", "{% if not flag %}x{% endif %}\n", "\n"],
  ["trail-many", "a\n{% if flag %}\nb\n{% endif %}\n\n\n", "a\nb\n\n\n"],
  ["trail-none", "no newline {{ n }}", "no newline 3"],
  ["trail-for", "a\n{% for x in xs %}\n{{ x }}\n{% endfor %}\n", "a\na\nb\nc\n"],
  ["crlf", "a\r\n{% if flag %}\r\nb\r\n{% endif %}\r\nc\r\n", "a\nb\nc\n"],
  ["expr-filters", "{{ xs | join(\",\") }} {{ xs | length }} {{ missing | default(\"dflt\") }} {{ word | upper }}\n", "a,b,c 3 dflt ABC\n"],
  ["string-escape", "{{ 'it''s' }} {{ \"q\" }}\n", "its q\n"],
];

for (const [name, template, expected] of CASES) {
  test(`ansible: ${name}`, (t) => {
    t.is(renderJinja(template, VARS, { file: join(dir, `${name}.j2`), loader: { searchPath: [dir] } }), expected);
  });
}

// Strings in task arguments and vars render the same way (Ansible templates
// them with trim_blocks too). Checked with Ansible 2.14: `debug: msg:` of this
// string with x: true printed "A  1\n  2\n  Z\n\n".
test('a string with statements renders as Ansible renders a task argument', (t) => {
  const s = '{% if x %}\nA{% endif %}\n  {% for i in [1,2] %}\n{{ i }}\n  {% endfor %}\nZ\n\n';
  t.is(renderString(s, { x: true }), 'A  1\n  2\n  Z\n\n');
});

test('handlebars forms are not taken for Jinja', (t) => {
  t.false(isJinjaStatementTemplate('a {{!-- a comment --}}b'));
  t.false(isJinjaStatementTemplate('{{#if x}}y{{/if}}'));
  t.true(isJinjaStatementTemplate('{# c #}'));
  t.true(isJinjaStatementTemplate('{{- x }}'));
  t.true(isJinjaStatementTemplate('{{ x -}}'));
  t.is(renderString('{{#if flag}}yes{{/if}} {{!-- c --}}', { flag: true }), 'yes ');
});

// ---------------------------------------------------------------- errors carry the template's line and column

const fails = test.macro({
  exec(t, template: string, vars: Record<string, unknown>, expected: { reason: string; line: number; column: number; variable?: string }) {
    const e = t.throws(() => renderJinja(template, vars, { file: '/srv/t.j2' }), { instanceOf: TemplateError });
    t.true(e.reason.includes(expected.reason), e.message);
    t.is(e.line, expected.line, e.message);
    t.is(e.column, expected.column, e.message);
    t.is(e.file, '/srv/t.j2');
    t.true(e.message.includes(`/srv/t.j2 line ${expected.line}, column ${expected.column}`), e.message);
    if (expected.variable) t.is(e.variable, expected.variable);
  },
  title: (provided, template: string) => provided ?? `error: ${JSON.stringify(template)}`,
});

test(fails, 'a\nb {{ nope }}\n', {}, { reason: 'undefined variable "nope"', line: 2, column: 6, variable: 'nope' });
test(fails, 'a\n{% for x in xs %}\n  {{ x.name }}\n{% endfor %}\n', { xs: [{ name: 'a' }, {}] }, { reason: 'undefined variable "x.name"', line: 3, column: 6 });
test(fails, '{% if a == 1 %}\nx\n', { a: 1 }, { reason: '"{% if %}" is not closed', line: 1, column: 4 });
test(fails, 'x\n  {% endfor %}', {}, { reason: 'unexpected "{% endfor %}"', line: 2, column: 6 });
test(fails, '{% for x in xs %}\n{% endif %}\n{% endfor %}', { xs: [] }, { reason: 'unexpected "{% endif %}": no open block it closes', line: 2, column: 4 });
test(fails, '{% for x in xs %}\nx', { xs: [] }, { reason: 'expected "{% else %}" or "{% endfor %}"', line: 1, column: 4 });
test(fails, 'x\n{% frobnicate %}', {}, { reason: 'unknown statement "{% frobnicate %}"', line: 2, column: 4 });
test(fails, 'x\n{% extends "base.j2" %}', {}, { reason: '"{% extends %}" is not supported in tsplay', line: 2, column: 4 });
test(fails, '{% for x in xs %}\n{% block b %}{{ x }}{% endblock %}{% endfor %}', { xs: [1] }, { reason: 'write "{% block b scoped %}"', line: 2, column: 4 });
test(fails, '{% block a %}x{% endblock b %}', {}, { reason: '"endblock b" closes "block a"', line: 1, column: 27 });
test(fails, 'x {% if a', {}, { reason: 'unclosed "{%"', line: 1, column: 3 });
test(fails, 'x\n{# never closed', {}, { reason: 'unclosed comment', line: 2, column: 1 });
test(fails, '{% for %}', {}, { reason: 'expected "for NAME in LIST"', line: 1, column: 7 });
test(fails, '{% for x in %}', {}, { reason: 'expected an expression after "in"', line: 1, column: 12 });
test(fails, '{% for x in 1 %}{% endfor %}', {}, { reason: 'cannot loop over a int', line: 1, column: 13 });
test(fails, '{% set = 1 %}', {}, { reason: 'is not a variable name', line: 1, column: 7 });
test(fails, 'a\n{% if x = 1 %}{% endif %}', { x: 1 }, { reason: 'comparison is written "=="', line: 2, column: 9 });
test(fails, '{% macro m(a, b) %}{% endmacro %}\n{{ m(1, 2, 3) }}', {}, { reason: 'macro "m" takes 2 arguments, got 3', line: 2, column: 4 });
test(fails, '{% macro m(a) %}{% endmacro %}{{ m() }}', {}, { reason: 'missing argument "a"', line: 1, column: 34 });
test(fails, '{% macro m(a=0) %}{% endmacro %}{{ m(b=1) }}', {}, { reason: 'has no parameter "b"', line: 1, column: 36 });
test(fails, '{% set x = 1 %}{% set x.y = 2 %}', {}, { reason: 'is not a namespace()', line: 1, column: 19 });
test(fails, '{{ nofunc(1) }}', {}, { reason: 'unknown function "nofunc"', line: 1, column: 4 });
test(fails, '{% include "nowhere.txt" %}', {}, { reason: 'include: template "nowhere.txt" not found', line: 1, column: 12 });
test(fails, '{% for a, b in [[1, 2, 3]] %}{% endfor %}', {}, { reason: 'cannot unpack list into 2 names', line: 1, column: 4 });

test('an error inside an included template names that file and its line', (t) => {
  writeFileSync(join(dir, 'bad-part.txt'), 'ok\n{{ ghost }}\n');
  const e = t.throws(() => renderJinja('x\n{% include "bad-part.txt" %}', {}, { file: join(dir, 'main.j2'), loader: { searchPath: [dir] } }), { instanceOf: TemplateError });
  t.is(e.file, join(dir, 'bad-part.txt'));
  t.is(e.line, 2);
  t.is(e.column, 4);
});

test('include ignore missing, and a list of names (the first found)', (t) => {
  const opts = { file: join(dir, 'main.j2'), loader: { searchPath: [dir] } };
  t.is(renderJinja('a{% include "nowhere.txt" ignore missing %}b', VARS, opts), 'ab');
  t.is(renderJinja('{% include ["nowhere.txt", "part.txt"] %}', VARS, opts), 'part 3');
});

test('include finds templates on the search path when not beside the template', (t) => {
  t.is(renderJinja('{% include "part.txt" %}', VARS, { file: '/nonexistent/main.j2', loader: { searchPath: [dir] } }), 'part 3');
});

test('checkJinja reports a missing include and a syntax error in an included file', (t) => {
  const e1 = t.throws(() => checkJinja('a\n  {% include "missing.txt" %}', join(dir, 'main.j2'), { searchPath: [dir] }), { instanceOf: TemplateError });
  t.is(e1.line, 2);
  t.is(e1.column, 14);
  t.true(e1.reason.includes('template "missing.txt" not found'), e1.message);
  writeFileSync(join(dir, 'broken.txt'), 'line\n{% if x %}\n');
  const e2 = t.throws(() => checkJinja('{% import "broken.txt" as b %}', join(dir, 'main.j2'), { searchPath: [dir] }), { instanceOf: TemplateError });
  t.is(e2.file, join(dir, 'broken.txt'));
  t.is(e2.line, 2);
  t.notThrows(() => checkJinja('{% include "part.txt" %}{% from "macros.txt" import hi %}', join(dir, 'main.j2'), { searchPath: [dir] }));
});

// ---------------------------------------------------------------- host data stays data

test('host data read by a statement template marks the result as data and is never rendered', (t) => {
  const vars = buildVars([{ out: new Unsafe({ stdout: '{{ secret }} {% if %}' }), items: ['a'] }]);
  const r = trackUnsafe(() => renderString('{% for i in items %}{{ out.stdout }}{% endfor %}', vars));
  t.is(r.value, '{{ secret }} {% if %}');
  t.true(r.unsafe);
  const clean = trackUnsafe(() => renderString('{% for i in items %}{{ i }}{% endfor %}', vars));
  t.is(clean.value, 'a');
  t.false(clean.unsafe);
});

// ---------------------------------------------------------------- what validate reads

test('templateVariables: the root names a statement template reads and does not bind', (t) => {
  t.deepEqual(
    templateVariables('{% set a = b %}{% for x in xs if x != c %}{{ x }}{{ loop.index }}{{ a }}{% endfor %}{% macro m(p, q=r) %}{{ p }}{% endmacro %}{{ m(1) }}{{ range(3) | length }}{{ z | default(1) }}').sort(),
    ['b', 'c', 'r', 'xs'],
  );
});

test('compiled templates are cached by source', (t) => {
  t.is(compileJinja('{% if a %}x{% endif %}'), compileJinja('{% if a %}x{% endif %}'));
});

// ---------------------------------------------------------------- template files

test('a template file gets ansible_managed and the template_* variables', (t) => {
  writeFileSync(join(dir, 'managed.j2'), '# {{ ansible_managed }}\n{{ template_path }}|{{ template_fullpath }}|{{ template_host }}|{{ template_destpath }}|{{ template_run_date }}\n');
  const out = renderTemplateFile('# {{ ansible_managed }}\n{{ template_path }}|{{ template_fullpath }}|{{ template_host }}|{{ template_destpath }}|{{ template_run_date }}\n', {}, {
    path: 'managed.j2', dest: '/etc/x.conf', searchPath: [dir], host: 'ctl', now: new Date(2026, 10, 30, 18, 54, 9, 550),
  });
  // Ansible 2.14 wrote "# Ansible managed" and the resolved absolute source path for both path variables.
  t.is(out, `# Ansible managed\n${join(dir, 'managed.j2')}|${join(dir, 'managed.j2')}|ctl|/etc/x.conf|2026-11-30 18:54:09.550000\n`);
});

test('template_uid is the name of the template file\'s owner', (t) => {
  const out = renderTemplateFile('{% if true %}{{ template_uid }}{% endif %}', {}, { path: join(dir, 'part.txt'), searchPath: [dir] });
  t.true(out.length > 0);
  t.regex(out, /^[a-z_][a-z0-9_-]*\$?$|^\d+$/);
});

test('pythonDateTime is str(datetime.now())', (t) => {
  t.is(pythonDateTime(new Date(2026, 0, 2, 3, 4, 5, 6)), '2026-01-02 03:04:05.006000');
  t.is(pythonDateTime(new Date(2026, 0, 2, 3, 4, 5, 0)), '2026-01-02 03:04:05');
});

test('a render error in a template file without statements names the file too', (t) => {
  const e = t.throws(() => renderTemplateFile('a\nb {{ ghost }}\n', {}, { path: 'x.j2', searchPath: [dir] }), { instanceOf: TemplateError });
  t.is(e.file, join(dir, 'x.j2'));
  t.is(e.line, 2);
  t.is(e.column, 6);
  t.true(e.message.includes(`${join(dir, 'x.j2')} line 2, column 6`), e.message);
});

// Checked with Ansible 2.14 (`| type_debug` of vars holding these strings):
// str, list, bool, str, str, list.
test('a string with statements gives a list, mapping or boolean when its text is one, as Ansible does', (t) => {
  t.is(renderString('{% if true %}5{% endif %}', {}), '5');
  t.deepEqual(renderString('{% if true %}[1, 2]{% endif %}', {}), [1, 2]);
  t.is(renderString('{% if true %}True{% endif %}', {}), true);
  t.is(renderString('x{% if true %}5{% endif %}', {}), 'x5');
  t.is(renderString('{% for i in [1,2] %}{{ i }}{% endfor %}', {}), '12');
  t.deepEqual(renderString('{% if true %}{{ [1, 2] }}{% endif %}', {}), [1, 2]);
  t.deepEqual(renderString("{% if true %}{'a': [1, 'b']}{% endif %}", {}), { a: [1, 'b'] });
  t.is(renderString('{% if true %}[not, a literal]{% endif %}', {}), '[not, a literal]');
});
