// Express (and Connect-style) middleware for PayCore and ecommpay callbacks.
//
//   app.post('/paycore/callback', express.raw({ type: '*/*' }), paycoreCallback({ secretKey, handler }))
//
// The signature covers the exact bytes, so the middleware needs the raw body: a Buffer from
// express.raw(), a string from express.text(), or the untouched request stream (no body parser
// at all: it reads the body itself). A body already parsed into an object (express.json() ran
// first) cannot be verified and fails with an error that says how to mount the route.
//
// The handler may be sync or async. The gateway gets 200 only after it returned or its promise
// resolved (400 for a bad signature, without calling it). If it throws or rejects, the error goes
// to next(err), the Express convention: your error middleware sees it, and Express's final
// handler answers 500 (or the error's own 4xx/5xx `status`), so the callback is retried. A
// rejection with no Error (undefined, 'route', …) is wrapped in one so that it cannot fall through
// to another route. Without `next` (a bare node:http server) the middleware answers 500 itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { paycore, ecommpay, EcommpayGate, type CallbackEvent, type EcommpayCallback } from './index';
import { ConfigurationError, SignatureVerificationError, InvalidInputError } from './errors';
import { requireString } from './convert';

type Req = IncomingMessage & { body?: unknown };
type Res = ServerResponse & { status?: (code: number) => unknown };
type Next = (error?: unknown) => void;
export type Middleware = (req: Req, res: Res, next: Next) => void;

const MAX_BODY = 10 * 1024 * 1024;

export const PARSED_BODY_MESSAGE =
  'polypay/express: the request body was already parsed into an object (express.json() or ' +
  'another body parser ran before this route), so its signature cannot be checked: the signature ' +
  'covers the exact bytes. Mount the callback route with the raw body, before express.json(): ' +
  "app.post('/callback', express.raw({ type: '*/*' }), middleware) — or register it before " +
  'app.use(express.json()).';

function readBody(req: Req): Promise<Buffer> {
  const body = req.body;
  if (Buffer.isBuffer(body)) return Promise.resolve(body);
  if (typeof body === 'string') return Promise.resolve(Buffer.from(body, 'utf8'));
  if (req.readableEnded || req.complete) {
    // Someone read the stream already: a body parser turned it into an object.
    return Promise.reject(new ConfigurationError(PARSED_BODY_MESSAGE, { kind: 'configuration', code: 'parsed_body' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new InvalidInputError('callback body over 10 MB', { code: 'too_large', argument: 'body' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
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

function middleware<E>(verify: (body: Buffer, req: Req) => E, handler: (event: E, req: Req, res: Res) => unknown): Middleware {
  return (req, res, next) => {
    readBody(req)
      .then(async (body) => {
        let event: E;
        try {
          event = verify(body, req);
        } catch (error) {
          if (error instanceof SignatureVerificationError || error instanceof InvalidInputError) {
            respond(res, 400, `invalid callback: ${(error as Error).message}`);
            return;
          }
          throw error;
        }
        (req as { polypayEvent?: unknown }).polypayEvent = event;
        // A sync handler's throw and an async handler's rejection both land in the catch below;
        // the 200 is sent only once the handler's promise has resolved.
        await handler(event, req, res);
        respond(res, 200, 'OK');
      })
      .catch((error: unknown) => fail(res, next, error));
  };
}

export interface PaycoreCallbackOptions {
  /** `sk_test_…` / `sk_live_…` (test and live callbacks are signed with different keys). */
  secretKey: string;
  /** Called with the verified event (sync or async). The gateway gets 200 only once it returns
   * or its promise resolves. If it throws or rejects, the middleware calls `next(err)`: Express
   * answers 500 (or your error middleware decides), so the gateway retries. Dedupe by invoice
   * id + status: callbacks can repeat. */
  handler: (event: CallbackEvent, req: Req, res: Res) => unknown;
}

/** Verifies `X-Signature`, answers 400 when it does not match, calls your handler, answers 200. */
export function paycoreCallback(options: PaycoreCallbackOptions): Middleware {
  const secretKey = requireString(options?.secretKey, 'options.secretKey');
  if (typeof options.handler !== 'function') throw new TypeError('options.handler must be a function');
  return middleware((body, req) => {
    const header = req.headers['x-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    return paycore.verifyCallback(body, signature ?? '', secretKey);
  }, options.handler);
}

export interface EcommpayCallbackOptions {
  /** The project's secret key, or a gate. */
  secretKey?: string;
  gate?: EcommpayGate;
  /** Called with the verified callback (sync or async): 200 once it returns or resolves;
   * a throw or rejection goes to `next(err)` (Express answers 500, the gateway retries). */
  handler: (callback: EcommpayCallback, req: Req, res: Res) => unknown;
}

/** Verifies the signature inside an ecommpay callback body, then calls your handler. */
export function ecommpayCallback(options: EcommpayCallbackOptions): Middleware {
  if (typeof options?.handler !== 'function') throw new TypeError('options.handler must be a function');
  const gate = options.gate;
  const secretKey = gate ? undefined : requireString(options.secretKey, 'options.secretKey');
  return middleware((body) => (gate ? gate.verifyCallback(body) : ecommpay.verifyCallback(body, secretKey as string)), options.handler);
}
