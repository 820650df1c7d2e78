// Every client operation and every error class against `polypay sandbox`.
'use strict';
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { startSandbox, clientOptions, uniqueRef } = require('./helpers');
const polypay = require('..');
const {
  PayCoreClient, PolypayError, AuthenticationError, PermissionDeniedError, NotFoundError,
  ConflictError, ValidationError, RateLimitError, APIError, APIConnectionError, APITimeoutError,
  ConfigurationError, InvalidInputError, CancelledError,
} = polypay;

let sb;
let client;
before(async () => {
  sb = await startSandbox();
  client = new PayCoreClient(clientOptions(sb));
});
after(async () => { await sb.stop(); });
afterEach(async () => { await sb.admin('DELETE', '/__sandbox/faults'); });

const paid = () => ({
  service: 'test_usd_test', amount: '100.55', currency: 'USD',
  service_fields: { status: 'success' }, reference_id: uniqueRef(),
});

test('PublicPayCoreClient: the Public API with the public key alone; server credentials refused', async () => {
  const app = new polypay.PublicPayCoreClient({ baseUrl: sb.baseUrl, publicKey: sb.config.paycore.public_key_test });
  assert.equal(app.mode, 'test');
  const pre = await app.paymentPrerequest({ currency: 'USD' });
  assert.ok(pre.services.some((s) => s.code === 'test_usd_test'));
  const invoice = await app.createPaymentInvoicePublic({ ...paid(), amount: '7' });
  assert.ok(invoice.id.startsWith('cpi_'));
  assert.equal((await app.getPaymentInvoicePublic(invoice.id)).id, invoice.id);
  assert.equal((await client.getPaymentInvoice(invoice.id)).id, invoice.id);
  assert.equal(typeof app.getPaymentInvoice, 'undefined');
  assert.equal(typeof app.balances, 'undefined');
  for (const key of ['apiKey', 'accountId', 'secretKey']) {
    const options = { baseUrl: sb.baseUrl, publicKey: sb.config.paycore.public_key_test, [key]: 'NEVER_SHOWN_7f3a' };
    assert.throws(() => new polypay.PublicPayCoreClient(options),
      (e) => e instanceof TypeError && e.message.includes(`options.${key}`) && !e.message.includes('NEVER_SHOWN'));
  }
  assert.throws(() => new polypay.PublicPayCoreClient({ baseUrl: sb.baseUrl }), TypeError);
});

test('mode from the keys', () => {
  assert.equal(client.mode, 'test');
});

test('payment and payout pre-requests (public API)', async () => {
  const pre = await client.paymentPrerequest({ currency: 'USD' });
  assert.equal(pre.currency, 'USD');
  assert.ok(pre.services.some((s) => s.code === 'test_usd_test'));
  assert.equal(pre.response.httpStatus, 200);
  assert.ok(pre.response.requestId);
  const payout = await client.payoutPrerequest({ currency: 'USD', amount: 10 });
  assert.ok(payout.services.some((s) => s.code === 'test_usd'));
});

test('public create and public gets', async () => {
  const inv = await client.createPaymentInvoicePublic({
    service: 'test_usd_test', amount: 10.5, currency: 'USD', service_fields: { status: 'success' },
  });
  assert.match(inv.id, /^cpi_/);
  assert.equal(inv.amount, '10.5');
  const again = await client.getPaymentInvoicePublic(inv.id);
  assert.equal(again.id, inv.id);
  const po = await client.createPayoutInvoice({ service: 'test_usd', amount: '5', currency: 'USD', fields: { account: '12345' } });
  const pub = await client.getPayoutInvoicePublic(po.id);
  assert.equal(pub.id, po.id);
});

test('private payment invoice: create, get, find, refund; money exact as strings', async () => {
  const request = paid();
  const inv = await client.createPaymentInvoice(request);
  assert.equal(inv.status, 'processed');
  assert.equal(inv.isFinal, true);
  assert.equal(inv.isSuccess, true);
  assert.equal(inv.amount, '100.55');
  assert.equal(inv.referenceId, request.reference_id);
  assert.equal(inv.response.httpStatus, 201);
  assert.equal(inv.response.reconciled, false);
  assert.equal(typeof inv.raw, 'object');
  const got = await client.getPaymentInvoice(inv.id);
  assert.equal(got.id, inv.id);
  const found = await client.findPaymentInvoice(request.reference_id);
  assert.equal(found.id, inv.id);
  assert.equal(await client.findPaymentInvoice(uniqueRef('missing')), null);
  const refund = await client.refundPaymentInvoice(inv.id, { amount: '10.05' });
  assert.equal(refund.amount, '10.05');
  assert.equal(refund.originalId, inv.id);
  const gotRefund = await client.getRefund(refund.id);
  assert.equal(gotRefund.id, refund.id);
  assert.equal(gotRefund.response.httpStatus, 200);
  const refunds = [];
  for await (const r of client.listRefunds({ referenceId: refund.referenceId })) refunds.push(r.id);
  assert.deepEqual(refunds, [refund.id]);
  const paged = [];
  for await (const r of client.listRefunds({ pageSize: 1 })) paged.push(r.id);
  assert.ok(paged.includes(refund.id));
});

