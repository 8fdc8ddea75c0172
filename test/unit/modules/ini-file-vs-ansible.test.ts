// ini_file against community.general.ini_file as Debian's `ansible` 7.7.0
// package ships it (community.general 6.6.2), run by ansible-playbook 2.14 over
// the local connection, and against tsplay, on fresh copies of the same files
// (test/helpers/module-differential.ts): the same bytes, mode and owner, the same
// changed/failed flags, the same second run, and tsplay's --check predicting its
// own run. Cases follow the collection's integration tests
// (tests/integration/targets/ini_file) and issue 12's divergences 3–6, plus the
// forms roles use. A backup file's name holds a time stamp (and Ansible's, a
// PID): it is compared as `<name>.BACKUP~`.

import test from 'ava';
import { fileURLToPath } from 'node:url';
import type { DiffCase } from '../../helpers/module-differential.js';
import { differentialSummary, differentialUnavailable, runDifferential, snapshot } from '../../helpers/module-differential.js';

const BACKUP_NAME = /\.(?:\d+\.)?\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d(?:\.\d+)?~$/;
const withBackupNames = (dir: string): Record<string, string> =>
  Object.fromEntries(Object.entries(snapshot(dir)).map(([p, v]) => [p.replace(BACKUP_NAME, '.BACKUP~'), v]));

const drinks = '[drinks]\nfav = lemonade\nbeverage = coke\n\n[food]\nfav = pizza\n';
const ini = (name: string, args: Record<string, unknown>, content?: string | Buffer | { content: string; mode: number }): DiffCase =>
  ({ name, files: content === undefined ? {} : { f: content }, task: { ini_file: { path: '@DIR@/f', ...args } } });

