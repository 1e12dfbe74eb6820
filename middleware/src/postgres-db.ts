/**
 * The plumbing under `PostgresVendorStore`: the `pg` pool (loaded only
 * when a Postgres store is made, so that `pg` stays an optional peer dependency), and transactions
 * that are tried again when PostgreSQL, or the store itself, finds that another instance got there
 * first.
 * @module
 */
import { createRequire } from 'node:module';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { PostgresStoreOptions } from './postgres-options.ts';

type PgModule = typeof import('pg');

/** `pg`, loaded on first use: a site on SQLite never needs it installed. */
function loadPg(): PgModule {
  try {
    return createRequire(import.meta.url)('pg') as PgModule;
  } catch (e) {
    throw new Error('PostgresVendorStore needs the `pg` package: npm install pg', { cause: e });
  }
}

const INT8_OID = 20;

/**
 * A pool for the store. `bigint` columns and counts come back as numbers (every one the store
 * reads is a safe integer), for this pool only. An idle connection that breaks (a restarted
 * server) is dropped quietly: the next query fails, and the middleware reports that.
 */
export function createPool(o: Required<PostgresStoreOptions>): Pool {
  const pg = loadPg();
  const config: PoolConfig = {
    connectionString: o.connectionString,
    max: o.poolSize,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Thrown inside a transaction when a row another instance wrote since it was read makes the
 * outcome stale (a coin inserted, a chain created, a payment taken back): the transaction is rolled
 * back and run again, and then reads what the other instance committed.
 */
export class Conflict extends Error {
  constructor(what: string) {
    super(`concurrent write: ${what}`);
    this.name = 'Conflict';
  }
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** The SQLSTATE of a `pg` error, if any. */
export const sqlState = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;

/** The SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = '23505';

/** How many times a transaction runs at most before its last conflict is thrown. */
const ATTEMPTS = 8;

/**
 * Runs `body` on one pooled connection and gives it back. Unlike `pool.query`, which drops the
 * connection after any error, a refused statement (a unique violation) keeps it and its prepared
 * statements; the pool drops a connection that broke by itself.
 */
export async function withClient<T>(pool: Pool, body: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await body(client);
  } finally {
    client.release();
  }
}

/**
 * Runs `body` in one READ COMMITTED transaction on one connection: committed when it returns
 * (durable with PostgreSQL's `synchronous_commit`), rolled back when it throws. A {@link Conflict}
 * or a serialization failure runs it again from the start.
 */
export async function transaction<T>(pool: Pool, body: (c: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await body(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      // A connection that cannot roll back is not given back to the pool.
      await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
      const again = e instanceof Conflict || RETRYABLE.has(sqlState(e) ?? '');
      if (!again || attempt >= ATTEMPTS || broken) throw e;
    } finally {
      client.release(broken);
    }
  }
}
