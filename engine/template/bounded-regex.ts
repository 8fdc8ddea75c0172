// Regexp matching that cannot stall a run (issue 8). Playbook regexps reach
// lineinfile, `match`/`search`/`regex*` tests and filters, `when:`, handlebars'
// `match` and `~regex` host patterns; V8's backtracking engine takes exponential
// time on some of them (/^(a+)+$/ on 25 a's and a "!": 0.56 s here, doubling per
// character), on the one thread that drives every host.
//
// Two parts, chosen after measuring (docs/templating.md, "Regular expressions"):
//  1. Process-wide, V8 switches a match that backtracks too much to its own
//     linear-time engine (--enable-experimental-regexp-engine-on-excessive-backtracks).
//     Same results, same syntax; the same 40-character line takes 0.02 ms.
//  2. That engine cannot run backreferences, lookarounds, ignore-case, unicode
//     mode or large counted repetitions. A regexp that needs one of them is
//     matched under a time limit instead (node:vm's timeout interrupts a running
//     match), and a match over the limit fails with an error naming the regexp.
// Which case applies is asked of V8 itself: compiling with the `l` (linear) flag
// succeeds exactly when the linear engine can run the pattern.
//
// The flag is read when a RegExp is created, so this module must be imported
// before user regexps are compiled: every module that compiles one imports it.

import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';

setFlagsFromString('--enable-experimental-regexp-engine');
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/** How long one bounded match (or batch of matches) may run. */
export const REGEX_TIME_LIMIT_MS = 1000;

export class RegexTimeLimitError extends Error {
  /** `label`: how the user wrote it, e.g. `regexp "^(a+)+$"` or `insertafter "..."`. */
  constructor(readonly label: string, readonly limitMs: number) {
    super(
      `${label} did not finish matching within ${limitMs / 1000} s `
      + '(catastrophic backtracking: it uses backreferences, lookarounds, ignore-case or large counted repeats, '
      + 'which only the backtracking engine runs); simplify the regexp',
    );
  }
}

const linearCache = new WeakMap<RegExp, boolean>();

/** Whether V8's linear-time engine can run this regexp (then it never stalls). */
export function isLinear(re: RegExp): boolean {
  let known = linearCache.get(re);
  if (known === undefined) {
    try {
      new RegExp(re.source, re.flags.replace(/[gyd]/g, '') + 'l');
      known = true;
    } catch {
      known = false;
    }
    linearCache.set(re, known);
  }
  return known;
}

let context: vm.Context | undefined;
let script: vm.Script | undefined;
let depth = 0;

/**
 * Run `fn`, which matches `re` (once, or over many lines), so that it cannot
 * run longer than `limitMs`: directly when `re` is linear, else under a time limit.
 * Throws RegexTimeLimitError when the limit is reached.
 */
export function boundedRegex<T>(re: RegExp, fn: () => T, label = `regexp ${JSON.stringify(re.source)}`, limitMs = REGEX_TIME_LIMIT_MS): T {
  if (depth > 0 || isLinear(re)) return fn(); // an outer call's limit already applies
  context ??= vm.createContext({});
  script ??= new vm.Script('__tsplay_bounded()');
  context.__tsplay_bounded = fn;
  depth++;
  try {
    return script.runInContext(context, { timeout: limitMs }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new RegexTimeLimitError(label, limitMs);
    throw e;
  } finally {
    depth--;
    context.__tsplay_bounded = undefined;
  }
}
