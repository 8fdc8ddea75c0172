// Fixture-table tests for module plans, in the style of pyinfra's operation tests.
// Every test/modules/<module>/<case>.json becomes one test:
// {
//   "description": "what the case shows",
//   "args":  { ...module arguments as a playbook gives them... },
//   "state": { ...what gather() returned... },
//   "facts": { ...optional facts overrides... },
//   "expect": { "changed": false, "reason": "..." }            // noop, reason compared exactly
//          | { "changed": true, "summary"?: "...", "steps": [...], "diff"?: [...], "predicts"?: [...], "result"?: {...} }
//          | { "error": "substring of the ModuleError or argument error message" }
// }
// Fields present in "expect" are compared with deepEqual; absent ones are not compared
// (except "steps", which is required for a change).
//
// File content is bytes (FileState.content, write steps, file predictions). In
// "state" and "expect", a "content" string is UTF-8 text and "content_base64"
// gives any bytes (Latin-1, binary); both become a Buffer under "content". A
// plan's string "content" (a write step may carry text) is compared as its UTF-8 bytes.

import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Facts, ModuleDef, Plan } from '../../engine/module-api.js';
import { validateModuleArgs } from '../../engine/load/module-args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const defaultFacts: Facts = {
  hostname: 'node1', os_id: 'debian', os_version: '12', os_codename: 'bookworm',
  architecture: 'x86_64', service_mgr: 'systemd', default_ipv4: { address: '10.0.0.11', interface: 'eth0' }, kvm: true, virtualization_hints: [],
};

/** Every "content" string as its UTF-8 bytes and every "content_base64" as its bytes, under "content". */
function contentAsBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(contentAsBytes);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'content_base64' && typeof v === 'string') out.content = Buffer.from(v, 'base64');
    else if (k === 'content' && typeof v === 'string') out.content = Buffer.from(v, 'utf8');
    else out[k] = contentAsBytes(v);
  }
  return out;
}

interface Fixture {
  description?: string;
  args: Record<string, unknown>;
  state: unknown;
  facts?: Partial<Facts>;
  expect: Record<string, unknown>;
}

for (const moduleName of readdirSync(here).sort()) {
  const dir = join(here, moduleName);
  if (!statSync(dir).isDirectory()) continue;
  const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  for (const file of cases) {
    test(`${moduleName}/${file}`, async (t) => {
      const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture;
      const mod = ((await import(join(root, 'modules', `${moduleName}.ts`))) as { default: ModuleDef }).default;
      t.truthy(mod, `modules/${moduleName}.ts has a default export`);
      const args = structuredClone(fixture.args);
      const argErrors = validateModuleArgs(mod, args);
      const ctx = { diff: true, facts: { ...defaultFacts, ...fixture.facts } };
      let plan: Plan | undefined;
      let error: string | undefined;
      if (argErrors.length) {
        error = argErrors.map((e) => `${e.pointer || '/'}: ${e.message}`).join('; ');
      } else {
        try {
          plan = mod.plan(args, contentAsBytes(fixture.state), ctx);
        } catch (e) {
          error = (e as Error).message;
        }
      }
      const expect = contentAsBytes(fixture.expect) as Record<string, unknown>;
      if ('error' in expect) {
        t.truthy(error, `expected an error containing ${JSON.stringify(expect.error)}, got plan ${JSON.stringify(plan)}`);
        t.true(error!.includes(expect.error as string), `error ${JSON.stringify(error)} should contain ${JSON.stringify(expect.error)}`);
        return;
      }
      if (error) return t.fail(`unexpected error: ${error}`);
      t.is(plan!.changed, expect.changed as boolean, `changed: ${JSON.stringify(plan)}`);
      if (!plan!.changed) {
        if ('reason' in expect) t.is(plan!.reason, expect.reason as string);
      } else {
        t.true('steps' in expect, 'a change fixture must list the expected steps');
      }
      for (const key of ['summary', 'steps', 'diff', 'predicts', 'result', 'checkModeSkip'] as const) {
        if (key in expect) t.deepEqual(contentAsBytes((plan as unknown as Record<string, unknown>)[key]), expect[key], key);
      }
    });
  }
}
