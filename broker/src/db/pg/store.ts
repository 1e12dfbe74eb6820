/**
 * The broker's store on PostgreSQL: for a broker that runs as more than one process, on one machine or
 * many, all on one database. SQLite (sqlite-store.ts) stays the embedded default. The repositories are the
 * SQLite ones' methods, written in PostgreSQL's SQL, one file per concept beside this one; every write
 * transaction takes the broker's write lock (database.ts), so a coin redeemed through two instances at
 * once is credited by the first and recorded as a double spend by the second.
 * @module
 */
import type { Store } from '../store.ts';
import { pgAccountsRepo } from './accounts.ts';
import { pgChainsRepo } from './chains.ts';
import { pgComplaintsRepo } from './complaints.ts';
import { pgCreditsRepo } from './credits.ts';
import { openPgDatabase, type PgDatabase } from './database.ts';
import { pgEarningsRepo } from './earnings.ts';
import { pgEpochsRepo } from './epochs.ts';
import { resolvePostgresBrokerOptions, type PostgresBrokerOptions } from './options.ts';
import { pgPaywordKeysRepo } from './payword-keys.ts';
import { pgRedemptionsRepo } from './redemptions.ts';
import { pgRefusalsRepo } from './refusals.ts';
import { migrateBrokerSchema } from './schema.ts';
import { pgSetsRepo } from './sets.ts';
import { pgTokensRepo } from './tokens.ts';
import { pgVendorSessionsRepo } from './vendor-sessions.ts';
import { pgVendorsRepo } from './vendors.ts';

/** A {@link Store} on PostgreSQL; `database` is its pool (for scripts and tests). */
export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  readonly database: PgDatabase;
}

/**
 * Connects, creates or migrates the broker's schema, and checks that commits are durable
 * (`synchronous_commit` on: a credited coin must survive a crash of the server).
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL! });
 * const broker = await createBroker({ store, publicUrl: 'https://broker.example' });
 */
export async function openPostgresStore(options: PostgresBrokerOptions): Promise<PostgresStore> {
  const c = resolvePostgresBrokerOptions(options);
  const database = openPgDatabase(c);
  try {
    await migrateBrokerSchema(database.pool, c.schema);
    const [row] = await database.query<{ s: string }>(`SELECT current_setting('synchronous_commit') AS s`);
    if (row!.s === 'off')
      throw new Error(
        'PostgreSQL has synchronous_commit = off: a redemption could be lost after the vendor was told. ' +
          'Turn it on for the broker (ALTER ROLE <user> SET synchronous_commit = on).',
      );
  } catch (e) {
    await database.close();
    throw e;
  }
  const q = database.query;
  return {
    kind: 'postgres',
    database,
    epochs: pgEpochsRepo(q),
    accounts: pgAccountsRepo(q),
    sets: pgSetsRepo(q),
    vendors: pgVendorsRepo(q),
    complaints: pgComplaintsRepo(q),
    credits: pgCreditsRepo(q),
    refusals: pgRefusalsRepo(q),
    redemptions: pgRedemptionsRepo(q),
    paywordKeys: pgPaywordKeysRepo(q),
    chains: pgChainsRepo(q),
    tokens: pgTokensRepo(q),
    vendorSessions: pgVendorSessionsRepo(q),
    earnings: pgEarningsRepo(q),
    transaction: (fn) => database.transaction(fn),
    close: () => database.close(),
  };
}
