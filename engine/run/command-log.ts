// -vvv: each command a task sends to a host, reported as it ends (Ansible's
// "<host> EXEC ..." lines): the shell text as the host layer built it (become
// included), its exit status, its time, and how many bytes went to its stdin
// (the bytes themselves are file content and are not shown). Not used under
// no_log, whose commands may carry the values it hides.

import { withExec, type Connection } from '../connection/connection.js';
import type { Reporter } from '../report/events.js';

export function withCommandLog(conn: Connection, emit: Reporter): Connection {
  return withExec(conn, async (command, opts) => {
    const t0 = Date.now();
    const r = await conn.exec(command, opts);
    const stdinBytes = opts.stdin === undefined ? undefined : Buffer.byteLength(opts.stdin);
    emit({ kind: 'command', host: conn.host, command, rc: r.rc, durationMs: Date.now() - t0, ...(stdinBytes !== undefined ? { stdinBytes } : {}) });
    return r;
  });
}
