// Node benchmarks of polypay, written into bench/RESULTS.md between the node markers.
//
//   npm run build && npx napi build --platform --release --output-dir build-release   (optional)
//   node bench.mjs            (uses build-release/ when present, else the debug addon)
//
// Single thread, alternating short rounds after warm-up, in one process next to the official
// `ecommpay` npm package; the client against `polypay sandbox` next to global fetch + JSON.parse.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, execSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const release = join(here, 'build-release', `polypay.${process.platform}-${process.arch}-gnu.node`);
const profile = existsSync(release) ? 'release' : 'debug';
if (profile === 'release') process.env.NAPI_RS_NATIVE_LIBRARY_PATH = release;
const require = createRequire(import.meta.url);
const polypay = require('./dist/index.js');
const official = require('ecommpay');

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 5 : 41;
const ROUND_MS = QUICK ? 40 : 100;

function rate(fn, ms) {
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9); // ops/s
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Ops/s of `ours` and `theirs` in alternating short rounds, so that both see the same machine
 * (a shared VM's speed drifts by tens of percent within minutes): the medians of each side and
 * the median of the per-round ratios. */
function measure(ours, theirs) {
  for (let i = 0; i < 20000; i++) { ours(); theirs?.(); } // warm-up
  const a = [], b = [], ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = rate(ours, ROUND_MS);
    a.push(x);
    if (theirs) {
      const y = rate(theirs, ROUND_MS);
      b.push(y);
      ratios.push(x / y);
    }
  }
  return { ours: median(a), theirs: theirs ? median(b) : null, ratio: theirs ? median(ratios) : null };
}

const vectors = (name) => JSON.parse(readFileSync(join(root, 'tests', 'vectors', name), 'utf8'));
const typical = vectors('ecommpay_sign.json').cases.find((c) => c.id === 'sign-typical10');
const params = JSON.parse(typical.params_json);
const secret = typical.secret;
const cb = vectors('ecommpay_callback.json').cases.find((c) => c.id === 'cb-success');

const gate = new polypay.EcommpayGate({ projectId: params.project_id, secretKey: secret });
const cbGate = new polypay.EcommpayGate({ projectId: 1, secretKey: cb.secret });
const { project_id: projectId, ...rest } = params;

const rows = [];
function compare(label, ours, theirs) {
  const m = measure(ours, theirs);
  rows.push({ label, ...m });
  console.log(label, Math.round(m.ours), m.theirs ? `${Math.round(m.theirs)} ratio ${m.ratio.toFixed(2)}` : '');
}

// Sanity: the same results as the official package where they agree.
if (gate.sign(params) !== official.signer(params, secret)) throw new Error('signatures differ');

compare('ecommpay sign, 10-parameter payment (`gate.sign(object)`)', () => gate.sign(params), () => official.signer(params, secret));
compare('ecommpay sign, 10 parameters (`ecommpay.sign(object, secret)`)', () => polypay.ecommpay.sign(params, secret), null);
compare('ecommpay Payment Page URL, 10 parameters (`gate.paymentPageUrl`)', () => gate.paymentPageUrl(rest),
  () => new official.Payment(projectId, secret, rest).getUrl());
compare('ecommpay parse + verify callback (`gate.verifyCallback(body)`, cb-success)', () => cbGate.verifyCallback(cb.body),
  () => new official.Callback(cb.secret, cb.body));

const body4k = Buffer.from(JSON.stringify({ data: { type: 'payment-invoices', id: 'cpi_x', attributes: { status: 'processed', pad: 'x'.repeat(4000) } } }).slice(0, 4096));
const sig4k = polypay.paycore.signCallback(body4k, 'sk_test_bench');
compare('PayCore X-Signature verify, 4 KB body (`paycore.verifySignature`)', () => polypay.paycore.verifySignature(body4k, sig4k, 'sk_test_bench'), null);

// ---------------------------------------------------------------- client vs fetch
const polypayBin = process.env.POLYPAY_BIN || join(root, 'target', existsSync(join(root, 'target', 'release', 'polypay')) ? 'release' : 'debug', 'polypay');
const sandbox = spawn(polypayBin, ['sandbox', '--port', '0', '--print-config'], { stdio: ['ignore', 'pipe', 'ignore'] });
const config = await new Promise((resolve) => createInterface({ input: sandbox.stdout }).once('line', (l) => resolve(JSON.parse(l))));
const p = config.paycore;
const client = new polypay.PayCoreClient({ baseUrl: config.base_url, accountId: p.account_id, apiKey: p.api_key, publicKey: p.public_key_test });
const invoice = await client.createPaymentInvoice({ service: 'test_usd_test', amount: '100.55', currency: 'USD', service_fields: { status: 'success' } });
const url = `${config.base_url}/api/payment-invoices/${invoice.id}`;
const auth = 'Basic ' + Buffer.from(`${p.account_id}:${p.api_key}`).toString('base64');
const bare = async () => {
  const r = await fetch(url, { headers: { authorization: auth, accept: 'application/vnd.api+json' } });
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return JSON.parse(await r.text());
};
const sdk = () => client.getPaymentInvoice(invoice.id);

