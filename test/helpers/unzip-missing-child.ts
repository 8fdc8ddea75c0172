// Run by test/unit/modules/unarchive-zip-vs-ansible.test.ts inside a mount
// namespace where /usr/bin/unzip and /usr/bin/zipinfo are hidden (/dev/null
// bound over them): one unarchive of a zip through ansible-playbook and through
// tsplay, each on its own copy; prints both results and trees as JSON.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleResults, snapshot, tsplayResults } from './module-differential.js';
import type { DiffCase } from './module-differential.js';

const zip = Buffer.from(process.argv[2], 'base64');
const root = mkdtempSync(join(tmpdir(), 'tsplay-nounzip-'));
try {
  const cases: DiffCase[] = [{ name: 'nounzip', task: { unarchive: { src: '@DIR@/a.zip', dest: '@DIR@/d' } } }];
  const fresh = (side: string) => {
    mkdirSync(join(root, side, 'nounzip', 'd'), { recursive: true });
    writeFileSync(join(root, side, 'nounzip', 'a.zip'), zip);
    return join(root, side);
  };
  const a = ansibleResults(cases, fresh('ansible'), false)[0];
  const t = (await tsplayResults(cases, fresh('tsplay'), false))[0];
  process.stdout.write(JSON.stringify({
    ansible: { failed: a.failed, msg: a.msg, tree: snapshot(join(root, 'ansible', 'nounzip', 'd')) },
    tsplay: { failed: t?.status === 'failed', msg: t?.msg, tree: snapshot(join(root, 'tsplay', 'nounzip', 'd')) },
  }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
