// The persistent shell (engine/connection/shell-session.ts): the marker parser
// as a pure function over fixture tables, then the real loop run by the local
// /bin/sh (dash here, as on Debian hosts) through a child process, for each
// point the file's header promises. Over SSH: ssh-connection-shell.test.ts and
// test/lab/shell-session.test.ts.

import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeScript, FrameReader, SCRIPT_LINES_MAX_BYTES, SHELL_LOOP, ShellLostError, ShellSession, ShellStartError, ShellTimeoutError, type Frame, type ShellTransport } from '../../../../engine/connection/shell-session.js';

const NONCE = '0123456789abcdef0123456789abcdef';
const mark = (id: number, rc: number) => `${NONCE}${id} ${rc}\n`;

/** Push `chunks` one by one; all frames, bodies as latin1 for the tables. */
function frames(chunks: Array<string | Buffer>): Array<{ id: number; rc: number; body: string }> {
  const r = new FrameReader(NONCE);
  const out: Frame[] = [];
  for (const c of chunks) out.push(...r.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c));
  return out.map((f) => ({ id: f.id, rc: f.rc, body: f.body.toString('latin1') }));
}

const TABLE: Array<[string, Array<string | Buffer>, Array<{ id: number; rc: number; body: string }>]> = [
  ['empty output', [mark(1, 0)], [{ id: 1, rc: 0, body: '' }]],
  ['output with a final newline', ['hello\n' + mark(1, 0)], [{ id: 1, rc: 0, body: 'hello\n' }]],
  ['output without a final newline', ['no newline' + mark(2, 3)], [{ id: 2, rc: 3, body: 'no newline' }]],
  ['marker split in the nonce', ['abc' + mark(1, 0).slice(0, 7), mark(1, 0).slice(7)], [{ id: 1, rc: 0, body: 'abc' }]],
  ['marker split before its newline', ['x' + mark(1, 127).slice(0, -1), '\n'], [{ id: 1, rc: 127, body: 'x' }]],
  ['two frames in one chunk', ['a' + mark(1, 0) + 'b' + mark(2, 1)], [{ id: 1, rc: 0, body: 'a' }, { id: 2, rc: 1, body: 'b' }]],
  ['a different nonce is output', ['fedcba9876543210fedcba98765432101 0\n' + mark(1, 0)], [{ id: 1, rc: 0, body: 'fedcba9876543210fedcba98765432101 0\n' }]],
  ['a nonce prefix is output', [NONCE.slice(0, 31) + 'X' + mark(4, 0)], [{ id: 4, rc: 0, body: NONCE.slice(0, 31) + 'X' }]],
  ['binary bytes', [Buffer.from([0, 255, 10, 13, 0x30]), Buffer.from(mark(1, 0))], [{ id: 1, rc: 0, body: '\x00\xff\n\r0' }]],
  ['one byte at a time', [...('ab' + mark(1, 0) + mark(2, 0))], [{ id: 1, rc: 0, body: 'ab' }, { id: 2, rc: 0, body: '' }]],
  ['nothing finished yet', ['partial output', NONCE], []],
];

for (const [name, chunks, expected] of TABLE) {
  test(`FrameReader: ${name}`, (t) => {
    t.deepEqual(frames(chunks), expected);
  });
}

test('FrameReader: every split point of two frames gives the same frames', (t) => {
  const all = 'out\x00put' + mark(7, 0) + 'more' + mark(8, 2);
  for (let i = 0; i <= all.length; i++) {
    t.deepEqual(frames([all.slice(0, i), all.slice(i)]), [{ id: 7, rc: 0, body: 'out\x00put' }, { id: 8, rc: 2, body: 'more' }], `split at ${i}`);
  }
});

test('FrameReader: 8 MB in 32 KiB chunks, exact bytes, linear time', (t) => {
  const big = randomBytes(8 << 20);
  const r = new FrameReader(NONCE);
  const started = Date.now();
  for (let i = 0; i < big.length; i += 32768) t.deepEqual(r.push(big.subarray(i, i + 32768)), []);
  const [f] = r.push(Buffer.from(mark(1, 0)));
  t.true(f.body.equals(big));
  t.true(Date.now() - started < 5000);
});

