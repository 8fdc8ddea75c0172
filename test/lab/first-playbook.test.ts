// README's "Your first playbook", run as written (issue 13): each command of
// its sh block, in order, with `tsplay` on the PATH as this checkout's. The
// --check --diff run must exit 0, show the banner's diff and predict exactly
// the changed counts of the real run; the real run changes and runs the
// handler; the third run changes nothing; the hosts hold what the site says.
// Runs whenever this machine can host a lab (labGate).

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labInfoOf, labStatus } from '../../engine/lab/index.js';
import { labSsh } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the README first playbook');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAB = 'first';

/** The commands of README's "Your first playbook" sh block. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Your first playbook\n')[1]?.split('\n## ')[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** Recap lines: host -> changed count. */
function changedByHost(out: string): Record<string, number> {
  const m: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const r = /^(\S+)\s+: ok=\d+\s+changed=(\d+)/.exec(line);
    if (r) m[r[1]] = Number(r[2]);
  }
  return m;
}

if (canHost) {
  const bin = mkdtempSync(join(tmpdir(), 'tsplay-first-bin-'));
  writeFileSync(join(bin, 'tsplay'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin', 'tsplay.js'))} "$@"\n`);
  chmodSync(join(bin, 'tsplay'), 0o755);

  test.before(async () => {
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
  });
  test.after.always(async () => {
    rmSync(bin, { recursive: true, force: true });
    if ((await labStatus()).some((l) => l.name === LAB) && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial("README's first playbook: --check --diff predicts the run, the run changes and reloads ssh, a rerun changes nothing", async (t) => {
    t.timeout(20 * 60_000);
    const cmds = readmeCommands();
    t.deepEqual(cmds.map((c) => c.split(' ').slice(0, 3).join(' ')), [
      'tsplay lab up', 'tsplay run playbooks/first-site/site.yml', 'tsplay run playbooks/first-site/site.yml', 'tsplay run playbooks/first-site/site.yml', 'tsplay lab down',
    ]);
    const outs: string[] = [];
    for (const [i, cmd] of cmds.entries()) {
      if (i === cmds.length - 1) break; // lab down: after the checks below
      const r = spawnSync('sh', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1' }, timeout: 15 * 60_000 });
      t.is(r.status, 0, `${cmd}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
      outs.push(r.stdout);
    }
    const [, check, run, rerun] = outs;
    t.true(check.includes('+++ after: /etc/issue.net') || check.includes('/etc/issue.net'), check.slice(-3000));
    t.regex(check, /\+Example Corp: first1/);
    const predicted = changedByHost(check);
    t.deepEqual(Object.keys(predicted).sort(), ['first1', 'first2']);
    t.true(predicted.first1 > 0 && predicted.first2 > 0, JSON.stringify(predicted));
    t.deepEqual(changedByHost(run), predicted, 'the real run changes what --check predicted');
    t.regex(run, /RUNNING HANDLER \[banner : reload ssh\]/);
    t.deepEqual(changedByHost(rerun), { first1: 0, first2: 0 });
    const info = labInfoOf(LAB);
    const issue1 = await labSsh(info, 'first1', 'cat /etc/issue.net');
    t.regex(issue1.stdout, /^Example Corp: first1\nAuthorized use only\.\nContact: web-team@example\.com\n$/m);
    const issue2 = await labSsh(info, 'first2', 'cat /etc/issue.net; grep ^Banner /etc/ssh/sshd_config; cat /srv/www/index.html 2>&1 || true');
    t.regex(issue2.stdout, /Database host: ask the DBA team before any change\.\n/);
    t.regex(issue2.stdout, /^Banner \/etc\/issue\.net$/m);
    t.regex(issue2.stdout, /No such file or directory/, 'first2 is not a web host');
    t.regex((await labSsh(info, 'first1', 'cat /srv/www/index.html')).stdout, /^Hello from first1 \(Debian 12/);
    const down = spawnSync('sh', ['-c', cmds[cmds.length - 1]], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    t.is(down.status, 0, down.stderr);
  });
}
