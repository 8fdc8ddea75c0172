import { evaluateAll, toText } from '../../template/expression.js';
import type { BuiltinAction } from './builtin.js';

type Cell = { ok: boolean; reason?: string; detail?: string };
interface Check { name: string; that: string | string[]; reason?: string; detail?: string; when?: string | string[] }

/**
 * readiness: one row per host of named checks (the live-migration pre-flight);
 * the table of every row of a play is reported once, at the play's end.
 */
export const readiness = (): BuiltinAction => {
  let table: { title: string; columns: string[]; rows: Map<string, Record<string, Cell>> } | undefined;
  return {
    name: 'readiness',
    playStart() {
      table = undefined;
    },
    playEnd(emit) {
      if (table) emit({ kind: 'readiness', title: table.title, columns: table.columns, rows: [...table.rows.entries()].map(([host, cells]) => ({ host, cells })) });
    },
    run(ctx, args) {
      const checks = args.checks as Check[];
      const title = toText(args.title ?? 'Readiness');
      table ??= { title, columns: [], rows: new Map() };
      const cells: Record<string, Cell> = {};
      for (const c of checks) {
        // A check with a false `when` is not part of this row (e.g. the canary column outside the canary playbook).
        if (c.when !== undefined && !evaluateAll(Array.isArray(c.when) ? c.when : [c.when], ctx.vars)) continue;
        if (!table.columns.includes(c.name)) table.columns.push(c.name);
        const conds = Array.isArray(c.that) ? c.that : [c.that];
        let ok = false;
        let reason: string | undefined;
        try {
          const failing = conds.find((x) => !evaluateAll([x], ctx.vars));
          ok = failing === undefined;
          if (!ok) reason = c.reason ?? `not true: ${failing}`;
        } catch (e) {
          reason = (e as Error).message;
        }
        cells[c.name] = ok ? (c.detail ? { ok, detail: c.detail } : { ok }) : { ok, reason };
      }
      table.rows.set(ctx.host.name, cells);
      const ready = Object.values(cells).every((c) => c.ok);
      return { status: 'ok', result: { changed: false, ready, checks: cells, msg: ready ? 'ready' : 'not ready' } };
    },
  };
};
