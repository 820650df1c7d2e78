// The error classes. The native core raises one kind of error whose message carries a JSON
// record after a marker; `fromNative` turns it into the class of its `kind`, once.

/** The snake_case kinds of the core (`polypay::ErrorKind::as_str`). */
export type ErrorKind =
  | 'invalid_input' | 'signature' | 'configuration' | 'authentication' | 'permission'
  | 'not_found' | 'method_not_allowed' | 'conflict' | 'validation' | 'rate_limited'
  | 'server' | 'timeout' | 'connection' | 'decode' | 'cancelled';

interface Details {
  kind: ErrorKind;
  code: string;
  message: string;
  argument?: string | null;
  httpStatus?: number | null;
  requestId?: string | null;
  body?: string | null;
  retryAfter?: number | null;
  fields?: Record<string, string>;
  existing?: unknown;
  referenceId?: string | null;
  paymentId?: string | null;
  retryable?: boolean;
  outcomeUnknown?: boolean;
}

/** The properties every polypay error has. */
export interface PolypayErrorFields {
  /** The core's kind (`authentication`, `validation`, `timeout`, …). */
  readonly kind: ErrorKind;
  /** A stable machine-readable code (`hex_signature`, `too_many_decimals`, …). */
  readonly code: string;
  /** The argument the error concerns, when there is one (never its value). */
  readonly argument: string | null;
  readonly httpStatus: number | null;
  readonly requestId: string | null;
  /** The response body as received. */
  readonly body: string | null;
  /** Sending the same request again may succeed. */
  readonly retryable: boolean;
  /** The request may have taken effect (e.g. a refund whose answer was lost): check first. */
  readonly outcomeUnknown: boolean;
  /** The `reference_id` a create used (generated when you gave none). */
  readonly referenceId: string | null;
  /** The ecommpay `payment_id` of a Gate request (look it up by it). */
  readonly paymentId: string | null;
}

function assign(target: PolypayErrorFields, d: Details): void {
  const t = target as { -readonly [K in keyof PolypayErrorFields]: PolypayErrorFields[K] };
  t.kind = d.kind;
  t.code = d.code;
  t.argument = d.argument ?? null;
  t.httpStatus = d.httpStatus ?? null;
  t.requestId = d.requestId ?? null;
  t.body = d.body ?? null;
  t.retryable = d.retryable ?? false;
  t.outcomeUnknown = d.outcomeUnknown ?? false;
  t.referenceId = d.referenceId ?? null;
  t.paymentId = d.paymentId ?? null;
}

function defaults(kind: ErrorKind, message: string): Details {
  return { kind, code: kind, message };
}

/** The base class of every error the SDK raises (except plain JS TypeErrors for wrong types). */
export class PolypayError extends Error implements PolypayErrorFields {
  declare readonly kind: ErrorKind;
  declare readonly code: string;
  declare readonly argument: string | null;
  declare readonly httpStatus: number | null;
  declare readonly requestId: string | null;
  declare readonly body: string | null;
  declare readonly retryable: boolean;
  declare readonly outcomeUnknown: boolean;
  declare readonly referenceId: string | null;
  declare readonly paymentId: string | null;

  constructor(message: string, details?: Partial<Details>) {
    super(message);
    this.name = new.target.name;
    assign(this, { ...defaults('server', message), ...details } as Details);
  }

  /** `InvalidInputError` (a RangeError) also counts as a PolypayError. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === PolypayError && value instanceof InvalidInputError;
  }
}

/** 401: the account id / API key (or public key) was refused. */
export class AuthenticationError extends PolypayError {}
/** 403: these credentials may not do this. */
export class PermissionDeniedError extends PolypayError {}
/** 404: no such resource. */
export class NotFoundError extends PolypayError {}
/** 409: an entity with this `reference_id` exists; it is in `existing`. */
export class ConflictError extends PolypayError {
  declare readonly existing: unknown;
}
/** 400/422: the gateway refused the data; `fields` maps field → message. */
export class ValidationError extends PolypayError {
  declare readonly fields: Record<string, string>;
}
/** 429: too many requests; `retryAfter` in seconds when the gateway said. */
export class RateLimitError extends PolypayError {
  declare readonly retryAfter: number | null;
}
/** 5xx, 405, or an answer that could not be read. */
export class APIError extends PolypayError {}
/** The connection failed or broke. */
export class APIConnectionError extends PolypayError {}
/** No answer within the timeout or the call's deadline. */
export class APITimeoutError extends APIConnectionError {}
/** The call was cancelled by its `AbortSignal`; `cause` is `signal.reason`. A create keeps its
 * facts: `referenceId` (generated when you gave none) and `outcomeUnknown: true` when the request
 * may have reached the gateway — then look it up (`findPaymentInvoice(referenceId)`) before
 * creating it again. `outcomeUnknown: false`: nothing was sent (an already-aborted signal). */
export class CancelledError extends PolypayError {}
/** A callback signature is missing, malformed or does not match. */
export class SignatureVerificationError extends PolypayError {}
/** Keys or settings that cannot work together (pk/sk swapped, test vs live, plain http…). */
export class ConfigurationError extends PolypayError {}

/** An unusable argument value (bad currency, too many decimals, malformed JSON…). A RangeError
 * that also is `instanceof PolypayError`; nothing was sent. */
export class InvalidInputError extends RangeError implements PolypayErrorFields {
  declare readonly kind: ErrorKind;
  declare readonly code: string;
  declare readonly argument: string | null;
  declare readonly httpStatus: number | null;
  declare readonly requestId: string | null;
  declare readonly body: string | null;
  declare readonly retryable: boolean;
  declare readonly outcomeUnknown: boolean;
  declare readonly referenceId: string | null;
  declare readonly paymentId: string | null;
  constructor(message: string, details?: Partial<Details>) {
    super(message);
    this.name = 'InvalidInputError';
    assign(this, { ...defaults('invalid_input', message), ...details } as Details);
  }
}

const CLASSES: Record<ErrorKind, new (message: string, details?: Partial<Details>) => Error> = {
  invalid_input: InvalidInputError,
  signature: SignatureVerificationError,
  configuration: ConfigurationError,
  authentication: AuthenticationError,
  permission: PermissionDeniedError,
  not_found: NotFoundError,
  method_not_allowed: APIError,
  conflict: ConflictError,
  validation: ValidationError,
  rate_limited: RateLimitError,
  server: APIError,
  timeout: APITimeoutError,
  connection: APIConnectionError,
  decode: APIError,
  cancelled: CancelledError,
};

const MARKER = '\u0001polypay:';

/** The error of a native call as the matching class (other errors are returned unchanged). */
export function fromNative(error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.startsWith(MARKER)) return error;
  let d: Details;
  try {
    d = JSON.parse(error.message.slice(MARKER.length)) as Details;
  } catch {
    return error;
  }
  const Class = CLASSES[d.kind] ?? PolypayError;
  const message = d.argument && !d.message.includes(d.argument) ? `${d.argument}: ${d.message}` : d.message;
  const e = new Class(message, d) as Error & Record<string, unknown>;
  const m = e as Record<string, unknown>;
  if (e instanceof ConflictError) m.existing = d.existing ?? null;
  if (e instanceof ValidationError) m.fields = d.fields ?? {};
  if (e instanceof RateLimitError) m.retryAfter = d.retryAfter ?? null;
  return e;
}

/** Runs a native call, rethrowing its error as the matching class. */
export function call<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw fromNative(error);
  }
}
