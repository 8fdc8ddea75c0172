import { toText } from '../../template/expression.js';
import type { BuiltinAction } from './builtin.js';

/** fail: fail the host with msg. */
export const fail = (): BuiltinAction => ({
  name: 'fail',
  run: (_ctx, args) => ({ status: 'failed', result: { failed: true, changed: false, msg: toText(args.msg ?? 'Failed as requested from task') } }),
});
