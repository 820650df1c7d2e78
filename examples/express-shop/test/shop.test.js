// The Express shop against a real `polypay sandbox` over HTTP: payments through the hosted
// pages and the test service, verified / tampered / duplicate / older callbacks (absorbed by the
// ledger), the parsed-body mistake, reconcile, refund and payouts.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');
const { signPaycoreBody } = require('polypay/testing');
const { startShop, waitFor, form, post } = require('./helpers');
const { createShop, minorUnits } = require('../app');

let s; // the shop, its sandbox
before(async () => { s = await startShop(); });
after(async () => { await s.stop(); });

const orderJson = async (id) => (await fetch(`${s.url}/orders/${id}.json`)).json();
const waitStatus = (id, status) => waitFor(`order ${id} ${status}`, async () => {
  const o = await orderJson(id);
  return o.status === status ? o : null;
});
/** Sandbox delivery log of an invoice, oldest first, once it holds `count` deliveries: the shop
 * records a callback before the sandbox has its answer and logs the delivery. */
const deliveries = (invoiceId, count = 3) => waitFor(`${count} logged deliveries`, async () => {
  const log = (await s.sandbox.admin('GET', `/callbacks?invoice_id=${invoiceId}`)).data;
  return log.length >= count ? log.sort((a, b) => a.at - b.at) : null;
});

/** POST /orders; returns the order id (from the return URL / redirect) and the response. */
async function order(fields) {
  const r = await post(`${s.url}/orders`, { product: 'mug', ...fields });
  return r;
}
const lastOrderId = () => Math.max(...s.shop.orders.keys());

test('test-service payment: paid on the verified callbacks, each one applied once', async () => {
  const r = await order({ gateway: 'paycore-test', test_status: 'success' });
  assert.equal(r.status, 303);
  const id = lastOrderId();
  assert.equal(r.headers.get('location'), `/orders/${id}`);
  const o = await waitStatus(id, 'paid');
  assert.equal(o.amount, '12.50');
  assert.equal(o.currency, 'USD');
  assert.match(o.reference_id, /^order-\d+-[0-9a-f]+$/);
  await waitFor('three callbacks', async () => (await orderJson(id)).callbacks.length === 3);
  const final = await orderJson(id);
  assert.deepEqual(final.callbacks.map((c) => [c.status, c.applied]),
    [['created', true], ['process_pending', true], ['processed', true]]);
  const log = await deliveries(o.invoice_id);
  assert.deepEqual(log.map((d) => [d.transaction_status, d.response_code]),
    [['created', 200], ['process_pending', 200], ['processed', 200]]);
  const page = await (await fetch(`${s.url}/orders/${id}`)).text();
  assert.match(page, /<span id="status">Paid<\/span>/);
});

test('test-service failure: Failed, and a later success callback cannot bring it back', async () => {
  await order({ gateway: 'paycore-test', test_status: 'fail' });
  const id = lastOrderId();
  const o = await waitStatus(id, 'failed');
  const inv = await s.sandbox.admin('GET', `/invoices/${o.invoice_id}`);
  assert.equal(inv.data.resource.attributes.status, 'process_failed');
  // A correctly signed callback saying "processed", newer than anything seen: still Failed.
  const doc = { data: { type: 'payment-invoices', id: o.invoice_id, attributes: {
    status: 'processed', reference_id: o.reference_id, amount: 12.5, currency: 'USD', test_mode: true, updated: o.updated + 60 } } };
  const cb = signPaycoreBody(JSON.stringify(doc), s.config.secretKey);
  const r = await fetch(`${s.url}/callbacks/paycore`, { method: 'POST', headers: cb.headers, body: cb.body });
  assert.equal(r.status, 200);
  const after = await orderJson(id);
  assert.equal(after.status, 'failed');
  assert.deepEqual(after.callbacks.at(-1), { invoice_id: o.invoice_id, status: 'processed', updated: o.updated + 60, applied: false });
});

