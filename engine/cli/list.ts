// ansible-playbook's --list-tasks, --list-hosts, --list-tags and --syntax-check
// output, from the loaded playbooks (nothing connects to a host):
//
//   playbook: site.yml
//
//     play #1 (web): Configure web	TAGS: [web]
//       tasks:
//         common : Install nginx	TAGS: [pkg, web]
//
// As Ansible prints them: task names as written (not rendered), a role's
// named task as "ROLE : name", an unnamed task as its action, the tags each
// task inherits from its play, role and blocks (sorted), tasks filtered by
// --tags/--skip-tags, handlers not listed, dynamic includes listed as
// themselves (their tasks are known only at run time).

import type { Inventory } from '../inventory/inventory.js';
import { selectHosts } from '../inventory/inventory.js';
import type { Item, Play, Playbook } from '../load/playbook.js';
import { tagSelected } from '../run/scope.js';

export type ListMode = 'tasks' | 'hosts' | 'tags' | 'syntax';

export interface ListOptions {
  inventory: Inventory;
  limit?: string;
  tags: string[];
  skipTags: string[];
}

/** Python's repr of a string list, as Ansible prints TAGS and pattern. */
function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`).join(', ')}]`;
}

const tagList = (tags: Iterable<string>): string => `[${[...new Set(tags)].sort().join(', ')}]`;

interface Listed {
  name: string;
  tags: string[];
}

function tasksOf(items: Item[], inherited: string[], out: Listed[]): void {
  for (const item of items) {
    const tags = [...inherited, ...item.tags];
    if (item.kind === 'block') {
      tasksOf([...item.block, ...item.rescue, ...item.always], tags, out);
      continue;
    }
    const name = item.name === undefined ? item.action : item.role ? `${item.role.name} : ${item.name}` : item.name;
    out.push({ name, tags });
  }
}

function playHosts(play: Play, o: ListOptions): string[] {
  let names = selectHosts(o.inventory, play.hosts);
  if (o.limit) {
    const allowed = new Set(selectHosts(o.inventory, o.limit));
    names = names.filter((n) => allowed.has(n));
  }
  return names;
}

export function listText(playbooks: Playbook[], mode: ListMode, o: ListOptions, displayNames: string[] = playbooks.map((p) => p.file)): string {
  const lines: string[] = [];
  playbooks.forEach((pb, i) => {
    lines.push('', `playbook: ${displayNames[i] ?? pb.file}`);
    if (mode === 'syntax') return;
    pb.plays.forEach((play, n) => {
      lines.push('', `  play #${n + 1} (${play.hosts}): ${play.name}\tTAGS: ${tagList(play.tags)}`);
      const tasks: Listed[] = [];
      tasksOf([...play.preTasks, ...play.tasks, ...play.postTasks], play.tags, tasks);
      const selected = tasks.filter((t) => tagSelected(t.tags, o.tags, o.skipTags));
      if (mode === 'hosts') {
        const hosts = playHosts(play, o);
        lines.push(`    pattern: ${pyList([play.hosts])}`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
      } else if (mode === 'tags') {
        lines.push(`      TASK TAGS: ${tagList([...play.tags, ...selected.flatMap((t) => t.tags)])}`);
      } else {
        lines.push('    tasks:', ...selected.map((t) => `      ${t.name}\tTAGS: ${tagList(t.tags)}`));
      }
    });
  });
  return lines.join('\n');
}
