// `omit`, as in Ansible 2.14: each run defines the magic variable `omit` as a
// placeholder string no one would write (`__omit_place_holder__<sha1>`), and an
// action option whose rendered value is exactly that placeholder is removed from
// the task's arguments before they are validated, as if it had not been written.
// So `mode: "{{ m | default(omit) }}"` leaves `mode` out when `m` is undefined.

import { createHash, randomBytes } from 'node:crypto';

/** A fresh placeholder for one run. */
export function omitPlaceholder(): string {
  return `__omit_place_holder__${createHash('sha1').update(randomBytes(64)).digest('hex')}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * The arguments without the omitted options. As Ansible does, dictionaries are
 * cleaned at every depth (a sub-option set to omit is left out too), and so are
 * dictionaries inside lists; a list element that is the placeholder itself stays
 * (only options are omitted, not list items).
 */
export function removeOmitted(args: Record<string, unknown>, placeholder: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (v === placeholder) continue;
    out[k] = clean(v, placeholder);
  }
  return out;
}

function clean(v: unknown, placeholder: string): unknown {
  if (isPlainObject(v)) return removeOmitted(v, placeholder);
  if (Array.isArray(v)) return (v as unknown[]).map((x) => (isPlainObject(x) ? removeOmitted(x, placeholder) : x));
  return v;
}
