import { evaluate, parseCondition, toText } from '../../template/expression.js';
import { NO_LOG_MSG } from '../host-run.js';
import type { BuiltinAction } from './builtin.js';

/** debug: print msg, or a variable's value (var:). */
export const debug = (): BuiltinAction => ({
  name: 'debug',
  run(ctx, args) {
    const msg = args.var !== undefined ? { [toText(args.var)]: evaluate(parseCondition(toText(args.var)), ctx.vars) } : args.msg ?? 'Hello world!';
    // no_log hides debug output too, as Ansible prints it: {"censored": "..."}.
    ctx.emit({ kind: 'debug', host: ctx.host.name, task: ctx.task.name, msg: ctx.task.noLog ? { censored: NO_LOG_MSG } : msg, place: ctx.task.place });
    return { status: 'ok', result: { changed: false, msg } };
  },
});
