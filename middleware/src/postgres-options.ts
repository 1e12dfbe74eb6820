/**
 * The options of `PostgresVendorStore` and their eager checks (a wrong option throws at
 * construction, before any connection is made). No `pg` types here: the package's declarations
 * stay usable without `pg` installed.
 * @module
 */
import { aint, aobject } from '@micromint/shared';
import { assertPostgresUrl, assertSchemaName } from '@micromint/shared/postgres';

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

export { assertPostgresUrl };

/** Checks the options eagerly; returns them with defaults filled in. */
export function resolvePostgresOptions(options: PostgresStoreOptions): Required<PostgresStoreOptions> {
  aobject(options, 'PostgresVendorStore options');
  for (const key of Object.keys(options))
    if (!['connectionString', 'schema', 'poolSize'].includes(key)) throw new RangeError(`PostgresVendorStore: unknown option "${key}"`);
  assertPostgresUrl(options.connectionString, 'connectionString');
  const schema = options.schema ?? POSTGRES_DEFAULTS.schema;
  assertSchemaName(schema, 'schema');
  const poolSize = options.poolSize ?? POSTGRES_DEFAULTS.poolSize;
  aint(poolSize, 1, 1000, 'poolSize');
  return { connectionString: options.connectionString, schema, poolSize };
}
