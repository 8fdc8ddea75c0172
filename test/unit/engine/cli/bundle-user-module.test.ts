// The tsplay command runs the engine from its bundle (dist/tsplay.mjs); a user's
// module in library/ imports helpers from tsplay's dist/engine/, another copy
// of them. A ModuleError it throws from there still reaches the result with its
// details (rc, stderr), as one thrown by a built-in module does.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tsplay-bundle-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('a user module\'s ModuleError, imported from dist/engine/, keeps its details under the bundled CLI', (t) => {
  const bundle = statSync(join(ROOT, 'dist', 'tsplay.mjs'), { throwIfNoEntry: false });
  const compiled = statSync(join(ROOT, 'dist', 'engine', 'cli', 'cli.js'), { throwIfNoEntry: false });
  t.truthy(bundle && compiled && bundle.mtimeMs >= compiled.mtimeMs, 'dist/tsplay.mjs is built and current (npm run build)');
  mkdirSync(join(dir, 'library'));
  const api = pathToFileURL(join(ROOT, 'dist', 'engine', 'module-api.js')).href;
  writeFileSync(join(dir, 'library', 'refuse.mjs'), [
    `import { ModuleError } from ${JSON.stringify(api)};`,
    'export default {',
    "  name: 'refuse', schema: { type: 'object', additionalProperties: false, properties: {} },",
    '  async gather() { return {}; },',
    "  plan() { throw new ModuleError('refused here', { rc: 7, stderr: 'why not' }); },",
    '};',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'p.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - refuse: {}\n');
  writeFileSync(join(dir, 'hosts.ini'), 'localhost ansible_connection=local\n');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tsplay.js'), 'run', join(dir, 'p.yml'), '-i', join(dir, 'hosts.ini'), '--output', 'json'], { cwd: dir, encoding: 'utf8' });
  t.is(r.status, 2, r.stderr);
  const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; task?: string; status?: string; result?: Record<string, unknown> })
    .filter((e) => e.kind === 'host_result');
  t.is(results.length, 1, r.stdout);
  t.is(results[0].status, 'failed');
  t.like(results[0].result, { failed: true, rc: 7, stderr: 'why not' });
  t.regex(String(results[0].result?.msg), /refused here/);
});
