// get_url on this machine (local connection) against a tiny HTTP server on
// 127.0.0.1: first run downloads (changed), second is ok, a changed body is
// downloaded again, a checksum that matches dest skips the download, a wrong
// one fails and leaves dest alone, mode applies. The changed flags are the ones
// Ansible 2.14's get_url gives for the same sequence (checked by hand with
// ansible-playbook against the same kind of server).

import test from 'ava';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../engine/connection/local-connection.js';
import { Host } from '../../../engine/host/host.js';
import { validateModuleArgs } from '../../../engine/load/module-args.js';
import { loadRegistry } from '../../../engine/load/registry.js';
import type { ModuleDef } from '../../../engine/module-api.js';
import { executeSteps } from '../../../engine/run/steps.js';

const registry = await loadRegistry();
const root = mkdtempSync(join(tmpdir(), 'tsplay-get-url-'));
let body = 'first body\n';
const seen: Array<Record<string, unknown>> = [];
const server = createServer((req, res) => {
  seen.push({ url: req.url, h: req.headers['x-token'] });
  if (req.url === '/missing') {
    res.writeHead(404).end('no');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
test.after.always(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

const host = new Host(new LocalConnection(), { name: 'localhost' });
const ctx = { diff: false, facts: { hostname: 'l', os_id: 'debian', os_version: '12', architecture: 'x86_64', service_mgr: 'unknown', kvm: false, virtualization_hints: [] } as never, render: (s: string) => s, readLocalFile: () => Promise.resolve(Buffer.alloc(0)) };

/** One task: plan, then (not check) run the steps; the changed flag. */
async function getUrl(args: Record<string, unknown>, check = false): Promise<{ changed: boolean; result: Record<string, unknown> }> {
  const def = registry.get('get_url') as ModuleDef;
  const a = structuredClone(args);
  const errors = validateModuleArgs(def, a);
  if (errors.length) throw new Error(JSON.stringify(errors));
  const plan = def.plan(a, await def.gather(a, host, ctx), ctx);
  if (plan.changed && !check) await executeSteps(plan.steps, host);
  return { changed: plan.changed, result: plan.result ?? {} };
}

const sha = (alg: string, s: string) => createHash(alg).update(s).digest('hex');

test.serial('download, then ok, then a changed body is downloaded again', async (t) => {
  if (!['curl', 'wget'].some((c) => { try { return statSync(`/usr/bin/${c}`).isFile(); } catch { return false; } })) return t.pass('no curl or wget here');
  const dest = join(root, 'f.txt');
  const args = { url: `${base}/f.txt`, dest, headers: { 'X-Token': 'abc' } };
  t.true((await getUrl(args, true)).changed, 'check predicts the download');
  t.throws(() => statSync(dest), undefined, 'check wrote nothing');
  t.true((await getUrl(args)).changed);
  t.is(readFileSync(dest, 'utf8'), body);
  t.is((statSync(dest).mode & 0o7777).toString(8), '644');
  t.is(seen.at(-1)?.h, 'abc', 'headers are sent');
  const again = await getUrl(args);
  t.false(again.changed, 'same content: ok');
  t.is(again.result.checksum_dest, sha('sha1', body));
  t.is(again.result.checksum_src, sha('sha1', body));
  body = 'second body\n';
  t.true((await getUrl(args, true)).changed, 'check sees the new content');
  t.true((await getUrl(args)).changed, 'new content: downloaded again');
  t.is(readFileSync(dest, 'utf8'), body);
  t.true((await getUrl({ ...args, mode: '0600' })).changed, 'mode only');
  t.is((statSync(dest).mode & 0o7777).toString(8), '600');
  t.false((await getUrl({ ...args, mode: '0600' })).changed);
});

test.serial('checksum: a matching dest is not fetched; a wrong checksum fails and leaves dest alone', async (t) => {
  if (!['curl', 'wget'].some((c) => { try { return statSync(`/usr/bin/${c}`).isFile(); } catch { return false; } })) return t.pass('no curl or wget here');
  const dest = join(root, 'c.txt');
  body = 'checked\n';
  const good = { url: `${base}/c.txt`, dest, checksum: `sha256:${sha('sha256', body)}` };
  t.true((await getUrl(good)).changed);
  const n = seen.length;
  t.false((await getUrl(good)).changed);
  t.is(seen.length, n, 'no request when the checksum matches');
  const bad = { url: `${base}/c.txt`, dest: join(root, 'bad.txt'), checksum: `sha1:${'0'.repeat(40)}` };
  await t.throwsAsync(getUrl(bad), { message: /did not match/ });
  t.throws(() => statSync(bad.dest), undefined, 'nothing left at dest');
});

test.serial('a directory dest gets the URL\'s file name; a 404 fails', async (t) => {
  if (!['curl', 'wget'].some((c) => { try { return statSync(`/usr/bin/${c}`).isFile(); } catch { return false; } })) return t.pass('no curl or wget here');
  const r = await getUrl({ url: `${base}/dir/name.tar.gz?x=1`, dest: root });
  t.true(r.changed);
  t.is(r.result.dest, join(root, 'name.tar.gz'));
  t.is(readFileSync(join(root, 'name.tar.gz'), 'utf8'), body);
  await t.throwsAsync(getUrl({ url: `${base}/missing`, dest: join(root, 'gone') }), { message: /22|404|exited/ });
});
