// A fact is one definition (DESIGN.md "Facts are definitions"): its name, the
// read-only shell sections that read it for given arguments, a pure parser,
// and its overlay rule: how the check-mode predictions alter the value.
//
// Every read a module or the runner makes goes through HostReader.get/getAll
// with a Fact. The host (engine/host/host.ts) runs all sections of one getAll
// in ONE round trip and hands the results to parse(); in --check the engine
// hands gather a predictedReader(), whose get applies the fact's predict() over
// the host's real value. Adding a fact is one file here and its table test.

import type { Fact, HostReader, PredictContext, ReadContext, SectionResult } from '../module-api.js';
import type { Overlay } from '../host/overlay.js';

export type { Fact, PredictContext, ReadContext, SectionResult } from '../module-api.js';

/**
 * A fact read with one section per argument (stat of each path, each service).
 * parse and predict see one argument at a time.
 */
export function perArg<Arg, Value>(def: {
  name: string;
  snippet(arg: Arg, ctx: ReadContext): string;
  parse(arg: Arg, result: SectionResult, ctx: ReadContext): Value;
  predict?(arg: Arg, value: Value, p: PredictContext): Value | Promise<Value>;
}): Fact<Arg, Value> {
  return {
    name: def.name,
    sections: (args, ctx) => args.map((a) => def.snippet(a, ctx)),
    parse: (args, results, ctx) => args.map((a, i) => def.parse(a, results[i], ctx)),
    ...(def.predict ? { predict: (arg: Arg, value: Value, p: PredictContext) => def.predict!(arg, value, p) } : {}),
  };
}

/** Read a fact for several args through a section runner (one round trip). */
export async function readFact<Arg, Value>(
  fact: Fact<Arg, Value>,
  args: readonly Arg[],
  ctx: ReadContext,
  runSections: (snippets: readonly string[]) => Promise<SectionResult[]>,
): Promise<Value[]> {
  if (args.length === 0) return [];
  const snippets = fact.sections(args, ctx);
  return fact.parse(args, snippets.length ? await runSections(snippets) : [], ctx);
}

/**
 * The reader gather gets in --check: every fact is read from the real host,
 * then its overlay rule applies the recorded predictions. Raw run/runAll go to
 * the real host (a command's output cannot be predicted).
 */
export function predictedReader(base: HostReader, overlay: Overlay): HostReader {
  const p: PredictContext = { overlay, host: base };
  const reader: HostReader = {
    get name() {
      return base.name;
    },
    get facts() {
      return base.facts;
    },
    run: (argv, opts) => base.run(argv, opts),
    runAll: (commands) => base.runAll(commands),
    async getAll(fact, args) {
      const real = await base.getAll(fact, args);
      if (!fact.predict) return real;
      const out = [];
      for (let i = 0; i < real.length; i++) out.push(await fact.predict(args[i], real[i], p));
      return out;
    },
    async get(fact, arg) {
      return (await reader.getAll(fact, [arg]))[0];
    },
  };
  return reader;
}
