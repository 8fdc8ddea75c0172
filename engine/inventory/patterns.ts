// Host patterns as Ansible reads them: all, *, names, globs, ~regex,
// a:b (union), a:&b (intersection), a:!b (exclusion), ',' as a separator,
// group[0] / group[1:3] subscripts. A pattern that matches nothing gives an
// empty list (the caller warns); a malformed one throws LoadError.

import { boundedRegex, RegexTimeLimitError } from '../template/bounded-regex.js';
import { LoadError } from '../errors.js';
import type { Inventory } from './model.js';

export type PatternOp = 'union' | 'intersect' | 'exclude';

export interface PatternTerm {
  op: PatternOp;
  /** As written, without the operator prefix or subscript. */
  expr: string;
  kind: 'name' | 'glob' | 'regex';
  /** Compiled matcher for glob and regex terms. */
  re?: RegExp;
  /** group[i] (end undefined) or group[i:j] (inclusive; end null = to the end). */
  subscript?: { start: number; end?: number | null };
}

const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '::1'];

function bad(pattern: string, reason: string): LoadError {
  return new LoadError(`bad host pattern "${pattern}": ${reason}`);
}

/** Split on ',' and on ':' outside [...]; a bare IPv6 address stays whole. */
function splitPattern(pattern: string): string[] {
  const out: string[] = [];
  for (const piece of pattern.split(',')) {
    const p = piece.trim();
    if (p === '') continue;
    if (/^[!&]?[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(p)) {
      out.push(p);
      continue;
    }
    let depth = 0;
    let cur = '';
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === '[') depth++;
      else if (c === ']') {
        if (depth === 0) throw bad(pattern, `"]" at column ${pattern.indexOf(p) + i + 1} has no matching "["`);
        depth--;
      }
      if (c === ':' && depth === 0) {
        out.push(cur.trim());
        cur = '';
      } else cur += c;
    }
    if (depth > 0) throw bad(pattern, `unclosed "[" (a subscript looks like group[0] or group[1:3])`);
    out.push(cur.trim());
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp('^(?:' + re + ')$');
}

const SUBSCRIPT = /^(.+)\[(-?\d+|\d*:\d*)\]$/;

