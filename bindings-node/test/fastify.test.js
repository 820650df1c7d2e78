// polypay/fastify over real HTTP (fastify.listen on port 0): the callbackRoutes plugin and the
// route handlers with rawBodyParser, the ledger's verdicts, secrets per request, and the errors:
// 400 for a bad signature, 500 (so the gateway retries) for a failing handler, a parsed body or a
// secret function that gives no key, 413 over the limit.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const Fastify = require('fastify');
const { ConfigurationError } = require('..');
const { paycoreCallback, ecommpayCallback, callbackRoutes, rawBodyParser, PARSED_BODY_MESSAGE, VERDICT_HEADER } =
  require('../dist/fastify');
const { MemoryLedger } = require('../dist/ledger');
const testing = require('../dist/testing');

const SECRET = 'sk_test_fastify';
const OLD_SECRET = 'sk_test_fastify_old';
const ECOMMPAY_SECRET = 'ecommpay_fastify';
const ledger = new MemoryLedger();
const handled = []; // [route, id, status, tx]
const errors = [];
const pending = new Map(); // id -> { release, fail }
const completed = [];
let failNext = false;
let app;
let url;

class DatabaseError extends Error {}

before(async () => {
  app = Fastify();
  app.register(callbackRoutes, {
    paycore: {
      url: '/paycore/callback',
      secretKey: [SECRET, OLD_SECRET],
      ledger,
      handler: async (event, request, reply, tx) => {
        handled.push(['plugin', event.id, event.status, tx, request.polypayVerdict]);
        if (failNext) {
          failNext = false;
          throw new DatabaseError('db down');
        }
      },
    },
    ecommpay: {
      url: '/ecommpay/callback',
      secretKey: (request) => (request.headers['x-project'] === '113' ? 'ecommpay_other' : ECOMMPAY_SECRET),
      ledger,
      handler: (cb) => { handled.push(['ecommpay', cb.paymentId, cb.paymentStatus]); },
    },
  });
  // A scope of one's own: rawBodyParser, then the route handlers.
  app.register(async (scope) => {
    rawBodyParser(scope, { limit: '2kb' });
    scope.post('/own/:account', paycoreCallback({
      secretKey: (request) => ({ a: 'sk_live_a', b: ['sk_live_b_new', 'sk_live_b_old'] })[request.params.account] ?? [],
      limit: '2kb',
      handler: (event, request) => {
        handled.push(['own', event.id, event.status]);
        if (event.invoice.referenceId === 'wait') {
          return new Promise((resolve, reject) => pending.set(event.id, { release: resolve, fail: reject }))
            .then(() => { completed.push(event.id); });
        }
        return undefined;
      },
    }));
    scope.post('/own-reply', paycoreCallback({
      secretKey: SECRET,
      ledger,
      handler: (event, request, reply) => reply.code(202).send({ mine: event.id }),
    }));
    scope.post('/odd-rejection', ecommpayCallback({ secretKey: ECOMMPAY_SECRET, handler: async () => { throw undefined; } }));
  }, { prefix: '/scoped' });
  // The mistake: a callback route on the root instance, whose JSON parser runs first.
  app.post('/parsed', paycoreCallback({ secretKey: SECRET, handler: () => { handled.push(['parsed']); } }));
  app.setErrorHandler((error, request, reply) => {
    errors.push(error);
    reply.code(error.statusCode >= 400 ? error.statusCode : 500).send({ message: error.message });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${app.server.address().port}`;
});

after(async () => {
  await app.close();
});

const post = (path, cb, headers = {}) => fetch(`${url}${path}`, {
  method: 'POST', headers: { ...cb.headers, ...headers }, body: cb.body, signal: AbortSignal.timeout(10000),
});
const signed = (options) => testing.paycoreCallback({ secretKey: SECRET, ...options });
const idOf = (cb) => JSON.parse(cb.body).data.id;
const calls = (id) => handled.filter(([, h]) => h === id);

async function waitFor(predicate, ms = 10000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = predicate();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out waiting');
}

test('the plugin: a signed callback gets 200 with the ledger\'s verdict; the same again is a duplicate', async () => {
  const cb = signed({ id: 'cpi_fy_1', attributes: { updated: 1_700_000_100 } });
  const first = await post('/paycore/callback', cb);
  assert.equal(first.status, 200);
  assert.equal(await first.text(), 'OK');
  assert.equal(first.headers.get(VERDICT_HEADER), 'apply');
  const second = await post('/paycore/callback', cb);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get(VERDICT_HEADER), 'duplicate');
  assert.deepEqual(calls('cpi_fy_1').map(([, , s, tx, v]) => [s, tx, v]), [['processed', undefined, 'apply']]);
  // An older state after it: stale, handler not called.
  const old = await post('/paycore/callback', signed({ id: 'cpi_fy_1', status: 'created', attributes: { updated: 1_700_000_000 } }));
  assert.equal(old.headers.get(VERDICT_HEADER), 'stale');
  assert.equal(calls('cpi_fy_1').length, 1);
});

test('the plugin: any content type (or none) arrives raw; the old key still verifies (rotation)', async () => {
  const cb = testing.paycoreCallback({ secretKey: OLD_SECRET, id: 'cpi_fy_old' });
  for (const [n, type] of [[1, 'text/plain'], [2, 'application/x-www-form-urlencoded'], [3, undefined]]) {
    const c = testing.paycoreCallback({ secretKey: OLD_SECRET, id: `cpi_fy_type_${n}` });
    const headers = { 'x-signature': c.signature, ...(type ? { 'content-type': type } : {}) };
    const res = await fetch(`${url}/paycore/callback`, { method: 'POST', headers, body: Buffer.from(c.body) });
    assert.equal(res.status, 200, String(type));
  }
  assert.equal((await post('/paycore/callback', cb)).status, 200);
  assert.equal(calls('cpi_fy_old').length, 1);
});

test('a bad signature: 400, handler not called', async () => {
  const cb = signed({ id: 'cpi_fy_bad', amount: '7.00' });
  const res = await post('/paycore/callback', { headers: cb.headers, body: cb.body.replace('7.00', '8.00') });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid callback/);
  const unsigned = await fetch(`${url}/paycore/callback`, { method: 'POST', body: cb.body });
  assert.equal(unsigned.status, 400);
  assert.equal(calls('cpi_fy_bad').length, 0);
});

test('a handler that throws: 500 through Fastify\'s error handler, the ledger unchanged; the retry applies', async () => {
  const cb = signed({ id: 'cpi_fy_fail', attributes: { updated: 1_700_000_500 } });
  failNext = true;
  const before = errors.length;
  const res = await post('/paycore/callback', cb);
  assert.equal(res.status, 500);
  assert.ok(errors[before] instanceof DatabaseError);
  assert.equal(ledger.get('paycore.payment', 'cpi_fy_fail'), undefined);
  const retried = await post('/paycore/callback', cb);
  assert.equal(retried.status, 200);
  assert.equal(retried.headers.get(VERDICT_HEADER), 'apply');
  assert.equal(calls('cpi_fy_fail').length, 2);
  // A rejection that is not an Error still gives 500.
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112 });
  const odd = await fetch(`${url}/scoped/odd-rejection`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  assert.equal(odd.status, 500);
  assert.match(errors.at(-1).message, /callback handler failed with undefined/);
});

test('200 only once the handler\'s promise resolved', async () => {
  const cb = testing.paycoreCallback({ secretKey: 'sk_live_a', referenceId: 'wait' });
  const id = idOf(cb);
  const response = post('/scoped/own/a', cb);
  const waiting = await waitFor(() => pending.get(id));
  const early = await Promise.race([response.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 150))]);
  assert.equal(early, 'pending');
  waiting.release();
  const res = await response;
  assert.equal(res.status, 200);
  assert.ok(completed.includes(id));
  assert.equal(res.headers.get(VERDICT_HEADER), null); // no ledger on this route
});

test('secrets by account (route parameter): rotation, a wrong account 400, an unknown one 500', async () => {
  assert.equal((await post('/scoped/own/b', testing.paycoreCallback({ secretKey: 'sk_live_b_old' }))).status, 200);
  assert.equal((await post('/scoped/own/b', testing.paycoreCallback({ secretKey: 'sk_live_b_new' }))).status, 200);
  assert.equal((await post('/scoped/own/b', testing.paycoreCallback({ secretKey: 'sk_live_a' }))).status, 400);
  const before = errors.length;
  const cb = testing.paycoreCallback({ secretKey: 'sk_live_a' });
  const res = await post('/scoped/own/zzz', cb);
  assert.equal(res.status, 500);
  assert.ok(errors[before] instanceof ConfigurationError);
  assert.equal(errors[before].code, 'missing_secret');
  assert.equal(calls(idOf(cb)).length, 0);
});

test('ecommpay through the plugin: keys from a header, the ledger\'s verdicts', async () => {
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: 'fy-order-1' });
  const headers = { 'content-type': 'application/json' };
  const first = await fetch(`${url}/ecommpay/callback`, { method: 'POST', headers, body });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get(VERDICT_HEADER), 'apply');
  const again = await fetch(`${url}/ecommpay/callback`, { method: 'POST', headers, body });
  assert.equal(again.headers.get(VERDICT_HEADER), 'duplicate');
  assert.equal(calls('fy-order-1').length, 1);
  const other = testing.ecommpayCallback({ secretKey: 'ecommpay_other', projectId: 113, paymentId: 'fy-order-2' });
  assert.equal((await fetch(`${url}/ecommpay/callback`, { method: 'POST', headers: { ...headers, 'x-project': '113' }, body: other.body })).status, 200);
  assert.equal((await fetch(`${url}/ecommpay/callback`, { method: 'POST', headers, body: other.body })).status, 400);
});

test('a handler that answers itself keeps its answer', async () => {
  const cb = signed({ id: 'cpi_fy_own_reply' });
  const res = await post('/scoped/own-reply', cb);
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { mine: 'cpi_fy_own_reply' });
  assert.equal(res.headers.get(VERDICT_HEADER), null);
});

test('a body Fastify parsed into an object: 500 with how to get the raw body', async () => {
  const before = errors.length;
  const res = await post('/parsed', signed());
  assert.equal(res.status, 500);
  assert.equal((await res.json()).message, PARSED_BODY_MESSAGE);
  assert.ok(errors[before] instanceof ConfigurationError);
  assert.equal(errors[before].code, 'parsed_body');
  assert.match(PARSED_BODY_MESSAGE, /addContentTypeParser\('\*', \{ parseAs: 'buffer' \}/);
  assert.ok(!handled.some(([r]) => r === 'parsed'));
});

test('over the limit: 413, not verified', async () => {
  const cb = testing.paycoreCallback({ secretKey: 'sk_live_a', attributes: { description: 'x'.repeat(4096) } });
  const res = await post('/scoped/own/a', cb);
  assert.equal(res.status, 413);
  assert.equal(calls(idOf(cb)).length, 0);
});

test('options are checked', () => {
  const handler = () => {};
  assert.throws(() => paycoreCallback({ handler }), TypeError);
  assert.throws(() => paycoreCallback({ secretKey: [], handler }), ConfigurationError);
  assert.throws(() => paycoreCallback({ secretKey: 's', handler, ledger: {} }), /options\.ledger/);
  assert.throws(() => ecommpayCallback({ secretKey: 's' }), /options\.handler/);
  assert.throws(() => rawBodyParser({}), TypeError);
  return assert.rejects(callbackRoutes({}, {}), /paycore or an ecommpay route/);
});
