// The ecommpay Gate client against `polypay sandbox` over real HTTP.
'use strict';
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { startSandbox } = require('./helpers');
const polypay = require('..');
const { EcommpayGateApi, NotFoundError, ValidationError, APIError, InvalidInputError, AuthenticationError, CancelledError } = polypay;

let sb;
let gate;
before(async () => {
  sb = await startSandbox();
  gate = new EcommpayGateApi(gateOptions());
});
after(async () => { await sb.stop(); });
afterEach(async () => { await sb.admin('DELETE', '/__sandbox/faults'); });

function gateOptions(extra = {}) {
  const { project_id: projectId, secret_key: secretKey, gate_base_url: baseUrl } = sb.config.ecommpay;
  return { projectId, secretKey, baseUrl, statusDelay: 100, timeout: 10_000, ...extra };
}

const pid = () => `node-gate-${randomUUID().slice(0, 12)}`;

/** A payment made as on the Payment Page (the sandbox's shortcut). */
async function paid(paymentId, params = {}) {
  return sb.admin('POST', '/__sandbox/ecommpay/payments', {
    payment_id: paymentId, payment_amount: 1000, payment_currency: 'USD', ...params,
  });
}

test('a refund is accepted, then settled by waitForResult', async () => {
  const paymentId = pid();
  await paid(paymentId);
  const accepted = await gate.refund({ general: { payment_id: paymentId }, payment: { amount: 250, currency: 'USD' } });
  assert.deepEqual([accepted.operation, accepted.paymentId, accepted.reconciled], ['refund', paymentId, false]);
  assert.ok(accepted.requestId && accepted.merchantRefundId);
  const payment = await gate.waitForResult(accepted);
  assert.equal(payment.status, 'partially refunded');
  assert.equal(payment.isFinal, true);
  const op = payment.operations.find((o) => o.requestId === accepted.requestId);
  assert.deepEqual([op.type, op.status, op.sumInitial], ['refund', 'success', { amount: 250, currency: 'USD' }]);
  assert.equal(payment.raw.payment.id, paymentId);
  assert.equal('signature' in payment.raw, false);
  const rest = await gate.refund({ general: { payment_id: paymentId } });
  assert.equal((await gate.waitForResult(rest)).status, 'refunded');
});

test('status, two-step capture and cancel, payouts and stored credentials', async () => {
  const held = pid();
  await paid(held, { card_operation_type: 'auth' });
  assert.equal((await gate.paymentStatus({ general: { payment_id: held } })).status, 'awaiting capture');
  const cancelled = await gate.cancel({ general: { payment_id: held } });
  assert.equal((await gate.waitForResult(cancelled)).status, 'canceled');

  const first = await paid(pid(), { recurring_register: 1 });
  const byToken = await gate.payoutByToken({
    general: { payment_id: pid() }, token: first.account.token, payment: { amount: 300, currency: 'USD' },
  });
  assert.equal((await gate.waitForResult(byToken)).paymentType, 'payout');
  const charge = await gate.recurringCharge({
    general: { payment_id: pid() }, recurring: { id: first.recurring.id }, payment: { amount: 1000, currency: 'USD' },
  });
  const charged = await gate.waitForResult(charge);
  assert.deepEqual([charged.status, charged.paymentType, charged.sum], ['success', 'recurring', { amount: 1000, currency: 'USD' }]);
  const declined = await gate.payout({
    general: { payment_id: pid() }, payment: { amount: 500, currency: 'EUR' },
    card: { pan: '4302912837020000', year: 2040, month: 1 },
  });
  const result = await gate.waitForResult(declined);
  assert.equal(result.status, 'decline');
  assert.equal(result.operations.at(-1).code, '20000');
});

test('a payout committed before a 5xx is reconciled, not doubled', async () => {
  await sb.admin('POST', '/__sandbox/faults', { route: 'POST /v2/payment/card/payout', nth: 1, effect: { status: 502, commit: true } });
  const accepted = await gate.payout({
    general: { payment_id: pid() }, payment: { amount: 700, currency: 'USD' },
    card: { pan: '5519283812030000', year: 2040, month: 1 },
  });
  assert.equal(accepted.reconciled, true);
  const payment = await gate.waitForResult(accepted);
  assert.deepEqual(payment.operations.map((o) => o.type), ['payout']);
});

test('errors carry paymentId and the outcome', async () => {
  await assert.rejects(gate.paymentStatus({ general: { payment_id: 'never-made' } }),
    (e) => e instanceof NotFoundError && e.outcomeUnknown === false);
  const paymentId = pid();
  await paid(paymentId);
  await assert.rejects(gate.refund({ general: { payment_id: paymentId }, payment: { amount: 5000, currency: 'USD' } }),
    (e) => e instanceof ValidationError && e.paymentId === paymentId && e.outcomeUnknown === false);
  await sb.admin('POST', '/__sandbox/faults', { route: 'POST /v2/payment', effect: { status: 503 } });
  await assert.rejects(gate.refund({ general: { payment_id: paymentId } }, { timeout: 1000 }),
    (e) => e instanceof APIError && e.paymentId === paymentId && e.outcomeUnknown === true);
});

