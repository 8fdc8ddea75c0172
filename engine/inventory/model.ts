// The inventory model: hosts and groups, with the variables of each level kept
// apart (inline, inventory-adjacent files, playbook-adjacent files) because
// Ansible's precedence tells them apart. Types only, so inventory.ts,
// patterns.ts and host-vars.ts can all use them without importing each other.

export interface InventoryHost {
  name: string;
  /** The host's own variables: inline, then host_vars files (later wins). */
  vars: Record<string, unknown>;
  /** Every group it belongs to, incl. ancestors, 'all' and 'ungrouped' where applicable, in inventory order. */
  groups: string[];
  /** Variables written in the inventory sources (later source wins). */
  inlineVars: Record<string, unknown>;
  /** host_vars/ beside the inventory sources. */
  fileVars: Record<string, unknown>;
  /** host_vars/ beside the playbook (loadPlaybookVarsDir). */
  playbookFileVars: Record<string, unknown>;
}

export interface InventoryGroup {
  name: string;
  /** Direct hosts, in inventory order. */
  hosts: string[];
  children: string[];
  /** inline then group_vars files (later wins); informational, precedence uses the parts. */
  vars: Record<string, unknown>;
  parents: string[];
  inlineVars: Record<string, unknown>;
  fileVars: Record<string, unknown>;
  playbookFileVars: Record<string, unknown>;
  /** Longest distance from 'all' (all = 0). */
  depth: number;
  /** ansible_group_priority from the inventory source (default 1). */
  priority: number;
}

export interface Inventory {
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  sources: string[];
  /** Things worth a warning that are not errors (vars files for unknown hosts, ...). */
  warnings: string[];
  /**
   * Warnings the commands print when the inventory is loaded: what an inventory
   * script wrote on stderr while succeeding (Ansible shows it too), .ini files
   * skipped in an inventory directory. Also in `warnings`.
   */
  shownWarnings?: string[];
}