test('payout invoice: create, get, find', async () => {
  const ref = uniqueRef('po');
  const po = await client.createPayoutInvoice({ service: 'test_usd', amount: 5, currency: 'USD', fields: { account: '12345' }, reference_id: ref });
  assert.match(po.id, /^cpoi_/);
  assert.equal((await client.getPayoutInvoice(po.id)).id, po.id);
  assert.equal((await client.findPayoutInvoice(ref)).id, po.id);
  assert.equal(await client.findPayoutInvoice(uniqueRef('missing')), null);
});

test('lists are lazy async iterables (for await), services, balances', async () => {
  const ref = uniqueRef('list');
  for (let i = 0; i < 3; i++) await client.createPaymentInvoice({ ...paid(), reference_id: `${ref}-${i}` });
  const all = [];
  for await (const inv of client.listPaymentInvoices({ pageSize: 2 })) all.push(inv.id);
  assert.ok(all.length >= 3);
  assert.equal(new Set(all).size, all.length);
  let filtered = 0;
  for await (const inv of client.listPaymentInvoices({ referenceId: `${ref}-1` })) { filtered++; assert.equal(inv.referenceId, `${ref}-1`); }
  assert.equal(filtered, 1);
  // Lazy: breaking out after the first item fetches one page only.
  const before = await sb.admin('GET', '/__sandbox/stats');
  for await (const _ of client.listPaymentInvoices({ pageSize: 1 })) break; // eslint-disable-line no-unused-vars
  const afterStats = await sb.admin('GET', '/__sandbox/stats');
  assert.ok(JSON.stringify(afterStats) !== JSON.stringify(before));
  let payouts = 0;
  for await (const _ of client.listPayoutInvoices()) payouts++; // eslint-disable-line no-unused-vars
  assert.ok(payouts >= 1);
  const services = [];
  for await (const s of client.listPaymentServices({ pageSize: 3 })) services.push(s);
  assert.ok(services.length > 3);
  const one = await client.getPaymentService(services[0].id);
  assert.equal(one.id, services[0].id);
  const payoutServices = [];
  for await (const s of client.listPayoutServices({ pageSize: 1 })) payoutServices.push(s);
  assert.ok(payoutServices.length > 1);
  assert.ok(payoutServices.every((s) => s.raw.type === 'payout-services'));
  assert.equal((await client.getPayoutService(payoutServices[0].id)).id, payoutServices[0].id);
  const balances = await client.balances();
  assert.equal(balances.accountId, sb.config.paycore.account_id);
  assert.ok(balances.currencies.some((c) => c.currency === 'USD' && typeof c.activeBalance === 'string'));
});

test('a create whose response was lost is reconciled, not doubled', async () => {
  await sb.admin('POST', '/__sandbox/faults', { route: 'POST /api/payment-invoices', nth: 1, effect: 'created_response_lost' });
  const request = paid();
  const inv = await client.createPaymentInvoice(request);
  assert.equal(inv.response.reconciled, true);
  const rows = await sb.admin('GET', `/__sandbox/invoices?reference_id=${request.reference_id}`);
  const list = Array.isArray(rows) ? rows : (rows.invoices ?? rows.data);
  assert.equal(list.length, 1);
});

const fault = (route, effect, extra = {}) => sb.admin('POST', '/__sandbox/faults', { route, effect, ...extra });
const noRetry = () => new PayCoreClient(clientOptions(sb, { maxRetries: 0 }));

function isError(Class, props = {}) {
  return (e) => {
    assert.ok(e instanceof Class, `${e && e.name}: ${e && e.message}`);
    assert.ok(e instanceof PolypayError);
    assert.equal(e.name, Class.name);
    for (const [k, v] of Object.entries(props)) assert.deepEqual(e[k], v, k);
    return true;
  };
}

test('errors: AuthenticationError', async () => {
  const bad = new PayCoreClient(clientOptions(sb, { apiKey: 'wrong' }));
  await assert.rejects(bad.balances(), isError(AuthenticationError, { httpStatus: 401, kind: 'authentication' }));
});