test('card payment through the hosted page (3-D Secure), then refund', async () => {
  const r = await order({ gateway: 'paycore' });
  assert.equal(r.status, 303);
  const id = lastOrderId();
  const hpp = r.headers.get('location');
  assert.ok(hpp.startsWith(`${s.sandbox.baseUrl}/hpp/?`), hpp);
  const checkout = await (await fetch(hpp)).text();
  const card = form(checkout, 'form-payment_card_usd_hpp');
  const paid = await post(new URL(card.action, hpp), {
    ...card.fields, card_number: '5123817234060000', expiry_month: '12', expiry_year: '30', cvv: '123', card_holder: 'JANE DOE',
  });
  assert.equal(paid.status, 303);
  const threeDs = new URL(paid.headers.get('location'), hpp);
  assert.match(threeDs.pathname, /^\/hpp\/3ds\//);
  const confirm = form(await (await fetch(threeDs)).text(), 'three-ds-form');
  const back = await post(new URL(confirm.action, threeDs), { action: 'confirm' });
  const returned = new URL(back.headers.get('location'));
  assert.equal(`${returned.origin}${returned.pathname}`, `${s.url}/orders/${id}`);
  const o = await waitStatus(id, 'paid');
  assert.equal(returned.searchParams.get('invoice_id'), o.invoice_id);

  const refund = await fetch(`${s.url}/orders/${id}/refund`, { method: 'POST', headers: { accept: 'application/json' } });
  assert.equal(refund.status, 200, await refund.clone().text());
  assert.equal((await refund.json()).refund.amount, '12.5'); // the gateway's exact decimal
  const refunded = await waitStatus(id, 'refunded');
  assert.equal(refunded.callbacks.at(-1).status, 'refunded');
  const again = await fetch(`${s.url}/orders/${id}/refund`, { method: 'POST' });
  assert.equal(again.status, 409);
});

test('tampered, duplicate and older callbacks change nothing', async () => {
  await order({ gateway: 'paycore-test', test_status: 'success' });
  const id = lastOrderId();
  const o = await waitStatus(id, 'paid');
  await waitFor('three callbacks', async () => (await orderJson(id)).callbacks.length === 3);
  const log = await deliveries(o.invoice_id);
  const processed = log.find((d) => d.transaction_status === 'processed');
  const created = log.find((d) => d.transaction_status === 'created');
  const send = (body, signature) => fetch(`${s.url}/callbacks/paycore`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': signature }, body,
  });

  const tampered = await send(processed.body.replace('"amount":12.5', '"amount":1250'), processed.signature);
  assert.equal(tampered.status, 400);
  assert.match(await tampered.text(), /invalid callback/);
  assert.equal((await orderJson(id)).callbacks.length, 3, 'a rejected callback is not recorded');
  assert.equal((await send(processed.body, 'bm90IGEgc2lnbmF0dXJl')).status, 400);

  assert.equal((await send(processed.body, processed.signature)).status, 200); // duplicate
  assert.equal((await send(created.body, created.signature)).status, 200); // older
  await s.sandbox.admin('POST', `/invoices/${o.invoice_id}/callbacks`); // the gateway re-sends
  const after = await waitFor('five callbacks', async () => {
    const cur = await orderJson(id);
    return cur.callbacks.length === 6 ? cur : null;
  });
  assert.equal(after.status, 'paid');
  assert.deepEqual(after.callbacks.slice(3).map((c) => [c.status, c.applied]),
    [['processed', false], ['created', false], ['processed', false]]);
  assert.equal(after.updated, o.updated);
});

