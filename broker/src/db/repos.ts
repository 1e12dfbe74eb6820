/**
 * The broker's repositories by name, one per concept: the SQLite ones, whose methods (with promises) are
 * every store's. store.ts derives the store's types from this map, sqlite-store.ts builds the SQLite store
 * from it, and the PostgreSQL store (pg/store.ts) has one repository of the same methods per name.
 * @module
 */
import { accountsRepo } from './accounts.ts';
import type { Async } from './async.ts';
import { chainsRepo } from './chains.ts';
import { complaintsRepo } from './complaints.ts';
import { creditsRepo } from './credits.ts';
import { earningsRepo } from './earnings.ts';
import { epochsRepo } from './epochs.ts';
import type { Db } from './open.ts';
import { paywordKeysRepo } from './payword-keys.ts';
import { redemptionsRepo } from './redemptions.ts';
import { refusalsRepo } from './refusals.ts';
import { setsRepo } from './sets.ts';
import { tokensRepo } from './tokens.ts';
import { vendorSessionsRepo } from './vendor-sessions.ts';
import { vendorsRepo } from './vendors.ts';

/** The SQLite repositories, by the name the store gives each. */
export const SQLITE_REPOS = {
  epochs: epochsRepo,
  accounts: accountsRepo,
  sets: setsRepo,
  vendors: vendorsRepo,
  complaints: complaintsRepo,
  credits: creditsRepo,
  refusals: refusalsRepo,
  /** A redemption batch's writes, a statement each. */
  redemptions: redemptionsRepo,
  /** PayWord: the broker's key pair, wallet keys, vendor keys. */
  paywordKeys: paywordKeysRepo,
  /** PayWord: authorized chains and their clearings. */
  chains: chainsRepo,
  /** Readers' API tokens (the token API). */
  tokens: tokensRepo,
  /** Vendor dashboard sessions. */
  vendorSessions: vendorSessionsRepo,
  /** A vendor's earnings per page and per day (the dashboard). */
  earnings: earningsRepo,
} satisfies Record<string, (db: Db) => object>;

/** Every store's repositories: the SQLite ones' methods, returning promises. */
export type Repos = { [K in keyof typeof SQLITE_REPOS]: Async<ReturnType<(typeof SQLITE_REPOS)[K]>> };
