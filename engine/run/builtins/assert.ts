import { toText } from '../../template/expression.js';
import type { BuiltinAction } from './builtin.js';

/** assert: every condition in `that` holds, or the task fails naming the first that does not. */
export const assert = (): BuiltinAction => ({
  name: 'assert',
  run(ctx, args) {
    const conds = (Array.isArray(args.that) ? args.that : [args.that]) as Array<string | boolean>;
    for (const c of conds) {
      if (!ctx.condition([c], ctx.vars)) {
        return { status: 'failed', result: { failed: true, changed: false, assertion: c, msg: toText(args.fail_msg ?? args.msg ?? `Assertion failed: ${toText(c)}`) } };
      }
    }
    return { status: 'ok', result: { changed: false, msg: toText(args.success_msg ?? 'All assertions passed') } };
  },
});
