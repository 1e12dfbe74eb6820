/**
 * The options of `PostgresVendorStore` and their eager checks (a wrong option throws at
 * construction, before any connection is made). No `pg` types here: the package's declarations
 * stay usable without `pg` installed.
 * @module
 */
import { aint, aobject, astring } from '@micromint/shared';

/** Options of `new PostgresVendorStore()`. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (`?sslmode=...` and the like as `pg` reads them). */
  connectionString: string;
  /**
   * The PostgreSQL schema that holds the store's tables, created if missing (default `micromint`):
   * the site's own tables may live in the same database. Lower-case letters, digits and `_`.
   */
  schema?: string;
  /** Most connections the store opens at once (default 10). */
  poolSize?: number;
}

/** Defaults of {@link PostgresStoreOptions}. */
export const POSTGRES_DEFAULTS = { schema: 'micromint', poolSize: 10 } as const;

/** A PostgreSQL identifier the store writes without quoting problems: lower case, 1 to 63 characters. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks that `value` is a `postgres://` or `postgresql://` URL naming a host; never echoes it (it may hold a password). */
export function assertPostgresUrl(value: unknown, name = 'connectionString'): asserts value is string {
  astring(value, name, 4096);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`${name} must be a URL such as postgres://user:password@127.0.0.1:5432/shop`);
  }
  if ((url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname)
    throw new RangeError(`${name} must be a postgres:// URL with a host, such as postgres://user:password@127.0.0.1:5432/shop`);
}

/** Checks the options eagerly; returns them with defaults filled in. */
export function resolvePostgresOptions(options: PostgresStoreOptions): Required<PostgresStoreOptions> {
  aobject(options, 'PostgresVendorStore options');
  for (const key of Object.keys(options))
    if (!['connectionString', 'schema', 'poolSize'].includes(key)) throw new RangeError(`PostgresVendorStore: unknown option "${key}"`);
  assertPostgresUrl(options.connectionString);
  const schema = options.schema ?? POSTGRES_DEFAULTS.schema;
  astring(schema, 'schema', 63);
  if (!SCHEMA_NAME.test(schema)) throw new RangeError(`schema must be lower-case letters, digits and _, not starting with a digit`);
  const poolSize = options.poolSize ?? POSTGRES_DEFAULTS.poolSize;
  aint(poolSize, 1, 1000, 'poolSize');
  return { connectionString: options.connectionString, schema, poolSize };
}
