// `tsplay validate`: find every variable a playbook reads that nothing defines,
// without connecting anywhere. Known names: magic variables, facts (ansible_*),
// inventory variables of any host, play vars and vars_files, registered names,
// set_fact keys, block/task vars, include_vars files that can be read, extra vars.

import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Inventory } from '../inventory/inventory.js';
import { hostVars } from '../inventory/inventory.js';
import type { Item, Playbook, Task } from './playbook.js';
import { formatSourcePlace } from './playbook.js';
import { templateVariables, isTemplated } from '../template/template.js';
import { isUnsafe } from '../template/unsafe.js';
import { parseCondition, expressionVariables } from '../template/expression.js';
import { parseYaml } from './yaml.js';
import { MAGIC_VARIABLES } from '../run/precedence.js';


function walkItems(items: Item[], fn: (t: Task) => void, blockFn?: (b: Extract<Item, { kind: 'block' }>) => void): void {
  for (const it of items) {
    if (it.kind === 'block') {
      blockFn?.(it);
      walkItems(it.block, fn, blockFn);
      walkItems(it.rescue, fn, blockFn);
      walkItems(it.always, fn, blockFn);
    } else {
      fn(it);
      // A statically named include_tasks / include_role: its items were loaded with it.
      if (it.include?.items) walkItems(it.include.items, fn, blockFn);
    }
  }
}

function readVarsKeys(file: string): string[] {
  try {
    const doc = parseYaml(readFileSync(file, 'utf8'), file);
    return doc.value && typeof doc.value === 'object' ? Object.keys(doc.value) : [];
  } catch {
    return [];
  }
}

/**
 * The keys of every vars file a templated include_vars may pick (`{{ ansible_os_family }}.yml`,
 * with_first_found): all YAML and JSON files of the vars/ directories on the task's search path.
 */
function candidateVarsKeys(searchPath: readonly string[]): string[] {
  const keys: string[] = [];
  for (const dir of new Set(searchPath.map((d) => (d.endsWith('/tasks') ? join(d, '..', 'vars') : join(d, 'vars'))))) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (/\.(ya?ml|json)$/.test(n)) keys.push(...readVarsKeys(join(dir, n)));
  }
  return keys;
}

