// lookup()/query()/q() in expressions, one table per lookup. Every expected
// value below was produced by ansible-playbook 2.14.18 on this machine (local
// connection, a playbook in a directory holding the same files as FILES,
// `debug: msg="{{ <expression> | to_json }}"`), except where a row says
// "documented" (behaviour read from the lookup's documentation/source, e.g.
// community.general's cartesian, which is not installed here).

import test from 'ava';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import '../../../../engine/template/lookups.js';
import { formatOne, lookupWarnings, searchCandidates } from '../../../../engine/template/lookups.js';
import { renderString, TemplateError } from '../../../../engine/template/template.js';
import { parseExpression, ExpressionError } from '../../../../engine/template/expression.js';
import { trackUnsafe } from '../../../../engine/template/unsafe.js';

const FILES: Record<string, string> = {
  'files/a.txt': 'hello file\n',
  'files/b.conf': 'B\n',
  'top.txt': 'top\n',
  't.j2': 'x={{ x }}\n',
  'templates/in-templates.j2': 'from templates/ {{ x }}\n',
  'vars/main.yml': 'a: 1\n',
};

const dir = mkdtempSync(join(tmpdir(), 'tsplay-lookups-'));
for (const [p, c] of Object.entries(FILES)) {
  mkdirSync(dirname(join(dir, p)), { recursive: true });
  writeFileSync(join(dir, p), c);
}

const warnings: string[] = [];
lookupWarnings.sink = (m) => void warnings.push(m);

const vars = {
  playbook_dir: dir,
  ansible_search_path: [dir],
  x: 5,
  d: { k1: 'v1', k2: 'v2' },
  users: [{ name: 'alice', groups: ['a', 'b'] }, { name: 'bob', groups: ['c'] }, { name: 'carol' }],
};

/** Render `{{ expr | to_json }}`, as the Ansible runs printed them (JSON text). */
function json(expr: string): unknown {
  return JSON.parse(String(renderString(`{{ ${expr} | to_json }}`, vars))) as unknown;
}

const table: Array<[string, unknown]> = [
  // items: flattens one level; lookup() of a list with non-strings is the list
  ["lookup('items', [1,[2,3]], [4])", [1, [2, 3], 4]],
  ["query('items', [1,[2,3]], [4])", [1, [2, 3], 4]],
  ["lookup('items', [1,2], wantlist=True)", [1, 2]],
  ["lookup('items', [1])", 1],
  ["lookup('items', [])", []],
  ["lookup('items', ['a', 'b'])", 'a,b'],
  // list: the terms as given
  ["lookup('list', [1,[2,3]], [4])", [[1, [2, 3]], [4]]],
  // dict
  ["lookup('dict', d)", [{ key: 'k1', value: 'v1' }, { key: 'k2', value: 'v2' }]],
  // indexed_items
  ["lookup('indexed_items', ['a','b'])", [[0, 'a'], [1, 'b']]],
  // sequence: key=value form, count=, the shortcut form
  ["lookup('sequence', 'start=1 end=10 stride=2 format=x%02d')", 'x01,x03,x05,x07,x09'],
  ["query('sequence', 'count=3')", ['1', '2', '3']],
  ["query('sequence', '4:host%02d', '2-4')", ['host01', 'host02', 'host03', 'host04', '2', '3', '4']],
  // together: zip_longest, missing as None
  ["lookup('together', [1,2,3], ['a','b'])", [[1, 'a'], [2, 'b'], [3, null]]],
  // nested: the product
  ["lookup('nested', [1,2], ['a','b'])", [[1, 'a'], [1, 'b'], [2, 'a'], [2, 'b']]],
  // cartesian (documented, community.general): the product, as nested
  ["query('cartesian', [1,2], ['a'])", [[1, 'a'], [2, 'a']]],
  // file: files/ first, then the directory itself; rstrip; several joined with ","
  ["lookup('file', 'a.txt')", 'hello file'],
  ["lookup('file', 'a.txt', 'top.txt')", 'hello file,top'],
  ["lookup('file', 'nope.txt', errors='ignore')", null],
  ["q('file', 'nope.txt', errors='ignore')", []],
  // env: unset is ''
  ["lookup('env', 'TSPLAY_LOOKUP_TEST_UNSET')", ''],
  // pipe: stdout without trailing whitespace; lines: one item per line
  ["lookup('pipe', 'echo hi; echo there')", 'hi\nthere'],
  ["lookup('lines', 'printf \"a\\\\nb\\\\n\"')", 'a,b'],
  // vars
  ["lookup('vars', 'x')", 5],
  // template: rendered with the task's variables, trailing newline kept
  ["lookup('template', 't.j2')", 'x=5\n'],
  // first_found: the path of the first that exists; errors= and skip
  ["lookup('first_found', 'nope', 'a.txt')", join(dir, 'files/a.txt')],
  ["lookup('first_found', 'nope', errors='ignore')", null],
  ["lookup('first_found', 'nope', skip=True)", []],
  // subelements: the subkey is removed from the yielded parent (as Ansible does)
  ["lookup('subelements', users, 'groups', {'skip_missing': True})", [[{ name: 'alice' }, 'a'], [{ name: 'alice' }, 'b'], [{ name: 'bob' }, 'c']]],
];

