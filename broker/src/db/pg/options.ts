/**
 * Where a broker on PostgreSQL keeps its tables, checked eagerly (a wrong option throws before any connection).
 * @module
 */
import { aint, aobject } from '@micromint/shared';
import { assertPostgresUrl, assertSchemaName } from '@micromint/shared/postgres';
import type { PgConnection } from './database.ts';

/** The broker's PostgreSQL database. */
export interface PostgresBrokerOptions {
  /** `postgres://user:password@host:port/database`: every instance of the broker uses the same one. */
  connectionString: string;
  /** The schema of the broker's tables, created if missing; default `micromint_broker`. */
  schema?: string;
  /** Most connections one broker process opens; default 10. */
  poolSize?: number;
}

/** Defaults of {@link PostgresBrokerOptions}. */
export const POSTGRES_BROKER_DEFAULTS = { schema: 'micromint_broker', poolSize: 10 } as const;

const KEYS = new Set(['connectionString', 'schema', 'poolSize']);

/**
 * Checks the options and fills in the defaults; never echoes the URL (it may hold a password).
 * @example
 * resolvePostgresBrokerOptions({ connectionString: process.env.DATABASE_URL! }).schema; // 'micromint_broker'
 */
export function resolvePostgresBrokerOptions(o: PostgresBrokerOptions): PgConnection {
  aobject(o, 'postgres');
  for (const key of Object.keys(o)) if (!KEYS.has(key)) throw new RangeError(`postgres: unknown option "${key}"`);
  assertPostgresUrl(o.connectionString, 'postgres.connectionString', 'postgres://broker:secret@127.0.0.1:5432/broker');
  const schema = o.schema ?? POSTGRES_BROKER_DEFAULTS.schema;
  assertSchemaName(schema, 'postgres.schema');
  const poolSize = o.poolSize ?? POSTGRES_BROKER_DEFAULTS.poolSize;
  aint(poolSize, 1, 1000, 'postgres.poolSize');
  return { connectionString: o.connectionString, schema, poolSize };
}
