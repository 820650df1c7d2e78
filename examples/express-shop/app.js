// The example shop: products, orders paid through the PayCore Hosted Payment Page (a link or
// the auto-redirect form), the sandbox test service or the ecommpay Payment Page; refunds (ecommpay's
// through Gate) and
// payouts through the PayCore private API. Orders change only on a verified callback (or an
// explicit reconcile), each gateway state exactly once: the callback routes and reconcile go
// through polypay's ledger (polypay/ledger), which absorbs repeated and older states. State is
// kept in memory (a MemoryLedger too): this is an example, not a store.
'use strict';
const crypto = require('node:crypto');
const express = require('express');
const {
  PayCoreClient, EcommpayGate, EcommpayGateApi, paycore, PolypayError, ValidationError, InvalidInputError, NotFoundError,
} = require('polypay');
const { paycoreCallback, ecommpayCallback } = require('polypay/express');
const { MemoryLedger } = require('polypay/ledger');

const PRODUCTS = {
  mug: { sku: 'mug', name: 'Enamel mug', price: '12.50' },
  shirt: { sku: 'shirt', name: 'Organic T-shirt', price: '25.00' },
  poster: { sku: 'poster', name: 'Gateway poster', price: '7.99' },
};
const GATEWAYS = ['paycore', 'paycore-form', 'paycore-test', 'ecommpay'];
const CURRENCY = 'USD';

/** The shop contract's environment variables, with the sandbox's defaults. */
function configFromEnv(env = process.env) {
  const port = Number(env.PORT || 3000);
  const paycoreBase = (env.PAYCORE_BASE_URL || 'http://127.0.0.1:12380').replace(/\/+$/, '');
  return {
    port,
    shopBaseUrl: (env.SHOP_BASE_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, ''),
    paycoreBaseUrl: paycoreBase,
    publicKey: env.PAYCORE_PUBLIC_KEY || 'pk_test_sandbox',
    secretKey: env.PAYCORE_SECRET_KEY || 'sk_test_sandbox',
    accountId: env.PAYCORE_ACCOUNT_ID || 'coma_sandbox',
    apiKey: env.PAYCORE_API_KEY || 'sandbox_api_key',
    ecommpayProjectId: Number(env.ECOMMPAY_PROJECT_ID || 112),
    ecommpaySecretKey: env.ECOMMPAY_SECRET_KEY || 'ecommpay_sandbox_secret',
    ecommpayBaseUrl: (env.ECOMMPAY_BASE_URL || `${paycoreBase}/ecommpay`).replace(/\/+$/, ''),
    // The Gate API (refunds, status): https://api.ecommpay.com for a real project.
    ecommpayGateUrl: (env.ECOMMPAY_GATE_URL || paycoreBase).replace(/\/+$/, ''),
    // ms before a status request may follow a request: 10 000, as documented; less on a sandbox.
    ecommpayStatusDelay: Number(env.ECOMMPAY_STATUS_DELAY_MS || 10_000),
  };
}

// ------------------------------------------------------------------------ state transitions

// Which gateway state is new, repeated or older is the ledger's to say (the core's rule for each
// gateway's lifecycle); the shop only maps a new state onto its order.
const PAYMENT_STATUS = {
  processed: 'paid', refund_pending: 'paid', partially_refunded: 'paid',
  process_failed: 'failed', expired: 'failed', decline: 'failed',
  refunded: 'refunded', success: 'paid',
};
const PAYOUT_STATUS = { processed: 'processed', process_failed: 'failed', expired: 'failed' };
// Final states never go back; `paid` can only become `refunded`. The ledger already orders the
// states of one invoice; this guards the order, which could see more than one invoice.
const NEXT = {
  pending: ['pending', 'paid', 'failed', 'refunded', 'processed'],
  paid: ['paid', 'refunded'],
  failed: [], refunded: [], processed: [],
};

/** Moves an order or payout to a new gateway state (one the ledger said to apply); returns
 * whether the order's rules allowed it. */
function transition(record, { invoiceId, status, updated }, mapping) {
  const target = mapping[status] ?? 'pending';
  if (!NEXT[record.status].includes(target)) return false;
  record.status = target;
  record.gatewayStatus = status;
  record.updated = updated;
  record.invoiceId = record.invoiceId ?? invoiceId;
  return true;
}

/** Unix seconds of the invoice's `updated` (the resource carries it as a number). */
function unixUpdated(invoice) {
  const raw = invoice.raw?.attributes?.updated;
  if (Number.isInteger(raw)) return raw;
  return invoice.updated ? Math.floor(Date.parse(invoice.updated) / 1000) : 0;
}

