// cron with cron_file under Ansible 2.14 (ansible-playbook, local connection)
// and under tsplay, on fresh copies of the same files
// (test/helpers/module-differential.ts): the same file afterwards, the same
// changed/failed flags, the same second run, and tsplay's --check predicting its
// own run. Every case runs against the real Ansible on this machine; only
// cron_file paths inside the case's directory are used (never this machine's
// crontabs). Cases follow Ansible's integration tests (targets/cron).

import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';

const managed = '#Ansible: backup\n0 2 * * * root /usr/local/bin/backup\n';
const mixed = 'SHELL=/bin/sh\nPATH="/usr/bin"\n# a comment\n*/5 * * * * root /usr/bin/poll\n#Ansible: backup\n0 2 * * * root /usr/local/bin/backup\n';
const cf = (extra: Record<string, unknown>) => ({ cron: { cron_file: '@DIR@/x', user: 'root', ...extra } });

const cases: DiffCase[] = [
  { name: 'new-file', task: cf({ name: 'backup', minute: '0', hour: '2', job: '/usr/local/bin/backup' }) },
  { name: 'already', files: { x: managed }, task: cf({ name: 'backup', minute: '0', hour: '2', job: '/usr/local/bin/backup' }) },
  { name: 'update-schedule', files: { x: mixed }, task: cf({ name: 'backup', minute: '30', hour: '3', job: '/usr/local/bin/backup' }) },
  { name: 'add-second', files: { x: managed }, task: cf({ name: 'rotate', special_time: 'daily', job: '/usr/sbin/logrotate' }) },
  { name: 'special-reboot', task: cf({ name: 'boot', special_time: 'reboot', job: '/usr/local/bin/on-boot' }) },
  { name: 'disabled', files: { x: managed }, task: cf({ name: 'backup', minute: '0', hour: '2', job: '/usr/local/bin/backup', disabled: true }) },
  { name: 'adopt-unmanaged', files: { x: 'MAILTO=""\n*/5 * * * * root /usr/bin/poll\n' }, task: cf({ name: 'poll', minute: '*/5', job: '/usr/bin/poll' }) },
  { name: 'adopt-first-line', files: { x: '*/5 * * * * root /usr/bin/poll\n' }, task: cf({ name: 'poll', minute: '*/5', job: '/usr/bin/poll' }) },
  { name: 'remove', files: { x: mixed }, task: cf({ name: 'backup', state: 'absent' }) },
  { name: 'remove-last-deletes-file', files: { x: managed }, task: cf({ name: 'backup', state: 'absent' }) },
  { name: 'remove-missing', files: { x: mixed }, task: cf({ name: 'nothing', state: 'absent' }) },
  { name: 'remove-no-file', task: cf({ name: 'backup', state: 'absent' }) },
  { name: 'no-final-newline', files: { x: managed.trimEnd() }, task: cf({ name: 'backup', minute: '0', hour: '2', job: '/usr/local/bin/backup' }) },
  { name: 'dom-dow-aliases', task: cf({ name: 'w', minute: '0', hour: '4', dom: '1', month: '*/2', dow: '1-5', job: 'true' }) },
  { name: 'job-with-newlines', task: cf({ name: 'nl', job: '\n/bin/true\n' }) },
  { name: 'env-add', files: { x: mixed }, task: cf({ name: 'MAILTO', env: true, job: 'ops@example.com' }) },
  { name: 'env-update', files: { x: mixed }, task: cf({ name: 'PATH', env: true, job: '/usr/local/bin:/usr/bin' }) },
  { name: 'env-same', files: { x: mixed }, task: cf({ name: 'PATH', env: true, job: '/usr/bin' }) },
  { name: 'env-insertafter', files: { x: mixed }, task: cf({ name: 'MAILTO', env: true, job: 'x', insertafter: 'PATH' }) },
  { name: 'env-insertbefore', files: { x: mixed }, task: cf({ name: 'MAILTO', env: true, job: 'x', insertbefore: 'PATH' }) },
  { name: 'env-insert-missing', files: { x: mixed }, task: cf({ name: 'MAILTO', env: true, job: 'x', insertafter: 'NOPE' }) },
  { name: 'env-remove', files: { x: mixed }, task: cf({ name: 'SHELL', env: true, state: 'absent' }) },
  { name: 'no-user', task: { cron: { cron_file: '@DIR@/x', name: 'a', job: 'true' } } },
  { name: 'no-job', task: cf({ name: 'a' }) },
  { name: 'special-and-fields', task: cf({ name: 'a', job: 'true', special_time: 'daily', hour: '2' }) },
  { name: 'insertafter-without-env', task: cf({ name: 'a', job: 'true', insertafter: 'PATH' }) },
  { name: 'keeps-mode', files: { x: { content: managed, mode: 0o600 } }, task: cf({ name: 'n', job: 'true' }) },
  { name: 'two-markers-same-name', files: { x: '#Ansible: a\n1 * * * * root x\n#Ansible: a\n2 * * * * root y\n' }, task: cf({ name: 'a', minute: '3', job: 'z' }) },
];

// Ansible's cron looks for a crontab program even with cron_file (which it never
// runs then), and this machine has none: a stub that fails if it ever runs is put
// first on PATH, so no crontab of this machine can be read or changed.
const stubDir = mkdtempSync(join(tmpdir(), 'tsplay-crontab-stub-'));
writeFileSync(join(stubDir, 'crontab'), '#!/bin/sh\necho "crontab stub: must not run in the cron_file differential" >&2\nexit 2\n');
chmodSync(join(stubDir, 'crontab'), 0o755);
process.env.PATH = `${stubDir}:${process.env.PATH ?? ''}`;
test.after.always(() => rmSync(stubDir, { recursive: true, force: true }));

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the cron differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('cron (cron_file): the same outcome as Ansible 2.14 in every case', async (t) => {
    t.timeout(15 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('cron', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name}: ${o.differences.join('; ')}`), []);
    // the comparison is real: these cases change, fail or leave the file as Ansible does
    t.true(by['new-file'].ansible.changed);
    t.false(by.already.tsplay.changed);
    t.true(by['no-user'].tsplay.failed);
    t.regex(by['new-file'].tsplay.tree.x, /"#Ansible: backup\\n0 2 \* \* \* root \/usr\/local\/bin\/backup\\n"$/);
    t.false('x' in by['remove-last-deletes-file'].tsplay.tree);
  });
}
