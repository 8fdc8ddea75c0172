import { evaluate, parseCondition, toText, UndefinedVariableError } from '../../template/expression.js';
import { NO_LOG_MSG } from '../host-run.js';
import type { BuiltinAction } from './builtin.js';

/** var='s value; an undefined one prints as Ansible prints it, a debugging aid rather than a failure. */
function debugValue(name: string, vars: Parameters<typeof evaluate>[1]): unknown {
  try {
    return evaluate(parseCondition(name), vars);
  } catch (e) {
    if (e instanceof UndefinedVariableError) return 'VARIABLE IS NOT DEFINED!';
    throw e;
  }
}

/** debug: print msg, or a variable's value (var:). */
export const debug = (): BuiltinAction => ({
  name: 'debug',
  run(ctx, args) {
    if (args.var !== undefined) {
      const name = toText(args.var);
      const shown = { [name]: debugValue(name, ctx.vars) };
      // no_log hides debug output too, as Ansible prints it: {"censored": "..."}.
      ctx.emit({ kind: 'debug', host: ctx.host.name, task: ctx.task.name, msg: ctx.task.noLog ? { censored: NO_LOG_MSG } : shown, var: name, place: ctx.task.place });
      // as Ansible registers it: the variable under its own name, no msg
      return { status: 'ok', result: { ...shown, changed: false } };
    }
    const msg = args.msg ?? 'Hello world!';
    ctx.emit({ kind: 'debug', host: ctx.host.name, task: ctx.task.name, msg: ctx.task.noLog ? { censored: NO_LOG_MSG } : msg, place: ctx.task.place });
    return { status: 'ok', result: { changed: false, msg } };
  },
});
