// No import cycles in engine/ and modules/: every .ts file's relative imports
// (static `import … from`, `export … from`, side-effect `import '…'` and
// `import('…')` with a literal) form a graph that must have no cycle. Type-only
// imports count too: a cycle of types is still two files that cannot be
// understood (or moved) one without the other.

import test from 'ava';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative specifiers a file imports, in every form that loads another file. */
export function importSpecifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const forms = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, // import … from, export … from
    /\bimport\s*['"]([^'"]+)['"]/g, //                                      import '…'
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, //                              import('…')
  ];
  for (const re of forms) for (const m of text.matchAll(re)) if (m[1].startsWith('.')) out.push(m[1]);
  return out;
}

/** The file a relative specifier names (sources import `./x.js` for `./x.ts`). */
function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const p of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (p.endsWith('.ts') && existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** The first cycle found, as the list of files around it (first = last), or undefined. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const next of graph.get(n) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const c = visit(next);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...graph.keys()].sort()) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

test('findCycle finds a cycle and names it, and finds none in a tree', (t) => {
  t.deepEqual(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['b']]])), ['b', 'c', 'b']);
  t.is(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), undefined);
});

test('importSpecifiers reads every form of relative import', (t) => {
  const src = [
    "import a from './a.js';",
    "import type { B } from '../b.js';",
    "import {\n  c,\n  d,\n} from './cd.js';",
    "export { e } from './e.js';",
    "export * from './f.js';",
    "import './g.js';",
    "const h = await import('./h.js');",
    "import x from 'node:fs';",
    "// import z from './commented.js';",
  ].join('\n');
  t.deepEqual(importSpecifiers(src).sort(), ['../b.js', './a.js', './cd.js', './e.js', './f.js', './g.js', './h.js']);
});

test('no import cycles in engine/ and modules/', (t) => {
  const files = [...tsFiles(join(root, 'engine')), ...tsFiles(join(root, 'modules'))];
  t.true(files.length > 50, `only ${files.length} files found under ${root}`);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = importSpecifiers(readFileSync(f, 'utf8')).flatMap((s) => resolveImport(f, s) ?? []);
    graph.set(f, deps);
  }
  const cycle = findCycle(graph);
  t.is(cycle, undefined, cycle && `import cycle: ${cycle.map((f) => relative(root, f)).join(' -> ')}`);
});
