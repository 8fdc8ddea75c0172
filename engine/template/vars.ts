// Variables as a task sees them: layers merged by precedence, with templated
// values rendered lazily on first use (as Ansible does), so `b: "{{ a }}-x"`
// works whatever order the layers come in, and an undefined variable inside an
// unused var is not an error. A value marked Unsafe (host data, engine/template/unsafe.ts)
// is bound verbatim and never rendered.

import { isTemplated, renderDeep, TemplateError } from './template.js';
import { isUnsafe, noteUnsafeRead, trackUnsafe, type Unsafe } from './unsafe.js';

export type Vars = Record<string, unknown>;

/**
 * Arrays and plain objects already scanned by needsRender. Values in variable
 * layers are not changed in place once loaded (a new value replaces an old
 * one), and the same layers are merged again for every task on every host:
 * scanning each deep value once keeps that merge cheap.
 */
const scanned = new WeakMap<object, boolean>();

/** Does a value need a render pass: a template string, or a `!unsafe` literal to unwrap? */
function needsRender(v: unknown): boolean {
  if (typeof v === 'string') return isTemplated(v);
  if (v === null || typeof v !== 'object') return false;
  if (isUnsafe(v)) return true;
  const known = scanned.get(v);
  if (known !== undefined) return known;
  let found = false;
  if (Array.isArray(v)) found = v.some(needsRender);
  else if (Object.getPrototypeOf(v) === Object.prototype) {
    // Never read accessors here (hostvars, lazily rendered vars): reading renders them.
    found = Object.values(Object.getOwnPropertyDescriptors(v)).some((d) => !d.get && needsRender(d.value));
  }
  scanned.set(v, found);
  return found;
}

/** The property of a value that is data: read verbatim, and every read marks the render reading it as unsafe. */
function dataProperty(value: unknown): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get() {
      noteUnsafeRead();
      return value;
    },
  };
}

/** Bind a value that is data (see dataProperty). */
function bindData(out: Vars, key: string, value: unknown): void {
  Object.defineProperty(out, key, dataProperty(value));
}

/**
 * The data property of each Unsafe value of a layer, made once: the same
 * layers (a host's facts: a few hundred keys) are merged again for every task,
 * and a new getter per key and task was most of that merge's cost.
 */
const dataProperties = new WeakMap<object, PropertyDescriptor>();
function unsafeProperty(u: Unsafe): PropertyDescriptor {
  let d = dataProperties.get(u);
  if (!d) dataProperties.set(u, (d = dataProperty(u.value)));
  return d;
}

/**
 * Merge layers, lowest precedence first (Ansible's default hash_behaviour=replace:
 * a later layer replaces a key whole). Templated values become getters that render
 * against the merged result the first time they are read. Unsafe values are
 * bound verbatim, and so is a rendered value that read one (it is data too).
 */
export function buildVars(layers: Array<Vars | undefined>): Vars {
  // The winning descriptor of each key; a key keeps the place where the lowest layer defined it.
  const winners = new Map<string, PropertyDescriptor>();
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(layer)) winners.set(key, Object.getOwnPropertyDescriptor(layer, key)!);
  }
  const out: Vars = {};
  for (const [key, desc] of winners) {
    if (desc.get) {
      Object.defineProperty(out, key, { ...desc, enumerable: true, configurable: true });
      continue;
    }
    const value: unknown = desc.value;
    if (isUnsafe(value)) {
      Object.defineProperty(out, key, unsafeProperty(value));
      continue;
    }
    if (!needsRender(value)) {
      // A plain assignment is much cheaper than defineProperty; `__proto__` would set the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
      else out[key] = value;
      continue;
    }
    const raw = value;
    let rendering = false;
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (rendering) throw new TemplateError(`variable "${key}" refers to itself`, String(raw), undefined, key);
        rendering = true;
        try {
          const { value, unsafe } = trackUnsafe(() => renderDeep(raw, out));
          if (unsafe) bindData(out, key, value);
          else Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
          return value;
        } finally {
          rendering = false;
        }
      },
    });
  }
  return out;
}

/** Materialize every value (for output such as hostvars dumps); errors are left as messages. */
export function snapshot(vars: Vars): Vars {
  const out: Vars = {};
  for (const key of Object.keys(vars)) {
    try {
      out[key] = vars[key];
    } catch (e) {
      out[key] = `<error: ${(e as Error).message}>`;
    }
  }
  return out;
}
