// Our own roles (test/fixtures/roles/, written in the forms public roles use)
// run on lab hosts with ansible-playbook and with tsplay; the end states must be
// the same and tsplay's second run must change as much as Ansible's (nothing)
// (issue 11, "How it is checked"). Each role gets two fresh hosts: host 1 runs
// Ansible, host 2 tsplay; test/helpers/ansible-compare.ts compares what each
// run left behind. Every role is asserted: no skips, no expected-failure list.
// A verdict line per role and the first differences are printed, then
// "N of M roles: same end state as Ansible, idempotent".
// The roles run two at a time on two labs of their own (compat, compat2), which
// halves this file's time in CI; a role waits for a free lab before its timeout starts.
// Ansible's side of a role (its two runs and what run 1 changed) is kept in the
// reference cache (test/helpers/ansible-reference.ts) keyed by the role set's
// files, Ansible's packages, the harness, the lab base and the apt indexes the
// tsplay host fetched: a rerun with nothing changed runs only tsplay.
// Runs whenever this machine can host a lab (labGate); it needs ansible-core, which .ci/run installs.

import test from 'ava';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { ansibleMissing, compareCase, formatResult, labInputs, PREPARED_PACKAGES, prepareHost, summary, type CaseResult } from '../helpers/ansible-compare.js';
import { labGate } from '../helpers/lab-gate.js';

const LABS = ['compat', 'compat2'];
const FIXTURES = join(import.meta.dirname ?? '', '..', 'fixtures', 'roles');
const ROLES = readdirSync(FIXTURES).filter((f) => f.endsWith('.yml')).map((f) => f.slice(0, -4)).sort();
/** Every file of the role set (playbooks, roles): what Ansible's cached side depends on. */
const FIXTURE_FILES = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(FIXTURES, f)).isFile()).sort();

const canHost = labGate('the Ansible comparison lab tests');
const noAnsible = ansibleMissing();
const results: CaseResult[] = [];

// A pool of labs: each role takes one, boots it fresh, and hands it back.
const freeLabs = [...LABS];
const waiting: ((lab: string) => void)[] = [];
const takeLab = async (): Promise<string> => freeLabs.shift() ?? new Promise<string>((resolve) => waiting.push(resolve));
const giveBack = (lab: string): void => {
  const next = waiting.shift();
  if (next) next(lab);
  else freeLabs.push(lab);
};

// .ci/run installs ansible-core; a machine that can host a lab but lacks it fails here (never a silent skip).
if (canHost && noAnsible !== undefined) {
  test('ansible-playbook is installed for the Ansible comparison', (t) => t.fail(`missing ${noAnsible} (apt-get install ansible-core)`));
}

if (canHost && noAnsible === undefined) {
  test.after.always('lab down, summary', async () => {
    for (const lab of LABS) await labDown(lab);
    results.sort((a, b) => a.name.localeCompare(b.name));
    console.log(`\n${results.map((r) => formatResult(r)).join('\n')}\n${summary(results)}\n`);
  });

  test('the role set holds 10 to 14 roles, each with its playbook', (t) => {
    t.true(ROLES.length >= 10 && ROLES.length <= 14, `${ROLES.length} roles: ${ROLES.join(', ')}`);
  });

  for (const role of ROLES) {
    test(`${role}: tsplay leaves Ansible's end state, idempotently`, async (t) => {
      const lab = await takeLab();
      let r: CaseResult;
      try {
        t.timeout(20 * 60_000);
        await labDown(lab);
        const info: LabInfo = await labUp({ name: lab, hosts: 2 , packages: PREPARED_PACKAGES });
        const [ansibleHost, tsplayHost] = info.hosts.map((h) => h.name);
        await prepareHost(info, tsplayHost);
        r = await compareCase(info, role, join(FIXTURES, `${role}.yml`), {
          ansibleHost,
          tsplayHost,
          log: (l) => t.log(l),
          // Ansible's side is cached by everything it depends on; the Ansible host is prepared only when it must run.
          reference: { inputs: { role, fixtures: FIXTURE_FILES, lab: labInputs(info, tsplayHost) }, files: FIXTURE_FILES.map((f) => join(FIXTURES, f)), prepare: () => prepareHost(info, ansibleHost) },
        });
      } finally {
        giveBack(lab);
      }
      results.push(r);
      const verdict = formatResult(r);
      t.log(verdict);
      // The fixture itself must be right: Ansible runs it cleanly, changes something, and changes nothing the second time.
      t.true(r.ansibleOk, `ansible-playbook failed on our own role ${role}`);
      t.true((r.ansible1.changed ?? 0) > 0, `Ansible's first run changed nothing for ${role}`);
      t.true(r.ansibleIdempotent, `Ansible's second run is not idempotent for ${role}`);
      t.true(r.tsplayLoads, `tsplay refuses ${role} at load`);
      t.true(r.tsplayOk, `tsplay's run of ${role} failed`);
      t.deepEqual(r.differences, [], `end states differ for ${role}`);
      t.is(r.tsplay2?.changed, r.ansible2?.changed, `second run changed counts differ for ${role}`);
      t.is(r.verdict, 'same', verdict);
    });
  }
}