/** "12.50" → 1250, exactly (ecommpay amounts are in minor units). */
function minorUnits(amount) {
  const [units, cents = ''] = amount.split('.');
  return Number(units) * 100 + Number(cents.padEnd(2, '0'));
}

// ------------------------------------------------------------------------------------ HTML

const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · polypay Express shop</title></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
const label = (status) => status.charAt(0).toUpperCase() + status.slice(1);

function orderJson(o) {
  return {
    id: o.id, reference_id: o.referenceId, gateway: o.gateway, status: o.status,
    amount: o.amount, currency: o.currency, invoice_id: o.invoiceId, updated: o.updated,
    callbacks: o.callbacks,
  };
}

function payoutJson(p) {
  return {
    id: p.id, reference_id: p.referenceId, status: p.status, invoice_id: p.invoiceId,
    amount: p.amount, currency: p.currency, updated: p.updated, callbacks: p.callbacks,
  };
}

// ------------------------------------------------------------------------------------- shop

/** The shop's routes (a Router) and its state. `createApp` mounts them the right way. `ledger`:
 * where applied gateway states are kept (a PostgresLedger when orders live in PostgreSQL). */
function createShop(config, { log = () => {}, ledger = new MemoryLedger() } = {}) {
  const client = new PayCoreClient({
    baseUrl: config.paycoreBaseUrl,
    publicKey: config.publicKey,
    accountId: config.accountId,
    apiKey: config.apiKey,
    secretKey: config.secretKey,
    timeout: 30_000,
  });
  const gate = new EcommpayGate({
    projectId: config.ecommpayProjectId, secretKey: config.ecommpaySecretKey, baseUrl: config.ecommpayBaseUrl,
  });
  const gateApi = new EcommpayGateApi({
    projectId: config.ecommpayProjectId, secretKey: config.ecommpaySecretKey, baseUrl: config.ecommpayGateUrl,
    statusDelay: config.ecommpayStatusDelay, timeout: 30_000,
  });
  const orders = new Map();
  const payouts = new Map();
  let nextOrder = 1;
  let nextPayout = 1;
  const newRef = (prefix, id) => `${prefix}-${id}-${crypto.randomBytes(4).toString('hex')}`;
  const byReference = (map, ref) => [...map.values()].find((r) => r.referenceId === ref);
  const router = express.Router();

  /** The order or payout a ledger event is about (its invoice id, or ecommpay's payment_id). */
  const recordOf = ({ kind, entityId }) => {
    if (kind === 'ecommpay.payment') return byReference(orders, entityId);
    const map = kind === 'paycore.payout' ? payouts : orders;
    return [...map.values()].find((r) => r.invoiceId === entityId);
  };
  // The callback routes' view of the ledger: a repeated or older state is absorbed (the handler
  // does not run, the gateway gets its 200) and still listed on the order's page, as ignored.
  const callbackLedger = {
    async apply(event, handler) {
      const outcome = await ledger.apply(event, handler);
      const record = outcome.verdict === 'apply' ? undefined : recordOf(event);
      if (record) {
        record.callbacks.push({ invoice_id: event.entityId, status: event.status, updated: event.time ?? 0, applied: false });
        log(`callback ${event.entityId} ${event.status} for ${record.referenceId}: ${outcome.verdict}, ignored`);
      }
      return outcome;
    },
  };

  // Callbacks first, with the raw body: the signature covers the exact bytes.
  router.post('/callbacks/paycore', express.raw({ type: '*/*' }), paycoreCallback({
    secretKey: config.secretKey,
    ledger: callbackLedger,
    // Runs once per new invoice state (the ledger's verdict `apply`).
    handler: (event) => {
      const invoice = event.invoice;
      if (!invoice) return; // other resource types: acknowledged, nothing to do
      const payout = event.eventType === 'payout-invoices';
      const record = byReference(payout ? payouts : orders, invoice.referenceId);
      if (!record) {
        log(`callback for unknown ${event.eventType} ${event.id} (${invoice.referenceId}): acknowledged`);
        return;
      }
      const state = { invoiceId: event.id, status: event.status, updated: event.ledgerEvent?.time ?? unixUpdated(invoice) };
      const applied = transition(record, state, payout ? PAYOUT_STATUS : PAYMENT_STATUS);
      record.callbacks.push({ invoice_id: event.id, status: event.status, updated: state.updated, applied });
      log(`paycore callback ${event.id} ${event.status} for ${record.referenceId}: ${applied ? 'applied' : 'ignored'}`);
    },
  }));
  router.post('/callbacks/ecommpay', express.raw({ type: '*/*' }), ecommpayCallback({
    gate,
    ledger: callbackLedger,
    handler: (cb) => {
      const order = byReference(orders, cb.paymentId);
      if (!order || order.gateway !== 'ecommpay') {
        log(`ecommpay callback for unknown payment ${cb.paymentId}: acknowledged`);
        return;
      }
      // The ledger event's time: `operation.date`, else `payment.date`, in unix seconds.
      const state = { invoiceId: cb.paymentId, status: cb.paymentStatus ?? 'unknown', updated: cb.ledgerEvent?.time ?? 0 };
      const applied = transition(order, state, PAYMENT_STATUS);
      order.callbacks.push({ invoice_id: cb.paymentId, status: state.status, updated: state.updated, applied });
      log(`ecommpay callback ${cb.paymentId} ${state.status}: ${applied ? 'applied' : 'ignored'}`);
    },
  }));

  router.get('/', (req, res) => {
    const items = Object.values(PRODUCTS).map((p) =>
      `<li><a href="/products/${esc(p.sku)}">${esc(p.name)}</a> — <span class="price">${esc(p.price)} ${CURRENCY}</span></li>`);
    res.send(page('Products', `<ul id="products">${items.join('')}</ul><p><a href="/orders">Orders</a></p>`));
  });

  router.get('/products/:sku', (req, res) => {
    const p = PRODUCTS[req.params.sku];
    if (!p) return res.status(404).send(page('Not found', '<p>No such product.</p>'));
    res.send(page(p.name, `<p class="price">${esc(p.price)} ${CURRENCY}</p>
<form method="post" action="/orders"><input type="hidden" name="product" value="${esc(p.sku)}">
<label for="gateway">Pay with</label> <select name="gateway" id="gateway">
<option value="paycore" selected>Card (PayCore hosted page)</option>
<option value="paycore-form">Card (PayCore hosted page, form post)</option>
<option value="paycore-test">PayCore test service</option>
<option value="ecommpay">Card (ecommpay Payment Page)</option></select>
<label for="test_status">Test outcome</label> <select name="test_status" id="test_status">
<option value="success">success</option><option value="fail">fail</option><option value="pending">pending</option></select>
<button type="submit" id="pay">Pay</button></form>`));
  });

  router.get('/orders', (req, res) => {
    const rows = [...orders.values()].map((o) =>
      `<li><a href="/orders/${o.id}">#${o.id}</a> ${esc(o.amount)} ${esc(o.currency)} ${esc(o.gateway)} ${label(o.status)}</li>`);
    res.send(page('Orders', `<ul>${rows.join('')}</ul>`));
  });

  router.post('/orders', express.urlencoded({ extended: false }), async (req, res, next) => {
    const product = PRODUCTS[req.body?.product];
    const gateway = req.body?.gateway || 'paycore';
    const testStatus = req.body?.test_status || 'success';
    if (!product) return res.status(400).send(page('Bad order', '<p>Unknown product.</p>'));
    if (!GATEWAYS.includes(gateway)) return res.status(400).send(page('Bad order', '<p>Unknown gateway.</p>'));
    if (!['success', 'fail', 'pending'].includes(testStatus)) {
      return res.status(400).send(page('Bad order', '<p>test_status must be success, fail or pending.</p>'));
    }
    const id = nextOrder++;
    const order = {
      id, referenceId: newRef('order', id), gateway, status: 'pending', gatewayStatus: null,
      amount: product.price, currency: CURRENCY, product: product.sku, invoiceId: null,
      updated: null, callbacks: [], refund: null,
    };
    orders.set(id, order);
    const returnUrl = `${config.shopBaseUrl}/orders/${id}`;
    const hppParams = {
      public_key: config.publicKey, amount: order.amount, currency: order.currency,
      reference_id: order.referenceId, description: product.name, return_url: returnUrl,
    };
    try {
      if (gateway === 'paycore') {
        return res.redirect(303, paycore.hppUrl(hppParams, { baseUrl: config.paycoreBaseUrl }));
      }
      if (gateway === 'paycore-form') {
        // The process form needs the service: it skips the method choice.
        const form = paycore.hppForm({ ...hppParams, service: `payment_card_${CURRENCY.toLowerCase()}_hpp` },
          { baseUrl: config.paycoreBaseUrl, buttonLabel: 'Pay' });
        return res.send(page('Redirecting to payment', `${form.html}
<script>document.forms[0].submit();</script>`));
      }
      if (gateway === 'paycore-test') {
        // Test operations (test_mode) are signed with the test secret the shop verifies with.
        const invoice = await client.createPaymentInvoice({
          service: `test_${CURRENCY.toLowerCase()}_test`, amount: order.amount, currency: order.currency,
          reference_id: order.referenceId, description: product.name, test_mode: true,
          service_fields: { status: testStatus }, return_url: returnUrl,
          callback_url: `${config.shopBaseUrl}/callbacks/paycore`,
        });
        order.invoiceId = invoice.id; // the status still waits for the verified callback
        return res.redirect(303, `/orders/${id}`);
      }
      const url = gate.paymentPageUrl({
        project_id: config.ecommpayProjectId, payment_id: order.referenceId,
        payment_amount: minorUnits(order.amount), payment_currency: order.currency,
        payment_description: product.name,
        merchant_success_url: returnUrl, merchant_fail_url: returnUrl,
        merchant_callback_url: `${config.shopBaseUrl}/callbacks/ecommpay`,
      });
      return res.redirect(303, url);
    } catch (error) {
      // The order stays pending: an unknown outcome is settled by reconcile or a callback.
      return next(error);
    }
  });

  // `/orders/7` (HTML) and `/orders/7.json`.
  const findOrder = (req) => {
    const m = /^(\d+)(\.json)?$/.exec(req.params.id);
    return m ? { order: orders.get(Number(m[1])), json: Boolean(m[2]) } : { order: undefined };
  };

  router.get('/orders/:id', (req, res) => {
    const { order: o, json } = findOrder(req);
    if (!o) return json ? res.status(404).json({ error: 'not found' }) : res.status(404).send(page('Not found', '<p>No such order.</p>'));
    if (json) return res.json(orderJson(o));
    const callbacks = o.callbacks.map((c) =>
      `<li>${esc(c.invoice_id)} ${esc(c.status)} (updated ${esc(c.updated)}) ${c.applied ? 'applied' : 'ignored'}</li>`);
    const refund = o.status === 'paid'
      ? `<form method="post" action="/orders/${o.id}/refund"><button type="submit" id="refund">Refund</button></form>` : '';
    res.send(page(`Order #${o.id}`, `<p>Status: <span id="status">${label(o.status)}</span></p>
<p>Amount: <span id="amount">${esc(o.amount)} ${esc(o.currency)}</span> · gateway <span id="gateway">${esc(o.gateway)}</span>
· invoice <span id="invoice">${esc(o.invoiceId ?? '—')}</span> · reference <code>${esc(o.referenceId)}</code></p>
<h2>Callbacks received</h2><ul id="callbacks">${callbacks.join('')}</ul>
<form method="post" action="/orders/${o.id}/reconcile"><button type="submit" id="reconcile">Reconcile</button></form>${refund}
<p><a href="/">Shop</a></p>`));
  });

  const wantsJson = (req) => (req.get('accept') || '').includes('application/json');

  /** A state the API reported, applied like a callback's: through the same ledger, so that a
   * callback of that state arriving later is a duplicate. */
  const reconcileState = async (order, event) => {
    const outcome = await ledger.apply(event, () =>
      transition(order, { invoiceId: event.entityId, status: event.status, updated: event.time ?? 0 }, PAYMENT_STATUS));
    return outcome.verdict === 'apply' && outcome.result;
  };

  router.post('/orders/:id/reconcile', async (req, res, next) => {
    const o = orders.get(Number(req.params.id));
    if (!o) return res.status(404).json({ error: 'not found' });
    try {
      if (o.gateway === 'ecommpay') {
        // The Gate's status request, applied exactly like a callback.
        let payment = null;
        try {
          payment = await gateApi.paymentStatus({ general: { payment_id: o.referenceId } });
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error; // NotFound: never confirmed by the customer
        }
        let applied = false;
        if (payment?.status) {
          const date = payment.raw.operations?.at(-1)?.date;
          const updated = date ? Math.floor(Date.parse(date) / 1000) : null;
          applied = await reconcileState(o, { kind: 'ecommpay.payment', entityId: o.referenceId, status: payment.status, time: updated });
        }
        if (wantsJson(req)) return res.json({ found: Boolean(payment), applied, order: orderJson(o) });
        return res.redirect(303, `/orders/${o.id}`);
      }
      const invoice = await client.findPaymentInvoice(o.referenceId);
      let applied = false;
      if (invoice) {
        applied = await reconcileState(o, { kind: 'paycore.payment', entityId: invoice.id, status: invoice.status, time: unixUpdated(invoice) });
      }
      if (wantsJson(req)) return res.json({ found: Boolean(invoice), applied, order: orderJson(o) });
      return res.redirect(303, `/orders/${o.id}`);
    } catch (error) {
      return next(error);
    }
  });

  router.post('/orders/:id/refund', async (req, res, next) => {
    const o = orders.get(Number(req.params.id));
    if (!o) return res.status(404).json({ error: 'not found' });
    if (o.status !== 'paid' || (o.gateway !== 'ecommpay' && !o.invoiceId)) {
      return res.status(409).json({ error: 'only paid orders can be refunded', status: o.status });
    }
    try {
      if (o.gateway === 'ecommpay') {
        // Full refund through Gate: accepted now, Refunded on the verified callback. The fixed
        // merchant_refund_id makes a second click find the first refund, never make another.
        const accepted = await gateApi.refund({
          general: { payment_id: o.referenceId, merchant_callback_url: `${config.shopBaseUrl}/callbacks/ecommpay` },
          payment: { merchant_refund_id: `refund-${o.referenceId}`, description: `Refund of order ${o.id}` },
        });
        o.refund = { requestId: accepted.requestId, reconciled: accepted.reconciled };
        if (wantsJson(req)) return res.status(202).json({ refund: o.refund, order: orderJson(o) });
        return res.redirect(303, `/orders/${o.id}`);
      }
      // Full refund; the order becomes Refunded on the verified `refunded` callback.
      const refund = await client.refundPaymentInvoice(o.invoiceId, { amount: o.amount, reference_id: `refund-${o.referenceId}` });
      o.refund = { id: refund.id, status: refund.status, amount: refund.amount };
      if (wantsJson(req)) return res.json({ refund: o.refund, order: orderJson(o) });
      return res.redirect(303, `/orders/${o.id}`);
    } catch (error) {
      return next(error);
    }
  });

  router.post('/payouts', express.json(), async (req, res, next) => {
    const { amount, currency = CURRENCY, account, reference_id: reference } = req.body ?? {};
    const problems = {};
    if (typeof amount !== 'string' || !/^\d+(\.\d{1,2})?$/.test(amount)) problems.amount = 'a decimal string such as "5.00"';
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) problems.currency = 'an ISO currency code such as "USD"';
    if (typeof account !== 'string' || !/^\d{1,15}$/.test(account)) problems.account = '1 to 15 digits';
    if (reference !== undefined && (typeof reference !== 'string' || reference === '')) problems.reference_id = 'a non-empty string';
    if (Object.keys(problems).length) return res.status(422).json({ errors: problems });
    const id = nextPayout++;
    const payout = {
      id, referenceId: reference ?? newRef('payout', id), status: 'pending', gatewayStatus: null,
      amount, currency, invoiceId: null, updated: null, callbacks: [],
    };
    // Stored before the call: the gateway's first callbacks can arrive before its 201 does.
    payouts.set(id, payout);
    try {
      const invoice = await client.createPayoutInvoice({
        service: `test_${currency.toLowerCase()}`, amount, currency, reference_id: payout.referenceId,
        fields: { account }, test_mode: true, callback_url: `${config.shopBaseUrl}/callbacks/paycore`,
      });
      payout.invoiceId = invoice.id; // the status follows the verified payout callbacks
      return res.status(201).json({ id, reference_id: payout.referenceId, status: payout.status, invoice_id: invoice.id });
    } catch (error) {
      if (error instanceof ValidationError) {
        payouts.delete(id); // refused: nothing was created
        return res.status(422).json({ errors: error.fields });
      }
      return next(error); // an unknown outcome keeps the payout: its callbacks will tell
    }
  });

  router.get('/payouts/:id', (req, res) => {
    const m = /^(\d+)(\.json)?$/.exec(req.params.id);
    const p = m && payouts.get(Number(m[1]));
    if (!p) return res.status(404).json({ error: 'not found' });
    return res.json(payoutJson(p));
  });

  /** Errors: the gateway's (API, connection) as 502 with their kind, ours as 500; polypay's
   * messages never carry a secret. */
  function errorHandler(error, req, res, next) { // eslint-disable-line no-unused-vars
    log(`error on ${req.method} ${req.path}: ${error.message}`);
    const gatewayError = error instanceof PolypayError && !(error instanceof InvalidInputError) && error.kind !== 'configuration';
    res.status(gatewayError ? 502 : 500).json({ error: error.message, kind: error.kind ?? null, code: error.code ?? null });
  }

  return { router, errorHandler, orders, payouts, client, ledger };
}

/** The app as it should be mounted: the shop's routes carry their own body parsers. */
function createApp(config, options) {
  const shop = createShop(config, options);
  const app = express();
  app.use(shop.router);
  app.use(shop.errorHandler);
  return { app, shop };
}

module.exports = { createApp, createShop, configFromEnv, transition, minorUnits, PRODUCTS };
