import test from 'ava';
import { detectEol, insertLine, joinLines, replaceLine, splitLines } from '../../../../modules/lib/text-lines.js';

test('split keeps each line ending and round-trips exactly', (t) => {
  for (const s of ['', 'a', 'a\n', 'a\nb', 'a\r\nb\r\n', 'a\r\nb\nc', '\n\n', 'x\r', 'x\r\r\n']) {
    t.is(joinLines(splitLines(s)), s, JSON.stringify(s));
  }
  t.deepEqual(splitLines('a\r\nb'), [{ text: 'a', eol: '\r\n' }, { text: 'b', eol: '' }]);
  t.deepEqual(splitLines(''), []);
  t.deepEqual(splitLines('\n'), [{ text: '', eol: '\n' }]);
});

test('the file\'s line ending is its first one; LF for a file without any', (t) => {
  t.is(detectEol(splitLines('a\r\nb\n')), '\r\n');
  t.is(detectEol(splitLines('a\nb\r\n')), '\n');
  t.is(detectEol(splitLines('single')), '\n');
  t.is(detectEol([]), '\n');
});

test('appending after a last line without a newline ends that line first', (t) => {
  const lines = splitLines('a = 1');
  insertLine(lines, 1, 'b = 2', '\n');
  t.is(joinLines(lines), 'a = 1\nb = 2\n');
});

test('inserting in the middle touches no other line', (t) => {
  const lines = splitLines('a\r\nc');
  insertLine(lines, 1, 'b', '\r\n');
  t.is(joinLines(lines), 'a\r\nb\r\nc');
});

test('a replaced line keeps its ending, and gets one when it had none', (t) => {
  const crlf = splitLines('a\r\nb\r\n');
  replaceLine(crlf, 0, 'A', '\r\n');
  t.is(joinLines(crlf), 'A\r\nb\r\n');
  const noFinal = splitLines('a\nb');
  replaceLine(noFinal, 1, 'B', '\n');
  t.is(joinLines(noFinal), 'a\nB\n');
});
