import { InvalidInputError } from './errors';
// The one converter of JS values to JSON text for the native core.
//
// Why not JSON.stringify: it turns NaN/Infinity into null and functions into nothing, silently.
// Here every value is checked and an unusable one throws a TypeError/RangeError naming its path.
// Key order is the object's own order (JS puts integer-like keys first: pass a Map or a JSON
// string when that order matters). Numbers: integers are written as integers, other numbers with
// the shortest representation that round-trips (String(n)); bigints exactly. The core then
// parses the text keeping key order and number lexemes.

export const MAX_DEPTH = 64;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return typeof value === 'object' ? `an object (${Object.prototype.toString.call(value)})` : `a ${typeof value}`;
}

function write(value: unknown, path: string, depth: number, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`${path} must be a finite number, got ${value}`);
      out.push(String(value));
      return;
    case 'bigint':
      out.push(value.toString());
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`${path} cannot be ${describe(value)}`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (depth >= MAX_DEPTH) throw new RangeError(`${path} is nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item = value[i];
      if (item === undefined) out.push('null');
      else write(item, `${path}[${i}]`, depth + 1, out);
    }
    out.push(']');
    return;
  }
  if (value instanceof Map) {
    out.push('{');
    let first = true;
    for (const [k, v] of value) {
      if (typeof k !== 'string' && typeof k !== 'number') {
        throw new TypeError(`${path} has a Map key that is ${describe(k)}: keys must be strings`);
      }
      if (v === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(String(k)), ':');
      write(v, `${path}.${k}`, depth + 1, out);
    }
    out.push('}');
    return;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError(`${path} is an invalid Date`);
    out.push(JSON.stringify(value.toISOString()));
    return;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Set ||
      value instanceof Promise || value instanceof RegExp) {
    throw new TypeError(`${path} cannot be ${describe(value)}`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    write(toJSON.call(value), path, depth, out);
    return;
  }
  out.push('{');
  let first = true;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(k), ':');
    write(v, `${path}.${k}`, depth + 1, out);
  }
  out.push('}');
}

/** True when JSON.stringify writes `value` exactly as `write` would: only plain objects, arrays,
 * strings, finite numbers, booleans and null, no holes or undefined, nesting within the limit. */
function plain(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!plain(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in value) {
        if (!plain((value as Record<string, unknown>)[k], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Any JSON-like value as JSON text (see the module comment). */
export function toJson(value: unknown, path: string): string {
  // Fast path: for plain data JSON.stringify is exact and native; anything else (Maps, Dates,
  // bigints, bad values that must be reported with their path) goes through `write`.
  if (plain(value, 0)) return JSON.stringify(value);
  const out: string[] = [];
  write(value, path, 0, out);
  return out.join('');
}

/** Parameters given as an object, a Map (order kept) or JSON text (order and lexemes kept). */
export function paramsJson(value: unknown, argument: string): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${argument} must be an object, a Map or a JSON object string, got ${describe(value)}`);
  }
  return toJson(value, argument);
}

/** Flat parameters (a plain object of strings and safe integers) as `key NUL value NUL ...` and
 * their count, for signing without JSON on either side (JSON.stringify and its parsing are a
 * large part of a signature's cost). `undefined` for anything else: the caller passes JSON. A
 * NUL inside a key or value is found by the native side, which then asks for JSON too. */
export function flatPairs(value: unknown): [string, number] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const parts: string[] = [];
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') parts.push(key, v);
    else if (typeof v === 'number' && Number.isSafeInteger(v)) parts.push(key, String(v));
    else return undefined;
  }
  return parts.length > 0 ? [parts.join('\0'), parts.length / 2] : undefined;
}

export type RawBody = Buffer | Uint8Array | string;

/** A raw request body. A parsed object is refused with the reason (the signature covers bytes). */
export function rawBody(value: unknown, argument = 'body'): Buffer | string {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value !== null && typeof value === 'object') {
    throw new TypeError(
      `${argument} must be the raw request body (Buffer or string), got an already parsed object: ` +
      'a body parsed and re-serialised no longer matches its signature. In Express, mount the ' +
      "callback route with express.raw({ type: '*/*' }) (or before express.json()) and pass req.body.");
  }
  throw new TypeError(`${argument} must be the raw request body (Buffer or string), got ${describe(value)}`);
}

/** A key or secret: a string that is well-formed Unicode. A lone surrogate (undecodable bytes
 * from the environment) would otherwise be replaced silently, and every signature be wrong. */
export function requireSecret(value: unknown, argument: string): string {
  const s = requireString(value, argument);
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new InvalidInputError(
      `${argument} is not valid Unicode (a lone surrogate: undecodable bytes from the environment?)`,
      { code: 'invalid_utf8', argument });
  }
  return s;
}

export function requireString(value: unknown, argument: string): string {
  if (typeof value !== 'string') throw new TypeError(`${argument} must be a string, got ${describe(value)}`);
  return value;
}

export function optionalString(value: unknown, argument: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return requireString(value, argument);
}

export function nonEmptyString(value: unknown, argument: string): string {
  const s = requireString(value, argument);
  if (s.length === 0) throw new RangeError(`${argument} must not be empty`);
  return s;
}
