// Many worker processes behind one URL: an Express app in 4 node:cluster workers sharing one port
// (test-apps/ledger-cluster-app.js), each with its own pg pool and a PostgresLedger on
// DATABASE_URL, and the library's middleware with a handler that writes a merchant row through the
// ledger's client and then throws one time in five. The test delivers every state of ~120
// entities (PayCore payment invoices and ecommpay payments) 1-3 times, shuffled, from 16
// concurrent senders that retry each delivery until it gets 200, as gateways do; then checks that
// each state change was written exactly once, in lifecycle order, that each entity ends in its
// last state, and that every 200 with `Polypay-Verdict: apply` came after its row committed.
// The figures go to target/ledger/express-postgresql.json (tests/postgres/ledger_figures.py).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const pg = require('pg');
const { PostgresLedger } = require('../dist/ledger');
const testing = require('../dist/testing');
const { random, shuffle } = require('./helpers');

const PG_MISSING = 'DATABASE_URL is not set: the many-worker ledger test needs a database. Run it under ' +
  'tests/postgres/with-postgres (repository root), or `make test-node`.';
const WORKERS = 4;
const ENTITIES = 120;
const SENDERS = 16;
const LEDGER_TABLE = 'polypay_ledger_workers_test';
const MERCHANT_TABLE = 'ledger_workers_merchant_rows';
const PAYCORE_SECRET = 'sk_test_workers';
const ECOMMPAY_SECRET = 'ecommpay_workers_secret';
const FIGURES = path.join(__dirname, '..', '..', 'target', 'ledger', 'express-postgresql.json');

const PAYCORE_LIFECYCLES = [
  ['created', 'process_pending', 'processed', 'refunded'],
  ['created', 'processing', 'process_failed'],
  ['created', 'processed', 'partially_refunded'],
];
const ECOMMPAY_LIFECYCLES = [
  ['processing', 'awaiting 3ds result', 'success', 'refunded'],
  ['processing', 'decline'],
];

/** ecommpay's date format: `YYYY-MM-DDTHH:MM:SS+0000`. */
const ecommpayDate = (unix) => `${new Date(unix * 1000).toISOString().slice(0, 19)}+0000`;

let primary;
let url;
let db;

