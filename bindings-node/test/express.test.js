// polypay/express with a real Express app receiving the sandbox's signed callbacks.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
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
// Routes whose handler fails or waits (signed with polypay/testing, no sandbox needed).
const HANDLER_SECRET = 'sk_test_express_handlers';
const pending = new Map(); // invoice id -> { release, fail } of a handler awaiting the test
const completed = []; // invoice ids whose async handler ran to its end
const finishedAfterHandler = new Map(); // invoice id -> handler had completed when the response finished
const calls = []; // every handler invocation (invoice id)
let plainAppUrl; // an Express app without an error middleware (Express's own final handler)
let plainServer;
let bareUrl; // a bare node:http server: no `next`
let bareServer;
const unhandled = [];
process.on('unhandledRejection', (reason) => { unhandled.push(reason); });
const limitEvents = []; // ids seen by the /limits/* handlers

class DatabaseError extends Error {}

function waitingHandler(event) {
  calls.push(event.id);
  return new Promise((resolve, reject) => {
    pending.set(event.id, { release: resolve, fail: reject });
  }).then(() => { completed.push(event.id); });
}

function watchFinish(req, res, next) {
  res.on('finish', () => {
    const id = req.polypayEvent?.id;
    if (id) finishedAfterHandler.set(id, completed.includes(id));
  });
  next();
}

async function listen(app) {
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

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
  app.post('/handlers/waiting', watchFinish, express.raw({ type: '*/*' }),
    paycoreCallback({ secretKey: HANDLER_SECRET, handler: waitingHandler }));
  app.post('/handlers/sync-throws', paycoreCallback({
    secretKey: HANDLER_SECRET,
    handler: (e) => { calls.push(e.id); throw new DatabaseError(`sync failure for ${e.id}`); },
  }));
  app.post('/handlers/ecommpay-rejects', express.raw({ type: '*/*' }), ecommpayCallback({
    secretKey: ECOMMPAY_SECRET,
    handler: async (cb) => { calls.push(cb.paymentId); await new Promise((r) => setTimeout(r, 5)); throw new DatabaseError('db down'); },
  }));
  // A rejection Express would read as "carry on" ('route' skips to the next route, which would
  // answer 200): the middleware must still report an error.
  app.post('/handlers/odd-rejection', paycoreCallback({
    secretKey: HANDLER_SECRET,
    handler: async (e) => { calls.push(e.id); throw e.invoice.referenceId === 'undefined' ? undefined : 'route'; },
  }));
  app.post('/handlers/odd-rejection', (req, res) => res.status(200).send('fell through'));
  // Body limits and verification off the main thread.
  const limitHandler = (e) => { limitEvents.push(e.id ?? e.paymentId); };
  app.post('/limits/paycore', paycoreCallback({ secretKey: HANDLER_SECRET, handler: limitHandler }));
  app.post('/limits/paycore-raw', express.raw({ type: '*/*', limit: '10mb' }), paycoreCallback({ secretKey: HANDLER_SECRET, handler: limitHandler }));
  app.post('/limits/paycore-3mb', paycoreCallback({ secretKey: HANDLER_SECRET, limit: '3mb', handler: limitHandler }));
  app.post('/limits/ecommpay', ecommpayCallback({ secretKey: ECOMMPAY_SECRET, handler: limitHandler }));
  app.post('/limits/ecommpay-async', ecommpayCallback({ secretKey: ECOMMPAY_SECRET, asyncThreshold: 0, handler: limitHandler }));
  app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    errors.push(err);
    res.status(500).send(err.message);
  });
  ({ server, url: appUrl } = await listen(app));

  // No error middleware: Express's final handler turns next(err) into the response.
  const plain = express();
  plain.set('env', 'production'); // Express's final handler then answers without the stack
  plain.post('/paycore', paycoreCallback({ secretKey: HANDLER_SECRET, handler: waitingHandler }));
  plain.post('/ecommpay', ecommpayCallback({
    secretKey: ECOMMPAY_SECRET, handler: async () => { throw new DatabaseError('db down'); },
  }));
  ({ server: plainServer, url: plainAppUrl } = await listen(plain));

  // A bare node:http server calls the middleware without `next`.
  const bareMiddleware = paycoreCallback({ secretKey: HANDLER_SECRET, handler: waitingHandler });
  bareServer = http.createServer((req, res) => bareMiddleware(req, res));
  await new Promise((resolve) => bareServer.listen(0, '127.0.0.1', resolve));
  bareUrl = `http://127.0.0.1:${bareServer.address().port}`;
  sb = await startSandbox(['--callback-url', `${appUrl}/paycore/callback`, '--time-scale', '0.01']);
  secret = sb.config.paycore.secret_key_test;
  client = new PayCoreClient(clientOptions(sb));
});

