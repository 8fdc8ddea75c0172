import AjvModule from 'ajv';
import { readFileSync } from 'node:fs';
const Ajv = (AjvModule as any).default ?? AjvModule;
const warns: string[] = [];
const ajv = new Ajv({ strict: 'log', allErrors: true, logger: { log() {}, warn: (...a: unknown[]) => warns.push(a.join(' ')), error: (...a: unknown[]) => warns.push('E ' + a.join(' ')) } });
try { ajv.compile(JSON.parse(readFileSync(process.argv[2] ?? 'schemas/playbook.schema.json', 'utf8'))); } catch (e) { console.log('THROW', (e as Error).message); }
console.log(warns.length); for (const w of [...new Set(warns)].slice(0, 15)) console.log(w.slice(0, 250));
