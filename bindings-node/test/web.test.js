// polypay/web: Web-standard route handlers ((request: Request) => Promise<Response>, as Next.js
// App Router's `export const POST = ...`), called with Node's global Request directly, and served
// over real HTTP through a tiny node:http adapter.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Readable } = require('node:stream');
const { ConfigurationError } = require('..');
const { paycoreRouteHandler, ecommpayRouteHandler, VERDICT_HEADER, BODY_USED_MESSAGE } = require('../dist/web');
const { MemoryLedger } = require('../dist/ledger');
const testing = require('../dist/testing');

const SECRET = 'sk_test_web';
const OLD_SECRET = 'sk_test_web_old';
const ECOMMPAY_SECRET = 'ecommpay_web';
const ledger = new MemoryLedger();
const handled = [];
const failures = []; // errors given to onError
let failNext = false;

class DatabaseError extends Error {}

const onError = (error) => { failures.push(error); };
const POST = paycoreRouteHandler({
  secretKey: [SECRET, OLD_SECRET],
  ledger,
  onError,
  handler: async (event, request, tx) => {
    assert.ok(request instanceof Request);
    handled.push([event.id, event.status, tx]);
    await new Promise((r) => setTimeout(r, 1));
    if (failNext) {
      failNext = false;
      throw new DatabaseError('db down');
    }
  },
});
// Several accounts: the key follows the URL's ?account=.
const ACCOUNTS = { a: 'sk_live_web_a', b: ['sk_live_web_b_new', 'sk_live_web_b_old'] };
const byAccount = paycoreRouteHandler({
  secretKey: (request) => ACCOUNTS[new URL(request.url).searchParams.get('account')] ?? [],
  limit: '2kb',
  onError,
  handler: (event) => {
    handled.push([event.id, event.status]);
    if (event.invoice.referenceId === 'own-response') return Response.json({ mine: event.id }, { status: 202 });
    return undefined;
  },
});
const ecommpayPOST = ecommpayRouteHandler({
  secretKey: async (request) => (request.headers.get('x-project') === '113' ? 'ecommpay_other' : ECOMMPAY_SECRET),
  ledger,
  onError,
  handler: (cb) => { handled.push([cb.paymentId, cb.paymentStatus]); },
});

const request = (cb, { path = '/api/callbacks/paycore', headers = {} } = {}) => new Request(`http://shop.example${path}`, {
  method: 'POST', headers: { ...cb.headers, ...headers }, body: cb.body,
});
const calls = (id) => handled.filter(([h]) => h === id);

test('a signed callback: 200 with the verdict; the same again is a duplicate; an older state is stale', async () => {
  const cb = testing.paycoreCallback({ secretKey: SECRET, id: 'cpi_web_1', attributes: { updated: 1_700_000_100 } });
  const res = await POST(request(cb));
  assert.ok(res instanceof Response);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'OK');
  assert.equal(res.headers.get(VERDICT_HEADER), 'apply');
  assert.equal((await POST(request(cb))).headers.get(VERDICT_HEADER), 'duplicate');
  const old = testing.paycoreCallback({ secretKey: OLD_SECRET, id: 'cpi_web_1', status: 'created', attributes: { updated: 1_700_000_000 } });
  assert.equal((await POST(request(old))).headers.get(VERDICT_HEADER), 'stale');
  assert.deepEqual(calls('cpi_web_1'), [['cpi_web_1', 'processed', undefined]]);
});

test('a bad signature: 400; a failing handler: 500 and onError, the retry applies', async () => {
  const cb = testing.paycoreCallback({ secretKey: SECRET, id: 'cpi_web_2', amount: '7.00' });
  const bad = await POST(request({ headers: cb.headers, body: cb.body.replace('7.00', '8.00') }));
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /invalid callback/);
  assert.equal(calls('cpi_web_2').length, 0);
  failNext = true;
  const before = failures.length;
  const failed = await POST(request(cb));
  assert.equal(failed.status, 500);
  assert.equal(await failed.text(), 'internal error');
  assert.ok(failures[before] instanceof DatabaseError);
  assert.equal(ledger.get('paycore.payment', 'cpi_web_2'), undefined);
  const retried = await POST(request(cb));
  assert.equal(retried.status, 200);
  assert.equal(retried.headers.get(VERDICT_HEADER), 'apply');
  assert.equal(calls('cpi_web_2').length, 2);
});

test('secrets from the Request: accounts, rotation, an unknown account is a 500 (ConfigurationError)', async () => {
  const path = (account) => ({ path: `/api/callbacks/paycore?account=${account}` });
  assert.equal((await byAccount(request(testing.paycoreCallback({ secretKey: 'sk_live_web_a' }), path('a')))).status, 200);
  assert.equal((await byAccount(request(testing.paycoreCallback({ secretKey: 'sk_live_web_b_old' }), path('b')))).status, 200);
  assert.equal((await byAccount(request(testing.paycoreCallback({ secretKey: 'sk_live_web_a' }), path('b')))).status, 400);
  const before = failures.length;
  const cb = testing.paycoreCallback({ secretKey: 'sk_live_web_a' });
  const res = await byAccount(request(cb, path('nobody')));
  assert.equal(res.status, 500);
  assert.ok(failures[before] instanceof ConfigurationError);
  assert.equal(failures[before].code, 'missing_secret');
  assert.equal(calls(JSON.parse(cb.body).data.id).length, 0);
});

