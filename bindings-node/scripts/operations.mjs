// The network methods of `PayCoreClient` and `PublicPayCoreClient` (lib/index.ts) are generated
// from the core's operation table, read from the freshly built addon (`operationTable()`): one
// method per row, with the row's name, parameters and docs. This check fails the build when the
// generated sections of lib/index.ts differ; `npm run update-operations` (after a build) rewrites
// them.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const native = require(join(root, 'build', `polypay.${process.platform}-${process.arch}-gnu.node`));
const rows = native.operationTable();

const camel = (snake) => snake.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const LAZY = 'Read lazily: `for await (const item of …)`.';

function doc(row) {
  const lines = [...row.doc];
  if (row.input === 'Filter') lines.push(LAZY);
  if (lines.length === 0) return '';
  if (lines.length === 1) return `  /** ${lines[0]} */\n`;
  return `  /**\n${lines.map((l) => `   * ${l}`).join('\n')}\n   */\n`;
}

/** [parameters, arguments to the private helper, result type] of a row's method. */
function parts(row) {
  const op = `native.Operation.${row.variant}`;
  const out = row.output;
  switch (row.input) {
    case 'Nothing': return ['options?: RequestOptions', `#call(${op}, {}, options)`, `Promise<WithResponse<${out}>>`];
    case 'Id': return ['id: string, options?: RequestOptions', `#withId(${op}, id, 'id', options)`, `Promise<WithResponse<${out}>>`];
    case 'ReferenceId': return ['referenceId: string, options?: RequestOptions', `#withId(${op}, referenceId, 'referenceId', options)`, `Promise<${out} | null>`];
    case 'Fields': return ['request: RequestBody, options?: RequestOptions', `#withRequest(${op}, request, options)`, `Promise<WithResponse<${out}>>`];
    case 'IdFields': return ['id: string, request: RequestBody, options?: RequestOptions', `#withRequest(${op}, request, options, id, true)`, `Promise<WithResponse<${out}>>`];
    case 'Filter': return ['options?: ListOptions', `#list<${out}>(${op}, options)`, `AsyncIterableIterator<${out}>`];
    default: throw new Error(`no method for input ${row.input}`);
  }
}

const argumentsOf = (params) => params.split(', ').map((p) => p.split(/\??:/)[0]).join(', ');

const client = rows.map((row) => {
  const [params, helper, result] = parts(row);
  return `${doc(row)}  ${camel(row.name)}(${params}): ${result} {\n    return this.${helper};\n  }\n`;
}).join('\n');

const publicClient = rows.filter((row) => row.access === 'Public').map((row) => {
  const [params, , result] = parts(row);
  return `${doc(row)}  ${camel(row.name)}(${params}): ${result} {\n    return this.#client.${camel(row.name)}(${argumentsOf(params)});\n  }\n`;
}).join('\n');

const BEGIN = '  // ---- generated from the core\'s operation table (scripts/operations.mjs) ----\n';
const END = '  // ---- end of generated ----\n';

/** `text` with its `index`-th generated section replaced by `body`. */
function replaceSection(text, index, body) {
  let start = -1;
  for (let i = 0; i <= index; i++) start = text.indexOf(BEGIN, start + 1);
  const end = text.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error('lib/index.ts lacks a generated section');
  return text.slice(0, start) + BEGIN + body + END + text.slice(end + END.length);
}

const gateRows = native.gateOperationTable();
const gateClient = gateRows.map((row) => {
  const lines = [...row.doc, '', `\`POST ${row.path}\`; \`options.method\` is the endpoint's payment method (\`card\` by default).`];
  const docs = `  /**\n${lines.map((l) => (l ? `   * ${l}` : '   *')).join('\n')}\n   */\n`;
  return `${docs}  ${camel(row.name)}(request: RequestBody, options?: GateRequestOptions): Promise<${row.output}> {\n` +
    `    return this.#call(native.GateOperation.${row.variant}, request, options);\n  }\n`;
}).join('\n');
const GATE_BEGIN = '  // ---- generated from the core\'s Gate table (scripts/operations.mjs) ----\n';

/** `text` with the Gate class's generated section replaced by `body`. */
function replaceGateSection(text, body) {
  const start = text.indexOf(GATE_BEGIN);
  const end = text.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error('lib/index.ts lacks the Gate section');
  return text.slice(0, start) + GATE_BEGIN + body + END + text.slice(end + END.length);
}

const path = join(root, 'lib', 'index.ts');
const text = readFileSync(path, 'utf8');
const expected = replaceGateSection(replaceSection(replaceSection(text, 0, client), 1, publicClient), gateClient);
if (process.argv.includes('--update')) {
  writeFileSync(path, expected);
  console.log('lib/index.ts: operations updated');
} else if (text !== expected) {
  console.error('lib/index.ts: the client methods are not what the operation table generates.\n' +
    'Run `npm run update-operations` and commit lib/index.ts.');
  process.exit(1);
}
