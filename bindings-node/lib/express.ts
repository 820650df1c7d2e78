// Express (and Connect-style) middleware for PayCore and ecommpay callbacks.
//
//   app.post('/paycore/callback', express.raw({ type: '*/*' }), paycoreCallback({ secretKey, handler }))
//
// The signature covers the exact bytes, so the middleware needs the raw body: a Buffer from
// express.raw(), a string from express.text(), or the untouched request stream (no body parser
// at all: it reads the body itself). A body already parsed into an object (express.json() ran
// first) cannot be verified and fails with an error that says how to mount the route.
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
        await handler(event, req, res);
        respond(res, 200, 'OK');
      })
      .catch(next);
  };
}

export interface PaycoreCallbackOptions {
  /** `sk_test_…` / `sk_live_…` (test and live callbacks are signed with different keys). */
  secretKey: string;
  /** Called with the verified event; the gateway gets 200 once it resolves (500 if it throws,
   * so the gateway retries). Dedupe by invoice id + status: callbacks can repeat. */
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
  handler: (callback: EcommpayCallback, req: Req, res: Res) => unknown;
}

/** Verifies the signature inside an ecommpay callback body, then calls your handler. */
export function ecommpayCallback(options: EcommpayCallbackOptions): Middleware {
  if (typeof options?.handler !== 'function') throw new TypeError('options.handler must be a function');
  const gate = options.gate;
  const secretKey = gate ? undefined : requireString(options.secretKey, 'options.secretKey');
  return middleware((body) => (gate ? gate.verifyCallback(body) : ecommpay.verifyCallback(body, secretKey as string)), options.handler);
}
