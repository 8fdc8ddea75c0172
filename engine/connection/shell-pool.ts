// The persistent shells of one SSH connection (engine/connection/shell-session.ts):
// idle sessions wait here for the next command. Opened lazily, one per command
// in flight, so a host never has more than the connection's channel cap; all
// belong to one ssh2 client, and a reopened connection starts with none.

import type { ClientChannel } from 'ssh2';
import type { ShellSession, ShellTransport } from './shell-session.js';

export class ShellPool<Client extends object> {
  /** Sessions started so far (tests and benchmarks read it). */
  started = 0;
  /** Why the host runs on exec channels instead (undefined: shells are used). */
  unavailable?: string;
  private client?: Client;
  private idle: ShellSession[] = [];

  /** An idle session of this client, if any. */
  take(client: Client): ShellSession | undefined {
    if (this.client !== client) this.reset(client);
    for (let s = this.idle.pop(); s; s = this.idle.pop()) if (s.alive) return s;
    return undefined;
  }

  /** Back to the pool after a script, if it is still usable and its client still current. */
  give(client: Client, s: ShellSession): void {
    if (this.client === client && s.alive) this.idle.push(s);
    else s.close();
  }

  closeAll(): void {
    this.reset(undefined);
  }

  private reset(client: Client | undefined): void {
    for (const s of this.idle) s.close();
    this.idle = [];
    this.client = client;
  }
}

/** An ssh2 channel as a session's transport. */
export function channelTransport(channel: ClientChannel): ShellTransport {
  channel.on('error', () => {});
  return {
    write: (b) => {
      try {
        channel.write(b);
      } catch {
        // a channel that is going away: its 'close' ends the session
      }
    },
    onStdout: (cb) => channel.on('data', cb),
    onStderr: (cb) => channel.stderr.on('data', cb),
    onClose: (cb) => channel.once('close', cb),
    close: () => {
      try {
        channel.close();
      } catch {
        // already gone with its connection
      }
    },
  };
}
