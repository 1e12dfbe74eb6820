/**
 * The broker's store: its repositories, one per concept, behind promises, on SQLite (the embedded default,
 * sqlite-store.ts) or PostgreSQL (pg/store.ts, for brokers that run on more than one process or machine).
 * Both give the same guarantee: a `transaction` is all written or none, and two transactions never
 * interleave (SQLite's write lock; on PostgreSQL, one advisory lock that every write transaction takes).
 * @module
 */
import type { Repos } from './repos.ts';

export type { Repos } from './repos.ts';
export type EpochsRepo = Repos['epochs'];
export type AccountsRepo = Repos['accounts'];
export type SetsRepo = Repos['sets'];
export type VendorsRepo = Repos['vendors'];
export type ComplaintsRepo = Repos['complaints'];
export type CreditsRepo = Repos['credits'];
export type RefusalsRepo = Repos['refusals'];
export type RedemptionsRepo = Repos['redemptions'];
export type PaywordKeysRepo = Repos['paywordKeys'];
export type ChainsRepo = Repos['chains'];
export type TokensRepo = Repos['tokens'];
export type VendorSessionsRepo = Repos['vendorSessions'];
export type EarningsRepo = Repos['earnings'];

/** The repositories and transactions of a broker store. */
export interface Store extends Repos {
  /** Which database holds it. */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one transaction: all of it is written, or none; no other transaction runs meanwhile.
   * Statements `fn` awaits (in its async context) are part of it; a nested call joins it.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Waits for the open transaction, then closes the database (or the pool). */
  close(): Promise<void>;
}

export { openSqliteStore as openStore, type SqliteStore } from './sqlite-store.ts';
