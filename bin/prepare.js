#!/usr/bin/env node
// npm's `prepare`: compile the engine into dist/ (the `tsplay` command runs it).
// `npm ci` in a checkout runs it after installing everything. `npm install -g .`
// from a fresh clone runs it too, but links the checkout without installing its
// dependencies: then this installs them (npm ci, from package-lock.json) before
// compiling, so the linked `tsplay` works. `npm pack` runs it before packing,
// so the tarball holds dist/ and installing it builds nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Not the outer install's settings (global, its prefix): this installs into the checkout.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|prefix|location)$/i.test(k)));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(`${root}/node_modules/typescript/bin/tsc`)) {
  console.error('tsplay: installing its dependencies in the checkout (npm ci), then compiling');
  run('npm', ['ci', '--ignore-scripts', '--include=dev', '--no-audit', '--no-fund']);
}
run(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json']);
// tsplay's own schemas, precompiled (engine/load/own-validators.ts): a run then compiles none of them.
run(process.execPath, [`${root}/dist/engine/load/build-validators.js`]);
// The CLI and the engine in one file, dist/tsplay.mjs (bin/bundle.js says why).
run(process.execPath, [`${root}/bin/bundle.js`]);
