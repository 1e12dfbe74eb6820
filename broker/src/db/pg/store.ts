/**
 * The broker's store on PostgreSQL: for a broker that runs as more than one process, on one machine or
 * many, all on one database. SQLite (sqlite-store.ts) stays the embedded default. The repositories are the
 * SQLite ones' methods, written in PostgreSQL's SQL, one file per concept beside this one; every write
 * transaction takes the broker's write lock (database.ts), so a coin redeemed through two instances at
 * once is credited by the first and recorded as a double spend by the second.
 * @module
 */
import { assertDurableCommits } from '@micromint/shared/postgres';
import type { Repos, Store } from '../store.ts';
import { pgAccountsRepo } from './accounts.ts';
import { pgChainsRepo } from './chains.ts';
import { pgComplaintsRepo } from './complaints.ts';
import { pgCreditsRepo } from './credits.ts';
import { openPgDatabase, type PgDatabase, type Query } from './database.ts';
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

/** The PostgreSQL repositories, by the SQLite ones' names (db/repos.ts), each with the same methods. */
const PG_REPOS: { [K in keyof Repos]: (q: Query) => Repos[K] } = {
  epochs: pgEpochsRepo,
  accounts: pgAccountsRepo,
  sets: pgSetsRepo,
  vendors: pgVendorsRepo,
  complaints: pgComplaintsRepo,
  credits: pgCreditsRepo,
  refusals: pgRefusalsRepo,
  redemptions: pgRedemptionsRepo,
  paywordKeys: pgPaywordKeysRepo,
  chains: pgChainsRepo,
  tokens: pgTokensRepo,
  vendorSessions: pgVendorSessionsRepo,
  earnings: pgEarningsRepo,
};

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
 * const epoch = await store.epochs.current(new Date());
 */
export async function openPostgresStore(options: PostgresBrokerOptions): Promise<PostgresStore> {
  const c = resolvePostgresBrokerOptions(options);
  const database = openPgDatabase(c);
  try {
    await migrateBrokerSchema(database.pool, c.schema);
    await assertDurableCommits(database.pool, 'a redemption could be lost after the vendor was told');
  } catch (e) {
    await database.close();
    throw e;
  }
  const q = database.query;
  const repos = Object.fromEntries(Object.entries(PG_REPOS).map(([name, make]) => [name, make(q)])) as Repos;
  return {
    kind: 'postgres',
    database,
    ...repos,
    transaction: (fn) => database.transaction(fn),
    close: () => database.close(),
  };
}
