// Issue 14's edges through the JS API, against the real `polypay sandbox` and its fault
// effects (sandbox/README.md, "Fault injection"): what a gateway does on a bad day, and what a
// Node caller gets. The invoices the sandbox holds afterwards are the judge (nothing doubled,
// nothing lost), read through its admin API rather than through the client under test.
'use strict';
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { startSandbox, clientOptions, uniqueRef } = require('./helpers');
const {
  PayCoreClient, PolypayError, APIError, APIConnectionError, APITimeoutError, ConflictError,
  CancelledError,
} = require('..');

let sb;
let client;
before(async () => {
  sb = await startSandbox(['--time-scale', '0.01']);
  client = new PayCoreClient(clientOptions(sb, { timeout: 10_000 }));
});
after(async () => { await sb.stop(); });
afterEach(async () => { await sb.admin('DELETE', '/__sandbox/faults'); });

const CREATE = 'POST /api/payment-invoices';
const request = (extra = {}) => ({
  service: 'test_usd_test', amount: '10.00', currency: 'USD',
  service_fields: { status: 'success' }, reference_id: uniqueRef('edge'), ...extra,
});

async function fault(rule) {
  const added = await sb.admin('POST', '/__sandbox/faults', rule);
  assert.ok(added.data, `fault refused: ${JSON.stringify(added)}`);
}

