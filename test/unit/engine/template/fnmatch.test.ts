// The one glob matcher (find, setup's filter, the fileglob lookup) against
// Python's fnmatch.fnmatchcase: every expected value below is what Python 3
// gave for the same name and pattern on this machine.

import test from 'ava';
import { fnmatch } from '../../../../engine/template/fnmatch.js';

const TABLE: Array<[name: string, pattern: string, python: boolean]> = [
  // A dash outside a class: the matcher find used threw on it (the u flag refuses `\-`).
  ['a-b.log', '*-b.log', true],
  ['x.conf', '*.conf', true],
  ['a/b.conf', '*.conf', true],
  ['ab', 'a?', true],
  ['a', 'a?', false],
  ['b1', '[abc]1', true],
  ['d1', '[!abc]1', true],
  ['[x', '[x', true],
  ['a]', '[]a]]', true],
  [']', '[]]', true],
  ['!', '[!]', false],
  ['[!]', '[!]', true],
  ['A.CONF', '*.conf', false],
  ['a.b', 'a.b', true],
  ['axb', 'a.b', false],
  ['a\nb', 'a*b', true],
  ['-', '[a-]', true],
  ['b', '[a-c]', true],
  ['a^b', 'a^b', true],
  ['x(y)', 'x(y)', true],
  ['a+b', 'a+b', true],
  ['ansible_eth0', 'ansible_eth*', true],
  ['ansible_all_ipv4_addresses', 'ansible_*ipv4*', true],
  ['é', '?', true],
];

for (const [name, pattern, python] of TABLE) {
  test(`fnmatch(${JSON.stringify(name)}, ${JSON.stringify(pattern)}) is ${python}, as Python's`, (t) => {
    t.is(fnmatch(name, pattern), python);
  });
}
