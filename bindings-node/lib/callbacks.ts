// What every callback helper shares (polypay/express, polypay/fastify, polypay/web): the body
// limit, the secrets (one, several tried in turn, or a function of the request), verification
// with the first secret that matches, and the delivery through an optional ledger.
//
// A helper reads the raw body its framework's way, then calls `processCallback`: a bad signature
// or an unreadable document is a refusal (400), anything else that goes wrong is thrown (an error
// status, so that the gateway retries), and a verified event goes through the ledger (when there
// is one and it can place the event) to the handler.
import { paycore, ecommpay, EcommpayGate, type CallbackEvent, type EcommpayCallback, type LedgerEvent } from './index';
import type { CallbackLedger, Verdict } from './ledger';
import { ConfigurationError, SignatureVerificationError, InvalidInputError } from './errors';
import { describe } from './convert';

/** Default `limit`: callbacks are a few kilobytes; a megabyte is generous. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Default `asyncThreshold`: above it, verification runs off the main thread. */
export const DEFAULT_ASYNC_THRESHOLD = 64 * 1024;
/** The answer's header naming what the ledger decided (`apply`, `duplicate`, `stale`), as in the
 * other bindings' helpers; for logs and tests, gateways ignore it. */
export const VERDICT_HEADER = 'Polypay-Verdict';

/** One secret key, or several tried in turn (while a key is rotated: the new one and the old). */
export type SecretKeys = string | readonly string[];
/** The `secretKey` option of every helper: one key, several, or a function of the request that
 * picks them (several accounts, test vs live); it may return a promise. */
export type SecretKeySource<R> = SecretKeys | ((request: R) => SecretKeys | PromiseLike<SecretKeys>);

/** Options shared by every helper. */
export interface BodyOptions {
  /** The largest body accepted, in bytes, or as text (`'1mb'`, `'500kb'`; units of 1024). A
   * larger one gets 413 and is not verified. Default 1 MB. */
  limit?: number | string;
  /** Bodies larger than this (bytes) are verified on the libuv thread pool, so the event loop
   * keeps serving other requests meanwhile. Default 64 KB; 0 verifies every body that way. */
  asyncThreshold?: number;
}

/** The `ledger` option of every helper. */
export interface LedgerOptions<Tx> {
  /** Applies each state exactly once (polypay/ledger): the handler runs only for a new state of
   * its entity, inside the ledger's transaction (`tx`), and repeats or older states get 200
   * without it. Callbacks repeat and arrive out of order, also at different workers: without a
   * ledger, the handler must dedupe itself. */
  ledger?: CallbackLedger<Tx>;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function byteCount(value: unknown, argument: string, fallback: number, allowZero: boolean): number {
  if (value === undefined) return fallback;
  let bytes = Number.NaN;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
    if (m) bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]);
  } else {
    throw new TypeError(`${argument} must be a number of bytes or a size such as '1mb', got ${typeof value}`);
  }
  if (!Number.isSafeInteger(bytes) || bytes < (allowZero ? 0 : 1)) {
    throw new RangeError(`${argument} must be a whole number of bytes${allowZero ? '' : ' above 0'} (or a size such as '1mb'), got ${String(value)}`);
  }
  return bytes;
}

export function bodyOptions(options: BodyOptions): { limit: number; asyncThreshold: number } {
  return {
    limit: byteCount(options.limit, 'options.limit', DEFAULT_BODY_LIMIT, false),
    asyncThreshold: byteCount(options.asyncThreshold, 'options.asyncThreshold', DEFAULT_ASYNC_THRESHOLD, true),
  };
}

export function checkOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
}

export function checkHandler(handler: unknown): void {
  if (typeof handler !== 'function') throw new TypeError('options.handler must be a function');
}

/** What every callback helper checks of its options before anything else: an object, a handler,
 * a ledger if given, and the body sizes. */
export function callbackOptions(
  options: unknown,
): { limit: number; asyncThreshold: number } {
  checkOptions(options);
  const o = options as BodyOptions & { handler?: unknown; ledger?: unknown };
  checkHandler(o.handler);
  checkLedger(o.ledger);
  return bodyOptions(o);
}

