// The jump hosts' connections: one per bastion (its address, port, user, key,
// known_hosts and its own jump host), shared by every host behind it, opened
// on first use and closed when the last host behind it closes.

import type { ConnectionSettings } from './connection.js';

export interface Tunneller {
  close(): Promise<void>;
}

function keyOf(s: ConnectionSettings): string {
  return JSON.stringify([s.user, s.address, s.port, s.privateKeyFile, s.knownHostsFile, s.hostKeyChecking, s.jump ? keyOf(s.jump) : null]);
}

export class JumpConnections<C extends Tunneller> {
  private readonly open = new Map<string, { conn: C; users: number }>();

  acquire(settings: ConnectionSettings, make: () => C): C {
    const key = keyOf(settings);
    let entry = this.open.get(key);
    if (!entry) {
      entry = { conn: make(), users: 0 };
      this.open.set(key, entry);
    }
    entry.users++;
    return entry.conn;
  }

  async release(conn: C): Promise<void> {
    for (const [key, entry] of this.open) {
      if (entry.conn !== conn) continue;
      if (--entry.users > 0) return;
      this.open.delete(key);
      await conn.close();
      return;
    }
  }

  /** How many bastion connections are open (tests). */
  get size(): number {
    return this.open.size;
  }
}
