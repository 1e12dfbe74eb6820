/**
 * The broker's store: its repositories, one per concept, behind promises, on SQLite (the embedded default,
 * sqlite-store.ts) or PostgreSQL (pg/store.ts, for brokers that run on more than one process or machine).
 * Both give the same guarantee: a `transaction` is all written or none, and two transactions never
 * interleave (SQLite's write lock; on PostgreSQL, one advisory lock that every write transaction takes).
 * @module
 */
import type { accountsRepo } from './accounts.ts';
import type { Async } from './async.ts';
import type { chainsRepo } from './chains.ts';
import type { complaintsRepo } from './complaints.ts';
import type { creditsRepo } from './credits.ts';
import type { earningsRepo } from './earnings.ts';
import type { epochsRepo } from './epochs.ts';
import type { paywordKeysRepo } from './payword-keys.ts';
import type { redemptionsRepo } from './redemptions.ts';
import type { refusalsRepo } from './refusals.ts';
import type { setsRepo } from './sets.ts';
import type { tokensRepo } from './tokens.ts';
import type { vendorSessionsRepo } from './vendor-sessions.ts';
import type { vendorsRepo } from './vendors.ts';

export type EpochsRepo = Async<ReturnType<typeof epochsRepo>>;
export type AccountsRepo = Async<ReturnType<typeof accountsRepo>>;
export type SetsRepo = Async<ReturnType<typeof setsRepo>>;
export type VendorsRepo = Async<ReturnType<typeof vendorsRepo>>;
export type ComplaintsRepo = Async<ReturnType<typeof complaintsRepo>>;
export type CreditsRepo = Async<ReturnType<typeof creditsRepo>>;
export type RefusalsRepo = Async<ReturnType<typeof refusalsRepo>>;
export type RedemptionsRepo = Async<ReturnType<typeof redemptionsRepo>>;
export type PaywordKeysRepo = Async<ReturnType<typeof paywordKeysRepo>>;
export type ChainsRepo = Async<ReturnType<typeof chainsRepo>>;
export type TokensRepo = Async<ReturnType<typeof tokensRepo>>;
export type VendorSessionsRepo = Async<ReturnType<typeof vendorSessionsRepo>>;
export type EarningsRepo = Async<ReturnType<typeof earningsRepo>>;

/** The repositories and transactions of a broker store. */
export interface Store {
  /** Which database holds it. */
  readonly kind: 'sqlite' | 'postgres';
  epochs: EpochsRepo;
  accounts: AccountsRepo;
  sets: SetsRepo;
  vendors: VendorsRepo;
  complaints: ComplaintsRepo;
  credits: CreditsRepo;
  refusals: RefusalsRepo;
  /** A redemption batch's writes, a statement each. */
  redemptions: RedemptionsRepo;
  /** PayWord: the broker's key pair, wallet keys, vendor keys. */
  paywordKeys: PaywordKeysRepo;
  /** PayWord: authorized chains and their clearings. */
  chains: ChainsRepo;
  /** Readers' API tokens (the token API). */
  tokens: TokensRepo;
  /** Vendor dashboard sessions. */
  vendorSessions: VendorSessionsRepo;
  /** A vendor's earnings per page and per day (the dashboard). */
  earnings: EarningsRepo;
  /**
   * Runs `fn` in one transaction: all of it is written, or none; no other transaction runs meanwhile.
   * Statements `fn` awaits (in its async context) are part of it; a nested call joins it.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Waits for the open transaction, then closes the database (or the pool). */
  close(): Promise<void>;
}

export { openSqliteStore as openStore, type SqliteStore } from './sqlite-store.ts';