after(async () => {
  await sb.stop();
  for (const s of [server, plainServer, bareServer]) {
    s.closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function waitFor(predicate, ms = 10000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await predicate();
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
  assert.equal(event.eventType, 'payment-invoices');
  assert.equal(event.isSuccess, true);
  assert.equal(event.invoice.amount, '12.34');
});

test('the sandbox delivery log shows our 200', async () => {
  const inv = events.find((e) => e.status === 'processed');
  // Our handler ran before the sandbox had our answer to log: wait for the log.
  const delivered = await waitFor(async () => {
    const log = await sb.admin('GET', `/__sandbox/callbacks?invoice_id=${inv.id}`);
    return log.data.find((d) => d.transaction_status === 'processed' && d.response_code === 200);
  });
  assert.equal(delivered.delivered, true);
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
  assert.equal(event.eventType, 'payout-invoices');
  assert.equal(event.isFinal, true);
  assert.equal(pc.headers['x-signature'], pc.signature);
  const signed = testing.signPaycoreBody('{"data":{}}', 'sk_test_abc');
  assert.equal(signed.signature, paycore.signCallback('{"data":{}}', 'sk_test_abc'));
  const ec = testing.ecommpayCallback({ secretKey: 's3', projectId: 1, status: 'decline' });
  const cb = ecommpay.verifyCallback(ec.body, 's3');
  assert.equal(cb.paymentStatus, 'decline');
  assert.equal(cb.isSuccess, false);
});

// --- handler outcomes: 200 only after the handler settled, errors never acknowledged ------------

function signed(options = {}) {
  return testing.paycoreCallback({ secretKey: HANDLER_SECRET, status: 'processed', amount: '7.00', ...options });
}

// A request the middleware never answers fails the test (after 10 s) instead of hanging it.
function post(url, cb) {
  return fetch(url, { method: 'POST', headers: cb.headers, body: cb.body, signal: AbortSignal.timeout(10000) });
}

// Resolves with 'pending' when `promise` has not settled within `ms`.
function within(promise, ms) {
  return Promise.race([promise.then(() => 'settled', () => 'settled'), new Promise((r) => setTimeout(() => r('pending'), ms))]);
}

test('an async handler that resolves: 200 only after its promise resolved, called once', async () => {
  const cb = signed();
  const id = JSON.parse(cb.body).data.id;
  const response = post(`${appUrl}/handlers/waiting`, cb);
  const waiting = await waitFor(() => pending.get(id));
  assert.equal(await within(response, 200), 'pending', 'answered before the handler resolved');
  waiting.release();
  const res = await response;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'OK');
  assert.deepEqual(calls.filter((c) => c === id), [id]);
  assert.ok(completed.includes(id));
  assert.equal(finishedAfterHandler.get(id), true, 'the response finished before the handler completed');
});

test('an async handler that rejects: next(err) with its error, Express answers 500', async () => {
  const cb = signed();
  const id = JSON.parse(cb.body).data.id;
  const before = errors.length;
  const response = post(`${appUrl}/handlers/waiting`, cb);
  const waiting = await waitFor(() => pending.get(id));
  assert.equal(await within(response, 100), 'pending');
  const failure = new DatabaseError('db down');
  waiting.fail(failure);
  const res = await response;
  assert.equal(res.status, 500);
  assert.equal(errors.length, before + 1);
  assert.equal(errors[before], failure, 'next() did not receive the handler\'s own error');
  assert.ok(!completed.includes(id));
});

test('a sync handler that throws: next(err), 500', async () => {
  const cb = signed();
  const id = JSON.parse(cb.body).data.id;
  const before = errors.length;
  const res = await post(`${appUrl}/handlers/sync-throws`, cb);
  assert.equal(res.status, 500);
  assert.equal(await res.text(), `sync failure for ${id}`);
  assert.ok(errors[before] instanceof DatabaseError);
  assert.deepEqual(calls.filter((c) => c === id), [id]);
});

test('an async ecommpay handler that rejects: 500', async () => {
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: 'order-rejects' });
  const before = errors.length;
  const res = await fetch(`${appUrl}/handlers/ecommpay-rejects`, { method: 'POST', body, signal: AbortSignal.timeout(10000) });
  assert.equal(res.status, 500);
  assert.ok(errors[before] instanceof DatabaseError);
  assert.ok(calls.includes('order-rejects'));
});

test('a rejection with undefined or \'route\' still gives 500, never falls through to another route', async () => {
  for (const referenceId of ['undefined', 'route']) {
    const before = errors.length;
    const res = await post(`${appUrl}/handlers/odd-rejection`, signed({ referenceId }));
    assert.equal(res.status, 500, `rejection ${referenceId}`);
    assert.notEqual(await res.text(), 'fell through');
    assert.ok(errors[before] instanceof Error);
    assert.match(errors[before].message, /callback handler failed with/);
  }
});

test('without an error middleware, Express\'s final handler answers 500 (sync or async failure)', async () => {
  const cb = signed();
  const id = JSON.parse(cb.body).data.id;
  const response = post(`${plainAppUrl}/paycore`, cb);
  (await waitFor(() => pending.get(id))).fail(new DatabaseError('db down'));
  const res = await response;
  assert.equal(res.status, 500);
  assert.doesNotMatch(await res.text(), /db down|DatabaseError/);
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112 });
  assert.equal((await fetch(`${plainAppUrl}/ecommpay`, { method: 'POST', body, signal: AbortSignal.timeout(10000) })).status, 500);
  // A bad signature there is still the middleware's own 400.
  const bad = await post(`${plainAppUrl}/paycore`, { headers: cb.headers, body: cb.body.replace('7.00', '8.00') });
  assert.equal(bad.status, 400);
});

