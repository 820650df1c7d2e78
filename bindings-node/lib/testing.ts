// Signed-callback builders for your own tests: bodies signed exactly as the gateways sign them.
import { randomUUID } from 'node:crypto';
import { ecommpay, paycore } from './index';
import { requireString, toJson } from './convert';

export interface SignedPaycoreCallback {
  /** The raw body (send it byte for byte). */
  body: string;
  /** The `X-Signature` header value. */
  signature: string;
  /** Headers to send with the body. */
  headers: { 'content-type': string; 'x-signature': string };
}

export interface PaycoreCallbackOptions {
  /** The secret key (`sk_test_…`) your app verifies with. */
  secretKey: string;
  type?: 'payment-invoices' | 'payout-invoices' | string;
  id?: string;
  status?: string;
  resolution?: string;
  amount?: string | number;
  currency?: string;
  referenceId?: string;
  testMode?: boolean;
  /** More attributes, merged last. */
  attributes?: Record<string, unknown>;
}

/** A signed PayCore callback for an invoice in the given state. */
export function paycoreCallback(options: PaycoreCallbackOptions): SignedPaycoreCallback {
  requireString(options?.secretKey, 'options.secretKey');
  const type = options.type ?? 'payment-invoices';
  const prefix = type === 'payout-invoices' ? 'cpoi_' : 'cpi_';
  const document = {
    data: {
      type,
      id: options.id ?? prefix + randomUUID().replace(/-/g, '').slice(0, 16),
      attributes: {
        status: options.status ?? 'processed',
        resolution: options.resolution ?? 'ok',
        amount: options.amount ?? 100,
        currency: options.currency ?? 'USD',
        reference_id: options.referenceId ?? randomUUID(),
        test_mode: options.testMode ?? true,
        ...options.attributes,
      },
    },
  };
  return signPaycoreBody(toJson(document, 'document'), options.secretKey);
}

/** Signs any raw body as PayCore does. */
export function signPaycoreBody(body: string, secretKey: string): SignedPaycoreCallback {
  const signature = paycore.signCallback(body, secretKey);
  return { body, signature, headers: { 'content-type': 'application/json', 'x-signature': signature } };
}

export interface EcommpayCallbackOptions {
  secretKey: string;
  projectId: number;
  paymentId?: string;
  status?: string;
  /** Minor units. */
  amount?: number;
  currency?: string;
  /** More top-level members, merged last. */
  extra?: Record<string, unknown>;
}

/** A signed ecommpay callback body (the signature is inside the body, as ecommpay sends it). */
export function ecommpayCallback(options: EcommpayCallbackOptions): { body: string } {
  requireString(options?.secretKey, 'options.secretKey');
  const body: Record<string, unknown> = {
    project_id: options.projectId,
    payment: {
      id: options.paymentId ?? `pay-${randomUUID()}`,
      type: 'purchase',
      status: options.status ?? 'success',
      sum: { amount: options.amount ?? 1000, currency: options.currency ?? 'EUR' },
    },
    operation: {
      id: Math.floor(Math.random() * 1e12),
      type: 'sale',
      status: options.status ?? 'success',
      code: '0',
      message: 'Success',
    },
    ...options.extra,
  };
  const json = toJson(body, 'body');
  body.signature = ecommpay.sign(json, options.secretKey);
  return { body: toJson(body, 'body') };
}
