import test from 'ava';
import {
  ExpressionError,
  UndefinedVariableError,
  evaluate,
  evaluateAll,
  evaluateCondition,
  expressionVariables,
  parseCondition,
} from '../../../../engine/template/expression.js';

const vars: Record<string, unknown> = {
  one: 1,
  two: 2,
  zero: 0,
  half: 0.5,
  s: 'abc',
  empty: '',
  yes_str: 'yes',
  off_str: 'off',
  num_str: '42',
  nothing: null,
  t: true,
  f: false,
  list: [1, 'a', [2]],
  nolist: [],
  map: { k: 'v', n: 3 },
  nomap: {},
  hostvars: { ctl1: { nova_uid: '111' }, 'ctl-2': { nova_uid: 222 } },
  groups: { compute: ['cmp1', 'cmp2'], all: ['ctl1', 'cmp1', 'cmp2'] },
  inventory_hostname: 'cmp1',
  ok: { changed: false, failed: false, rc: 0, stdout: 'fine' },
  bad: { changed: true, failed: true, rc: 2, stdout: '', stderr: 'boom' },
  skip: { changed: false, skipped: true },
  r: { results: [{ stdout: 'first' }, { stdout: 'second' }] },
};

const value = test.macro({
  exec(t, source: string, expected: unknown) {
    t.deepEqual(evaluate(parseCondition(source), vars), expected);
  },
  title: (provided, source: string, expected: unknown) => provided ?? `${source} => ${JSON.stringify(expected)}`,
});

// literals
test(value, '1', 1);
test(value, '-3', -3);
test(value, '2.5', 2.5);
test(value, "'it''s'", 'its'); // adjacent literals concatenate
test(value, "'a\\'b'", "a'b");
test(value, '"tab\\there"', 'tab\there');
test(value, "'\\u00e9'", 'é');
test(value, 'true', true);
test(value, 'True', true);
test(value, 'false', false);
test(value, 'False', false);
test(value, 'none', null);
test(value, 'None', null);
test(value, "[1, 'a', [true]]", [1, 'a', [true]]);
test(value, '[]', []);
test(value, "{'a': 1, 'b': one}", { a: 1, b: 1 });

// comparisons: Python semantics
test(value, 'one == 1', true);
test(value, 'one != 1', false);
test(value, "num_str == 42", false); // '42' is not 42
test(value, "num_str == '42'", true);
test(value, 't == 1', true); // bool compares as int, as in Python
test(value, 'one < two', true);
test(value, 'one <= 1', true);
test(value, 'two > one', true);
test(value, 'two >= 3', false);
test(value, "'abc' < 'abd'", true);
test(value, '[1, 2] < [1, 3]', true);
test(value, "list == [1, 'a', [2]]", true);
test(value, "map == {'n': 3, 'k': 'v'}", true);
test(value, 'nothing == none', true);
test(value, "'b' in s", true);
test(value, "'z' in s", false);
test(value, "'a' in list", true);
test(value, '[2] in list', true);
test(value, "'k' in map", true);
test(value, "'v' in map", false);
test(value, "'z' not in s", true);
test(value, 'inventory_hostname in groups.compute', true);
test(value, "inventory_hostname not in groups['compute']", false);

// boolean operators return operands, like Python
test(value, 'one and two', 2);
test(value, 'zero and two', 0);
test(value, 'zero or empty', '');
test(value, 'zero or s', 'abc');
test(value, 'not zero', true);
test(value, 'not list', false);
test(value, 'not nolist', true);

// precedence: or < and < not < comparison < filter < postfix
test(value, 'true or false and false', true);
test(value, '(true or false) and false', false);
test(value, 'not one == 2', true); // not (one == 2)
test(value, 'not t and f', false); // (not t) and f
test(value, 'not (t and f)', true);
test(value, 'list | length > 2', true); // (list | length) > 2
test(value, "s | upper == 'ABC'", true);
test(value, "r.results[1].stdout | upper", 'SECOND');
test(value, 'one == 1 and two == 2 or f', true);
test(value, '- one', -1);

// attribute and index access
test(value, 'hostvars.ctl1.nova_uid', '111');
test(value, "hostvars['ctl1'].nova_uid", '111');
test(value, "hostvars['ctl-2'].nova_uid", 222);
test(value, "hostvars[groups.all[0]]['nova_uid']", '111');
test(value, 'r.results[0].stdout', 'first');
test(value, 'r.results[-1].stdout', 'second');
test(value, 'r.results.1.stdout', 'second');
test(value, 's[1]', 'b');

