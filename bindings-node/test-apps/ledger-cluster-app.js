// The app of ledger-workers.test.js: an Express shop whose callback routes use polypay/express
// with a PostgresLedger, in WORKERS processes (node:cluster) sharing one port. The primary only
// forks (and prints the port once every worker listens); each worker has its own pg pool.
//
// The handler writes a row into the merchant table through the ledger's client, then fails one
// time in five (after writing): the ledger must roll that row back, and the retry must apply it.
'use strict';
if (!process.env.LEDGER_TABLE || !process.env.MERCHANT_TABLE) {
  console.error('ledger-cluster-app: run by test/ledger-workers.test.js, which sets LEDGER_TABLE and MERCHANT_TABLE');
  process.exit(2);
}

const cluster = require('node:cluster');

const WORKERS = Number(process.env.WORKERS || 4);
const { LEDGER_TABLE, MERCHANT_TABLE, PAYCORE_SECRET, ECOMMPAY_SECRET } = process.env;

class InjectedFailure extends Error {}

if (cluster.isPrimary) {
  let listening = 0;
  let port;
  let stopping = false;
  cluster.on('listening', (worker, address) => {
    port = address.port;
    if (++listening === WORKERS) process.stdout.write(`${JSON.stringify({ port, workers: WORKERS, primary: process.pid })}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      console.error(`worker ${worker.process.pid} exited (${code ?? signal})`);
      process.exit(1);
    }
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.kill();
    setTimeout(() => process.exit(0), 2000).unref();
    cluster.disconnect(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < WORKERS; i++) cluster.fork();
} else {
  const express = require('express');
  const pg = require('pg');
  const { paycoreCallback, ecommpayCallback } = require('../dist/express');
  const { PostgresLedger } = require('../dist/ledger');

  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5 });
  pool.on('error', () => {});
  const ledger = new PostgresLedger(pool, { table: LEDGER_TABLE });

  // Writes the merchant's row in the ledger's transaction, then fails one time in five.
  const handler = async (event, req, res, client) => {
    const { kind, entityId, status } = event.ledgerEvent;
    await client.query(`INSERT INTO ${MERCHANT_TABLE} (kind, entity_id, status, worker) VALUES ($1, $2, $3, $4)`,
      [kind, entityId, status, process.pid]);
    if (Math.random() < 0.2) throw new InjectedFailure(`injected failure for ${kind} ${entityId} ${status}`);
  };

  const app = express();
  app.use((req, res, next) => { res.setHeader('Polypay-Worker', String(process.pid)); next(); });
  // When the gateway is the sandbox, the test cannot see the answers: absorbed deliveries are
  // counted in a table instead (after the answer; the test waits for them).
  if (process.env.ABSORBED_TABLE) {
    app.use((req, res, next) => {
      res.on('finish', () => {
        const verdict = res.getHeader('Polypay-Verdict');
        if (verdict === 'duplicate' || verdict === 'stale') {
          pool.query(`INSERT INTO ${process.env.ABSORBED_TABLE} (verdict) VALUES ($1)`, [verdict]).catch(console.error);
        }
      });
      next();
    });
  }
  app.post('/paycore/callback', express.raw({ type: '*/*' }), paycoreCallback({ secretKey: PAYCORE_SECRET, ledger, handler }));
  app.post('/ecommpay/callback', express.raw({ type: '*/*' }), ecommpayCallback({ secretKey: ECOMMPAY_SECRET, ledger, handler }));
  app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    res.setHeader('Polypay-Failure', err instanceof InjectedFailure ? 'handler' : 'other');
    if (!(err instanceof InjectedFailure)) console.error(err);
    res.status(500).send('error');
  });
  app.listen(0, '127.0.0.1');
  process.on('disconnect', () => { pool.end().finally(() => process.exit(0)); });
}
