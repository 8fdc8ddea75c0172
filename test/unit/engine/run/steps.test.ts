// The step executor (engine/run/steps.ts), one table over a real local host in a
// temp directory: what ran, what the task registers, the one failure format,
// okCodes, rollback from undo data (old bytes back exactly, only over what the
// task wrote), the timestamp token and failure explanations.

import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { Host } from '../../../../engine/host/host.js';
import { ModuleError } from '../../../../engine/module-api.js';
import type { HostWriter, Step } from '../../../../engine/module-api.js';
import { executeSteps, pythonDatetime, pythonDelta, timestamp } from '../../../../engine/run/steps.js';
import type { StepsOutcome } from '../../../../engine/run/steps.js';

const host = new Host(new LocalConnection(), { name: 'localhost' });
const root = mkdtempSync(join(tmpdir(), 'tsplay-steps-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

const NOW = new Date('2026-11-30T15:50:27.123Z');
/** Not UTF-8, a NUL, CRLF, no final newline: restored byte for byte or not at all. */
const OLD = Buffer.from([0xff, 0xfe, 0x00, 0x61, 0x0d, 0x0a, 0x62]);
/** The fields every failed command reports (Ansible's command module shape). */
const FAILURE_KEYS = ['cmd', 'delta', 'delta_ms', 'end', 'rc', 'start', 'stderr', 'stderr_lines', 'stdout', 'stdout_lines'];

interface Row {
  name: string;
  /** Files to create first (relative to the row's directory). */
  before?: Record<string, string | Buffer>;
  steps: (dir: string) => Step[];
  /** Success: compared with t.like against the registered result. */
  result?: (dir: string) => Record<string, unknown>;
  /** Success: kinds and rcs of the per-step results, in order. */
  ran?: string[];
  /** Success: the result has no `commands` (quiet and taskResult steps are not listed). */
  unlisted?: boolean;
  /** Failure: it is a write that fails (its details are the write's, not a command's). */
  writeFails?: boolean;
  /** Failure: the exact message, and details compared with t.like. */
  message?: (dir: string) => string;
  details?: Record<string, unknown>;
  /** Afterwards: each file's exact bytes (null: does not exist). */
  after?: Record<string, string | Buffer | null>;
}

const sh = (script: string): string[] => ['sh', '-c', script];

const rows: Row[] = [
  {
    name: 'ok: steps run in order; commands listed with their output; a write creates the file',
    steps: (d) => [
      { kind: 'run', argv: sh('printf "one\\ntwo\\n"') },
      { kind: 'write', path: `${d}/f`, content: 'new\n', mode: '0600' },
      { kind: 'run', argv: ['cat', '--', `${d}/f`] },
    ],
    ran: ['run 0', 'write', 'run 0'],
    result: (d) => ({ commands: [
      { cmd: `sh -c 'printf "one\\ntwo\\n"'`, rc: 0, stdout: 'one\ntwo\n', stderr: '' },
      { cmd: `cat -- ${d}/f`, rc: 0, stdout: 'new\n', stderr: '' },
    ] }),
    after: { f: 'new\n' },
  },
  {
    name: 'okCodes: an rc listed there is not a failure',
    steps: () => [{ kind: 'run', argv: sh('exit 3'), okCodes: [0, 3] }],
    ran: ['run 3'],
    result: () => ({ commands: [{ cmd: "sh -c 'exit 3'", rc: 3, stdout: '', stderr: '' }] }),
  },
  {
    name: 'failure: message "ARGV exited with rc N: stderr", command-shaped details, later steps not run',
    steps: (d) => [
      { kind: 'run', argv: sh('echo out; echo err >&2; exit 4') },
      { kind: 'write', path: `${d}/never`, content: 'x' },
    ],
    message: () => "sh -c 'echo out; echo err >&2; exit 4' exited with rc 4: err",
    details: { cmd: sh('echo out; echo err >&2; exit 4'), rc: 4, stdout: 'out', stderr: 'err', stdout_lines: ['out'], stderr_lines: ['err'] },
    after: { never: null },
  },
  {
    name: 'failure: an rc outside okCodes fails; all of stderr is in the message',
    steps: () => [{ kind: 'run', argv: sh('printf "e1\\ne2\\n" >&2; exit 1'), okCodes: [0, 3] }],
    message: () => `sh -c 'printf "e1\\ne2\\n" >&2; exit 1' exited with rc 1: e1\ne2`,
    details: { rc: 1, stderr: 'e1\ne2', stderr_lines: ['e1', 'e2'] },
  },
  {
    name: 'failure: a long stderr is cut at 20 lines in the message (all of it is in the details)',
    steps: () => [{ kind: 'run', argv: sh('seq 25 >&2; exit 1') }],
    message: () => `sh -c 'seq 25 >&2; exit 1' exited with rc 1: ${Array.from({ length: 20 }, (_, i) => i + 1).join('\n')}\n... (5 more lines)`,
    details: { stderr_lines: Array.from({ length: 25 }, (_, i) => String(i + 1)) },
  },
  {
    name: 'failure: no stderr, the first non-empty line of stdout',
    steps: () => [{ kind: 'run', argv: sh('echo; echo only-stdout; echo more; exit 2') }],
    message: () => "sh -c 'echo; echo only-stdout; echo more; exit 2' exited with rc 2: only-stdout",
    details: { rc: 2, stdout: '\nonly-stdout\nmore', stderr: '' },
  },
  {
    name: 'failure: silent command',
    steps: () => [{ kind: 'run', argv: ['false'] }],
    message: () => 'false exited with rc 1',
    details: { cmd: ['false'], rc: 1, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] },
  },
  {
    name: 'undo: a later failure puts the old bytes back exactly (compare-and-swap) and says so',
    before: { fstab: OLD },
    steps: (d) => [
      { kind: 'write', path: `${d}/fstab`, content: 'new entry\n', undo: { content: OLD } },
      { kind: 'run', argv: ['mkdir', '-p', '--', `${d}/mnt`] },
      { kind: 'run', argv: sh('echo mount: bad option >&2; exit 32') },
    ],
    message: (d) => `sh -c 'echo mount: bad option >&2; exit 32' exited with rc 32: mount: bad option; ${d}/fstab restored to its previous content`,
    details: { rc: 32, stderr: 'mount: bad option' },
    after: { fstab: OLD },
  },
  {
    name: 'undo of a command: a later failure runs it, after the later writes\' undos and before the earlier ones',
    before: { fstab: OLD },
    steps: (d) => [
      { kind: 'write', path: `${d}/fstab`, content: 'new entry\n', undo: { content: OLD } },
      { kind: 'run', argv: ['mkdir', '-p', '--', `${d}/mnt/a`], undo: { argv: ['rmdir', '--', `${d}/mnt/a`, `${d}/mnt`] } },
      { kind: 'run', argv: sh('echo mount: bad option >&2; exit 32') },
    ],
    message: (d) => `sh -c 'echo mount: bad option >&2; exit 32' exited with rc 32: mount: bad option; undone: rmdir -- ${d}/mnt/a ${d}/mnt; ${d}/fstab restored to its previous content`,
    after: { fstab: OLD, 'mnt/a': null, mnt: null },
  },
  {
    name: 'undo of a command: its own failure is said, the other undos still run',
    before: { fstab: OLD },
    steps: (d) => [
      { kind: 'write', path: `${d}/fstab`, content: 'new entry\n', undo: { content: OLD } },
      { kind: 'run', argv: ['mkdir', '-p', '--', `${d}/m`], undo: { argv: ['rmdir', '--', `${d}/m`] } },
      { kind: 'run', argv: sh(`touch '${d}/m/x'; exit 3`) },
    ],
    message: (d) => `sh -c 'touch '\\''${d}/m/x'\\''; exit 3' exited with rc 3; undo rmdir -- ${d}/m failed (rc 1): rmdir: failed to remove '${d}/m': Directory not empty; ${d}/fstab restored to its previous content`,
    after: { fstab: OLD, 'm/x': '' },
  },
  {
    name: 'undo of a command: not run when the step itself fails',
    before: { keep: 'k' },
    steps: (d) => [{ kind: 'run', argv: ['false'], undo: { argv: ['rm', '--', `${d}/keep`] } }],
    message: () => 'false exited with rc 1',
    after: { keep: 'k' },
  },
  {
    name: 'undo: a failing later write also rolls back',
    before: { a: 'old a\n' },
    steps: (d) => [
      { kind: 'write', path: `${d}/a`, content: 'new a\n', undo: { content: 'old a\n' } },
      { kind: 'write', path: `${d}/b`, content: 'b\n', validate: 'false %s' },
    ],
    writeFails: true,
    message: (d) => `localhost: write ${d}/b: validation failed (validate exited with rc 1); ${d}/a restored to its previous content`,
    after: { a: 'old a\n', b: null },
  },
  {
    name: 'undo: not run when the later steps succeed',
    before: { fstab: OLD },
    steps: (d) => [
      { kind: 'write', path: `${d}/fstab`, content: 'new entry\n', undo: { content: OLD } },
      { kind: 'run', argv: ['true'] },
    ],
    ran: ['write', 'run 0'],
    after: { fstab: 'new entry\n' },
  },
  {
    name: 'undo: a file changed since the task wrote it is left alone, and the message says so',
    before: { fstab: OLD },
    steps: (d) => [
      { kind: 'write', path: `${d}/fstab`, content: 'new entry\n', undo: { content: OLD } },
      { kind: 'run', argv: sh(`echo someone else > '${d}/fstab'; exit 1`) },
    ],
    message: (d) => `sh -c 'echo someone else > '\\''${d}/fstab'\\''; exit 1' exited with rc 1; ${d}/fstab not restored: it changed since this task wrote it`,
    after: { fstab: 'someone else\n' },
  },
  {
    name: 'timestamp: the token in a timestamp write becomes the run time; registerPath returns the path',
    steps: (d) => [{ kind: 'write', path: `${d}/log-{timestamp}.log`, content: 'log\n', timestamp: true, registerPath: 'log' }],
    ran: ['write'],
    unlisted: true,
    result: (d) => ({ log: `${d}/log-20261130T155027.123Z.log` }),
    after: { 'log-20261130T155027.123Z.log': 'log\n' },
  },
  {
    name: 'timestamp: without timestamp: true the braces are part of the name',
    steps: (d) => [{ kind: 'write', path: `${d}/x-{timestamp}`, content: 'x', registerPath: 'path' }],
    result: (d) => ({ path: `${d}/x-{timestamp}` }),
    after: { 'x-{timestamp}': 'x' },
  },
  {
    name: 'explain: on a listed rc, the explanation command\'s lines replace the generic message',
    steps: () => [{ kind: 'run', argv: sh('echo busy >&2; exit 8'), explain: { codes: [8], argv: ['printf', ' 4242 nova-compute\\n\\n 4300 sleep\\n'], message: 'cannot change nova: running ({lines}); stop them', none: 'none found' } }],
    message: () => 'cannot change nova: running (4242 nova-compute, 4300 sleep); stop them',
    details: { rc: 8, stderr: 'busy', explanation: ['4242 nova-compute', '4300 sleep'] },
  },
  {
    name: 'explain: an explanation that finds nothing says `none`',
    steps: () => [{ kind: 'run', argv: sh('exit 8'), explain: { codes: [8], argv: ['true'], message: 'busy ({lines})', none: 'none found' } }],
    message: () => 'busy (none found)',
    details: { rc: 8, explanation: [] },
  },
  {
    name: 'explain: more than 10 lines are counted',
    steps: () => [{ kind: 'run', argv: sh('exit 8'), explain: { codes: [8], argv: ['seq', '12'], message: 'busy ({lines})', none: 'none' } }],
    message: () => 'busy (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (12 in all))',
  },
  {
    name: 'explain: another rc gets the one generic format',
    steps: () => [{ kind: 'run', argv: sh('echo locked >&2; exit 10'), explain: { codes: [8], argv: ['true'], message: 'busy ({lines})', none: 'none' } }],
    message: () => "sh -c 'echo locked >&2; exit 10' exited with rc 10: locked",
    details: { rc: 10, stderr: 'locked' },
  },
  {
    name: 'taskResult: the command\'s result is the task\'s (one trailing newline removed), not listed in commands',
    steps: () => [{ kind: 'run', argv: sh('printf "a b\\nc\\n\\n"; cat'), stdin: 'in', taskResult: true }],
    unlisted: true,
    result: () => ({ cmd: sh('printf "a b\\nc\\n\\n"; cat'), rc: 0, stdout: 'a b\nc\n\nin', stderr: '', stdout_lines: ['a b', 'c', '', 'in'], stderr_lines: [] }),
  },
  {
    name: 'taskResult: stdout and stderr lose every trailing CR/LF, as Ansible\'s rstrip("\\r\\n"); no empty tail in *_lines',
    steps: () => [{ kind: 'run', argv: sh('printf "demo3\\n\\n"; printf "w1\\r\\nw2\\r\\n\\r\\n" >&2'), taskResult: true }],
    unlisted: true,
    result: () => ({ rc: 0, stdout: 'demo3', stderr: 'w1\r\nw2', stdout_lines: ['demo3'], stderr_lines: ['w1', 'w2'] }),
  },
  {
    name: 'taskResult: a failing one fails in the same format',
    steps: () => [{ kind: 'run', argv: ['ls', '/nonexistent-tsplay'], taskResult: true }],
    message: () => "ls /nonexistent-tsplay exited with rc 2: ls: cannot access '/nonexistent-tsplay': No such file or directory",
    details: { cmd: ['ls', '/nonexistent-tsplay'], rc: 2, stdout: '' },
  },
  {
    name: 'quiet: run (and checked) but not listed in commands',
    before: { conf: 'old\n' },
    steps: (d) => [
      { kind: 'run', argv: ['true'], quiet: true },
      { kind: 'write', path: `${d}/conf`, content: 'new\n' },
    ],
    ran: ['run 0', 'write'],
    unlisted: true,
    after: { conf: 'new\n' },
  },
];

for (const [i, row] of rows.entries()) {
  test.serial(row.name, async (t) => {
    const dir = join(root, String(i));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const [name, content] of Object.entries(row.before ?? {})) writeFileSync(join(dir, name), content);
    let outcome: StepsOutcome | undefined;
    let error: unknown;
    try {
      outcome = await executeSteps(row.steps(dir), host, NOW);
    } catch (e) {
      error = e;
    }
    if (row.message) {
      t.true(error instanceof ModuleError, `expected a ModuleError, got ${String(error)} / ${JSON.stringify(outcome?.result)}`);
      const e = error as ModuleError;
      t.is(e.message, row.message(dir));
      // one failure format: every failed command carries the same fields (a failed write reports its own, engine/host/host.ts)
      if (!row.writeFails) t.deepEqual(FAILURE_KEYS.filter((k) => k in e.details), FAILURE_KEYS);
      if (row.details) t.like(e.details, row.details);
    } else {
      t.is(error, undefined, String(error));
      if (row.ran) t.deepEqual(outcome!.steps.map((s) => (s.kind === 'run' ? `run ${s.rc}` : 'write')), row.ran);
      if (row.result) t.like(outcome!.result, row.result(dir));
      if (row.unlisted) t.false('commands' in outcome!.result, JSON.stringify(outcome!.result));
    }
    for (const [name, want] of Object.entries(row.after ?? {})) {
      const p = join(dir, name);
      if (want === null) t.false(existsSync(p), `${name} does not exist`);
      else t.deepEqual(readFileSync(p), Buffer.from(want), `${name}: exact bytes`);
    }
  });
}

