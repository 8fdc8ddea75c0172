// `debconf`: a package's debconf answers as `debconf-show PACKAGE` lists them
// (Ansible's debconf module reads them so): question -> value, and which are
// marked seen (`*`). A password question shows `(password omitted)`.
// Overlay rule: a predicted answer replaces (or adds) that question's value.

import { ModuleError } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Overlay } from '../host/overlay.js';
import { perArg } from './fact.js';

export interface DebconfSelections {
  /** question -> value, in debconf-show's order. */
  answers: Record<string, string>;
  /** Questions marked seen (`*`). */
  seen: string[];
  predicted?: boolean;
}

/** Parse debconf-show output as Ansible does: "KEY: VALUE", the key stripped of `*` and blanks, the value of blanks. */
export function parseDebconfShow(stdout: string): DebconfSelections {
  const answers: Record<string, string> = {};
  const seen: string[] = [];
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const rawKey = line.slice(0, colon);
    const key = rawKey.replace(/^\*+|\*+$/g, '').trim();
    answers[key] = line.slice(colon + 1).trim();
    if (rawKey.trimStart().startsWith('*')) seen.push(key);
  }
  return { answers, seen };
}

/** A package's answers once the recorded predictions apply. Pure. */
export function predictDebconf(overlay: Overlay, pkg: string, base: DebconfSelections): DebconfSelections {
  const p = overlay.debconfPrediction(pkg);
  if (!p || p.size === 0) return base;
  const answers = { ...base.answers };
  const seen = new Set(base.seen);
  for (const [q, a] of p) {
    answers[q] = a.value;
    if (a.seen) seen.add(q);
  }
  return { answers, seen: Object.keys(answers).filter((q) => seen.has(q)), predicted: true };
}

export const debconfSelections = perArg<string, DebconfSelections>({
  name: 'debconf_selections',
  snippet: (pkg) => quoteArgv(['debconf-show', '--', pkg]),
  parse(pkg, r, ctx) {
    if (r.rc !== 0) throw new ModuleError(`${ctx.host}: debconf-show ${pkg} failed (rc ${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return parseDebconfShow(r.stdout);
  },
  predict: (pkg, base, p) => predictDebconf(p.overlay, pkg, base),
});
