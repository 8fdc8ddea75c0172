// Installing tsplay as a user would (issue 13), into clean npm prefixes:
//   1. `npm install -g .` in a fresh copy of this checkout (its tracked files,
//      no node_modules, no dist/): the linked `tsplay` works (bin/prepare.js
//      installs the checkout's dependencies and compiles);
//   2. `npm pack` there, then `npm install -g tsplay-*.tgz` elsewhere: the
//      tarball holds the compiled engine (and no tests), the install builds
//      nothing and brings no development tools, and `tsplay` works.
// Needs the npm registry (as `npm ci` does) and a few minutes.

import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const base = mkdtempSync(join(tmpdir(), 'tsplay-install-'));
test.after.always(() => rmSync(base, { recursive: true, force: true }));

/** A fresh copy of the checkout: what git tracks, as the working tree has it. */
function freshCopy(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dest, f));
  }
}

function sh(cmd: string, args: string[], cwd: string): { code: number; out: string } {
  // Not this test run's npm settings (npm test sets npm_config_*): a user's shell has none.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  const r = spawnSync(cmd, args, { cwd, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 15 * 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test.serial('npm install -g . from a fresh checkout, then npm pack and npm install -g of the tarball: a working tsplay on the PATH', async (t) => {
  t.timeout(30 * 60_000);
  const src = join(base, 'src');
  freshCopy(src);
  t.false(existsSync(join(src, 'node_modules')));
  t.false(existsSync(join(src, 'dist')));

  const linked = join(base, 'prefix-linked');
  const r1 = sh('npm', ['install', '-g', '.', '--prefix', linked], src);
  t.is(r1.code, 0, r1.out.slice(-3000));
  const v1 = sh(join(linked, 'bin', 'tsplay'), ['--version'], base);
  t.is(v1.code, 0, v1.out);
  t.regex(v1.out, new RegExp(`^tsplay ${version.replaceAll('.', '\\.')}\\n`));
  const syntax1 = sh(join(linked, 'bin', 'tsplay'), ['run', join(src, 'playbooks', 'live-migration.yml'), '--syntax-check'], base);
  t.is(syntax1.code, 0, syntax1.out);

  const packed = sh('npm', ['pack', '--pack-destination', base], src);
  t.is(packed.code, 0, packed.out.slice(-3000));
  const tgz = readdirSync(base).find((f) => f.startsWith('tsplay-') && f.endsWith('.tgz'));
  t.truthy(tgz, packed.out.slice(-2000));
  const listing = execFileSync('tar', ['tzf', join(base, tgz!)], { encoding: 'utf8' }).split('\n');
  t.true(listing.includes('package/dist/engine/cli/cli.js'), 'the compiled engine is in the tarball');
  t.true(listing.includes('package/dist/tsplay.mjs'), "the CLI's bundle is in the tarball");
  t.true(listing.includes('package/dist/modules/apt.js'), 'the compiled modules are in the tarball');
  t.true(listing.includes('package/schemas/inventory.schema.json'));
  t.true(listing.includes('package/playbooks/live-migration.yml'));
  t.false(listing.some((f) => f.startsWith('package/dist/test/') || f.startsWith('package/test/')), 'no tests in the tarball');

  const installed = join(base, 'prefix-tgz');
  const elsewhere = join(base, 'elsewhere');
  mkdirSync(elsewhere);
  const r2 = sh('npm', ['install', '-g', join(base, tgz!), '--prefix', installed], elsewhere);
  t.is(r2.code, 0, r2.out.slice(-3000));
  const pkg = join(installed, 'lib', 'node_modules', 'tsplay');
  t.false(existsSync(join(pkg, 'node_modules', 'typescript')), 'no development tools installed');
  t.false(existsSync(join(pkg, 'dist', 'test')));
  const v2 = sh(join(installed, 'bin', 'tsplay'), ['--version'], elsewhere);
  t.is(v2.code, 0, v2.out);
  t.regex(v2.out, new RegExp(`^tsplay ${version.replaceAll('.', '\\.')}\\n`));
  const tasks = sh(join(installed, 'bin', 'tsplay'), ['run', join(pkg, 'playbooks', 'live-migration.yml'), '--list-tasks'], elsewhere);
  t.is(tasks.code, 0, tasks.out);
  t.regex(tasks.out, /^playbook: .*live-migration\.yml$/m);
  t.regex(tasks.out, /^ {6}\S.*\tTAGS: \[/m);
});
