// YAML that PyYAML (Ansible's reader) accepts reads the same in tsplay. Each
// document's expected value is what PyYAML (yaml.safe_load, on this machine)
// gave; the flow mapping closed at the parent's indent was also run with
// ansible-playbook 2.14 (a copy task: changed).

import test from 'ava';
import { parseYaml } from '../../../../engine/load/yaml.js';
import { LoadError } from '../../../../engine/errors.js';
import { withLoadWarnings } from '../../../../engine/load/load-warnings.js';

const READS: Array<[title: string, source: string, pyyaml: unknown]> = [
  ['a flow mapping closed at the parent\'s indent', '- copy: {\n    src: a,\n    dest: b\n  }\n', [{ copy: { src: 'a', dest: 'b' } }]],
  ['a flow sequence closed at the parent\'s indent', 'x: [\n    1,\n    2\n  ]\ny: 3\n', { x: [1, 2], y: 3 }],
  ['a closing bracket at column 1', 'x: {\n  a: 1\n}\n', { x: { a: 1 } }],
  ['nested flow collections inside a task list', '- hosts: h\n  tasks:\n    - copy: {\n        content: a,\n        dest: /tmp/x\n      }\n    - debug: {msg: x}\n', [{ hosts: 'h', tasks: [{ copy: { content: 'a', dest: '/tmp/x' } }, { debug: { msg: 'x' } }] }]],
  ['y and n are strings, not booleans; tRue is a string', 'y: 3\nn: 4\na: y\nb: Y\nc: n\nd: On\ne: TRUE\nf: True\ng: tRue\n', { y: 3, n: 4, a: 'y', b: 'Y', c: 'n', d: true, e: true, f: true, g: 'tRue' }],
  ['YAML 1.1 octal, booleans and !!str', 'm: 0755\nb: yes\nc: !!str 0755\nd: on\ne: "no"\n', { m: 493, b: true, c: '0755', d: true, e: 'no' }],
];

for (const [title, source, expected] of READS) {
  test(`reads as PyYAML: ${title}`, (t) => {
    t.deepEqual(parseYaml(source, 'f.yml').value, expected);
  });
}

test('places after a re-indented closing bracket are those of the file as written', (t) => {
  const doc = parseYaml('- copy: {\n    src: a\n  }\n- debug: {msg: x}\n', 'f.yml');
  t.like(doc.placeOf([1]), { line: 4, col: 3 });
});

test('indentation PyYAML refuses too stays an error with its place', (t) => {
  const e = t.throws(() => parseYaml('a:\n  b: 1\n c: 2\n', 'f.yml'), { instanceOf: LoadError });
  t.regex(e.message, /f\.yml:3:2: YAML syntax error/);
});

/** Parse with a collector: the value and the warnings. */
function parseWarned(text: string, file = '/p/f.yml'): { value: unknown; warnings: string[] } {
  const warnings: string[] = [];
  const value = withLoadWarnings((w) => warnings.push(w.msg), () => parseYaml(text, file).value);
  return { value, warnings };
}

const dup = (line: number, col: number, key: string) =>
  `While constructing a mapping from /p/f.yml, line ${line}, column ${col}, found a duplicate dict key (${key}). Using last defined value only.`;

// Expected values as ansible-playbook 2.14.18 printed them for the same text on this
// machine (the mapping's start, as PyYAML marks it, not the repeated key's).
const duplicateTable: Array<[string, string, unknown, string[]]> = [
  ['block mapping: the last value wins, in the first key\'s position', 'a: 1\nb: 0\na: 2\n', { a: 2, b: 0 }, [dup(1, 1, 'a')]],
  ['nested block mapping', 'vars:\n  x: 1\n  x: 2\n', { vars: { x: 2 } }, [dup(2, 3, 'x')]],
  ['mapping in a list (a task)', '- name: t\n  debug:\n    msg: one\n    msg: two\n', [{ name: 't', debug: { msg: 'two' } }], [dup(3, 5, 'msg')]],
  ['flow mapping: its brace', '- debug: { msg: a, msg: b }\n', [{ debug: { msg: 'b' } }], [dup(1, 10, 'msg')]],
  ['three times: one warning (Ansible\'s display shows a text once)', 'a: 1\na: 2\na: 3\n', { a: 3 }, [dup(1, 1, 'a'), dup(1, 1, 'a')]],
  ['quoted and plain spellings are one key', 'a: 1\n"a": 2\n', { a: 2 }, [dup(1, 1, 'a')]],
  ['the same key in two mappings is no duplicate', '- a: 1\n- a: 2\n', [{ a: 1 }, { a: 2 }], []],
];

for (const [name, text, value, warnings] of duplicateTable) {
  test(`duplicate keys: ${name}`, (t) => {
    const r = parseWarned(text);
    t.deepEqual(r.value, value);
    // The collector shows one text once, as Ansible's Display does.
    t.deepEqual(r.warnings, [...new Set(warnings)]);
  });
}

test('duplicate keys: from_yaml reads them as PyYAML\'s safe loader does (last wins, no warning)', (t) => {
  const warnings: string[] = [];
  const value = withLoadWarnings((w) => warnings.push(w.msg), () => parseYaml('a: 1\na: 2\n', '<from_yaml>', true).value);
  t.deepEqual(value, { a: 2 });
  t.deepEqual(warnings, []);
});
