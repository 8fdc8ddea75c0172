// `omit` (engine/run/omit.ts): the per-run placeholder, and options rendered
// to it removed from a task's arguments as Ansible 2.14 removes them.

import test from 'ava';
import { omitPlaceholder, removeOmitted } from '../../../../engine/run/omit.js';
import { renderDeep } from '../../../../engine/template/template.js';
import { buildVars } from '../../../../engine/template/vars.js';

const OMIT = omitPlaceholder();

test('the placeholder is Ansible-shaped and new for each run', (t) => {
  t.regex(OMIT, /^__omit_place_holder__[0-9a-f]{40}$/);
  t.not(omitPlaceholder(), OMIT);
});

test('an option whose value is the placeholder is removed; others stay as they are', (t) => {
  t.deepEqual(removeOmitted({ path: '/x', mode: OMIT, owner: '', force: false, n: 0 }, OMIT), { path: '/x', owner: '', force: false, n: 0 });
});

test('a value that merely contains the placeholder is not an omitted option', (t) => {
  t.deepEqual(removeOmitted({ msg: `a ${OMIT}` }, OMIT), { msg: `a ${OMIT}` });
});

test('sub-options are removed at every depth, also in dicts inside lists; a list item itself stays', (t) => {
  const args = { a: { b: OMIT, c: 1, d: { e: OMIT, f: 2 } }, rules: [{ port: 22, proto: OMIT }, OMIT, 'x'] };
  t.deepEqual(removeOmitted(args, OMIT), { a: { c: 1, d: { f: 2 } }, rules: [{ port: 22 }, OMIT, 'x'] });
  // The input is not changed.
  t.is((args.a as Record<string, unknown>).b, OMIT);
});

test('default(omit) renders the placeholder when the variable is undefined, the value otherwise', (t) => {
  const vars = buildVars([{ omit: OMIT, m: '0644' }]);
  const args = renderDeep({ mode: '{{ m | default(omit) }}', owner: '{{ nobody | default(omit) }}', group: '{{ omit }}' }, vars) as Record<string, unknown>;
  t.deepEqual(removeOmitted(args, OMIT), { mode: '0644' });
});
