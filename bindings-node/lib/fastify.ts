// Fastify route handlers for PayCore and ecommpay callbacks (`polypay/fastify`).
//
//   app.register(callbackRoutes, {
//     paycore: { url: '/paycore/callback', secretKey, ledger, handler: async (event, request, reply, tx) => {…} },
//     ecommpay: { url: '/ecommpay/callback', secretKey, handler },
//   });
//
// or, for a route of your own, in a scope whose content-type parser keeps the raw bytes:
//
//   app.register(async (scope) => {
//     rawBodyParser(scope);                       // every content type as a Buffer, in this scope only
//     scope.post('/paycore/callback', paycoreCallback({ secretKey, handler }));
//   });
//
// The signature covers the exact bytes, and Fastify parses JSON by default: the handlers need
// the body as a Buffer (or a string). A body already parsed into an object fails with a
// ConfigurationError (500) whose message says how to register the parser.
//
// The answers are those of polypay/express: 413 over `limit` (unverified), 400 for a bad
// signature (the handler not called), 200 only once the handler returned or resolved and, with a
// `ledger`, its transaction committed (`Polypay-Verdict` says what the ledger decided, unless the
// handler sent its own answer). A handler that throws or rejects: the error is thrown on to
// Fastify (your `setErrorHandler`, or Fastify's: 500, or the error's own 4xx/5xx `statusCode`), so
// the gateway retries. Secrets: one key, several tried in turn, or a function of the request.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { CallbackEvent, EcommpayCallback, LedgerEvent } from './index';
import type { CallbackLedger, Verdict } from './ledger';
import { ConfigurationError } from './errors';
import {
  asError, bodyOptions, callbackOptions, checkOptions, ecommpayVerifier, paycoreVerifier, processCallback,
  secretsOption, VERDICT_HEADER, DEFAULT_BODY_LIMIT, type BodyOptions, type EcommpaySecretOptions, type LedgerOptions,
  type SecretKeySource, type Verify,
} from './callbacks';
import { requireString } from './convert';

export {
  DEFAULT_BODY_LIMIT, DEFAULT_ASYNC_THRESHOLD, VERDICT_HEADER, type BodyOptions, type LedgerOptions, type SecretKeys,
  type SecretKeySource,
} from './callbacks';

/** The parts of a Fastify request the handlers use (a `FastifyRequest` fits). */
export interface FastifyRequestLike {
  body?: unknown;
  headers: IncomingHttpHeaders;
  raw: IncomingMessage;
  /** The route's parameters (`/callbacks/:account`), e.g. for a `secretKey` function. */
  params?: unknown;
  /** Set by the handlers: what the ledger decided. */
  polypayVerdict?: Verdict;
  /** Set by the handlers: the verified event. */
  polypayEvent?: unknown;
}

/** The parts of a Fastify reply the handlers use (a `FastifyReply` fits). */
export interface FastifyReplyLike {
  readonly sent: boolean;
  code(statusCode: number): FastifyReplyLike;
  header(key: string, value: any): FastifyReplyLike; // eslint-disable-line @typescript-eslint/no-explicit-any
  send(payload?: any): FastifyReplyLike; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A Fastify route handler. */
export type RouteHandler = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike>;

/** The parts of a Fastify instance `rawBodyParser` and `callbackRoutes` use. */
export interface FastifyInstanceLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string | string[] | RegExp,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: any, body: Buffer, done: (error: Error | null, body?: Buffer) => void) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
  ): void;
  post(url: string, handler: RouteHandler): unknown;
}

export const PARSED_BODY_MESSAGE =
  'polypay/fastify: the request body was already parsed into an object (Fastify\'s JSON parser ran), ' +
  'so its signature cannot be checked: the signature covers the exact bytes. Register the callback ' +
  'route in a scope that keeps the raw body: app.register(callbackRoutes, { paycore: { url, ... } }), ' +
  'or app.register(async (scope) => { rawBodyParser(scope); scope.post(url, handler) }) — ' +
  "rawBodyParser does scope.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, body)).";

/** Makes every content type arrive as a Buffer in `scope` (and the scopes it registers): call it
 * in the encapsulated plugin that holds the callback routes, not on the root instance, whose other
 * routes keep their JSON. `limit`: Fastify's `bodyLimit` for these bodies (default 1 MB; a larger
 * body gets 413). */
export function rawBodyParser(scope: FastifyInstanceLike, options: Pick<BodyOptions, 'limit'> = {}): void {
  if (scope === null || typeof scope !== 'object' || typeof scope.addContentTypeParser !== 'function') {
    throw new TypeError('scope must be a Fastify instance (the plugin\'s scope)');
  }
  const { limit } = bodyOptions({ limit: options?.limit });
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => done(null, body));
}

const TOO_LARGE = Symbol('too large');

function rawBody(request: FastifyRequestLike, limit: number): Buffer | typeof TOO_LARGE {
  const body = request.body;
  if (body === undefined || body === null) return Buffer.alloc(0); // no body: its signature fails
  if (Buffer.isBuffer(body)) return body.length > limit ? TOO_LARGE : body;
  if (typeof body === 'string') return Buffer.byteLength(body, 'utf8') > limit ? TOO_LARGE : Buffer.from(body, 'utf8');
  const error = new ConfigurationError(PARSED_BODY_MESSAGE, { kind: 'configuration', code: 'parsed_body' });
  (error as { statusCode?: number }).statusCode = 500;
  throw error;
}

