// Ansible's `version` test (and the `version_compare` filter): LooseVersion
// by default, StrictVersion with `strict=true` or `version_type='strict'`,
// and `version_type='semver'`. pep440 is refused with a message.

import { FilterError } from './values.js';
import { pyNumber } from './py-text.js';

const OPS: Record<string, (c: number) => boolean> = {
  '==': (c) => c === 0,
  '=': (c) => c === 0,
  eq: (c) => c === 0,
  '<': (c) => c < 0,
  lt: (c) => c < 0,
  '<=': (c) => c <= 0,
  le: (c) => c <= 0,
  '>': (c) => c > 0,
  gt: (c) => c > 0,
  '>=': (c) => c >= 0,
  ge: (c) => c >= 0,
  '!=': (c) => c !== 0,
  '<>': (c) => c !== 0,
  ne: (c) => c !== 0,
};

/** distutils' LooseVersion: runs of digits (ints) and of lowercase letters, other characters as they are; dots dropped. */
function loose(v: string): (number | string)[] {
  return v
    .split(/(\d+|[a-z]+|\.)/)
    .filter((x) => x && x !== '.')
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

function compareLoose(a: string, b: string): number {
  const x = loose(a);
  const y = loose(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    if (typeof x[i] !== typeof y[i]) {
      throw new FilterError(`Version comparison failed: '<' not supported between instances of '${typeof x[i] === 'number' ? 'int' : 'str'}' and '${typeof y[i] === 'number' ? 'int' : 'str'}'`);
    }
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

function strict(v: string): [number[], [string, number] | null] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(v);
  if (!m) throw new FilterError(`Version comparison failed: invalid version number '${v}'`);
  return [[Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], m[4] ? [m[4], Number(m[5])] : null];
}

function compareNums(x: number[], y: number[]): number {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

function compareStrict(a: string, b: string): number {
  const [xn, xp] = strict(a);
  const [yn, yp] = strict(b);
  const c = compareNums(xn, yn);
  if (c) return c;
  if (!xp || !yp) return xp ? -1 : yp ? 1 : 0;
  return xp[0] !== yp[0] ? (xp[0] < yp[0] ? -1 : 1) : Math.sign(xp[1] - yp[1]);
}

function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
    if (!m) throw new FilterError(`Version comparison failed: invalid semantic version '${v}'`);
    return { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] };
  };
  const x = parse(a);
  const y = parse(b);
  const c = compareNums(x.nums, y.nums);
  if (c) return c;
  if (!x.pre.length || !y.pre.length) return x.pre.length ? -1 : y.pre.length ? 1 : 0;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Math.sign(Number(p) - Number(q));
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}

export function compareVersions(value: unknown, other: unknown, op: unknown = 'eq', isStrict?: unknown, type?: unknown): boolean {
  const opName = typeof op === 'string' ? op : 'eq';
  if (!Object.hasOwn(OPS, opName)) throw new FilterError(`Invalid operator type (${opName})`);
  if (other === undefined || other === null || other === '') throw new FilterError('Version comparison failed: no version to compare to');
  const a = typeof value === 'number' ? pyNumber(value) : typeof value === 'string' ? value : '';
  const b = typeof other === 'number' ? pyNumber(other) : typeof other === 'string' ? other : '';
  const kind = type === undefined || type === null ? (isStrict === true ? 'strict' : 'loose') : typeof type === 'string' ? type : '?';
  let c: number;
  if (kind === 'loose') c = compareLoose(a, b);
  else if (kind === 'strict') c = compareStrict(a, b);
  else if (kind === 'semver' || kind === 'semantic') c = compareSemver(a, b);
  else throw new FilterError(`version_type "${kind}" is not supported in tsplay (loose, strict, semver)`);
  return OPS[opName](c);
}