test('errors: PermissionDeniedError', async () => {
  await fault('GET /api/account/balances', { status: 403 });
  await assert.rejects(noRetry().balances(), isError(PermissionDeniedError, { httpStatus: 403 }));
});

test('errors: NotFoundError with requestId and body', async () => {
  await assert.rejects(client.getPaymentInvoice('cpi_doesnotexist'), (e) => {
    isError(NotFoundError, { httpStatus: 404 })(e);
    assert.ok(e.requestId);
    assert.ok(e.body.includes('404'));
    return true;
  });
});

test('errors: ConflictError with existing', async () => {
  await fault('GET /api/account/balances', { status: 409 });
  await assert.rejects(noRetry().balances(), (e) => {
    isError(ConflictError, { httpStatus: 409 })(e);
    assert.ok('existing' in e);
    return true;
  });
});

test('errors: ValidationError with fields', async () => {
  await assert.rejects(client.createPaymentInvoice({ service: 'nope', amount: '1', currency: 'USD' }), (e) => {
    isError(ValidationError, { httpStatus: 422 })(e);
    assert.equal(typeof e.fields, 'object');
    assert.ok(Object.keys(e.fields).length >= 1);
    assert.ok(e.referenceId);
    return true;
  });
});

test('errors: RateLimitError with retryAfter', async () => {
  await fault('GET /api/account/balances', { status: 429, retry_after: 7 });
  await assert.rejects(noRetry().balances(), isError(RateLimitError, { httpStatus: 429, retryAfter: 7, retryable: true }));
});

test('errors: APIError (5xx) is retryable', async () => {
  await fault('GET /api/account/balances', { status: 500 });
  await assert.rejects(noRetry().balances(), isError(APIError, { httpStatus: 500 }));
});

test('errors: retries absorb one 503', async () => {
  await fault('GET /api/account/balances', { status: 503, retry_after: 0 }, { nth: 1 });
  const b = await client.balances();
  assert.equal(b.response.httpStatus, 200);
});

test('errors: APIConnectionError', async () => {
  const down = new PayCoreClient({ ...clientOptions(sb), baseUrl: 'http://127.0.0.1:9', maxRetries: 0 });
  await assert.rejects(down.balances(), isError(APIConnectionError, { kind: 'connection' }));
});

test('errors: APITimeoutError from a per-call timeout (and it is an APIConnectionError)', async () => {
  await fault('GET /api/account/balances', { delay_ms: 3000 });
  const started = Date.now();
  await assert.rejects(client.balances({ timeout: 300 }), (e) => {
    isError(APITimeoutError, { kind: 'timeout' })(e);
    assert.ok(e instanceof APIConnectionError);
    return true;
  });
  assert.ok(Date.now() - started < 2500);
});

test('errors: ConfigurationError (secret key given as public key)', () => {
  assert.throws(() => new PayCoreClient(clientOptions(sb, { publicKey: 'sk_test_x' })), isError(ConfigurationError, { kind: 'configuration' }));
});

test('errors: InvalidInputError (inexact number amount) is a RangeError and a PolypayError; nothing sent', async () => {
  await assert.rejects(client.createPaymentInvoice({ ...paid(), amount: 0.1 + 0.2 }), (e) => {
    assert.ok(e instanceof InvalidInputError && e instanceof RangeError && e instanceof PolypayError);
    assert.equal(e.code, 'too_many_decimals');
    assert.equal(e.argument, 'amount');
    return true;
  });
});

