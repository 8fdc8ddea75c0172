// Expressions as Ansible 2.14 evaluates them: every row's expected text is
// what ansible-core 2.14.18 (Debian's package, on this machine) renders for
// `<{{ expression }}>` with the variables below, generated with
// test/helpers/ansible-templar.py (Ansible's own Templar) and kept here. When
// ansible-core is installed (always in CI) the last test re-renders every row
// with it, so the table cannot drift from Ansible.
//
// Inside a longer string a value renders as Python's str(), so these rows
// check the value and its rendering at once.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderString } from '../../../../engine/template/template.js';

const vars: Record<string, unknown> = {
  "t": true,
  "f": false,
  "n": 1,
  "nothing": null,
  "s": "abcde",
  "x": 1,
  "l": [
    1,
    2,
    3
  ],
  "d": {
    "k": "v",
    "n": 3
  },
  "nested": {
    "a": {
      "b": [
        7
      ]
    }
  },
  "users": [
    {
      "name": "bob",
      "uid": 1002,
      "admin": true
    },
    {
      "name": "eve",
      "uid": 1001,
      "admin": false,
      "shell": "/bin/zsh"
    },
    {
      "name": "al",
      "uid": 1003,
      "admin": false
    }
  ],
  "ok": {
    "changed": false,
    "failed": false
  },
  "bad": {
    "changed": true,
    "failed": true
  },
  "skip": {
    "changed": false,
    "skipped": true
  },
  "ml": "x\ny",
  "two": "x\n\ny",
  "crlf": "a\r\nb\n\nc\n",
  "long": "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty column limit of PyYAML",
  "longlist": [
    "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty column limit",
    "b"
  ],
  "multi": "line one\nline two\n\nline four\n"
};

