// A fake HostReader built from a table of fact values: any fact, no per-fact
// method. Raw run/runAll answer from `run` (default: rc 0, "real") and are recorded.

import type { Fact, PredictContext, ReadContext, SectionResult } from '../../../../engine/facts/fact.js';
import { Overlay } from '../../../../engine/host/overlay.js';
import { unknownFacts } from '../../../../engine/host/host.js';
import type { Facts, HostReader, Prediction, RunResult } from '../../../../engine/module-api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFact = Fact<any, any>;
export type FactRow = readonly [AnyFact, (arg: never) => unknown];

/** One table row: the value of `fact` for each argument. */
export function row<Arg, Value>(fact: Fact<Arg, Value>, value: (arg: Arg) => Value): FactRow {
  return [fact, value];
}

/** A deep copy that keeps Buffers Buffers. */
function copy<T>(v: T): T {
  if (Buffer.isBuffer(v)) return Buffer.from(v) as T;
  if (Array.isArray(v)) return v.map(copy) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) as T;
  return v;
}

export interface TableReader extends HostReader {
  /** Raw commands run, in order. */
  runs: string[][];
  /** Facts read, as `name(arg)`, in order. */
  reads: string[];
}

export function tableReader(rows: readonly FactRow[], opts: { name?: string; facts?: Facts; run?: (argv: string[]) => RunResult } = {}): TableReader {
  const table = new Map<AnyFact, (arg: never) => unknown>(rows);
  const name = opts.name ?? 'fake';
  const reader: TableReader = {
    name,
    facts: opts.facts ?? unknownFacts(name),
    runs: [],
    reads: [],
    async run(argv) {
      reader.runs.push(argv);
      return opts.run ? opts.run(argv) : { rc: 0, stdout: 'real', stderr: '' };
    },
    async runAll(cmds) {
      return Promise.all(cmds.map((c) => reader.run(c)));
    },
    async getAll<Arg, Value>(fact: Fact<Arg, Value>, args: readonly Arg[]): Promise<Value[]> {
      const value = table.get(fact);
      if (!value) throw new Error(`the table has no row for fact ${fact.name}`);
      return args.map((a) => {
        reader.reads.push(`${fact.name}(${a === undefined ? '' : JSON.stringify(a)})`);
        // a copy: a caller may not alter the table's values
        return copy(value(a as never)) as Value;
      });
    },
    async get(fact, arg) {
      return (await reader.getAll(fact, [arg]))[0];
    },
  };
  return reader;
}

// ---- table tests of one fact (in the style of pyinfra's fact tests)


/** A section's output as a host returns it: stdout (text), rc, stderr. */
export function out(stdout: string, rc = 0, stderr = ''): SectionResult {
  return { rc, stdout, stderr, stdoutBytes: Buffer.from(stdout) };
}

export function readCtx(facts: Partial<Facts> = {}, initSystem?: ReadContext['initSystem']): ReadContext {
  return { host: 'h', facts: { ...unknownFacts('h'), ...facts }, ...(initSystem ? { initSystem } : {}) };
}

/** The values a fact parses from its sections' outputs (checks the section count). */
export function parseRows<Arg, Value>(fact: Fact<Arg, Value>, args: readonly Arg[], outputs: readonly SectionResult[], ctx = readCtx()): Value[] {
  const sections = fact.sections(args, ctx);
  if (sections.length !== outputs.length) throw new Error(`${fact.name}: ${sections.length} sections, ${outputs.length} outputs in the row`);
  return fact.parse(args, outputs, ctx);
}

/** The value a fact's overlay rule gives after these predictions (host: for providers). */
export async function predictRow<Arg, Value>(fact: Fact<Arg, Value>, arg: Arg, value: Value, predictions: Prediction[][], host: HostReader = tableReader([])): Promise<Value> {
  const overlay = new Overlay();
  for (const p of predictions) overlay.add(p);
  const ctx: PredictContext = { overlay, host };
  return fact.predict ? fact.predict(arg, copy(value), ctx) : value;
}
