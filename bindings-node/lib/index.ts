// polypay for Node.js: a thin layer over the Rust core (see README.md).
import { native } from './native';
import type {
  Operation, CallArgs, NativeClient, NativePager, CallbackEvent as NativeCallbackEvent, PaymentInvoice, PayoutInvoice,
  PaymentService, PayoutService, Refund, Balances, Prerequest, ResponseInfo,
  PaymentInvoiceStatus as NativePaymentInvoiceStatus, PayoutInvoiceStatus as NativePayoutInvoiceStatus,
  Resolution as NativeResolution, EcommpayCallback as NativeEcommpayCallback, EcommpaySum, EcommpayOperation,
  HppForm, GateOperation, GateAccepted, GatePayment as NativeGatePayment, NativeGateApi, LedgerEvent,
  HttpExchange,
} from '../native';
import { call, fromNative, CancelledError } from './errors';
import {
  flatPairs, paramsJson, rawBody, requireSecret, requireString, optionalString, nonEmptyString, toJson, describe,
  type RawBody,
} from './convert';

export {
  PolypayError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
  ValidationError, RateLimitError, APIError, APIConnectionError, APITimeoutError,
  SignatureVerificationError, ConfigurationError, InvalidInputError, CancelledError,
  type ErrorKind, type PolypayErrorFields,
} from './errors';
export type { RawBody } from './convert';

/** Parameters: a plain object, a `Map` (keeps integer-like keys in your order) or JSON text
 * (keeps key order and exact number lexemes). */
export type Params = Record<string, unknown> | Map<string, unknown> | string;

// ------------------------------------------------------------------------------------ ecommpay

/** Adds `raw` (the body parsed with JSON.parse, on first access) to a verified callback. */
function withRaw<T extends object>(typed: T, body: Buffer | string): T & { raw: Record<string, unknown> } {
  let cache: Record<string, unknown> | undefined;
  const raw = () => (cache ??= JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as Record<string, unknown>);
  Object.defineProperty(typed, 'raw', { enumerable: true, configurable: true, get: raw });
  return typed as T & { raw: Record<string, unknown> };
}

export type { EcommpaySum, EcommpayOperation, LedgerEvent, HttpExchange } from '../native';
export type { Verdict, CallbackLedger } from './ledger';

/** A verified ecommpay callback: its typed fields (native, see `native.d.ts`) and the whole body
 * in `raw`. */
export type EcommpayCallback = NativeEcommpayCallback & { readonly raw: Record<string, unknown> };

/** A verified ecommpay callback: its typed fields as own properties, `raw` parsed on first use.
 * A class rather than `withRaw`: a prototype getter costs nothing per callback, where defining
 * one on each object is paid on every verification. */
class VerifiedEcommpayCallback implements EcommpayCallback {
  readonly projectId: number | null;
  readonly paymentId: string | null;
  readonly paymentType: string | null;
  readonly paymentStatus: string | null;
  readonly paymentSum: EcommpaySum | null;
  readonly paymentMethod: string | null;
  readonly customerId: string | null;
  readonly cardToken: string | null;
  readonly cardMask: string | null;
  readonly recurringId: string | null;
  readonly operation: EcommpayOperation | null;
  readonly isSuccess: boolean;
  readonly ledgerEvent: LedgerEvent | null;
  readonly #body: Buffer | string;
  #raw: Record<string, unknown> | undefined;

  /** `json`: the typed fields as JSON text (see `EcommpayCallback` in src/records.rs). */
  constructor(json: string, body: Buffer | string) {
    const typed = JSON.parse(json) as NativeEcommpayCallback;
    this.projectId = typed.projectId;
    this.paymentId = typed.paymentId;
    this.paymentType = typed.paymentType;
    this.paymentStatus = typed.paymentStatus;
    this.paymentSum = typed.paymentSum;
    this.paymentMethod = typed.paymentMethod;
    this.customerId = typed.customerId;
    this.cardToken = typed.cardToken;
    this.cardMask = typed.cardMask;
    this.recurringId = typed.recurringId;
    this.operation = typed.operation;
    this.isSuccess = typed.isSuccess;
    this.ledgerEvent = typed.ledgerEvent;
    this.#body = body;
  }

