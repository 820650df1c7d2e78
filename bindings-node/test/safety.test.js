// Edge safety of the addon itself (issue 14): a panic is a JS Error, never an abort; callback
// verification off the main thread gives the same answers and lets the event loop run; every
// timeout meets the core's one rule; a refund needs its amount. Nothing here needs the sandbox:
// a local listener stands in for the gateway and counts what reaches it.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const polypay = require('..');
const testing = require('../dist/testing');
const native = require('../build/native.js'); // the same addon instance the package loaded

const { PayCoreClient, EcommpayGate, ecommpay, paycore, PolypayError, InvalidInputError } = polypay;

let server;
let hits = 0;
let baseUrl;
before(async () => {
  server = http.createServer((req, res) => { hits++; res.statusCode = 500; res.end(); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});
after(() => new Promise((r) => server.close(r)));

const options = (extra = {}) => ({ baseUrl, accountId: 'coma_x', apiKey: 'key', maxRetries: 0, ...extra });
const vectors = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'vectors', name), 'utf8')).cases;

// --- panics --------------------------------------------------------------------------------------

test('a panic in a sync export is a JS Error, and the process goes on', () => {
  assert.throws(() => native.panicProbe('probe: sync panic'), (e) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /probe: sync panic/);
    return true;
  });
  // The addon still works afterwards (nothing was left poisoned).
  assert.equal(ecommpay.sign({ a: '1' }, 's'), ecommpay.sign({ a: '1' }, 's'));
  assert.throws(() => native.panicProbe('again'), /again/);
});

test('a panic in an async export rejects its promise', async () => {
  await assert.rejects(native.panicProbeAsync('probe: async panic'), (e) => e instanceof Error && /panic/i.test(e.message));
  assert.equal(ecommpay.sign({ a: '1' }, 's'), ecommpay.sign({ a: '1' }, 's'));
});

// --- verification off the main thread ------------------------------------------------------------

/** What a verification gave, comparable across the sync and async variants. */
function outcome(run) {
  const settle = (value) => ({ ok: true, value: JSON.parse(JSON.stringify(value)) });
  const failed = (e) => {
    assert.ok(e instanceof PolypayError, `${e && e.name}: ${e && e.message}`);
    return { ok: false, name: e.name, kind: e.kind, code: e.code, argument: e.argument, message: e.message };
  };
  try {
    const result = run();
    return result instanceof Promise ? result.then(settle, failed) : settle(result);
  } catch (e) {
    return failed(e);
  }
}

test('ecommpay verifyCallbackAsync: identical to the sync call on every callback vector', async () => {
  const cases = vectors('ecommpay_callback.json');
  assert.ok(cases.length > 0);
  for (const c of cases) {
    const gate = new EcommpayGate({ projectId: 1, secretKey: c.secret });
    for (const body of [c.body, Buffer.from(c.body, 'utf8')]) {
      const sync = outcome(() => ecommpay.verifyCallback(body, c.secret));
      assert.deepEqual(await outcome(() => ecommpay.verifyCallbackAsync(body, c.secret)), sync, c.id);
      assert.deepEqual(await outcome(() => gate.verifyCallbackAsync(body)), sync, `${c.id} (gate)`);
      assert.equal(sync.ok, c.valid, c.id);
    }
  }
});

test('paycore verifyCallbackAsync: identical to the sync call on every callback vector', async () => {
  const cases = vectors('paycore_callback.json');
  assert.ok(cases.length > 0);
  for (const c of cases) {
    const body = Buffer.from(c.body, 'utf8');
    const sync = outcome(() => paycore.verifyCallback(body, c.signature, c.secret));
    assert.deepEqual(await outcome(() => paycore.verifyCallbackAsync(body, c.signature, c.secret)), sync, c.id);
    assert.equal(sync.ok ? null : sync.kind, c.error, c.id);
  }
});

test('verifyCallbackAsync refuses bad arguments by rejecting, as the sync call throws', async () => {
  await assert.rejects(ecommpay.verifyCallbackAsync({ parsed: true }, 's'), TypeError);
  await assert.rejects(ecommpay.verifyCallbackAsync('{}', 5), TypeError);
  await assert.rejects(paycore.verifyCallbackAsync('{}', undefined, 'sk_test_x'), TypeError);
});

/** A signed ecommpay callback whose synchronous verification takes at least `ms`. */
function slowCallback(ms) {
  for (let items = 1000; ; items *= 2) {
    const extra = { items: Array.from({ length: items }, (_, i) => ({ sku: `item-${i}`, qty: i % 7, price: '12.50' })) };
    const body = Buffer.from(testing.ecommpayCallback({ secretKey: 'secret', projectId: 112, extra }).body);
    const started = process.hrtime.bigint();
    const callback = ecommpay.verifyCallback(body, 'secret');
    const took = Number(process.hrtime.bigint() - started) / 1e6;
    if (took >= ms || body.length > 64 * 1024 * 1024) return { body, took, callback };
  }
}

