import { isAbsolute, resolve } from 'node:path';
import { loadVarsFile } from '../../inventory/inventory.js';
import { toText } from '../../template/expression.js';
import type { BuiltinAction } from './builtin.js';

/** include_vars: a YAML file's variables for this host (under `name` if given). */
export const includeVars = (): BuiltinAction => ({
  name: 'include_vars',
  async run(ctx, args) {
    // In a role, its vars/ first (engine/load/search-path.ts).
    const name = String(args.file);
    const file = ctx.findFile ? ctx.findFile('vars', name) : isAbsolute(name) ? name : resolve(ctx.baseDir, name);
    const loaded = await loadVarsFile(file);
    if (args.name) ctx.host.includeVars[toText(args.name)] = loaded;
    else Object.assign(ctx.host.includeVars, loaded);
    return { status: 'ok', result: { changed: false, ansible_included_var_files: [file] } };
  },
});
