// How a test starts the tsplay command as a process of its own: the arguments
// after `node`.
//
// bin/tsplay.js (the bundle, as an operator runs tsplay) when the build is
// current: dist/tsplay.mjs newer than every source file under engine/ and
// modules/ (`npm test` builds first, so CI always runs the bundle). Else
// engine/cli/cli.ts through tsx, so that a test run right after an edit, with
// no build, still runs the edited code. A start through tsx costs 1.3-1.7 s of
// CPU (it compiles some 300 files), the bundle 0.2-0.3 s; the suite starts
// tsplay some hundreds of times on a two-core machine.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname ?? '', '..', '..');
const chosen = new Map<string, string[]>();

/** The newest modification time of a .ts file under `dir` (0 when there is none). */
function newestSource(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (f.endsWith('.ts')) newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
  }
  return newest;
}

/** Is the bundle of the tsplay tree at `root` newer than its sources? */
export function bundleIsCurrent(root = ROOT): boolean {
  const bundle = statSync(join(root, 'dist', 'tsplay.mjs'), { throwIfNoEntry: false });
  return bundle !== undefined && bundle.mtimeMs > Math.max(newestSource(join(root, 'engine')), newestSource(join(root, 'modules')));
}

/** `node` arguments that run the tsplay command of the tree at `root` (this checkout by default); decided once per tree. */
export function tsplayCommand(root = ROOT): string[] {
  let argv = chosen.get(root);
  if (!argv) {
    // tsx by its own path: a test may start tsplay in a directory of its own
    argv = bundleIsCurrent(root) ? [join(root, 'bin', 'tsplay.js')] : ['--import', import.meta.resolve('tsx'), join(root, 'engine', 'cli', 'cli.ts')];
    chosen.set(root, argv);
  }
  return argv;
}
