/**
 * What every broker operation needs: the store, the broker's public URL, the clock and the policy knobs.
 * @module
 */
import type { Store } from '../db/store.ts';
import type { FundingProvider } from './funding.ts';

/** Resolved, validated broker settings shared by the operations. */
export interface BrokerContext {
  store: Store;
  /** The broker's public base URL without a trailing slash, e.g. `http://127.0.0.1:4000`. */
  publicUrl: string;
  now: () => Date;
  fundingProviders: readonly FundingProvider[];
  /** Distinct users complaining about a vendor that disable it. */
  complaintThreshold: number;
  /** Session lifetime in ms. */
  sessionTtl: number;
  /** Most sets one purchase may hold. */
  maxSetsPerPurchase: number;
  /** Largest single deposit, in mills. */
  maxDepositMills: number;
  /** Log-in and sign-up attempts per IP address per minute. */
  authAttemptsPerMinute: number;
}
