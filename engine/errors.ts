// Errors that carry their place (DESIGN.md §10) and the exit codes of
// ansible-playbook, which tsplay keeps.

export const ExitCode = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  hostUnreachable: 3,
  parseError: 4,
  badOptions: 5,
  interrupted: 99,
} as const;

/** A place in a source file; line and col are 1-based. */
export interface Place {
  file: string;
  line: number;
  col: number;
}

export function formatPlace(place: Place | undefined): string {
  return place ? `${place.file}:${place.line}:${place.col}` : '';
}

/** A playbook, inventory or vars file that cannot be loaded: exit code 4. */
export class LoadError extends Error {
  readonly exitCode: number = ExitCode.parseError;
  constructor(
    readonly reason: string,
    readonly place?: Place,
    /** Source excerpt with a caret under the column. */
    readonly snippet?: string,
  ) {
    super(place ? `${formatPlace(place)}: ${reason}${snippet ? '\n' + snippet : ''}` : reason);
    this.name = 'LoadError';
  }
}

/** Bad command-line options: exit code 5. */
export class UsageError extends Error {
  readonly exitCode: number = ExitCode.badOptions;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Source lines around a place with a caret under the column. */
export function snippetAt(source: string, line: number, col: number): string {
  const lines = source.split(/\r?\n/);
  const out: string[] = [];
  const width = String(line + 1).length;
  for (let n = Math.max(1, line - 1); n <= Math.min(lines.length, line); n++) {
    out.push(`${String(n).padStart(width)} | ${lines[n - 1]}`);
  }
  out.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  return out.join('\n');
}
