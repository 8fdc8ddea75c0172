// The one Python-regexp translator and replacement expander (used by the
// regex_* filters and tests, and in bytes mode by the line modules), through
// re.sub as the regex_replace filter runs it. Every expected value is what
// Python 3.11's re.sub gave for the same pattern, replacement, text and flags
// on this machine.

import test from 'ava';
import { pyRegex, pySub, translatePython } from '../../../../engine/template/py-regex.js';
import { compilePythonRegex, expandBackrefs } from '../../../../modules/lib/py-regex.js';

const SUB: Array<[pattern: string, repl: string, text: string, multiline: boolean, python: string]> = [
  // \A and \Z are the string's ends even with MULTILINE (the old filter copy took \A as a line start)
  ['\\Ab', 'X', 'a\nb', true, 'a\nb'],
  ['a\\Z', 'X', 'a\na', true, 'a\nX'],
  ['^b', 'X', 'a\nb', true, 'a\nX'],
  ['\\Aa', 'X', 'a\na', true, 'X\na'],
  // a leading ] in a class is literal (the old filter copy passed `[]` to JavaScript: an empty class)
  ['[]a]+', 'X', ']a]x', false, 'Xx'],
  ['(?P<k>\\w+)=(?P=k)', '\\g<k>', 'x=x y=z', false, 'x y=z'],
  // \0 and \101 are octal characters; an unmatched group is empty
  ['(a)(b)?', '[\\0][\\1][\\2][\\101][\\g<0>]', 'a', false, '[\x00][a][][A][a]'],
  ['(?m)^x$', 'Y', 'x\nx', false, 'Y\nY'],
  ['(?i)A', 'b', 'a', false, 'b'],
  ['\\(?P<x>', 'Q', '(P<x>', false, 'Q'],
];

for (const [pattern, repl, text, multiline, python] of SUB) {
  test(`re.sub(${JSON.stringify(pattern)}, ${JSON.stringify(repl)}, ${JSON.stringify(text)}${multiline ? ', MULTILINE' : ''}) as Python`, (t) => {
    t.is(pySub(pyRegex('regex_replace', pattern, false, multiline), text, repl), python);
  });
}

test('bytes mode: \\s is ASCII whitespace; text mode keeps JavaScript\'s', (t) => {
  t.is(translatePython('a\\sb', { bytes: true }).source, 'a[ \\t\\n\\r\\f\\v]b');
  t.is(translatePython('a\\sb').source, 'a\\sb');
});

test('the line modules: \\A anchors at the string start with (?m) too, \\0 is a character', (t) => {
  t.false(compilePythonRegex('(?m)\\Ab').test('a\nb'));
  t.true(compilePythonRegex('(?m)^b').test('a\nb'));
  const m = compilePythonRegex('(a)').exec('a')!;
  t.is(expandBackrefs('[\\0][\\1]', m), '[\x00][a]');
});

test('each caller keeps its own error words', (t) => {
  t.throws(() => pyRegex('regex_search', '(?x) a'), { message: 'regex_search: the (?x) verbose flag is not supported' });
  t.throws(() => pyRegex('regex_search', '(?>a)'), { message: /invalid regular expression "\(\?>a\)": atomic groups/ });
  t.throws(() => compilePythonRegex('(?(1)a|b)'), { message: /regexp "\(\?\(1\)a\|b\)": conditional groups/ });
});
