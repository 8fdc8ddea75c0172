import test from 'ava';
import { unifiedDiff, diffLines } from '../../../../engine/report/unified-diff.js';

const cases: Array<[string, string, string, string]> = [
  ['equal texts give no diff', 'a\nb\n', 'a\nb\n', ''],
  ['one line added at the end', 'a\nb\n', 'a\nb\nc\n', '--- x\n+++ y\n@@ -1,2 +1,3 @@\n a\n b\n+c\n'],
  ['one line changed in the middle', 'a\nb\nc\n', 'a\nB\nc\n', '--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n'],
  ['new file', '', 'x\n', '--- x\n+++ y\n@@ -0,0 +1,1 @@\n+x\n'],
  ['file emptied', 'x\n', '', '--- x\n+++ y\n@@ -1,1 +0,0 @@\n-x\n'],
  ['missing final newline is shown', 'a', 'a\n', '--- x\n+++ y\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+a\n'],
];

for (const [name, before, after, expected] of cases) {
  test(name, (t) => t.is(unifiedDiff(before, after, 'x', 'y'), expected));
}

test('distant changes make separate hunks with 3 lines of context', (t) => {
  const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n') + '\n';
  const after = before.replace('l1\n', 'L1\n').replace('l18\n', 'L18\n');
  const d = unifiedDiff(before, after, 'x', 'y');
  t.is(d.match(/^@@/gm)?.length, 2);
  t.true(d.includes('@@ -1,5 +1,5 @@'));
  t.true(d.includes('@@ -16,5 +16,5 @@'));
});

test('the edit script reproduces the new text', (t) => {
  const a = ['x', 'a', 'b', 'c', 'y', 'z'];
  const b = ['a', 'q', 'c', 'y', 'w', 'z', 'k'];
  const ops = diffLines(a, b);
  t.deepEqual(ops.filter((o) => o.kind !== '-').map((o) => o.line), b);
  t.deepEqual(ops.filter((o) => o.kind !== '+').map((o) => o.line), a);
  t.is(ops.filter((o) => o.kind === ' ').length, 4, 'keeps the longest common subsequence');
});