function handlerOf<E extends { ledgerEvent: LedgerEvent | null }, Tx>(
  limit: number,
  verify: Verify<FastifyRequestLike, E>,
  handler: (event: E, request: FastifyRequestLike, reply: FastifyReplyLike, tx: Tx | undefined) => unknown,
  ledger: CallbackLedger<Tx> | undefined,
): RouteHandler {
  return async (request, reply) => {
    const body = rawBody(request, limit);
    if (body === TOO_LARGE) {
      return reply.code(413).header('content-type', 'text/plain; charset=utf-8').send(`callback body over ${limit} bytes`);
    }
    let outcome;
    try {
      outcome = await processCallback(body, request, verify, ledger, (event, tx) => handler(event, request, reply, tx), {
        onVerified: (event) => { request.polypayEvent = event; },
        onApply: () => { request.polypayVerdict = 'apply'; },
      });
    } catch (error) {
      throw asError(error, 'polypay/fastify'); // to Fastify's error handler: an error status
    }
    if (outcome.refused) {
      return reply.code(400).header('content-type', 'text/plain; charset=utf-8').send(outcome.message);
    }
    if (outcome.verdict) request.polypayVerdict = outcome.verdict;
    if (reply.sent) return reply; // the handler answered itself
    if (outcome.verdict) reply.header(VERDICT_HEADER, outcome.verdict);
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send('OK');
  };
}

export interface PaycoreCallbackOptions<Tx = unknown> extends BodyOptions, LedgerOptions<Tx> {
  /** `sk_test_…` / `sk_live_…`; several tried in turn (key rotation); or a function of the
   * request that returns them (several accounts, test vs live). No key from it: a
   * ConfigurationError (an error status, never 200). */
  secretKey: SecretKeySource<FastifyRequestLike>;
  /** Called with the verified event (sync or async): 200 once it returns or resolves; a throw or
   * rejection goes to Fastify's error handler (500), so the gateway retries. `tx`: the ledger's
   * transaction (undefined without a ledger, or for an event it cannot place). It may answer
   * with `reply` itself. */
  handler: (event: CallbackEvent, request: FastifyRequestLike, reply: FastifyReplyLike, tx: Tx | undefined) => unknown;
}

/** A route handler that verifies `X-Signature` over the raw body, then calls your handler. */
export function paycoreCallback<Tx = unknown>(options: PaycoreCallbackOptions<Tx>): RouteHandler {
  const { limit, asyncThreshold } = callbackOptions(options);
  const secrets = secretsOption<FastifyRequestLike>(options.secretKey);
  const signature = (request: FastifyRequestLike): string | undefined => {
    const header = request.headers['x-signature'];
    return Array.isArray(header) ? header[0] : header;
  };
  return handlerOf(limit, paycoreVerifier(secrets, asyncThreshold, signature), options.handler, options.ledger);
}

export interface EcommpayCallbackOptions<Tx = unknown>
  extends BodyOptions, LedgerOptions<Tx>, EcommpaySecretOptions<FastifyRequestLike> {
  /** Called with the verified callback: see `PaycoreCallbackOptions.handler`. */
  handler: (callback: EcommpayCallback, request: FastifyRequestLike, reply: FastifyReplyLike, tx: Tx | undefined) => unknown;
}

/** A route handler that verifies the signature inside an ecommpay callback body (the gate's key,
 * or `secretKey`: one, several, or a function of the request), then calls your handler. */
export function ecommpayCallback<Tx = unknown>(options: EcommpayCallbackOptions<Tx>): RouteHandler {
  const { limit, asyncThreshold } = callbackOptions(options);
  return handlerOf(limit, ecommpayVerifier<FastifyRequestLike>(options, asyncThreshold), options.handler, options.ledger);
}

/** The options of `callbackRoutes`: a route for PayCore, for ecommpay, or both. */
export interface CallbackRoutesOptions {
  paycore?: PaycoreCallbackOptions<any> & { url: string }; // eslint-disable-line @typescript-eslint/no-explicit-any
  ecommpay?: EcommpayCallbackOptions<any> & { url: string }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A Fastify plugin (`app.register(callbackRoutes, { paycore: { url, … }, ecommpay: { url, … } })`):
 * its own scope, with `rawBodyParser`, and a POST route for each gateway given. */
export async function callbackRoutes(scope: FastifyInstanceLike, options: CallbackRoutesOptions): Promise<void> {
  checkOptions(options);
  const routes: [string, RouteHandler][] = [];
  let limit = 0;
  if (options.paycore) {
    routes.push([requireString(options.paycore.url, 'options.paycore.url'), paycoreCallback(options.paycore)]);
    limit = Math.max(limit, bodyOptions(options.paycore).limit);
  }
  if (options.ecommpay) {
    routes.push([requireString(options.ecommpay.url, 'options.ecommpay.url'), ecommpayCallback(options.ecommpay)]);
    limit = Math.max(limit, bodyOptions(options.ecommpay).limit);
  }
  if (routes.length === 0) throw new TypeError('options must name a paycore or an ecommpay route ({ url, secretKey, handler })');
  rawBodyParser(scope, { limit: limit || DEFAULT_BODY_LIMIT });
  for (const [url, handler] of routes) scope.post(url, handler);
}