export function validatePlaybookVariables(playbooks: Playbook[], inv: Inventory, extraVars: Record<string, unknown>): string[] {
  const known = new Set<string>([...MAGIC_VARIABLES, ...Object.keys(extraVars)]);
  for (const h of inv.hosts.keys()) for (const k of Object.keys(hostVars(inv, h))) known.add(k);
  // Names defined anywhere in the run (a later play may read what an earlier one registered).
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      for (const k of Object.keys(play.vars)) known.add(k);
      // Every file a vars_files entry may read (a templated name cannot be read without a host).
      for (const f of play.varsFiles.flat()) if (!isTemplated(f)) for (const k of readVarsKeys(isAbsolute(f) ? f : join(play.baseDir, f))) known.add(k);
      for (const r of play.roles) for (const k of [...Object.keys(r.defaults), ...Object.keys(r.vars), ...Object.keys(r.params)]) known.add(k);
      for (const items of [play.preTasks, play.tasks, play.postTasks, play.handlers]) {
        walkItems(items, (t) => {
          if (t.register) known.add(t.register);
          for (const k of Object.keys(t.vars)) known.add(k);
          if (t.action === 'set_fact') for (const k of Object.keys(t.args)) known.add(k);
          if (t.action === 'include_vars' && typeof t.args.file === 'string' && !isTemplated(t.args.file)) {
            if (typeof t.args.name === 'string' && t.args.name) known.add(t.args.name);
            for (const k of readVarsKeys(isAbsolute(t.args.file) ? t.args.file : join(play.baseDir, t.args.file))) known.add(k);
          } else if (t.action === 'include_vars') {
            if (typeof t.args.name === 'string' && t.args.name) known.add(t.args.name);
            else for (const k of candidateVarsKeys(t.src.searchPath ?? [play.baseDir])) known.add(k);
          }
          if (t.action === 'getent') known.add(`getent_${typeof t.args.database === 'string' ? t.args.database : 'passwd'}`);
        }, (b) => {
          for (const k of Object.keys(b.vars)) known.add(k);
        });
      }
    }
  }
  const problems: string[] = [];
  // The loop variables of the task being checked (loop_control.loop_var / index_var, default `item`).
  let loopNames = new Set(['item']);
  const isKnown = (name: string, loop: boolean) => known.has(name) || name.startsWith('ansible_') || (loop && loopNames.has(name));
  const checkValue = (value: unknown, where: () => string, loop: boolean) => {
    const walk = (v: unknown) => {
      if (isUnsafe(v)) return; // `!unsafe`: never rendered
      if (typeof v === 'string' && isTemplated(v)) {
        for (const name of templateVariables(v)) if (!isKnown(name, loop)) problems.push(`${where()}: undefined variable "${name}" in ${JSON.stringify(v)}`);
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(value);
  };
  const checkConds = (conds: Array<string | boolean> | undefined, where: () => string, loop: boolean) => {
    for (const c of conds ?? []) {
      if (typeof c !== 'string') continue;
      for (const name of expressionVariables(parseCondition(c))) if (!isKnown(name, loop)) problems.push(`${where()}: undefined variable "${name}" in condition ${JSON.stringify(c)}`);
    }
  };
  // A task guarded by `when: NAME is defined` may read NAME (and a block's guard covers its tasks).
  const guardedBy = (conds: Array<string | boolean> | undefined): string[] =>
    (conds ?? []).flatMap((c) => (typeof c === 'string' ? [...c.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_]+)*\s+is\s+defined/g)].map((m) => m[1]) : []));
  const withGuards = <T>(names: string[], fn: () => T): T => {
    const added = names.filter((n) => !known.has(n));
    for (const n of added) known.add(n);
    try {
      return fn();
    } finally {
      for (const n of added) known.delete(n);
    }
  };
  const walkGuarded = (items: Item[]): void => {
    for (const it of items) {
      if (it.kind === 'block') {
        withGuards(guardedBy(it.when), () => {
          checkConds(it.when, () => formatSourcePlace(it.src), false);
          walkGuarded(it.block);
          walkGuarded(it.rescue);
          walkGuarded(it.always);
        });
        continue;
      }
      const t = it;
      withGuards(guardedBy(t.when), () => {
        const loop = t.loop !== undefined;
        loopNames = new Set([t.loopControl?.loopVar ?? 'item', ...(t.loopControl?.indexVar ? [t.loopControl.indexVar] : [])]);
        const where = () => formatSourcePlace(t.src);
        checkValue(t.args, () => formatSourcePlace(t.src, [t.action]), loop);
        // with_first_found skips a candidate whose names are undefined (as Ansible): not a problem.
        if (t.loopWith !== 'first_found') checkValue(t.loop, () => formatSourcePlace(t.src, [t.loopWith === undefined ? 'loop' : `with_${t.loopWith}`]), false);
        checkValue(t.loopControl?.label, () => formatSourcePlace(t.src, ['loop_control', 'label']), loop);
        checkValue(t.vars, () => formatSourcePlace(t.src, ['vars']), loop);
        checkConds(t.when, where, loop);
        checkConds(t.changedWhen, where, loop);
        checkConds(t.failedWhen, where, loop);
        checkConds(t.until, where, loop);
        if (t.action === 'assert') checkConds((Array.isArray(t.args.that) ? t.args.that : [t.args.that]) as string[], where, loop);
        // Included tasks see the include's loop variable.
        const inc = t.include;
        if (inc?.items) withGuards(loop ? [inc.loopVar] : [], () => walkGuarded(inc.items!));
      });
    }
  };
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      checkValue(play.vars, () => formatSourcePlace(play.src, ['vars']), false);
      for (const items of [play.preTasks, play.tasks, play.postTasks, play.handlers]) walkGuarded(items);
    }
  }
  return [...new Set(problems)];
}
