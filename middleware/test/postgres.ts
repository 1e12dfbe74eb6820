/**
 * The tests' PostgreSQL server and fresh schemas (scripts/pg-schemas.ts), with a vendor store made in a
 * schema of its own.
 */
import { PgSchemas as Schemas } from '../../scripts/pg-schemas.ts';
import { PostgresVendorStore, type PostgresStoreOptions } from '../src/index.ts';

export { pgUrl } from '../../scripts/pg-schemas.ts';

/** Fresh schemas for one test file, and vendor stores in them. */
export class PgSchemas extends Schemas {
  /** A store in a fresh schema, or in `schema` (a second instance on the same data). */
  store(schema = this.fresh(), options: Partial<PostgresStoreOptions> = {}): PostgresVendorStore {
    return new PostgresVendorStore({ connectionString: this.server(), schema, ...options });
  }
}
