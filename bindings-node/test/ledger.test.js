// polypay/ledger: exactly-once callbacks. MemoryLedger in process; PostgresLedger against a real
// PostgreSQL (tests/postgres/with-postgres gives DATABASE_URL) with concurrent, duplicated,
// reordered deliveries through separate pools; the Express middleware with a ledger over HTTP.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');
const pg = require('pg');
const { InvalidInputError } = require('..');
const { decide, MemoryLedger, PostgresLedger, LEDGER_TABLE, LEDGER_TABLE_SQL } = require('../dist/ledger');
const { paycoreCallback, ecommpayCallback } = require('../dist/express');
const testing = require('../dist/testing');
const { random, shuffle } = require('./helpers');

const PG_MISSING = 'DATABASE_URL is not set: the PostgreSQL ledger tests need a database. Run them under ' +
  'tests/postgres/with-postgres (repository root), e.g. `../tests/postgres/with-postgres node --test test/` ' +
  'in bindings-node, or `make test-node`, which starts a throwaway PostgreSQL itself.';

class InjectedFailure extends Error {}

const payment = (entityId, status, time = null) => ({ kind: 'paycore.payment', entityId, status, time });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------- decide

test('decide: the core\'s rule, bad parts refused with typed errors', () => {
  assert.equal(decide(payment('cpi_1', 'processed', 10)), 'apply');
  assert.equal(decide(payment('cpi_1', 'processed', 10), null), 'apply');
  assert.equal(decide(payment('cpi_1', 'processed', 10), { status: 'processed', time: 10 }), 'duplicate');
  assert.equal(decide(payment('cpi_1', 'SUCCESSFUL', 10), { status: 'processed' }), 'duplicate');
  assert.equal(decide(payment('cpi_1', 'processed', 50), { status: 'refunded', time: 20 }), 'stale');
  assert.equal(decide(payment('cpi_1', 'refunded', 10), { status: 'processed', time: 10 }), 'apply');
  assert.throws(() => decide({ kind: 'paycore', entityId: 'x', status: 'processed' }),
    (e) => e instanceof InvalidInputError && e.code === 'unknown_kind' && e.argument === 'event.kind' &&
      /paycore\.payment/.test(e.message));
  assert.throws(() => decide(payment(' ', 'processed')),
    (e) => e instanceof InvalidInputError && e.code === 'missing' && e.argument === 'event.entityId');
  assert.throws(() => decide(payment('cpi_1', '')),
    (e) => e instanceof InvalidInputError && e.argument === 'event.status');
  assert.throws(() => decide(null), TypeError);
  assert.throws(() => decide({ ...payment('cpi_1', 'processed'), time: 1.5 }), TypeError);
  assert.throws(() => decide(payment('cpi_1', 'processed'), { status: 7 }), /last\.status/);
});

// --------------------------------------------------------------------------------- MemoryLedger

