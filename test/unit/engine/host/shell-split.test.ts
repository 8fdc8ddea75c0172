// splitCommand: the one word-splitter (command module's free form, validate:).
// Ansible 2.14 splits both with Python's shlex.split (POSIX mode); each row
// says what tsplay gives, and `shlex` what shlex.split gives where it differs.

import test from 'ava';
import { ModuleError } from '../../../../engine/module-api.js';
import { quoteArgv, splitCommand, SplitError } from '../../../../engine/host/shell.js';
import { writeFileScript } from '../../../../engine/host/write-script.js';

interface Row {
  line: string;
  words: string[];
  /** shlex.split's result where it differs (deliberate: sh's rule, see splitCommand). */
  shlex?: string[];
}

const rows: Row[] = [
  // blanks
  { line: 'ls -l /tmp', words: ['ls', '-l', '/tmp'] },
  { line: '  ls\t -l \n /tmp\r ', words: ['ls', '-l', '/tmp'] },
  { line: '', words: [] },
  { line: '   ', words: [] },
  { line: 'a\u00a0b\vc', words: ['a\u00a0b\vc'] }, // only space, tab, CR, LF separate
  // single quotes: literal
  { line: "echo 'a b'  c", words: ['echo', 'a b', 'c'] },
  { line: "echo ''", words: ['echo', ''] },
  { line: "echo 'it'\\''s'", words: ['echo', "it's"] },
  { line: "echo '$(id) `id` \\n ; | > &'", words: ['echo', '$(id) `id` \\n ; | > &'] },
  // double quotes
  { line: 'echo "a b"c', words: ['echo', 'a bc'] },
  { line: 'echo ""x', words: ['echo', 'x'] },
  { line: 'a "b \\"c\\" $d" e\\ f \'\'', words: ['a', 'b "c" $d', 'e f', ''] },
  { line: 'echo "say \\"hi\\" \\\\ \\n"', words: ['echo', 'say "hi" \\ \\n'] },
  { line: 'echo "\\$HOME \\`x\\`"', words: ['echo', '$HOME `x`'], shlex: ['echo', '\\$HOME \\`x\\`'] },
  { line: 'echo "line1\nline2"', words: ['echo', 'line1\nline2'] },
  { line: 'echo "a\\\nb"', words: ['echo', 'ab'], shlex: ['echo', 'a\\\nb'] },
  { line: "mixed'single'\"double\"plain", words: ['mixedsingledoubleplain'] },
  // backslash outside quotes
  { line: 'echo a\\ b \\"c\\" \\;', words: ['echo', 'a b', '"c"', ';'] },
  { line: 'find . -name x -exec rm {} \\;', words: ['find', '.', '-name', 'x', '-exec', 'rm', '{}', ';'] },
  { line: 'usermod -u 111 \\\n  nova', words: ['usermod', '-u', '111', 'nova'], shlex: ['usermod', '-u', '111', '\n', 'nova'] },
  // nothing is expanded
  { line: 'echo $HOME *.txt ~', words: ['echo', '$HOME', '*.txt', '~'] },
  // validate: commands
  { line: 'visudo -cf %s', words: ['visudo', '-cf', '%s'] },
  { line: `sh -c 'test -s "$1"' x %s`, words: ['sh', '-c', 'test -s "$1"', 'x', '%s'] },
];

for (const { line, words } of rows) {
  test(`split ${JSON.stringify(line)}`, (t) => {
    t.deepEqual(splitCommand(line), words);
  });
}

test('the rows that follow sh instead of shlex differ from it, as documented', (t) => {
  const differing = rows.filter((r) => r.shlex !== undefined);
  t.is(differing.length, 3);
  for (const r of differing) t.notDeepEqual(splitCommand(r.line), r.shlex);
});

test('splitting is the inverse of quoting', (t) => {
  for (const argv of [['usermod', '-u', '111', 'nova'], ['echo', "it's", 'a b', '', '$HOME', '|', ';', '\\', '"'], ['x\ny', '\t']]) {
    t.deepEqual(splitCommand(quoteArgv(argv)), argv);
  }
});

test('unterminated quotes and a lone backslash are errors', (t) => {
  t.throws(() => splitCommand("echo 'abc"), { instanceOf: SplitError, message: 'unterminated single quote at character 6' });
  t.throws(() => splitCommand('echo "abc'), { instanceOf: SplitError, message: 'unterminated double quote at character 6' });
  t.throws(() => splitCommand("a 'b"), { instanceOf: SplitError, message: /unterminated/ });
  t.throws(() => splitCommand('echo abc\\'), { instanceOf: SplitError, message: 'the command ends with a lone backslash' });
});

test('unquoted shell operators are refused, naming the character', (t) => {
  for (const [line, ch, pos] of [['cat /etc/passwd | grep nova', '|', 17], ['echo a;echo b', ';', 7], ['echo a > /tmp/x', '>', 8], ['sleep 1 &', '&', 9], ['wc -l </etc/passwd', '<', 7]] as const) {
    const err = t.throws(() => splitCommand(line), { instanceOf: SplitError });
    t.true(err.message.startsWith(`unquoted ${JSON.stringify(ch)} at character ${pos}:`), err.message);
  }
});

test('validate: is split by the same rule, %s as the temp file', (t) => {
  const content = { size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' };
  t.regex(writeFileScript('/etc/sudoers', content, { validate: "visudo -cf %s 'a b'" }), /\( visudo -cf "\$t" 'a b' \)/);
  t.throws(() => writeFileScript('/etc/sudoers', content, { validate: 'visudo -cf %s | cat' }), { instanceOf: ModuleError, message: /^validate: cannot split .*unquoted "\|" at character 15/ });
  t.throws(() => writeFileScript('/etc/sudoers', content, { validate: "visudo -cf '%s" }), { instanceOf: ModuleError, message: /unterminated single quote/ });
});
