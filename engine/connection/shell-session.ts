// A persistent shell on a host (issue 14): one long-lived /bin/sh on one SSH
// channel runs framed scripts one after another, so a command costs one round
// trip and no new sshd session, login shell or channel. Nothing is installed on
// the host: the loop below is plain POSIX sh and uses only `head -c` (GNU
// coreutils or busybox) for stdin. SshConnection keeps a small pool of these per host
// (at most its channel cap, opened lazily) behind the unchanged Connection
// contract; where a shell cannot start, the host falls back to exec channels.
//
// What holds, and where it is tested (test/unit/engine/connection/
// shell-session.test.ts against a local /bin/sh, test/lab/shell-session.test.ts
// over SSH):
// - Framing. The controller sends a random 128-bit nonce as the first line;
//   it lives only in the loop shell's memory (never in argv or the
//   environment, so `ps` or /proc cannot show it to a script). After each
//   script has ended, the loop writes `<nonce><id> <rc>\n` to stdout and to
//   stderr. Every byte before that marker is the script's, exactly (binary,
//   no final newline, empty, several MB); the marker is searched across chunk
//   boundaries (FrameReader, a pure class with fixture tests). A result is
//   returned only when both streams have their marker.
// - Script text is line-counted and stdin length-prefixed: a header line
//   `<id> <script lines> <stdin bytes or ->`, then the script's lines
//   (the text split at each newline, each part sent with a newline after it),
//   all read by the `read` builtin (which reads a pipe one byte at a time, as
//   POSIX requires: it never consumes past its newline) and joined again with
//   newlines, so the text is exact and reading it starts no process (a
//   `head -c` in a command substitution cost two forks and an exec, about
//   0.7 ms of host CPU per script). A script over 4 KiB is sent as
//   `b<bytes>` instead and read with `head -c` (a system call per byte would
//   cost more than the process there), then the newline after it. Stdin
//   follows, read by `head -c N` (GNU head -c never reads more than it has
//   left to copy). A stream that ends inside a frame ends the loop: a partial
//   script never runs. Empty lines between frames are skipped (see nudge()). The loop
//   itself comes from `sh -c` argv, so the shell never block-reads its own
//   input (dash reads a script file or stdin in 8 KiB blocks: that would eat
//   the next frame). A script without stdin runs with stdin from /dev/null,
//   so it can never read the protocol stream; a script with stdin reads it
//   from a pipe fed by `head -c`, and whatever it leaves unread is drained
//   after it ends, so the stream stays in step.
// - Isolation. A script without stdin (nearly all: reads, probes, commands)
//   runs in a subshell of the loop, `( eval TEXT )`: a fork, no exec, so no
//   new shell starts (`sh -c` cost an exec of /bin/sh, about 0.6 ms of host
//   CPU per script, more than the rest of a `true`). The subshell drops the
//   loop's variables and arguments before the text runs (a script cannot read
//   the nonce). Two things differ from an exec channel's `sh -c` there: `$$`
//   is the loop's PID, and an error that the shell reports for the text itself
//   reads `sh: 1: eval: ...` (e.g. `sh: 1: eval: nosuch: not found`, rc 127
//   as before); a `shell` task's text runs in its own `/bin/sh -c` anyway. A
//   script with stdin (a file write: the content streams in) runs in a fresh
//   `/bin/sh -c TEXT sh tsplay-run-<loop tag>-<id>` as on an exec channel, so
//   a write shows in `ps` with its text (operators and the fault tests find
//   writers so; its cost is small beside the content's). Either way cd, exit,
//   set -e, variables, traps and exec stay in the script's own process;
//   `exit 3` gives rc 3; a script killed by a signal gives 128+N.
// - In place. The subshell's fork is most of what a script costs the host: on
//   this project's machines a fork of the loop's shell took 1.4 to 2.8 ms of
//   CPU, against 0.05 ms for a `true` run in place and 2 ms for a whole no-op
//   task. So a script the engine built from argv and its own read-only
//   snippets (a fact read's sections, a plain command: engine/host/host.ts
//   decides, RunOptions.inPlace) runs in the loop's own shell instead:
//   `command eval TEXT`, stdin from /dev/null, no fork (an external command in
//   it is started as dash starts any, with vfork and exec). Such text never
//   exits, sets no shell option, trap or alias, and never reads the loop's
//   variables (the nonce among them; all named `__tsl_*`, a prefix nothing
//   else uses); `command`
//   keeps an error in the text (a syntax error, a failed redirection) from
//   ending the loop: it fails that script with rc 2, as in a subshell. After
//   it the loop puts back its working directory and its IFS. User shell text
//   (a `shell` task, a write with its content, a command with a cwd or an
//   environment) never runs in place.
// - Timeouts and kill. Past its timeout the script's process group is killed
//   (the caller's kill function, by the loop's tag: the group is the session's,
//   so the session goes too) and the session is dropped; the next script gets
//   a new one. abort() kills by the same tags.
// - Background processes. The loop waits for the script's shell, not for its
//   stdout to close: `sleep 100 &` does not hang anything (an exec channel
//   waits for the pipe's EOF, i.e. until the timeout). What such a process
//   writes later can show up in a later script's output; docs/inventory.md
//   says so, and tsplay_persistent_shell=false restores exec channels.
// - Failure. A shell or channel that ends while a script runs fails that script
//   with ShellLostError (the caller reports it as the exec path reports a
//   channel closed without an exit status: unreachable) and is never re-run;
//   the next script gets a new session. A shell that does not answer the
//   greeting within the connection timeout (no /bin/sh, a forced command, a
//   restricted shell, no `head`) fails start() with ShellStartError: the
//   caller falls back to exec channels for the host.
// - become: scripts arrive already wrapped (sudo/su) by engine/host; the loop
//   runs as the login user, as an exec channel does.