test('FrameReader: a malformed marker is an error', (t) => {
  t.throws(() => frames([`${NONCE}x y\n`]), { message: /malformed shell session marker/ });
});

test('encodeScript: header, text, stdin', (t) => {
  const join = (parts: Buffer[]) => Buffer.concat(parts).toString('latin1');
  t.is(join(encodeScript(1, 'echo é')), '1 1 -\necho \xc3\xa9\n');
  t.is(join(encodeScript(2, 'cat', '')), '2 1 0\ncat\n');
  t.is(join(encodeScript(3, 'cat', Buffer.from([0, 1]))), '3 1 2\ncat\n\x00\x01');
  // lines, not bytes: a final newline is one more (empty) line, so the text comes back exact
  t.is(join(encodeScript(4, 'a\n\nb')), '4 3 -\na\n\nb\n');
  t.is(join(encodeScript(5, 'a\n')), '5 2 -\na\n\n');
  t.is(join(encodeScript(6, '')), '6 1 -\n\n');
  t.throws(() => encodeScript(1, 'a\0b'), { message: /NUL/ });
  // over SCRIPT_LINES_MAX_BYTES: a byte count for head -c, then the newline
  const long = 'x'.repeat(SCRIPT_LINES_MAX_BYTES) + '\né';
  t.is(join(encodeScript(7, long)), `7 b${SCRIPT_LINES_MAX_BYTES + 3} -\n${Buffer.from(long + '\n').toString('latin1')}`);
  t.is(join(encodeScript(8, 'y'.repeat(SCRIPT_LINES_MAX_BYTES))).split('\n')[0], '8 1 -');
  // in place: `=` where `-` was; with stdin the script never runs in place
  t.is(join(encodeScript(9, 'true', undefined, true)), '9 1 =\ntrue\n');
  t.is(join(encodeScript(10, 'cat', 'x', true)), '10 1 1\ncat\nx');
});

// ---- the loop, run by the local /bin/sh ----

interface Local {
  transport: ShellTransport;
  pid: number;
  killGroup: () => Promise<void>;
}

/** The loop in a local /bin/sh, in its own process group (as a session's shell over SSH). */
function local(argv: string[] = ['/bin/sh', '-c', SHELL_LOOP, 'sh', 'tsplay-run-session']): Local {
  const p = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  p.stdin.on('error', () => {});
  const closed = new Promise<void>((resolve) => p.once('close', () => resolve()));
  return {
    pid: p.pid!,
    transport: {
      write: (b) => {
        p.stdin.write(b);
      },
      onStdout: (cb) => p.stdout.on('data', cb),
      onStderr: (cb) => p.stderr.on('data', cb),
      onClose: (cb) => void closed.then(cb),
      close: () => {
        p.stdin.end();
      },
    },
    killGroup: () => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      return Promise.resolve();
    },
  };
}

