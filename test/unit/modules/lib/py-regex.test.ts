import test from 'ava';
import { compilePythonRegex, expandBackrefs, translatePythonRegex } from '../../../../modules/lib/py-regex.js';

test('Python named groups and named backreferences', (t) => {
  t.deepEqual(translatePythonRegex('^(?P<key>\\w+)=(?P=key)$'), { source: '^(?<key>\\w+)=\\k<key>$', flags: '' });
  const m = compilePythonRegex('^(?P<k>\\w+)\\s*=\\s*(?P<v>.*)$').exec('listen_tcp = 0')!;
  t.is(m.groups!.k, 'listen_tcp');
  t.is(m.groups!.v, '0');
});

test('leading inline flags become RegExp flags; \\A and \\Z anchor', (t) => {
  t.deepEqual(translatePythonRegex('(?i)^listen'), { source: '^listen', flags: 'i' });
  t.true(compilePythonRegex('(?i)^LISTEN_TCP').test('listen_tcp = 1'));
  t.deepEqual(translatePythonRegex('\\Afoo\\Z'), { source: '^foo$', flags: '' });
  t.throws(() => compilePythonRegex('(?x) a b'), { message: /verbose/ });
});

test('character classes and escapes are left alone', (t) => {
  t.is(translatePythonRegex('[(?P<x>]').source, '[(?P<x>]');
  t.is(translatePythonRegex('\\(?P<x>').source, '\\(?P<x>');
  t.is(translatePythonRegex('[]a]').source, '[\\]a]');
  t.true(compilePythonRegex('[]a]+').test(']]'));
});

test('invalid regexps name themselves', (t) => {
  t.throws(() => compilePythonRegex('a(b', 'regexp'), { message: /regexp "a\(b" is not a valid regular expression/ });
});

test('backreference expansion: \\1, \\g<1>, \\g<name>, escapes', (t) => {
  const m = compilePythonRegex('^(#?)(?P<opt>listen_tcp)\\s*=\\s*(\\d)').exec('#listen_tcp = 1')!;
  t.is(expandBackrefs('\\2 = 1', m), 'listen_tcp = 1');
  t.is(expandBackrefs('\\g<opt>=\\g<3>', m), 'listen_tcp=1');
  t.is(expandBackrefs('\\1\\2', m), '#listen_tcp');
  t.is(expandBackrefs('a\\tb\\\\c', m), 'a\tb\\c');
  t.is(expandBackrefs('keep \\q as is', m), 'keep \\q as is');
  t.is(expandBackrefs('$1 stays literal', m), '$1 stays literal');
});

test('unmatched optional group expands to empty; missing groups are errors', (t) => {
  const m = compilePythonRegex('^(a)?(b)').exec('b')!;
  t.is(expandBackrefs('[\\1][\\2]', m), '[][b]');
  t.throws(() => expandBackrefs('\\3', m), { message: /group 3/ });
  t.throws(() => expandBackrefs('\\g<nope>', m), { message: /nope/ });
});

test('\\s and \\S are ASCII whitespace (Python re on bytes): byte A0 is not a space', (t) => {
  // Lines are byte strings (modules/lib/byte-text.ts): "à" in UTF-8 is C3 A0.
  const voila = Buffer.from('voilà', 'utf8').toString('latin1');
  t.true(compilePythonRegex('^\\S+$').test(voila));
  t.false(compilePythonRegex('\\s').test('\u00a0'));
  t.true(compilePythonRegex('^[\\s,]+$').test(' \t,\r\f\v'));
  t.false(compilePythonRegex('[\\s]').test('\u00a0'));
  t.true(compilePythonRegex('^a\\sb$').test('a\tb'));
});
