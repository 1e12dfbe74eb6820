/**
 * `@micromint/shared/postgres`: what the Postgres stores of the vendor and the broker share (the
 * URL check, the schema migrations, the durable-commit check). Not part of the main entry: wallets never load it.
 * @module
 */
export { assertDurableCommits, type PgQueryable } from './pg-durable.ts';
export { assertPostgresUrl } from './pg-url.ts';
export { assertSchemaName, migrateSchema, quoteIdent, type PgClientLike, type PgPoolLike, type SchemaMigrations } from './pg-schema.ts';