import { randomBytes } from 'node:crypto';
import type { ExecResult } from './connection.js';

/** The shell side: the loop that reads framed scripts. Passed to `/bin/sh -c`. */
export const SHELL_LOOP = [
  'IFS= read -r __tsl_N || exit 0',
  '__tsl_T=$1',
  // where the loop started: an in-place script that changed directory is put back
  '__tsl_d=$PWD',
  'command -v head >/dev/null 2>&1 || exit 97',
  // the loop's own stderr (dash's "Terminated" for a killed child) goes nowhere; fd 5 is the channel's
  'exec 5>&2 2>/dev/null',
  "printf '%s0 0\\n' \"$__tsl_N\"; printf '%s0 0\\n' \"$__tsl_N\" >&5",
  'while read -r __tsl_i __tsl_l __tsl_n; do',
  '  [ -n "$__tsl_i" ] || continue',
  '  case $__tsl_l in',
  '  b*)',
  // a long script: its bytes, then the newline after them (end of stream before it: not run)
  '    __tsl_s=$(head -c "${__tsl_l#b}"; echo .); __tsl_s=${__tsl_s%.}',
  '    IFS= read -r __tsl_x || exit 0',
  '    ;;',
  '  *)',
  '    IFS= read -r __tsl_s || exit 0',
  '    __tsl_k=1',
  '    while [ "$__tsl_k" -lt "$__tsl_l" ]; do',
  '      IFS= read -r __tsl_x || exit 0',
  '      __tsl_s="$__tsl_s',
  '$__tsl_x"',
  '      __tsl_k=$((__tsl_k + 1))',
  '    done',
  '    ;;',
  '  esac',
  // forget where commands were found: each script finds them as a fresh shell would (a
  // program installed earlier in PATH by an earlier task, or run, is the one run)
  '  hash -r',
  '  case $__tsl_n in',
  '  =)',
  // in place (see "In place" above): in the loop's own shell, no fork; `command` keeps a
  // shell error in the text (syntax, a failed redirection) from ending the loop
  '    { command eval "$__tsl_s"; } </dev/null 2>&5 5>&-',
  '    __tsl_r=$?',
  '    unset IFS; cd "$__tsl_d" 2>/dev/null',
  '    ;;',
  '  -)',
  // the script in a subshell (a fork, no exec), without the loop's variables (the nonce
  // above all) or arguments; its redirections are made inside it: dash applies a
  // command's redirections in the parent, and would print "Terminated" on fd 5 then
  '    (exec </dev/null 2>&5 5>&-; unset __tsl_N __tsl_T __tsl_d __tsl_i __tsl_l __tsl_n __tsl_k __tsl_x __tsl_r; set --; eval "unset __tsl_s;$__tsl_s")',
  '    __tsl_r=$?',
  '    ;;',
  '  *)',
  // a script with stdin (a file's content) runs in its own /bin/sh -c, named in ps by the
  // loop's tag and its id (see Isolation above)
  '    head -c "$__tsl_n" | { (exec /bin/sh -c "$__tsl_s" sh "$__tsl_T-$__tsl_i" 2>&5 5>&-); __tsl_r=$?; cat >/dev/null; exit "$__tsl_r"; }',
  '    __tsl_r=$?',
  '    ;;',
  '  esac',
  "  printf '%s%s %s\\n' \"$__tsl_N\" \"$__tsl_i\" \"$__tsl_r\"; printf '%s%s %s\\n' \"$__tsl_N\" \"$__tsl_i\" \"$__tsl_r\" >&5",
  'done',
].join('\n');

