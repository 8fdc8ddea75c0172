// YAML that PyYAML (Ansible's reader) accepts reads the same in tsplay. Each
// document's expected value is what PyYAML (yaml.safe_load, on this machine)
// gave; the flow mapping closed at the parent's indent was also run with
// ansible-playbook 2.14 (a copy task: changed).

import test from 'ava';
import { parseYaml } from '../../../../engine/load/yaml.js';
import { LoadError } from '../../../../engine/errors.js';

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

test('a duplicate key is refused with its place (Ansible warns and keeps the last: a deliberate difference)', (t) => {
  const e = t.throws(() => parseYaml('a: 1\na: 2\n', 'f.yml'), { instanceOf: LoadError });
  t.regex(e.message, /f\.yml:2:1: YAML syntax error: duplicated mapping key/);
});
