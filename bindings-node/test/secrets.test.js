// Secrets per request (lib/callbacks.ts), through polypay/express: one key, several tried in turn
// while a key is rotated, a function of the request (several accounts), and what a function that
// gives no key does (a ConfigurationError: an error status, never a 200).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');
const { ConfigurationError, SignatureVerificationError, EcommpayGate } = require('..');
const { paycoreCallback, ecommpayCallback, VERDICT_HEADER } = require('../dist/express');
const { secretsOption, secretsFor, firstMatch } = require('../dist/callbacks');
const { MemoryLedger } = require('../dist/ledger');
const testing = require('../dist/testing');

const OLD = 'sk_test_old_key';
const NEW = 'sk_test_new_key';
const ACCOUNTS = { shop_a: 'sk_live_account_a', shop_b: ['sk_live_account_b_new', 'sk_live_account_b_old'] };
const handled = [];
const errors = [];
let resolverCalls = 0;
let server;
let url;

before(async () => {
  const app = express();
  const handler = (event, req) => { handled.push([req.path, event.id ?? event.paymentId]); };
  app.post('/rotation', paycoreCallback({ secretKey: [NEW, OLD], handler }));
  app.post('/account/:account', paycoreCallback({
    secretKey: (req) => { resolverCalls++; return ACCOUNTS[req.params.account] ?? []; },
    handler,
  }));
  app.post('/async-resolver', paycoreCallback({ secretKey: async () => [NEW], handler }));
  app.post('/throwing-resolver', paycoreCallback({ secretKey: () => { throw new Error('vault down'); }, handler }));
  app.post('/bad-resolver/:kind', paycoreCallback({
    secretKey: (req) => ({ empty: '', none: undefined, number: 7, holes: [NEW, ''] })[req.params.kind],
    handler,
  }));
  app.post('/ecommpay/:project', ecommpayCallback({
    secretKey: (req) => ({ 112: ['ec_new', 'ec_old'], 113: 'ec_other' })[req.params.project] ?? [],
    ledger: new MemoryLedger(),
    handler,
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

const post = (path, cb) => fetch(`${url}${path}`, {
  method: 'POST', headers: cb.headers ?? {}, body: cb.body, signal: AbortSignal.timeout(10000),
});
const idOf = (cb) => JSON.parse(cb.body).data.id;

test('rotation: a body signed with the new key or the old one is accepted; any other key is a 400', async () => {
  for (const key of [NEW, OLD]) {
    const cb = testing.paycoreCallback({ secretKey: key });
    const res = await post('/rotation', cb);
    assert.equal(res.status, 200, key);
    assert.ok(handled.some(([p, id]) => p === '/rotation' && id === idOf(cb)));
  }
  const stranger = testing.paycoreCallback({ secretKey: 'sk_test_someone_else' });
  const res = await post('/rotation', stranger);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid callback/);
  assert.ok(!handled.some(([, id]) => id === idOf(stranger)));
  // A body that is not a callback document at all is refused as well (not tried as a key error).
  const junk = testing.signPaycoreBody('{"nope":1}', OLD);
  assert.equal((await post('/rotation', junk)).status, 400);
});

test('a function of the request picks the account\'s keys; an unknown account gets no 200', async () => {
  const a = testing.paycoreCallback({ secretKey: ACCOUNTS.shop_a });
  assert.equal((await post('/account/shop_a', a)).status, 200);
  // Account B is rotating too: its old key still works.
  const b = testing.paycoreCallback({ secretKey: ACCOUNTS.shop_b[1] });
  assert.equal((await post('/account/shop_b', b)).status, 200);
  // Account A's body sent to B's URL: B's keys do not match it.
  assert.equal((await post('/account/shop_b', testing.paycoreCallback({ secretKey: ACCOUNTS.shop_a }))).status, 400);
  // No account: the resolver gives an empty list, a ConfigurationError, 500 via next(err).
  const before = errors.length;
  const unknown = testing.paycoreCallback({ secretKey: ACCOUNTS.shop_a });
  const res = await post('/account/shop_z', unknown);
  assert.equal(res.status, 500);
  assert.ok(errors[before] instanceof ConfigurationError);
  assert.equal(errors[before].code, 'missing_secret');
  assert.match(errors[before].message, /empty array/);
  assert.ok(!handled.some(([, id]) => id === idOf(unknown)));
  assert.ok(resolverCalls >= 4);
  assert.equal((await post('/async-resolver', testing.paycoreCallback({ secretKey: NEW }))).status, 200);
});

test('a resolver that throws or returns an empty or odd value: ConfigurationError, 500, handler not called', async () => {
  const cases = [['/throwing-resolver', /vault down/], ['/bad-resolver/empty', /empty string/],
    ['/bad-resolver/none', /undefined/], ['/bad-resolver/number', /a number/], ['/bad-resolver/holes', /\[1\] is an empty string/]];
  for (const [path, message] of cases) {
    const before = errors.length;
    const cb = testing.paycoreCallback({ secretKey: NEW });
    const res = await post(path, cb);
    assert.equal(res.status, 500, path);
    assert.ok(errors[before] instanceof ConfigurationError, path);
    assert.match(errors[before].message, message, path);
    assert.ok(!handled.some(([, id]) => id === idOf(cb)), path);
  }
});

test('ecommpay: keys by project, rotation, the ledger\'s verdict in Polypay-Verdict', async () => {
  for (const [key, verdict] of [['ec_old', 'apply'], ['ec_new', 'duplicate']]) {
    const { body } = testing.ecommpayCallback({ secretKey: key, projectId: 112, paymentId: 'rot-1' });
    const res = await post('/ecommpay/112', { body });
    assert.equal(res.status, 200, key);
    assert.equal(res.headers.get(VERDICT_HEADER), verdict);
  }
  const { body } = testing.ecommpayCallback({ secretKey: 'ec_old', projectId: 113, paymentId: 'rot-2' });
  assert.equal((await post('/ecommpay/113', { body })).status, 400);
  const before = errors.length;
  assert.equal((await post('/ecommpay/999', { body })).status, 500);
  assert.ok(errors[before] instanceof ConfigurationError);
});

test('the option is checked when the helper is made', () => {
  const handler = () => {};
  assert.throws(() => paycoreCallback({ handler }), (e) => e instanceof TypeError && /options\.secretKey/.test(e.message));
  assert.throws(() => paycoreCallback({ secretKey: 5, handler }), TypeError);
  for (const secretKey of ['', [], [NEW, ''], [NEW, 3]]) {
    assert.throws(() => paycoreCallback({ secretKey, handler }), ConfigurationError, JSON.stringify(secretKey));
  }
  assert.throws(() => ecommpayCallback({ handler }), TypeError);
  assert.throws(() => ecommpayCallback({ gate: {}, handler }), /options\.gate/);
  assert.equal(typeof ecommpayCallback({ gate: new EcommpayGate({ projectId: 1, secretKey: 's' }), handler }), 'function');
  assert.equal(typeof paycoreCallback({ secretKey: () => NEW, handler }), 'function');
});

test('firstMatch moves on only after a SignatureVerificationError', async () => {
  const tried = [];
  const bad = new SignatureVerificationError('no match');
  assert.equal(await firstMatch(['a', 'b', 'c'], (k) => { tried.push(k); if (k !== 'b') throw bad; return k; }), 'b');
  assert.deepEqual(tried, ['a', 'b']);
  await assert.rejects(firstMatch(['a', 'b'], () => { throw bad; }), (e) => e === bad);
  const other = new Error('boom');
  const seen = [];
  await assert.rejects(firstMatch(['a', 'b'], (k) => { seen.push(k); throw other; }), (e) => e === other);
  assert.deepEqual(seen, ['a']);
  assert.deepEqual(await secretsFor(secretsOption('one'), {}), ['one']);
  assert.deepEqual(await secretsFor(secretsOption((r) => r.keys), { keys: ['x', 'y'] }), ['x', 'y']);
  await assert.rejects(secretsFor(secretsOption(() => []), {}), ConfigurationError);
});
