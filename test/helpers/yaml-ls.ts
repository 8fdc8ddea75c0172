// Drive the real yaml-language-server (the npm package editors use: VS Code's
// YAML extension, Neovim, Helix...) over stdio, as an editor does: initialize,
// open a document, wait for its diagnostics. Settings are an editor's defaults
// (YAML 1.2, validation on) with the public schema store off: only the file's
// own `# yaml-language-server: $schema=...` modeline or `schemas` apply.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export interface Diagnostic {
  /** 1-based line and column, as an editor shows them. */
  line: number;
  col: number;
  message: string;
}

type Message = { id?: number; method?: string; params?: { uri?: string; diagnostics?: Array<{ range: { start: { line: number; character: number } }; message: string }>; items?: unknown[] }; result?: unknown };

/** Diagnostics of each file, in the order given; `schemas` maps a schema file to globs (VS Code's yaml.schemas). */
export async function yamlDiagnostics(files: string[], schemas: Record<string, string[]> = {}, timeoutMs = 60_000): Promise<Diagnostic[][]> {
  const require = createRequire(import.meta.url);
  const server = require.resolve('yaml-language-server/bin/yaml-language-server');
  const child = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const settings = { validate: true, hover: false, completion: false, schemaStore: { enable: false }, schemas: Object.fromEntries(Object.entries(schemas).map(([f, g]) => [pathToFileURL(f).href, g])) };
  const uris = files.map((f) => pathToFileURL(f).href);
  const found = new Map<string, Diagnostic[]>();
  let buf = Buffer.alloc(0);
  let nextId = 0;
  const send = (msg: object): void => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }));
    child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin.write(body);
  };
  try {
    return await new Promise<Diagnostic[][]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`yaml-language-server: no diagnostics for ${files.filter((_, i) => !found.has(uris[i])).join(', ')} within ${timeoutMs} ms`)), timeoutMs);
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          const head = buf.indexOf('\r\n\r\n');
          if (head < 0) return;
          const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, head).toString())?.[1]);
          if (buf.length < head + 4 + len) return;
          const msg = JSON.parse(buf.subarray(head + 4, head + 4 + len).toString()) as Message;
          buf = buf.subarray(head + 4 + len);
          if (msg.method === 'workspace/configuration') send({ id: msg.id, result: (msg.params?.items ?? []).map(() => settings) });
          else if (msg.method !== undefined && msg.id !== undefined) send({ id: msg.id, result: null });
          else if (msg.id === 1 && msg.method === undefined) {
            send({ method: 'initialized', params: {} });
            send({ method: 'workspace/didChangeConfiguration', params: { settings: { yaml: settings } } });
            files.forEach((f, i) => send({ method: 'textDocument/didOpen', params: { textDocument: { uri: uris[i], languageId: 'yaml', version: 1, text: readFileSync(f, 'utf8') } } }));
          } else if (msg.method === 'textDocument/publishDiagnostics' && msg.params?.uri && uris.includes(msg.params.uri)) {
            found.set(msg.params.uri, (msg.params.diagnostics ?? []).map((d) => ({ line: d.range.start.line + 1, col: d.range.start.character + 1, message: d.message })));
            if (found.size === uris.length) {
              clearTimeout(timer);
              resolve(uris.map((u) => found.get(u)!));
            }
          }
        }
      });
      send({ id: ++nextId, method: 'initialize', params: { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true } } } });
    });
  } finally {
    child.kill();
  }
}