test('a Response from the handler is sent as it is; a body over the limit gets 413', async () => {
  const cb = testing.paycoreCallback({ secretKey: 'sk_live_web_a', referenceId: 'own-response' });
  const res = await byAccount(request(cb, { path: '/x?account=a' }));
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { mine: JSON.parse(cb.body).data.id });
  const big = testing.paycoreCallback({ secretKey: 'sk_live_web_a', attributes: { description: 'x'.repeat(4096) } });
  assert.equal((await byAccount(request(big, { path: '/x?account=a' }))).status, 413);
  // Without a Content-Length (a stream): counted while read.
  const streamed = new Request('http://shop.example/x?account=a', {
    method: 'POST', headers: big.headers, body: Readable.toWeb(Readable.from([Buffer.from(big.body)])), duplex: 'half',
  });
  assert.equal((await byAccount(streamed)).status, 413);
  assert.equal(calls(JSON.parse(big.body).data.id).length, 0);
});

test('a body already read: 500 with how to pass the Request untouched', async () => {
  const cb = testing.paycoreCallback({ secretKey: SECRET });
  const req = request(cb);
  await req.json();
  const before = failures.length;
  const res = await POST(req);
  assert.equal(res.status, 500);
  assert.equal(failures[before].message, BODY_USED_MESSAGE);
});

test('ecommpay: keys from a header (async function), the ledger\'s verdicts', async () => {
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: 'web-order-1' });
  const send = (b, headers = {}) => ecommpayPOST(new Request('http://shop.example/api/callbacks/ecommpay', { method: 'POST', headers, body: b }));
  assert.equal((await send(body)).headers.get(VERDICT_HEADER), 'apply');
  assert.equal((await send(body)).headers.get(VERDICT_HEADER), 'duplicate');
  const other = testing.ecommpayCallback({ secretKey: 'ecommpay_other', projectId: 113, paymentId: 'web-order-2' });
  assert.equal((await send(other.body, { 'x-project': '113' })).status, 200);
  assert.equal((await send(other.body)).status, 400);
  assert.equal(calls('web-order-1').length, 1);
});

test('options are checked', () => {
  const handler = () => {};
  assert.throws(() => paycoreRouteHandler({ handler }), TypeError);
  assert.throws(() => paycoreRouteHandler({ secretKey: '', handler }), ConfigurationError);
  assert.throws(() => paycoreRouteHandler({ secretKey: 's', handler, onError: 5 }), /onError/);
  assert.throws(() => ecommpayRouteHandler({ secretKey: 's', handler, ledger: null }), /options\.ledger/);
  assert.throws(() => paycoreRouteHandler({ secretKey: 's', handler, limit: 0 }), RangeError);
});

// ---------------------------------------------------------- over HTTP, through a node:http adapter

/** Serves Web-standard route handlers from node:http, as a framework would. */
function serve(routes) {
  return http.createServer(async (req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (!route) { res.writeHead(404).end(); return; }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method, headers, body: hasBody ? Readable.toWeb(req) : undefined, duplex: 'half',
    });
    const response = await route(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

let server;
let url;
before(async () => {
  server = serve({ '/api/callbacks/paycore': POST, '/api/callbacks/ecommpay': ecommpayPOST, '/by-account': byAccount });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(async () => {
  server.closeAllConnections?.();
  await new Promise((r) => server.close(r));
});

test('over HTTP: 200 with the verdict, duplicates, 400, 500 then the retry, ecommpay, 413', async () => {
  const post = (path, cb, headers = {}) => fetch(`${url}${path}`, {
    method: 'POST', headers: { ...cb.headers, ...headers }, body: cb.body, signal: AbortSignal.timeout(10000),
  });
  const cb = testing.paycoreCallback({ secretKey: OLD_SECRET, id: 'cpi_web_http', attributes: { updated: 1_700_000_900 } });
  const answers = await Promise.all(Array.from({ length: 8 }, () => post('/api/callbacks/paycore', cb)));
  assert.deepEqual(answers.map((r) => r.status), Array(8).fill(200));
  assert.deepEqual(answers.map((r) => r.headers.get(VERDICT_HEADER)).sort(), ['apply', ...Array(7).fill('duplicate')]);
  assert.equal(calls('cpi_web_http').length, 1);
  assert.equal((await post('/api/callbacks/paycore', { headers: cb.headers, body: cb.body.replace('processed', 'refunded') })).status, 400);
  const failing = testing.paycoreCallback({ secretKey: SECRET, id: 'cpi_web_http_fail' });
  failNext = true;
  assert.equal((await post('/api/callbacks/paycore', failing)).status, 500);
  assert.equal((await post('/api/callbacks/paycore', failing)).status, 200);
  const { body } = testing.ecommpayCallback({ secretKey: ECOMMPAY_SECRET, projectId: 112, paymentId: 'web-http-1' });
  const ec = await post('/api/callbacks/ecommpay', { body, headers: { 'content-type': 'application/json' } });
  assert.equal(ec.status, 200);
  assert.equal(ec.headers.get(VERDICT_HEADER), 'apply');
  const big = testing.paycoreCallback({ secretKey: 'sk_live_web_a', attributes: { description: 'x'.repeat(8192) } });
  assert.equal((await post('/by-account?account=a', big)).status, 413);
});
