// Express (and Connect-style) middleware for PayCore and ecommpay callbacks.
//
// The secret key may be one key, several tried in turn (while a key is rotated), or a function of
// the request that picks them (several accounts, test vs live): see lib/callbacks.ts, shared
// with polypay/fastify and polypay/web.
//
//   app.post('/paycore/callback', express.raw({ type: '*/*' }), paycoreCallback({ secretKey, handler }))
//
// The signature covers the exact bytes, so the middleware needs the raw body: a Buffer from
// express.raw(), a string from express.text(), or the untouched request stream (no body parser
// at all: it reads the body itself). A body already parsed into an object (express.json() ran
// first) cannot be verified and fails with an error that says how to mount the route.
//
// A body over `limit` (default 1 MB) gets 413 without being verified (the rest of it is read and
// thrown away, as Express's own body parsers do). A body over `asyncThreshold` (default 64 KB)
// is verified on the libuv thread pool (verifyCallbackAsync), so that a large callback never
// holds the event loop; smaller ones are verified in place, which is cheaper than the hop.
//
// The handler may be sync or async. The gateway gets 200 only after it returned or its promise
// resolved (400 for a bad signature, without calling it). If it throws or rejects, the error goes
// to next(err), the Express convention: your error middleware sees it, and Express's final
// handler answers 500 (or the error's own 4xx/5xx `status`), so the callback is retried. A
// rejection with no Error (undefined, 'route', …) is wrapped in one so that it cannot fall through
// to another route. Without `next` (a bare node:http server) the middleware answers 500 itself.
//
// Exactly once: with a `ledger` (polypay/ledger), the verified event's state goes through
// `ledger.apply`, because gateways repeat and reorder callbacks, also across worker processes.
// The handler runs only for a new state, inside the ledger's transaction (its `tx` argument:
// write your tables with it), and the 200 is sent after that transaction committed; a duplicate
// or an older state gets 200 without the handler (the gateway must stop retrying it). A handler
// failure rolls the ledger back with your writes, so the retry applies the state. An event the
// ledger cannot place (an unmodelled PayCore resource, an ecommpay callback without payment id
// or status) calls the handler directly, with no `tx`. `req.polypayVerdict` says what happened,
// and so does the answer's `Polypay-Verdict` header (unless the handler answered itself).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallbackEvent, EcommpayCallback, LedgerEvent } from './index';
import type { CallbackLedger, Verdict } from './ledger';
import { ConfigurationError } from './errors';
import {
  asError, callbackOptions, ecommpayVerifier, paycoreVerifier, processCallback,
  secretsOption, VERDICT_HEADER, type BodyOptions, type EcommpaySecretOptions, type LedgerOptions, type SecretKeySource,
  type Verify,
} from './callbacks';

export {
  DEFAULT_BODY_LIMIT, DEFAULT_ASYNC_THRESHOLD, VERDICT_HEADER, type BodyOptions, type LedgerOptions, type SecretKeys,
  type SecretKeySource,
} from './callbacks';

type Req = IncomingMessage & { body?: unknown; params?: Record<string, string>; polypayVerdict?: Verdict };
type Res = ServerResponse & { status?: (code: number) => unknown };
type Next = (error?: unknown) => void;
export type Middleware = (req: Req, res: Res, next: Next) => void;
/** The request a `secretKey` function receives. */
export type CallbackRequest = Req;

/** A body over the limit. */
const TOO_LARGE = Symbol('too large');

export const PARSED_BODY_MESSAGE =
  'polypay/express: the request body was already parsed into an object (express.json() or ' +
  'another body parser ran before this route), so its signature cannot be checked: the signature ' +
  'covers the exact bytes. Mount the callback route with the raw body, before express.json(): ' +
  "app.post('/callback', express.raw({ type: '*/*' }), middleware) — or register it before " +
  'app.use(express.json()).';

function readBody(req: Req, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  const body = req.body;
  if (Buffer.isBuffer(body)) return Promise.resolve(body.length > limit ? TOO_LARGE : body);
  if (typeof body === 'string') {
    return Promise.resolve(Buffer.byteLength(body, 'utf8') > limit ? TOO_LARGE : Buffer.from(body, 'utf8'));
  }
  // Someone read the stream already: a body parser turned it into an object. (Not
  // `req.complete`: that says the message has arrived, which a small body often has before
  // anyone read it.)
  if (req.readableEnded || req.readableDidRead) {
    return Promise.reject(new ConfigurationError(PARSED_BODY_MESSAGE, { kind: 'configuration', code: 'parsed_body' }));
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // read and thrown away, so that the client gets its 413
    return Promise.resolve(TOO_LARGE);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return; // the rest is read and thrown away
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!over) resolve(Buffer.concat(chunks)); });
    req.on('error', reject);
  });
}

