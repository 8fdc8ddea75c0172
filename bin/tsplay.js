#!/usr/bin/env node
// The tsplay command. Runs the compiled engine (npm ci / npm run build make dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/engine/cli/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('tsplay: dist/ is missing; run `npm ci` or `npm run build` in the tsplay checkout first');
  process.exit(1);
}
const { main } = await import(cli.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// If some handle keeps the event loop alive after the run, do not hang: exit.
setTimeout(() => process.exit(code), 3000).unref();