export function checkLedger(ledger: unknown): void {
  if (ledger !== undefined && (ledger === null || typeof (ledger as CallbackLedger).apply !== 'function')) {
    throw new TypeError('options.ledger must be a CallbackLedger (polypay/ledger: MemoryLedger, PostgresLedger)');
  }
}

// ------------------------------------------------------------------------------------- secrets

/** A checked `secretKey` option: the keys themselves, or the function that gives them. */
export type Secrets<R> = { readonly keys: readonly string[] } | { readonly resolve: (request: R) => SecretKeys | PromiseLike<SecretKeys> };

const NO_SECRET = 'no callback secret: give a non-empty secret key, a non-empty array of them (tried in turn ' +
  'while a key is rotated), or a function of the request that returns them';

function noSecret(argument: string, detail: string): ConfigurationError {
  return new ConfigurationError(`${argument}: ${NO_SECRET} (${detail})`, { kind: 'configuration', code: 'missing_secret', argument });
}

/** The keys of `value`, each a non-empty, well-formed string; a ConfigurationError otherwise. */
function keysOf(value: unknown, argument: string): string[] {
  const keys = typeof value === 'string' ? [value] : Array.isArray(value) ? [...value] : null;
  if (keys === null) throw noSecret(argument, `got ${describe(value)}`);
  if (keys.length === 0) throw noSecret(argument, 'got an empty array');
  keys.forEach((key, i) => {
    const where = typeof value === 'string' ? '' : `[${i}]`;
    if (typeof key !== 'string') throw noSecret(argument, `${where || 'the key'} is ${describe(key)}`);
    if (key.length === 0) throw noSecret(argument, `${where ? `${where} is` : 'got'} an empty string`);
    if (!(key as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw noSecret(argument, `${where || 'the key'} is not valid Unicode`);
    }
  });
  return keys;
}

/** Checks a `secretKey` option once, when the helper is made: a string, a non-empty array of
 * strings or a function. A value of another type is a TypeError (an unset environment variable
 * gives `undefined`); an empty key or array, a ConfigurationError. */
export function secretsOption<R>(value: unknown, argument = 'options.secretKey'): Secrets<R> {
  if (typeof value === 'function') return { resolve: value as (request: R) => SecretKeys };
  if (typeof value !== 'string' && !Array.isArray(value)) {
    throw new TypeError(`${argument} must be a string, a non-empty array of strings or a function of the request, got ${describe(value)}`);
  }
  return { keys: keysOf(value, argument) };
}

/** The keys to try for `request`. A function that throws, or returns anything but a non-empty
 * key or array of them, is a ConfigurationError (the helpers answer it with an error status,
 * never 200). */
export async function secretsFor<R>(secrets: Secrets<R>, request: R, argument = 'options.secretKey'): Promise<readonly string[]> {
  if ('keys' in secrets) return secrets.keys;
  let found: unknown;
  try {
    found = await secrets.resolve(request);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const wrapped = noSecret(argument, `the function threw: ${error instanceof Error ? error.message : String(error)}`);
    (wrapped as { cause?: unknown }).cause = error;
    throw wrapped;
  }
  return keysOf(found, `${argument}(request)`);
}

/** `verify(key)` with each key in turn: the first that matches wins. Only a
 * SignatureVerificationError moves on to the next key (each check is constant-time in the core;
 * trying them in turn only tells which one matched); any other error is thrown at once. */
export async function firstMatch<T>(keys: readonly string[], verify: (key: string) => T | Promise<T>): Promise<T> {
  let failure: unknown = noSecret('secretKey', 'no key to try');
  for (const key of keys) {
    try {
      return await verify(key);
    } catch (error) {
      if (!(error instanceof SignatureVerificationError)) throw error;
      failure = error;
    }
  }
  throw failure;
}

// ---------------------------------------------------------------------------------- verifiers

/** Verifies a raw body for a request. */
export type Verify<R, E> = (body: Buffer, request: R) => Promise<E>;

/** PayCore: `X-Signature` (read by `signatureOf`) over the body, with the request's keys. */
export function paycoreVerifier<R>(
  secrets: Secrets<R>, asyncThreshold: number, signatureOf: (request: R) => string | undefined,
): Verify<R, CallbackEvent> {
  return async (body, request) => {
    const keys = await secretsFor(secrets, request);
    const signature = signatureOf(request) ?? '';
    return firstMatch(keys, (key) => body.length > asyncThreshold
      ? paycore.verifyCallbackAsync(body, signature, key)
      : paycore.verifyCallback(body, signature, key));
  };
}

export interface EcommpaySecretOptions<R> {
  /** The project's secret key: one, several tried in turn, or a function of the request. */
  secretKey?: SecretKeySource<R>;
  /** Or a gate (its secret key). */
  gate?: EcommpayGate;
}

/** ecommpay: the signature inside the body, with the gate's key or the request's keys. */
export function ecommpayVerifier<R>(options: EcommpaySecretOptions<R>, asyncThreshold: number): Verify<R, EcommpayCallback> {
  const gate = options.gate;
  if (gate !== undefined && !(gate instanceof EcommpayGate)) {
    throw new TypeError(`options.gate must be an EcommpayGate, got ${describe(gate)}`);
  }
  if (gate) {
    return async (body) => (body.length > asyncThreshold ? gate.verifyCallbackAsync(body) : gate.verifyCallback(body));
  }
  const secrets = secretsOption<R>(options.secretKey);
  return async (body, request) => {
    const keys = await secretsFor(secrets, request);
    return firstMatch(keys, (key) => body.length > asyncThreshold
      ? ecommpay.verifyCallbackAsync(body, key)
      : ecommpay.verifyCallback(body, key));
  };
}

// ----------------------------------------------------------------------------------- delivery

/** What became of a delivery: refused (400: a bad signature, or not a callback document), or
 * verified and handled (`verdict`: the ledger's, `null` when no ledger placed the event). */
export type Outcome<E> =
  | { refused: true; message: string }
  | { refused: false; event: E; verdict: Verdict | null; result: unknown };

/** A refusal: the body is not a callback signed with any of the keys. */
export function isRefusal(error: unknown): error is Error {
  return error instanceof SignatureVerificationError || error instanceof InvalidInputError;
}

/** Verifies `body`, then runs `run(event, tx)` through the ledger (or directly). `onVerified` sees
 * the event first; `onApply` is called right before the handler runs for a new state. Errors other
 * than a refusal are thrown: the helper answers them with an error status. */
export async function processCallback<R, E extends { ledgerEvent: LedgerEvent | null }, Tx>(
  body: Buffer,
  request: R,
  verify: Verify<R, E>,
  ledger: CallbackLedger<Tx> | undefined,
  run: (event: E, tx: Tx | undefined) => unknown,
  hooks: { onVerified?: (event: E) => void; onApply?: () => void } = {},
): Promise<Outcome<E>> {
  let event: E;
  try {
    event = await verify(body, request);
  } catch (error) {
    if (isRefusal(error)) return { refused: true, message: `invalid callback: ${error.message}` };
    throw error;
  }
  hooks.onVerified?.(event);
  if (ledger && event.ledgerEvent) {
    const { verdict, result } = await ledger.apply(event.ledgerEvent, (tx) => {
      hooks.onApply?.();
      return run(event, tx);
    });
    return { refused: false, event, verdict, result };
  }
  return { refused: false, event, verdict: null, result: await run(event, undefined) };
}

// A rejection reason that a framework would not treat as an error (Express: next() / next(null)
// means "carry on", next('route') skips routes): wrapped in an Error, so that a failed handler is
// never acknowledged.
export function asError(reason: unknown, helper: string): Error {
  if (reason instanceof Error) return reason;
  return new Error(`${helper}: the callback handler failed with ${String(reason)}`, { cause: reason });
}
