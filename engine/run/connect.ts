// The connection factory: ssh or local by ansible_connection, unless the
// caller (tests) passes its own.

import type { Connection, ConnectionSettings } from '../connection/connection.js';
import { LocalConnection } from '../connection/local-connection.js';
import { SshConnection, type HostKeyAdded } from '../connection/ssh-connection.js';
import { controlPersistFromEnv, HeldConnection, type HolderClient } from '../connection/held-connection.js';
import type { Reporter } from '../report/events.js';

export type ConnectFn = (settings: ConnectionSettings) => Connection;

/**
 * A connection for a host's settings (not opened yet: the first command opens it). An ssh host
 * whose connection persists (ControlPersist, Ansible's default 60 s, or TSPLAY_CONTROL_PERSIST)
 * goes through the connection holder the run shares (`holder`).
 */
export function connect(settings: ConnectionSettings, emit: Reporter, custom?: ConnectFn, holder?: () => HolderClient): Connection {
  if (custom) return custom(settings);
  if (settings.connection === 'local') return new LocalConnection(settings.host, { commandTimeoutMs: settings.commandTimeoutMs });
  const opts = {
    onHostKeyAdded: (k: HostKeyAdded) => emit({ kind: 'host_key_added', ...k }),
    onNote: (msg: string) => emit({ kind: 'connection_note', host: settings.host, msg }),
  };
  const persistMs = controlPersistFromEnv() ?? settings.controlPersistMs ?? 0;
  if (holder && persistMs > 0) return new HeldConnection(settings, holder(), persistMs, opts);
  return new SshConnection(settings, opts);
}