test('a bare node:http server (no next): 200 after resolve, 500 after reject', async () => {
  const ok = signed();
  const okId = JSON.parse(ok.body).data.id;
  const okResponse = post(bareUrl, ok);
  const okWaiting = await waitFor(() => pending.get(okId));
  assert.equal(await within(okResponse, 100), 'pending');
  okWaiting.release();
  assert.equal((await okResponse).status, 200);

  const ko = signed();
  const koId = JSON.parse(ko.body).data.id;
  const koResponse = post(bareUrl, ko);
  (await waitFor(() => pending.get(koId))).fail(new DatabaseError('db down'));
  const res = await koResponse;
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'internal error');
});

// --- body limit (413 without verifying) and verification off the main thread -------------------

const MB = 1024 * 1024;

/** A PayCore callback of about `bytes` bytes, signed with HANDLER_SECRET. */
function bigPaycore(bytes) {
  return signed({ attributes: { description: 'x'.repeat(bytes) } });
}

/** A body sent chunked (no Content-Length), so the middleware counts while it reads. */
function chunked(text) {
  const bytes = Buffer.from(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
      controller.close();
    },
  });
}

test('a 2 MB callback gets 413 from the default 1 MB limit, unverified and unhandled', async () => {
  const cb = bigPaycore(2 * MB);
  const id = JSON.parse(cb.body).data.id;
  // A tampered body: were it verified, the answer would be 400.
  const tampered = cb.body.replace('"processed"', '"process_failed"');
  for (const [route, body, extra] of [
    ['/limits/paycore', cb.body, {}],
    ['/limits/paycore', tampered, {}],
    ['/limits/paycore', chunked(cb.body), { duplex: 'half' }],
    ['/limits/paycore-raw', cb.body, {}],
  ]) {
    const res = await fetch(`${appUrl}${route}`, { method: 'POST', headers: cb.headers, body, ...extra, signal: AbortSignal.timeout(10000) });
    assert.equal(res.status, 413, route);
    assert.match(await res.text(), /callback body over 1048576 bytes/);
  }
  const ecommpayBody = JSON.stringify({ project_id: 112, payment: { id: 'big', status: 'success' }, pad: 'x'.repeat(2 * MB), signature: 'bad' });
  const res = await fetch(`${appUrl}/limits/ecommpay`, { method: 'POST', body: ecommpayBody, signal: AbortSignal.timeout(10000) });
  assert.equal(res.status, 413);
  assert.ok(!limitEvents.includes(id) && !limitEvents.includes('big'), 'a handler saw a body over the limit');
});

test('a larger limit accepts the 2 MB callback, verified off the main thread (same verdicts)', async () => {
  const cb = bigPaycore(2 * MB);
  const id = JSON.parse(cb.body).data.id;
  const res = await fetch(`${appUrl}/limits/paycore-3mb`, { method: 'POST', headers: cb.headers, body: chunked(cb.body), duplex: 'half', signal: AbortSignal.timeout(30000) });
  assert.equal(res.status, 200);
  assert.ok(limitEvents.includes(id));
  const tampered = cb.body.replace('"processed"', '"process_failed"');
  const bad = await fetch(`${appUrl}/limits/paycore-3mb`, { method: 'POST', headers: cb.headers, body: tampered, signal: AbortSignal.timeout(30000) });
  assert.equal(bad.status, 400);
  // Every body through the async variant (asyncThreshold 0): a good one and a tampered one.
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: 'order-async', amount: 3550 });
  assert.equal((await fetch(`${appUrl}/limits/ecommpay-async`, { method: 'POST', body })).status, 200);
  assert.ok(limitEvents.includes('order-async'));
  const wrong = await fetch(`${appUrl}/limits/ecommpay-async`, { method: 'POST', body: body.replace('3550', '1') });
  assert.equal(wrong.status, 400);
  assert.match(await wrong.text(), /invalid callback/);
});

test('limit and asyncThreshold options are checked', () => {
  const handler = () => {};
  for (const limit of [0, -1, 1.5, 'lots', '', NaN, Infinity]) {
    assert.throws(() => paycoreCallback({ secretKey: 's', handler, limit }), RangeError, String(limit));
  }
  assert.throws(() => ecommpayCallback({ secretKey: 's', handler, limit: {} }), TypeError);
  assert.throws(() => ecommpayCallback({ secretKey: 's', handler, asyncThreshold: -1 }), RangeError);
  for (const limit of [1, 4096, '512kb', '2MB', '1.5mb']) {
    assert.equal(typeof paycoreCallback({ secretKey: 's', handler, limit }), 'function', String(limit));
  }
  assert.equal(typeof ecommpayCallback({ secretKey: 's', handler, asyncThreshold: 0 }), 'function');
});

test('no unhandled rejection from any of the above', async () => {
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(unhandled, []);
});