/** [expression, Ansible's rendering of `<{{ expression }}>` without the angle brackets] */
const ROWS: [string, string][] = [
  ["'a' if t else 'b'", "a"],
  ["'a' if f else 'b'", "b"],
  ["'a' if f", ""],
  ["('a' if f) | default('d')", "d"],
  ["1 if n == 0 else 2 if n == 1 else 3", "2"],
  ["'x' ~ 1 ~ t ~ nothing", "x1TrueNone"],
  ["1 + 2", "3"],
  ["1.5 + 2", "3.5"],
  ["'ab' + 'cd'", "abcd"],
  ["[1] + [2, 3]", "[1, 2, 3]"],
  ["7 - 10", "-3"],
  ["3 * 4", "12"],
  ["'ab' * 3", "ababab"],
  ["3 * 'ab'", "ababab"],
  ["[0] * 3", "[0, 0, 0]"],
  ["7 / 2", "3.5"],
  ["7 // 2", "3"],
  ["-7 // 2", "-4"],
  ["7 % 3", "1"],
  ["-7 % 3", "2"],
  ["7 % -3", "-2"],
  ["2 ** 10", "1024"],
  ["2 ** -1", "0.5"],
  ["-2 ** 2", "4"],
  ["-n", "-1"],
  ["+n", "1"],
  ["not t", "False"],
  ["not nothing", "True"],
  ["1 < 2 < 3", "True"],
  ["3 > 2 > 2", "False"],
  ["1 == 1.0", "True"],
  ["'1' == 1", "False"],
  ["'b' in 'abc'", "True"],
  ["'z' not in ['a']", "True"],
  ["'k' in d", "True"],
  ["[1, 'a', none, true, 1.5]", "[1, 'a', None, True, 1.5]"],
  ["{'a': 1, 'b': [t, nothing]}", "{'a': 1, 'b': [True, None]}"],
  ["\"it's\"", "it's"],
  ["'say \"hi\"'", "say \"hi\""],
  ["s[1:3]", "bc"],
  ["s[-1]", "e"],
  ["s[::-1]", "edcba"],
  ["s[:2]", "ab"],
  ["s[2:]", "cde"],
  ["l[1:]", "[2, 3]"],
  ["l[-2:]", "[2, 3]"],
  ["l[::2]", "[1, 3]"],
  ["l[5:]", "[]"],
  ["d.k", "v"],
  ["d['k']", "v"],
  ["d.n + 1", "4"],
  ["nested.a.b[0]", "7"],
  ["s.split()", "['abcde']"],
  ["'a,b,,c'.split(',')", "['a', 'b', '', 'c']"],
  ["'a,b,c'.split(',', 1)", "['a', 'b,c']"],
  ["'a b c'.rsplit(' ', 1)", "['a b', 'c']"],
  ["'  pad  '.strip()", "pad"],
  ["'xxpadxx'.strip('x')", "pad"],
  ["'  pad  '.lstrip()", "pad  "],
  ["'  pad  '.rstrip()", "  pad"],
  ["s.startswith('ab')", "True"],
  ["s.startswith(('x', 'a'))", "True"],
  ["s.endswith('c')", "False"],
  ["'aaa'.replace('a', 'b')", "bbb"],
  ["'aaa'.replace('a', 'b', 2)", "bba"],
  ["'MiXed'.lower()", "mixed"],
  ["'MiXed'.upper()", "MIXED"],
  ["'hello WORLD'.capitalize()", "Hello world"],
  ["\"hello world-foo's\".title()", "Hello World-Foo'S"],
  ["s.find('c')", "2"],
  ["s.find('z')", "-1"],
  ["'banana'.count('a')", "3"],
  ["'-'.join(['a', 'b'])", "a-b"],
  ["'{} and {}'.format('x', 1)", "x and 1"],
  ["'{0}{1}{0}'.format('a', 'b')", "aba"],
  ["'{name}!'.format(name='hi')", "hi!"],
  ["'123'.isdigit()", "True"],
  ["'12a'.isdigit()", "False"],
  ["'42'.zfill(5)", "00042"],
  ["'-42'.zfill(5)", "-0042"],
  ["l.index(2)", "1"],
  ["[1, 2, 2].count(2)", "2"],
  ["d.keys() | list", "['k', 'n']"],
  ["d.values() | list", "['v', 3]"],
  ["d.get('k')", "v"],
  ["d.get('zz', 'dflt')", "dflt"],
  ["d.get('zz')", ""],
  ["'%s-%d' % ('a', 5)", "a-5"],
  ["'%05.1f' % 3.14159", "003.1"],
  ["missing | default('dflt')", "dflt"],
  ["'' | default('dflt')", ""],
  ["'' | default('dflt', true)", "dflt"],
  ["nothing | default('dflt')", ""],
  ["missing | d(5)", "5"],
  ["t | ternary('yes', 'no')", "yes"],
  ["f | ternary('yes', 'no')", "no"],
  ["nothing | ternary('yes', 'no', 'none')", "none"],
  ["'yes' | bool", "True"],
  ["'On' | bool", "True"],
  ["'1' | bool", "True"],
  ["'true' | bool", "True"],
  ["'y' | bool", "False"],
  ["'no' | bool", "False"],
  ["1 | bool", "True"],
  ["0 | bool", "False"],
  ["'42' | int", "42"],
  ["'4.7' | int", "4"],
  ["'x' | int", "0"],
  ["'x' | int(7)", "7"],
  ["'0x1F' | int(base=16)", "31"],
  ["3.9 | int", "3"],
  ["'3.5' | float", "3.5"],
  ["1 | string", "1"],
  ["t | string", "True"],
  ["nothing | string", "None"],
  ["l | string", "[1, 2, 3]"],
  ["'MiXed' | lower", "mixed"],
  ["'MiXed' | upper", "MIXED"],
  ["'hello WORLD' | capitalize", "Hello world"],
  ["\"hello world-foo's\" | title", "Hello World-Foo's"],
  ["'  x  ' | trim", "x"],
  ["'aaa' | replace('a', 'b')", "bbb"],
  ["'aaa' | replace('a', 'b', 1)", "baa"],
  ["'abc123' | regex_replace('[0-9]+', 'N')", "abcN"],
  ["'key=value' | regex_replace('^(\\w+)=(\\w+)$', '\\2=\\1')", "value=key"],
  ["'key=value' | regex_replace('^(?P<k>\\w+)=.*$', '\\g<k>')", "key"],
  ["'ABC' | regex_replace('b', 'x', ignorecase=true)", "AxC"],
  ["'abc123def' | regex_search('[0-9]+')", "123"],
  ["'abc' | regex_search('z')", ""],
  ["'abc123def456' | regex_search('([a-z]+)([0-9]+)', '\\2', '\\1')", "['123', 'abc']"],
  ["'a1b22c333' | regex_findall('[0-9]+')", "['1', '22', '333']"],
  ["'a.b*c' | regex_escape", "a\\.b\\*c"],
  ["'a b c' | split", "['a', 'b', 'c']"],
  ["'a,b,c' | split(',')", "['a', 'b', 'c']"],
  ["['a', 'b', 1] | join(',')", "a,b,1"],
  ["[1, 2] | join", "12"],
  ["['a', 'b'] | map('upper') | list", "['A', 'B']"],
  ["users | map(attribute='name') | list", "['bob', 'eve', 'al']"],
  ["users | map(attribute='shell', default='/bin/sh') | list", "['/bin/sh', '/bin/zsh', '/bin/sh']"],
  ["[1, 0, 2, none] | select | list", "[1, 2]"],
  ["[1, 2, 3, 4] | select('even') | list", "[2, 4]"],
  ["[1, 2, 3, 4] | reject('odd') | list", "[2, 4]"],
  ["[1, 5, 10] | select('gt', 3) | list", "[5, 10]"],
  ["['a1', 'b2', 'a3'] | select('match', 'a') | list", "['a1', 'a3']"],
  ["users | selectattr('admin') | map(attribute='name') | list", "['bob']"],
  ["users | rejectattr('admin') | map(attribute='name') | list", "['eve', 'al']"],
  ["users | selectattr('name', 'equalto', 'bob') | list", "[{'name': 'bob', 'uid': 1002, 'admin': True}]"],
  ["users | selectattr('name', 'in', ['bob', 'eve']) | map(attribute='uid') | list", "[1002, 1001]"],
  ["[3, 1, 2, 1] | unique | list", "[3, 1, 2]"],
  ["['b', 'A', 'c'] | sort", "['A', 'b', 'c']"],
  ["['b', 'A', 'c'] | sort(case_sensitive=true)", "['A', 'b', 'c']"],
  ["[3, 1, 2] | sort(reverse=true)", "[3, 2, 1]"],
  ["users | sort(attribute='uid') | map(attribute='name') | list", "['eve', 'bob', 'al']"],
  ["[1, 2, 3] | reverse | list", "[3, 2, 1]"],
  ["'abc' | reverse", "cba"],
  ["l | first", "1"],
  ["l | last", "3"],
  ["'abc' | first", "a"],
  ["l | length", "3"],
  ["d | length", "2"],
  ["'abc' | count", "3"],
  ["[3, 1, 2] | min", "1"],
  ["[3, 1, 2] | max", "3"],
  ["users | max(attribute='uid')", "{'name': 'al', 'uid': 1003, 'admin': False}"],
  ["[1, 2, 3] | sum", "6"],
  ["users | sum(attribute='uid')", "3006"],
  ["{'a': 1} | list", "['a']"],
  ["d | dict2items", "[{'key': 'k', 'value': 'v'}, {'key': 'n', 'value': 3}]"],
  ["d | dict2items(key_name='k', value_name='v')", "[{'k': 'k', 'v': 'v'}, {'k': 'n', 'v': 3}]"],
  ["[{'key': 'a', 'value': 1}] | items2dict", "{'a': 1}"],
  ["[{'n': 'a', 'v': 1}] | items2dict(key_name='n', value_name='v')", "{'a': 1}"],
  ["{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}, 'c': 3})", "{'a': 1, 'b': {'y': 2}, 'c': 3}"],
  ["{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}}, recursive=true)", "{'a': 1, 'b': {'x': 1, 'y': 2}}"],
  ["{'a': [1]} | combine({'a': [2]}, list_merge='append')", "{'a': [1, 2]}"],
  ["{'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='append_rp')", "{'a': [1, 2, 3]}"],
  ["{'a': [1]} | combine({'a': [2]}, list_merge='prepend')", "{'a': [2, 1]}"],
  ["{'a': [1]} | combine({'a': [2]}, list_merge='keep')", "{'a': [1]}"],
  ["[{'a': 1}, {'b': 2}] | combine", "{'a': 1, 'b': 2}"],
  ["[1, [2, [3, [4]]]] | flatten", "[1, 2, 3, 4]"],
  ["[1, [2, [3, [4]]]] | flatten(levels=1)", "[1, 2, [3, [4]]]"],
  ["[1, none, [2]] | flatten", "[1, 2]"],
  ["[1, 2, 3] | difference([2])", "[1, 3]"],
  ["[1, 2] | union([2, 3])", "[1, 2, 3]"],
  ["[1, 2, 3] | intersect([2, 3, 4])", "[2, 3]"],
  ["[1, 2] | symmetric_difference([2, 3])", "[1, 3]"],
  ["d | to_json", "{\"k\": \"v\", \"n\": 3}"],
  ["{'b': 'é', 'a': [1, 2.5, none, true]} | to_json", "{\"b\": \"\\u00e9\", \"a\": [1, 2.5, null, true]}"],
  ["{'b': 'é', 'a': [1, 2.5, none, true]} | to_nice_json", "{\n    \"a\": [\n        1,\n        2.5,\n        null,\n        true\n    ],\n    \"b\": \"\\u00e9\"\n}"],
  ["{'b': 1, 'a': {}} | to_nice_json(indent=2)", "{\n  \"a\": {},\n  \"b\": 1\n}"],
  ["'{\"a\": [1, 2]}' | from_json", "{'a': [1, 2]}"],
  ["{'b': 'é', 'a': [1, 2], 'c': {'x': 'y: z', 'n': none}} | to_yaml", "a: [1, 2]\nb: é\nc: {n: null, x: 'y: z'}\n"],
  ["{'b': 'é', 'a': [1, 2], 'c': {'x': 'y: z', 'n': none}} | to_nice_yaml", "a:\n- 1\n- 2\nb: é\nc:\n    n: null\n    x: 'y: z'\n"],
  ["users | to_nice_yaml", "-   admin: true\n    name: bob\n    uid: 1002\n-   admin: false\n    name: eve\n    shell: /bin/zsh\n    uid: 1001\n-   admin: false\n    name: al\n    uid: 1003\n"],
  ["users | to_yaml", "- {admin: true, name: bob, uid: 1002}\n- {admin: false, name: eve, shell: /bin/zsh, uid: 1001}\n- {admin: false, name: al, uid: 1003}\n"],
  ["['yes', 'no', '1', '1.5', '', '~', 'null', '- x', '#c', 'a: b', 'a #b', ' lead', 'it''s'] | to_nice_yaml", "- 'yes'\n- 'no'\n- '1'\n- '1.5'\n- ''\n- '~'\n- 'null'\n- '- x'\n- '#c'\n- 'a: b'\n- 'a #b'\n- ' lead'\n- its\n"],
  ["{'top': [[1, 2], {'k': [3]}]} | to_nice_yaml", "top:\n-   - 1\n    - 2\n-   k:\n    - 3\n"],
  ["{'top': [[1, 2], {'k': [3]}]} | to_yaml", "top:\n- [1, 2]\n- k: [3]\n"],
  ["'plain' | to_yaml", "plain\n"],
  ["'yes' | to_yaml", "'yes'\n"],
  ["'abc' | b64encode", "YWJj"],
  ["'YWJj' | b64decode", "abc"],
  ["'é' | b64encode", "w6k="],
  ["'/etc/nova/nova.conf' | basename", "nova.conf"],
  ["'/etc/nova/' | basename", ""],
  ["'/etc/nova/nova.conf' | dirname", "/etc/nova"],
  ["'nova.conf' | dirname", ""],
  ["'/nova.conf' | dirname", "/"],
  ["'x' | comment", "#\n# x\n#"],
  ["'x' | comment('c')", "//\n// x\n//"],
  ["'x' | comment('cblock')", "/*\n *\n * x\n *\n */"],
  ["'x' | comment('erlang')", "%\n% x\n%"],
  ["'x' | comment('xml')", "<!--\n -\n - x\n -\n-->"],
  ["'x' | comment(decoration='; ')", ";\n; x\n;"],
  ["'x' | comment('plain', prefix='#!', postfix='#?')", "#!\n# x\n#?"],
  ["'abc' | center(9)", "   abc   "],
  ["'abc' | center(8)", "  abc   "],
  ["'a b  c' | wordcount", "3"],
  ["\"it's\" | quote", "'it'\"'\"'s'"],
  ["'plain' | quote", "plain"],
  ["'a b' | quote", "'a b'"],
  ["'abc' | hash('md5')", "900150983cd24fb0d6963f7d28e17f72"],
  ["'abc' | hash('sha1')", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  ["'abc' | hash", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  ["'abc' | checksum", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  ["-3 | abs", "3"],
  ["2.567 | round(2)", "2.57"],
  ["2.567 | round(1, 'floor')", "2.5"],
  ["2.561 | round(1, 'ceil')", "2.6"],
  ["'http://u:p@h.example:8080/p/a?q=1#f' | urlsplit('hostname')", "h.example"],
  ["'http://u:p@h.example:8080/p/a?q=1#f' | urlsplit('port')", "8080"],
  ["'http://u:p@h.example:8080/p/a?q=1#f' | urlsplit('path')", "/p/a"],
  ["'http://h.example/p' | urlsplit('scheme')", "http"],
  ["x is defined", "True"],
  ["missing is defined", "False"],
  ["missing is undefined", "True"],
  ["nothing is none", "True"],
  ["s is string", "True"],
  ["n is number", "True"],
  ["n is integer", "True"],
  ["1.5 is float", "True"],
  ["n is float", "False"],
  ["t is boolean", "True"],
  ["d is mapping", "True"],
  ["l is iterable", "True"],
  ["s is iterable", "True"],
  ["l is sequence", "True"],
  ["d is sequence", "True"],
  ["'abc' is match('a')", "True"],
  ["'abc' is match('b')", "False"],
  ["'abc' is search('b')", "True"],
  ["'abc' is regex('^a')", "True"],
  ["'ABC' is match('a', ignorecase=true)", "True"],
  ["'1.2.10' is version('1.2.9', '>')", "True"],
  ["'1.2.10' is version('1.10', 'lt')", "True"],
  ["'2.0' is version('2.0', '==')", "True"],
  ["'1.0.0' is version('1.0.0-rc1', '>', version_type='semver')", "True"],
  ["'1.2' is version('1.3', '<', strict=true)", "True"],
  ["'2.14.1' is version_compare('2.9', '>=')", "True"],
  ["2 is in [1, 2]", "True"],
  ["[1, 2] is contains 2", "True"],
  ["[1, 2] is subset([1, 2, 3])", "True"],
  ["[1, 2, 3] is superset([3])", "True"],
  ["3 is equalto 3", "True"],
  ["3 is eq(3)", "True"],
  ["3 is ne(4)", "True"],
  ["3 is lt(4)", "True"],
  ["3 is le(3)", "True"],
  ["3 is gt(4)", "False"],
  ["3 is ge(3)", "True"],
  ["9 is divisibleby 3", "True"],
  ["10 is divisibleby(3)", "False"],
  ["4 is even", "True"],
  ["4 is odd", "False"],
  ["'x' is truthy", "True"],
  ["'' is truthy", "False"],
  ["'' is falsy", "True"],
  ["'no' is truthy(convert_bool=true)", "False"],
  ["'yes' is truthy(convert_bool=true)", "True"],
  ["ok is changed", "False"],
  ["bad is failed", "True"],
  ["ok is success", "True"],
  ["ok is succeeded", "True"],
  ["skip is skipped", "True"],
  ["'abc' is lower", "True"],
  ["'ABC' is upper", "True"],
  ["'Abc' is lower", "False"],
  ["range(3) | list", "[0, 1, 2]"],
  ["range(1, 10, 3) | list", "[1, 4, 7]"],
  ["s is not string", "False"],
  ["ml | comment", "#\n# x\n# y\n#"],
  ["ml | comment('c')", "//\n// x\n// y\n//"],
  ["ml | indent(2)", "x\n  y"],
  ["two | indent(2, true)", "  x\n\n  y"],
  ["two | indent(2, first=true, blank=true)", "  x\n  \n  y"],
  ["ml | indent", "x\n    y"],
  ["ml.splitlines()", "['x', 'y']"],
  ["crlf.splitlines()", "['a', 'b', '', 'c']"],
  ["'a: 1' | from_yaml", "{'a': 1}"],
  ["'[1, yes, null, 1.5, \"x\"]' | from_yaml", "[1, True, None, 1.5, 'x']"],
  ["{'a': {'b': {'c': 1}}}", "{'a': {'b': {'c': 1}}}"],
  ["'%s=%s' % ('a', 1)", "a=1"],
  ["'%-5s|' % 'ab'", "ab   |"],
  ["'%x' % 255", "ff"],
  ["users | map(attribute='name') | map('upper') | join(',')", "BOB,EVE,AL"],
  ["d | dict2items | items2dict", "{'k': 'v', 'n': 3}"],
  ["l | map('string') | list", "['1', '2', '3']"],
  ["l | map('int') | sum", "6"],
  ["'abc' is match('(a)(b)')", "True"],
  ["s | regex_search('(?P<x>c)d')", "cd"],
  ["'ab' | regex_replace('(?P<x>a)', '<\\g<x>>')", "<a>b"],
  ["long | to_nice_yaml", "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty\n    column limit of PyYAML\n"],
  ["longlist | to_yaml", "[The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty\n    column limit, b]\n"],
  ["{'k': long} | to_yaml", "{k: The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty\n    column limit of PyYAML}\n"],
  ["multi | to_nice_yaml", "'line one\n\n    line two\n\n\n    line four\n\n    '\n"],
  ["{'k': multi} | to_nice_yaml", "k: 'line one\n\n    line two\n\n\n    line four\n\n    '\n"],
  ["[{'a': 1, 'b': [1, 2]}, [], {}] | to_nice_yaml", "-   a: 1\n    b:\n    - 1\n    - 2\n- []\n- {}\n"],
  ["{'a': [], 'b': {}} | to_yaml", "a: []\nb: {}\n"],
  ["[1, 'a b', true, none, 2.5] | to_yaml", "[1, a b, true, null, 2.5]\n"],
  ["{'x y': 1, '1': 2, 'true': 3} | to_yaml", "{'1': 2, 'true': 3, x y: 1}\n"],
  ["['été', 'tab\there'] | to_yaml", "[été, \"tab\\there\"]\n"],
  ["[1, 0] is any", "True"],
  ["[1, 0] is all", "False"],
  ["[] is all", "True"],
  ["t is true", "True"],
  ["1 is true", "False"],
  ["f is false", "True"],
  ["x is sameas 1", "True"],
  ["[1,none,'', 2] | select('defined') | list", "[1, None, '', 2]"],
  ["[1,2] | select('in', [2]) | list", "[2]"],
  ["'a-b_c d' | regex_replace('[^a-z]', '')", "abcd"],
  ["'AbC' | lower is lower", "True"],
  ["'x' | default(none) is none", "False"],
  ["[{'a': 1}] | map('dict2items') | list", "[[{'key': 'a', 'value': 1}]]"],
  ["'%-10s|' % 'x'", "x         |"],
  ["'abc'.upper().startswith('A')", "True"],
  ["'10' | int is divisibleby(5)", "True"],
  ["l | map('string') | join(', ')", "1, 2, 3"],
  ["('a', 'b') | join('-')", "a-b"],
  ["dict(a=1, b=s)", "{'a': 1, 'b': 'abcde'}"],
  ["dict([['a', 1]])", "{'a': 1}"],
  ["dict(users | map(attribute='name') | zip(users | map(attribute='uid')))", "{'bob': 1002, 'eve': 1001, 'al': 1003}"],
];

/** Both Ansible and tsplay refuse these (not filters in Ansible 2.14). */
const REFUSED: string[] = [
  "'1.2.10' | version_compare('1.2.9', '>')",
  "[['a', 1], ['b', 2]] | dict",
];
/**
 * Deliberate differences (docs/templating.md, "Differences from Ansible"):
 * [expression, Ansible's rendering, tsplay's]. JavaScript has one number type
 * and no tuples: an integral float prints as an int, a tuple as a list.
 */
const DIFFERENCES: [string, string, string][] = [
  ['8 / 2', '4.0', '4'],
  ["'x' | float", '0.0', '0'],
  ['2.5 | round', '2.0', '2'],
  ['(1, 2)', '(1, 2)', '[1, 2]'],
  ['(1,)', '(1,)', '[1]'],
  ["d.items() | list", "[('k', 'v'), ('n', 3)]", "[['k', 'v'], ['n', 3]]"],
  ["[1, 2] | zip(['a', 'b']) | list", "[(1, 'a'), (2, 'b')]", "[[1, 'a'], [2, 'b']]"],
];

const renders = test.macro({
  exec(t, expr: string, expected: string) {
    t.is(renderString(`<{{ ${expr} }}>`, vars), `<${expected}>`);
  },
  title: (provided, expr: string, expected: string) => provided ?? `${expr} => ${JSON.stringify(expected)}`,
});

for (const [expr, expected] of ROWS) test(renders, expr, expected);
for (const [expr, , ours] of DIFFERENCES) test(`difference: ${expr}`, renders, expr, ours);
for (const expr of REFUSED) {
  test(`refused: ${expr}`, (t) => {
    const e = t.throws(() => renderString(`<{{ ${expr} }}>`, vars));
    t.regex(e.message, /unknown filter/);
  });
}

// A lone tag keeps the value's type (as Ansible's native rendering of one expression).
const native = test.macro({
  exec(t, expr: string, expected: unknown) {
    t.deepEqual(renderString(`{{ ${expr} }}`, vars), expected);
  },
  title: (provided, expr: string, expected: unknown) => provided ?? `lone tag: ${expr} => ${JSON.stringify(expected)}`,
});
test(native, "'a' if f", '');
test(native, '7 // 2', 3);
test(native, "[1, 'a'] + [none]", [1, 'a', null]);
test(native, "{'a': {'b': 1}}", { a: { b: 1 } });
test(native, "s.split('c')", ['ab', 'de']);
test(native, 'nothing | bool', null);
test(native, "missing if false else 'x'", 'x');

const ANSIBLE = '/usr/bin/ansible-playbook';
const maybe = existsSync(ANSIBLE) || process.env.CI ? test : test.skip;
maybe('every row is what ansible-core renders', (t) => {
  const script = fileURLToPath(new URL('../../../helpers/ansible-templar.py', import.meta.url));
  const exprs = [...ROWS.map(([e]) => e), ...DIFFERENCES.map(([e]) => e)];
  const out = execFileSync('/usr/bin/python3', [script, JSON.stringify(vars)], { input: exprs.join('\n') + '\n', encoding: 'utf8' });
  const got = new Map(out.trim().split('\n').map((l) => JSON.parse(l) as [string, string]));
  for (const [e, expected] of ROWS) t.is(got.get(e), `<${expected}>`, e);
  for (const [e, ansible] of DIFFERENCES) t.is(got.get(e), `<${ansible}>`, e);
});