test.serial('backup_file: the old content is kept at the returned path', async (t) => {
  const dir = join(root, 'backup');
  mkdirSync(dir);
  writeFileSync(join(dir, 'conf'), OLD);
  const out = await executeSteps([{ kind: 'write', path: `${dir}/conf`, content: 'new\n', backup: true }], host);
  const backup = out.result.backup_file as string;
  t.regex(backup, new RegExp(`^${dir}/conf\\.`));
  t.deepEqual(readFileSync(backup), OLD);
  t.deepEqual(out.steps, [{ kind: 'write', path: `${dir}/conf`, backup_file: backup }]);
});

test('timestamp(): compact UTC with milliseconds', (t) => {
  t.is(timestamp(NOW), '20261130T155027.123Z');
});

test('undo: an error that is not a failed step (host unreachable, timeout, Ctrl-C) starts no rollback write', async (t) => {
  const writes: string[] = [];
  const fake = {
    name: 'fake',
    async writeFile(path: string) { writes.push(path); return {}; },
    async exec() { throw new Error('connection lost'); },
  } as unknown as HostWriter;
  await t.throwsAsync(executeSteps([
    { kind: 'write', path: '/etc/fstab', content: 'new\n', undo: { content: 'old\n' } },
    { kind: 'run', argv: ['mount', '-a'] },
  ], fake), { message: 'connection lost' });
  t.deepEqual(writes, ['/etc/fstab']);
});