describe('MemoryLedger', () => {
  test('a duplicate does not run the handler again', async () => {
    const ledger = new MemoryLedger();
    const calls = [];
    const handler = () => { calls.push(1); return 'done'; };
    assert.deepEqual(await ledger.apply(payment('cpi_d', 'processed', 100), handler), { verdict: 'apply', result: 'done' });
    assert.deepEqual(await ledger.apply(payment('cpi_d', 'processed', 100), handler), { verdict: 'duplicate' });
    // Redelivered with a moved `updated`: still the same state.
    assert.deepEqual(await ledger.apply(payment('cpi_d', 'processed', 160), handler), { verdict: 'duplicate' });
    assert.equal(calls.length, 1);
    assert.deepEqual(ledger.get('paycore.payment', 'cpi_d'), { status: 'processed', time: 100 });
  });

  test('an old state replayed after refunded is stale', async () => {
    const ledger = new MemoryLedger();
    const applied = [];
    const handler = (tx) => { assert.equal(tx, undefined); applied.push(1); };
    for (const [status, time] of [['processed', 10], ['refunded', 20]]) {
      assert.equal((await ledger.apply(payment('cpi_s', status, time), handler)).verdict, 'apply');
    }
    for (const [status, time] of [['processed', 10], ['created', 5], ['processed', 99]]) {
      assert.equal((await ledger.apply(payment('cpi_s', status, time), handler)).verdict, 'stale', status);
    }
    assert.equal(applied.length, 2);
    assert.deepEqual(ledger.get('paycore.payment', 'cpi_s'), { status: 'refunded', time: 20 });
  });

  test('a failing handler records nothing; the redelivery applies', async () => {
    const ledger = new MemoryLedger();
    const failure = new InjectedFailure('db down');
    await assert.rejects(ledger.apply(payment('cpi_f', 'processed', 1), async () => { await sleep(1); throw failure; }),
      (e) => e === failure);
    await assert.rejects(ledger.apply(payment('cpi_f', 'processed', 1), () => { throw failure; }), (e) => e === failure);
    assert.equal(ledger.get('paycore.payment', 'cpi_f'), undefined);
    assert.deepEqual(await ledger.apply(payment('cpi_f', 'processed', 1), () => 7), { verdict: 'apply', result: 7 });
    assert.equal((await ledger.apply(payment('cpi_f', 'processed', 1), () => 8)).verdict, 'duplicate');
  });

  test('concurrent deliveries of one entity run one at a time and apply once', async () => {
    const ledger = new MemoryLedger();
    let running = 0;
    let most = 0;
    let applied = 0;
    const handler = async () => {
      running++;
      most = Math.max(most, running);
      await sleep(2);
      applied++;
      running--;
    };
    const verdicts = await Promise.all(Array.from({ length: 25 }, () =>
      ledger.apply(payment('cpi_c', 'processed', 5), handler).then((o) => o.verdict)));
    assert.equal(applied, 1);
    assert.equal(most, 1);
    assert.deepEqual(verdicts.filter((v) => v === 'apply'), ['apply']);
    // Other entities are not held up by one entity's queue.
    let other = false;
    const slow = ledger.apply(payment('cpi_slow', 'processed'), () => sleep(200));
    await ledger.apply(payment('cpi_fast', 'processed'), () => { other = true; });
    assert.equal(other, true);
    await slow;
  });

  test('bad input is refused before anything runs', async () => {
    const ledger = new MemoryLedger();
    await assert.rejects(ledger.apply(payment('cpi_x', 'processed'), 'not a function'), TypeError);
    await assert.rejects(ledger.apply({ kind: 'nope', entityId: 'x', status: 'processed' }, () => {}), InvalidInputError);
    // A refused event leaves no lock behind.
    assert.equal((await ledger.apply(payment('cpi_x', 'processed'), () => {})).verdict, 'apply');
  });
});

