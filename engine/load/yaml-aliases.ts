// A bound on what YAML aliases may add to a document (issue 8). js-yaml
// constructs an alias as a second reference to one object, so loading a
// "billion laughs" document is cheap; everything that later walks the value
// (validation, templating, copying, JSON) sees it expanded: nine levels of nine
// aliases cost 38 s of CPU unused and abort Node out of memory once a task
// uses them. So the expanded size is computed from the parser's events, before
// anything walks the value, and a document whose aliases would add too much is
// refused at the alias that crosses the bound. Documents without aliases are
// never limited, and ordinary reuse (`<<: *defaults` on every host) stays far below it.

import { EVENT_ID } from 'js-yaml';
import type { Event } from 'js-yaml';

/** Nodes (scalars, mappings, sequences) that aliases may add to one document. */
export const MAX_ALIAS_NODES = 1_000_000;
/** Characters of scalar text that aliases may add to one document. */
export const MAX_ALIAS_CHARS = 16 * 1024 * 1024;

export interface AliasRefusal {
  /** Source offset of the alias (its `*`). */
  offset: number;
  reason: string;
}

interface Size {
  nodes: number;
  chars: number;
}

interface Frame extends Size {
  anchor?: string;
}

/** The first alias that makes the document too large when expanded, or that refers to its own enclosing node. */
export function checkAliases(events: readonly Event[], source: string): AliasRefusal | undefined {
  let anchors = new Map<string, Size>();
  let open = new Set<string>();
  let added: Size = { nodes: 0, chars: 0 };
  const stack: Frame[] = [];
  const addToParent = (s: Size) => {
    const top = stack[stack.length - 1];
    if (top) {
      top.nodes += s.nodes;
      top.chars += s.chars;
    }
  };
  const anchorOf = (e: { anchorStart: number; anchorEnd: number }) => (e.anchorStart >= 0 ? source.slice(e.anchorStart, e.anchorEnd) : undefined);

  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        // Anchors do not carry over between documents.
        anchors = new Map();
        open = new Set();
        added = { nodes: 0, chars: 0 };
        stack.push({ nodes: 0, chars: 0 });
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const anchor = anchorOf(e);
        if (anchor !== undefined) open.add(anchor);
        stack.push({ nodes: 1, chars: 0, anchor });
        break;
      }
      case EVENT_ID.SCALAR: {
        const size = { nodes: 1, chars: e.valueEnd - e.valueStart };
        const anchor = anchorOf(e);
        if (anchor !== undefined) anchors.set(anchor, size);
        addToParent(size);
        break;
      }
      case EVENT_ID.POP: {
        const f = stack.pop();
        if (f?.anchor !== undefined) {
          anchors.set(f.anchor, { nodes: f.nodes, chars: f.chars });
          open.delete(f.anchor);
        }
        if (f) addToParent(f);
        break;
      }
      case EVENT_ID.ALIAS: {
        const name = source.slice(e.anchorStart, e.anchorEnd);
        const offset = Math.max(0, e.anchorStart - 1);
        if (open.has(name)) return { offset, reason: `alias *${name} refers to the node that contains it (a recursive structure cannot be expanded)` };
        const size = anchors.get(name);
        if (!size) break; // an unknown anchor: the constructor reports it
        added = { nodes: added.nodes + size.nodes, chars: added.chars + size.chars };
        if (added.nodes > MAX_ALIAS_NODES || added.chars > MAX_ALIAS_CHARS) {
          return {
            offset,
            reason: `alias *${name} makes the document too large when expanded: its aliases add more than `
              + (added.nodes > MAX_ALIAS_NODES ? `${MAX_ALIAS_NODES.toLocaleString('en')} nodes` : `${MAX_ALIAS_CHARS / 1024 / 1024} MiB of text`)
              + ' (an alias bomb?); use fewer or smaller aliases',
          };
        }
        addToParent(size);
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}