for (const [expr, expected] of table) {
  test(`lookup: ${expr}`, (t) => {
    t.deepEqual(json(expr), expected);
  });
}

test('lookup: env reads the controller environment', (t) => {
  process.env.TSPLAY_LOOKUP_TEST_SET = 'v a l';
  t.is(renderString("{{ lookup('env', 'TSPLAY_LOOKUP_TEST_SET') }}", vars), 'v a l');
});

test('lookup: template looks in templates/ first, and template_vars add variables', (t) => {
  t.is(renderString("{{ lookup('template', 'in-templates.j2') }}", vars), 'from templates/ 5\n');
  t.is(renderString("{{ lookup('template', 't.j2', template_vars={'x': 7}) }}", vars), 'x=7\n');
});

test('lookup: fileglob finds files in files/ (controller paths)', (t) => {
  t.deepEqual(json("query('fileglob', '*.conf')"), [join(dir, 'files/b.conf')]);
  t.deepEqual(json("query('fileglob', '*.nomatch')"), []);
});

test('lookup: first_found takes files/paths mappings', (t) => {
  t.deepEqual(json("query('first_found', {'files': ['nope.txt', 'a.txt'], 'paths': ['files']})"), [join(dir, 'files/a.txt')]);
  t.deepEqual(json("query('first_found', {'files': ['nope.txt'], 'skip': true})"), []);
});

test('lookup: a missing file fails (strict), warns with errors=warn', (t) => {
  const e = t.throws(() => renderString("{{ lookup('file', 'nope.txt') }}", vars), { instanceOf: TemplateError });
  t.regex(e.message, /could not locate file in lookup: nope\.txt/);
  warnings.length = 0;
  t.is(renderString("{{ lookup('first_found', 'nope', errors='warn') }}", vars), null);
  t.true(warnings.some((w) => w.includes('Lookup failed but the error is being ignored: No file was found when using first_found.')));
});

test('lookup: what a lookup returns is data (never rendered again)', (t) => {
  t.true(trackUnsafe(() => renderString("{{ lookup('file', 'a.txt') }}", vars)).unsafe);
  t.false(trackUnsafe(() => renderString("{{ lookup('items', []) }}", vars)).unsafe);
});

test('lookup: unknown and refused names fail at parse time (load), at the name', (t) => {
  const unknown = t.throws(() => parseExpression("lookup('nosuch', 'x')"), { instanceOf: ExpressionError });
  t.regex(unknown.message, /unknown lookup "nosuch"/);
  t.is(unknown.column, 8);
  t.regex(t.throws(() => parseExpression("lookup('password', '/tmp/x')")).message, /refused: the password lookup/);
  t.regex(t.throws(() => parseExpression("query('random_choice', 1, 2)")).message, /refused/);
  t.regex(t.throws(() => parseExpression("lookup('community.general.passwordstore', 'x')")).message, /unknown lookup/);
  t.notThrows(() => parseExpression("lookup('ansible.builtin.file', 'x')"));
});

test('lookup: unknown options are refused, not ignored', (t) => {
  t.regex(t.throws(() => renderString("{{ lookup('file', 'a.txt', nosuch=1) }}", vars)).message, /unknown option "nosuch"/);
  t.regex(t.throws(() => renderString("{{ lookup('file', 'a.txt', nosuch=1, errors='ignore') }}", vars)).message, /unknown option "nosuch"/);
});

// Python's "%" with one value, as with_sequence formats (checked with python3 on this machine).
const formats: Array<[string, number, string]> = [
  ['%d', 7, '7'], ['x%02d', 3, 'x03'], ['%04x', 3840, '0f00'], ['0x%02x', 10, '0x0a'], ['%5d|', 42, '   42|'],
  ['%-4d|', 42, '42  |'], ['%o', 8, '10'], ['%X', 255, 'FF'], ['host%s', 5, 'host5'],
];
for (const [fmt, n, expected] of formats) test(`sequence format ${fmt} % ${n}`, (t) => t.is(formatOne(fmt, n), expected));

test('search path: <dir>/<subdir>/<name>, <dir>/<name> per directory, the playbook dir last', (t) => {
  t.deepEqual(searchCandidates(['/r/roles/x', '/r/roles/x/tasks'], '/r', 'files', 'a.txt'), [
    '/r/roles/x/files/a.txt', '/r/roles/x/a.txt', '/r/roles/x/tasks/files/a.txt', '/r/roles/x/tasks/a.txt', '/r/files/a.txt', '/r/a.txt',
  ]);
  // a name that already starts with the subdir does not get it twice
  t.deepEqual(searchCandidates([], '/r', 'files', 'files/a.txt'), ['/r/files/a.txt']);
});
