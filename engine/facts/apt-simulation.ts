// Parsing `apt-get -s install ...` (run with LC_ALL=C): the packages a real
// install would unpack, from its `Inst NAME [OLDVERSION] (NEWVERSION ...)` lines,
// in apt's order. Pure.

export interface SimInst {
  /** As apt prints it: `name`, or `name:arch` for a foreign architecture. */
  name: string;
  /** The version that would be installed; undefined when the line has none. */
  version?: string;
  /** The installed version being replaced (an upgrade). */
  from?: string;
}

export function parseAptSimulation(out: string): SimInst[] {
  const result: SimInst[] = [];
  for (const raw of out.split('\n')) {
    const m = /^Inst (\S+)(?: \[([^\]]*)\])?(?: \((\S+)[^)]*\))?/.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const inst: SimInst = { name: m[1] };
    if (m[3] !== undefined) inst.version = m[3];
    if (m[2] !== undefined) inst.from = m[2];
    result.push(inst);
  }
  return result;
}

/** `apt-get -s install NAMES` as an install with this recommends setting would resolve them (read-only). */
export function simulateInstallArgv(names: readonly string[], installRecommends?: boolean): string[] {
  const flags = installRecommends === false ? ['--no-install-recommends'] : installRecommends === true ? ['--install-recommends'] : [];
  return ['env', 'LC_ALL=C', 'apt-get', '-s', '-q', ...flags, 'install', '--', ...names];
}
