// The system-fact parsers against recorded probe output, with Ansible 2.14's
// own `setup` output for the same host as the expected value. Each pair was
// recorded with test/helpers/record-fact-probes.ts: tsplay's probes, then at
// once `ansible -m setup` on the same host (checked against the real Ansible,
// not written by hand):
//   vm       this machine (Debian 12 in a gVisor container: no systemd, docker marker), local connection
//   labhost  a lab host (Debian 12 under systemd-nspawn, systemd; python3 and python3-distro installed for Ansible), over SSH
// Values that move between the two readings (clock, uptime, free memory and
// disk, load) are compared by shape (test/helpers/compare-facts.ts); everything else must be equal.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFacts, type ProbeResults } from '../../../../engine/facts/system.js';
import { compareFacts } from '../../../helpers/compare-facts.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'facts');

for (const name of ['vm', 'labhost']) {
  test(`${name}: every fact Ansible's setup reports, as it reports it`, (t) => {
    const probes = JSON.parse(readFileSync(join(dir, `${name}.probes.json`), 'utf8')) as ProbeResults;
    const ansible = JSON.parse(readFileSync(join(dir, `${name}.ansible.json`), 'utf8')) as Record<string, unknown>;
    // python and python_version: these recordings predate the python probe; python-facts.test.ts and the lab facts test compare them
    const compared = compareFacts(t, name, parseFacts(probes), ansible, new Set(['python', 'python_version']));
    t.true(compared.length > 60, `${name}: ${compared.length} facts compared`);
  });
}
