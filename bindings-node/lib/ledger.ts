// Exactly-once callbacks (`polypay/ledger`).
//
// Gateways deliver a callback at least once, in no set order, and concurrently to different
// worker processes. A ledger keeps, per entity (an invoice, a payment), the state applied last;
// each delivery takes the entity's lock, asks the core's rule (`decide`: the same in every
// binding) whether its state is new, a repeat or older, and runs your handler only for a new one,
// inside the transaction that records it. A handler that fails rolls the record back with its own
// writes, so the gateway's retry applies the state again; a repeat never runs it twice.
//
//   const ledger = new PostgresLedger(pool);            // pg.Pool; MemoryLedger in one process
//   await ledger.ensureSchema();
//   app.post('/paycore/callback', express.raw({ type: '*/*' }), paycoreCallback({
//     secretKey, ledger, handler: async (event, req, res, client) => { await client.query(...) },
//   }));
import type { LedgerEvent } from '../native';
import { native } from './native';
import { call } from './errors';
import { describe, requireString } from './convert';

export type { LedgerEvent } from '../native';

/** What a delivery means for its entity: a new state (`apply`), the state applied last again
 * (`duplicate`), or older than it / a move its lifecycle does not allow (`stale`). */
export type Verdict = 'apply' | 'duplicate' | 'stale';

/** What a ledger holds for an entity: the status applied last and its time (unix seconds). */
export interface AppliedState {
  status: string;
  time?: number | null;
}

/** The outcome of `CallbackLedger.apply`: `result` is the handler's, when it ran. */
export interface LedgerOutcome<T> {
  verdict: Verdict;
  result?: T;
}

/** A ledger of applied callback states. `apply` runs `handler` only for the verdict `apply`,
 * inside the ledger's transaction (`tx`: write your own tables with it, so that they commit
 * together with the ledger's record), and records the new state in that transaction. If the
 * handler throws or rejects, the transaction is rolled back and the error propagates: answer the
 * gateway with an error so that it retries. */
export interface CallbackLedger<Tx = unknown> {
  apply<T>(event: LedgerEvent, handler: (tx: Tx) => T | Promise<T>): Promise<LedgerOutcome<T>>;
}

/** The ledger's table in every binding. */
export const LEDGER_TABLE = 'polypay_callback_ledger';

function checkTime(value: unknown, argument: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${argument} must be whole unix seconds or null, got ${typeof value === 'number' ? value : describe(value)}`);
  }
  return value;
}

/** The event's parts, checked for type (their values are the core's to judge). */
function checkEvent(event: unknown): LedgerEvent {
  if (event === null || typeof event !== 'object') {
    throw new TypeError(`event must be a ledger event ({ kind, entityId, status, time }), got ${describe(event)}`);
  }
  const e = event as Record<string, unknown>;
  return {
    kind: requireString(e.kind, 'event.kind') as LedgerEvent['kind'],
    entityId: requireString(e.entityId, 'event.entityId'),
    status: requireString(e.status, 'event.status'),
    time: checkTime(e.time, 'event.time'),
  };
}

function checkLast(last: unknown): AppliedState | null {
  if (last === undefined || last === null) return null;
  if (typeof last !== 'object') throw new TypeError(`last must be { status, time } or null, got ${describe(last)}`);
  const l = last as Record<string, unknown>;
  return { status: requireString(l.status, 'last.status'), time: checkTime(l.time, 'last.time') };
}

/** What `event` means given what was applied last for its entity (`null`: nothing yet). An
 * unknown `kind` or an empty id or status is an `InvalidInputError`. */
export function decide(event: LedgerEvent, last?: AppliedState | null): Verdict {
  const e = checkEvent(event);
  const l = checkLast(last);
  return call(() => native.ledgerDecide(e, l && { status: l.status, time: l.time ?? undefined }));
}

/** A ledger in this process's memory, for tests and single-process apps (its state is lost with
 * the process). Deliveries of one entity run one at a time; others run concurrently. */
export class MemoryLedger implements CallbackLedger<undefined> {
  readonly #applied = new Map<string, AppliedState>();
  // The end of each entity's queue: a delivery waits for the one before it.
  readonly #tails = new Map<string, Promise<void>>();

  /** What was applied last for an entity, if anything. */
  get(kind: string, entityId: string): AppliedState | undefined {
    const applied = this.#applied.get(key(kind, entityId));
    return applied && { ...applied };
  }

  async apply<T>(event: LedgerEvent, handler: (tx: undefined) => T | Promise<T>): Promise<LedgerOutcome<T>> {
    const e = checkEvent(event);
    if (typeof handler !== 'function') throw new TypeError(`handler must be a function, got ${describe(handler)}`);
    const k = key(e.kind, e.entityId);
    const previous = this.#tails.get(k) ?? Promise.resolve();
    let release!: () => void;
    const turn = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => turn);
    this.#tails.set(k, tail);
    await previous;
    try {
      const verdict = decide(e, this.#applied.get(k));
      if (verdict !== 'apply') return { verdict };
      const result = await handler(undefined);
      // Recorded only once the handler succeeded: a failure leaves the entity as it was.
      this.#applied.set(k, { status: e.status, time: e.time });
      return { verdict, result };
    } finally {
      release();
      if (this.#tails.get(k) === tail) this.#tails.delete(k);
    }
  }
}

function key(kind: string, entityId: string): string {
  return `${kind}\u0000${entityId}`;
}

// ------------------------------------------------------------------------------------ PostgreSQL

/** The part of a node-postgres `PoolClient` the ledger uses. */
export interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** An error (or `true`) destroys the connection instead of returning it to the pool. */
  release(error?: Error | boolean): void;
  // node-postgres emits `error` on a checked-out client whose connection dies, and an `error`
  // event nobody listens to ends the process: the ledger listens while it holds the client.
  on?(event: 'error', listener: (error: Error) => void): unknown;
  off?(event: 'error', listener: (error: Error) => void): unknown;
}

/** A `pg.Pool` (or anything that hands out clients the same way). */
export interface PgPool<C extends PgClient = PgClient> {
  connect(): Promise<C>;
}

export interface PostgresLedgerOptions {
  /** The table, optionally schema-qualified (`payments.polypay_callback_ledger`). Default
   * `polypay_callback_ledger`. */
  table?: string;
}

// Unquoted identifiers only: the name is written into SQL, so it must not be able to carry any.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

function tableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  kind varchar(32) NOT NULL,
  entity_id varchar(255) NOT NULL,
  status varchar(64),
  time bigint,
  applied_at timestamptz,
  PRIMARY KEY (kind, entity_id)
)`;
}

