// Run the lab commands without the full CLI: node --import tsx engine/lab/main.ts up 3
import { runLabCommand } from './index.js';

process.exitCode = await runLabCommand(process.argv.slice(2));
