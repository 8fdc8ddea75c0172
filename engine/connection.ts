// A connection runs shell text on one host. One persistent connection per host
// (DESIGN.md §5); the host layer (engine/host.ts) builds every command through
// engine/shell.ts and handles become, so a connection never sees argv.

import type { RunResult } from './module-api.js';

export interface ExecOptions {
  /** Bytes for the command's standard input (a string is sent as UTF-8). */
  stdin?: string | Buffer;
  timeoutMs?: number;
}

export interface Connection {
  /** Inventory hostname, for messages. */
  readonly host: string;
  /** Open (idempotent). Throws UnreachableError when the host cannot be reached. */
  connect(): Promise<void>;
  /** Run shell text with /bin/sh on the host. */
  exec(command: string, opts?: ExecOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** The host could not be reached or authenticated: the host is marked unreachable. */
export class UnreachableError extends Error {
  constructor(readonly host: string, message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** A command ran past its timeout. */
export class CommandTimeoutError extends Error {
  constructor(readonly host: string, readonly command: string, readonly timeoutMs: number) {
    super(`command timed out after ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/** Connection settings resolved from inventory variables (ansible_host, ansible_port, ...). */
export interface ConnectionSettings {
  /** inventory_hostname */
  host: string;
  connection: 'ssh' | 'local';
  address: string; // ansible_host, default: host
  port: number; // ansible_port, default 22
  user: string; // ansible_user, default: current user
  privateKeyFile?: string; // ansible_ssh_private_key_file
  password?: string; // ansible_password (discouraged)
  /** known_hosts file (tsplay_known_hosts_file; default ~/.ssh/known_hosts). */
  knownHostsFile?: string;
  /** strict: unknown or changed key = unreachable; accept-new: record unknown keys; off: no check. */
  hostKeyChecking: 'strict' | 'accept-new' | 'off';
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  become: boolean;
  becomeUser: string;
  becomeMethod: 'sudo';
}
