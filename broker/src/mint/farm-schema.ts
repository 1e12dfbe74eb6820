/**
 * The tables of the minting farm's queue, as numbered migrations recorded in `schema_migrations` of the farm's
 * own PostgreSQL schema. A session advisory lock on the schema's name makes a coordinator and workers that start
 * at the same time take turns, so each migration runs once, in its own transaction.
 * @module
 */
import type { Pool } from 'pg';
import { migrateSchema, quoteIdent } from '@micromint/shared/postgres';

/**
 * Migration i brings the schema from version i to i + 1. Append only. Names are unqualified: the runner sets
 * `search_path` to the farm's schema for each migration.
 */
const MIGRATIONS: readonly string[] = [
  `
  -- A minting job: what every range of it hashes. The seed is the broker's secret: the job row is deleted
  -- (with its ranges) as soon as the coordinator has stored the epoch, or given up.
  CREATE TABLE jobs (
    id          text PRIMARY KEY,
    key         bytea NOT NULL,
    seed        bytea NOT NULL,
    t           integer NOT NULL,
    u           integer NOT NULL,
    v           integer NOT NULL,
    fixed       integer NOT NULL,
    hashes      bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
  );
  -- Counters [first_counter, end_counter) of a job. A worker claims a range by setting worker and lease_until
  -- (the database's clock, never a worker's), renews the lease while it hashes, and writes winners: per slot the
  -- smallest counter of the range that reached it, as (slot u32be, counter - first_counter u32be) pairs.
  CREATE TABLE ranges (
    job           text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    idx           integer NOT NULL,
    first_counter bigint NOT NULL,
    end_counter   bigint NOT NULL,
    worker        text,
    lease_until   timestamptz,
    claims        integer NOT NULL DEFAULT 0,
    progress      bigint NOT NULL DEFAULT 0,
    done_at       timestamptz,
    done_by       text,
    kernel        text,
    balls_counted bigint,
    winners       bytea,
    PRIMARY KEY (job, idx),
    CHECK (end_counter > first_counter AND end_counter - first_counter <= 4294967296)
  );
  CREATE INDEX ranges_open ON ranges (job, idx) WHERE done_at IS NULL;
  `,
];

/** The schema version this code writes. */
export const FARM_SCHEMA_VERSION = MIGRATIONS.length;

/** The first key of the farm's advisory lock ("MMFM"); the second is the schema name's hash. */
const MIGRATION_LOCK = 0x4d4d464d;

export { quoteIdent };

/**
 * Brings `schema` to {@link FARM_SCHEMA_VERSION}, creating it when missing; throws when newer code wrote it.
 * Safe to run from several processes at once.
 * @example
 * await migrateFarm(pool, 'micromint_farm');
 */
export const migrateFarm = (pool: Pool, schema: string): Promise<void> =>
  migrateSchema(pool, { schema, migrations: MIGRATIONS, lockKey: MIGRATION_LOCK, what: 'the farm schema' });
