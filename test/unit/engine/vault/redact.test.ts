// The redaction choke point (engine/vault/redact.ts): what is registered, what
// is replaced, and the reporter wrapper the runner puts before every reporter.

import test from 'ava';
import { REDACTED, clearSecrets, redactDeep, redactText, redactingReporter, registerSecret, registerSecretValues } from '../../../../engine/vault/redact.js';
import type { RunEvent } from '../../../../engine/report/events.js';

test.beforeEach(() => clearSecrets());

test.serial('texts: each occurrence replaced, longest first; lines of a multi-line secret too; short and punctuation-only lines not', (t) => {
  registerSecret('abc');
  registerSecret('abcdef');
  registerSecret('-----BEGIN KEY-----\nMIIEvQIBADANBg\n---\n}\n');
  const cases: Array<[string, string]> = [
    ['x abcdef y abc z', `x ${REDACTED} y ${REDACTED} z`],
    ['+MIIEvQIBADANBg', `+${REDACTED}`],
    ['--- before\n+++ after\n}', '--- before\n+++ after\n}'],
    ['regex chars (a.c) stay', 'regex chars (a.c) stay'],
    ['ab', 'ab'],
  ];
  for (const [input, want] of cases) t.is(redactText(input), want, input);
  registerSecret('no');
  t.is(redactText('no'), 'no');
});

test.serial('values of a vaulted file: strings and numbers, not keys; nested', (t) => {
  registerSecretValues({ user_name: 'dbadmin', port: 15432, nested: { list: ['tok-1', true, null] } });
  t.is(redactText('user_name=dbadmin port=15432 tok-1 true'), `user_name=${REDACTED} port=${REDACTED} ${REDACTED} true`);
  t.deepEqual(redactDeep({ a: 15432, b: ['dbadmin'], dbadmin: 1, c: 'x' }), { a: REDACTED, b: [REDACTED], [REDACTED]: 1, c: 'x' });
});

test.serial('the reporter wrapper: every event kind redacted before the reporter sees it; nothing registered, the event as it is', (t) => {
  const seen: RunEvent[] = [];
  const emit = redactingReporter((e) => seen.push(e));
  const ev: RunEvent = { kind: 'host_result', host: 'h', task: 't', status: 'failed', msg: 'bad s3cr3t-value', result: { stdout: 's3cr3t-value\n', cmd: ['echo', 's3cr3t-value'] }, diff: [{ path: '/f', before: '', after: 'pw=s3cr3t-value\n' }], durationMs: 1 };
  emit(ev);
  t.is(seen[0], ev);
  registerSecret('s3cr3t-value');
  emit(ev);
  emit({ kind: 'debug', host: 'h', task: 't', msg: { nested: ['s3cr3t-value'] } });
  emit({ kind: 'warning', msg: 'about s3cr3t-value' });
  t.false(JSON.stringify(seen.slice(1)).includes('s3cr3t-value'));
  t.deepEqual((seen[1] as { result: unknown }).result, { stdout: `${REDACTED}\n`, cmd: ['echo', REDACTED] });
  // The original event is not changed (a reporter may keep it; the runner keeps its own results).
  t.is(ev.msg, 'bad s3cr3t-value');
});
