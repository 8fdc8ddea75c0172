import test from 'ava';
import { parseFindListing } from '../../../modules/file.js';

test('find -printf records: types, zero-padded modes, names and IDs, odd paths', (t) => {
  const out = 'd\t755\t111\t119\tnova\tnova\t/i/_base\0'
    + 'f\t4755\t0\t0\troot\troot\t/i/bin/su x\0'
    + 'l\t777\t107\t114\t107\t114\t/i/a\tb\nc\0'
    + 's\t755\t0\t0\troot\troot\t/i/sock\0';
  t.deepEqual(parseFindListing(out), [
    { path: '/i/_base', type: 'directory', mode: '0755', uid: 111, gid: 119, owner: 'nova', group: 'nova' },
    { path: '/i/bin/su x', type: 'file', mode: '4755', uid: 0, gid: 0, owner: 'root', group: 'root' },
    { path: '/i/a\tb\nc', type: 'link', mode: '0777', uid: 107, gid: 114, owner: '107', group: '114' },
    { path: '/i/sock', type: 'other', mode: '0755', uid: 0, gid: 0, owner: 'root', group: 'root' },
  ]);
  t.deepEqual(parseFindListing(''), []);
});
