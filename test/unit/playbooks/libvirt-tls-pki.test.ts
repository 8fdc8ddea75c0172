// The controller half of playbooks/tasks/libvirt-tls.yml (site CA and per
// compute certificates, delegated to localhost) run for real on this machine
// against two local "computes", with a temporary PKI directory: --check writes
// nothing and predicts exactly the real run's changes, a rerun changes nothing,
// the certificates verify against the CA with the compute's name and address,
// private keys are never in any event, a changed address re-issues only that
// compute's certificates, and an operator's CA is used, never overwritten.
// The compute half (libvirt's paths on the hosts) is in the lab test
// test/lab/live-migration-tls.test.ts.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook, type PlaybookRun } from '../../helpers/run-playbook.js';

const root = join(import.meta.dirname ?? '', '..', '..', '..');
const source = readFileSync(join(root, 'playbooks/tasks/libvirt-tls.yml'), 'utf8');
const MARK = '# --- on the compute';
if (!source.includes(MARK)) throw new Error(`playbooks/tasks/libvirt-tls.yml has no "${MARK}" line`);
const controllerHalf = source.slice(0, source.indexOf(MARK));

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - import_tasks: tasks/pki.yml
`;

function inventory(pki: string, addr2 = '10.9.0.2', extra = ''): string {
  return `all:
  vars: { libvirt_tls_pki_dir: ${pki}, libvirt_tls_cert_days: 30${extra} }
  hosts:
    local1: { ansible_connection: local, migration_address: 10.9.0.1 }
    local2: { ansible_connection: local, migration_address: ${addr2} }
`;
}

function run(pki: string, check: boolean, inv = inventory(pki)): Promise<PlaybookRun> {
  return runPlaybook({ 'playbook.yml': PLAYBOOK, 'tasks/pki.yml': controllerHalf, 'inventory.yml': inv }, { check });
}

const changed = (r: PlaybookRun) => r.results().filter((e) => e.status === 'changed').map((e) => `${e.host} | ${e.task}`).sort();
const failed = (r: PlaybookRun) => r.results().filter((e) => e.status === 'failed').map((e) => `${e.host} | ${e.task}: ${e.msg}`);
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('site CA and certificates: check predicts the run, rerun is ok, certificates fit, keys never printed', async (t) => {
  t.timeout(120_000);
  const pki = join(mkdtempSync(join(tmpdir(), 'tsplay-pki-')), 'libvirt');

  const check = await run(pki, true);
  t.is(check.code, 0, failed(check).join('\n'));
  t.false(existsSync(pki), '--check writes nothing on the controller');

  const real = await run(pki, false);
  t.is(real.code, 0, failed(real).join('\n'));
  t.deepEqual(changed(check), changed(real));
  t.true(changed(real).includes("local1 | TLS: store the site CA's key on the controller"));
  t.true(changed(real).includes('local2 | TLS: store the client key on the controller'));
  t.false(JSON.stringify([...check.events, ...real.events]).includes('PRIVATE KEY'), 'no private key in any event');

  t.is(statSync(pki).mode & 0o777, 0o700);
  t.is(statSync(join(pki, 'cakey.pem')).mode & 0o777, 0o600);
  t.deepEqual(readdirSync(join(pki, 'local2')).sort(), ['clientcert.pem', 'clientkey.pem', 'servercert.pem', 'serverkey.pem']);
  for (const [h, addr] of [['local1', '10.9.0.1'], ['local2', '10.9.0.2']]) {
    for (const role of ['server', 'client']) {
      const cert = join(pki, h, `${role}cert.pem`);
      t.is(statSync(join(pki, h, `${role}key.pem`)).mode & 0o777, 0o600, `${h} ${role} key`);
      t.is(openssl('verify', '-CAfile', join(pki, 'cacert.pem'), cert).trim(), `${cert}: OK`);
      t.regex(openssl('x509', '-in', cert, '-noout', '-ext', 'subjectAltName'), new RegExp(`DNS:${h}, IP Address:${addr.replace(/\./g, '\\.')}\\s*$`));
      t.regex(openssl('x509', '-in', cert, '-noout', '-ext', 'extendedKeyUsage'), role === 'server' ? /TLS Web Server Authentication/ : /TLS Web Client Authentication/);
      t.is(openssl('pkey', '-in', join(pki, h, `${role}key.pem`), '-pubout'), openssl('x509', '-in', cert, '-noout', '-pubkey'), `${h} ${role}: key matches`);
    }
  }

  const again = await run(pki, false);
  t.is(again.code, 0, failed(again).join('\n'));
  t.deepEqual(changed(again), [], 'a second run keeps the CA and every certificate');

  // local2's migration address changes: only its certificates are issued again.
  const before = readFileSync(join(pki, 'local1', 'servercert.pem'), 'utf8');
  const moved = await run(pki, false, inventory(pki, '10.9.0.22'));
  t.is(moved.code, 0, failed(moved).join('\n'));
  t.deepEqual(changed(moved), [
    'local2 | TLS: store the client certificate on the controller',
    'local2 | TLS: store the client key on the controller',
    'local2 | TLS: store the server certificate on the controller',
    'local2 | TLS: store the server key on the controller',
  ]);
  t.is(readFileSync(join(pki, 'local1', 'servercert.pem'), 'utf8'), before);
  t.regex(openssl('x509', '-in', join(pki, 'local2', 'servercert.pem'), '-noout', '-ext', 'subjectAltName'), /IP Address:10\.9\.0\.22\s*$/);
});

test("the operator's CA: certificates signed by it, nothing written beside it; missing files stop the run", async (t) => {
  t.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-pki-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '30',
    '-subj', '/CN=operator CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const pki = join(dir, 'libvirt');
  const given = `, libvirt_tls_ca_cert: ${join(dir, 'ca.pem')}, libvirt_tls_ca_key: ${join(dir, 'ca.key')}`;
  const r = await run(pki, false, inventory(pki, '10.9.0.2', given));
  t.is(r.code, 0, failed(r).join('\n'));
  t.deepEqual(readdirSync(pki).sort(), ['local1', 'local2'], 'no CA of its own in the PKI directory');
  const cert = join(pki, 'local1', 'servercert.pem');
  t.is(openssl('verify', '-CAfile', join(dir, 'ca.pem'), cert).trim(), `${cert}: OK`);

  const missing = `, libvirt_tls_ca_cert: ${join(dir, 'ca.pem')}, libvirt_tls_ca_key: ${join(dir, 'nope.key')}`;
  const bad = await run(join(dir, 'other'), false, inventory(join(dir, 'other'), '10.9.0.2', missing));
  t.is(bad.code, 2);
  t.regex(failed(bad).join('\n'), /libvirt_tls_ca_cert .*ca\.pem and libvirt_tls_ca_key .*nope\.key must both exist/);
  t.false(existsSync(join(dir, 'other', 'local1', 'servercert.pem')), 'nothing issued without the CA');
});