const cases: DiffCase[] = [
  // basic
  ini('add-option', { section: 'drinks', option: 'temperature', value: 'cold' }, drinks),
  ini('change-value', { section: 'drinks', option: 'fav', value: 'water' }, drinks),
  ini('already-set', { section: 'food', option: 'fav', value: 'pizza' }, drinks),
  ini('new-section-appended', { section: 'sweets', option: 'fav', value: 'cake' }, drinks),
  ini('new-file', { section: 'drinks', option: 'fav', value: 'lemonade' }),
  ini('new-file-sectionless', { option: 'fav', value: 'lemonade' }),
  ini('empty-file', { section: 'drinks', option: 'fav', value: 'lemonade' }, ''),
  ini('create-false-missing', { section: 'drinks', option: 'fav', value: 'lemonade', create: false }),
  ini('create-false-absent-missing', { section: 'drinks', option: 'fav', state: 'absent', create: false }),
  { name: 'd2-missing-parent', task: { ini_file: { path: '@DIR@/a/b/f', section: 's', option: 'o', value: 'v' } } },
  { name: 'dest-alias', files: { f: drinks }, task: { ini_file: { dest: '@DIR@/f', section: 'drinks', option: 'fav', value: 'tea' } } },
  // spacing
  ini('spacing-rewritten', { section: 'drinks', option: 'fav', value: 'lemonade' }, '[drinks]\nfav=lemonade\n'),
  ini('no-extra-spaces-add', { section: 'drinks', option: 'size', value: 'large', no_extra_spaces: true }, drinks),
  ini('no-extra-spaces-rewrites', { section: 'drinks', option: 'fav', value: 'lemonade', no_extra_spaces: true }, drinks),
  ini('tabs-around-equals', { section: 'drinks', option: 'fav', value: 'lemonade' }, '[drinks]\nfav\t=\tlemonade\n'),
  ini('indented-option', { section: 'drinks', option: 'fav', value: 'water' }, '[drinks]\n  fav = lemonade\n'),
  ini('trailing-spaces-value', { section: 'drinks', option: 'fav', value: 'lemonade' }, '[drinks]\nfav = lemonade  \n'),
  ini('option-prefix-not-matched', { section: 'drinks', option: 'fav', value: 'x' }, '[drinks]\nfavourite = y\n'),
  // value types (the module's value is a str)
  ini('value-true', { section: 's', option: 'enabled', value: true }, '[s]\n'),
  ini('value-int', { section: 's', option: 'count', value: 3 }, '[s]\n'),
  ini('value-float', { section: 's', option: 'ratio', value: 0.5 }, '[s]\n'),
  ini('value-quoted-sectionless', { option: 'auth_tcp', value: '"none"' }, 'listen_tls = 0\n#auth_tcp = "sasl"\n'),
  // comments
  ini('commented-then-active', { section: 'drinks', option: 'fav', value: 'coke' }, '[drinks]\n# fav = water\nfav = lemonade\n'),
  ini('commented-only-uncommented', { section: 'drinks', option: 'fav', value: 'water' }, '[drinks]\n#fav = lemonade\nother = 1\n'),
  ini('semicolon-commented', { section: 'drinks', option: 'fav', value: 'water' }, '[drinks]\n;fav = lemonade\n'),
  ini('indented-comment-kept', { section: 'drinks', option: 'fav', value: 'water' }, '[drinks]\n  # fav = lemonade\nother = 1\n'),
  ini('insert-before-trailing-comments', { section: 'a', option: 'y', value: '2' }, '[a]\nx = 1\n# end of a\n\n[b]\nz = 3\n'),
  ini('commented-in-other-section', { section: 'b', option: 'x', value: '1' }, '[a]\n# x = 0\n[b]\nz = 3\n'),
  // duplicates and exclusive
  ini('duplicates-exclusive-same', { section: 'a', option: 'x', value: '2' }, '[a]\nx = 1\nx = 2\nx = 3\n'),
  ini('duplicates-exclusive-new', { section: 'a', option: 'x', value: '9' }, '[a]\nx = 1\ny = 0\nx = 2\n'),
  ini('d5-exclusive-false-adds', { section: 'a', option: 'x', value: '2', exclusive: false }, '[a]\nx = 1\ny = 0\n'),
  ini('exclusive-false-present', { section: 'a', option: 'x', value: '2', exclusive: false }, '[a]\nx = 1\nx = 2\n'),
  // values
  ini('values-new', { section: 'a', option: 'x', values: ['1', '2'] }, '[a]\ny = 0\n'),
  ini('values-exclusive', { section: 'a', option: 'x', values: ['2', '3'] }, '[a]\nx = 1\nx = 2\nx = 4\n'),
  ini('values-not-exclusive', { section: 'a', option: 'x', values: ['2', '3'], exclusive: false }, '[a]\nx = 1\nx = 2\n'),
  ini('values-repeated', { section: 'a', option: 'x', values: ['1', '1', '2'] }, '[a]\n'),
  ini('value-and-values', { section: 'a', option: 'x', value: '1', values: ['2'] }, '[a]\n'),
  // allow_no_value
  ini('no-value-add', { section: 'mysqld', option: 'skip-name-resolve', allow_no_value: true }, '[mysqld]\nport = 3306\n'),
  ini('no-value-present', { section: 'mysqld', option: 'skip-name-resolve', allow_no_value: true }, '[mysqld]\nskip-name-resolve\n'),
  ini('no-value-replaces-value', { section: 'mysqld', option: 'skip-name-resolve', allow_no_value: true }, '[mysqld]\nskip-name-resolve = 1\n'),
  ini('no-value-refused', { section: 'mysqld', option: 'skip-name-resolve' }, '[mysqld]\n'),
  ini('allow-no-value-with-value', { section: 'a', option: 'x', value: '2', allow_no_value: true }, '[a]\nx = 1\n'),
  // state: absent
  ini('absent-option', { section: 'drinks', option: 'fav', state: 'absent' }, drinks),
  ini('d6-absent-value-exclusive', { section: 'a', option: 'x', value: '1', state: 'absent' }, '[a]\nx = 1\nx = 2\ny = 0\n'),
  ini('absent-value-not-exclusive', { section: 'a', option: 'x', value: '1', state: 'absent', exclusive: false }, '[a]\nx = 1\nx = 2\n'),
  ini('d6-absent-not-exclusive-no-value', { section: 'a', option: 'x', state: 'absent', exclusive: false }, '[a]\nx = 1\nx = 2\n'),
  ini('absent-keeps-commented', { section: 'a', option: 'x', state: 'absent' }, '[a]\n# x = 0\nx = 1\n'),
  ini('absent-section', { section: 'drinks', state: 'absent' }, drinks),
  ini('absent-section-missing', { section: 'nope', state: 'absent' }, drinks),
  ini('absent-sectionless-option', { option: 'a', state: 'absent' }, 'a = 1\nb = 2\n[s]\na = 3\n'),
  ini('absent-missing-file', { section: 'a', option: 'x', state: 'absent' }),
  // sections
  ini('d4-section-with-spaces', { section: ' foo ', option: 'x', value: '1' }, '[ foo ]\nx = 0\n'),
  ini('section-spaces-not-trimmed', { section: 'foo', option: 'x', value: '1' }, '[ foo ]\nx = 0\n'),
  ini('header-trailing-comment', { section: 'foo', option: 'x', value: '1' }, '[foo] # main\nx = 0\n'),
  ini('empty-section-last', { section: 'b', option: 'y', value: '2' }, '[a]\nx = 1\n[b]\n'),
  ini('empty-section-middle', { section: 'b', option: 'y', value: '2' }, '[a]\nx = 1\n\n[b]\n\n[c]\nz = 3\n'),
  ini('section-only-allow-no-value', { section: 'new', allow_no_value: true }, drinks),
  ini('section-only-no-value', { section: 'new' }, drinks),
  ini('duplicate-sections-first', { section: 'a', option: 'x', value: '2' }, '[a]\nx = 1\n[b]\n[a]\nx = 1\n'),
  ini('sectionless-before-header', { option: 'top', value: '1' }, '# head\n[a]\nx = 1\n'),
  ini('sectionless-no-headers', { option: 'b', value: '2' }, 'a = 1\n'),
  ini('section-blank-lines-kept', { section: 'a', option: 'y', value: '2' }, '[a]\nx = 1\n\n\n[b]\n'),
  // file forms
  ini('d3-bom', { section: 'drinks', option: 'fav', value: 'lemonade' }, '\ufeff[drinks]\nfav = lemonade\n'),
  ini('d3-bom-change', { section: 'drinks', option: 'fav', value: 'water' }, '\ufeff[drinks]\nfav = lemonade\n'),
  ini('no-final-newline-set', { section: 'a', option: 'x', value: '1' }, '[a]\nx = 1'),
  ini('no-final-newline-append', { section: 'a', option: 'y', value: '2' }, '[a]\nx = 1'),
  ini('crlf-already-set', { section: 'a', option: 'x', value: '1' }, '[a]\r\nx = 1\r\n'),
  ini('crlf-change', { section: 'a', option: 'x', value: '2' }, '[a]\r\nx = 1\r\ny = 0\r\n'),
  ini('latin1-change', { section: 'a', option: 'x', value: '2' }, Buffer.from('[a]\nname = caf\xe9\nx = 1\n', 'latin1')),
  ini('utf8-value', { section: 'a', option: 'city', value: 'Köln' }, '[a]\ncity = Koeln\n'),
  ini('backup', { section: 'drinks', option: 'fav', value: 'water', backup: true }, drinks),
  ini('backup-unchanged', { section: 'drinks', option: 'fav', value: 'lemonade', backup: true }, drinks),
  ini('mode-new-file', { section: 'a', option: 'x', value: '1', mode: '0600' }),
  ini('mode-only', { section: 'a', option: 'x', value: '1', mode: '0640' }, { content: '[a]\nx = 1\n', mode: 0o644 }),
  ini('owner-nobody', { section: 'a', option: 'x', value: '2', owner: 'nobody' }, '[a]\nx = 1\n'),
  ini('absent-no-final-newline', { section: 'a', option: 'x', state: 'absent' }, '[a]\ny = 1'),
  ini('no-value-commented-uncommented', { section: 'mysqld', option: 'skip-name-resolve', allow_no_value: true }, '[mysqld]\n#skip-name-resolve\n'),
  ini('value-without-option-new-section', { section: 'new', value: 'x' }, drinks),
  ini('value-without-option-existing-section', { section: 'drinks', value: 'x' }, drinks),
  ini('section-empty-string', { section: '', option: 'top', value: '1' }, 'a = 0\n[s]\n'),
  ini('option-regex-characters', { section: 'a', option: 'a.b', value: '2' }, '[a]\naxb = 1\n'),
  ini('section-name-prefix', { section: 'foo', option: 'x', value: '1' }, '[foobar]\nx = 0\n'),
  ini('indented-header-not-a-header', { section: 'a', option: 'x', value: '2' }, '  [a]\nx = 1\n'),
  ini('absent-no-section-no-option', { state: 'absent' }, '# top\na = 1\n[s]\nb = 2\n'),
  { name: 'symlink-path', files: { t: '[a]\nx = 1\n', f: { link: 't' } }, task: { ini_file: { path: '@DIR@/f', section: 'a', option: 'x', value: '2' } } },
  { name: 'directory-path', files: { d: { dir: true } }, task: { ini_file: { path: '@DIR@/d', section: 'a', option: 'x', value: '1' } } },
];

