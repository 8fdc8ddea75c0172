// Host data is data, never a template (DESIGN.md "Host data is never a
// template"; Ansible's AnsibleUnsafe and the `!unsafe` YAML tag).
//
// The mark is structural: a value wrapped in Unsafe is bound as a variable
// verbatim (engine/template/vars.ts) and returned verbatim by the renderer
// (engine/template/template.ts). The wrapper lives only where a value is stored: a
// variable layer (registered results, facts, set_fact values derived from host
// data, loop items) or a `!unsafe` scalar in playbook text. Templates and
// expressions never see it: they see the plain value.
//
// Derivation is tracked as Ansible does: a render that read any unsafe value
// produces an unsafe result (trackUnsafe), so `set_fact: x: "{{ out.stdout }}"`
// stores data, while `set_fact` of playbook text stays a template.

export class Unsafe {
  constructor(readonly value: unknown) {}
  /** In JSON output an unsafe value is just its value. */
  toJSON(): unknown {
    return this.value;
  }
}

export function isUnsafe(v: unknown): v is Unsafe {
  return v instanceof Unsafe;
}

/** Wrap for storage in a variable layer; an already wrapped value is not wrapped twice. */
export function unsafe(v: unknown): Unsafe {
  return v instanceof Unsafe ? v : new Unsafe(v);
}

/** Each variable layer value wrapped (a layer whose every value came from a host). */
export function unsafeLayer(layer: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(layer).map(([k, v]) => [k, unsafe(v)]));
}

// Rendering is synchronous, so one counter tells whether a render read an
// unsafe value: bindings of unsafe values count every read.
let unsafeReads = 0;

/** Called whenever an unsafe value is read by a render (a variable binding, a `!unsafe` literal). */
export function noteUnsafeRead(): void {
  unsafeReads++;
}

/** Run a render; `unsafe` says whether anything it read was unsafe (then its result is data too). */
export function trackUnsafe<T>(render: () => T): { value: T; unsafe: boolean } {
  const before = unsafeReads;
  const value = render();
  return { value, unsafe: unsafeReads !== before };
}
