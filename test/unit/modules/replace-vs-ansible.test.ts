// replace under Ansible 2.14 (ansible-playbook, local connection) and under
// tsplay, on fresh copies of the same files (test/helpers/module-differential.ts):
// the same files afterwards, the same changed/failed flags, the same second run,
// and tsplay's --check predicting its own run. Every case here runs against the
// real Ansible on this machine. Cases follow Ansible's own integration tests
// (test/integration/targets/replace) and the forms roles use.

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';

const conf = 'listen 80\n# server_name x\nserver_name y\n\nlisten 8080\n';
const hosts = '127.0.0.1 localhost\n192.168.1.1 host1.example.com host1\n10.0.0.5 db.example.com\n';
const section = '#start\nfoo\n#end\nfoo\n#start\nfoo\n#end\n';

const cases: DiffCase[] = [
  { name: 'every-match', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: 'listen', replace: 'port' } } },
  { name: 'no-match', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: 'nothing here', replace: 'x' } } },
  { name: 'dest-alias', files: { f: conf }, task: { replace: { dest: '@DIR@/f', regexp: '80', replace: '81' } } },
  { name: 'name-alias', files: { f: conf }, task: { replace: { name: '@DIR@/f', regexp: '80', replace: '81' } } },
  { name: 'multiline-anchors', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: '^listen (\\d+)$', replace: 'listen 0.0.0.0:\\1' } } },
  { name: 'comment-out', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: '^(server_name .*)$', replace: '# \\1' } } },
  { name: 'uncomment', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: '^# (server_name .*)', replace: '\\1' } } },
  { name: 'named-group', files: { f: hosts }, task: { replace: { path: '@DIR@/f', regexp: '^(?P<ip>[0-9.]+)(\\s+)db\\.example\\.com$', replace: '\\g<ip>\\g<2>db.internal' } } },
  { name: 'remove-matches', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: '^#.*\\n' } } },
  { name: 'across-lines', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: 'y\\n\\nlisten', replace: 'y\\nlisten' } } },
  { name: 'same-text', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: 'listen', replace: 'listen' } } },
  { name: 'empty-match-every-line', files: { f: 'a\nb\n' }, task: { replace: { path: '@DIR@/f', regexp: '^', replace: '> ' } } },
  { name: 'dollar-before-newline', files: { f: 'a\nb\n' }, task: { replace: { path: '@DIR@/f', regexp: '$', replace: ';' } } },
  { name: 'ignorecase-flag', files: { f: 'Foo\nfoo\nFOO\n' }, task: { replace: { path: '@DIR@/f', regexp: '(?i)^foo$', replace: 'bar' } } },
  { name: 'A-and-Z', files: { f: 'x\nx\n' }, task: { replace: { path: '@DIR@/f', regexp: '\\Ax', replace: 'first' } } },
  { name: 'Z-end', files: { f: 'x\nx' }, task: { replace: { path: '@DIR@/f', regexp: 'x\\Z', replace: 'last' } } },
  { name: 'crlf-dollar', files: { f: 'a=1\r\nb=2\r\n' }, task: { replace: { path: '@DIR@/f', regexp: '=(\\d)$', replace: '=9' } } },
  { name: 'crlf-dot', files: { f: 'a=1\r\nb=2\r\n' }, task: { replace: { path: '@DIR@/f', regexp: '^a=.*', replace: 'a=7' } } },
  { name: 'after', files: { f: section }, task: { replace: { path: '@DIR@/f', regexp: 'foo', replace: 'bar', after: '#end' } } },
  { name: 'before', files: { f: section }, task: { replace: { path: '@DIR@/f', regexp: 'foo', replace: 'bar', before: '#end' } } },
  { name: 'after-and-before', files: { f: section }, task: { replace: { path: '@DIR@/f', regexp: 'foo', replace: 'bar', after: '#start', before: '#end' } } },
  { name: 'after-no-match', files: { f: section }, task: { replace: { path: '@DIR@/f', regexp: 'foo', replace: 'bar', after: '#nothing' } } },
  { name: 'after-no-match-mode', files: { f: { content: section, mode: 0o600 } }, task: { replace: { path: '@DIR@/f', regexp: 'foo', after: '#nothing', mode: '0644' } } },
  { name: 'unicode', files: { f: 'name = Zoë\ncity = Köln\n' }, task: { replace: { path: '@DIR@/f', regexp: 'ö', replace: 'oe' } } },
  { name: 'unicode-dot', files: { f: 'é1\n' }, task: { replace: { path: '@DIR@/f', regexp: '^.1', replace: 'e1' } } },
  { name: 'latin1', files: { f: Buffer.from('caf\xe9 = 1\n', 'latin1') }, task: { replace: { path: '@DIR@/f', regexp: 'é', replace: 'e', encoding: 'latin-1' } } },
  { name: 'mode-no-match', files: { f: { content: conf, mode: 0o600 } }, task: { replace: { path: '@DIR@/f', regexp: 'nothing', mode: '0640' } } },
  { name: 'mode-and-match', files: { f: { content: conf, mode: 0o600 } }, task: { replace: { path: '@DIR@/f', regexp: '80', replace: '81', mode: '0644' } } },
  { name: 'keeps-mode', files: { f: { content: conf, mode: 0o640 } }, task: { replace: { path: '@DIR@/f', regexp: '80', replace: '81' } } },
  { name: 'missing-file', task: { replace: { path: '@DIR@/nope', regexp: 'a', replace: 'b' } } },
  { name: 'directory', files: { d: { dir: true } }, task: { replace: { path: '@DIR@/d', regexp: 'a', replace: 'b' } } },
  { name: 'validate-ok', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: '80', replace: '81', validate: 'grep -q 81 %s' } } },
  { name: 'validate-fails', files: { f: conf }, task: { replace: { path: '@DIR@/f', regexp: '80', replace: '81', validate: 'grep -q nothing %s' } } },
  { name: 'no-final-newline', files: { f: 'a\nb' }, task: { replace: { path: '@DIR@/f', regexp: 'b$', replace: 'c' } } },
  { name: 'newline-escape-in-replace', files: { f: 'a,b\n' }, task: { replace: { path: '@DIR@/f', regexp: ',', replace: '\\n' } } },
  { name: 'empty-file', files: { f: '' }, task: { replace: { path: '@DIR@/f', regexp: '^$', replace: 'x' } } },
];

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the replace differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('replace: the same outcome as Ansible 2.14 in every case', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('replace', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    // validate runs only in the real run (in Ansible's --check too): check cannot foresee its failure
    const expected = (o: { name: string; differences: string[] }) => o.name === 'validate-fails' && o.differences.length === 1 && o.differences[0].startsWith('tsplay --check predicted changed true');
    t.deepEqual(outcomes.filter((o) => o.differences.length && !expected(o)).map((o) => `${o.name}: ${o.differences.join('; ')}`), []);
    t.true(by['validate-fails'].tsplay.failed && by['validate-fails'].ansible.failed && by['validate-fails'].ansible.checkChanged === true);
    // the comparison is real: these cases change, fail or leave the file as Ansible does
    t.true(by['every-match'].ansible.changed);
    t.false(by['no-match'].tsplay.changed);
    t.true(by['missing-file'].tsplay.failed);
    t.regex(by['multiline-anchors'].tsplay.tree.f, /"listen 0\.0\.0\.0:80\\n# server_name x\\nserver_name y\\n\\nlisten 0\.0\.0\.0:8080\\n"$/);
  });
}