test('command output as Ansible returns it: no trailing CR/LF, no empty tail in the lines, start/end/delta', async (t) => {
  const { result } = await executeSteps([{ kind: 'run', argv: ['sh', '-c', 'printf "demo3\\n\\n"; printf "a\\r\\n\\r\\n" >&2'], taskResult: true }], host);
  t.is(result.stdout, 'demo3');
  t.deepEqual(result.stdout_lines, ['demo3']);
  t.is(result.stderr, 'a');
  t.deepEqual(result.stderr_lines, ['a']);
  t.regex(String(result.start), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  t.regex(String(result.end), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  t.regex(String(result.delta), /^0:00:\d\d\.\d{6}$/);
  t.true(String(result.start) <= String(result.end));
});

test('Python\'s datetime and timedelta text', (t) => {
  t.is(pythonDatetime(new Date(2026, 10, 30, 7, 5, 3, 42)), '2026-11-30 07:05:03.042000');
  t.is(pythonDelta(0), '0:00:00.000000');
  t.is(pythonDelta(1234), '0:00:01.234000');
  t.is(pythonDelta(3_723_004), '1:02:03.004000');
});

test('lines split as Python\'s splitlines()', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['printf ""', []],
    ['printf "a"', ['a']],
    ['printf "a\\n\\nb"', ['a', '', 'b']],
    ['printf "a\\r\\nb\\rc\\vd"', ['a', 'b', 'c', 'd']],
  ];
  for (const [script, expected] of cases) {
    const { result } = await executeSteps([{ kind: 'run', argv: ['sh', '-c', script], taskResult: true }], host);
    t.deepEqual(result.stdout_lines, expected, script);
  }
});