/** Parse a pattern (or a list of them, as in `hosts: [a, b]`) into terms. Throws LoadError when malformed. */
export function parsePattern(pattern: string | readonly string[]): PatternTerm[] {
  const text = Array.isArray(pattern) ? pattern.join(',') : (pattern as string);
  if (typeof text !== 'string') throw bad(String(text), 'expected a string');
  const segments = splitPattern(text);
  if (segments.length === 0) throw bad(text, 'empty pattern (use "all" for every host)');
  const terms: PatternTerm[] = [];
  for (const seg of segments) {
    if (seg === '') throw bad(text, 'empty part between ":" separators');
    let op: PatternOp = 'union';
    let body = seg;
    if (body[0] === '!' || body[0] === '&') {
      op = body[0] === '!' ? 'exclude' : 'intersect';
      body = body.slice(1).trim();
      if (body === '' || body[0] === '!' || body[0] === '&') {
        throw bad(text, `"${seg[0]}" must be followed by a host or group name`);
      }
    }
    let subscript: PatternTerm['subscript'];
    const sm = SUBSCRIPT.exec(body);
    if (sm) {
      const inner = sm[2];
      if (inner === ':') throw bad(text, `subscript "[:]" needs a start or an end`);
      if (inner.includes(':')) {
        const [a, b] = inner.split(':');
        subscript = { start: a === '' ? 0 : Number(a), end: b === '' ? null : Number(b) };
      } else subscript = { start: Number(inner) };
      body = sm[1];
    } else if (/\[[^\]]*$/.test(body)) {
      throw bad(text, `unclosed "["`);
    }
    let term: PatternTerm;
    if (body.startsWith('~')) {
      const src = body.slice(1);
      if (src === '') throw bad(text, '"~" must be followed by a regular expression');
      let re: RegExp;
      try {
        re = new RegExp('^(?:' + src + ')');
      } catch (e) {
        throw bad(text, `invalid regular expression "${src}": ${(e as Error).message}`);
      }
      term = { op, expr: body, kind: 'regex', re };
    } else if (/[*?[]/.test(body)) {
      term = { op, expr: body, kind: 'glob', re: globToRegExp(body) };
    } else {
      term = { op, expr: body, kind: 'name' };
    }
    if (subscript) term.subscript = subscript;
    terms.push(term);
  }
  return terms;
}

/** A group's hosts, its own first, then its descendants' breadth-first, without repeats. */
export function groupHosts(inv: Inventory, group: string): string[] {
  const g = inv.groups.get(group);
  if (!g) return [];
  const out: string[] = [];
  const seenHost = new Set<string>();
  const seenGroup = new Set<string>([group]);
  let level = [group];
  while (level.length) {
    const next: string[] = [];
    for (const name of level) {
      const cur = inv.groups.get(name)!;
      for (const h of cur.hosts) {
        if (!seenHost.has(h)) {
          seenHost.add(h);
          out.push(h);
        }
      }
      for (const c of cur.children) {
        if (!seenGroup.has(c)) {
          seenGroup.add(c);
          next.push(c);
        }
      }
    }
    level = next;
  }
  return out;
}

/** A ~regex term is matched within the regexp time limit (engine/template/bounded-regex.ts). */
function termTest(t: PatternTerm): (s: string) => boolean {
  if (t.kind === 'name') return (s) => s === t.expr;
  const re = t.re!;
  if (t.kind === 'glob') return (s) => re.test(s);
  return (s) => {
    try {
      return boundedRegex(re, () => re.test(s), `regexp ${JSON.stringify(t.expr.slice(1))}`);
    } catch (e) {
      if (e instanceof RegexTimeLimitError) throw bad(t.expr, e.message);
      throw e;
    }
  };
}

function matchTerm(inv: Inventory, t: PatternTerm): string[] {
  const results: string[] = [];
  const test = termTest(t);
  let groupMatched = false;
  if (t.kind === 'name' && (t.expr === 'all' || t.expr === '*')) {
    results.push(...groupHosts(inv, 'all'));
    groupMatched = true;
  } else {
    for (const g of inv.groups.keys()) {
      if (test(g)) {
        groupMatched = true;
        results.push(...groupHosts(inv, g));
      }
    }
  }
  // Host names too, when no group matched or the pattern is a glob/regex (or looks like an address).
  if (!groupMatched || t.kind !== 'name' || t.expr.includes('.')) {
    for (const h of inv.hosts.keys()) if (test(h)) results.push(h);
  }
  if (results.length === 0 && t.kind === 'name' && LOCALHOST_NAMES.includes(t.expr)) results.push(t.expr);
  const unique = [...new Set(results)];
  if (!t.subscript) return unique;
  const n = unique.length;
  const norm = (i: number) => (i < 0 ? n + i : i);
  const { start, end } = t.subscript;
  if (end === undefined) {
    const i = norm(start);
    return i >= 0 && i < n ? [unique[i]] : [];
  }
  const last = end === null ? n - 1 : Math.min(n - 1, end);
  return unique.slice(norm(start), last + 1);
}

/**
 * Hosts matching a pattern, in inventory order as Ansible orders them: the
 * union terms in the order written, then intersections, then exclusions; a
 * pattern made only of & and ! terms starts from all. An implicit localhost
 * (localhost, 127.0.0.1, ::1 not in the inventory) is returned by name.
 */
export function selectHosts(inv: Inventory, pattern: string | readonly string[]): string[] {
  const terms = parsePattern(pattern);
  const unions = terms.filter((t) => t.op === 'union');
  const rest = [...terms.filter((t) => t.op === 'intersect'), ...terms.filter((t) => t.op === 'exclude')];
  if (unions.length === 0) unions.push({ op: 'union', expr: 'all', kind: 'name' });
  let hosts: string[] = [];
  const have = new Set<string>();
  for (const t of unions) {
    // A plain host name is taken as the host, even if a group has the same name (as Ansible does).
    const matched = t.kind === 'name' && !t.subscript && inv.hosts.has(t.expr) ? [t.expr] : matchTerm(inv, t);
    for (const h of matched) {
      if (!have.has(h)) {
        have.add(h);
        hosts.push(h);
      }
    }
  }
  for (const t of rest) {
    const set = new Set(matchTerm(inv, t));
    hosts = t.op === 'intersect' ? hosts.filter((h) => set.has(h)) : hosts.filter((h) => !set.has(h));
  }
  return hosts;
}
