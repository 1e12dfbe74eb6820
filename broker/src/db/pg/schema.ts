/**
 * The broker's PostgreSQL schema, as numbered migrations recorded in `schema_migrations` of its own schema
 * (the runner of `@micromint/shared/postgres`). The first is the SQLite schema as it stands after its own
 * migrations (migrations.ts); later changes are appended to both.
 * @module
 */
import { migrateSchema } from '@micromint/shared/postgres';
import type pg from 'pg';
import { ACCOUNTS_TABLES } from './schema-accounts.ts';
import { MINT_TABLES } from './schema-mint.ts';
import { REDEEM_TABLES } from './schema-redeem.ts';
import { TOKENS_TABLES } from './schema-tokens.ts';

/** Migration i brings the schema from version i to i + 1. Append only; names unqualified. */
export const PG_MIGRATIONS: readonly string[] = [ACCOUNTS_TABLES + MINT_TABLES + REDEEM_TABLES + TOKENS_TABLES];

/** The first key of the migration lock ("MMBS"). */
const MIGRATION_LOCK = 0x4d4d4253;

/**
 * Creates the broker's schema, or brings it up to date; throws when newer code wrote it.
 * @example
 * await migrateBrokerSchema(pool, 'micromint_broker');
 */
export function migrateBrokerSchema(pool: pg.Pool, schema: string): Promise<void> {
  return migrateSchema(pool, { schema, migrations: PG_MIGRATIONS, lockKey: MIGRATION_LOCK, what: 'the broker schema' });
}
