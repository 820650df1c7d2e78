// Bad input: each case throws (or rejects with) the documented error, and nothing is sent.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const polypay = require('..');
const { PayCoreClient, EcommpayGate, ecommpay, paycore, InvalidInputError, ConfigurationError, PolypayError } = polypay;

let server;
let hits = 0;
let client;
before(async () => {
  server = http.createServer((req, res) => { hits++; res.statusCode = 500; res.end(); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  client = new PayCoreClient({
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    publicKey: 'pk_test_x', accountId: 'coma_x', apiKey: 'key', secretKey: 'sk_test_x', maxRetries: 0,
  });
});
after(() => new Promise((r) => server.close(r)));

const deep = (n) => { let v = {}; for (let i = 0; i < n; i++) v = { a: v }; return v; };
const good = { service: 'test_usd_test', amount: '1.00', currency: 'USD' };

// [name, thunk (sync throw or rejected promise), Error class, argument the message must name]
const cases = [
  ['sign: params is a number', () => ecommpay.sign(42, 's'), TypeError, 'params'],
  ['sign: params is an array', () => ecommpay.sign([1, 2], 's'), TypeError, 'params'],
  ['sign: secret is not a string', () => ecommpay.sign({ a: 1 }, 42), TypeError, 'secret'],
  ['sign: NaN value', () => ecommpay.sign({ payment_amount: NaN }, 's'), RangeError, 'params.payment_amount'],
  ['sign: Infinity value', () => ecommpay.sign({ x: { y: Infinity } }, 's'), RangeError, 'params.x.y'],
  ['sign: function value', () => ecommpay.sign({ f() {} }, 's'), TypeError, 'params.f'],
  ['sign: symbol value', () => ecommpay.sign({ s: Symbol('x') }, 's'), TypeError, 'params.s'],
  ['sign: nested deeper than 64', () => ecommpay.sign(deep(70), 's'), RangeError, 'nested deeper'],
  ['sign: malformed JSON text', () => ecommpay.sign('{"a":', 's'), InvalidInputError, 'params'],
  ['sign: JSON text that is not an object', () => ecommpay.sign('[1]', 's'), InvalidInputError, 'params'],
  ['sign: Map with a symbol key', () => ecommpay.sign(new Map([[Symbol('k'), 1]]), 's'), TypeError, 'params'],
  ['verifyCallback: parsed object body', () => ecommpay.verifyCallback({ signature: 'x' }, 's'), TypeError, 'already parsed'],
  ['verifyCallback: number body', () => ecommpay.verifyCallback(12, 's'), TypeError, 'body'],
  ['paycore.verifyCallback: parsed object body', () => paycore.verifyCallback({ data: {} }, 'sig', 'sk_test_x'), TypeError, 'express.raw'],
  ['paycore.verifyCallback: signature not a string', () => paycore.verifyCallback('{}', undefined, 'sk_test_x'), TypeError, 'signature'],
  ['paycore.signCallback: secret with a trailing newline', () => paycore.signCallback('{}', 'sk_test_x\n'), InvalidInputError, 'secret'],
  ['hppUrl: lower-case currency', () => paycore.hppUrl({ public_key: 'pk_test_x', amount: 1, currency: 'usd' }), InvalidInputError, 'currency'],
  ['hppUrl: options not an object', () => paycore.hppUrl({ public_key: 'pk_test_x' }, 'paycore'), TypeError, 'options'],
  ['gate: projectId not an integer', () => new EcommpayGate({ projectId: '112', secretKey: 's' }), TypeError, 'options.projectId'],
  ['gate: missing secretKey', () => new EcommpayGate({ projectId: 112 }), TypeError, 'options.secretKey'],
  ['client: options missing', () => new PayCoreClient(), TypeError, 'options'],
  ['client: apiKey not a string', () => new PayCoreClient({ apiKey: 5 }), TypeError, 'options.apiKey'],
  ['client: plain http to a remote host', () => new PayCoreClient({ baseUrl: 'http://pay.example.com', apiKey: 'k', accountId: 'a' }), ConfigurationError, ''],
  ['client: unknown env', () => new PayCoreClient({ env: 'nowhere' }), PolypayError, 'env'],
  ['create: request not an object', () => client.createPaymentInvoice('x'), TypeError, 'request'],
  ['create: inexact number amount', () => client.createPaymentInvoice({ ...good, amount: 0.1 + 0.2 }), InvalidInputError, 'amount'],
  ['create: too many decimals (string)', () => client.createPaymentInvoice({ ...good, amount: '1.001' }), InvalidInputError, 'amount'],
  ['create: negative amount', () => client.createPaymentInvoice({ ...good, amount: '-5' }), InvalidInputError, 'amount'],
  ['create: unknown currency', () => client.createPaymentInvoice({ ...good, currency: 'XXQ' }), InvalidInputError, 'currency'],
  ['create: NaN amount', () => client.createPaymentInvoice({ ...good, amount: NaN }), RangeError, 'request.amount'],
  ['get: id not a string', () => client.getPaymentInvoice(123), TypeError, 'id'],
  ['get: empty id', () => client.getPaymentInvoice(''), RangeError, 'id'],
  ['get: timeout negative', () => client.getPaymentInvoice('cpi_x', { timeout: -1 }), RangeError, 'options.timeout'],
  ['get: timeout not a number', () => client.getPaymentInvoice('cpi_x', { timeout: '5s' }), TypeError, 'options.timeout'],
  ['get: signal not an AbortSignal', () => client.getPaymentInvoice('cpi_x', { signal: {} }), TypeError, 'options.signal'],
  ['refund: id missing', () => client.refundPaymentInvoice(undefined, { amount: '1' }), TypeError, 'id'],
  ['payout: zero amount', () => client.createPayoutInvoice({ service: 'test_usd', amount: '0', currency: 'USD', fields: { account: '1' } }), InvalidInputError, 'amount'],
  ['list: pageSize zero', () => client.listPaymentInvoices({ pageSize: 0 }), RangeError, 'options.pageSize'],
  ['list: referenceId not a string', () => client.listPaymentInvoices({ referenceId: 5 }), TypeError, 'options.referenceId'],
];

for (const [name, thunk, Class, mention] of cases) {
  test(`bad input: ${name}`, async () => {
    const before = hits;
    let error;
    try {
      await thunk();
    } catch (e) {
      error = e;
    }
    assert.ok(error, 'no error');
    assert.ok(error instanceof Class, `${error.name}: ${error.message} is not a ${Class.name}`);
    assert.ok(error.message.includes(mention), `message ${JSON.stringify(error.message)} does not name ${mention}`);
    assert.equal(hits, before, 'a request was sent');
  });
}

test('nothing was sent by any bad-input case', () => {
  assert.equal(hits, 0);
  assert.ok(cases.length >= 20);
});
