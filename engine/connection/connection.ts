// A connection runs shell text on one host. One persistent connection per host
// (DESIGN.md §5); the host layer (engine/host/host.ts) builds every command through
// engine/host/shell.ts and handles become, so a connection never sees argv.

import type { RunResult } from '../module-api.js';

export interface ExecOptions {
  /** Fed to the command's standard input: a Buffer as is, a string as UTF-8. */
  stdin?: string | Buffer;
  timeoutMs?: number;
  /**
   * The text is one the engine built to run in a persistent shell's own
   * process (no fork; engine/connection/shell-session.ts, "In place"): it
   * never exits, sets no option, trap or alias, and leaves the shell's
   * variables alone. A connection without a persistent shell ignores it.
   */
  inPlace?: boolean;
}

/**
 * What a command gave back. `stdout` is decoded as UTF-8 for text use;
 * `stdoutBytes` is exactly what the command wrote (file reads use it, so
 * content is never re-encoded).
 */
export interface ExecResult extends RunResult {
  stdoutBytes: Buffer;
}

export interface Connection {
  /** Inventory hostname, for messages. */
  readonly host: string;
  /** Open (idempotent). Throws UnreachableError when the host cannot be reached. */
  connect(): Promise<void>;
  /** Run shell text with /bin/sh on the host. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
  /**
   * Ctrl-C after the grace: start nothing more, kill what still runs where the
   * host still answers, drop the connection, all in a few seconds; commands in
   * flight end with InterruptedError. Optional: without it the runner only closes.
   */
  abort?(): Promise<void>;
}

/** The same connection with its exec replaced (a deadline, a log): everything else goes to `conn`. */
export function withExec(conn: Connection, exec: (command: string, opts: ExecOptions) => Promise<ExecResult>): Connection {
  return {
    get host() {
      return conn.host;
    },
    connect: () => conn.connect(),
    close: () => conn.close(),
    abort: conn.abort ? () => conn.abort!() : undefined,
    exec: (command, opts = {}) => exec(command, opts),
  };
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
  /**
   * The connection timeout T (ansible_ssh_timeout): bounds connect (TCP,
   * handshake, authentication), each channel open, and how long a host may stay
   * silent (keepalives) before it is unreachable.
   */
  connectTimeoutMs: number;
  /** Per command, from asking for its channel to the channel's close (0 = none). */
  commandTimeoutMs: number;
  become: boolean;
  becomeUser: string;
  becomeMethod: 'sudo' | 'su';
  /** ansible_become_flags as words (engine/load/connection-keywords.ts); unset: the method's defaults. */
  becomeFlags?: string[];
  /** ansible_become_exe; unset: the method's name. */
  becomeExe?: string;
  /**
   * ansible_become_password (ansible_become_pass, ansible_sudo_pass) or -K's answer:
   * sent to sudo on the command's stdin, never on a command line (engine/host/host.ts).
   */
  becomePassword?: string;
  /** tsplay_persistent_shell: run commands in persistent shells (engine/connection/shell-session.ts); unset: on. */
  persistentShell?: boolean;
  /**
   * How long the connection outlives the run in the connection holder (ControlMaster and
   * ControlPersist, Ansible's default 60 s; engine/connection/held-connection.ts); 0 or unset: not at all.
   */
  controlPersistMs?: number;
  /** The jump host this connection goes through (its own settings; itself maybe behind another). */
  jump?: ConnectionSettings;
}

/** The run was interrupted (Ctrl-C) and this command abandoned: it may or may not have had its effect. */
export class InterruptedError extends Error {
  constructor(readonly host: string, message: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}