function respond(res: Res, code: number, text: string): void {
  if (res.headersSent) return;
  res.statusCode = code;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(text);
}

// Express/Connect convention: the error goes to next(err) (your error middleware, or Express's
// final handler: 500, or the error's own 4xx/5xx `status`). Called without `next` (a bare
// node:http server), the middleware answers 500 itself. Either way, never a 200.
function fail(res: Res, next: Next | undefined, reason: unknown): void {
  const error = asError(reason, 'polypay/express');
  if (typeof next === 'function') {
    try {
      next(error);
      return;
    } catch {
      // next() itself threw: fall through to a plain 500 rather than an unhandled rejection.
    }
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  respond(res, 500, 'internal error');
}

function middleware<E extends { ledgerEvent: LedgerEvent | null }, Tx>(
  limit: number,
  verify: Verify<Req, E>,
  handler: (event: E, req: Req, res: Res, tx: Tx | undefined) => unknown,
  ledger: CallbackLedger<Tx> | undefined,
): Middleware {
  return (req, res, next) => {
    readBody(req, limit)
      .then(async (body) => {
        if (body === TOO_LARGE) {
          respond(res, 413, `callback body over ${limit} bytes`);
          return;
        }
        // A sync handler's throw and an async handler's rejection both land in the catch below;
        // the 200 is sent only once the handler's promise has resolved (and, with a ledger, its
        // transaction has committed).
        const outcome = await processCallback(body, req, verify, ledger, (event, tx) => handler(event, req, res, tx), {
          onVerified: (event) => { (req as { polypayEvent?: unknown }).polypayEvent = event; },
          onApply: () => { req.polypayVerdict = 'apply'; },
        });
        if (outcome.refused) {
          respond(res, 400, outcome.message);
          return;
        }
        if (outcome.verdict) {
          req.polypayVerdict = outcome.verdict;
          if (!res.headersSent) res.setHeader(VERDICT_HEADER, outcome.verdict);
        }
        respond(res, 200, 'OK');
      })
      .catch((error: unknown) => fail(res, next, error));
  };
}

export interface PaycoreCallbackOptions<Tx = unknown> extends BodyOptions, LedgerOptions<Tx> {
  /** `sk_test_…` / `sk_live_…` (test and live callbacks are signed with different keys); an
   * array of keys tried in turn (while a key is rotated: the new one and the old); or a function
   * of the request that returns them (several accounts, test vs live), which may be async. A
   * function that throws or gives no key fails the request with a ConfigurationError
   * (`next(err)`: an error status, never 200); only a signature that matches none of the keys is
   * a 400. */
  secretKey: SecretKeySource<Req>;
  /** Called with the verified event (sync or async). The gateway gets 200 only once it returns
   * or its promise resolves. If it throws or rejects, the middleware calls `next(err)`: Express
   * answers 500 (or your error middleware decides), so the gateway retries. Callbacks can
   * repeat: pass a `ledger`, or dedupe by invoice id + status. `tx` is the ledger's transaction
   * (undefined without a ledger, or for an event it cannot place: `event.ledgerEvent` null). */
  handler: (event: CallbackEvent, req: Req, res: Res, tx: Tx | undefined) => unknown;
}

function signatureHeader(req: Req): string | undefined {
  const header = req.headers['x-signature'];
  return Array.isArray(header) ? header[0] : header;
}

/** Verifies `X-Signature`, answers 400 when it does not match, calls your handler, answers 200
 * (with `Polypay-Verdict` when a ledger placed the event, unless the handler answered itself). */
export function paycoreCallback<Tx = unknown>(options: PaycoreCallbackOptions<Tx>): Middleware {
  const { limit, asyncThreshold } = callbackOptions(options);
  const secrets = secretsOption<Req>(options.secretKey);
  return middleware(limit, paycoreVerifier(secrets, asyncThreshold, signatureHeader), options.handler, options.ledger);
}

export interface EcommpayCallbackOptions<Tx = unknown> extends BodyOptions, LedgerOptions<Tx>, EcommpaySecretOptions<Req> {
  /** Called with the verified callback (sync or async): 200 once it returns or resolves;
   * a throw or rejection goes to `next(err)` (Express answers 500, the gateway retries). `tx`:
   * the ledger's transaction (see `PaycoreCallbackOptions.handler`). */
  handler: (callback: EcommpayCallback, req: Req, res: Res, tx: Tx | undefined) => unknown;
}

/** Verifies the signature inside an ecommpay callback body (with the gate's key, or the
 * `secretKey` option: one, several, or a function of the request), then calls your handler. */
export function ecommpayCallback<Tx = unknown>(options: EcommpayCallbackOptions<Tx>): Middleware {
  const { limit, asyncThreshold } = callbackOptions(options);
  return middleware(limit, ecommpayVerifier<Req>(options, asyncThreshold), options.handler, options.ledger);
}
