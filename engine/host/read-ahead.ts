// Fact reads made before the reads that will ask for them: a loop under
// --check reads every item's state in one round trip (engine/run/action.ts
// readLoopAhead).
// Each value answers one read of the same fact, argument and reading context
// (the login and become user), then is gone: a second read of it goes to the
// host, as does any read not made ahead.

import type { Fact } from '../module-api.js';

export class ReadAhead {
  private readonly values = new Map<string, unknown>();

  private static key(reader: string, fact: string, arg: unknown): string {
    return JSON.stringify([reader, fact, arg]);
  }

  /** Keep the values read for `args` (in order) by `reader`. */
  put(reader: string, fact: Fact<unknown, unknown>, args: readonly unknown[], values: readonly unknown[]): void {
    args.forEach((a, i) => this.values.set(ReadAhead.key(reader, fact.name, a), values[i]));
  }

  /** The values of every one of `args`, each taken; undefined (nothing taken) unless all are here. */
  take(reader: string, fact: Fact<unknown, unknown>, args: readonly unknown[]): unknown[] | undefined {
    if (!args.length || !this.values.size) return undefined;
    const keys = args.map((a) => ReadAhead.key(reader, fact.name, a));
    if (!keys.every((k) => this.values.has(k))) return undefined;
    const out = keys.map((k) => this.values.get(k));
    for (const k of keys) this.values.delete(k);
    return out;
  }

  /** Values not taken yet. */
  get size(): number {
    return this.values.size;
  }
}