  /** The whole body (JSON.parse), signatures included. */
  get raw(): Record<string, unknown> {
    return (this.#raw ??= JSON.parse(typeof this.#body === 'string' ? this.#body : this.#body.toString('utf8')) as Record<string, unknown>);
  }

  toJSON(): object { return { ...this, raw: this.raw }; }
}

export interface PaymentPageOptions {
  /** Payment Page base URL (default `https://paymentpage.ecommpay.com`). */
  baseUrl?: string;
}

/** What is passed to sign `params`: flat pairs when they can be (see `flatPairs`), else JSON
 * text (checked: a TypeError or RangeError names the bad path). */
function signable(params: unknown): [string, number] | string {
  return flatPairs(params) ?? paramsJson(params, 'params');
}

function signWith(input: [string, number] | string, params: Params, secret: string): string {
  if (typeof input !== 'string') {
    const [joined, pairs] = input;
    const signature = call(() => native.ecommpaySignPairs(joined, pairs, secret));
    if (signature !== null) return signature;
  }
  // JSON text, or the pairs held a NUL in a key or value.
  const json = typeof input === 'string' ? input : paramsJson(params, 'params');
  return call(() => native.ecommpaySign(json, secret));
}

export const ecommpay = {
  /** The ecommpay signature (base64 HMAC-SHA512) of `params`. Pass a `Map` or JSON text when
   * the order of integer-like keys matters (JS objects list them first). */
  sign(params: Params, secret: string): string {
    const input = signable(params);
    requireSecret(secret, 'secret');
    return signWith(input, params, secret);
  },
  /** `best_before` as the Payment Page expects it (PHP's `DateTime::format('c')`, in UTC):
   * `paymentPageUrl({ ..., best_before: ecommpay.bestBefore(new Date(Date.now() + 3600e3)) })`. */
  bestBefore(at: Date): string {
    if (!(at instanceof Date)) throw new TypeError(`at must be a Date, got ${describe(at)}`);
    return call(() => native.ecommpayBestBefore(at.getTime()));
  },
  /** The `;`-joined string that is signed (for diagnosis). */
  stringToSign(params: Params): string {
    const json = paramsJson(params, 'params');
    return call(() => native.ecommpayStringToSign(json));
  },
  /** The signed Payment Page URL. */
  paymentPageUrl(params: Params, secret: string, options: PaymentPageOptions = {}): string {
    const json = paramsJson(params, 'params');
    requireSecret(secret, 'secret');
    const baseUrl = optionalString(options?.baseUrl, 'options.baseUrl');
    return call(() => native.ecommpayPaymentPageUrl(json, secret, baseUrl));
  },
  /** Verifies a callback from its raw body; throws `SignatureVerificationError`. */
  verifyCallback(body: RawBody, secret: string): EcommpayCallback {
    const raw = rawBody(body);
    requireSecret(secret, 'secret');
    return new VerifiedEcommpayCallback(call(() => native.ecommpayVerifyCallback(raw, secret)), raw);
  },
  /** `verifyCallback` on the libuv thread pool, for large bodies: the same result or error
   * (as a rejection), while the event loop keeps serving other requests. Do not change the
   * Buffer until the promise settles. */
  async verifyCallbackAsync(body: RawBody, secret: string): Promise<EcommpayCallback> {
    const raw = rawBody(body);
    requireSecret(secret, 'secret');
    return new VerifiedEcommpayCallback(await callAsync(() => native.ecommpayVerifyCallbackAsync(raw, secret)), raw);
  },
};

/** Runs an async native call, rejecting with its error as the matching class. */
async function callAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    throw fromNative(error);
  }
}

export interface EcommpayGateOptions {
  projectId: number;
  secretKey: string;
  /** Payment Page base URL (default `https://paymentpage.ecommpay.com`). */
  baseUrl?: string;
}

/** An ecommpay project: its id, its secret key and the Payment Page base URL, checked once. */
export class EcommpayGate {
  readonly #projectId: number;
  readonly #secretKey: string;
  readonly #baseUrl: string;

  constructor(options: EcommpayGateOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    const { projectId, secretKey, baseUrl } = options;
    if (typeof projectId !== 'number' || !Number.isSafeInteger(projectId)) {
      throw new TypeError(`options.projectId must be an integer, got ${describe(projectId)}`);
    }
    requireSecret(secretKey, 'options.secretKey');
    const base = optionalString(baseUrl, 'options.baseUrl');
    this.#baseUrl = call(() => native.ecommpayGateBaseUrl(projectId, secretKey, base));
    this.#projectId = projectId;
    this.#secretKey = secretKey;
  }

