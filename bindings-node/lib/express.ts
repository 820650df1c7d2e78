// Express (and Connect-style) middleware for PayCore and ecommpay callbacks.
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
// or status) calls the handler directly, with no `tx`. `req.polypayVerdict` says what happened.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { paycore, ecommpay, EcommpayGate, type CallbackEvent, type EcommpayCallback, type LedgerEvent } from './index';
import type { CallbackLedger, Verdict } from './ledger';
import { ConfigurationError, SignatureVerificationError, InvalidInputError } from './errors';
import { requireString } from './convert';

type Req = IncomingMessage & { body?: unknown; polypayVerdict?: Verdict };
type Res = ServerResponse & { status?: (code: number) => unknown };
type Next = (error?: unknown) => void;
export type Middleware = (req: Req, res: Res, next: Next) => void;

/** Default `limit`: callbacks are a few kilobytes; a megabyte is generous. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Default `asyncThreshold`: above it, verification runs off the main thread. */
export const DEFAULT_ASYNC_THRESHOLD = 64 * 1024;

/** Options shared by both middlewares. */
export interface BodyOptions {
  /** The largest body accepted, in bytes, or as text (`'1mb'`, `'500kb'`; units of 1024). A
   * larger one gets 413 and is not verified. Default 1 MB. */
  limit?: number | string;
  /** Bodies larger than this (bytes) are verified on the libuv thread pool, so the event loop
   * keeps serving other requests meanwhile. Default 64 KB; 0 verifies every body that way. */
  asyncThreshold?: number;
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

function bodyOptions(options: BodyOptions): { limit: number; asyncThreshold: number } {
  return {
    limit: byteCount(options.limit, 'options.limit', DEFAULT_BODY_LIMIT, false),
    asyncThreshold: byteCount(options.asyncThreshold, 'options.asyncThreshold', DEFAULT_ASYNC_THRESHOLD, true),
  };
}

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

// A rejection reason that Express would not treat as an error: next() / next(null) means "carry
// on" (a 404, or the next route's 200) and next('route') / next('router') skip routes. Any of
// them would acknowledge a callback whose handler failed, so they are wrapped in an Error.
function asError(reason: unknown): unknown {
  if (reason instanceof Error) return reason;
  if (!reason || reason === 'route' || reason === 'router') {
    return new Error(`polypay/express: the callback handler failed with ${String(reason)}`, { cause: reason });
  }
  return reason;
}

// Express/Connect convention: the error goes to next(err) (your error middleware, or Express's
// final handler: 500, or the error's own 4xx/5xx `status`). Called without `next` (a bare
// node:http server), the middleware answers 500 itself. Either way, never a 200.
function fail(res: Res, next: Next | undefined, reason: unknown): void {
  const error = asError(reason);
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

function checkLedger(ledger: unknown): void {
  if (ledger !== undefined && (ledger === null || typeof (ledger as CallbackLedger).apply !== 'function')) {
    throw new TypeError('options.ledger must be a CallbackLedger (polypay/ledger: MemoryLedger, PostgresLedger)');
  }
}

function middleware<E extends { ledgerEvent: LedgerEvent | null }, Tx>(
  limit: number,
  verify: (body: Buffer, req: Req) => E | Promise<E>,
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
        let event: E;
        try {
          event = await verify(body, req);
        } catch (error) {
          if (error instanceof SignatureVerificationError || error instanceof InvalidInputError) {
            respond(res, 400, `invalid callback: ${(error as Error).message}`);
            return;
          }
          throw error;
        }
        (req as { polypayEvent?: unknown }).polypayEvent = event;
        // A sync handler's throw and an async handler's rejection both land in the catch below;
        // the 200 is sent only once the handler's promise has resolved (and, with a ledger, its
        // transaction has committed).
        if (ledger && event.ledgerEvent) {
          const { verdict } = await ledger.apply(event.ledgerEvent, (tx) => {
            req.polypayVerdict = 'apply';
            return handler(event, req, res, tx);
          });
          req.polypayVerdict = verdict;
        } else {
          await handler(event, req, res, undefined);
        }
        respond(res, 200, 'OK');
      })
      .catch((error: unknown) => fail(res, next, error));
  };
}

/** The `ledger` option of both middlewares. */
export interface LedgerOptions<Tx> {
  /** Applies each state exactly once (polypay/ledger): the handler runs only for a new state of
   * its entity, inside the ledger's transaction (`tx`), and repeats or older states get 200
   * without it. Callbacks repeat and arrive out of order, also at different workers: without a
   * ledger, the handler must dedupe itself. */
  ledger?: CallbackLedger<Tx>;
}

export interface PaycoreCallbackOptions<Tx = unknown> extends BodyOptions, LedgerOptions<Tx> {
  /** `sk_test_…` / `sk_live_…` (test and live callbacks are signed with different keys). */
  secretKey: string;
  /** Called with the verified event (sync or async). The gateway gets 200 only once it returns
   * or its promise resolves. If it throws or rejects, the middleware calls `next(err)`: Express
   * answers 500 (or your error middleware decides), so the gateway retries. Callbacks can
   * repeat: pass a `ledger`, or dedupe by invoice id + status. `tx` is the ledger's transaction
   * (undefined without a ledger, or for an event it cannot place: `event.ledgerEvent` null). */
  handler: (event: CallbackEvent, req: Req, res: Res, tx: Tx | undefined) => unknown;
}

/** Verifies `X-Signature`, answers 400 when it does not match, calls your handler, answers 200. */
export function paycoreCallback<Tx = unknown>(options: PaycoreCallbackOptions<Tx>): Middleware {
  const secretKey = requireString(options?.secretKey, 'options.secretKey');
  if (typeof options.handler !== 'function') throw new TypeError('options.handler must be a function');
  checkLedger(options.ledger);
  const { limit, asyncThreshold } = bodyOptions(options);
  return middleware(limit, (body, req) => {
    const header = req.headers['x-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    return body.length > asyncThreshold
      ? paycore.verifyCallbackAsync(body, signature ?? '', secretKey)
      : paycore.verifyCallback(body, signature ?? '', secretKey);
  }, options.handler, options.ledger);
}

export interface EcommpayCallbackOptions<Tx = unknown> extends BodyOptions, LedgerOptions<Tx> {
  /** The project's secret key, or a gate. */
  secretKey?: string;
  gate?: EcommpayGate;
  /** Called with the verified callback (sync or async): 200 once it returns or resolves;
   * a throw or rejection goes to `next(err)` (Express answers 500, the gateway retries). `tx`:
   * the ledger's transaction (see `PaycoreCallbackOptions.handler`). */
  handler: (callback: EcommpayCallback, req: Req, res: Res, tx: Tx | undefined) => unknown;
}

/** Verifies the signature inside an ecommpay callback body, then calls your handler. */
export function ecommpayCallback<Tx = unknown>(options: EcommpayCallbackOptions<Tx>): Middleware {
  if (typeof options?.handler !== 'function') throw new TypeError('options.handler must be a function');
  checkLedger(options.ledger);
  const gate = options.gate;
  const secretKey = gate ? undefined : requireString(options.secretKey, 'options.secretKey');
  const { limit, asyncThreshold } = bodyOptions(options);
  return middleware(limit, (body) => {
    if (body.length > asyncThreshold) {
      return gate ? gate.verifyCallbackAsync(body) : ecommpay.verifyCallbackAsync(body, secretKey as string);
    }
    return gate ? gate.verifyCallback(body) : ecommpay.verifyCallback(body, secretKey as string);
  }, options.handler, options.ledger);
}
