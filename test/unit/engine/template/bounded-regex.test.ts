// Regexp matching cannot stall a run (issue 8): a pathological regexp either
// runs in V8's linear-time engine or fails within the time limit, naming itself,
// in every place a playbook's regexp is matched.

import test from 'ava';
import { boundedRegex, isLinear, REGEX_TIME_LIMIT_MS, RegexTimeLimitError } from '../../../../engine/template/bounded-regex.js';
import { evaluateCondition, ExpressionError } from '../../../../engine/template/expression.js';
import { renderString, TemplateError } from '../../../../engine/template/template.js';
import { inventoryFromText, selectHosts } from '../../../../engine/inventory/inventory.js';
import lineinfile from '../../../../modules/lineinfile.js';
import type { Facts, FileState } from '../../../../engine/module-api.js';

// 39 a's and a "!": V8's backtracking engine needs about 2^39 steps on /^(a+)+$/
// (0.56 s at 26 characters on the project machine, doubling per character).
const LINE = 'a'.repeat(39) + '!';
// Generous: a linear match takes microseconds, a bounded one stops at the limit.
// Loaded machines (several test runs on 2 cores) stretch wall time: linear matches are judged by CPU time.
const FAST_MS = 1000;
const BOUNDED_MS = REGEX_TIME_LIMIT_MS + 2000;

/** Wall time (the time limit is wall time) and this process's CPU time (what a linear match costs, whatever the load). */
function timed<T>(fn: () => T): { value?: T; error?: Error; ms: number; cpuMs: number } {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const done = () => {
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
  };
  try {
    const value = fn();
    return { value, ...done() };
  } catch (e) {
    return { error: e as Error, ...done() };
  }
}

const facts = { hostname: 'h', os_id: 'debian', os_version: '12', architecture: 'x86_64', service_mgr: 'systemd', kvm: false, virtualization_hints: [] } as Facts;