  get projectId(): number { return this.#projectId; }
  get baseUrl(): string { return this.#baseUrl; }

  sign(params: Params): string {
    return signWith(signable(params), params, this.#secretKey);
  }

  /** The signed Payment Page URL; `project_id` is put first when `params` lacks it. */
  paymentPageUrl(params: Params): string {
    const json = paramsJson(params, 'params');
    return call(() => native.ecommpayGatePaymentPageUrl(json, this.#projectId, this.#secretKey, this.#baseUrl));
  }

  verifyCallback(body: RawBody): EcommpayCallback {
    const raw = rawBody(body);
    return new VerifiedEcommpayCallback(call(() => native.ecommpayVerifyCallback(raw, this.#secretKey)), raw);
  }

  /** `verifyCallback` on the libuv thread pool (see `ecommpay.verifyCallbackAsync`). */
  async verifyCallbackAsync(body: RawBody): Promise<EcommpayCallback> {
    const raw = rawBody(body);
    return new VerifiedEcommpayCallback(await callAsync(() => native.ecommpayVerifyCallbackAsync(raw, this.#secretKey)), raw);
  }

  /** Never shows the secret. */
  toJSON(): object { return { projectId: this.projectId, baseUrl: this.baseUrl }; }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `EcommpayGate { projectId: ${this.projectId}, baseUrl: '${this.baseUrl}' }`;
  }
}

// ------------------------------------------------------------------------------------ PayCore

// The result types are the native records, declared in `native.d.ts` from the core's record
// table: money is exact decimal text, times RFC 3339 UTC text, absent values null.
export type {
  FlowData, PaymentInvoice, PayoutInvoice, PaymentService, PayoutService, Refund, CurrencyAccount,
  Balances,
  PrerequestService, Prerequest, ResponseInfo,
} from '../native';

// The known values of `status` and `resolution` (`PaymentInvoiceStatus.Processed === 'processed'`),
// from the core's open-enum table. Fields are typed `PaymentInvoiceStatus | string`: a value this
// SDK version does not know arrives as sent.
export const PaymentInvoiceStatus = native.PaymentInvoiceStatus;
export type PaymentInvoiceStatus = NativePaymentInvoiceStatus;
export const PayoutInvoiceStatus = native.PayoutInvoiceStatus;
export type PayoutInvoiceStatus = NativePayoutInvoiceStatus;
export const Resolution = native.Resolution;
export type Resolution = NativeResolution;

/** A decimal amount, exact, as a string (`"100.55"`). */
export type Decimal = string;

/** A call's result: `response` says what the HTTP exchange said. */
export type WithResponse<T> = T & { response: ResponseInfo };

/** A verified PayCore callback: the native event plus `raw`, the whole document. */
export type CallbackEvent = NativeCallbackEvent & { raw: Record<string, unknown> };

export interface HppOptions {
  /** `paycore` (default) or `paymega`. */
  env?: 'paycore' | 'paymega';
  /** A custom base URL (wins over `env`). */
  baseUrl?: string;
}
export type { HppForm } from '../native';

function hppArgs(options: HppOptions | undefined): [string | undefined, string | undefined] {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  return [optionalString(options?.env, 'options.env'), optionalString(options?.baseUrl, 'options.baseUrl')];
}

export const paycore = {
  /** The `X-Signature` of a raw body: base64(sha1(secret ‖ body ‖ secret)). */
  signCallback(body: RawBody, secret: string): string {
    const raw = rawBody(body);
    requireSecret(secret, 'secret');
    return call(() => native.paycoreSignCallback(raw, secret));
  },
  /** Verifies `X-Signature` over the exact body bytes, then reads the event. Throws
   * `SignatureVerificationError` (bad signature) or `InvalidInputError` (not an invoice document). */
  verifyCallback(body: RawBody, signature: string, secret: string): CallbackEvent {
    const raw = rawBody(body);
    requireString(signature, 'signature');
    requireSecret(secret, 'secret');
    return withRaw(call(() => native.paycoreVerifyCallback(raw, signature, secret)), raw);
  },
  /** `verifyCallback` on the libuv thread pool, for large bodies: the same event or error (as a
   * rejection), without holding the event loop. Do not change the Buffer until it settles. */
  async verifyCallbackAsync(body: RawBody, signature: string, secret: string): Promise<CallbackEvent> {
    const raw = rawBody(body);
    requireString(signature, 'signature');
    requireSecret(secret, 'secret');
    return withRaw(await callAsync(() => native.paycoreVerifyCallbackAsync(raw, signature, secret)), raw);
  },
  /** Checks the signature only. */
  verifySignature(body: RawBody, signature: string, secret: string): void {
    const raw = rawBody(body);
    requireString(signature, 'signature');
    requireSecret(secret, 'secret');
    call(() => native.paycoreVerifySignature(raw, signature, secret));
  },
  /** The Hosted Payment Page link. */
  hppUrl(params: Params, options?: HppOptions): string {
    const json = paramsJson(params, 'params');
    const [env, baseUrl] = hppArgs(options);
    return call(() => native.paycoreHppUrl(json, env, baseUrl));
  },
  /** The auto-redirect form (data and HTML). */
  hppForm(params: Params, options?: HppOptions & { buttonLabel?: string }): HppForm {
    const json = paramsJson(params, 'params');
    const [env, baseUrl] = hppArgs(options);
    const label = optionalString(options?.buttonLabel, 'options.buttonLabel');
    return call(() => native.paycoreHppForm(json, env, baseUrl, label));
  },
};

// ------------------------------------------------------------------------------------ client

export interface PayCoreClientOptions {
  /** `paycore` (default) or `paymega`. */
  env?: 'paycore' | 'paymega';
  /** A custom base URL, e.g. the sandbox's (wins over `env`). */
  baseUrl?: string;
  publicKey?: string;
  accountId?: string;
  apiKey?: string;
  /** For `verifyCallback`. */
  secretKey?: string;
  /** Overall deadline of each call, retries included, in ms (above 0, at most 86,400,000: a
   * day). Any other number, `NaN` and `Infinity` included, is an `InvalidInputError` naming the
   * option; so are `connectTimeout` and `requestTimeout`. */
  timeout?: number;
  /** Connecting, in ms. */
  connectTimeout?: number;
  /** Waiting for each read of an answer, in ms (the overall `timeout` bounds the whole call). */
  requestTimeout?: number;
  /** Retries of reads and reconciled creates (0–10). */
  maxRetries?: number;
  /** Items per page request of every list (1–1000; the gateway's default when absent). */
  pageSize?: number;
  /** e.g. `http://proxy.internal:3128`. */
  proxy?: string;
  /** Appended to the `User-Agent` header (`polypay/<version> <userAgent>`), e.g. `myshop/1.2`. */
  userAgent?: string;
  /** Plain `http://` to a host that is not loopback (never with live keys). */
  allowInsecureHttp?: boolean;
}

/** The same object without its null and undefined members (absent options take the defaults). */
function withoutNulls<T extends object>(object: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v != null)) as { [K in keyof T]: Exclude<T[K], null> };
}

/** Per-call options. */
export interface RequestOptions {
  /** Overall deadline of this call in ms (retries included): above 0, at most a day; any other
   * number is an `InvalidInputError` naming `options.timeout`. */
  timeout?: number;
  /** Cancels the call: the promise rejects with a `CancelledError` whose `cause` is
   * `signal.reason`. For a create it keeps `referenceId` and says `outcomeUnknown: true` when
   * the request may have been sent. An already-aborted signal sends nothing (same error,
   * `outcomeUnknown: false`). */
  signal?: AbortSignal;
}

export interface ListOptions extends RequestOptions {
  referenceId?: string;
  /** Items per page request. */
  pageSize?: number;
}

/** Request bodies use the gateway's field names (`service`, `amount`, `currency`,
 * `reference_id`, `service_fields`…). Amounts: strings (`"100.55"`) or numbers; a number that
 * is not exact at the currency's precision is refused. */
export type RequestBody = Record<string, unknown> | Map<string, unknown>;

let nextCancelId = 1;

function checkOptions(options: RequestOptions | undefined): { timeout?: number; signal?: AbortSignal } {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const { timeout, signal } = options;
  // Its value is judged by the core's one rule for timeouts (an InvalidInputError naming
  // options.timeout), not here.
  if (timeout !== undefined && typeof timeout !== 'number') {
    throw new TypeError(`options.timeout must be a number of milliseconds, got ${describe(timeout)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return { timeout, signal };
}

/** A cancelled call's error gets `signal.reason` as its `cause` (as Node's own AbortErrors do). */
function withCause(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof CancelledError) {
    Object.defineProperty(error, 'cause', { value: signal.reason, writable: true, configurable: true, enumerable: false });
  }
  return error;
}

/** Runs `run` with `signal` wired to `abort`; errors as the matching class, a cancellation's
 * with `cause` = `signal.reason`. An already-aborted signal aborts at once: the native token
 * remembers it, so the core sends nothing and answers `cancelled` with the facts. */
async function underSignal<T>(signal: AbortSignal | undefined, abort: () => void, run: () => Promise<T>): Promise<T> {
  if (!signal) {
    try { return await run(); } catch (error) { throw fromNative(error); }
  }
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  try {
    return await run();
  } catch (error) {
    throw withCause(fromNative(error), signal);
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

/** Runs an async native call with an optional AbortSignal: the call's cancellation token is
 * registered under a fresh id, which the signal's abort cancels (see `abortCall` in src/lib.rs). */
async function withSignal<T>(signal: AbortSignal | undefined, run: (cancelId: number | undefined) => Promise<T>): Promise<T> {
  if (!signal) return underSignal(undefined, () => {}, () => run(undefined));
  const id = nextCancelId;
  nextCancelId = nextCancelId >= 0xfffffff0 ? 1 : nextCancelId + 1;
  try {
    return await underSignal(signal, () => native.abortCall(id), () => run(id));
  } finally {
    native.releaseCall(id);
  }
}

function requestJson(request: unknown, argument = 'request'): string {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new TypeError(`${argument} must be an object, got ${describe(request)}`);
  }
  return toJson(request, argument);
}

/** The PayCore / Corefy / Paymega Commerce API client. Every call returns a Promise; lists are
 * async iterables fetched page by page. Share one instance (one connection pool).
 *
 * It holds the API key and the callback secret: it belongs on a server. Code that runs in a
 * browser or an app uses {@link PublicPayCoreClient}, which takes the public key alone. */
/** A logging hook of `PayCoreClient.on`. */
export type HttpListener = (exchange: HttpExchange) => void;

function requireListener(listener: unknown): HttpListener {
  if (typeof listener !== 'function') throw new TypeError(`listener must be a function, got ${describe(listener)}`);
  return listener as HttpListener;
}

export class PayCoreClient {
  readonly #native: NativeClient;
  readonly #listeners = { request: new Set<HttpListener>(), response: new Set<HttpListener>() };

  constructor(options: PayCoreClientOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    for (const key of ['env', 'baseUrl', 'publicKey', 'accountId', 'apiKey', 'secretKey', 'proxy', 'userAgent'] as const) {
      optionalString(options[key], `options.${key}`);
    }
    for (const key of ['apiKey', 'secretKey'] as const) {
      if (options[key] != null) requireSecret(options[key], `options.${key}`);
    }
    // Their values (NaN and Infinity too) are judged by the core's rules, naming the option.
    for (const key of ['timeout', 'connectTimeout', 'requestTimeout', 'maxRetries', 'pageSize'] as const) {
      const v = options[key];
      if (v != null && typeof v !== 'number') throw new TypeError(`options.${key} must be a number, got ${describe(v)}`);
    }
    if (options.allowInsecureHttp != null && typeof options.allowInsecureHttp !== 'boolean') {
      throw new TypeError(`options.allowInsecureHttp must be a boolean, got ${describe(options.allowInsecureHttp)}`);
    }
    const { env, baseUrl, publicKey, accountId, apiKey, secretKey, timeout, connectTimeout, requestTimeout,
      maxRetries, pageSize, proxy, userAgent, allowInsecureHttp } = options;
    const given = { env, baseUrl, publicKey, accountId, apiKey, secretKey, timeout, connectTimeout, requestTimeout,
      maxRetries, pageSize, proxy, userAgent, allowInsecureHttp };
    this.#native = call(() => new native.NativeClient(withoutNulls(given)));
  }

  /** `"test"` or `"live"` when the keys say, else null. */
  get mode(): 'test' | 'live' | null { return this.#native.mode as 'test' | 'live' | null; }

  /** Logging hooks: `listener` is told of every HTTP request this client sends (`'request'`:
   * method, path without the query, attempt) and of each answer (`'response'`: status, request
   * id, elapsed time, or the error's code when none came); never a header or a body. Listeners
   * run on the event loop after the fact, so they cannot slow a call down; one that throws is
   * reported as a process warning, and the call goes on. */
  on(event: 'request' | 'response', listener: HttpListener): this {
    this.#listenersOf(event).add(requireListener(listener));
    this.#native.setListener((exchange) => this.#emit(exchange));
    return this;
  }

  /** Removes a listener added with `on`. */
  off(event: 'request' | 'response', listener: HttpListener): this {
    this.#listenersOf(event).delete(listener);
    if (this.#listeners.request.size === 0 && this.#listeners.response.size === 0) {
      this.#native.setListener(null);
    }
    return this;
  }

  #listenersOf(event: unknown): Set<HttpListener> {
    if (event !== 'request' && event !== 'response') {
      throw new TypeError(`event must be 'request' or 'response', got ${describe(event)}`);
    }
    return this.#listeners[event];
  }

  #emit(exchange: HttpExchange): void {
    for (const listener of this.#listeners[exchange.event]) {
      try {
        listener(exchange);
      } catch (error) {
        process.emitWarning(`a PayCoreClient '${exchange.event}' listener threw: ${String(error)}`, 'PolypayWarning');
      }
    }
  }

  #call<T>(operation: Operation, args: CallArgs, options: RequestOptions | undefined): Promise<T> {
    let checked: { timeout?: number; signal?: AbortSignal };
    try {
      checked = checkOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return withSignal(checked.signal, (cancelId) =>
      this.#native.call(operation, args, checked.timeout, cancelId)) as Promise<T>;
  }

  #withId<T>(operation: Operation, id: unknown, argument: 'id' | 'referenceId', options?: RequestOptions): Promise<T> {
    try {
      nonEmptyString(id, argument);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call<T>(operation, { [argument]: id as string }, options);
  }

  #withRequest<T>(operation: Operation, request: unknown, options?: RequestOptions, id?: unknown, hasId = false): Promise<T> {
    let args: CallArgs;
    try {
      if (hasId) nonEmptyString(id, 'id');
      args = { request: requestJson(request), id: hasId ? id as string : undefined };
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call<T>(operation, args, options);
  }

  // ---- generated from the core's operation table (scripts/operations.mjs) ----
  /** Payment services and methods available for a currency and amount. */
  paymentPrerequest(request: RequestBody, options?: RequestOptions): Promise<WithResponse<Prerequest>> {
    return this.#withRequest(native.Operation.PaymentPrerequest, request, options);
  }

  /** Payout services available for a currency and amount. */
  payoutPrerequest(request: RequestBody, options?: RequestOptions): Promise<WithResponse<Prerequest>> {
    return this.#withRequest(native.Operation.PayoutPrerequest, request, options);
  }

  /** Creates a payment invoice with the public key (the account must allow it). */
  createPaymentInvoicePublic(request: RequestBody, options?: RequestOptions): Promise<WithResponse<PaymentInvoice>> {
    return this.#withRequest(native.Operation.CreatePaymentInvoicePublic, request, options);
  }

  /** A payment invoice by id, through the Public API. */
  getPaymentInvoicePublic(id: string, options?: RequestOptions): Promise<WithResponse<PaymentInvoice>> {
    return this.#withId(native.Operation.GetPaymentInvoicePublic, id, 'id', options);
  }

  /** A payout invoice by id, through the Public API. */
  getPayoutInvoicePublic(id: string, options?: RequestOptions): Promise<WithResponse<PayoutInvoice>> {
    return this.#withId(native.Operation.GetPayoutInvoicePublic, id, 'id', options);
  }

  /** Creates a payment invoice; never doubled (reconciled by `reference_id`). */
  createPaymentInvoice(request: RequestBody, options?: RequestOptions): Promise<WithResponse<PaymentInvoice>> {
    return this.#withRequest(native.Operation.CreatePaymentInvoice, request, options);
  }

  /** A payment invoice by id. */
  getPaymentInvoice(id: string, options?: RequestOptions): Promise<WithResponse<PaymentInvoice>> {
    return this.#withId(native.Operation.GetPaymentInvoice, id, 'id', options);
  }

  /** The payment invoice with this `reference_id`, if any. */
  findPaymentInvoice(referenceId: string, options?: RequestOptions): Promise<PaymentInvoice | null> {
    return this.#withId(native.Operation.FindPaymentInvoice, referenceId, 'referenceId', options);
  }

  /**
   * Every payment invoice, newest first, page by page.
   * Read lazily: `for await (const item of …)`.
   */
  listPaymentInvoices(options?: ListOptions): AsyncIterableIterator<PaymentInvoice> {
    return this.#list<PaymentInvoice>(native.Operation.ListPaymentInvoices, options);
  }

  /**
   * Refunds all or part of a payment invoice (`amount` required); never re-sent once it may
   * have arrived: an unknown outcome is an error saying `outcome_unknown`.
   */
  refundPaymentInvoice(id: string, request: RequestBody, options?: RequestOptions): Promise<WithResponse<Refund>> {
    return this.#withRequest(native.Operation.RefundPaymentInvoice, request, options, id, true);
  }

  /** A refund by id (`ref_…`). */
  getRefund(id: string, options?: RequestOptions): Promise<WithResponse<Refund>> {
    return this.#withId(native.Operation.GetRefund, id, 'id', options);
  }

  /**
   * Every refund, newest first, page by page (`reference_id` finds the one made with it).
   * Read lazily: `for await (const item of …)`.
   */
  listRefunds(options?: ListOptions): AsyncIterableIterator<Refund> {
    return this.#list<Refund>(native.Operation.ListRefunds, options);
  }

  /** Creates a payout invoice; never doubled (reconciled by `reference_id`). */
  createPayoutInvoice(request: RequestBody, options?: RequestOptions): Promise<WithResponse<PayoutInvoice>> {
    return this.#withRequest(native.Operation.CreatePayoutInvoice, request, options);
  }

  /** A payout invoice by id. */
  getPayoutInvoice(id: string, options?: RequestOptions): Promise<WithResponse<PayoutInvoice>> {
    return this.#withId(native.Operation.GetPayoutInvoice, id, 'id', options);
  }

  /** The payout invoice with this `reference_id`, if any. */
  findPayoutInvoice(referenceId: string, options?: RequestOptions): Promise<PayoutInvoice | null> {
    return this.#withId(native.Operation.FindPayoutInvoice, referenceId, 'referenceId', options);
  }

  /**
   * Every payout invoice, newest first, page by page.
   * Read lazily: `for await (const item of …)`.
   */
  listPayoutInvoices(options?: ListOptions): AsyncIterableIterator<PayoutInvoice> {
    return this.#list<PayoutInvoice>(native.Operation.ListPayoutInvoices, options);
  }

  /**
   * The payment services configured on the account, page by page.
   * Read lazily: `for await (const item of …)`.
   */
  listPaymentServices(options?: ListOptions): AsyncIterableIterator<PaymentService> {
    return this.#list<PaymentService>(native.Operation.ListPaymentServices, options);
  }

  /** A payment service by id. */
  getPaymentService(id: string, options?: RequestOptions): Promise<WithResponse<PaymentService>> {
    return this.#withId(native.Operation.GetPaymentService, id, 'id', options);
  }

  /**
   * The payout services configured on the account, page by page.
   * Read lazily: `for await (const item of …)`.
   */
  listPayoutServices(options?: ListOptions): AsyncIterableIterator<PayoutService> {
    return this.#list<PayoutService>(native.Operation.ListPayoutServices, options);
  }

  /** A payout service by id. */
  getPayoutService(id: string, options?: RequestOptions): Promise<WithResponse<PayoutService>> {
    return this.#withId(native.Operation.GetPayoutService, id, 'id', options);
  }

  /** Balances per currency account. */
  balances(options?: RequestOptions): Promise<WithResponse<Balances>> {
    return this.#call(native.Operation.Balances, {}, options);
  }
  // ---- end of generated ----

  #list<T>(operation: Operation, options: ListOptions | undefined): AsyncIterableIterator<T> {
    const checked = checkOptions(options);
    const referenceId = optionalString(options?.referenceId, 'options.referenceId');
    const pageSize = options?.pageSize;
    // Its value is judged by the core's rule (an InvalidInputError naming options.pageSize).
    if (pageSize != null && typeof pageSize !== 'number') {
      throw new TypeError(`options.pageSize must be a number, got ${describe(pageSize)}`);
    }
    // Nothing is fetched yet: the first page is read by the first next().
    const pager: NativePager = call(() => this.#native.list(operation, withoutNulls({ referenceId, pageSize }), checked.timeout));
    const signal = checked.signal;
    let done = false;
    const iterator: AsyncIterableIterator<T> = {
      async next(): Promise<IteratorResult<T>> {
        if (done) return { done: true, value: undefined };
        // The list has its own token: an abort between two next() calls is seen by the next one.
        const item = await underSignal(signal, () => pager.abort(), () => pager.next());
        if (item === null) {
          done = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: item as T };
      },
      async return(): Promise<IteratorResult<T>> {
        done = true;
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() { return iterator; },
    };
    return iterator;
  }

  /** Verifies a callback with the configured `secretKey`. */
  verifyCallback(body: RawBody, signature: string): CallbackEvent {
    const raw = rawBody(body);
    requireString(signature, 'signature');
    return withRaw(call(() => this.#native.verifyCallback(raw, signature)), raw);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PayCoreClient { mode: ${this.mode} }`;
  }
}

/** What a browser or an app may hold: the public key, never an API key or the callback secret. */
export type PublicClientOptions = Pick<PayCoreClientOptions,
  'env' | 'baseUrl' | 'timeout' | 'connectTimeout' | 'requestTimeout' | 'maxRetries' | 'proxy' | 'userAgent'> & {
  publicKey: string;
};

/** The Public API with the public key alone (pre-requests, public invoice create and get), for
 * code that runs where users can read it. Server credentials are refused, not ignored. */
export class PublicPayCoreClient {
  readonly #client: PayCoreClient;

  constructor(options: PublicClientOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    for (const key of ['apiKey', 'accountId', 'secretKey'] as const) {
      if (key in options) {
        throw new TypeError(`options.${key}: PublicPayCoreClient takes the public key alone; ` +
          'an API key or callback secret belongs on a server (PayCoreClient)');
      }
    }
    requireString(options.publicKey, 'options.publicKey');
    const { env, baseUrl, publicKey, timeout, connectTimeout, requestTimeout, maxRetries, proxy, userAgent } = options;
    this.#client = new PayCoreClient({ env, baseUrl, publicKey, timeout, connectTimeout, requestTimeout, maxRetries, proxy, userAgent });
  }

  /** `"test"` or `"live"` from the public key. */
  get mode(): 'test' | 'live' | null { return this.#client.mode; }

  // ---- generated from the core's operation table (scripts/operations.mjs) ----
  /** Payment services and methods available for a currency and amount. */
  paymentPrerequest(request: RequestBody, options?: RequestOptions): Promise<WithResponse<Prerequest>> {
    return this.#client.paymentPrerequest(request, options);
  }

  /** Payout services available for a currency and amount. */
  payoutPrerequest(request: RequestBody, options?: RequestOptions): Promise<WithResponse<Prerequest>> {
    return this.#client.payoutPrerequest(request, options);
  }

  /** Creates a payment invoice with the public key (the account must allow it). */
  createPaymentInvoicePublic(request: RequestBody, options?: RequestOptions): Promise<WithResponse<PaymentInvoice>> {
    return this.#client.createPaymentInvoicePublic(request, options);
  }

  /** A payment invoice by id, through the Public API. */
  getPaymentInvoicePublic(id: string, options?: RequestOptions): Promise<WithResponse<PaymentInvoice>> {
    return this.#client.getPaymentInvoicePublic(id, options);
  }

  /** A payout invoice by id, through the Public API. */
  getPayoutInvoicePublic(id: string, options?: RequestOptions): Promise<WithResponse<PayoutInvoice>> {
    return this.#client.getPayoutInvoicePublic(id, options);
  }
  // ---- end of generated ----

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PublicPayCoreClient { mode: ${this.mode} }`;
  }
}

// ------------------------------------------------------------------------------- ecommpay Gate

export type { GateAccepted, GateErrorItem } from '../native';

/** A verified Gate status answer: the payment, every operation in it, and the whole answer
 * (without its signature) in `raw`. */
export type GatePayment = NativeGatePayment & { readonly raw: Record<string, unknown> };

export interface EcommpayGateApiOptions {
  projectId: number;
  /** The project's secret key (from your secrets manager, never from code). */
  secretKey: string;
  /** Default `https://api.ecommpay.com` (`polypay sandbox`'s URL in tests). */
  baseUrl?: string;
  /** Overall deadline of a call in ms, retries and the status delay included (60 000). */
  timeout?: number;
  requestTimeout?: number;
  connectTimeout?: number;
  maxRetries?: number;
  proxy?: string;
  userAgent?: string;
  allowInsecureHttp?: boolean;
  /** ms to wait after a request before its status is asked (10 000, as documented). */
  statusDelay?: number;
}

/** Per-call options of a Gate request. */
export interface GateRequestOptions extends RequestOptions {
  /** The endpoint's payment method: `card` (default), `applepay`, `wallet/paypal`… */
  method?: string;
}

/** The ecommpay Gate API, server to server: payment status, refunds, capture and cancel of a
 * two-step payment, payouts and COF charges. A request is the documented body without
 * `general.project_id` and `general.signature`, which are added; amounts are integers in minor
 * units. A write answers {@link GateAccepted}: the result comes by callback or by
 * {@link EcommpayGateApi.waitForResult}. Nothing is doubled: a write whose outcome is unknown is
 * looked up by its `payment_id` (a refund by its `merchant_refund_id`, generated when missing)
 * before anything is sent again; an error then says `outcomeUnknown` and carries `paymentId`. */
export class EcommpayGateApi {
  readonly #native: NativeGateApi;

  constructor(options: EcommpayGateApiOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    if (typeof options.projectId !== 'number' || !Number.isSafeInteger(options.projectId)) {
      throw new TypeError(`options.projectId must be an integer, got ${describe(options.projectId)}`);
    }
    requireSecret(options.secretKey, 'options.secretKey');
    for (const key of ['baseUrl', 'proxy', 'userAgent'] as const) optionalString(options[key], `options.${key}`);
    for (const key of ['timeout', 'requestTimeout', 'connectTimeout', 'maxRetries', 'statusDelay'] as const) {
      const v = options[key];
      if (v != null && typeof v !== 'number') throw new TypeError(`options.${key} must be a number, got ${describe(v)}`);
    }
    if (options.allowInsecureHttp != null && typeof options.allowInsecureHttp !== 'boolean') {
      throw new TypeError(`options.allowInsecureHttp must be a boolean, got ${describe(options.allowInsecureHttp)}`);
    }
    const { projectId, secretKey, baseUrl, timeout, requestTimeout, connectTimeout, maxRetries, proxy, userAgent,
      allowInsecureHttp, statusDelay } = options;
    const given = { baseUrl, timeout, requestTimeout, connectTimeout, maxRetries, proxy, userAgent, allowInsecureHttp,
      statusDelay };
    this.#native = call(() => new native.NativeGateApi(projectId, secretKey, withoutNulls(given)));
  }

  get projectId(): number { return this.#native.projectId; }

  get baseUrl(): string { return this.#native.baseUrl; }

  async #call<T>(operation: GateOperation, request: unknown, options?: GateRequestOptions): Promise<T> {
    const checked = checkOptions(options);
    const method = options?.method;
    optionalString(method, 'options.method');
    const json = requestJson(request);
    const answer = await withSignal(checked.signal, (cancelId) =>
      this.#native.call(operation, json, method, checked.timeout, cancelId));
    return (typeof answer === 'string' ? JSON.parse(answer) : answer) as T;
  }

  /** The final status of an accepted request, asked of the status endpoint (first after
   * `statusDelay`, then at that interval) until its operation is final. For when the callback
   * is late or lost; an `APITimeoutError` (`outcomeUnknown`) past the deadline. */
  async waitForResult(accepted: GateAccepted, options?: RequestOptions): Promise<GatePayment> {
    const checked = checkOptions(options);
    if (accepted === null || typeof accepted !== 'object') {
      throw new TypeError(`accepted must be what a Gate write answered, got ${describe(accepted)}`);
    }
    const answer = await withSignal(checked.signal, (cancelId) =>
      this.#native.waitForResult(accepted, checked.timeout, cancelId));
    return JSON.parse(answer) as GatePayment;
  }

  // ---- generated from the core's Gate table (scripts/operations.mjs) ----
  /**
   * The payment's current state and its operations, by `general.payment_id`.
   *
   * `POST /v2/payment/status`; `options.method` is the endpoint's payment method (`card` by default).
   */
  paymentStatus(request: RequestBody, options?: GateRequestOptions): Promise<GatePayment> {
    return this.#call(native.GateOperation.PaymentStatus, request, options);
  }

  /**
   * What became of one request, by its `request_id` (for requests the gateway refused).
   *
   * `POST /v2/payment/status/request`; `options.method` is the endpoint's payment method (`card` by default).
   */
  requestStatus(request: RequestBody, options?: GateRequestOptions): Promise<GatePayment> {
    return this.#call(native.GateOperation.RequestStatus, request, options);
  }

  /**
   * Refunds all of a payment, or `payment.amount` of it; never doubled (`merchant_refund_id`).
   *
   * `POST /v2/payment/{method}/refund`; `options.method` is the endpoint's payment method (`card` by default).
   */
  refund(request: RequestBody, options?: GateRequestOptions): Promise<GateAccepted> {
    return this.#call(native.GateOperation.Refund, request, options);
  }

  /**
   * Debits an authorised (two-step) payment: all of it, or `payment.amount`.
   *
   * `POST /v2/payment/{method}/capture`; `options.method` is the endpoint's payment method (`card` by default).
   */
  capture(request: RequestBody, options?: GateRequestOptions): Promise<GateAccepted> {
    return this.#call(native.GateOperation.Capture, request, options);
  }

  /**
   * Releases an authorised (two-step) payment's hold.
   *
   * `POST /v2/payment/{method}/cancel`; `options.method` is the endpoint's payment method (`card` by default).
   */
  cancel(request: RequestBody, options?: GateRequestOptions): Promise<GateAccepted> {
    return this.#call(native.GateOperation.Cancel, request, options);
  }

  /**
   * Pays out to a card (`card`) under a new `general.payment_id`; never doubled.
   *
   * `POST /v2/payment/{method}/payout`; `options.method` is the endpoint's payment method (`card` by default).
   */
  payout(request: RequestBody, options?: GateRequestOptions): Promise<GateAccepted> {
    return this.#call(native.GateOperation.Payout, request, options);
  }

  /**
   * Pays out to a card saved earlier (`token`) under a new `general.payment_id`.
   *
   * `POST /v2/payment/{method}/payout/token`; `options.method` is the endpoint's payment method (`card` by default).
   */
  payoutByToken(request: RequestBody, options?: GateRequestOptions): Promise<GateAccepted> {
    return this.#call(native.GateOperation.PayoutByToken, request, options);
  }

  /**
   * Charges a stored credential (`recurring.id`) under a new `general.payment_id` (COF).
   *
   * `POST /v2/payment/{method}/recurring`; `options.method` is the endpoint's payment method (`card` by default).
   */
  recurringCharge(request: RequestBody, options?: GateRequestOptions): Promise<GateAccepted> {
    return this.#call(native.GateOperation.RecurringCharge, request, options);
  }
  // ---- end of generated ----

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `EcommpayGateApi { projectId: ${this.projectId}, baseUrl: '${this.baseUrl}' }`;
  }
}

/** Internals for the conformance vectors (PHP natural compare and float formatting). */
export const _internals = {
  natcmp: (a: string, b: string): number => native.ecommpayNatcmp(a, b),
  phpFloat: (value: number): string => native.ecommpayPhpFloat(value),
};

