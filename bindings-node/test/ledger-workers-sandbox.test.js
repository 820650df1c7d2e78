// The gateway is `polypay sandbox` itself: 300 of its test payment invoices go through their
// lifecycle (half of the paid ones then refunded, in part or in full), and their callbacks go to
// an Express app in 4 node:cluster workers (test-apps/ledger-cluster-app.js: a PostgresLedger,
// a handler failing one time in five after writing, which the sandbox retries). Then the sandbox
// replays every callback it sent twice more, shuffled and all at once. Each state change must be
// written once, in lifecycle order, and each invoice's ledger row must end in the sandbox's
// state. Figures: target/ledger/express-sandbox-postgresql.json.
'use strict';
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const pg = require('pg');
const { PostgresLedger } = require('../dist/ledger');
const { PayCoreClient } = require('..');
const { startSandbox, clientOptions } = require('./helpers');

const WORKERS = 4;
const INVOICES = 300;
const LEDGER_TABLE = 'polypay_ledger_sandbox_test';
const MERCHANT_TABLE = 'ledger_sandbox_merchant_rows';
const ABSORBED_TABLE = 'ledger_sandbox_absorbed';
const FIGURES = path.join(__dirname, '..', '..', 'target', 'ledger', 'express-sandbox-postgresql.json');
// Where each status the sandbox's invoices pass through sits in the lifecycle.
const STAGE = { created: 0, process_pending: 1, processed: 2, process_failed: 2, partially_refunded: 4, refunded: 5 };

const cleanup = [];
after(async () => { for (const step of cleanup.reverse()) await step(); });

async function until(what, check, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await check()) return;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(`the sandbox's duplicated, reordered, concurrent callbacks to ${WORKERS} workers: each state once`, async () => {
  assert.ok(process.env.DATABASE_URL, 'DATABASE_URL is not set: run under tests/postgres/with-postgres (make test-node does)');
  const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  db.on('error', () => {});
  cleanup.push(() => db.end());
  await db.query(`DROP TABLE IF EXISTS ${LEDGER_TABLE}, ${MERCHANT_TABLE}, ${ABSORBED_TABLE}`);
  await db.query(`CREATE TABLE ${MERCHANT_TABLE} (seq bigserial PRIMARY KEY, kind text NOT NULL,
    entity_id text NOT NULL, status text NOT NULL, worker integer NOT NULL)`);
  await db.query(`CREATE TABLE ${ABSORBED_TABLE} (verdict text NOT NULL)`);
  await new PostgresLedger(db, { table: LEDGER_TABLE }).ensureSchema();

  const sb = await startSandbox(['--time-scale', '0.0005']);
  cleanup.push(() => sb.stop());
  const primary = spawn(process.execPath, [path.join(__dirname, '..', 'test-apps', 'ledger-cluster-app.js')], {
    env: {
      ...process.env, WORKERS: String(WORKERS), LEDGER_TABLE, MERCHANT_TABLE, ABSORBED_TABLE,
      PAYCORE_SECRET: sb.config.paycore.secret_key_test, ECOMMPAY_SECRET: 'unused',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(() => new Promise((r) => { if (primary.exitCode !== null) return r(); primary.once('exit', r); primary.kill('SIGTERM'); }));
  const { port } = await new Promise((resolve, reject) => {
    primary.once('exit', (code) => reject(new Error(`the cluster's primary exited (${code})`)));
    readline.createInterface({ input: primary.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
  primary.removeAllListeners('exit');

  const client = new PayCoreClient(clientOptions(sb));
  const callbackUrl = `http://127.0.0.1:${port}/paycore/callback`;
  const invoices = [];
  for (let n = 0; n < INVOICES; n++) {
    const outcome = n % 3 === 2 ? 'fail' : 'success';
    const invoice = await client.createPaymentInvoice({
      service: 'test_usd_test', amount: '10.00', currency: 'USD', service_fields: { status: outcome },
      reference_id: `ledger-node-${n}-${Date.now()}`, callback_url: callbackUrl,
    });
    invoices.push(invoice.id);
  }
  const stats = async () => (await sb.admin('GET', '/__sandbox/stats')).callbacks;
  const settled = async () => (await stats()).pending === 0;
  await until('the test payments to finish', async () => {
    const statuses = await Promise.all(invoices.map(async (id) => (await client.getPaymentInvoice(id)).status));
    return statuses.every((s) => s === 'processed' || s === 'process_failed');
  });
  await until('the callbacks to be delivered', settled);
  for (const [n, id] of invoices.entries()) {
    if (n % 3 !== 2 && n % 2 === 0) {
      await sb.admin('POST', `/__sandbox/invoices/${id}/status`, { status: n % 4 === 0 ? 'refunded' : 'partially_refunded' });
    }
  }
  await until('the refund callbacks to be delivered', settled);
  for (const id of invoices) {
    await sb.admin('POST', `/__sandbox/invoices/${id}/callbacks`, { replay: true, copies: 2, order: 'shuffle', concurrent: true });
  }
  await until('the replays to be delivered', settled);
  const { delivered, failed_attempts: failed, exhausted } = await stats();
  const count = async (table) => Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  await until('every absorbed delivery to be counted', async () =>
    (await count(MERCHANT_TABLE)) + (await count(ABSORBED_TABLE)) === delivered, 10);

  const { rows } = await db.query(`SELECT entity_id, status FROM ${MERCHANT_TABLE} ORDER BY seq`);
  const { rows: ledger } = await db.query(`SELECT entity_id, status FROM ${LEDGER_TABLE}`);
  const seen = new Set();
  for (const r of rows) {
    assert.ok(!seen.has(`${r.entity_id} ${r.status}`), `${r.entity_id} ${r.status} written twice`);
    seen.add(`${r.entity_id} ${r.status}`);
  }
  for (const id of invoices) {
    const final = (await client.getPaymentInvoice(id)).status;
    assert.equal(ledger.find((r) => r.entity_id === id)?.status, final, `${id} does not end in the sandbox's state`);
    const stages = rows.filter((r) => r.entity_id === id).map((r) => STAGE[r.status]);
    for (let n = 1; n < stages.length; n++) assert.ok(stages[n] > stages[n - 1], `${id} went backwards: ${stages}`);
  }
  const { rows: verdicts } = await db.query(`SELECT verdict, count(*) AS n FROM ${ABSORBED_TABLE} GROUP BY verdict`);
  const absorbed = Object.fromEntries(verdicts.map((v) => [v.verdict, Number(v.n)]));
  assert.equal(exhausted, 0);
  assert.ok(failed > 0 && absorbed.duplicate > 0 && absorbed.stale > 0, JSON.stringify({ failed, absorbed }));

  const figures = {
    framework: 'express (sandbox delivering)', engine: 'postgresql', workers: WORKERS, entities: INVOICES,
    deliveries: delivered, apply: rows.length, duplicate: absorbed.duplicate, stale: absorbed.stale, 'handler failed': failed,
  };
  fs.mkdirSync(path.dirname(FIGURES), { recursive: true });
  fs.writeFileSync(FIGURES, `${JSON.stringify(figures, null, 1)}\n`);
  console.log(JSON.stringify(figures));
});