// tests
test(value, 'one is defined', true);
test(value, 'missing is defined', false);
test(value, 'missing is undefined', true);
test(value, 'missing is not defined', true);
test(value, 'hostvars.ctl9.nova_uid is defined', false); // chosen: false, not an error
test(value, 'missing.deeper.still is defined', false);
test(value, 'hostvars.ctl1.nova_uid is defined', true);
test(value, 'nothing is defined', true);
test(value, 'nothing is none', true);
test(value, 'ok is failed', false);
test(value, 'bad is failed', true);
test(value, 'bad is failure', true);
test(value, 'ok is succeeded', true);
test(value, 'ok is success', true);
test(value, 'bad is not succeeded', true);
test(value, 'bad is changed', true);
test(value, 'ok is changed', false);
test(value, 'skip is skipped', true);
test(value, 'ok is skipped', false);
test(value, 't is true', true);
test(value, 'one is true', false);
test(value, 'f is false', true);
test(value, "s is match('ab')", true);
test(value, "s is match('bc')", false);
test(value, "s is search('bc')", true);
test(value, 's is string', true);
test(value, 'one is number', true);
test(value, 'map is mapping', true);
test(value, 'ok is failed or bad is failed', true);

// filters
test(value, 's | length', 3);
test(value, 'list | length', 3);
test(value, 'map | length', 2);
test(value, "yes_str | bool", true);
test(value, "off_str | bool", false);
test(value, "'TRUE' | bool", true);
test(value, "'1' | bool", true);
test(value, "'0' | bool", false);
test(value, 'one | bool', true);
test(value, "num_str | int", 42);
test(value, "'12.7' | int", 12);
test(value, "'junk' | int", 0);
test(value, "'junk' | int(7)", 7);
test(value, 'half | int', 0);
test(value, "'ff' | int(0, 16)", 255);
test(value, "missing | default('x')", 'x');
test(value, "missing.deep | default('x')", 'x');
test(value, "hostvars.ctl9.nova_uid | default(5)", 5);
test(value, "s | default('x')", 'abc');
test(value, "empty | default('x')", '');
test(value, "empty | default('x', true)", 'x');
test(value, "missing | d('x')", 'x');
test(value, 'one | string', '1');
test(value, "' Ab ' | trim | lower", 'ab');
test(value, 's | upper', 'ABC');
test(value, "groups.compute | join(',')", 'cmp1,cmp2');
test(value, "'a b  c' | split", ['a', 'b', 'c']);
test(value, "'a,b' | split(',')", ['a', 'b']);
test(value, "'uid=111(nova)' | regex_search('[0-9]+')", '111');
test(value, "'x' | regex_search('[0-9]+')", null);
test(value, "'a-b-c' | regex_replace('-', '_')", 'a_b_c');
test(value, 'groups.compute | first', 'cmp1');
test(value, 'groups.compute | last', 'cmp2');
test(value, "map | to_json", '{"k":"v","n":3}');
test(value, "t | ternary('on', 'off')", 'on');
test(value, "'/etc/nova/nova.conf' | basename", 'nova.conf');
test(value, "'/etc/nova/nova.conf' | dirname", '/etc/nova');

// `{{ }}` around a condition is accepted
test(value, '{{ one == 1 }}', true);
test(value, '  {{ hostvars.ctl1.nova_uid }} ', '111');

// ------------------------------------------------------------ errors

const syntaxError = test.macro({
  exec(t, source: string, column: number, message: string) {
    const e = t.throws(() => parseCondition(source), { instanceOf: ExpressionError });
    t.is(e.column, column);
    t.is(e.source, source);
    t.true(e.message.includes(message), e.message);
    // the message shows the source and a caret under the column
    const lines = e.message.split('\n');
    t.is(lines[lines.length - 1].indexOf('^') - 2, column - 1);
  },
  title: (provided, source: string) => provided ?? `syntax error: ${source}`,
});

test(syntaxError, 'a = 1', 3, 'comparison is written "=="');
test(syntaxError, 'a ==', 5, 'unexpected end of expression');
test(syntaxError, '(a and b', 9, 'expected ")"');
test(syntaxError, "x == 'open", 6, 'unterminated string');
test(syntaxError, 'a and and b', 7, 'unexpected keyword "and"');
test(syntaxError, 'a b', 3, 'unexpected "b" after a complete expression');
test(syntaxError, 'x | nosuch', 5, 'unknown filter "nosuch"');
test(syntaxError, 'x is nosuch', 6, 'unknown test "nosuch"');
test(syntaxError, 'x is', 5, 'expected a test name');
test(syntaxError, 'f(a=1, b)', 8, 'positional argument cannot follow a keyword argument');
test(syntaxError, 'a && b', 3, 'use "and"');
test(syntaxError, '', 1, 'empty expression');
test(syntaxError, "x if y else z", 3, 'ternary');
test(syntaxError, 'r.results[0', 12, 'expected "]"');
test(syntaxError, 'a | join(sep=",")', 10, 'keyword arguments');
test(syntaxError, '{{ a == }}', 9, 'unexpected end of expression');

