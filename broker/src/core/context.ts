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
  /** Fewest qualifying complainers that can disable a vendor (see complaints.ts). */
  complaintThreshold: number;
  /** Mills a complainer must have paid the vendor in the window to count. */
  complaintMinSpendMills: number;
  /** Share of the vendor's paying customers and of its takings the qualifying complainers must reach. */
  complaintShare: number;
  /** Days of redemptions and complaints the complaint rule looks at. */
  complaintWindowDays: number;
  /** Seconds after expiry during which an epoch's coins are still redeemed; returns open after it. */
  redeemGraceSeconds: number;
  /** Session lifetime in ms. */
  sessionTtl: number;
  /** Most sets one purchase may hold. */
  maxSetsPerPurchase: number;
  /** Largest single deposit, in mills. */
  maxDepositMills: number;
  /** Log-in and sign-up attempts per IP address per minute. */
  authAttemptsPerMinute: number;
  /** Vendor registrations per IP address per hour. */
  registrationsPerHour: number;
  /** Redemption requests per API key per minute. */
  redeemsPerMinute: number;
  /** Redemption requests per IP address per minute. */
  redeemsPerMinutePerAddress: number;
  /** Request-Credit requests per IP address per minute. */
  creditsPerMinute: number;
  /** Seconds after a chain's expiry that its vendor may still clear it; the unspent hold is released after. */
  chainGraceSeconds: number;
  /** Latest expiry a chain may name, in seconds after its authorization. */
  maxChainExpirySeconds: number;
  /** Most links in one chain. */
  maxChainLength: number;
  /** Chain authorizations per user per minute. */
  chainsPerMinute: number;
  /** Chain authorizations per IP address per minute. */
  chainsPerMinutePerAddress: number;
  /** The wallet extension's zip offered for download (absolute path), or undefined. */
  walletZip: string | undefined;
}