async function throughput(fn, concurrency, calls) {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < calls) await fn();
  }));
  return calls / (Number(process.hrtime.bigint() - start) / 1e9);
}

const clientRows = [];
for (const concurrency of [1, 64]) {
  const calls = QUICK ? 200 : (concurrency === 1 ? 1500 : 6000);
  await throughput(sdk, concurrency, 200);
  await throughput(bare, concurrency, 200);
  const ours = [];
  const theirs = [];
  for (let round = 0; round < (QUICK ? 2 : 6); round++) { // ABBA
    if (round % 2 === 0) { ours.push(await throughput(sdk, concurrency, calls)); theirs.push(await throughput(bare, concurrency, calls)); } else { theirs.push(await throughput(bare, concurrency, calls)); ours.push(await throughput(sdk, concurrency, calls)); }
  }
  clientRows.push({ concurrency, ours: median(ours), theirs: median(theirs) });
  console.log('getPaymentInvoice', concurrency, Math.round(median(ours)), Math.round(median(theirs)));
}
sandbox.kill('SIGTERM');

// ---------------------------------------------------------------- require time, memory, size
let requireMs = Infinity;
for (let i = 0; i < 5; i++) {
  const out = execSync(`${process.execPath} -e "const t=process.hrtime.bigint();require('./dist/index.js');console.log(Number(process.hrtime.bigint()-t)/1e6)"`,
    { cwd: here, env: process.env }).toString();
  requireMs = Math.min(requireMs, Number(out));
}
const addonPath = profile === 'release' ? release : join(here, 'build', `polypay.${process.platform}-${process.arch}-gnu.node`);
const addonMb = statSync(addonPath).size / 1e6;
const rssMb = process.memoryUsage().rss / 1e6;

// ---------------------------------------------------------------- report
const fmt = (ops) => `${Math.round(ops).toLocaleString('en-US')}/s (${(1e6 / ops).toFixed(2)} µs)`;
const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
let rustc = '';
try { rustc = execSync('rustc --version').toString().trim(); } catch { /* optional */ }
const lines = [
  '<!-- node:begin -->',
  '## Node package (issue 6): `polypay` on napi-rs',
  '',
  `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  `- Machine: ${cpu}, ${os.cpus().length} cores, ${os.platform()}, Node ${process.version}, ${rustc}, addon built ${profile}`,
  '- Command: `cd bindings-node && npm run build && npx napi build --platform --release --output-dir build-release && node bench.mjs`',
  `- Figures: ${ROUNDS} alternating rounds of ${ROUND_MS} ms each for polypay and the official \`ecommpay\` npm package ${require('ecommpay/package.json').version}, in the same process, single thread, after warm-up; medians of each side, and the median of the per-round ratios (the machine's speed drifts, and both sides of a round see the same machine).`,
  '',
  '| operation | polypay | official `ecommpay` npm | ratio | target ≥ 1.5× |',
  '| --- | ---: | ---: | ---: | --- |',
  ...rows.map((r) => `| ${r.label} | ${fmt(r.ours)} | ${r.theirs ? fmt(r.theirs) : ''} | ${r.ratio ? r.ratio.toFixed(2) + '×' : ''} | ${r.ratio ? (r.ratio >= 1.5 ? 'yes' : 'no') : ''} |`),
  '',
  '`client.getPaymentInvoice(id)` (typed object with `raw`, retries armed) against `polypay sandbox`',
  'on loopback, next to global `fetch` + `JSON.parse` of the same request; alternating (ABBA)',
  'rounds, median calls/s. The sandbox shares the 2 cores with the client.',
  '',
  '| case | polypay calls/s | fetch + JSON.parse calls/s | ratio | target ≥ 1× |',
  '| --- | ---: | ---: | ---: | --- |',
  ...clientRows.map((r) => `| ${r.concurrency === 1 ? 'single' : `${r.concurrency} concurrent`} | ${Math.round(r.ours).toLocaleString('en-US')} | ${Math.round(r.theirs).toLocaleString('en-US')} | ${(r.ours / r.theirs).toFixed(2)}× | ${r.ours / r.theirs >= 1 ? 'yes' : 'no'} |`),
  '',
  `- \`require('polypay')\`: ${requireMs.toFixed(1)} ms (best of 5 fresh processes).`,
  `- Memory: the benchmark process (after the 64-concurrent rounds of both clients) has a resident set of ${rssMb.toFixed(0)} MB.`,
  `- Addon size: ${addonMb.toFixed(1)} MB (\`${addonPath.split('/').slice(-2).join('/')}\`, ${profile}).`,
  '<!-- node:end -->',
];
const resultsPath = join(root, 'bench', 'RESULTS.md');
const text = readFileSync(resultsPath, 'utf8');
const section = lines.join('\n');
const begin = text.indexOf('<!-- node:begin -->');
const end = text.indexOf('<!-- node:end -->');
const updated = begin >= 0 && end > begin
  ? text.slice(0, begin) + section + text.slice(end + '<!-- node:end -->'.length)
  : text.replace(/\n*$/, '\n\n') + section + '\n';
if (!QUICK) writeFileSync(resultsPath, updated);
console.log(QUICK ? section : `written to ${resultsPath}`);
