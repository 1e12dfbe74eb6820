/** The tests' PostgreSQL server and fresh schemas, shared with the middleware's tests (scripts/pg-schemas.ts). */
export { PgSchemas, pgUrl } from '../../scripts/pg-schemas.ts';
