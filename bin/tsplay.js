#!/usr/bin/env node
// The tsplay command. Runs the engine's bundle, dist/tsplay.mjs (npm ci and
// npm run build write it; bin/bundle.js says why). Where tsc alone has
// compiled the engine since (dist/engine/ is newer than the bundle), it runs
// the compiled files instead, so that a stale bundle never runs.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/tsplay.mjs', import.meta.url);
const compiled = new URL('../dist/engine/cli/cli.js', import.meta.url);
const mtime = (url) => statSync(fileURLToPath(url), { throwIfNoEntry: false })?.mtimeMs;
const [bundleTime, compiledTime] = [mtime(bundle), mtime(compiled)];
if (bundleTime === undefined && compiledTime === undefined) {
  console.error('tsplay: dist/ is missing; run `npm ci` or `npm run build` in the tsplay checkout first');
  process.exit(1);
}
const cli = bundleTime !== undefined && (compiledTime === undefined || bundleTime >= compiledTime) ? bundle : compiled;
const { main } = await import(cli.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// If some handle keeps the event loop alive after the run, do not hang: exit.
setTimeout(() => process.exit(code), 3000).unref();
