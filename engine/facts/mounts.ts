// `mounts`: the live mount table (/proc/self/mountinfo; argument: none).
// Overlay rule: each mount point's latest prediction replaces the host's
// entries for it (unmounted: gone; mounted: src/fstype/opts as predicted, else
// as the host had them), appended in prediction order.

import { ModuleError, type MountEntry } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import { normPath, type Overlay } from '../host/overlay.js';
import { perArg } from './fact.js';

/** Decode mountinfo's octal escapes (`\040` = space). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse /proc/self/mountinfo. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    const opts: string[] = [];
    for (const o of [...f[5].split(','), ...(f[dash + 3] ?? '').split(',')]) if (o && !opts.includes(o)) opts.push(o);
    out.push({ path: unescapeMountField(f[4]), src: unescapeMountField(f[dash + 2]), fstype: f[dash + 1], opts: opts.join(',') });
  }
  return out;
}

/** The mount table once the recorded mount predictions apply. Pure. */
export function predictMounts(overlay: Overlay, base: readonly MountEntry[]): MountEntry[] {
  const preds = overlay.mountPredictions();
  if (preds.length === 0) return [...base];
  const predicted = new Set(preds.map((p) => normPath(p.path)));
  const out = base.filter((m) => !predicted.has(normPath(m.path)));
  for (const p of preds) {
    if (!p.mounted) continue;
    const prev = [...base].reverse().find((m) => normPath(m.path) === normPath(p.path));
    out.push({
      path: p.path,
      src: p.src ?? prev?.src ?? '',
      fstype: p.fstype ?? prev?.fstype ?? '',
      opts: p.opts ?? prev?.opts ?? '',
      predicted: true,
    });
  }
  return out;
}

export const mounts = perArg<void, MountEntry[]>({
  name: 'mounts',
  snippet: () => quoteArgv(['cat', '/proc/self/mountinfo']),
  parse(_arg, r, ctx) {
    if (r.rc !== 0) throw new ModuleError(`${ctx.host}: cannot read /proc/self/mountinfo (rc ${r.rc}): ${r.stderr.trim()}`);
    return parseMountinfo(r.stdout);
  },
  predict: (_arg, base, p) => predictMounts(p.overlay, base),
});
