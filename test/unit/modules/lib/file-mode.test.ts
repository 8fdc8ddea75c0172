import test from 'ava';
import {
  applySymbolicMode, formatMode, isOctalMode, normalizeSymbolicMode, parseOctalMode, parseSymbolicMode, resolveMode,
} from '../../../../modules/lib/file-mode.js';

const sym = (spec: string, cur: number, dir = false) => formatMode(applySymbolicMode(spec, cur, dir));

test('octal strings and YAML integers', (t) => {
  t.is(resolveMode('0644', '0600', false), '0644');
  t.is(resolveMode('644', undefined, false), '0644');
  t.is(resolveMode('1777', '0755', true), '1777');
  t.is(resolveMode(420, '0600', false), '0644'); // YAML 1.1 `mode: 0644` arrives as 420
  t.is(resolveMode(0o755, undefined, true), '0755');
  t.true(isOctalMode('0750'));
  t.false(isOctalMode('u+x'));
  t.throws(() => parseOctalMode(0o10000));
  t.throws(() => parseOctalMode('0898'));
});

test('the guide: chmod o+x on the instances directory', (t) => {
  t.is(sym('o+x', 0o755, true), '0755');
  t.is(sym('o+x', 0o750, true), '0751');
});

test('= sets exactly the named classes', (t) => {
  t.is(sym('u=rwx,g=rx,o=', 0o666), '0750');
  t.is(sym('u=rw,g=r,o=r', 0o777), '0644');
  t.is(sym('go=', 0o755), '0700');
  t.is(sym('a=r', 0o777), '0444');
});

test('+ and - on several classes', (t) => {
  t.is(sym('a-w', 0o666), '0444');
  t.is(sym('ug+w,o-r', 0o444), '0660');
  t.is(sym('u+x,g-r', 0o644), '0704');
  t.is(sym('+x', 0o644), '0755'); // no who: all classes, umask ignored
});

test('X: execute only for directories or files already executable by someone', (t) => {
  t.is(sym('a+X', 0o644, false), '0644');
  t.is(sym('a+X', 0o644, true), '0755');
  t.is(sym('a+X', 0o744, false), '0755');
  t.is(sym('u=rwX,go=rX', 0o600, true), '0755');
  t.is(sym('u=rwX,go=rX', 0o600, false), '0644');
  // evaluated against the mode as the clauses so far left it
  t.is(sym('u+x,g+X', 0o644, false), '0754');
});

test('setuid, setgid and sticky bits', (t) => {
  t.is(sym('u+s', 0o755), '4755');
  t.is(sym('g+s', 0o755, true), '2755');
  t.is(sym('+t', 0o777, true), '1777');
  t.is(sym('o+t', 0o777, true), '1777');
  t.is(sym('u+t', 0o777, true), '0777'); // t only means something for o/a
  t.is(sym('g=rx', 0o2775, true), '0755'); // = clears that class's special bit
  t.is(sym('a-s', 0o6755), '0755');
});

test('copying another class: g=u, o=g', (t) => {
  t.is(sym('g=u', 0o741), '0771');
  t.is(sym('o=g', 0o750), '0755');
  t.is(sym('g+o', 0o705), '0755');
});

test('several actions in one clause', (t) => {
  t.is(sym('u=rw+x', 0o000), '0700');
  t.is(sym('go-w+r', 0o622), '0644');
});

test('symbolic against a missing file uses the new-file base', (t) => {
  t.is(resolveMode('g+w', undefined, false), '0664');
  t.is(resolveMode('g+w', undefined, true), '0775');
  t.is(resolveMode('o-rx', undefined, true), '0750');
});

test('syntax errors are reported, not guessed', (t) => {
  for (const bad of ['u+q', 'rwxr-xr-x', '', 'u+x,,g+x']) t.throws(() => parseSymbolicMode(bad), undefined, bad);
  t.throws(() => parseOctalMode('0999'));
  t.notThrows(() => parseSymbolicMode('u=rwx,g=rx,o='));
  t.notThrows(() => parseOctalMode('0644'));
});

test('normalized symbolic modes name their classes (chmod would apply its umask to "+w")', (t) => {
  t.is(normalizeSymbolicMode('+w'), 'a+w');
  t.is(normalizeSymbolicMode('u=rwX,go=rX'), 'u=rwX,go=rX');
  t.is(normalizeSymbolicMode('ugo+x,g=u'), 'a+x,g=u');
});