/** The ledger's table (`status` NULL: nothing applied yet), for your migrations. */
export const LEDGER_TABLE_SQL = tableSql(LEDGER_TABLE);

/** A ledger in PostgreSQL through node-postgres, shared by every process that uses the database.
 * Each delivery runs in one transaction on one pooled client: the entity's row is created if
 * missing and locked (`SELECT … FOR UPDATE`), which makes concurrent deliveries of an entity wait
 * for each other across processes; the handler gets that client, so its writes commit or roll back
 * with the ledger's record. */
export class PostgresLedger<C extends PgClient = PgClient> implements CallbackLedger<C> {
  readonly #pool: PgPool<C>;
  readonly #table: string;
  readonly #sql: { insert: string; select: string; update: string };

  constructor(pool: PgPool<C>, options: PostgresLedgerOptions = {}) {
    if (pool === null || typeof pool !== 'object' || typeof (pool as PgPool<C>).connect !== 'function') {
      throw new TypeError(`pool must be a pg.Pool (an object with connect()), got ${describe(pool)}`);
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    const table = options.table === undefined ? LEDGER_TABLE : requireString(options.table, 'options.table');
    if (!IDENTIFIER.test(table)) {
      throw new RangeError('options.table must be a plain SQL identifier, optionally schema-qualified ' +
        `(letters, digits, _; up to 63 each), got ${JSON.stringify(table)}`);
    }
    this.#pool = pool;
    this.#table = table;
    this.#sql = {
      insert: `INSERT INTO ${table} (kind, entity_id) VALUES ($1, $2) ON CONFLICT (kind, entity_id) DO NOTHING`,
      select: `SELECT status, time FROM ${table} WHERE kind = $1 AND entity_id = $2 FOR UPDATE`,
      update: `UPDATE ${table} SET status = $3, time = $4, applied_at = now() WHERE kind = $1 AND entity_id = $2`,
    };
  }

  get table(): string { return this.#table; }

  /** Creates the table when it is missing (`LEDGER_TABLE_SQL`, under this ledger's name). */
  async ensureSchema(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query(tableSql(this.#table));
    } finally {
      client.release();
    }
  }

  /** What was applied last for an entity, if anything (outside any transaction). */
  async get(kind: string, entityId: string): Promise<AppliedState | undefined> {
    const client = await this.#pool.connect();
    try {
      const { rows } = await client.query(`SELECT status, time FROM ${this.#table} WHERE kind = $1 AND entity_id = $2`,
        [requireString(kind, 'kind'), requireString(entityId, 'entityId')]);
      return applied(rows[0]) ?? undefined;
    } finally {
      client.release();
    }
  }

  async apply<T>(event: LedgerEvent, handler: (tx: C) => T | Promise<T>): Promise<LedgerOutcome<T>> {
    const e = checkEvent(event);
    if (typeof handler !== 'function') throw new TypeError(`handler must be a function, got ${describe(handler)}`);
    const client = await this.#pool.connect();
    // Set when the connection cannot be trusted any more (it died, or ROLLBACK failed): the pool
    // then drops it instead of handing it to the next delivery.
    let broken: Error | undefined;
    const onError = (error: Error): void => { broken ??= error; };
    client.on?.('error', onError);
    try {
      await client.query('BEGIN');
      await client.query(this.#sql.insert, [e.kind, e.entityId]);
      const { rows } = await client.query(this.#sql.select, [e.kind, e.entityId]);
      const verdict = decide(e, applied(rows[0]));
      if (verdict !== 'apply') {
        await client.query('COMMIT');
        return { verdict };
      }
      const result = await handler(client);
      await client.query(this.#sql.update, [e.kind, e.entityId, e.status, e.time]);
      await client.query('COMMIT');
      return { verdict, result };
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.off?.('error', onError);
      client.release(broken);
    }
  }
}

/** A ledger row as the state applied last; `null` when nothing was (a new row's NULL status).
 * node-postgres returns `bigint` as text: unix seconds fit a JS number exactly. */
function applied(row: unknown): AppliedState | null {
  const r = row as { status?: unknown; time?: unknown } | undefined;
  if (!r || typeof r.status !== 'string') return null;
  return { status: r.status, time: r.time === null || r.time === undefined ? null : Number(r.time) };
}