const undefinedError = test.macro({
  exec(t, source: string, variable: string, detail?: string) {
    const e = t.throws(() => evaluateCondition(source, vars), { instanceOf: UndefinedVariableError });
    t.is(e.variable, variable);
    t.true(e.message.startsWith(`undefined variable "${variable}"`), e.message);
    if (detail) t.true(e.message.includes(detail), e.message);
  },
  title: (provided, source: string) => provided ?? `undefined: ${source}`,
});

test(undefinedError, 'missing', 'missing');
test(undefinedError, 'missing == 1', 'missing');
test(undefinedError, 'one == 1 and missing', 'missing');
test(undefinedError, 'hostvars.ctl9.nova_uid == 1', 'hostvars.ctl9', 'has no key "ctl9"');
test(undefinedError, 'hostvars.ctl1.uid', 'hostvars.ctl1.uid', 'has no key "uid"');
test(undefinedError, "hostvars['ctl9'].nova_uid", "hostvars['ctl9']");
test(undefinedError, 'r.results[5].stdout', 'r.results[5]', 'has no index 5');
test(undefinedError, 's.foo', 's.foo', 'is a string');
test(undefinedError, 'nothing.foo', 'nothing.foo', 'is none');
test(undefinedError, 'missing | length', 'missing');
test(undefinedError, 'missing is failed', 'missing');
test(undefinedError, "missing | default(other)", 'other');

test('undefined error carries the column of the path', (t) => {
  const e = t.throws(() => evaluateCondition('one == 1 and hostvars.x.y', vars), { instanceOf: ExpressionError });
  t.is(e.column, 14);
});

const evalError = test.macro({
  exec(t, source: string, message: string, column: number) {
    const e = t.throws(() => evaluateCondition(source, vars), { instanceOf: ExpressionError });
    t.false(e instanceof UndefinedVariableError);
    t.true(e.message.includes(message), e.message);
    t.is(e.column, column);
  },
  title: (provided, source: string) => provided ?? `evaluation error: ${source}`,
});

test(evalError, 'num_str > 9', 'cannot compare string with int (convert with "| int")', 1);
test(evalError, "1 in 'abc'", 'requires a string on the left', 1);
test(evalError, "'a' in one", 'needs a string, list or mapping', 1);
test(evalError, 's is failed', 'expects a registered result', 1);
test(evalError, 'one | length', 'length expects a string, list or mapping', 1);
test(evalError, 'list | upper == 1', 'upper expects a string', 1);
test(syntaxError, 'x | constructor', 5, 'unknown filter');
test(syntaxError, 'x is toString', 6, 'unknown test');

// ------------------------------------------------------------ truthiness, lists, variables

const truth = test.macro({
  exec(t, source: string, expected: boolean) {
    t.is(evaluateCondition(source, vars), expected);
  },
  title: (provided, source: string, expected: boolean) => provided ?? `truthy(${source}) is ${expected}`,
});
for (const [src, exp] of [
  ['zero', false],
  ['one', true],
  ['empty', false],
  ['s', true],
  ['nolist', false],
  ['list', true],
  ['nomap', false],
  ['map', true],
  ['nothing', false],
  ['f', false],
  ["'false'", true], // a non-empty string is true, as in Python; use | bool
  ["'false' | bool", false],
] as const) {
  test(truth, src, exp);
}

test('evaluateAll: every condition must hold; booleans are taken as they are', (t) => {
  t.true(evaluateAll([], vars));
  t.true(evaluateAll(['one == 1', true, 'list'], vars));
  t.false(evaluateAll(['one == 1', false], vars));
  t.false(evaluateAll(['one == 1', 'zero'], vars));
  // stops at the first false condition: a later undefined variable is not reached
  t.false(evaluateAll(['zero', 'missing'], vars));
  t.throws(() => evaluateAll(['one', 'missing'], vars), { instanceOf: UndefinedVariableError });
});

test('evaluateCondition accepts a parsed expression', (t) => {
  const e = parseCondition('x > 1');
  t.true(evaluateCondition(e, { x: 2 }));
  t.false(evaluateCondition(e, { x: 0 }));
});

test('variables layered with prototypes are visible; Object.prototype members are not', (t) => {
  const base = { a: 1 };
  const layered = Object.assign(Object.create(base) as Record<string, unknown>, { b: 2 });
  t.true(evaluateCondition('a == 1 and b == 2', layered));
  t.false(evaluateCondition('constructor is defined', {}));
  t.throws(() => evaluateCondition('toString', {}), { instanceOf: UndefinedVariableError });
});

test('expressionVariables lists root names that must be defined', (t) => {
  const names = [...expressionVariables(parseCondition("a.b == c[d] and e is defined and f | default(g) and h is failed"))];
  t.deepEqual(names.sort(), ['a', 'c', 'd', 'g', 'h']);
});

test('AST carries offsets into the source', (t) => {
  const e = parseCondition('x and y.z');
  t.is(e.kind, 'and');
  if (e.kind === 'and') {
    t.is(e.right.start, 6);
    t.is(e.right.end, 9);
  }
});
