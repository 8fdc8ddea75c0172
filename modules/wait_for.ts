// wait_for: wait, from the target host, until a TCP port opens or closes (or a
// path appears or disappears). It never changes the host, so it runs in
// check mode too: the waiting happens in gather(), in one command on the host
// that polls with bash's /dev/tcp (docs/modules/wait_for.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { HostReader } from '../engine/module-api.js';
import { firstLine } from './lib/text-lines.js';

const schema = S.object({
  host: S.string({ pattern: '^[A-Za-z0-9_.:%][A-Za-z0-9_.:%-]*$', default: '127.0.0.1', description: 'host name or address to connect to, as seen from the target' }),
  port: S.integer({ minimum: 1, maximum: 65535, description: 'TCP port; give port or path' }),
  path: S.string({ pattern: '^/', description: 'wait for this path instead of a port' }),
  state: S.enum(['started', 'stopped', 'present', 'absent'], { default: 'started', description: 'started/present: open or existing; stopped/absent: closed or gone' }),
  timeout: S.integer({ minimum: 0, default: 300, description: 'seconds to wait (after delay) before failing' }),
  delay: S.integer({ minimum: 0, default: 0, description: 'seconds to wait before the first check' }),
  sleep: S.number({ exclusiveMinimum: 0, default: 1, description: 'seconds between checks' }),
  connect_timeout: S.integer({ minimum: 1, default: 5, description: 'seconds per connection attempt' }),
  msg: S.string({ description: 'message on timeout' }),
}, { additionalProperties: false });

export type WaitForArgs = Static<typeof schema>;

export interface WaitForState {
  /** "ok": the condition held; "timeout": it did not within timeout. */
  outcome: 'ok' | 'timeout' | 'error';
  elapsed_ms: number;
  rc: number;
  stderr: string;
}

// Arguments: $1 delay, $2 timeout, $3 sleep, $4 connect timeout, $5 want (up|down),
// $6 kind (port|path), $7 host or path, $8 port. Nothing user-given is in the text.
// The clock in ms is bash's own EPOCHREALTIME (bash 5; no date process), else date.
export const WAIT_SCRIPT = [
  'now() { if [ -n "${EPOCHREALTIME:-}" ]; then now=${EPOCHREALTIME/[.,]/}; now=${now%???}; else now=$(date +%s%3N); fi; }',
  '[ "$1" = 0 ] || sleep "$1"',
  'now; start=$now',
  'while :; do',
  '  if [ "$6" = port ]; then timeout "$4" bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$7" "$8" 2>/dev/null && up=1 || up=0',
  '  else [ -e "$7" ] && up=1 || up=0; fi',
  '  now; elapsed=$(( now - start ))',
  '  if { [ "$5" = up ] && [ $up = 1 ]; } || { [ "$5" = down ] && [ $up = 0 ]; }; then echo "ok $elapsed"; exit 0; fi',
  '  if [ "$elapsed" -ge $(( $2 * 1000 )) ]; then echo "timeout $elapsed"; exit 0; fi',
  '  sleep "$3"',
  'done',
].join('\n');

export function parseWaitOutput(rc: number, stdout: string, stderr: string): WaitForState {
  const m = /^(ok|timeout) (\d+)\s*$/m.exec(stdout);
  if (rc !== 0 || !m) return { outcome: 'error', elapsed_ms: 0, rc, stderr };
  return { outcome: m[1] as 'ok' | 'timeout', elapsed_ms: Number(m[2]), rc, stderr };
}

function target(args: WaitForArgs): string {
  return args.path ?? `${args.host.includes(':') ? `[${args.host}]` : args.host}:${args.port}`;
}

export default defineModule<typeof schema, WaitForState>({
  name: 'wait_for',
  description: 'Wait on the target until a TCP port opens/closes or a path appears/disappears',
  schema,

  async gather(args, host: HostReader): Promise<WaitForState> {
    if ((args.port === undefined) === (args.path === undefined)) {
      return { outcome: 'error', elapsed_ms: 0, rc: -1, stderr: '' }; // plan explains
    }
    const want = args.state === 'started' || args.state === 'present' ? 'up' : 'down';
    const kind = args.port !== undefined ? 'port' : 'path';
    const argv = ['bash', '-c', WAIT_SCRIPT, 'wait_for', String(args.delay), String(args.timeout), String(args.sleep),
      String(args.connect_timeout), want, kind, kind === 'port' ? args.host : args.path!, String(args.port ?? '')];
    const budgetMs = (args.delay + args.timeout + args.connect_timeout + args.sleep + 30) * 1000;
    // Raw run, not a fact: a port or path probe over time cannot be predicted.
    const r = await host.run(argv, { timeoutMs: budgetMs });
    return parseWaitOutput(r.rc, r.stdout, r.stderr);
  },

  plan(args, state) {
    if ((args.port === undefined) === (args.path === undefined)) throw new ModuleError('give either port or path');
    const t = target(args);
    const word = args.path
      ? (args.state === 'started' || args.state === 'present' ? 'present' : 'absent')
      : (args.state === 'started' || args.state === 'present' ? 'open' : 'closed');
    if (state.outcome === 'error') {
      throw new ModuleError(`could not wait for ${t} (rc ${state.rc}): ${firstLine(state.stderr) || 'bash and coreutils timeout are needed on the host'}`);
    }
    const elapsed = Math.round(state.elapsed_ms / 100) / 10;
    if (state.outcome === 'timeout') {
      throw new ModuleError(args.msg ?? `timed out after ${args.timeout}s waiting for ${t} to be ${word}`, { elapsed });
    }
    const result: Record<string, unknown> = { elapsed, state: args.state };
    if (args.path) result.path = args.path;
    else Object.assign(result, { host: args.host, port: args.port });
    return { changed: false, reason: `${t} is ${word} (after ${elapsed}s)`, result };
  },
});
