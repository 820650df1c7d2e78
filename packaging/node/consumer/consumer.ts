// A TypeScript consumer of the installed `polypay` package (make test-dist-node compiles it with
// `tsc --strict` in a fresh npm project): the types come from the tarball, through its exports map.
import {
  PayCoreClient, ValidationError, APITimeoutError, CancelledError, PolypayError, ecommpay, paycore,
  EcommpayGate, type PaymentInvoice, type WithResponse, type CallbackEvent, type EcommpayCallback,
} from 'polypay';
import { paycoreCallback, type Middleware } from 'polypay/express';
import * as testing from 'polypay/testing';

export async function quickstart(baseUrl: string): Promise<string | null> {
  const client = new PayCoreClient({ baseUrl, accountId: 'coma_sandbox', apiKey: 'sandbox_api_key', timeout: 30_000 });
  const invoice: WithResponse<PaymentInvoice> = await client.createPaymentInvoice(
    { service: 'payment_card_usd_hpp', amount: '100.55', currency: 'USD' },
    { timeout: 10_000, signal: AbortSignal.timeout(15_000) },
  );
  for await (const inv of client.listPaymentInvoices({ pageSize: 50 })) {
    const final: boolean = inv.isFinal;
    if (final) break;
  }
  try {
    await client.refundPaymentInvoice(invoice.id, { amount: '10' });
  } catch (e) {
    if (e instanceof ValidationError) console.log(e.fields);
    else if (e instanceof APITimeoutError && e.outcomeUnknown) console.log(e.referenceId);
    else if (e instanceof CancelledError || e instanceof PolypayError) console.log(e.kind, e.code);
    else throw e;
  }
  return invoice.amount;
}

const signature: string = ecommpay.sign({ payment_id: 'X1', payment_amount: 3550 }, 'secret');
const gate = new EcommpayGate({ projectId: 112, secretKey: 'secret' });
const url: string = gate.paymentPageUrl({ payment_id: 'X1', payment_amount: 3550, payment_currency: 'EUR' });
const link: string = paycore.hppUrl({ public_key: 'pk_test_x', amount: '10.50', currency: 'USD' }, { env: 'paymega' });
const signed = testing.paycoreCallback({ secretKey: 'sk_test_x', status: 'processed', amount: '10.00' });
const event: CallbackEvent = paycore.verifyCallback(signed.body, signed.headers['x-signature'], 'sk_test_x');
const route: Middleware = paycoreCallback({ secretKey: 'sk_test_x', handler: async (e: CallbackEvent) => { void e.isSuccess; } });
export const used: [string, string, string, CallbackEvent, Middleware] = [signature, url, link, event, route];
export type Callback = EcommpayCallback;
