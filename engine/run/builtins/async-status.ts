import { jobStatus } from '../async-job.js';
import type { BuiltinAction } from './builtin.js';

/** async_status: a poll: 0 job's state on this host (engine/run/async-job.ts): running, or its result with finished 1. */
export const asyncStatus = (): BuiltinAction => ({
  name: 'async_status',
  run: (ctx, args) => jobStatus(ctx.host, String(args.jid), args.mode === 'cleanup' ? 'cleanup' : 'status'),
});
