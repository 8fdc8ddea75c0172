// A play's gather_subset, checked at load as Ansible's setup would check it.

import type { YamlDoc, PathSeg } from './yaml.js';
import { LoadError, snippetAt } from '../errors.js';
import { GatherSubsetError, resolveGatherSubset, subsetList } from '../facts/setup/subset.js';

/** The gather_subset list (a string is comma-separated), or undefined; an unknown subset or a template is refused here. */
export function playGatherSubset(doc: YamlDoc, path: PathSeg[], raw: string | string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const at = [...path, 'gather_subset'];
  const list = subsetList(raw);
  try {
    if (list.some((s) => s.includes('{{') || s.includes('{%'))) {
      throw new GatherSubsetError('gather_subset is not templated in tsplay: give the subsets literally');
    }
    resolveGatherSubset(list);
  } catch (e) {
    if (!(e instanceof GatherSubsetError)) throw e;
    const place = doc.placeOf(at);
    throw new LoadError(`play: gather_subset: ${e.message}`, place, snippetAt(doc.source, place.line, place.col));
  }
  return list;
}
