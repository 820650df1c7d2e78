// A consumer of the public API, type-checked with `tsc --strict` (npm run typecheck).
import express from 'express';
import {
  ecommpay, EcommpayGate, paycore, PayCoreClient, type HttpExchange, PolypayError, ValidationError, ConflictError,
  RateLimitError, APITimeoutError, SignatureVerificationError, CancelledError, type PaymentInvoice,
  type CallbackEvent, type WithResponse, type EcommpayCallback, PaymentInvoiceStatus, Resolution,
} from 'polypay';
import { paycoreCallback, ecommpayCallback } from 'polypay/express';
import {
  decide, MemoryLedger, PostgresLedger, LEDGER_TABLE_SQL, type Verdict, type CallbackLedger, type PgClient,
} from 'polypay/ledger';
import type { LedgerEvent } from 'polypay';
import * as testing from 'polypay/testing';
import Fastify from 'fastify';
import {
  callbackRoutes, rawBodyParser, paycoreCallback as fastifyPaycore, ecommpayCallback as fastifyEcommpay,
} from 'polypay/fastify';
import { paycoreRouteHandler, ecommpayRouteHandler, VERDICT_HEADER } from 'polypay/web';

const signature: string = ecommpay.sign(new Map<string, unknown>([['10', 'a'], ['9', 'b']]), 'secret');
const url: string = ecommpay.paymentPageUrl({ project_id: 112, payment_id: 'X1', payment_amount: 3550 }, 'secret', { baseUrl: 'https://pp.example' });
const gate = new EcommpayGate({ projectId: 112, secretKey: 'secret' });
const cb: EcommpayCallback = gate.verifyCallback(Buffer.from('{}'));
const success: boolean = cb.isSuccess;
const link: string = paycore.hppUrl({ public_key: 'pk_test_x', amount: '10.50', currency: 'USD' }, { env: 'paymega' });
const form = paycore.hppForm('{"public_key":"pk_test_x","amount":1,"currency":"USD"}');
const html: string = form.html;
const fields: [string, string][] = form.fields;

async function main(): Promise<void> {
  const client = new PayCoreClient({ baseUrl: 'http://127.0.0.1:12380', accountId: 'a', apiKey: 'k', timeout: 30_000 });
  client.on('response', (exchange: HttpExchange) => {
    const line: string = `${exchange.method} ${exchange.path} #${exchange.attempt} -> ${exchange.status ?? exchange.error}`;
    console.log(line);
  });
  const invoice: WithResponse<PaymentInvoice> = await client.createPaymentInvoice(
    { service: 'test_usd_test', amount: '100.55', currency: 'USD' },
    { timeout: 5_000, signal: AbortSignal.timeout(10_000) },
  );
  const amount: string | null = invoice.amount;
  const requestId: string | null = invoice.response.requestId;
  for await (const item of client.listPaymentInvoices({ pageSize: 50 })) {
    const status: string = item.status;
    // Known values are typed; another value still fits (the field is `PaymentInvoiceStatus | string`).
    const paid: boolean = item.status === PaymentInvoiceStatus.Processed || item.status === 'brand_new';
    const ok: boolean = item.resolution === Resolution.Ok;
    void status, paid, ok;
  }
  try {
    await client.refundPaymentInvoice(invoice.id, { amount: '1' });
  } catch (e) {
    if (e instanceof ValidationError) console.log(e.fields, e.httpStatus, e.requestId);
    else if (e instanceof ConflictError) console.log(e.existing);
    else if (e instanceof RateLimitError) console.log(e.retryAfter);
    else if (e instanceof APITimeoutError) console.log(e.outcomeUnknown, e.retryable);
    else if (e instanceof PolypayError) console.log(e.kind, e.code, e.body, e.referenceId);
  }
  const found: PaymentInvoice | null = await client.findPaymentInvoice('order-1');
  // @ts-expect-error a refund's request (with its amount) is required
  await client.refundPaymentInvoice(invoice.id);
  const controller = new AbortController();
  try {
    await client.createPaymentInvoice({ service: 'test_usd_test', amount: '1', currency: 'USD' }, { signal: controller.signal });
  } catch (e) {
    if (e instanceof CancelledError && e.outcomeUnknown) {
      const reason: unknown = e.cause;
      const again: PaymentInvoice | null = await client.findPaymentInvoice(e.referenceId ?? '');
      void reason; void again;
    }
  }
  const verified: EcommpayCallback = await ecommpay.verifyCallbackAsync(Buffer.from('{}'), 'secret');
  const viaGate: EcommpayCallback = await gate.verifyCallbackAsync('{}');
  const event: CallbackEvent = await paycore.verifyCallbackAsync('{}', 'sig', 'sk_test_x');
  void found; void amount; void requestId; void verified; void viaGate; void event;
}

const app = express();
app.post('/paycore/callback', express.raw({ type: '*/*' }), paycoreCallback({
  secretKey: 'sk_test_x',
  handler: async (event: CallbackEvent) => {
    if (event.isFinal && event.isSuccess) console.log('paid', event.id);
  },
}));
app.post('/ecommpay/callback', express.raw({ type: '*/*' }), ecommpayCallback({ gate, handler: (c) => console.log(c.paymentId) }));
app.post('/big/callback', paycoreCallback({ secretKey: 'sk_test_x', limit: '2mb', asyncThreshold: 16 * 1024, handler: () => {} }));
app.post('/big/ecommpay', ecommpayCallback({ secretKey: 'secret', limit: 4 * 1024 * 1024, handler: () => {} }));

