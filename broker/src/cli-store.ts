/**
 * The command line's choice of store: `--db <file>` (SQLite) or `--postgres <url>` with `--postgres-schema`
 * (PostgreSQL), checked before anything is opened, and the store's name as `serve` prints it (never the
 * URL's user or password). `--postgres env` reads the URL from {@link BROKER_POSTGRES_URL_VARIABLE}, so that
 * the password is in no command line, as `micromint-redeem --postgres env` does for the vendor's store.
 * @module
 */
import { assertPostgresUrl, assertSchemaName } from '@micromint/shared/postgres';
import type { BrokerOptions, ResolvedOptions } from './options.ts';

/** The environment variable `--postgres env` reads the broker's database URL from. */
export const BROKER_POSTGRES_URL_VARIABLE = 'MICROMINT_BROKER_POSTGRES_URL';

/** The store options of a command line, as parsed. */
export interface StoreArgs {
  db?: string | undefined;
  postgres?: string | undefined;
  'postgres-schema'?: string | undefined;
}

/** Where the broker's store is: `dbPath` or `postgres`, as `createBroker` takes them. */
export type StoreChoice = Pick<BrokerOptions, 'dbPath' | 'postgres'>;

/**
 * The store `values` name for `command`; `defaultDb` is the SQLite file taken when neither `--db` nor
 * `--postgres` is given (without it, one of them is required). Throws `RangeError` for a wrong choice.
 * @example
 * brokerStoreOf({ postgres: 'postgres://broker:secret@db:5432/broker' }, 'serve'); // { postgres: { connectionString } }
 * brokerStoreOf({}, 'serve', '.data/broker.db'); // { dbPath: '.data/broker.db' }
 */
export function brokerStoreOf(values: StoreArgs, command: string, defaultDb?: string): StoreChoice {
  const { db, postgres } = values;
  const schema = values['postgres-schema'];
  if (db !== undefined && postgres !== undefined) throw new RangeError(`${command}: give one of --db and --postgres, not both`);
  if (schema !== undefined && postgres === undefined) throw new RangeError('--postgres-schema goes with --postgres <url>');
  if (postgres === undefined) {
    const dbPath = db ?? defaultDb;
    if (dbPath === undefined) throw new RangeError(`${command} needs --db <file> or --postgres <url>`);
    return { dbPath };
  }
  const fromEnv = postgres === 'env';
  const url = fromEnv ? process.env[BROKER_POSTGRES_URL_VARIABLE] : postgres;
  if (fromEnv && !url) throw new RangeError(`--postgres env reads $${BROKER_POSTGRES_URL_VARIABLE}, which is not set`);
  assertPostgresUrl(url, fromEnv ? `$${BROKER_POSTGRES_URL_VARIABLE}` : '--postgres', 'postgres://broker:secret@127.0.0.1:5432/broker');
  if (schema !== undefined) assertSchemaName(schema, '--postgres-schema');
  return { postgres: { connectionString: url, ...(schema !== undefined ? { schema } : {}) } };
}

/**
 * The store of resolved options in words: the SQLite file, or PostgreSQL's host, port, database and schema.
 * @example
 * describeStore(broker.options); // 'PostgreSQL 10.0.0.5:5432/broker, schema micromint_broker'
 */
export function describeStore(o: Pick<ResolvedOptions, 'dbPath' | 'postgres'>): string {
  if (!o.postgres) return `SQLite ${o.dbPath}`;
  const url = new URL(o.postgres.connectionString);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
  return `PostgreSQL ${url.hostname}:${url.port || '5432'}/${database}, schema ${o.postgres.schema}`;
}
