#!/usr/bin/env node
// The build's last step: the compiled CLI (dist/engine/cli/cli.js), the engine
// and the built-in modules it imports, and their pure-JavaScript dependencies,
// in one file, dist/tsplay.mjs, which bin/tsplay.js runs; and the connection
// holder's entry alone in dist/holder.mjs (engine/connection/held-connection.ts).
//
// Why: Node 20 resolves, reads and compiles each ES module file on its own.
// The CLI imports about 230 of them, and that cost 150 to 250 ms of every
// run's start, a fifth of a rerun of the bundled job that changes nothing.
// One file cuts most of it. esbuild (already under tsx) does the bundling.
//
// ssh2 (and node-ssh, which requires it) stay outside: ssh2 loads its native
// crypto binding from a path relative to its own files. ajv is required only
// where a schema was not precompiled (engine/load/own-validators.ts), and
// user modules from library/ are imported at run time: neither is bundled.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * esbuild escapes every non-ASCII character of the code (its default charset),
 * but keeps the comments it keeps as they are: one `…` in a comment made Node
 * decode the whole 1.6 MB bundle into a two-byte string (16 ms against 6 ms at
 * each start, and twice the memory). Those characters, in comments only, become
 * \\u escapes.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return;
  // eslint-disable-next-line no-control-regex
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['ssh2', 'node-ssh', 'cpu-features'],
  // The CommonJS packages inside (handlebars) call require() for Node's own modules.
  banner: { js: "import { createRequire as __tsplayRequire } from 'node:module'; const require = __tsplayRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...common, entryPoints: [`${root}dist/engine/cli/cli.js`], outfile: `${root}dist/tsplay.mjs` });
asciiOnly(`${root}dist/tsplay.mjs`);
// The connection holder alone (engine/connection/holder-main.ts): it starts in front of a
// run that waits for it, so it loads only what it needs.
await build({ ...common, entryPoints: [`${root}dist/engine/connection/holder-main.js`], outfile: `${root}dist/holder.mjs` });
asciiOnly(`${root}dist/holder.mjs`);