test('the event loop keeps ticking while a large body is verified asynchronously', async () => {
  const { body, took, callback } = slowCallback(60);
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  let result;
  try {
    result = await ecommpay.verifyCallbackAsync(body, 'secret');
  } finally {
    clearInterval(timer);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(result)), JSON.parse(JSON.stringify(callback)));
  // Synchronously, the loop would not have run once in `took` ms.
  assert.ok(ticks >= 3, `${ticks} interval ticks while verifying ${body.length} bytes (${took.toFixed(0)} ms when synchronous)`);
});

// --- timeouts: the core's one rule --------------------------------------------------------------

const BAD_TIMEOUTS = [NaN, -1, 0, 1e19, 1e300, Infinity, -Infinity, 86_400_001];

function invalidTimeout(argument) {
  return (e) => {
    assert.ok(e instanceof InvalidInputError, `${e && e.name}: ${e && e.message}`);
    assert.ok(e instanceof RangeError && e instanceof PolypayError);
    assert.equal(e.kind, 'invalid_input');
    assert.equal(e.code, 'invalid_timeout');
    assert.equal(e.argument, argument);
    assert.ok(e.message.includes(argument), e.message);
    return true;
  };
}

test('counts: maxRetries and pageSize out of the core bounds are InvalidInputErrors naming the option', () => {
  const cases = [['maxRetries', 'bad_retries', [11, -1, 2.5, NaN, Infinity], [0, 10]],
    ['pageSize', 'bad_page_size', [0, 1001, 1.5, -3, NaN], [1, 1000]]];
  for (const [key, code, bad, good] of cases) {
    for (const value of bad) {
      assert.throws(() => new PayCoreClient(options({ [key]: value })), (e) => {
        assert.ok(e instanceof InvalidInputError, `${key}=${value}: ${e && e.message}`);
        assert.equal(e.code, code);
        assert.equal(e.argument, `options.${key}`);
        return true;
      });
    }
    for (const value of good) assert.doesNotThrow(() => new PayCoreClient(options({ [key]: value })), `${key}: ${value}`);
  }
  const client = new PayCoreClient(options());
  for (const value of [0, 1001, 2.5]) {
    assert.throws(() => client.listPaymentInvoices({ pageSize: value }), (e) =>
      e instanceof InvalidInputError && e.code === 'bad_page_size' && e.argument === 'options.pageSize', `list pageSize ${value}`);
  }
  assert.equal(hits, 0);
});

test('client options timeout, connectTimeout, requestTimeout: every bad value is an InvalidInputError naming it', () => {
  for (const key of ['timeout', 'connectTimeout', 'requestTimeout']) {
    for (const value of BAD_TIMEOUTS) {
      assert.throws(() => new PayCoreClient(options({ [key]: value })), invalidTimeout(`options.${key}`), `${key}: ${value}`);
    }
    for (const value of [0.5, 1, 250, 86_400_000]) {
      assert.doesNotThrow(() => new PayCoreClient(options({ [key]: value })), `${key}: ${value}`);
    }
    assert.throws(() => new PayCoreClient(options({ [key]: '5s' })), TypeError);
  }
  assert.equal(hits, 0);
});

test('per-call options.timeout: every bad value rejects with an InvalidInputError naming it; nothing sent', async () => {
  const client = new PayCoreClient(options());
  for (const value of BAD_TIMEOUTS) {
    await assert.rejects(client.getPaymentInvoice('cpi_x', { timeout: value }), invalidTimeout('options.timeout'), String(value));
    await assert.rejects(client.createPaymentInvoice({ service: 'test_usd_test', amount: '1', currency: 'USD' }, { timeout: value }),
      invalidTimeout('options.timeout'), String(value));
    assert.throws(() => client.listPaymentInvoices({ timeout: value }), invalidTimeout('options.timeout'), String(value));
  }
  assert.equal(hits, 0, 'a request was sent');
  // A fractional timeout within the rule is fine: the call runs (and fails at the stand-in gateway).
  await assert.rejects(client.getPaymentInvoice('cpi_x', { timeout: 1500.5 }), (e) => e instanceof polypay.APIError);
  assert.equal(hits, 1);
  hits = 0;
});

// --- refunds need their amount -------------------------------------------------------------------

test('a refund without amount is the core\'s InvalidInputError naming amount; without a request, a TypeError', async () => {
  const client = new PayCoreClient(options());
  await assert.rejects(client.refundPaymentInvoice('cpi_x', {}), (e) => {
    assert.ok(e instanceof InvalidInputError, `${e.name}: ${e.message}`);
    assert.equal(e.code, 'missing');
    assert.equal(e.argument, 'amount');
    return true;
  });
  await assert.rejects(client.refundPaymentInvoice('cpi_x', { reference_id: 'r-1' }), (e) => e instanceof InvalidInputError && e.argument === 'amount');
  await assert.rejects(client.refundPaymentInvoice('cpi_x'), (e) => e instanceof TypeError && /request/.test(e.message));
  assert.equal(hits, 0, 'a refund without amount was sent');
});