test('AbortSignal aborts a call in flight (CancelledError, cause = signal.reason)', async () => {
  await fault('GET /api/account/balances', { delay_ms: 3000 });
  const controller = new AbortController();
  const started = Date.now();
  const p = client.balances({ signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(p, (e) => e instanceof CancelledError && e.cause === controller.signal.reason && e.cause.name === 'AbortError');
  assert.ok(Date.now() - started < 2000);
  const aborted = AbortSignal.abort();
  await assert.rejects(client.balances({ signal: aborted }), (e) => e instanceof CancelledError && e.cause === aborted.reason);
});

test('AbortSignal.timeout works for lists too', async () => {
  await fault('GET /api/payment-invoices', { delay_ms: 3000 });
  const it = client.listPaymentInvoices({ signal: AbortSignal.timeout(100) });
  await assert.rejects(it.next(), (e) => e instanceof CancelledError && e.cause.name === 'TimeoutError');
});

test('1,000 concurrent calls, no unhandled rejection', async () => {
  const unhandled = [];
  const onUnhandled = (r) => unhandled.push(r);
  process.on('unhandledRejection', onUnhandled);
  try {
    const inv = await client.createPaymentInvoice(paid());
    const calls = [];
    for (let i = 0; i < 1000; i++) {
      // A mix of successes and failures (every 10th asks for a missing invoice).
      calls.push(i % 10 === 0 ? client.getPaymentInvoice(`cpi_missing${i}`) : client.getPaymentInvoice(inv.id));
    }
    const results = await Promise.allSettled(calls);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(ok.length, 900);
    assert.equal(failed.length, 100);
    assert.ok(failed.every((r) => r.reason instanceof NotFoundError));
    assert.ok(ok.every((r) => r.value.id === inv.id));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('verifyCallback on the client uses the configured secretKey', async () => {
  const { paycoreCallback } = require('../dist/testing');
  const cb = paycoreCallback({ secretKey: sb.config.paycore.secret_key_test, status: 'processed' });
  const event = client.verifyCallback(cb.body, cb.signature);
  assert.equal(event.status, 'processed');
  assert.equal(event.isSuccess, true);
});

test('results are the native records: exact money text, null for absent, unknown values kept', () => {
  const { signPaycoreBody } = require('../dist/testing');
  const body = '{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"brand_new_status",' +
    '"amount":"100.50","metadata":{"big":123456789012345678901234567890,"n":1.5},"created":"1597833098"}}}';
  const secret = sb.config.paycore.secret_key_test;
  const event = client.verifyCallback(body, signPaycoreBody(body, secret).signature);
  const invoice = event.invoice;
  assert.equal(invoice.status, 'brand_new_status');
  assert.equal(invoice.isFinal, false);
  // The known values are exported (from the core's table); an unknown one arrived as sent.
  assert.equal(polypay.PaymentInvoiceStatus.Processed, 'processed');
  assert.equal(polypay.PayoutInvoiceStatus.Canceled, 'canceled');
  assert.equal(polypay.Resolution.InsufficientFunds, 'insufficient_funds');
  assert.ok(!Object.values(polypay.PaymentInvoiceStatus).includes(invoice.status));
  assert.equal(invoice.amount, '100.5');
  assert.equal(invoice.resolution, null);
  assert.equal(invoice.currency, null);
  assert.equal(invoice.flowData, null);
  assert.equal(invoice.response, null);
  assert.equal(invoice.created, '2020-08-19T10:31:38Z');
  // What the gateway sent reads as JSON.parse reads it (a number too large stays a number).
  assert.deepEqual(invoice.metadata, JSON.parse(body).data.attributes.metadata);
  assert.deepEqual(invoice.raw, JSON.parse(body).data);
  assert.deepEqual(event.raw, JSON.parse(body));
});

test("logging hooks: on('request') and on('response') see every attempt, never a secret", async () => {
  const options = clientOptions(sb);
  const observed = new PayCoreClient(options);
  const seen = [];
  const record = (exchange) => seen.push(exchange);
  observed.on('request', record).on('response', record);
  await fault('GET /api/account/balances', { status: 503 }, { nth: 1 });
  await observed.balances();
  // Delivered on the event loop after the fact: let the queue drain.
  await new Promise((resolve) => setImmediate(resolve));
  const summary = seen.map((e) => [e.event, e.method, e.path, e.attempt, e.status ?? null]);
  assert.deepEqual(summary, [
    ['request', 'GET', '/api/account/balances', 1, null],
    ['response', 'GET', '/api/account/balances', 1, 503],
    ['request', 'GET', '/api/account/balances', 2, null],
    ['response', 'GET', '/api/account/balances', 2, 200],
  ]);
  assert.ok(seen[3].elapsedMs >= 0 && seen[3].requestId);
  const text = JSON.stringify(seen);
  for (const secret of [options.apiKey, options.secretKey, options.publicKey]) {
    if (secret) assert.ok(!text.includes(secret), 'a key in a logging event');
  }

  // A listener that throws is a warning; the call goes on. Removed listeners hear nothing.
  const warnings = [];
  const onWarning = (w) => warnings.push(w.message);
  process.on('warning', onWarning);
  const throwing = () => { throw new Error('listener bug'); };
  observed.on('response', throwing);
  await observed.balances();
  await new Promise((resolve) => setTimeout(resolve, 20));
  process.off('warning', onWarning);
  assert.ok(warnings.some((m) => m.includes('listener bug')), warnings.join('; '));
  observed.off('request', record).off('response', record).off('response', throwing);
  const before = seen.length;
  await observed.balances();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(seen.length, before);
  assert.throws(() => observed.on('sent', record), TypeError);
  assert.throws(() => observed.on('request', 'log'), TypeError);
});