before(async () => {
  if (!process.env.DATABASE_URL) return;
  db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  db.on('error', () => {});
  await db.query(`DROP TABLE IF EXISTS ${LEDGER_TABLE}, ${MERCHANT_TABLE}`);
  await db.query(`CREATE TABLE ${MERCHANT_TABLE} (seq bigserial PRIMARY KEY, kind text NOT NULL,
    entity_id text NOT NULL, status text NOT NULL, worker integer NOT NULL)`);
  await new PostgresLedger(db, { table: LEDGER_TABLE }).ensureSchema();

  primary = spawn(process.execPath, [path.join(__dirname, '..', 'test-apps', 'ledger-cluster-app.js')], {
    env: { ...process.env, WORKERS: String(WORKERS), LEDGER_TABLE, MERCHANT_TABLE, PAYCORE_SECRET, ECOMMPAY_SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise((resolve, reject) => {
    primary.once('exit', (code) => reject(new Error(`the cluster's primary exited (${code}) before listening`)));
    readline.createInterface({ input: primary.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
  primary.removeAllListeners('exit');
  url = `http://127.0.0.1:${ready.port}`;
});

after(async () => {
  if (primary && primary.exitCode === null) {
    const exited = new Promise((r) => primary.once('exit', r));
    primary.kill('SIGTERM');
    await exited;
  }
  await db?.end();
});

test(`${WORKERS} worker processes, ${ENTITIES} entities, shuffled repeated deliveries: each state once`, async () => {
  if (!process.env.DATABASE_URL) assert.fail(PG_MISSING);
  const rand = random(20261207);
  const base = 1_760_000_000;
  const entities = [];
  const deliveries = [];
  for (let i = 0; i < ENTITIES; i++) {
    const ecommpay = i % 4 === 3;
    const lifecycle = ecommpay ? ECOMMPAY_LIFECYCLES[(i >> 2) % ECOMMPAY_LIFECYCLES.length]
      : PAYCORE_LIFECYCLES[i % PAYCORE_LIFECYCLES.length];
    const entity = ecommpay
      ? { kind: 'ecommpay.payment', id: `order-workers-${i}`, lifecycle }
      : { kind: 'paycore.payment', id: `cpi_workers_${i}`, lifecycle };
    entities.push(entity);
    lifecycle.forEach((status, step) => {
      const time = base + i * 100 + step * 10;
      let request;
      if (ecommpay) {
        const { body } = testing.ecommpayCallback({
          secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: entity.id, status,
          extra: { payment: { id: entity.id, type: 'purchase', status, date: ecommpayDate(time), sum: { amount: 1000, currency: 'EUR' } } },
        });
        request = { path: '/ecommpay/callback', headers: { 'content-type': 'application/json' }, body };
      } else {
        const cb = testing.paycoreCallback({ secretKey: PAYCORE_SECRET, id: entity.id, status, attributes: { updated: time } });
        request = { path: '/paycore/callback', headers: cb.headers, body: cb.body };
      }
      const copies = 1 + Math.floor(rand() * 3); // at least once: sometimes twice or three times
      for (let c = 0; c < copies; c++) deliveries.push({ entity, status, request });
    });
  }
  shuffle(deliveries, rand);

  const counts = { apply: 0, duplicate: 0, stale: 0, 'handler failed': 0 };
  const workers = new Set();
  const notCommitted = [];
  let next = 0;
  const sender = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++];
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 60, `${delivery.entity.id} ${delivery.status} kept failing`);
        const res = await fetch(`${url}${delivery.request.path}`, {
          method: 'POST', headers: delivery.request.headers, body: delivery.request.body, signal: AbortSignal.timeout(30000),
        });
        await res.arrayBuffer();
        workers.add(res.headers.get('polypay-worker'));
        if (res.status === 200) {
          const verdict = res.headers.get('polypay-verdict');
          assert.ok(verdict in counts && verdict !== 'handler failed', `200 without a verdict: ${verdict}`);
          counts[verdict]++;
          if (verdict === 'apply') {
            // Answered after its row committed: the test's own connection sees it right away.
            const { rows } = await db.query(`SELECT 1 FROM ${MERCHANT_TABLE} WHERE kind = $1 AND entity_id = $2 AND status = $3`,
              [delivery.entity.kind, delivery.entity.id, delivery.status]);
            if (rows.length !== 1) notCommitted.push(`${delivery.entity.id} ${delivery.status}`);
          }
          break;
        }
        assert.equal(res.status, 500, `unexpected answer ${res.status}`);
        assert.equal(res.headers.get('polypay-failure'), 'handler', 'a failure other than the injected one');
        counts['handler failed']++;
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));

  assert.deepEqual(notCommitted, [], 'a 200 with verdict apply came before its row was visible');
  const { rows } = await db.query(`SELECT kind, entity_id, status FROM ${MERCHANT_TABLE} ORDER BY seq`);
  const { rows: ledgerRows } = await db.query(`SELECT kind, entity_id, status, time FROM ${LEDGER_TABLE}`);
  // No (kind, entity, status) written twice: every retry and repeat was absorbed.
  const seen = new Set();
  for (const r of rows) {
    const key = `${r.kind} ${r.entity_id} ${r.status}`;
    assert.ok(!seen.has(key), `${key} written twice`);
    seen.add(key);
  }
  assert.equal(rows.length, counts.apply, 'one merchant row per applied state');
  assert.equal(ledgerRows.length, ENTITIES);
  for (const entity of entities) {
    const row = ledgerRows.find((r) => r.kind === entity.kind && r.entity_id === entity.id);
    // Every entity ends in the last state of its lifecycle …
    assert.equal(row?.status, entity.lifecycle.at(-1), `${entity.kind} ${entity.id}`);
    assert.notEqual(row.time, null, `${entity.id}: no time`);
    // … and its rows, in commit order, follow its lifecycle.
    const states = rows.filter((r) => r.kind === entity.kind && r.entity_id === entity.id).map((r) => entity.lifecycle.indexOf(r.status));
    assert.ok(states.length > 0 && !states.includes(-1), `${entity.id}: ${states}`);
    for (let n = 1; n < states.length; n++) {
      assert.ok(states[n] > states[n - 1], `${entity.id} out of order: ${states.map((s) => entity.lifecycle[s]).join(' → ')}`);
    }
    assert.equal(entity.lifecycle[states.at(-1)], entity.lifecycle.at(-1));
  }
  assert.equal(counts.apply + counts.duplicate + counts.stale, deliveries.length);
  assert.ok(counts.duplicate > 0, 'no duplicate');
  assert.ok(counts.stale > 0, 'no stale delivery');
  assert.ok(counts['handler failed'] > 0, 'no handler failure');
  workers.delete(null);
  assert.equal(workers.size, WORKERS, `answers came from ${workers.size} worker processes`);

  const figures = {
    framework: 'express', engine: 'postgresql', workers: workers.size, entities: ENTITIES,
    deliveries: deliveries.length, apply: counts.apply, duplicate: counts.duplicate, stale: counts.stale,
    'handler failed': counts['handler failed'],
  };
  fs.mkdirSync(path.dirname(FIGURES), { recursive: true });
  fs.writeFileSync(FIGURES, `${JSON.stringify(figures, null, 1)}\n`);
  console.log(JSON.stringify(figures));
});
