// The connection holder's own entry point (engine/connection/connection-holder.ts):
// bundled alone as dist/holder.mjs (bin/bundle.js), so that a holder starts
// without loading the rest of the engine (about 100 ms less than through the
// CLI's bundle). `tsplay hold-connections SOCKET` does the same.

import { runHolder } from './connection-holder.js';

const socketPath = process.argv[2];
if (!socketPath || process.argv.length !== 3) {
  console.error('usage: node dist/holder.mjs SOCKET (started by tsplay run, not by hand)');
  process.exit(5);
}
await runHolder(socketPath);
