/**
 * The schema of `PostgresVendorStore`, as numbered migrations recorded in the table
 * `schema_migrations` of the store's PostgreSQL schema. Each migration runs in its own
 * transaction; a session advisory lock on the schema's name makes instances that start at the same
 * time take turns, so each migration is applied once and a second instance finds the work done.
 * @module
 */
import type { Pool } from 'pg';
import { migrateSchema, quoteIdent } from '@micromint/shared/postgres';

/**
 * Migration i brings the schema from version i to i + 1. Append only. Names are unqualified: the
 * runner sets `search_path` to the store's schema for each migration.
 *
 * Times are kept as the ISO 8601 text the middleware gives (a replay answers with the very
 * `paidAt` recorded); orderings that must match the other stores sort with `COLLATE "C"`.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE payments (
    id            text PRIMARY KEY,
    epoch         text NOT NULL,
    user_id       text NOT NULL,
    method        text NOT NULL,
    url           text NOT NULL,
    price         integer NOT NULL,
    coin_count    integer NOT NULL,
    paid_at       text NOT NULL,
    -- Set when a request was served the payment again as a replay: it is then never un-recorded.
    replayed_at   text
  );
  CREATE TABLE redemption_batches (
    id            text PRIMARY KEY,
    sent_at       text NOT NULL,
    answered_at   text,
    response      text,
    error         text
  );
  -- One row per coin: the primary key is the rule "one acceptance per coin", across every instance.
  CREATE TABLE coins (
    epoch         text NOT NULL,
    coin_id       text NOT NULL,
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    coin          bytea NOT NULL,
    payment_id    text NOT NULL REFERENCES payments (id),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'credited', 'refused')),
    reason        text,
    batch_id      text REFERENCES redemption_batches (id),
    PRIMARY KEY (epoch, coin_id)
  );
  CREATE INDEX coins_payment ON coins (payment_id);
  CREATE INDEX coins_unbatched ON coins (seq) WHERE status = 'pending' AND batch_id IS NULL;
  CREATE INDEX coins_batch ON coins (batch_id) WHERE batch_id IS NOT NULL;
  CREATE TABLE refusals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            text NOT NULL,
    scheme        text NOT NULL DEFAULT 'micromint',
    epoch         text NOT NULL,
    user_id       text NOT NULL,
    method        text NOT NULL,
    url           text NOT NULL,
    reason        text NOT NULL,
    coin_ids      text NOT NULL,
    detail        text,
    chain_id      text,
    link_index    integer,
    units         integer
  );
  -- Epochs fetched from the broker, so that a restart verifies coins while the broker is down.
  CREATE TABLE epochs (
    id            text PRIMARY KEY,
    params        text NOT NULL,
    saved_at      text NOT NULL
  );
  -- One row rewritten by probe(): a health check that the database takes writes.
  CREATE TABLE probes (
    id            integer PRIMARY KEY CHECK (id = 1),
    at            text NOT NULL
  );
  -- Keys the vendor keeps (its X25519 key pair, the broker's payword terms and key).
  CREATE TABLE keys (
    name          text PRIMARY KEY,
    value         text NOT NULL,
    saved_at      text NOT NULL
  );
  -- A PayWord chain: its commitment, the terms checked per payment, the highest link and the gaps below
  -- it, what the broker cleared, and the clearing batch in flight with the index and link it carries.
  -- Its row is the compare-and-set of the highest index: every payment of the chain locks it.
  CREATE TABLE payword_chains (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain_id        text NOT NULL UNIQUE,
    commitment      bytea NOT NULL,
    length          integer NOT NULL,
    value           integer NOT NULL,
    expires_at      bigint NOT NULL,
    highest_index   integer NOT NULL,
    highest_link    bytea NOT NULL,
    gaps            text NOT NULL DEFAULT '[]',
    cleared_index   integer NOT NULL DEFAULT 0,
    paid_units      bigint NOT NULL DEFAULT 0,
    paid_mills      bigint NOT NULL DEFAULT 0,
    refused_index   integer NOT NULL DEFAULT 0,
    refused_reason  text,
    batch_id        text REFERENCES redemption_batches (id),
    batch_index     integer,
    batch_link      bytea
  );
  CREATE INDEX payword_chains_batch ON payword_chains (batch_id) WHERE batch_id IS NOT NULL;
  -- A payment: the range first_index .. last_index of a chain, and what its MAC bound.
  CREATE TABLE payword_payments (
    id              text PRIMARY KEY,
    chain           bigint NOT NULL REFERENCES payword_chains (id),
    first_index     integer NOT NULL,
    last_index      integer NOT NULL,
    method          text NOT NULL,
    url             text NOT NULL,
    mac             bytea NOT NULL,
    paid_at         text NOT NULL,
    replayed_at     text,
    UNIQUE (chain, last_index)
  );
  `,
];

/** The schema version this code writes (number of migrations). */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** The first key of the store's advisory locks ("MMMG"); the second is the schema name's hash. */
export const MIGRATION_LOCK = 0x4d4d4d47;

export { quoteIdent };

/**
 * Brings `schema` to {@link POSTGRES_SCHEMA_VERSION}, creating it when missing. Throws when the
 * database was written by newer code. Safe to run from several processes at once.
 * @example
 * await migrate(pool, 'micromint');
 */
export const migrate = (pool: Pool, schema: string): Promise<void> =>
  migrateSchema(pool, { schema, migrations: MIGRATIONS, lockKey: MIGRATION_LOCK, what: 'the PostgreSQL schema' });
