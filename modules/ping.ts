// ping: proves tsplay can reach the host and run a command there
// (ansible.builtin.ping). Never changes anything, runs in --check; returns
// `ping: <data>` (default `pong`). `data: crash` fails as Ansible's module does
// (its test hook raises an exception): same msg, rc and module_stderr's last line.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';

const schema = S.object({
  data: S.string({ default: 'pong', description: 'returned as `ping`; `crash` makes the task fail, as Ansible\'s ping does' }),
}, { additionalProperties: false });

export interface PingState {
  /** The host ran `true` and it exited 0. */
  reachable: boolean;
  rc: number;
  stderr: string;
}

export default defineModule<typeof schema, PingState>({
  name: 'ping',
  description: 'Check that the host can be reached and runs commands; returns ping: data',
  schema,
  async gather(_args, host) {
    // A read nothing can alter: the shell itself answers.
    const r = await host.run(['true']);
    return { reachable: r.rc === 0, rc: r.rc, stderr: r.stderr };
  },
  plan(args, state) {
    if (!state.reachable) throw new ModuleError(`the host could not run \`true\` (rc ${state.rc}): ${state.stderr.trim()}`, { rc: state.rc });
    // Ansible 2.14's ping.py: `if data == 'crash': raise Exception("boom")`, reported as a module failure.
    if (args.data === 'crash') {
      throw new ModuleError('MODULE FAILURE\nSee stdout/stderr for the exact error', { rc: 1, module_stdout: '', module_stderr: 'Exception: boom\n' });
    }
    return { changed: false, reason: `ping: ${args.data}`, result: { ping: args.data } };
  },
});
