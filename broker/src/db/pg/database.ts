/**
 * The plumbing under the broker's PostgreSQL store: one `pg` pool whose connections look in the broker's
 * schema (`search_path`), statements that run in the caller's open transaction when there is one, and
 * transactions that take the broker's write lock, so that brokers on many machines write one at a time,
 * as SQLite's `BEGIN IMMEDIATE` makes the processes of one machine do. Reads outside a transaction see
 * what was committed.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { quoteIdent } from '@micromint/shared/postgres';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** The first key of the broker's write lock ("MMBW"); the second is the schema name's hash. */
export const WRITE_LOCK = 0x4d4d4257;

/** Runs one statement and gives its rows; `$1`, `$2` ... are `values`. */
export type Query = <R = Record<string, unknown>>(text: string, values?: readonly unknown[]) => Promise<R[]>;

/** Where the broker's tables are. */
export interface PgConnection {
  /** `postgres://user:password@host:port/database`. */
  connectionString: string;
  /** The schema of the broker's tables (created if missing). */
  schema: string;
  /** Most connections this process opens. */
  poolSize: number;
}

/** A pool, its transactions and its statements. */
export interface PgDatabase {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** A statement: in the caller's transaction when it is inside one, else on any pooled connection. */
  query: Query;
  /** Runs `fn` in one transaction holding the write lock; a call inside an open transaction joins it. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Waits for the transactions running, then ends the pool. */
  close(): Promise<void>;
}

/**
 * Opens the pool. `bigint`, `numeric` and counts come back as numbers (every one the broker keeps is a safe
 * integer of mills, coins or slots); `bytea` as Buffers. Nothing connects until the first statement.
 * @example
 * const db = openPgDatabase({ connectionString: url, schema: 'micromint_broker', poolSize: 10 });
 * await db.transaction(async () => db.query('INSERT INTO ...', [a, b]));
 */
export function openPgDatabase(c: PgConnection): PgDatabase {
  const pool = new pg.Pool({
    connectionString: c.connectionString,
    max: c.poolSize,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    options: `-c search_path=${quoteIdent(c.schema)}`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        (oid === INT8_OID || oid === NUMERIC_OID) && format !== 'binary'
          ? Number
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that breaks (a restarted server) is dropped; the next statement fails and is reported.
  pool.on('error', () => undefined);
  const open = new AsyncLocalStorage<pg.PoolClient>();
  const running = new Set<Promise<unknown>>();

  const query: Query = async <R>(text: string, values: readonly unknown[] = []) => {
    const client = open.getStore();
    const result = client ? await client.query(text, values as unknown[]) : await pool.query(text, values as unknown[]);
    return result.rows as R[];
  };

  async function run<T>(fn: () => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [WRITE_LOCK, c.schema]);
        const result = await open.run(client, fn);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((r: Error) => (broken = r));
        throw e;
      }
    } finally {
      client.release(broken);
    }
  }

  return {
    pool,
    schema: c.schema,
    query,
    transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (open.getStore()) return fn();
      const p = run(fn);
      running.add(p);
      void p.then(
        () => running.delete(p),
        () => running.delete(p),
      );
      return p;
    },
    async close(): Promise<void> {
      await Promise.allSettled([...running]);
      await pool.end();
    },
  };
}