test('an aborted refund keeps paymentId and says whether it may have been sent', async () => {
  const paymentId = pid();
  await paid(paymentId);
  await sb.admin('POST', '/__sandbox/faults', { route: 'POST /v2/payment/card/refund', effect: { delay_ms: 2000 } });
  const controller = new AbortController();
  const pending = gate.refund({ general: { payment_id: paymentId } }, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('user left')), 200);
  await assert.rejects(pending, (e) => e instanceof CancelledError && e.paymentId === paymentId && e.outcomeUnknown === true);
});

test('bad requests are refused before anything is sent', async () => {
  const before = (await sb.admin('GET', '/__sandbox/stats')).requests_total;
  const cases = [
    [{}, 'general.payment_id', 'missing_argument'],
    [{ general: { payment_id: 'p' }, payment: { description: 'a;b' } }, 'payment.description', 'semicolon'],
    [{ general: { payment_id: 'p' }, payment: { amount: 10.5, currency: 'USD' } }, 'payment.amount', 'bad_amount'],
    [{ general: { payment_id: 'p', project_id: 1 } }, 'general.project_id', 'project_mismatch'],
  ];
  for (const [request, argument, code] of cases) {
    await assert.rejects(gate.refund(request), (e) => e instanceof InvalidInputError && e.argument === argument && e.code === code);
  }
  await assert.rejects(gate.refund({ general: { payment_id: 'p' } }, { method: '../admin' }),
    (e) => e instanceof InvalidInputError && e.argument === 'method');
  await assert.rejects(gate.refund('not an object'), TypeError);
  assert.throws(() => new EcommpayGateApi({ ...gateOptions(), projectId: '112' }), TypeError);
  assert.throws(() => new EcommpayGateApi({ ...gateOptions(), statusDelay: -1 }), InvalidInputError);
  assert.equal((await sb.admin('GET', '/__sandbox/stats')).requests_total, before + 1, 'only the stats request');
});

test('the secret never shows', async () => {
  const forged = new EcommpayGateApi(gateOptions({ secretKey: 'a-very-secret-key' }));
  assert.ok(!require('node:util').inspect(forged).includes('a-very-secret-key'));
  await assert.rejects(forged.paymentStatus({ general: { payment_id: 'x' } }),
    (e) => e instanceof AuthenticationError && !JSON.stringify(e).includes('a-very-secret-key') && !e.message.includes('a-very-secret-key'));
});

test('every row of the Gate table has a method', () => {
  for (const row of require('../dist/native').native.gateOperationTable()) {
    const name = row.name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
    assert.equal(typeof EcommpayGateApi.prototype[name], 'function', name);
  }
});

test('every Gate operation once, each settled', async () => {
  const [held, released, paidId] = [pid(), pid(), pid()];
  await paid(held, { card_operation_type: 'auth' });
  await paid(released, { card_operation_type: 'auth' });
  const first = await paid(paidId, { recurring_register: 1, customer_id: 'c-9' });
  const usd = { amount: 100, currency: 'USD' };
  const card = { pan: '5519283812030000', year: 2040, month: 1 };
  const writes = {
    capture: await gate.capture({ general: { payment_id: held } }),
    cancel: await gate.cancel({ general: { payment_id: released } }),
    refund: await gate.refund({ general: { payment_id: paidId }, payment: usd }),
    payout: await gate.payout({ general: { payment_id: pid() }, payment: usd, card }),
    payout_by_token: await gate.payoutByToken({ general: { payment_id: pid() }, payment: usd, token: first.account.token }),
    recurring_charge: await gate.recurringCharge({ general: { payment_id: pid() }, payment: usd, recurring: { id: first.recurring.id } }),
  };
  const final = {};
  for (const [name, accepted] of Object.entries(writes)) {
    assert.equal(accepted.operation, name);
    final[name] = (await gate.waitForResult(accepted)).status;
  }
  assert.deepEqual(final, {
    capture: 'success', cancel: 'canceled', refund: 'partially refunded',
    payout: 'success', payout_by_token: 'success', recurring_charge: 'success',
  });
  assert.equal((await gate.requestStatus({ request_id: writes.refund.requestId })).paymentId, paidId);
  const status = await gate.paymentStatus({ general: { payment_id: paidId } });
  assert.deepEqual(status.operations.map((o) => o.type), ['sale', 'refund']);
});
