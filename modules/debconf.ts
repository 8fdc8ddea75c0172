// debconf: ansible.builtin.debconf: pre-seed one debconf answer of a package
// (debconf-set-selections), or only read a package's answers
// (docs/modules/debconf.md). Read with debconf-show, compared as Ansible
// compares: a question debconf-show does not list is a change; a boolean is
// compared lower-cased; a password is never equal (debconf-show prints
// "(password omitted)"), so a password answer reports changed on every run,
// as in Ansible.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { debconfSelections } from '../engine/facts/debconf.js';
import type { DebconfSelections } from '../engine/facts/debconf.js';
import { pyStr } from '../engine/template/py-text.js';

const VTYPES = ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'] as const;
const PKG = '^[^-\\s][^\\s]*$';
const QUESTION = '^[^\\s]+$';
const scalar = S.types(['string', 'number', 'boolean']);

const schema = S.object({
  name: S.string({ pattern: PKG, description: 'the package whose answer is set (debconf-show PACKAGE lists its questions)' }),
  pkg: S.string({ pattern: PKG, description: 'alias of name' }),
  question: S.string({ pattern: QUESTION, description: 'the debconf question, e.g. postfix/main_mailer_type' }),
  selection: S.string({ pattern: QUESTION, description: 'alias of question' }),
  setting: S.string({ pattern: QUESTION, description: 'alias of question' }),
  vtype: S.enum(VTYPES, { description: 'the type of the value (with question and value)' }),
  value: S.with(scalar, { description: 'the answer, as a string (true is True, as Ansible converts it)' }),
  answer: S.with(scalar, { description: 'alias of value' }),
  unseen: S.boolean({ default: false, description: "do not mark the question seen (debconf-set-selections -u)" }),
}, { additionalProperties: false });

export type DebconfArgs = Static<typeof schema>;

interface Wanted {
  pkg: string;
  question?: string;
  vtype?: (typeof VTYPES)[number];
  value?: string;
  unseen: boolean;
}

function one<T>(what: string, values: Array<[string, T | undefined]>): T | undefined {
  const given = values.filter(([, v]) => v !== undefined);
  if (given.length > 1) throw new ModuleError(`${given.map(([k]) => k).join(' and ')} are aliases (${what}); give one`);
  return given[0]?.[1];
}

/** The arguments with aliases resolved, the value as Ansible's str option holds it. */
export function wanted(args: DebconfArgs): Wanted {
  const pkg = one('name', [['name', args.name], ['pkg', args.pkg]]);
  if (pkg === undefined) throw new ModuleError('missing required arguments: name');
  const question = one('question', [['question', args.question], ['selection', args.selection], ['setting', args.setting]]);
  const raw = one('value', [['value', args.value], ['answer', args.answer]]);
  const given = [question !== undefined, args.vtype !== undefined, raw !== undefined];
  if (given.some(Boolean) && !given.every(Boolean)) throw new ModuleError('parameters are required together: question, vtype, value');
  const value = raw === undefined ? undefined : pyStr(raw);
  if (value !== undefined && /[\r\n]/.test(value)) throw new ModuleError('value: debconf-set-selections reads one answer per line; a value with a line break is refused');
  return { pkg, question, vtype: args.vtype, value, unseen: args.unseen };
}

export default defineModule<typeof schema, DebconfSelections>({
  name: 'debconf',
  description: 'Pre-seed a debconf answer of a package (debconf-set-selections), or read its answers',
  schema,
  gather: (args, host) => host.get(debconfSelections, wanted(args).pkg),
  plan(args, state) {
    const w = wanted(args);
    const prev = state.answers;
    if (w.question === undefined || w.vtype === undefined || w.value === undefined) {
      return { changed: false, reason: `read the debconf answers of ${w.pkg}`, result: { msg: '', current: prev } };
    }
    const q = w.question;
    let value = w.value;
    if (q in prev) {
      let existing = prev[q];
      // Ansible compares booleans lower-cased (and so sets the lower-cased value).
      if (w.vtype === 'boolean') {
        value = value.toLowerCase();
        existing = existing.toLowerCase();
      }
      if (value === existing) return { changed: false, reason: `${q} is already ${JSON.stringify(prev[q])}`, result: { msg: '', current: prev } };
    }
    // What debconf-set-selections receives: True/False become true/false for a boolean.
    const written = w.vtype === 'boolean' && (value === 'True' || value === 'False') ? value.toLowerCase() : value;
    const previous = q in prev ? { [q]: prev[q] } : { ...prev, [q]: '' };
    const current = { [q]: value };
    return {
      changed: true,
      summary: `set ${w.pkg} ${q} (${w.vtype})`,
      steps: [{ kind: 'run', argv: ['debconf-set-selections', ...(w.unseen ? ['-u'] : [])], stdin: [w.pkg, q, w.vtype, written].join(' ') }],
      predicts: [{
        kind: 'debconf', package: w.pkg, question: q,
        // debconf-show hides a password's value.
        value: w.vtype === 'password' ? '(password omitted)' : written,
        seen: !w.unseen || state.seen.includes(q),
      }],
      result: { msg: '', current, previous },
    };
  },
});