test('the ledger absorbs duplicated and stale callbacks: the handler does not run, the order stays', async () => {
  // A shop of its own, to read its log: the handler logs every run ("paycore callback …").
  const logs = [];
  const app = express();
  const server = await new Promise((r) => { const srv = app.listen(0, '127.0.0.1', () => r(srv)); });
  const url = `http://127.0.0.1:${server.address().port}`;
  const shop = createShop({ ...s.config, shopBaseUrl: url }, { log: (line) => logs.push(line) });
  app.use(shop.router);
  app.use(shop.errorHandler);
  try {
    assert.equal((await post(`${url}/orders`, { product: 'mug', gateway: 'paycore-test', test_status: 'success' })).status, 303);
    const order = shop.orders.get(1);
    await waitFor('paid after three callbacks', () => order.status === 'paid' && order.callbacks.length === 3);
    const log = await deliveries(order.invoiceId);
    const processed = log.find((d) => d.transaction_status === 'processed');
    const created = log.find((d) => d.transaction_status === 'created');
    const handlerRuns = () => logs.filter((l) => l.startsWith('paycore callback ')).length;
    const runs = handlerRuns();
    const before = { status: order.status, gatewayStatus: order.gatewayStatus, updated: order.updated };
    const applied = shop.ledger.get('paycore.payment', order.invoiceId);
    assert.equal(applied.status, 'processed');

    const send = (d) => fetch(`${url}/callbacks/paycore`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': d.signature }, body: d.body,
    });
    // The final state five times at once, then the first state again: all acknowledged.
    const answers = await Promise.all([...Array(5).fill(processed), created].map(send));
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200, 200, 200]);

    assert.equal(handlerRuns(), runs, 'the handler ran for a repeated or older state');
    assert.deepEqual({ status: order.status, gatewayStatus: order.gatewayStatus, updated: order.updated }, before);
    assert.deepEqual(shop.ledger.get('paycore.payment', order.invoiceId), applied);
    assert.deepEqual(order.callbacks.slice(3).map((c) => [c.status, c.applied]),
      [...Array(5).fill(['processed', false]), ['created', false]]);
    assert.equal(logs.filter((l) => / processed for .*: duplicate, ignored$/.test(l)).length, 5);
    assert.equal(logs.filter((l) => / created for .*: stale, ignored$/.test(l)).length, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('the parsed-body mistake: express.json() before the callback route is a clear error', async () => {
  const app = express();
  const shop = createShop(s.config);
  app.use(express.json()); // the mistake: the raw bytes are gone before the route sees them
  app.use(shop.router);
  app.use(shop.errorHandler);
  const server = await new Promise((r) => { const srv = app.listen(0, '127.0.0.1', () => r(srv)); });
  try {
    const cb = signPaycoreBody(JSON.stringify({ data: { type: 'payment-invoices', id: 'cpi_x', attributes: { status: 'processed', reference_id: 'r' } } }), s.config.secretKey);
    const r = await fetch(`http://127.0.0.1:${server.address().port}/callbacks/paycore`, { method: 'POST', headers: cb.headers, body: cb.body });
    assert.equal(r.status, 500);
    const body = await r.json();
    assert.equal(body.code, 'parsed_body');
    assert.match(body.error, /express\.raw/);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('reconcile: callbacks lost, the private API answers by reference_id', async () => {
  // A second shop on the same sandbox whose callback URL leads nowhere.
  const lost = createShop({ ...s.config, shopBaseUrl: 'http://127.0.0.1:9' });
  const app = express();
  app.use(lost.router);
  app.use(lost.errorHandler);
  const server = await new Promise((r) => { const srv = app.listen(0, '127.0.0.1', () => r(srv)); });
  const url = `http://127.0.0.1:${server.address().port}`;
  try {
    assert.equal((await post(`${url}/orders`, { product: 'shirt', gateway: 'paycore-test', test_status: 'success' })).status, 303);
    const o = lost.orders.get(1);
    const inv = await s.sandbox.admin('GET', `/invoices/${o.invoiceId}`);
    assert.equal(inv.data.resource.attributes.status, 'processed');
    assert.equal(o.status, 'pending');
    const r = await fetch(`${url}/orders/1/reconcile`, { method: 'POST', headers: { accept: 'application/json' } });
    const body = await r.json();
    assert.equal(body.found, true);
    assert.equal(body.applied, true);
    assert.equal(body.order.status, 'paid');
    assert.equal(body.order.amount, '25.00');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('ecommpay: signed Payment Page URL, card form, verified callback; tampered one refused', async () => {
  const r = await order({ product: 'poster', gateway: 'ecommpay' });
  assert.equal(r.status, 303);
  const id = lastOrderId();
  const pageUrl = r.headers.get('location');
  const params = new URL(pageUrl).searchParams;
  assert.equal(params.get('payment_amount'), '799');
  assert.equal(params.get('merchant_callback_url'), `${s.url}/callbacks/ecommpay`);
  const pageRes = await fetch(pageUrl);
  assert.equal(pageRes.status, 200, 'the sandbox accepted the signature');
  const card = form(await pageRes.text(), 'card-form');
  const back = await post(new URL(card.action, pageUrl), {
    card_number: '5519283812030000', expiry_month: '12', expiry_year: '30', cvv: '123', card_holder: 'JANE DOE',
  });
  assert.equal(back.headers.get('location'), `${s.url}/orders/${id}`);
  const o = await waitStatus(id, 'paid');
  assert.deepEqual(o.callbacks.map((c) => [c.status, c.applied]), [['success', true]]);

  const payments = (await s.sandbox.admin('GET', '/ecommpay/payments')).data;
  const sent = payments.find((p) => p.payment.id === o.reference_id);
  const body = JSON.stringify(sent);
  const send = (b) => fetch(`${s.url}/callbacks/ecommpay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
  assert.equal((await send(body.replace('"status":"success"', '"status":"decline"'))).status, 400);
  assert.equal((await send(body)).status, 200);
  const after = await orderJson(id);
  assert.equal(after.status, 'paid');
  assert.deepEqual(after.callbacks.map((c) => c.applied), [true, false]);
});

test('ecommpay: refunded through Gate, Refunded on the verified callback, never twice', async () => {
  const r = await order({ product: 'poster', gateway: 'ecommpay' });
  const id = lastOrderId();
  const pageUrl = r.headers.get('location');
  const card = form(await (await fetch(pageUrl)).text(), 'card-form');
  await post(new URL(card.action, pageUrl), {
    card_number: '5519283812030000', expiry_month: '12', expiry_year: '30', cvv: '123', card_holder: 'JANE DOE',
  });
  const paid = await waitStatus(id, 'paid');
  assert.match(await (await fetch(`${s.url}/orders/${id}`)).text(), /id="refund"/);
  const refund = await fetch(`${s.url}/orders/${id}/refund`, { method: 'POST', headers: { accept: 'application/json' } });
  assert.equal(refund.status, 202);
  const body = await refund.json();
  assert.ok(body.refund.requestId);
  assert.equal(body.refund.reconciled, false);
  const refunded = await waitStatus(id, 'refunded');
  assert.deepEqual(refunded.callbacks.map((c) => [c.status, c.applied]), [['success', true], ['refunded', true]]);
  const again = await fetch(`${s.url}/orders/${id}/refund`, { method: 'POST', headers: { accept: 'application/json' } });
  assert.equal(again.status, 409);
  // Reconcile asks the Gate: refunded already, nothing to apply.
  const rec = await (await fetch(`${s.url}/orders/${id}/reconcile`, { method: 'POST', headers: { accept: 'application/json' } })).json();
  assert.deepEqual([rec.found, rec.applied, rec.order.status], [true, false, 'refunded']);
  const { EcommpayGateApi } = require('polypay');
  const gate = new EcommpayGateApi({ projectId: 112, secretKey: 'ecommpay_sandbox_secret', baseUrl: s.sandbox.baseUrl, statusDelay: 0 });
  const status = await gate.paymentStatus({ general: { payment_id: paid.reference_id } });
  assert.deepEqual(status.operations.map((op) => op.type), ['sale', 'refund']);
});

test('payouts: 201, then processed by the verified payout callback', async () => {
  const r = await fetch(`${s.url}/payouts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount: '5.00', currency: 'USD', account: '4111111111' }),
  });
  assert.equal(r.status, 201);
  const created = await r.json();
  assert.equal(created.status, 'pending');
  assert.match(created.invoice_id, /^cpoi_/);
  const p = await waitFor('payout processed', async () => {
    const cur = await (await fetch(`${s.url}/payouts/${created.id}.json`)).json();
    return cur.status === 'processed' && cur.callbacks.length === 3 ? cur : null;
  });
  assert.equal(p.amount, '5.00');
  // Even the callbacks that raced the 201 found the payout.
  assert.deepEqual(p.callbacks.map((c) => [c.status, c.applied]),
    [['created', true], ['process_pending', true], ['processed', true]]);
  const inv = await s.sandbox.admin('GET', `/invoices/${created.invoice_id}`);
  assert.equal(inv.data.resource.attributes.status, 'processed');
});

test('bad input: typed 4xx answers, nothing sent', async () => {
  const payout = (body) => fetch(`${s.url}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const floaty = await payout({ amount: 5.1, account: '4111' }); // money must be a decimal string
  assert.equal(floaty.status, 422);
  assert.ok((await floaty.json()).errors.amount);
  assert.equal((await payout({ amount: '5.00', account: 'not-digits' })).status, 422);
  assert.equal((await order({ product: 'nope', gateway: 'paycore' })).status, 400);
  assert.equal((await order({ gateway: 'bitcoin' })).status, 400);
  assert.equal((await fetch(`${s.url}/orders/999.json`)).status, 404);
  assert.equal(minorUnits('7.99'), 799);
  assert.equal(minorUnits('25'), 2500);
});
