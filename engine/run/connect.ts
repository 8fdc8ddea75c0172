// The connection factory: ssh or local by ansible_connection, unless the
// caller (tests) passes its own.

import type { Connection, ConnectionSettings } from '../connection/connection.js';
import { LocalConnection } from '../connection/local-connection.js';
import { SshConnection } from '../connection/ssh-connection.js';
import type { Reporter } from '../report/events.js';

export type ConnectFn = (settings: ConnectionSettings) => Connection;

/** A connection for a host's settings (not opened yet: the first command opens it). */
export function connect(settings: ConnectionSettings, emit: Reporter, custom?: ConnectFn): Connection {
  if (custom) return custom(settings);
  if (settings.connection === 'local') return new LocalConnection(settings.host, { commandTimeoutMs: settings.commandTimeoutMs });
  return new SshConnection(settings, {
    onHostKeyAdded: (k) => emit({ kind: 'host_key_added', ...k }),
    onNote: (msg) => emit({ kind: 'connection_note', host: settings.host, msg }),
  });
}
