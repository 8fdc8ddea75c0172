// Parsing `apt-cache policy NAME...` (run with LC_ALL=C): installed and candidate
// versions per package. A package apt does not know is simply absent from the
// output. Pure.

export interface PolicyEntry {
  installed: string | null;
  candidate: string | null;
}

export function parseAptPolicy(out: string): Record<string, PolicyEntry> {
  const result: Record<string, PolicyEntry> = {};
  let current: PolicyEntry | undefined;
  for (const raw of out.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const head = /^(\S+):$/.exec(line);
    if (head) {
      current = { installed: null, candidate: null };
      result[head[1]] = current;
      continue;
    }
    if (!current) continue;
    const field = /^ {2}(Installed|Candidate): (.+)$/.exec(line);
    if (field) {
      const v = field[2].trim() === '(none)' ? null : field[2].trim();
      if (field[1] === 'Installed') current.installed = v;
      else current.candidate = v;
    }
  }
  return result;
}

/** Newest of the mtimes `stat -c %Y` printed (one per line); null when none. */
export function newestMtime(out: string): number | null {
  const times = out.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number);
  return times.length ? Math.max(...times) : null;
}
