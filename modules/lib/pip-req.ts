// What the pip module reads from its `name` argument, as Ansible 2.14's pip
// module reads it: names and version specifiers split and rejoined (a list
// item may be a bare specifier that belongs to the name before it), each
// requirement parsed into a canonical project name and a specifier set, and
// PEP 440 version matching for "is this installed version enough?" (with
// pre-releases allowed, as Ansible asks). Pure; no I/O.

type Op = '===' | '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>';

/** Ansible's names: a list item that starts with a comparison operator (or sits in an extras bracket) belongs to the name before it. */
export function recoverNames(names: readonly string[]): string[] {
  const parts = names.flatMap((n) => n.split(','));
  const out: string[] = [];
  let current: string[] = [];
  let inBrackets = false;
  for (const p of parts) {
    const isName = !['>=', '<=', '>', '<', '==', '!=', '~='].some((op) => p.trimStart().startsWith(op));
    if (isName && !inBrackets) {
      if (current.length) out.push(current.join(','));
      current = [];
    }
    if (p.includes('[')) inBrackets = true;
    if (inBrackets && p.includes(']')) inBrackets = false;
    current.push(p);
  }
  out.push(current.join(','));
  return out;
}

/** PEP 503: runs of -, _ and . become one -, lower-cased. */
export const canonicalName = (name: string): string => name.replace(/[-_.]+/g, '-').toLowerCase();

export interface Requirement {
  /** What pip is given (Ansible's str(Requirement): specifiers sorted, blanks removed), or the text as given when it is not a plain requirement. */
  text: string;
  /** Canonical project name; undefined for a URL, a path or a VCS reference (never "present" by name). */
  name?: string;
  specs: Array<{ op: Op; version: string }>;
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/s;

/** Parse one requirement as pkg_resources does for the cases roles use; anything else is kept as given. */
export function parseRequirement(raw: string, version?: string): Requirement {
  let text = raw;
  if (version !== undefined && version !== '') {
    const v = version.trimStart();
    text = `${raw}${/^[0-9]/.test(v) ? '==' : ' '}${v}`;
  }
  const m = NAME.exec(text.trim());
  if (!m) return { text, specs: [] };
  const [, name, extras, rest] = m;
  const specs: Requirement['specs'] = [];
  if (rest.trim() !== '') {
    for (const item of rest.split(',')) {
      const s = /^\s*(===|~=|==|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)\s*$/.exec(item);
      if (!s) return { text, specs: [] };
      specs.push({ op: s[1] as Op, version: s[2] });
    }
  }
  const shown = specs.map((s) => `${s.op}${s.version}`).sort();
  return { text: `${name}${extras ? extras.replace(/\s+/g, '') : ''}${shown.join(',')}`, name: canonicalName(name), specs };
}

interface Ver {
  epoch: number;
  release: number[];
  /** [phase, n]: -1 dev-only release, 0 a, 1 b, 2 rc, 3 final. */
  pre: [number, number];
  post: number;
  dev: number;
  local: string;
}

const VERSION = /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

export function parseVersion(s: string): Ver | undefined {
  const m = VERSION.exec(s.trim());
  if (!m) return undefined;
  const release = m[2].split('.').map(Number);
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const phase = m[3] === undefined ? undefined : { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 }[m[3].toLowerCase()]!;
  const hasPost = m[5] !== undefined || m[6] !== undefined;
  const hasDev = m[7] !== undefined;
  const pre: [number, number] = phase !== undefined ? [phase, Number(m[4] || 0)] : !hasPost && hasDev ? [-1, 0] : [3, 0];
  return {
    epoch: Number(m[1] ?? 0), release, pre,
    post: hasPost ? Number(m[5] ?? (m[6] || 0)) : -1,
    dev: hasDev ? Number(m[7] || 0) : Infinity,
    local: m[8] ?? '',
  };
}

function cmpArr(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Compare two versions (PEP 440 order; local labels ignored). */
export function compareVersions(a: Ver, b: Ver): number {
  return Math.sign(a.epoch - b.epoch) || cmpArr(a.release, b.release) || cmpArr(a.pre, b.pre) || Math.sign(a.post - b.post)
    || (a.dev === b.dev ? 0 : a.dev < b.dev ? -1 : 1);
}

const sameRelease = (a: Ver, b: Ver): boolean => a.epoch === b.epoch && cmpArr(a.release, b.release) === 0;

function prefixMatch(v: Ver, prefix: string): boolean {
  const p = parseVersion(prefix);
  if (!p) return false;
  const want = prefix.split('.').map(Number);
  const have = [...v.release];
  while (have.length < want.length) have.push(0);
  return v.epoch === p.epoch && want.every((n, i) => have[i] === n);
}

/** Does the installed version satisfy every specifier? (Ansible: prereleases allowed.) */
export function satisfies(version: string, specs: Requirement['specs']): boolean {
  const v = parseVersion(version);
  return specs.every(({ op, version: want }) => {
    if (op === '===') return version === want;
    if (v === undefined) return false;
    if ((op === '==' || op === '!=') && want.endsWith('.*')) {
      const m = prefixMatch(v, want.slice(0, -2));
      return op === '==' ? m : !m;
    }
    const w = parseVersion(want);
    if (!w) return false;
    const c = compareVersions(v, w);
    switch (op) {
      case '==': return c === 0;
      case '!=': return c !== 0;
      case '<=': return c <= 0;
      case '>=': return c >= 0;
      // <V excludes V's pre-releases (unless V is one); >V excludes V's post-releases (unless V is one).
      case '<': return c < 0 && !(w.pre[0] === 3 && w.dev === Infinity && v.pre[0] !== 3 && sameRelease(v, w));
      case '>': return c > 0 && !(w.post === -1 && v.post !== -1 && sameRelease(v, w) && cmpArr(v.pre, w.pre) === 0);
      case '~=': {
        const rel = want.split(/[^0-9.]/)[0].split('.').filter((x) => x !== '');
        return c >= 0 && rel.length >= 2 && prefixMatch(v, rel.slice(0, -1).join('.'));
      }
    }
  });
}

/** Ansible's check: an installed `name==version` line whose name is the requirement's and whose version satisfies it. */
export function isPresent(req: Requirement, installed: ReadonlyMap<string, string | undefined>): boolean {
  if (req.name === undefined || !installed.has(req.name)) return false;
  const v = installed.get(req.name);
  // Installed by a task predicted earlier in --check, version not known: taken as enough.
  return v === undefined || satisfies(v, req.specs);
}

/** The names and versions in `pip install --dry-run` output ("Would install a-1.0 b_c-2.0"). */
export function wouldInstall(stdout: string): Array<{ name: string; version: string }> {
  const line = stdout.split('\n').find((l) => l.startsWith('Would install '));
  if (!line) return [];
  return line.slice('Would install '.length).trim().split(/\s+/).filter(Boolean).map((nv) => {
    const i = nv.lastIndexOf('-');
    return { name: canonicalName(nv.slice(0, i)), version: nv.slice(i + 1) };
  });
}
