// Vaulted values are never printed (issue 15): every decrypted secret is
// registered here, and every output of a run passes through redact, which
// replaces each occurrence with "********" (as if no_log applied to it). A
// deliberate difference from Ansible, whose debug prints vaulted values
// (docs/playbooks.md, "Vault").

import type { Reporter, RunEvent } from '../report/events.js';

export const REDACTED = '********';

/** Shorter values are not registered: hiding every "no" or "1" in a report would hide the report (docs/playbooks.md). */
export const MIN_SECRET_LENGTH = 3;

const secrets = new Set<string>();
let pattern: RegExp | undefined;

/** Register a revealed text, and each of its lines (a diff shows a file line by line). */
export function registerSecret(text: string): void {
  for (const s of [text, ...text.split(/\r?\n/)]) {
    const t = s.trim();
    // A line of punctuation ("---", "}];") is structure, not a secret.
    if (t.length >= MIN_SECRET_LENGTH && /[\p{L}\p{N}]/u.test(t) && !secrets.has(t)) {
      secrets.add(t);
      pattern = undefined;
    }
  }
}

/** Register every scalar of a decrypted vars file (its values, not its variable names). */
export function registerSecretValues(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') registerSecret(v);
    else if (typeof v === 'number' || typeof v === 'bigint') registerSecret(String(v));
    else if (v && typeof v === 'object') stack.push(...Object.values(v as Record<string, unknown>));
  }
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

/** Forget every registered secret (tests; one run per process otherwise). */
export function clearSecrets(): void {
  secrets.clear();
  pattern = undefined;
}

function secretPattern(): RegExp {
  // Longest first, so a secret containing another is hidden whole.
  pattern ??= new RegExp([...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return pattern;
}

export function redactText(text: string): string {
  if (!secrets.size) return text;
  return text.replace(secretPattern(), REDACTED);
}

/** A copy of `value` with every string redacted (keys too: a dict keyed by a secret would show it). */
export function redactDeep<T>(value: T): T {
  if (!secrets.size) return value;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactText(v);
    if ((typeof v === 'number' || typeof v === 'bigint') && secrets.has(String(v))) return REDACTED;
    if (v === null || typeof v !== 'object' || depth > 200) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (Buffer.isBuffer(v)) return v;
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      // A class instance (an Unsafe string, a Date): as JSON shows it, redacted, when that would show a secret.
      const json = JSON.stringify(v);
      return json === undefined || redactText(json) === json ? v : walk(JSON.parse(json), depth + 1);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[redactText(k)] = walk(x, depth + 1);
    return out;
  };
  return walk(value, 0) as T;
}

/** The run's single output choke point: each event redacted before any reporter sees it. */
export function redactingReporter(emit: Reporter): Reporter {
  return (ev: RunEvent) => emit(secrets.size ? redactDeep(ev) : ev);
}