/** One script's output on one stream, up to its marker. */
export interface Frame {
  id: number;
  rc: number;
  body: Buffer;
}

/**
 * Splits one output stream into frames at `<nonce><id> <rc>\n` markers. Pure:
 * feed it chunks as they come; it returns the frames they complete, in order.
 * Work is linear in the bytes pushed (only a marker-sized tail is re-scanned).
 */
export class FrameReader {
  private readonly nonce: Buffer;
  private body: Buffer[] = [];
  private tail = Buffer.alloc(0);

  constructor(nonce: string) {
    this.nonce = Buffer.from(nonce, 'latin1');
  }

  /** Bytes held that belong to no finished frame yet. */
  get pending(): number {
    return this.body.reduce((n, b) => n + b.length, 0) + this.tail.length;
  }

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let buf = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    for (;;) {
      const at = buf.indexOf(this.nonce);
      if (at < 0) {
        // keep what could be the start of a marker split across chunks
        const keep = Math.min(buf.length, this.nonce.length - 1);
        if (buf.length > keep) this.body.push(buf.subarray(0, buf.length - keep));
        this.tail = Buffer.from(buf.subarray(buf.length - keep));
        return frames;
      }
      const nl = buf.indexOf(0x0a, at + this.nonce.length);
      if (nl < 0) {
        if (at > 0) this.body.push(buf.subarray(0, at));
        this.tail = Buffer.from(buf.subarray(at));
        return frames;
      }
      const m = /^(\d+) (\d+)$/.exec(buf.subarray(at + this.nonce.length, nl).toString('latin1'));
      if (!m) throw new Error(`malformed shell session marker: ${JSON.stringify(buf.subarray(at + this.nonce.length, nl).toString('latin1'))}`);
      if (at > 0) this.body.push(buf.subarray(0, at));
      frames.push({ id: Number(m[1]), rc: Number(m[2]), body: Buffer.concat(this.body) });
      this.body = [];
      buf = buf.subarray(nl + 1);
    }
  }
}

/**
 * Scripts up to this size are sent as counted lines (read with `read`, no process
 * started); longer ones as a byte count for `head -c`, which reads them in a
 * few system calls instead of one per byte (a 16 KB fact-gathering script).
 */
export const SCRIPT_LINES_MAX_BYTES = 4096;

/**
 * The bytes sent for one script: header line, the script's text with a newline
 * after it (counted lines: "a\n" is the lines "a" and ""; or `b<bytes>` for
 * a long one), stdin. The header's last field is stdin's length, or without
 * stdin `-` (run in a subshell) or `=` (run in place, see In place above).
 */
export function encodeScript(id: number, command: string, stdin?: string | Buffer, inPlace = false): Buffer[] {
  if (command.includes('\0')) throw new Error('a script cannot hold a NUL byte');
  const text = Buffer.from(command + '\n', 'utf8');
  const lines = text.length - 1 > SCRIPT_LINES_MAX_BYTES ? `b${text.length - 1}` : String(command.split('\n').length);
  const input = stdin === undefined ? undefined : typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin;
  const header = Buffer.from(`${id} ${lines} ${input !== undefined ? input.length : inPlace ? '=' : '-'}\n`, 'latin1');
  return input === undefined || input.length === 0 ? [header, text] : [header, text, input];
}

/** What the session runs over: an SSH channel, or a local child process in tests. */
export interface ShellTransport {
  write(b: Buffer | string): void;
  onStdout(cb: (b: Buffer) => void): void;
  onStderr(cb: (b: Buffer) => void): void;
  /** Called once when the transport has closed (the shell ended or the channel went). */
  onClose(cb: () => void): void;
  close(): void;
}

/** The shell could not be started, or did not answer as the loop does. */
export class ShellStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellStartError';
  }
}

/** The shell or its channel ended while a script ran: the script may or may not have had its effect. */
export class ShellLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellLostError';
  }
}

/** The script ran past its timeout; its process group was killed and the session dropped. */
export class ShellTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`command timed out after ${timeoutMs} ms`);
    this.name = 'ShellTimeoutError';
  }
}

export interface RunOptions {
  stdin?: string | Buffer;
  /** 0 or unset: none. */
  timeoutMs?: number;
  /** Kill the script's process group (the session's: the loop's tag); awaited before a timeout is reported. */
  kill?: () => Promise<void>;
  /** Run it in the loop's own shell (In place, above): only for text the engine built to that rule. Ignored with stdin. */
  inPlace?: boolean;
}

interface Pending {
  id: number;
  out?: Frame;
  err?: Frame;
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
}