test('PostgresLedger checks its pool and table name without touching a database', () => {
  const pool = { connect: async () => { throw new Error('not used'); } };
  assert.equal(new PostgresLedger(pool).table, LEDGER_TABLE);
  assert.equal(new PostgresLedger(pool, { table: 'billing.callback_ledger' }).table, 'billing.callback_ledger');
  for (const table of ['', 'a b', 'x; DROP TABLE orders', '"quoted"', '1abc', 'a.b.c', 'x'.repeat(64)]) {
    assert.throws(() => new PostgresLedger(pool, { table }), RangeError, table);
  }
  assert.throws(() => new PostgresLedger(pool, { table: 5 }), TypeError);
  assert.throws(() => new PostgresLedger({}), TypeError);
  assert.match(LEDGER_TABLE_SQL, /^CREATE TABLE IF NOT EXISTS polypay_callback_ledger \(/);
  assert.match(LEDGER_TABLE_SQL, /PRIMARY KEY \(kind, entity_id\)/);
});

// ------------------------------------------------------------------------------ PostgresLedger

describe('PostgresLedger (real PostgreSQL)', () => {
  const TABLE = 'polypay_ledger_node_test';
  const EVENTS = 'ledger_node_test_events';
  const pools = [];

  before(async () => {
    if (!process.env.DATABASE_URL) return;
    // Separate pools, as separate worker processes would have.
    for (let i = 0; i < 4; i++) {
      const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
      pool.on('error', () => {}); // an idle client's dropped connection (node-postgres asks apps to listen)
      pools.push(pool);
    }
    await pools[0].query(`DROP TABLE IF EXISTS ${TABLE}, ${EVENTS}, ${LEDGER_TABLE}`);
    await pools[0].query(`CREATE TABLE ${EVENTS} (seq bigserial PRIMARY KEY, invoice_id text NOT NULL,
      status text NOT NULL, doomed boolean NOT NULL)`);
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
  });

  const requireDatabase = () => { if (!process.env.DATABASE_URL) assert.fail(PG_MISSING); };

  test('ensureSchema creates the documented table', async () => {
    requireDatabase();
    const ledger = new PostgresLedger(pools[0]);
    await ledger.ensureSchema();
    await ledger.ensureSchema(); // idempotent
    const { rows } = await pools[0].query(`SELECT column_name, data_type, character_maximum_length AS len, is_nullable
      FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [LEDGER_TABLE]);
    assert.deepEqual(rows.map((r) => [r.column_name, r.data_type, r.len, r.is_nullable]), [
      ['kind', 'character varying', 32, 'NO'],
      ['entity_id', 'character varying', 255, 'NO'],
      ['status', 'character varying', 64, 'YES'],
      ['time', 'bigint', null, 'YES'],
      ['applied_at', 'timestamp with time zone', null, 'YES'],
    ]);
    const e = payment('cpi_schema', 'processed', 1_700_000_000);
    assert.equal((await ledger.apply(e, () => {})).verdict, 'apply');
    assert.deepEqual(await ledger.get('paycore.payment', 'cpi_schema'), { status: 'processed', time: 1_700_000_000 });
    assert.equal((await ledger.apply(e, () => assert.fail('ran twice'))).verdict, 'duplicate');
  });

  test('200 concurrent, duplicated, reordered deliveries through 4 pools: each state change once', async () => {
    requireDatabase();
    const ledgers = pools.map((pool) => new PostgresLedger(pool, { table: TABLE }));
    await ledgers[0].ensureSchema();
    const rand = random(20261207);
    const RANK = { created: 0, process_pending: 1, processed: 2, process_failed: 2, refund_pending: 3, refunded: 4 };
    const LIFECYCLES = [
      ['created', 'process_pending', 'processed'],
      ['created', 'process_pending', 'processed', 'refund_pending', 'refunded'],
      ['created', 'process_failed'],
    ];
    const base = 1_700_000_000;
    const invoices = [];
    const deliveries = [];
    for (let i = 0; i < 40; i++) {
      const id = `cpi_load_${i}`;
      const lifecycle = LIFECYCLES[i % LIFECYCLES.length];
      invoices.push({ id, last: lifecycle.at(-1) });
      lifecycle.forEach((status, n) => {
        // Fast transitions share a second, as callbacks' `updated` often does.
        const time = base + i * 100 + Math.floor(n / 2);
        const copies = 1 + Math.floor(rand() * 3); // at least once: sometimes twice or three times
        for (let c = 0; c < copies; c++) deliveries.push(payment(id, status, time));
      });
    }
    while (deliveries.length < 200) {
      deliveries.push({ ...deliveries[Math.floor(rand() * deliveries.length)] });
    }
    shuffle(deliveries, rand);
    assert.ok(deliveries.length >= 200);

    let failures = 0;
    const outcomes = [];
    // Each delivery is retried until it gets its 200, as a gateway does; every attempt goes to
    // a random "process", and about one handler in five fails after writing.
    await Promise.all(deliveries.map(async (event) => {
      for (let attempt = 0; ; attempt++) {
        const ledger = ledgers[Math.floor(rand() * ledgers.length)];
        const doomed = rand() < 0.2;
        try {
          const outcome = await ledger.apply(event, async (client) => {
            await client.query(`INSERT INTO ${EVENTS} (invoice_id, status, doomed) VALUES ($1, $2, $3)`,
              [event.entityId, event.status, doomed]);
            await sleep(Math.floor(rand() * 3));
            if (doomed) throw new InjectedFailure(`injected failure for ${event.entityId} ${event.status}`);
            return event.status;
          });
          outcomes.push({ event, ...outcome });
          return;
        } catch (error) {
          if (!(error instanceof InjectedFailure)) throw error;
          failures++;
          assert.ok(attempt < 50, 'a delivery kept failing');
          await sleep(Math.floor(rand() * 5));
        }
      }
    }));
    assert.ok(failures > 10, `only ${failures} injected failures`);
    assert.equal(outcomes.length, deliveries.length);

    const { rows: ledgerRows } = await pools[1].query(`SELECT entity_id, status, time FROM ${TABLE} WHERE kind = 'paycore.payment'`);
    const { rows: events } = await pools[2].query(`SELECT invoice_id, status, doomed FROM ${EVENTS} ORDER BY seq`);
    const applies = outcomes.filter((o) => o.verdict === 'apply');
    // Failed handlers left nothing: no row of a doomed attempt, no ledger record of it.
    assert.equal(events.filter((e) => e.doomed).length, 0);
    // Exactly one merchant row per applied state change.
    assert.equal(events.length, applies.length);
    const seen = new Set();
    for (const e of events) {
      const k = `${e.invoice_id} ${e.status}`;
      assert.ok(!seen.has(k), `${k} applied twice`);
      seen.add(k);
    }
    for (const invoice of invoices) {
      // Every entity ends in its last lifecycle state …
      const row = ledgerRows.find((r) => r.entity_id === invoice.id);
      assert.equal(row?.status, invoice.last, invoice.id);
      assert.equal(typeof (await ledgers[3].get('paycore.payment', invoice.id)).time, 'number');
      // … and its applied states, in commit order, never went back.
      const states = events.filter((e) => e.invoice_id === invoice.id).map((e) => e.status);
      assert.equal(states.at(-1), invoice.last, invoice.id);
      for (let n = 1; n < states.length; n++) {
        assert.ok(RANK[states[n]] > RANK[states[n - 1]], `${invoice.id} regressed: ${states.join(' → ')}`);
      }
    }
    assert.equal(ledgerRows.length, invoices.length);
    assert.ok(outcomes.some((o) => o.verdict === 'duplicate') && outcomes.some((o) => o.verdict === 'stale'));
  });

  test('a broken connection is released as broken, and the error propagates', async () => {
    requireDatabase();
    const released = [];
    const real = pools[0];
    const pool = {
      async connect() {
        const client = await real.connect();
        return {
          query: (text, values) => client.query(text, values),
          on: (event, listener) => client.on(event, listener),
          off: (event, listener) => client.off(event, listener),
          release: (error) => { released.push(error); client.release(error ?? false); },
        };
      },
    };
    const ledger = new PostgresLedger(pool, { table: TABLE });
    // The handler kills its own session: ROLLBACK then fails, so the client must not be reused.
    await assert.rejects(ledger.apply(payment('cpi_broken', 'processed', 1), async (client) => {
      await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
    }));
    assert.equal(released.length, 1);
    assert.ok(released[0] instanceof Error, 'released without the error');
    assert.equal(await new PostgresLedger(real, { table: TABLE }).get('paycore.payment', 'cpi_broken'), undefined);
  });
});

// ------------------------------------------------------------------------- Express with a ledger

describe('Express middleware with a ledger, over HTTP', () => {
  const SECRET = 'sk_test_ledger_express';
  const ECOMMPAY_SECRET = 'ecommpay_ledger_secret';
  const ledger = new MemoryLedger();
  const handled = []; // [id, status, tx] per handler call
  const verdicts = new Map(); // request tag -> req.polypayVerdict at the response
  const errors = [];
  let failNext = false;
  let server;
  let url;

  before(async () => {
    const app = express();
    // Records what the middleware decided, once the response is done.
    const watch = (req, res, next) => {
      res.on('finish', () => verdicts.set(req.headers['x-tag'], req.polypayVerdict ?? null));
      next();
    };
    app.post('/paycore', watch, express.raw({ type: '*/*' }), paycoreCallback({
      secretKey: SECRET,
      ledger,
      handler: async (event, req, res, tx) => {
        handled.push([event.id, event.status, tx]);
        await sleep(1);
        if (failNext) {
          failNext = false;
          throw new InjectedFailure('db down');
        }
      },
    }));
    app.post('/ecommpay', watch, ecommpayCallback({
      secretKey: ECOMMPAY_SECRET,
      ledger,
      handler: (cb) => { handled.push([cb.paymentId, cb.paymentStatus]); },
    }));
    app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
      errors.push(err);
      res.status(500).send('error');
    });
    server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
    url = `http://127.0.0.1:${server.address().port}`;
  });

  after(async () => {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  });

  const signed = (id, status, updated) =>
    testing.paycoreCallback({ secretKey: SECRET, id, status, attributes: { updated } });
  const send = (cb, tag, path = '/paycore') => fetch(`${url}${path}`, {
    method: 'POST', headers: { ...cb.headers, 'x-tag': tag }, body: cb.body, signal: AbortSignal.timeout(10000),
  });
  const calls = (id) => handled.filter(([h]) => h === id);

  test('the same signed callback twice: handler once, both 200', async () => {
    const cb = signed('cpi_http_dup', 'processed', 1_700_000_100);
    const first = await send(cb, 'dup-1');
    assert.equal(first.status, 200);
    const second = await send(cb, 'dup-2');
    assert.equal(second.status, 200);
    assert.deepEqual(calls('cpi_http_dup').map(([, s]) => s), ['processed']);
    assert.equal(verdicts.get('dup-1'), 'apply');
    assert.equal(verdicts.get('dup-2'), 'duplicate');
    // Concurrent copies too.
    const burst = signed('cpi_http_burst', 'processed', 1_700_000_100);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send(burst, `burst-${i}`)));
    assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
    assert.equal(calls('cpi_http_burst').length, 1);
  });

  test('an old status after a final one: 200, handler not called', async () => {
    const id = 'cpi_http_stale';
    assert.equal((await send(signed(id, 'refunded', 1_700_000_300), 'stale-final')).status, 200);
    const old = await send(signed(id, 'processed', 1_700_000_200), 'stale-old');
    assert.equal(old.status, 200);
    assert.equal(verdicts.get('stale-old'), 'stale');
    assert.deepEqual(calls(id).map(([, s]) => s), ['refunded']);
    assert.deepEqual(ledger.get('paycore.payment', id), { status: 'refunded', time: 1_700_000_300 });
  });

  test('a handler that throws: 500, the ledger unchanged; the redelivery applies', async () => {
    const id = 'cpi_http_fail';
    const cb = signed(id, 'processed', 1_700_000_400);
    failNext = true;
    const before = errors.length;
    const failed = await send(cb, 'fail-1');
    assert.equal(failed.status, 500);
    assert.ok(errors[before] instanceof InjectedFailure);
    assert.equal(ledger.get('paycore.payment', id), undefined);
    const retried = await send(cb, 'fail-2');
    assert.equal(retried.status, 200);
    assert.equal(verdicts.get('fail-2'), 'apply');
    assert.equal(calls(id).length, 2);
    assert.deepEqual(ledger.get('paycore.payment', id), { status: 'processed', time: 1_700_000_400 });
  });

  test('an event the ledger cannot place calls the handler directly; ecommpay goes through the ledger', async () => {
    // A resource type this version does not model: no ledger event, handled every time.
    const body = JSON.stringify({ data: { type: 'disputes', id: 'dsp_1', attributes: { status: 'opened' } } });
    const other = testing.signPaycoreBody(body, SECRET);
    for (const tag of ['other-1', 'other-2']) assert.equal((await send(other, tag)).status, 200);
    assert.equal(calls('dsp_1').length, 2);
    assert.equal(calls('dsp_1')[0][2], undefined);
    assert.equal(verdicts.get('other-2'), null);

    const ec = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: 'order-ledger-1' });
    for (const tag of ['ec-1', 'ec-2']) assert.equal((await send({ headers: {}, body: ec.body }, tag, '/ecommpay')).status, 200);
    assert.equal(calls('order-ledger-1').length, 1);
    assert.equal(verdicts.get('ec-2'), 'duplicate');
    assert.equal(ledger.get('ecommpay.payment', 'order-ledger-1').status, 'success');
  });

  test('options.ledger is checked', () => {
    assert.throws(() => paycoreCallback({ secretKey: 's', handler() {}, ledger: {} }), /options\.ledger/);
    assert.throws(() => ecommpayCallback({ secretKey: 's', handler() {}, ledger: null }), /options\.ledger/);
  });
});

