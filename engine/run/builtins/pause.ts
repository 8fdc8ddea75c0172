import { sleep } from '../host-run.js';
import type { BuiltinAction } from './builtin.js';

/** pause: wait `seconds`. */
export const pause = (): BuiltinAction => ({
  name: 'pause',
  async run(_ctx, args) {
    await sleep(Number(args.seconds ?? 0) * 1000);
    return { status: 'ok', result: { changed: false } };
  },
});
