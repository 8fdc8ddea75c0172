// Python's view of template values, shared by the expression evaluator
// (expression.ts) and the files beside it that implement Python's and
// Ansible's operations (py-*.ts, filters-ansible.ts, version.ts): truthiness,
// equality and order, type names, and the text of a value in a string.

import { pyRepr } from './py-text.js';

/** An error of a filter, test, method or operator; the evaluator adds the place. */
export class FilterError extends Error {}


/** Python truthiness: false, none, 0, '', [], {} are false. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return 'string';
}

export function isList(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python equality: bool compares as int, '1' != 1, lists and mappings compare deeply. */
export function pyEqual(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof b === 'boolean' && typeof a === 'number') return Number(b) === a;
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEqual(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && pyEqual(a[k], b[k]));
  }
  return false;
}

export function pyCompare(a: unknown, b: unknown): number | undefined {
  const num = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (pyEqual(x[i], y[i])) continue;
      return pyCompare(x[i], y[i]);
    }
    return x.length - y.length;
  }
  return undefined;
}

/**
 * Text of a value inside a rendered string, as Ansible renders it: Python's
 * str() (`True`, `[1, 'a']`, `{'k': None}`), except that a none value on its
 * own renders as nothing (Ansible's finalize).
 */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : pyRepr(v);
}