async function session(): Promise<{ s: ShellSession; l: Local }> {
  const l = local();
  return { s: await ShellSession.start(l.transport, 5000), l };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('rc, stdout and stderr per script; exit N gives rc N', async (t) => {
  const { s } = await session();
  const cases: Array<[string, number, string, string]> = [
    ['echo out; echo err >&2', 0, 'out\n', 'err\n'],
    ['exit 3', 3, '', ''],
    ['printf "no newline"; false', 1, 'no newline', ''],
    // the script's own process (a subshell of the loop: the parent of a child it starts)
    ['kill -TERM $(exec sh -c \'echo $PPID\')', 143, '', ''],
    // the text runs under eval in that subshell: the shell's own messages say so
    ['nosuchcommand-xyz', 127, '', 'sh: 1: eval: nosuchcommand-xyz: not found\n'],
    ['', 0, '', ''],
    ["printf '%s\\n' \"$0\"", 0, 'sh\n', ''],
  ];
  for (const [cmd, rc, out, err] of cases) {
    const r = await s.run(cmd);
    t.deepEqual([r.rc, r.stdout, r.stderr], [rc, out, err], cmd);
  }
  s.close();
});

test('the script text arrives exact: blank lines, backslashes, spaces, CR, a final newline or none', async (t) => {
  const { s } = await session();
  const body = ['  lead and trail  ', '', 'back\\slash \\n', '\ttab\r', '', 'é ü', 'x'.repeat(5000), ''];
  for (const end of ['', '\n', '\n\n']) {
    // a here-document prints its lines as they came; `wc -c` of the text itself proves nothing was added
    // (body holds a 5000-byte line, so these go as byte counts; the short ones below as lines)
    const script = `cat <<'EOF'\n${body.join('\n')}\nEOF${end}`;
    const short = await s.run(`cat <<'EOF'\n${body.slice(0, 6).join('\n')}\nEOF${end}`);
    t.is(short.stdout, body.slice(0, 6).join('\n') + '\n', `short ${JSON.stringify(end)}`);
    const r = await s.run(script);
    t.is(r.stdout, body.join('\n') + '\n', JSON.stringify(end));
    const len = await s.run(`printf '%s' "$(cat <<'EOF'\n${'a\\\n'.repeat(3)}EOF\n)" | wc -c`);
    t.is(len.stdout.trim(), '8');
  }
  s.close();
});

test('each script runs in a fresh shell: cd, variables, set -e, traps, exec, exit', async (t) => {
  const { s } = await session();
  await s.run('cd /tmp; X=1; export Y=2; set -e; trap "echo trapped" EXIT; exec true');
  const r = await s.run('pwd; echo "x=${X-unset} y=${Y-unset}"; false; echo "no set -e"');
  t.is(r.stdout, `${process.cwd()}\nx=unset y=unset\nno set -e\n`);
  t.is(r.rc, 0);
  t.is((await s.run('exit 0')).stdout, '');
  t.is((await s.run('echo still here')).stdout, 'still here\n');
  t.is(s.scripts, 4);
  s.close();
});

test('in place: rc, stdout and stderr as in a subshell, and no fork (a child\'s parent is the loop)', async (t) => {
  const { s, l } = await session();
  const cases: Array<[string, number, string, string]> = [
    ['echo out; echo err >&2', 0, 'out\n', 'err\n'],
    ['printf "no newline"; false', 1, 'no newline', ''],
    ['sh -c \'exit 7\'', 7, '', ''],
    ['', 0, '', ''],
    ['cat', 0, '', ''], // stdin is /dev/null, never the protocol stream
  ];
  for (const [cmd, rc, out, err] of cases) {
    const r = await s.run(cmd, { inPlace: true });
    t.deepEqual([r.rc, r.stdout, r.stderr], [rc, out, err], cmd);
  }
  // a command started in place is the loop's own child; in a subshell, the subshell's
  const parent = async (inPlace: boolean) => Number((await s.run('sh -c \'echo $PPID\'', { inPlace })).stdout);
  t.is(await parent(true), l.pid);
  t.not(await parent(false), l.pid);
  s.close();
});

test('in place: an error in the text fails that script only; cd and IFS are put back; framing holds', async (t) => {
  const { s } = await session();
  // a syntax error, a failed redirection, a special builtin's error: rc 2, the loop goes on
  for (const bad of ['if then', 'exec </nonexistent/x', '. /nonexistent/x']) {
    const r = await s.run(bad, { inPlace: true });
    t.is(r.rc, 2, bad);
    t.regex(r.stderr, /./, bad);
  }
  // variables with the names the loop once used, cd and IFS: the next scripts, in place or not, are unaffected
  await s.run('N=x T=y i=9 l=3 n=- k=1 x=2 r=5 s=echo; cd /tmp; IFS=:', { inPlace: true });
  for (const inPlace of [true, false]) {
    const r = await s.run('pwd; set -- a:b; echo "$#"', { inPlace });
    t.deepEqual([r.rc, r.stdout], [0, `${process.cwd()}\n1\n`], String(inPlace));
  }
  // a subshell script still cannot read the loop's nonce or its variables
  t.is((await s.run('set | grep -c "^__tsl_" || true')).stdout, '0\n');
  t.is((await s.run('echo still here', { inPlace: true })).stdout, 'still here\n');
  s.close();
});

test('output that looks like markers, binary output and 5 MB of it stay exact', async (t) => {
  const { s } = await session();
  // the loop's argv and environment, the script's own, and the variables it can read never hold the nonce
  const nonce = (s as unknown as { nonce: string }).nonce;
  const ps = await s.run('cat /proc/$$/cmdline /proc/$$/environ /proc/self/cmdline /proc/self/environ | tr "\\0" "\\n"; set');
  t.is(ps.rc, 0);
  t.true(ps.stdout.includes('tsplay-run-'), 'the loop was found');
  t.false(ps.stdout.includes(nonce));
  t.is((await s.run('echo "${N-unset} ${i-unset} ${s-unset} ${n-unset} $#"')).stdout, 'unset unset unset unset 0\n');
  const nonceish = await s.run("printf '%s0 0\\n%s1 0\\n' 0123456789abcdef0123456789abcdef 0123456789abcdef0123456789abcdef");
  t.is(nonceish.stdout, '0123456789abcdef0123456789abcdef0 0\n0123456789abcdef0123456789abcdef1 0\n');
  const bytes = await s.run('head -c 5242880 /dev/urandom | tee /tmp/tsplay-shell-test.bin | sha256sum | cut -c1-64 >&2; cat /tmp/tsplay-shell-test.bin; rm -f /tmp/tsplay-shell-test.bin');
  t.is(bytes.stdoutBytes.length, 5 << 20);
  t.is(sha(bytes.stdoutBytes), bytes.stderr.trim());
  const zeros = await s.run('printf "a\\0b\\377"');
  t.true(zeros.stdoutBytes.equals(Buffer.from([0x61, 0, 0x62, 0xff])));
  s.close();
});

test('stdin: exact binary bytes, several MB; unread stdin does not leak into the next script', async (t) => {
  const { s } = await session();
  const blob = randomBytes(5 << 20);
  const r = await s.run('sha256sum | cut -c1-64', { stdin: blob });
  t.is(r.stdout.trim(), sha(blob));
  const partial = await s.run('head -c 3', { stdin: Buffer.from('abcdef\n' + 'x'.repeat(100000)) });
  t.is(partial.stdout, 'abc');
  const none = await s.run('read x 2>/dev/null; echo "rc=$?"; cat | wc -c');
  t.is(none.stdout, 'rc=1\n0\n', 'no stdin: /dev/null, never the protocol stream');
  t.is((await s.run('cat', { stdin: '' })).stdout, '');
  // a script with stdin (a file write) runs in its own sh -c, which ps shows with its text and the loop's tag
  const own = await s.run('tr "\\0" " " < /proc/$$/cmdline; cat', { stdin: 'in\n' });
  t.regex(own.stdout, /^\/bin\/sh -c tr .* sh tsplay-run-session-\d+ in\n$/);
  t.is((await s.run('cat', { stdin: 'text é\n' })).stdout, 'text é\n');
  t.is((await s.run('echo next')).stdout, 'next\n');
  s.close();
});

test('a background process holding stdout does not hang the session', async (t) => {
  const { s } = await session();
  const started = Date.now();
  const r = await s.run('sleep 30.4242 & echo started');
  t.is(r.stdout, 'started\n');
  t.is((await s.run('echo next')).stdout, 'next\n');
  t.true(Date.now() - started < 3000);
  await s.run('pkill -f "sleep 30.4242"; true');
  s.close();
});

test('timeout: the group is killed, the session dropped, ShellTimeoutError', async (t) => {
  const { s, l } = await session();
  let killed = false;
  const started = Date.now();
  await t.throwsAsync(
    s.run('sleep 20', {
      timeoutMs: 300,
      kill: () => {
        killed = true;
        return l.killGroup();
      },
    }),
    { instanceOf: ShellTimeoutError },
  );
  t.true(killed);
  t.true(Date.now() - started < 3000);
  t.false(s.alive);
  await t.throwsAsync(s.run('true'), { instanceOf: ShellLostError });
});

test('a shell killed while a script runs: ShellLostError, and the session is gone', async (t) => {
  const { s, l } = await session();
  const running = s.run('sleep 10');
  await new Promise((r) => setTimeout(r, 200));
  await l.killGroup();
  await t.throwsAsync(running, { instanceOf: ShellLostError, message: /ended while a command was running/ });
  t.false(s.alive);
});

test('a stream that ends inside a script never runs the part that came', async (t) => {
  const { s, l } = await session();
  const marker = `/tmp/tsplay-shell-partial-${process.pid}`;
  t.is((await s.run(`rm -f ${marker}`)).rc, 0);
  // a header for three lines, then one line and the end of the stream: the loop ends, nothing runs
  const [header, text] = encodeScript(99, `touch ${marker}\necho two\necho three`);
  l.transport.write(Buffer.concat([header, text.subarray(0, text.indexOf(0x0a) + 1)]));
  l.transport.close();
  await new Promise<void>((resolve) => l.transport.onClose(resolve));
  t.false(existsSync(marker));
  // the same for a long script sent as a byte count: cut before its end
  const { l: l2 } = await session();
  const [h2, t2] = encodeScript(99, `touch ${marker}\n: ${'x'.repeat(SCRIPT_LINES_MAX_BYTES)}`);
  l2.transport.write(Buffer.concat([h2, t2.subarray(0, 100)]));
  l2.transport.close();
  await new Promise<void>((resolve) => l2.transport.onClose(resolve));
  t.false(existsSync(marker));
});

test('a shell that does not answer the greeting: ShellStartError', async (t) => {
  // a forced command that prints and exits, one that never answers, no /bin/sh loop at all
  const exits = local(['/bin/sh', '-c', 'echo "This account is restricted"; exit 1']);
  await t.throwsAsync(ShellSession.start(exits.transport, 5000), { instanceOf: ShellStartError, message: /ended before it answered/ });
  const silent = local(['/bin/sh', '-c', 'cat >/dev/null']);
  await t.throwsAsync(ShellSession.start(silent.transport, 300), { instanceOf: ShellStartError, message: /no answer/ });
  await silent.killGroup();
  const nohead = local(['/bin/sh', '-c', `PATH=/nonexistent; ${SHELL_LOOP}`, 'sh']);
  await t.throwsAsync(ShellSession.start(nohead.transport, 5000), { instanceOf: ShellStartError });
});

// A long-lived shell remembers where it found a command (dash's hash table): a program put
// earlier in PATH since (by an earlier task, or an earlier run on a held connection) would not
// be the one run, where a fresh shell (Ansible's, each module) runs it. The loop forgets.
test('a program put earlier in PATH after a first use is the one the next script runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-hash-'));
  const [a, b] = [join(dir, 'a'), join(dir, 'b')];
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(b, 'tool'), '#!/bin/sh\necho b\n', { mode: 0o755 });
  const l = local(['/bin/sh', '-c', `PATH=${a}:${b}:$PATH; ${SHELL_LOOP}`, 'sh', 'tsplay-run-session']);
  t.teardown(async () => {
    await l.killGroup();
    rmSync(dir, { recursive: true, force: true });
  });
  const s = await ShellSession.start(l.transport, 5000);
  for (const inPlace of [true, false]) t.is((await s.run('tool', { inPlace })).stdout, 'b\n', `before, inPlace ${inPlace}`);
  writeFileSync(join(a, 'tool'), '#!/bin/sh\necho a\n', { mode: 0o755 });
  for (const inPlace of [true, false]) t.is((await s.run('tool', { inPlace })).stdout, 'a\n', `after, inPlace ${inPlace}`);
});