/**
 * Cases where tsplay keeps an outcome different from Ansible's on purpose, with
 * the reason (docs/modules/ini_file.md says the same); each differs only in the
 * way the prefix says.
 */
const DELIBERATE: Record<string, { reason: string; differs: string[] }> = {
  'absent-no-section-no-option': {
    reason: 'the module deletes the options before the first header and the first header with them, again on every run; tsplay refuses',
    differs: ['failed: ansible false (section removed), tsplay true (state: absent without option removes a section', 'changed: ansible true, tsplay false', 'second run changed: ansible true, tsplay false', 'f: ansible file 0644 0:0 "b = 2\\n"; tsplay file 0644 0:0 "# top'],
  },
  'symlink-path': {
    reason: 'the module replaces the link with a regular file (its target keeps the old content); tsplay refuses a symlinked path, as its other file modules do',
    differs: ['failed: ansible false (option changed), tsplay true (', 'changed: ansible true, tsplay false', 'f: ansible file 0644 0:0 "[a]\\nx = 2\\n"; tsplay link -> t'],
  },
};

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the ini_file differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('ini_file: the same outcome as community.general 6.6.2 (Ansible 7.7) in every case', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases, { snapshot: withBackupNames, snapshotSources: [fileURLToPath(import.meta.url)] });
    t.log(differentialSummary('ini_file', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    for (const o of outcomes) {
      const expected = DELIBERATE[o.name];
      if (expected === undefined) t.deepEqual(o.differences, [], o.name);
      else t.deepEqual(o.differences.map((d) => expected.differs.find((p) => d.startsWith(p)) ?? d), expected.differs, `${o.name}: ${expected.reason}`);
    }
    // The comparison is real: what Ansible did, as observed.
    t.true(by['add-option'].ansible.changed);
    t.false(by['add-option'].ansible.changed2);
    t.false(by['already-set'].ansible.changed);
    t.true(by['create-false-missing'].ansible.failed);
    t.regex(by['d3-bom'].ansible.tree.f, /"\u00ef\u00bb\u00bf\[drinks\]\\nfav = lemonade\\n"$/);
    t.false(by['d3-bom'].ansible.changed);
    t.regex(by['d4-section-with-spaces'].tsplay.tree.f, /"\[ foo \]\\nx = 1\\n"$/);
    t.regex(by['d5-exclusive-false-adds'].tsplay.tree.f, /"\[a\]\\nx = 1\\ny = 0\\nx = 2\\n"$/);
    t.regex(by['d6-absent-value-exclusive'].tsplay.tree.f, /"\[a\]\\ny = 0\\n"$/);
    t.false(by['d6-absent-not-exclusive-no-value'].ansible.changed);
    t.regex(by['value-true'].tsplay.tree.f, /enabled = True\\n"$/);
    t.true(by['spacing-rewritten'].ansible.changed);
    t.regex(by['new-file'].tsplay.tree.f, /"\\n\[drinks\]\\nfav = lemonade\\n"$/);
    t.true(by['latin1-change'].ansible.failed && by['latin1-change'].tsplay.failed);
    t.regex(by['values-exclusive'].tsplay.tree.f, /"\[a\]\\nx = 3\\nx = 2\\n"$/);
  });
}
