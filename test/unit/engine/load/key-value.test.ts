// The key=value argument form, read as Ansible 2.14 reads it. Every expected
// value in TABLE is what Ansible 2.14's own parse_kv (ansible.parsing.splitter,
// installed on this machine) returned for the same input, with check_raw set
// for the free-form case (command, shell): `_raw_params` is the free-form text.
// An expected `{ error }` is a string Ansible refuses ("failed at splitting
// arguments, either an unbalanced jinja2 block or quotes").

import test from 'ava';
import { parseKeyValue, splitArgs, KeyValueError } from '../../../../engine/load/key-value.js';

type Row = [input: string, freeForm: boolean, ansible: Record<string, string>];

const TABLE: Row[] = [
  ["path=/x state=directory mode=0755", false, {"path": "/x", "state": "directory", "mode": "0755"}],
  ["src=a dest=b", false, {"src": "a", "dest": "b"}],
  ["msg=\"hello world\"", false, {"msg": "hello world"}],
  ["msg='hello world'", false, {"msg": "hello world"}],
  ["msg=\"hello {{ x }}\"", false, {"msg": "hello {{ x }}"}],
  ["msg=hello {{ x }}", false, {"msg": "hello", "_raw_params": "{{ x }}"}],
  ["msg={{ x | default('a b') }}", false, {"msg": "{{ x | default('a b') }}"}],
  ["a=1 b=2", false, {"a": "1", "b": "2"}],
  ["line='a=b c' path=/etc/x", false, {"line": "a=b c", "path": "/etc/x"}],
  ["x=\"a\\\"b\"", false, {"x": "a\"b"}],
  ["x=a\\nb", false, {"x": "a\nb"}],
  ["x=a\\=b", false, {"x": "a\\=b"}],
  ["a\\=b", false, {"_raw_params": "a=b"}],
  ["cmd=\"echo hi\"", false, {"cmd": "echo hi"}],
  ["k= v", false, {"k": "", "_raw_params": "v"}],
  ["k=", false, {"k": ""}],
  ["=v", false, {"_raw_params": "=v"}],
  ["a=b  c=d", false, {"a": "b", "c": "d"}],
  ["a=b\nc=d", false, {"a": "b", "c": "d"}],
  ["x=\"unterminated", false, {"error": "failed at splitting arguments, either an unbalanced jinja2 block or quotes: x=\"unterminated"}],
  ["x={{ y", false, {"error": "failed at splitting arguments, either an unbalanced jinja2 block or quotes: x={{ y"}],
  ["x={% if a %}b{% endif %}", false, {"x": "{% if a %}b{% endif %}"}],
  ["x={# c #}y", false, {"x": "{# c #}y"}],
  ["echo hi chdir=/tmp", true, {"chdir": "/tmp", "_raw_params": "echo hi"}],
  ["chdir=/tmp ls -l", true, {"chdir": "/tmp", "_raw_params": "ls -l"}],
  ["ls creates=/x removes=/y", true, {"creates": "/x", "removes": "/y", "_raw_params": "ls"}],
  ["echo a=b", true, {"_raw_params": "echo a=b"}],
  ["echo 'a b'  c", true, {"_raw_params": "echo 'a b'  c"}],
  ["echo \"a=b c\" executable=/bin/bash", true, {"executable": "/bin/bash", "_raw_params": "echo \"a=b c\""}],
  ["cat stdin=hello", true, {"stdin": "hello", "_raw_params": "cat"}],
  ["echo {{ x }} warn=no", true, {"warn": "no", "_raw_params": "echo {{ x }}"}],
  ["echo hi\necho there", true, {"_raw_params": "echo hi\necho there"}],
  ["echo a \\\n b", true, {"_raw_params": "echo a b"}],
  ["'x'=1", false, {"'x'": "1"}],
  ["x='1' y=\"2\"", false, {"x": "1", "y": "2"}],
  ["x='it''s'", false, {"x": "it''s"}],
  ["x=\"a b\"c", false, {"x": "\"a b\"c"}],
  ["x=a\"b c\"", false, {"x": "a\"b c\""}],
  ["hello", false, {"_raw_params": "hello"}],
  ["hello world", false, {"_raw_params": "hello world"}],
  ["path=/x hello", false, {"path": "/x", "_raw_params": "hello"}],
  ["x=\\u00e9", false, {"x": "é"}],
  ["x=\"a\nb\" y=1", false, {"x": "a\nb", "y": "1"}],
  ["echo \"{{ a }}\" b=c", true, {"_raw_params": "echo \"{{ a }}\" b=c"}],
  ["x=\"{{ 'a' }}\"", false, {"x": "{{ 'a' }}"}],
  ["msg=\"it's\"", false, {"msg": "it's"}],
  ["x=\"\\\\\" y=2", false, {"error": "failed at splitting arguments, either an unbalanced jinja2 block or quotes: x=\"\\\\\" y=2"}],
  ["echo {{ a | join(' ') }} chdir=/t", true, {"chdir": "/t", "_raw_params": "echo {{ a | join(' ') }}"}],
  ["x={{ a }}\n  y=2", false, {"x": "{{ a }}", "y": "2"}],
  ["creates = /x", true, {"_raw_params": "creates = /x"}],
  [" a=1", false, {"a": "1"}],
  ["a=1 ", false, {"a": "1"}],
  ["a=1\n", false, {"a": "1"}],
  ["chdir=\"/a b\" ls", true, {"chdir": "/a b", "_raw_params": "ls"}],
  ["ls\tchdir=/x", true, {"_raw_params": "ls\tchdir=/x"}],
  ["x=\\\\n", false, {"x": "\\n"}],
  ["x='a\\'b'", false, {"x": "a'b"}],
  ["k\\=x=v", false, {"k\\=x": "v"}],
  ["x=a=b", false, {"x": "a=b"}],
  ["echo '{{' x", true, {"error": "failed at splitting arguments, either an unbalanced jinja2 block or quotes: echo '{{' x"}],
];

for (const [input, freeForm, expected] of TABLE) {
  test(`parse_kv${freeForm ? ' (free form)' : ''}: ${JSON.stringify(input)}`, (t) => {
    if ('error' in expected) {
      t.throws(() => parseKeyValue(input, freeForm), { instanceOf: KeyValueError });
      return;
    }
    const r = parseKeyValue(input, freeForm);
    const got: Record<string, string> = { ...r.options };
    if (r.raw !== undefined) got._raw_params = r.raw;
    t.deepEqual(got, expected);
    // Key order too: options as written, the free-form text last (as Ansible's dict).
    t.deepEqual(Object.keys(got), Object.keys(expected));
  });
}

test('split_args keeps quoted text and Jinja spans whole, with their inner spaces', (t) => {
  // Checked against Ansible 2.14's split_args.
  t.deepEqual(splitArgs(`a="b  c" d={{ x | default('y z') }} e`), ['a="b  c"', `d={{ x | default('y z') }}`, 'e']);
  t.deepEqual(splitArgs('echo a\necho b'), ['echo', 'a\n', 'echo', 'b']);
  t.deepEqual(splitArgs(''), []);
});

test('a Unicode escape by name is refused, not left undecoded', (t) => {
  t.throws(() => parseKeyValue('x=\\N{BULLET}'), { instanceOf: KeyValueError, message: /not supported by tsplay/ });
});
