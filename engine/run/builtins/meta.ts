import type { BuiltinAction } from './builtin.js';

/** meta: end_play, end_host, clear_facts, clear_host_errors (flush_handlers is walked by the strategy). */
export const meta = (): BuiltinAction => ({
  name: 'meta',
  run(ctx, args) {
    const a = String(args.action);
    if (a === 'end_play' || a === 'end_host') {
      const who = a === 'end_play' ? ctx.playHosts : [ctx.host.name];
      for (const n of who) ctx.hostRun(n).ended = true;
    } else if (a === 'clear_facts') {
      ctx.host.facts = undefined;
      ctx.host.moduleFacts = undefined;
    } else if (a === 'clear_host_errors') {
      for (const n of ctx.playHosts) ctx.hostRun(n).failed = false;
    }
    return { status: 'ok', result: { changed: false, msg: `meta ${a}` } };
  },
});
