// Facts `file` and `file_content`: sections -> parsed value; predictions + value -> predicted value.

import test from 'ava';
import { file, fileContent, statSnippet } from '../../../../engine/facts/file.js';
import type { FileState, Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow } from './table-reader.js';

const PARSE: Array<[string, ReturnType<typeof out>, FileState]> = [
  ['/f', out('81a4\t644\t0\t0\troot\troot\t12\n'), { path: '/f', exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', size: 12 }],
  ['/d', out('45e8\t2750\t107\t110\tUNKNOWN\tUNKNOWN\t4096\n'), { path: '/d', exists: true, type: 'directory', mode: '2750', uid: 107, gid: 110, owner: '107', group: '110', size: 4096 }],
  ['/l', out('a1ff\t777\t0\t0\troot\troot\t7\nta\nrget\n'), { path: '/l', exists: true, type: 'link', mode: '0777', uid: 0, gid: 0, owner: 'root', group: 'root', size: 7, linkTarget: 'ta\nrget' }],
  ['/s', out('c1ed\t755\t0\t0\troot\troot\t0\n'), { path: '/s', exists: true, type: 'other', mode: '0755', uid: 0, gid: 0, owner: 'root', group: 'root', size: 0 }],
  ['/m', out('', 3), { path: '/m', exists: false }],
];

test('file: stat output -> state', (t) => {
  for (const [path, o, value] of PARSE) t.deepEqual(parseRows(file, [path], [o]), [value], path);
  t.throws(() => parseRows(file, ['/x'], [out('', 2, 'stat: Permission denied')]), { message: /Permission denied/ });
  t.throws(() => parseRows(file, ['/x'], [out('garbage\n')]), { message: /unexpected output/ });
});

test('file: one quoted section per path, batched', (t) => {
  t.deepEqual(file.sections(['/a', "/it's"], { host: 'h', facts: {} as never }), [statSnippet('/a'), statSnippet("/it's")]);
  t.true(statSnippet("/it's").includes(`'/it'\\''s'`), 'the path is quoted by engine/host/shell.ts');
});

test('file_content: stat + exact bytes of a regular file; none for others', (t) => {
  const bytes = Buffer.from([0xff, 0x00, 0x41]);
  const [f] = parseRows(fileContent, ['/f'], [out('81a4\t644\t0\t0\troot\troot\t3\n'), { rc: 0, stdout: '', stderr: '', stdoutBytes: bytes }]);
  t.true(f.content?.equals(bytes));
  const [d, m] = parseRows(fileContent, ['/d', '/m'], [out('41ed\t755\t0\t0\troot\troot\t4096\n'), out(''), out('', 3), out('')]);
  t.is(d.content, undefined);
  t.deepEqual(m, { path: '/m', exists: false });
  t.throws(() => parseRows(fileContent, ['/f'], [out('81a4\t600\t0\t0\troot\troot\t3\n'), out('', 1, 'cat: Permission denied')]), { message: /cannot read \/f/ });
});

const old: FileState = { path: '/etc/a', exists: true, type: 'file', mode: '0600', owner: 'nova', group: 'nova', uid: 107, gid: 110, content: Buffer.from('old'), size: 3 };
const missing = (path: string): FileState => ({ path, exists: false });

const PREDICT: Array<{ what: string; path: string; value: FileState; predictions: Prediction[][]; expected: FileState }> = [
  { what: 'no prediction: the host\'s own', path: '/etc/a', value: old, predictions: [], expected: old },
  {
    what: 'new content keeps mode and owner',
    path: '/etc/a',
    value: old,
    predictions: [[{ kind: 'file', path: '/etc/a', state: 'file', content: Buffer.from('new') }]],
    expected: { ...old, content: Buffer.from('new'), size: 3, predicted: true },
  },
  {
    what: 'new file: 0644 root:root, later partial prediction merges',
    path: '/etc/n',
    value: missing('/etc/n'),
    predictions: [[{ kind: 'file', path: '/etc/n', state: 'file', content: Buffer.from('c') }], [{ kind: 'file', path: '/etc/n', state: 'file', mode: '640', owner: 'nova' }]],
    expected: { path: '/etc/n', exists: true, type: 'file', mode: '0640', owner: 'nova', group: 'root', content: Buffer.from('c'), size: 1, predicted: true },
  },
  {
    what: 'a file predicted inside: a directory',
    path: '/srv/x/',
    value: missing('/srv/x/'),
    predictions: [[{ kind: 'file', path: '/srv/x/y/z', state: 'file' }]],
    expected: { path: '/srv/x/', exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root', predicted: true },
  },
  {
    what: 'an ancestor removed: gone',
    path: '/etc/a',
    value: old,
    predictions: [[{ kind: 'file', path: '/etc', state: 'absent' }]],
    expected: { path: '/etc/a', exists: false, predicted: true },
  },
  {
    what: 'later wins: removed then a link',
    path: '/etc/a',
    value: old,
    predictions: [[{ kind: 'file', path: '/etc/a', state: 'absent' }], [{ kind: 'file', path: '/etc/a', state: 'link', target: '/x' }]],
    expected: { path: '/etc/a', exists: true, type: 'link', linkTarget: '/x', predicted: true },
  },
];

test('file_content: predictions -> predicted state', async (t) => {
  for (const row of PREDICT) t.deepEqual(await predictRow(fileContent, row.path, row.value, row.predictions), row.expected, row.what);
});

test('file: the same rule, never with content', async (t) => {
  for (const row of PREDICT) {
    const { content: _c, ...value } = row.value;
    const { content: _e, ...expected } = row.expected;
    t.deepEqual(await predictRow(file, row.path, value, row.predictions), expected, row.what);
  }
});
