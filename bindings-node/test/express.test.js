// polypay/express with a real Express app receiving the sandbox's signed callbacks.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');
const { startSandbox, clientOptions, uniqueRef } = require('./helpers');
const { PayCoreClient, ConfigurationError } = require('..');
const { paycoreCallback, ecommpayCallback, PARSED_BODY_MESSAGE } = require('../dist/express');
const testing = require('../dist/testing');

const ECOMMPAY_SECRET = 'ecommpay_test_secret';
let server;
let appUrl;
let sb;
let client;
const events = [];
const raws = [];
const ecommpayEvents = [];
const errors = [];

before(async () => {
  const app = express();
  const handler = async (event, req) => {
    events.push(event);
    raws.push({ body: Buffer.from(req.body ?? []), signature: req.headers['x-signature'] });
    await new Promise((r) => setTimeout(r, 1));
  };
  // Lazily read secret: the sandbox starts after the app (it needs the app's port).
  let secret = 'sk_test_sandbox';
  app.post('/paycore/callback', express.raw({ type: '*/*' }), (req, res, next) =>
    paycoreCallback({ secretKey: secret, handler })(req, res, next));
  app.post('/paycore/no-parser', paycoreCallback({ secretKey: secret, handler: (e) => { events.push(e); } }));
  app.post('/ecommpay/callback', express.raw({ type: '*/*' }), ecommpayCallback({ secretKey: ECOMMPAY_SECRET, handler: (cb) => { ecommpayEvents.push(cb); } }));
  app.use('/parsed', express.json());
  app.post('/parsed/callback', paycoreCallback({ secretKey: secret, handler: () => {} }));
  app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    errors.push(err);
    res.status(500).send(err.message);
  });
  server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  appUrl = `http://127.0.0.1:${server.address().port}`;
  sb = await startSandbox(['--callback-url', `${appUrl}/paycore/callback`, '--time-scale', '0.01']);
  secret = sb.config.paycore.secret_key_test;
  client = new PayCoreClient(clientOptions(sb));
});

after(async () => {
  await sb.stop();
  await new Promise((r) => server.close(r));
});

async function waitFor(predicate, ms = 10000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = predicate();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('timed out waiting');
}

test('a sandbox callback (good signature) reaches the handler, the sandbox gets 200', async () => {
  const inv = await client.createPaymentInvoice({
    service: 'test_usd_test', amount: '12.34', currency: 'USD', service_fields: { status: 'success' }, reference_id: uniqueRef(),
  });
  const event = await waitFor(() => events.find((e) => e.id === inv.id && e.status === 'processed'));
  assert.equal(event.type, 'payment-invoices');
  assert.equal(event.isSuccess, true);
  assert.equal(event.invoice.amount, '12.34');
});

test('the sandbox delivery log shows our 200', async () => {
  const inv = events.find((e) => e.status === 'processed');
  const log = await sb.admin('GET', `/__sandbox/callbacks?invoice_id=${inv.id}`);
  const text = JSON.stringify(log);
  assert.match(text, /200/);
});

test('a tampered callback (sandbox body with one byte changed) gets 400, handler not called', async () => {
  const original = raws.find((r) => r.signature);
  assert.ok(original, 'no sandbox callback recorded');
  const tampered = Buffer.from(original.body.toString('utf8').replace('12.34', '99.34'));
  const count = events.length;
  const res = await fetch(`${appUrl}/paycore/callback`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': original.signature }, body: tampered,
  });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid callback/);
  assert.equal(events.length, count);
  // The original bytes still verify.
  const ok = await fetch(`${appUrl}/paycore/callback`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': original.signature }, body: original.body,
  });
  assert.equal(ok.status, 200);
  const missing = await fetch(`${appUrl}/paycore/callback`, { method: 'POST', body: original.body });
  assert.equal(missing.status, 400);
});

test('without any body parser the middleware reads the raw stream itself', async () => {
  const cb = testing.paycoreCallback({ secretKey: sb.config.paycore.secret_key_test, status: 'process_pending', amount: '5.5' });
  const res = await fetch(`${appUrl}/paycore/no-parser`, { method: 'POST', headers: cb.headers, body: cb.body });
  assert.equal(res.status, 200);
  const event = events.find((e) => e.id === JSON.parse(cb.body).data.id);
  assert.equal(event.status, 'process_pending');
  assert.equal(event.isFinal, false);
});

test('the express.json() mistake: a sandbox callback to a parsed route fails with how to mount it', async () => {
  const before = errors.length;
  await client.createPaymentInvoice({
    service: 'test_usd_test', amount: '1', currency: 'USD', service_fields: { status: 'success' },
    reference_id: uniqueRef(), callback_url: `${appUrl}/parsed/callback`,
  });
  const err = await waitFor(() => errors[before]);
  assert.ok(err instanceof ConfigurationError);
  assert.equal(err.code, 'parsed_body');
  assert.equal(err.message, PARSED_BODY_MESSAGE);
  assert.match(err.message, /express\.raw\(\{ type: '\*\/\*' \}\)/);
  assert.match(err.message, /before express\.json\(\)/);
});

test('ecommpay callbacks: signed by polypay/testing, verified by the middleware; tampered → 400', async () => {
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: 'order-7', amount: 3550, currency: 'EUR' });
  const res = await fetch(`${appUrl}/ecommpay/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 200);
  const cb = ecommpayEvents.at(-1);
  assert.equal(cb.paymentId, 'order-7');
  assert.equal(cb.isSuccess, true);
  assert.deepEqual(cb.paymentSum, { amount: 3550, currency: 'EUR' });
  const bad = await fetch(`${appUrl}/ecommpay/callback`, { method: 'POST', body: body.replace('3550', '1') });
  assert.equal(bad.status, 400);
});

test('polypay/testing builders produce bodies the core verifies', () => {
  const { paycore, ecommpay } = require('..');
  const pc = testing.paycoreCallback({ secretKey: 'sk_test_abc', type: 'payout-invoices', status: 'canceled' });
  const event = paycore.verifyCallback(pc.body, pc.signature, 'sk_test_abc');
  assert.equal(event.type, 'payout-invoices');
  assert.equal(event.isFinal, true);
  assert.equal(pc.headers['x-signature'], pc.signature);
  const signed = testing.signPaycoreBody('{"data":{}}', 'sk_test_abc');
  assert.equal(signed.signature, paycore.signCallback('{"data":{}}', 'sk_test_abc'));
  const ec = testing.ecommpayCallback({ secretKey: 's3', projectId: 1, status: 'decline' });
  const cb = ecommpay.verifyCallback(ec.body, 's3');
  assert.equal(cb.paymentStatus, 'decline');
  assert.equal(cb.isSuccess, false);
});