function planLineinfile(args: Record<string, unknown>, content: string) {
  const state: FileState = { path: '/etc/x', exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', content: Buffer.from(content) };
  const full = { state: 'present', create: false, backup: false, firstmatch: false, backrefs: false, path: '/etc/x', ...args };
  return lineinfile.plan(full as never, state, { diff: true, facts });
}

test('V8 says which regexps its linear engine runs', (t) => {
  t.true(isLinear(/^(a+)+$/));
  t.true(isLinear(/^(a+)+$/gm));
  t.false(isLinear(/^(a+)+\1$/), 'backreference');
  t.false(isLinear(/(?=a)/), 'lookahead');
  t.false(isLinear(/^(a+)+$/i), 'ignore-case');
});

test('lineinfile: a backtracking regexp on a 40-character line finishes at once, with the right answer', (t) => {
  const r = timed(() => planLineinfile({ regexp: '^(a+)+$', line: 'x=1' }, `${LINE}\n`));
  t.falsy(r.error);
  t.true(r.cpuMs < FAST_MS, `took ${r.cpuMs} ms of CPU`);
  t.like(r.value, { changed: true, summary: '/etc/x: line added at end of file' });
});

test('lineinfile: a regexp the linear engine cannot run fails within the limit and names itself', (t) => {
  for (const regexp of ['(?i)^(a+)+$', '^(a+)+\\1$', '^(?=(a+)+$)']) {
    const r = timed(() => planLineinfile({ regexp, line: 'x=1' }, `ok\n${LINE}\n`));
    t.true(r.ms < BOUNDED_MS, `${regexp}: took ${r.ms} ms`);
    t.truthy(r.error, regexp);
    t.is(r.error!.name, 'ModuleError');
    t.regex(r.error!.message, /regexp .* did not finish matching within 1 s/);
    t.true(r.error!.message.startsWith(`regexp ${JSON.stringify(regexp)} did not finish`), r.error!.message);
  }
  // insertafter / insertbefore too
  const r = timed(() => planLineinfile({ insertafter: '(?i)^(a+)+$', line: 'x=1' }, `${LINE}\n`));
  t.true(r.ms < BOUNDED_MS);
  t.true((r.error?.message ?? '').startsWith('insertafter "(?i)^(a+)+$" did not finish matching'), r.error?.message);
});

test('lineinfile: bounded regexps still match and expand backreferences', (t) => {
  const plan = planLineinfile({ regexp: '(?i)^(listen)=(\\d)$', line: '\\1=9', backrefs: true }, 'LISTEN=1\n');
  t.like(plan, { changed: true });
  t.deepEqual((plan as { diff: unknown[] }).diff, [{ path: '/etc/x', before: 'LISTEN=1\n', after: 'LISTEN=9\n' }]);
});

test('expressions: match/search/regex tests and regex filters cannot stall', (t) => {
  const vars = { s: LINE };
  for (const cond of ["s is match('(a+)+$')", "s is search('^(a+)+$')", "s is regex('^(a+)+$')", "s | regex_search('^(a+)+$') is none",
    "s | regex_replace('^(a+)+$', 'x') == s"]) {
    const r = timed(() => evaluateCondition(cond, vars));
    t.true(r.cpuMs < FAST_MS, `${cond}: took ${r.cpuMs} ms of CPU`);
    t.falsy(r.error, cond);
    t.true(r.value === true || r.value === false, cond);
  }
  t.false(evaluateCondition("s is match('(a+)+$')", vars));
  t.true(evaluateCondition("s | regex_replace('^(a+)+$', 'x') == s", vars));
  for (const cond of ["s is search('^(a+)+\\\\1$')", "s is match('(?=(a+)+$)')", "s | regex_search('(a+)+(?<=b)$')", "s | regex_replace('(a+)+\\\\1$', '') == ''"]) {
    const r = timed(() => evaluateCondition(cond, vars));
    t.true(r.ms < BOUNDED_MS, `${cond}: took ${r.ms} ms`);
    t.true(r.error instanceof ExpressionError, `${cond}: ${r.error}`);
    t.regex(r.error!.message, /did not finish matching within 1 s/);
  }
  // Bounded but quick: the right answers.
  t.true(evaluateCondition("'abab' is match('(ab)\\\\1')", {}));
  t.is(evaluateCondition("'foo.bar' | regex_replace('(?<=o)\\\\.', '-') == 'foo-bar'", {}), true);
});

test('handlebars match helper cannot stall', (t) => {
  const fast = timed(() => renderString('{{match s "^(a+)+$"}}', { s: LINE }));
  t.true(fast.cpuMs < FAST_MS, `took ${fast.cpuMs} ms of CPU`);
  t.is(fast.value, false);
  const slow = timed(() => renderString('{{match s "^(a+)+\\1$"}}', { s: LINE }));
  t.true(slow.ms < BOUNDED_MS, `took ${slow.ms} ms`);
  t.true(slow.error instanceof TemplateError, String(slow.error));
  t.regex(slow.error!.message, /did not finish matching/);
});

test('~regex host patterns cannot stall', (t) => {
  const inv = inventoryFromText(`all:\n  hosts:\n    ${LINE.replace('!', 'b')}:\n    web1:\n`, 'inv.yml');
  const fast = timed(() => selectHosts(inv, '~(a+)+$'));
  t.true(fast.cpuMs < FAST_MS, `took ${fast.cpuMs} ms of CPU`);
  t.deepEqual(fast.value, []);
  const slow = timed(() => selectHosts(inv, '~(a+)+\\1$'));
  t.true(slow.ms < BOUNDED_MS, `took ${slow.ms} ms`);
  t.regex(slow.error?.message ?? '', /did not finish matching/);
});

test('boundedRegex returns the value and passes other errors through', (t) => {
  t.deepEqual(boundedRegex(/(a)\1/, () => /(a)\1/.exec('aa')?.[0]), 'aa');
  t.throws(() => boundedRegex(/(a)\1/, () => { throw new TypeError('boom'); }), { instanceOf: TypeError, message: 'boom' });
  const e = t.throws(() => boundedRegex(/^(a+)+\1$/, () => /^(a+)+\1$/.exec(LINE), 'search "x"', 100), { instanceOf: RegexTimeLimitError });
  t.is(e.label, 'search "x"');
});

test('ini_file: a 100,000-character line of blanks does not make the option regexps crawl', async (t) => {
  const ini = (await import('../../../../modules/ini_file.js')).default;
  // Quadratic in the backtracking engine: 2.4 s at 40,000 characters here, 8 s of CPU per match at 100,000.
  const content = `[s]\nfoo =${' '.repeat(50000)}x${' '.repeat(50000)}!\t\n`;
  const state: FileState = { path: '/etc/x.ini', exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', content: Buffer.from(content) };
  const args = { path: '/etc/x.ini', section: 's', option: 'foo', value: '1', state: 'present', create: false, backup: false, no_extra_spaces: false, allow_no_value: false, exclusive: true };
  const r = timed(() => ini.plan(args as never, state as never, { diff: true, facts }));
  t.falsy(r.error);
  // Measured: about 200 ms of CPU per match of the long line in the linear engine, 8 s in the backtracking one.
  t.true(r.cpuMs < 3000, `took ${r.cpuMs} ms of CPU`);
  t.like(r.value, { changed: true });
});