/** One shell running scripts one at a time. */
export class ShellSession {
  /** Scripts run so far (tests read it). */
  scripts = 0;
  private readonly nonce = randomBytes(16).toString('hex');
  private readonly out: FrameReader;
  private readonly err: FrameReader;
  private nextId = 0;
  private current?: Pending;
  private closed = false;
  private closeReason?: string;
  private nudgeQueued = false;

  private constructor(
    private readonly transport: ShellTransport,
    /** The loop shell's tag, if the caller gave one (its $1 is `tsplay-run-<tag>`: kill by it). */
    readonly tag?: string,
  ) {
    this.out = new FrameReader(this.nonce);
    this.err = new FrameReader(this.nonce);
    transport.onStdout((b) => this.feed('out', b));
    transport.onStderr((b) => this.feed('err', b));
    transport.onClose(() => this.lost('the shell session ended'));
  }

  /** Greet the loop on `transport` and wait for its answer, within `timeoutMs`. */
  static start(transport: ShellTransport, timeoutMs: number, tag?: string): Promise<ShellSession> {
    const s = new ShellSession(transport, tag);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        s.current = undefined;
        s.close();
        reject(new ShellStartError(`no answer from the shell within ${timeoutMs} ms`));
      }, timeoutMs);
      s.current = {
        id: 0,
        resolve: () => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(new ShellStartError(e.message));
        },
      };
      s.nextId = 1;
      transport.write(`${s.nonce}\n`);
    });
  }

  /** Usable for another script. */
  get alive(): boolean {
    return !this.closed;
  }

  run(command: string, opts: RunOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new ShellLostError(this.closeReason ?? 'the shell session is closed'));
    if (this.current) return Promise.reject(new Error('shell session busy'));
    const id = this.nextId++;
    this.scripts++;
    return new Promise<ExecResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
      };
      this.current = {
        id,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      const timeoutMs = opts.timeoutMs ?? 0;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          const p = this.current;
          this.current = undefined;
          this.closed = true;
          this.closeReason = 'dropped after a timeout';
          void (opts.kill ?? (() => Promise.resolve()))()
            .catch(() => {})
            .finally(() => {
              this.transport.close();
              p?.reject(new ShellTimeoutError(timeoutMs));
            });
        }, timeoutMs);
      }
      // One write: each write is an SSH packet, encrypted and sent on its own.
      this.transport.write(Buffer.concat(encodeScript(id, command, opts.stdin, opts.inPlace === true)));
    });
  }

  /** End the session (the loop reads EOF and exits; the channel closes). */
  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.closeReason = 'the shell session was closed';
    }
    this.transport.close();
    this.lost('the shell session was closed');
  }

  private feed(which: 'out' | 'err', b: Buffer): void {
    let frames: Frame[];
    try {
      frames = (which === 'out' ? this.out : this.err).push(b);
    } catch (e) {
      this.closed = true;
      this.transport.close();
      this.lost((e as Error).message);
      return;
    }
    for (const f of frames) {
      const p = this.current;
      if (!p || f.id !== p.id) continue; // the greeting's leftovers, or a dropped script's
      if (which === 'out') p.out = f;
      else p.err = f;
      if (p.out && p.err) {
        this.current = undefined;
        p.resolve({ rc: p.out.rc, stdout: p.out.body.toString('utf8'), stdoutBytes: p.out.body, stderr: p.err.body.toString('utf8') });
      }
    }
    // Only while the script still owes output: once both markers are in, nothing more
    // comes for it, and the next script's frame carries the ACK.
    if (this.current && this.current.id > 0) this.nudge();
  }

  /**
   * Output arrived while a script runs: send an empty line (the loop skips it)
   * so that our TCP ACK leaves at once. sshd does not set TCP_NODELAY on
   * channels without a pty: the marker written right after the output would
   * otherwise wait for the controller's delayed ACK (40 ms on Linux), twice.
   * Not sent when the script's result is complete by then (an SSH packet each
   * way saved per script: most scripts' output and markers come in one or two
   * packets).
   */
  private nudge(): void {
    if (this.nudgeQueued) return;
    this.nudgeQueued = true;
    const waiting = this.current;
    setImmediate(() => {
      this.nudgeQueued = false;
      if (!this.closed && this.current === waiting && waiting && !(waiting.out && waiting.err)) this.transport.write('\n');
    });
  }

  private lost(reason: string): void {
    if (!this.closed) {
      this.closed = true;
      this.closeReason = reason;
    }
    const p = this.current;
    this.current = undefined;
    p?.reject(new ShellLostError(p.id === 0 ? 'the shell ended before it answered' : `${reason} while a command was running`));
  }
}