/** Invoices the sandbox holds under this reference (its admin view, not the client's). */
async function held(referenceId) {
  const rows = await sb.admin('GET', `/__sandbox/invoices?reference_id=${encodeURIComponent(referenceId)}`);
  return rows.count;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function isError(Class, props = {}) {
  return (e) => {
    assert.ok(e instanceof Class, `${e && e.name}: ${e && e.message}`);
    assert.ok(e instanceof PolypayError);
    for (const [k, v] of Object.entries(props)) assert.deepEqual(e[k], v, k);
    return true;
  };
}

test('commit then 503 on a create: reconciled, one invoice', async () => {
  await fault({ route: CREATE, nth: 1, effect: { status: 503, commit: true } });
  const req = request();
  const invoice = await client.createPaymentInvoice(req);
  assert.equal(invoice.response.reconciled, true);
  assert.equal(invoice.referenceId, req.reference_id);
  assert.equal(await held(req.reference_id), 1);
});

test('a wrong-shaped 201 ({"data": []}) on a create: reconciled, one invoice', async () => {
  await fault({ route: CREATE, nth: 1, effect: { type: 'wrong_shape', body: { data: [] }, status: 201 } });
  const req = request();
  const invoice = await client.createPaymentInvoice(req);
  assert.equal(invoice.response.reconciled, true);
  assert.match(invoice.id, /^cpi_/);
  assert.equal(await held(req.reference_id), 1);
});

test('a 409 without data after a commit: the invoice is found', async () => {
  await fault({ route: CREATE, nth: 1, effect: { status: 409, commit: true } });
  const req = request();
  const invoice = await client.createPaymentInvoice(req);
  assert.equal(invoice.response.reconciled, true);
  assert.equal(invoice.referenceId, req.reference_id);
  assert.equal(await held(req.reference_id), 1);
});

test('a 307 redirect is a typed error (code redirect), never followed', async () => {
  const created = await client.createPaymentInvoice(request());
  await fault({ route: 'GET /api/payment-invoices/', effect: { type: 'redirect', status: 307 } });
  await assert.rejects(client.getPaymentInvoice(created.id), isError(APIError, { code: 'redirect', httpStatus: 307 }));
  const stats = await sb.admin('GET', '/__sandbox/stats');
  assert.ok(!JSON.stringify(stats.requests).includes('redirect-target'), `a redirect was followed: ${JSON.stringify(stats.requests)}`);
});

test('a trickled body with a short per-call timeout: APITimeoutError within the deadline', async () => {
  const created = await client.createPaymentInvoice(request());
  await fault({ route: 'GET /api/payment-invoices/', effect: { type: 'trickle', chunk_bytes: 1, interval_ms: 100 } });
  const started = Date.now();
  await assert.rejects(client.getPaymentInvoice(created.id, { timeout: 800 }), isError(APITimeoutError, { kind: 'timeout' }));
  const took = Date.now() - started;
  assert.ok(took < 1600, `took ${took} ms`);
});

test('a 503 with Retry-After 2^64-1: no crash, a prompt APIError', async () => {
  // The exact integer: JSON.stringify of a JS number would round it.
  const res = await fetch(`${sb.baseUrl}/__sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"route":"GET /api/account/balances","effect":{"status":503,"retry_after":18446744073709551615}}',
  });
  assert.ok(res.ok, await res.text());
  const started = Date.now();
  await assert.rejects(client.balances(), isError(APIError, { httpStatus: 503, kind: 'server' }));
  const took = Date.now() - started;
  assert.ok(took < 2000, `took ${took} ms`);
});

test('cyclic links.next: the list ends with code pagination_cycle', async () => {
  for (let i = 0; i < 3; i++) await client.createPaymentInvoice(request());
  await fault({ route: 'GET /api/payment-invoices', effect: { type: 'cyclic_links' } });
  const seen = [];
  await assert.rejects((async () => {
    for await (const invoice of client.listPaymentInvoices({ pageSize: 1 })) {
      seen.push(invoice.id);
      assert.ok(seen.length < 10, 'the list kept paging');
    }
  })(), isError(APIError, { code: 'pagination_cycle' }));
});

test('a reused reference_id with another amount: ConflictError reference_reused, nothing created', async () => {
  const req = request();
  const first = await client.createPaymentInvoice(req);
  const again = await client.createPaymentInvoice({ ...req, amount: '10.0' });
  assert.equal(again.id, first.id);
  assert.equal(again.response.reconciled, true);
  await assert.rejects(client.createPaymentInvoice({ ...req, amount: '20.00' }), (e) => {
    isError(ConflictError, { code: 'reference_reused', argument: 'reference_id', outcomeUnknown: false })(e);
    assert.equal(e.existing.id, first.id);
    return true;
  });
  assert.equal(await held(req.reference_id), 1);
});

test('a late commit after a dropped connection (maxRetries 0): outcomeUnknown, found afterwards', async () => {
  const noRetry = new PayCoreClient(clientOptions(sb, { maxRetries: 0 }));
  await fault({ route: CREATE, nth: 1, effect: { type: 'late_commit', commit_after_ms: 600 } });
  const req = request();
  await assert.rejects(noRetry.createPaymentInvoice(req), (e) => {
    assert.ok(e instanceof APIConnectionError, `${e.name}: ${e.message}`);
    assert.equal(e.outcomeUnknown, true);
    assert.equal(e.referenceId, req.reference_id);
    return true;
  });
  assert.equal(await held(req.reference_id), 0, 'committed already');
  await sleep(1000);
  const found = await noRetry.findPaymentInvoice(req.reference_id);
  assert.ok(found, 'the late commit was not found');
  assert.equal(found.referenceId, req.reference_id);
  assert.equal(await held(req.reference_id), 1);
});

// --- cancellation keeps the facts -------------------------------------------------------------

test('an aborted create rejects with CancelledError: generated referenceId, outcomeUnknown, cause', async () => {
  await fault({ route: CREATE, nth: 1, effect: { delay_ms: 1500 } });
  const { reference_id: _, ...withoutReference } = request(); // eslint-disable-line no-unused-vars
  const controller = new AbortController();
  const reason = new Error('the customer left');
  const started = Date.now();
  const pending = client.createPaymentInvoice(withoutReference, { signal: controller.signal });
  setTimeout(() => controller.abort(reason), 200);
  let error;
  await assert.rejects(pending, (e) => { error = e; return true; });
  assert.ok(error instanceof CancelledError, `${error.name}: ${error.message}`);
  assert.ok(error instanceof PolypayError);
  assert.equal(error.name, 'CancelledError');
  assert.equal(error.kind, 'cancelled');
  assert.equal(error.code, 'cancelled');
  assert.equal(error.outcomeUnknown, true);
  assert.match(error.referenceId, /^[0-9a-f-]{36}$/, 'a generated reference_id');
  assert.equal(error.cause, reason);
  assert.ok(Date.now() - started < 1000, 'the abort did not end the call promptly');
  // The gateway finishes the request the client left: found by the reference, exactly once.
  await sleep(1800);
  const found = await client.findPaymentInvoice(error.referenceId);
  assert.ok(found, 'the cancelled create was not found by its referenceId');
  assert.equal(await held(error.referenceId), 1);
});

test('an already-aborted signal: CancelledError, nothing sent (outcomeUnknown false), cause = reason', async () => {
  const req = request();
  const before = (await sb.admin('GET', '/__sandbox/stats')).requests['POST /api/payment-invoices'] ?? 0;
  const signal = AbortSignal.abort();
  await assert.rejects(client.createPaymentInvoice(req, { signal }), (e) => {
    isError(CancelledError, { kind: 'cancelled', outcomeUnknown: false, referenceId: req.reference_id })(e);
    assert.equal(e.cause, signal.reason);
    assert.equal(e.cause.name, 'AbortError');
    return true;
  });
  const afterCount = (await sb.admin('GET', '/__sandbox/stats')).requests['POST /api/payment-invoices'] ?? 0;
  assert.equal(afterCount, before, 'an aborted create was sent');
  assert.equal(await held(req.reference_id), 0);
});

test('an abort racing the start of a create: outcomeUnknown false only if nothing landed', async () => {
  await fault({ route: CREATE, effect: { delay_ms: 300 } });
  const results = [];
  for (let i = 0; i < 8; i++) {
    const req = request();
    const controller = new AbortController();
    const pending = client.createPaymentInvoice(req, { signal: controller.signal });
    if (i % 2 === 0) controller.abort(); else queueMicrotask(() => controller.abort());
    results.push([req.reference_id, await pending.then(() => null, (e) => e)]);
  }
  await sleep(700);
  for (const [referenceId, error] of results) {
    assert.ok(error instanceof CancelledError, `${error && error.name}: ${error && error.message}`);
    assert.equal(error.referenceId, referenceId);
    const count = await held(referenceId);
    if (!error.outcomeUnknown) assert.equal(count, 0, `${referenceId}: said not sent, but landed`);
    assert.ok(count <= 1);
  }
});

test('an aborted read and an aborted list: CancelledError (outcomeUnknown false), cause = reason', async () => {
  await fault({ route: 'GET /api/account/balances', effect: { delay_ms: 3000 } });
  const controller = new AbortController();
  const started = Date.now();
  const pending = client.balances({ signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(pending, (e) => {
    isError(CancelledError, { outcomeUnknown: false, referenceId: null })(e);
    assert.equal(e.cause, controller.signal.reason);
    return true;
  });
  assert.ok(Date.now() - started < 2000);

  // A list: an abort while a page is read, and one between two next() calls.
  await fault({ route: 'GET /api/payment-invoices', effect: { delay_ms: 3000 } });
  const timeout = AbortSignal.timeout(100);
  const it = client.listPaymentInvoices({ signal: timeout });
  await assert.rejects(it.next(), (e) => {
    isError(CancelledError)(e);
    assert.equal(e.cause.name, 'TimeoutError');
    return true;
  });
  await sb.admin('DELETE', '/__sandbox/faults');
  for (let i = 0; i < 2; i++) await client.createPaymentInvoice(request());
  const between = new AbortController();
  const list = client.listPaymentInvoices({ pageSize: 5, signal: between.signal });
  assert.equal((await list.next()).done, false);
  between.abort();
  // The rest of the page was read already, but is not handed out after the abort.
  await assert.rejects(list.next(), isError(CancelledError));
});