const signed = testing.paycoreCallback({ secretKey: 'sk_test_x', status: 'processed' });
try {
  paycore.verifyCallback(signed.body, signed.headers['x-signature'], 'sk_test_x');
} catch (e) {
  if (e instanceof SignatureVerificationError) console.log(e.code);
}
void signature; void url; void success; void link; void html; void fields; void main;

// The exactly-once ledger: a verdict, an in-memory ledger, a PostgreSQL one over a structural pool
// (node-postgres's `pg.Pool` fits it), and the middleware's `tx` typed by the ledger.
const ledgerEvent: LedgerEvent = { kind: 'paycore.payment', entityId: 'cpi_1', status: 'processed', time: 1700000000 };
const verdict: Verdict = decide(ledgerEvent, { status: 'created', time: null });
const memory: CallbackLedger<undefined> = new MemoryLedger();
interface Client extends PgClient { tag: 'client' }
declare const pool: { connect(): Promise<Client> };
const pgLedger = new PostgresLedger(pool, { table: 'polypay_callback_ledger' });
async function ledgers(): Promise<void> {
  await pgLedger.ensureSchema();
  const outcome = await pgLedger.apply(ledgerEvent, async (client) => {
    const tag: 'client' = client.tag;
    await client.query('INSERT INTO orders (id) VALUES ($1)', [ledgerEvent.entityId]);
    return tag.length;
  });
  const applied: number | undefined = outcome.result;
  const v: Verdict = (await memory.apply(ledgerEvent, () => 1)).verdict;
  void applied; void v;
}
app.post('/ledger/paycore', express.raw({ type: '*/*' }), paycoreCallback({
  secretKey: 'sk_test_x',
  ledger: pgLedger,
  handler: async (event, req, res, tx) => {
    const kind: string | undefined = event.ledgerEvent?.kind;
    if (tx) await tx.query('UPDATE orders SET status = $1 WHERE id = $2', [event.status, event.id]);
    void kind;
  },
}));
app.post('/ledger/ecommpay', ecommpayCallback({ gate, ledger: memory, handler: (cb, req) => { void cb.ledgerEvent; void req.polypayVerdict; } }));
void verdict; void ledgers; void LEDGER_TABLE_SQL;

// Secrets per request: several keys (rotation) or a function of the request.
app.post('/rotating', express.raw({ type: '*/*' }), paycoreCallback({ secretKey: ['sk_live_new', 'sk_live_old'], handler: () => {} }));
app.post('/accounts/:account', paycoreCallback({
  secretKey: (req) => (req.headers['x-account'] === 'b' ? ['sk_live_b'] : 'sk_live_a'),
  handler: () => {},
}));
app.post('/ecommpay/async-keys', ecommpayCallback({ secretKey: async () => ['one', 'two'], handler: () => {} }));

// Fastify: the plugin and a route handler of one's own, typed against Fastify's own types.
const fastifyApp = Fastify();
fastifyApp.register(callbackRoutes, {
  paycore: { url: '/paycore/callback', secretKey: 'sk_test_x', ledger: pgLedger, handler: async (event, request, reply, tx) => {
    if (tx) await tx.query('UPDATE orders SET status = $1 WHERE id = $2', [event.status, event.id]);
    const v: Verdict | undefined = request.polypayVerdict;
    void reply; void v;
  } },
  ecommpay: { url: '/ecommpay/callback', gate, handler: (cb) => { void cb.paymentId; } },
});
fastifyApp.register(async (scope) => {
  rawBodyParser(scope, { limit: '1mb' });
  scope.post('/own', fastifyPaycore({
    secretKey: (request) => (request.headers['x-account'] === 'b' ? ['sk_b_new', 'sk_b_old'] : 'sk_a'),
    handler: async (event: CallbackEvent) => { void event.id; },
  }));
  scope.post('/own-ecommpay', fastifyEcommpay({ secretKey: 'secret', ledger: memory, handler: () => {} }));
});

// Web-standard route handlers (Next.js App Router: export const POST = ...).
export const POST: (request: Request) => Promise<Response> = paycoreRouteHandler({
  secretKey: (request: Request) => (new URL(request.url).searchParams.get('live') ? 'sk_live_x' : ['sk_test_new', 'sk_test_old']),
  ledger: pgLedger,
  handler: async (event, request, tx) => {
    if (tx) await tx.query('UPDATE orders SET status = $1 WHERE id = $2', [event.status, event.id]);
    if (event.status === 'weird') return new Response('later', { status: 503 });
    return undefined;
  },
  onError: (error, request) => console.error(request.url, error),
});
export const ECOMMPAY_POST = ecommpayRouteHandler({ gate, handler: (cb, request) => { void cb.isSuccess; void request.url; } });
const header: string = VERDICT_HEADER;
void header;
app.post('/by-param/:account', paycoreCallback({ secretKey: (req) => req.params?.account === 'b' ? 'sk_b' : 'sk_a', handler: () => {} }));
const paramsRoute = fastifyPaycore({ secretKey: (request) => ((request.params as { account?: string }).account === 'b' ? 'sk_b' : 'sk_a'), handler: () => {} });
fastifyApp.post('/by-param/:account', paramsRoute);
