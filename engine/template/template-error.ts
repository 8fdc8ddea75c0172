// The error of a template: the reason, the template, and where in it (line,
// column, and the file when the template was read from one). Its own file so
// the string renderer (template.ts) and the statement renderer (jinja.ts)
// share it without importing each other.

import { lineColumn } from './expression.js';

export class TemplateError extends Error {
  /** The variable path as written (`hostvars.ctl1.nova_uid`), when the error is an undefined variable. */
  variable?: string;
  template: string;
  /** 1-based line and column within the template string. */
  line?: number;
  column?: number;
  /** The message without the template excerpt. */
  reason: string;
  /** The template file, when the template was read from one. */
  file?: string;
  constructor(reason: string, template: string, offset?: number, variable?: string, file?: string) {
    let where = '';
    let line: number | undefined;
    let column: number | undefined;
    if (offset !== undefined) {
      ({ line, column } = lineColumn(template, offset));
    }
    const multiline = template.includes('\n');
    let excerpt = template;
    if (multiline && line !== undefined) excerpt = template.split('\n')[line - 1];
    if (excerpt.length > 160) {
      const c = column ?? 1;
      const from = Math.max(0, c - 80);
      excerpt = (from > 0 ? '…' : '') + excerpt.slice(from, from + 160) + (from + 160 < excerpt.length ? '…' : '');
    }
    if (line !== undefined && multiline) where = ` (template line ${line}, column ${column})`;
    if (file !== undefined) where = line !== undefined ? ` (${file} line ${line}, column ${column})` : ` (${file})`;
    super(`${reason} in ${JSON.stringify(excerpt)}${where}`);
    this.name = 'TemplateError';
    this.reason = reason;
    this.template = template;
    this.variable = variable;
    this.line = line;
    this.column = column;
    this.file = file;
  }
}