test("the README's exactly-once app runs as written, on PostgreSQL", async () => {
  if (!process.env.DATABASE_URL) assert.fail(PG_MISSING);
  const fs = require('node:fs');
  const path = require('node:path');
  const os = require('node:os');
  const { spawn } = require('node:child_process');
  // The program after `<!-- sample: file ledger-app.js -->`, as the samples runner writes it.
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Exactly once: `polypay/ledger`'));
  const sample = /<!-- sample: file ledger-app\.js -->\n```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(sample, 'README.md: no ```js block after <!-- sample: file ledger-app.js --> in the ledger section');
  // A directory of its own, where `require('polypay/…')` resolves to this package, as for a shop
  // that installed it (NODE_PATH, as tests/samples/run_samples.py sets it).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polypay-readme-ledger-'));
  fs.mkdirSync(path.join(dir, 'node_path'));
  fs.symlinkSync(path.join(__dirname, '..'), path.join(dir, 'node_path', 'polypay'), 'dir');
  fs.writeFileSync(path.join(dir, 'ledger-app.js'), sample);

  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
  const invoice = `cpi_readme_${Date.now()}`;
  const secretKey = 'sk_test_readme';
  await pool.query('CREATE TABLE IF NOT EXISTS orders (invoice_id text PRIMARY KEY, status text)');
  await pool.query("INSERT INTO orders VALUES ($1, 'pending')", [invoice]);
  const app = spawn(process.execPath, ['ledger-app.js'], {
    cwd: dir,
    env: {
      ...process.env, // DATABASE_URL and PG* of tests/postgres/with-postgres
      PORT: '0',
      POLYPAY_SECRET_KEY: secretKey,
      NODE_PATH: [path.join(dir, 'node_path'), path.join(__dirname, '..', 'node_modules')].join(path.delimiter),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  app.stdout.on('data', (chunk) => { output += chunk; });
  app.stderr.on('data', (chunk) => { output += chunk; });
  let ended = null;
  const exited = new Promise((resolve) => app.once('exit', (code, signal) => { ended = code ?? signal; resolve(); }));
  try {
    let base;
    for (const deadline = Date.now() + 20_000; !base; await sleep(20)) {
      base = /^listening on (http:\/\/\S+)$/m.exec(output)?.[1];
      if (!base && ended !== null) assert.fail(`ledger-app.js ended (${ended}) before listening:\n${output}`);
      if (!base && Date.now() > deadline) assert.fail(`ledger-app.js did not listen within 20 s:\n${output}`);
    }
    const post = async (status, updated) => {
      const { body, headers } = testing.paycoreCallback({ secretKey, id: invoice, status, attributes: { updated } });
      const res = await fetch(`${base}/paycore/callback`, { method: 'POST', headers, body, signal: AbortSignal.timeout(10000) });
      return [res.status, res.headers.get('polypay-verdict')];
    };
    assert.deepEqual(await post('processed', 100), [200, 'apply']);
    assert.deepEqual(await post('processed', 100), [200, 'duplicate']);
    assert.deepEqual(await post('created', 90), [200, 'stale']);
    // The handler's write went through the ledger's transaction, into the app's table.
    const { rows } = await pool.query('SELECT status FROM orders WHERE invoice_id = $1', [invoice]);
    assert.equal(rows[0].status, 'processed');
    assert.deepEqual(await new PostgresLedger(pool).get('paycore.payment', invoice), { status: 'processed', time: 100 });
    assert.equal(output.split('\n').filter((line) => line.startsWith(`order ${invoice} `)).length, 1, output);
  } finally {
    app.kill();
    await exited;
    await pool.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
