// Fact `git_checkout`: the script run for real on repositories this test makes
// (no git, no dest, an empty dir, a clone, a modified one, a detached HEAD, a
// bare one), and predictions (an earlier git task's HEAD) -> predicted state.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitCheckout, gitCheckoutSnippet, parseGitCheckout } from '../../../../engine/facts/git-checkout.js';
import type { GitCheckout, GitCheckoutArg } from '../../../../engine/facts/git-checkout.js';
import { out, parseRows, predictRow } from './table-reader.js';

const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x.invalid', GIT_AUTHOR_DATE: '2020-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z' };
const sh = (cwd: string, script: string): string => execFileSync('sh', ['-c', script], { cwd, env: ENV, encoding: 'utf8' }).trim();
const read = (a: Partial<GitCheckoutArg> & { dest: string }): GitCheckout =>
  parseGitCheckout(execFileSync('/bin/sh', ['-c', gitCheckoutSnippet({ git: 'git', bare: false, remote: 'origin', version: 'HEAD', ...a })], { encoding: 'utf8' }));

test('git_checkout: the script, run for real, reads what the git module decides from', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'tsplay-gitfact-'));
  try {
    sh(d, 'git init -q -b main src && cd src && echo a > a && git add a && git commit -qm one && git tag v1 && echo b > b && git add b && git commit -qm two');
    const sha1 = sh(d, 'git -C src rev-parse v1');
    const sha2 = sh(d, 'git -C src rev-parse main');
    sh(d, `git clone -q file://${d}/src c && git clone -q --bare file://${d}/src bare.git`);

    const none = read({ dest: join(d, 'nope') });
    t.like(none, { destExists: false, repo: false, gitFile: false });
    t.regex(none.git, /\/git$/);
    t.true(none.path.length > 0);
    t.is(read({ dest: d, git: '/nonexistent/git' }).git, '', 'an executable that is not there');
    t.is(read({ dest: join(d, 'nope'), git: 'no-such-git-program' }).git, '', 'a name not in PATH');
    mkdirSync(join(d, 'empty'));
    t.like(read({ dest: join(d, 'empty') }), { destExists: true, destNonEmpty: false, repo: false });
    t.like(read({ dest: join(d, 'src') }), { destExists: true, destNonEmpty: true, repo: true });

    const c = read({ dest: join(d, 'c'), version: 'v1' });
    t.like(c, { repo: true, before: sha2, localMods: false, remoteUrl: `file://${d}/src`, head: 'ref: refs/heads/main', remoteHead: 'ref: refs/remotes/origin/main', versionLocal: sha1, gitmodules: false });
    t.true(c.branches?.includes('* main'));
    t.true(c.branches?.some((b) => b.startsWith('remotes/origin/HEAD')));

    writeFileSync(join(d, 'c', 'extra'), 'untracked\n');
    t.is(read({ dest: join(d, 'c') }).localMods, false, 'untracked files are not local modifications');
    writeFileSync(join(d, 'c', 'a'), 'changed\n');
    t.is(read({ dest: join(d, 'c') }).localMods, true);
    sh(d, 'cd c && git checkout -q -- a && git checkout -q v1');
    const detached = read({ dest: join(d, 'c'), version: 'nope' });
    t.like(detached, { before: sha1, head: sha1 });
    t.is(detached.versionLocal, undefined);
    t.true(detached.branches?.some((b) => b.startsWith('* (HEAD detached at')));
    t.like(read({ dest: join(d, 'c'), remote: 'upstream' }), { remoteUrl: 'upstream' }, 'git ls-remote --get-url answers the name of an unknown remote');

    t.like(read({ dest: join(d, 'bare.git'), bare: true }), { repo: true, before: sha2, head: 'ref: refs/heads/main' });
    writeFileSync(join(d, 'gitfile'), '');
    mkdirSync(join(d, 'sep'));
    writeFileSync(join(d, 'sep', '.git'), `gitdir: ${d}/bare.git\n`);
    t.like(read({ dest: join(d, 'sep') }), { gitFile: true, repo: false });
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('git_checkout: parse reads key=value lines', (t) => {
  t.deepEqual(parseRows(gitCheckout, [{ git: 'git', dest: '/x', bare: false, remote: 'origin', version: 'HEAD' }], [out('git=\npath=/usr/bin:/bin\n')]), [
    { git: '', path: '/usr/bin:/bin', destExists: false, destNonEmpty: false, gitFile: false, repo: false },
  ]);
  t.like(parseGitCheckout('git=/usr/bin/git\npath=/bin\nexists=1\nnonempty=1\nrepo=1\nbefore=HEAD\nurl_failed=1\nhead=ref: refs/heads/main\n'), {
    repo: true, before: 'HEAD', remoteUrl: null, localMods: false, branches: [], gitmodules: false,
  }, 'an empty repository (no commit): rev-parse prints HEAD, as Ansible takes it');
});

const S1 = '1'.repeat(40);
const arg: GitCheckoutArg = { git: 'git', dest: '/opt/app', bare: false, remote: 'origin', version: 'HEAD' };
const empty: GitCheckout = { git: '/usr/bin/git', path: '/usr/bin', destExists: false, destNonEmpty: false, gitFile: false, repo: false };

test('git_checkout: an earlier git task\'s predicted checkout is a repository at its commit', async (t) => {
  const branch = await predictRow(gitCheckout, arg, empty, [[
    { kind: 'file', path: '/opt/app', state: 'directory' },
    { kind: 'file', path: '/opt/app/.git/HEAD', state: 'file', content: Buffer.from('ref: refs/heads/main\n') },
    { kind: 'file', path: '/opt/app/.git/refs/heads/main', state: 'file', content: Buffer.from(`${S1}\n`) },
  ]]);
  t.like(branch, { repo: true, destExists: true, before: S1, localMods: false, head: 'ref: refs/heads/main', branches: ['* main'], versionLocal: S1, predicted: true });
  t.is(branch.remoteUrl, undefined, 'the URL is not predicted');
  const tag = await predictRow(gitCheckout, { ...arg, version: S1.slice(0, 7) }, empty, [[
    { kind: 'file', path: '/opt/app/.git/HEAD', state: 'file', content: Buffer.from(`${S1}\n`) },
  ]]);
  t.like(tag, { repo: true, before: S1, head: S1 });
  t.deepEqual(await predictRow(gitCheckout, arg, empty, [[{ kind: 'file', path: '/opt/other/.git/HEAD', state: 'file', content: Buffer.from(`${S1}\n`) }]]), empty, 'another checkout: unchanged');
});
