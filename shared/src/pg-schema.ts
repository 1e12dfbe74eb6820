/**
 * A PostgreSQL schema kept as numbered migrations, recorded in its table `schema_migrations`: the
 * runner of the vendor's Postgres store and of the broker's minting farm. Each migration runs in a
 * transaction of its own with `search_path` set to the schema; a session advisory lock on the
 * schema's name makes processes that start at the same time take turns, so each migration is
 * applied once. It needs no `pg` types: any pool whose clients have `query` and `release` will do.
 * @module
 */
import { astring } from './assert.ts';

/** A connection, as `pg`'s `PoolClient`. */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(error?: Error): void;
}

/** A pool, as `pg`'s `Pool`. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
}

/** What to migrate. */
export interface SchemaMigrations {
  /** The schema: lower-case letters, digits and `_` (checked by the caller's options). */
  schema: string;
  /** Migration i brings the schema from version i to i + 1, with unqualified names. Append only. */
  migrations: readonly string[];
  /** The first key of the advisory lock (the second is the schema name's hash): one per kind of schema. */
  lockKey: number;
  /** What the schema holds, for the error when newer code wrote it ("the farm schema"). */
  what: string;
}

/** A schema name written without quoting problems: lower case, 1 to 63 characters. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks that `value` is a schema name {@link quoteIdent} may quote: lower-case letters, digits and
 * `_`, not starting with a digit, at most 63 characters.
 * @example
 * assertSchemaName('micromint', 'schema'); // passes
 * assertSchemaName('Shop', 'schema'); // RangeError: schema must be lower-case letters, digits and _, ...
 */
export function assertSchemaName(value: unknown, name: string): asserts value is string {
  astring(value, name, 63);
  if (!SCHEMA_NAME.test(value)) throw new RangeError(`${name} must be lower-case letters, digits and _, not starting with a digit`);
}

/** `"name"`: an identifier already checked to be lower case with no quotes. */
export const quoteIdent = (name: string): string => `"${name}"`;

/**
 * Brings the schema to `migrations.length`, creating it when missing. Writes nothing when it is up
 * to date. Throws when newer code wrote it.
 * @example
 * await migrateSchema(pool, { schema: 'micromint', migrations: MIGRATIONS, lockKey: 0x4d4d4d47, what: 'the PostgreSQL schema' });
 */
export async function migrateSchema(pool: PgPoolLike, m: SchemaMigrations): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [m.lockKey, m.schema]);
    try {
      await migrateLocked(client, m);
    } finally {
      // A connection that cannot unlock is dropped: its session, and so the lock, ends with it.
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [m.lockKey, m.schema]).catch((e: Error) => {
        broken = e;
      });
    }
  } finally {
    client.release(broken);
  }
}

/** The migrations still to apply, each in its own transaction; call holding the migration lock. */
async function migrateLocked(client: PgClientLike, { schema, migrations, what }: SchemaMigrations): Promise<void> {
  const s = quoteIdent(schema);
  // Nothing is written when the schema is up to date (IF NOT EXISTS would still need the rights, and a writable server).
  const found = (
    await client.query(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema, to_regclass($2) IS NOT NULL AS table`, [
      schema,
      `${s}.schema_migrations`,
    ])
  ).rows[0] as { schema: boolean; table: boolean };
  if (!found.schema) await client.query(`CREATE SCHEMA ${s}`);
  if (!found.table)
    await client.query(`CREATE TABLE ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const { v: version } = (await client.query(`SELECT coalesce(max(version), 0)::int AS v FROM ${s}.schema_migrations`)).rows[0] as {
    v: number;
  };
  if (version > migrations.length) throw new Error(`${what} ${schema} has version ${version}, newer than this code (${migrations.length})`);
  for (let v = version; v < migrations.length; v++) {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL search_path TO ${s}`);
      await client.query(migrations[v]!);
      await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [v + 1]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    }
  }
}
