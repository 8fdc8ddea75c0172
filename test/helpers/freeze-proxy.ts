// A TCP relay on 127.0.0.1 that can go silent: after freeze(), bytes in both
// directions are swallowed and nothing is closed, as when a host's link goes
// down or its packets are dropped. Tests put it between SshConnection and a
// throwaway sshd (test/helpers/sshd.ts) to see how long a dead host can hold
// a run. Frozen from the start, it also stands in for a host that accepts TCP
// but never says anything (a hung sshd, a tarpit).

import { connect, createServer, type Server, type Socket } from 'node:net';

export class FreezeProxy {
  port = 0;
  private server?: Server;
  private frozen: boolean;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { address: string; port: number }, opts: { frozen?: boolean } = {}) {
    this.frozen = opts.frozen ?? false;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect({ host: this.target.address, port: this.target.port });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => this.sockets.delete(s));
      }
      client.on('data', (b) => this.frozen || upstream.write(b));
      upstream.on('data', (b) => this.frozen || client.write(b));
      // A frozen link carries no FIN either: only a live one passes a close on.
      client.on('close', () => this.frozen || upstream.destroy());
      upstream.on('close', () => this.frozen || client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** From now on nothing gets through, in either direction; connections stay open. */
  freeze(): void {
    this.frozen = true;
  }

  /** Connections currently open through the relay (client and upstream sides). */
  get openSockets(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
