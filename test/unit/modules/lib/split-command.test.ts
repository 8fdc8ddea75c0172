import test from 'ava';
import { splitCommand, SplitError } from '../../../../modules/lib/split-command.js';

const cases: Array<[string, string[]]> = [
  ['ls -l /tmp', ['ls', '-l', '/tmp']],
  ['  ls\t -l \n /tmp  ', ['ls', '-l', '/tmp']],
  ['', []],
  ['   ', []],
  ["echo 'a b'  c", ['echo', 'a b', 'c']],
  ['echo "a b"c', ['echo', 'a bc']],
  ["echo ''", ['echo', '']],
  ['echo ""x', ['echo', 'x']],
  ["echo 'it'\\''s'", ['echo', "it's"]],
  ['echo "say \\"hi\\" \\\\ \\$HOME \\`x\\` \\n"', ['echo', 'say "hi" \\ $HOME `x` \\n']],
  ["echo '$(id) `id` \\n ; | > &'", ['echo', '$(id) `id` \\n ; | > &']],
  ['echo $HOME *.txt ~', ['echo', '$HOME', '*.txt', '~']],
  ['echo a\\ b \\"c\\" \\;', ['echo', 'a b', '"c"', ';']],
  ['find . -name x -exec rm {} \\;', ['find', '.', '-name', 'x', '-exec', 'rm', '{}', ';']],
  ['usermod -u 111 \\\n  nova', ['usermod', '-u', '111', 'nova']],
  ['echo "line1\nline2"', ['echo', 'line1\nline2']],
  ['echo "a\\\nb"', ['echo', 'ab']],
  ["mixed'single'\"double\"plain", ['mixedsingledoubleplain']],
];

for (const [input, expected] of cases) {
  test(`split ${JSON.stringify(input)}`, (t) => {
    t.deepEqual(splitCommand(input), expected);
  });
}

test('unterminated quotes and a lone backslash are errors', (t) => {
  t.throws(() => splitCommand("echo 'abc"), { instanceOf: SplitError, message: 'unterminated single quote at character 6' });
  t.throws(() => splitCommand('echo "abc'), { instanceOf: SplitError, message: 'unterminated double quote at character 6' });
  t.throws(() => splitCommand('echo abc\\'), { instanceOf: SplitError, message: 'the command ends with a lone backslash' });
});

test('unquoted shell operators are refused, naming the character', (t) => {
  for (const [line, ch, pos] of [['cat /etc/passwd | grep nova', '|', 17], ['echo a;echo b', ';', 7], ['echo a > /tmp/x', '>', 8], ['sleep 1 &', '&', 9], ['wc -l </etc/passwd', '<', 7]] as const) {
    const err = t.throws(() => splitCommand(line), { instanceOf: SplitError });
    t.true(err!.message.startsWith(`unquoted ${JSON.stringify(ch)} at character ${pos}:`), err!.message);
  }
});
