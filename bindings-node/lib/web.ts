// Web-standard route handlers for PayCore and ecommpay callbacks (`polypay/web`): a function of a
// Fetch API `Request` that resolves to a `Response`, as Next.js App Router route handlers are
// (`export const POST = paycoreRouteHandler({...})` in app/api/callbacks/paycore/route.ts), and
// as other Web-standard servers take them. Only the Fetch API is used: the raw body is read from
// `request.body` (the exact bytes the signature covers), never parsed first.
//
// The answers are those of polypay/express: 413 over `limit` (unverified), 400 for a bad
// signature (the handler not called), 200 only once the handler returned or resolved and, with a
// `ledger`, its transaction committed (`Polypay-Verdict` says what the ledger decided). A handler
// that throws or rejects, a secret function that gives no key, a failing ledger: 500 (the error
// goes to `onError`, by default console.error), so the gateway retries. A handler may return a
// `Response` of its own, which is sent instead of the 200.
import type { CallbackEvent, EcommpayCallback, LedgerEvent } from './index';
import type { Verdict } from './ledger';
import { ConfigurationError } from './errors';
import {
  callbackOptions, ecommpayVerifier, paycoreVerifier, processCallback,
  secretsOption, VERDICT_HEADER, type BodyOptions, type EcommpaySecretOptions, type LedgerOptions, type SecretKeySource,
  type Verify,
} from './callbacks';

export {
  DEFAULT_BODY_LIMIT, DEFAULT_ASYNC_THRESHOLD, VERDICT_HEADER, type BodyOptions, type LedgerOptions, type SecretKeys,
  type SecretKeySource,
} from './callbacks';

/** A Web-standard route handler. */
export type RouteHandler = (request: Request) => Promise<Response>;

/** Options of both route handlers besides the secret and the handler. */
export interface WebOptions<Tx> extends BodyOptions, LedgerOptions<Tx> {
  /** Sees every error answered with 500 (a failing handler, ledger or secret function). Default:
   * `console.error`. */
  onError?: (error: unknown, request: Request) => void;
}

export const BODY_USED_MESSAGE =
  'polypay/web: the request body was already read (request.json() or request.text() ran before the ' +
  'route handler), so its signature cannot be checked: the signature covers the exact bytes. Pass ' +
  'the untouched Request to the route handler (export const POST = paycoreRouteHandler({...})), or ' +
  'request.clone() if you must read it first.';

const TOO_LARGE = Symbol('too large');

async function readBody(request: Request, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  if (request.bodyUsed) {
    throw new ConfigurationError(BODY_USED_MESSAGE, { kind: 'configuration', code: 'parsed_body' });
  }
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  const stream = request.body;
  if (Number.isFinite(declared) && declared > limit) {
    await stream?.cancel().catch(() => {});
    return TOO_LARGE;
  }
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
}

function defaultOnError(error: unknown): void {
  console.error('polypay/web: callback not acknowledged (500):', error);
}

function routeHandler<E extends { ledgerEvent: LedgerEvent | null }, Tx>(
  options: WebOptions<Tx>,
  limit: number,
  verify: Verify<Request, E>,
  handler: (event: E, request: Request, tx: Tx | undefined) => unknown,
): RouteHandler {
  const ledger = options.ledger;
  const onError = options.onError ?? defaultOnError;
  if (typeof onError !== 'function') throw new TypeError('options.onError must be a function');
  return async (request) => {
    try {
      const body = await readBody(request, limit);
      if (body === TOO_LARGE) return text(413, `callback body over ${limit} bytes`);
      const outcome = await processCallback(body, request, verify, ledger, (event, tx) => handler(event, request, tx));
      if (outcome.refused) return text(400, outcome.message);
      if (outcome.result instanceof Response) return outcome.result;
      return text(200, 'OK', outcome.verdict ? { [VERDICT_HEADER]: outcome.verdict } : {});
    } catch (error) {
      try {
        onError(error, request);
      } catch {
        // a failing onError must not turn the 500 into something else
      }
      return text(500, 'internal error');
    }
  };
}

export interface PaycoreRouteOptions<Tx = unknown> extends WebOptions<Tx> {
  /** `sk_test_…` / `sk_live_…`; several tried in turn (key rotation); or a function of the
   * Request that returns them (several accounts, test vs live). No key from it: 500, never 200. */
  secretKey: SecretKeySource<Request>;
  /** Called with the verified event (sync or async): 200 once it returns or resolves, 500 if it
   * throws or rejects. `tx`: the ledger's transaction (undefined without a ledger, or for an event
   * it cannot place). A `Response` it returns is sent instead of the 200. */
  handler: (event: CallbackEvent, request: Request, tx: Tx | undefined) => unknown;
}

/** `(request: Request) => Promise<Response>` for PayCore callbacks: verifies `X-Signature` over
 * the raw body, then calls your handler. */
export function paycoreRouteHandler<Tx = unknown>(options: PaycoreRouteOptions<Tx>): RouteHandler {
  const { limit, asyncThreshold } = callbackOptions(options);
  const secrets = secretsOption<Request>(options.secretKey);
  const verify = paycoreVerifier(secrets, asyncThreshold, (request: Request) => request.headers.get('x-signature') ?? undefined);
  return routeHandler(options, limit, verify, options.handler);
}

export interface EcommpayRouteOptions<Tx = unknown> extends WebOptions<Tx>, EcommpaySecretOptions<Request> {
  /** Called with the verified callback: see `PaycoreRouteOptions.handler`. */
  handler: (callback: EcommpayCallback, request: Request, tx: Tx | undefined) => unknown;
}

/** `(request: Request) => Promise<Response>` for ecommpay callbacks: verifies the signature inside
 * the body (the gate's key, or `secretKey`: one, several, or a function of the Request). */
export function ecommpayRouteHandler<Tx = unknown>(options: EcommpayRouteOptions<Tx>): RouteHandler {
  const { limit, asyncThreshold } = callbackOptions(options);
  return routeHandler(options, limit, ecommpayVerifier<Request>(options, asyncThreshold), options.handler);
}

export type { Verdict };
