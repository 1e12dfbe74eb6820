/**
 * @micromint/broker: the MicroMint broker. CoinMint mints an epoch's balls, MMBroker sells users
 * superbin sets through a web site, MMRedeem redeems the coins vendors were paid.
 * @module
 */
import type { Express } from 'express';
import type { BrokerContext } from './core/context.ts';
import { openStore, type Store } from './db/store.ts';
import { createApp } from './http/app.ts';
import { resolveOptions, type BrokerOptions, type ResolvedOptions } from './options.ts';

/** A running broker's parts. */
export interface Broker {
  /** The Express app: `app.listen(port, host)`. */
  app: Express;
  store: Store;
  /** The validated options with defaults. */
  options: ResolvedOptions;
  /** The context the operations run with (for scripts and tests that call them directly). */
  context: BrokerContext;
  /** Closes the database (stop the HTTP server first). */
  close(): void;
}

/**
 * Creates a broker over the SQLite file `dbPath`. Options are checked at once (TypeError / RangeError).
 * @example
 * const broker = createBroker({ dbPath: 'broker.db', publicUrl: 'http://127.0.0.1:4000' });
 * if (!broker.store.epochs.current(new Date())) await mintEpoch({ store: broker.store, params: PARAMETER_SETS.demo });
 * const server = broker.app.listen(4000, '127.0.0.1');
 */
export function createBroker(options: BrokerOptions): Broker {
  const resolved = resolveOptions(options);
  const store = openStore(resolved.dbPath);
  const { dbPath: _dbPath, ...settings } = resolved;
  const context: BrokerContext = { store, ...settings };
  return { app: createApp(context), store, options: resolved, context, close: () => store.close() };
}

export type { BrokerOptions, ResolvedOptions } from './options.ts';
export type { BrokerContext } from './core/context.ts';
export type { Store } from './db/store.ts';
export { openStore } from './db/store.ts';
export type { EpochRecord, BallStatus } from './db/epochs.ts';
export { mintEpoch, mintBalls, MAX_SLOT_BITS } from './mint/mint.ts';
export { ballOfCounter, ballsOfCounters } from './mint/balls.ts';
export type { MintEpochOptions, MintSummary, MintProgress, MintedBalls } from './mint/mint.ts';
export { measureMint } from './mint/measure.ts';
export type { MeasureOptions, MintSpeed } from './mint/measure.ts';
export { nativeAvailable, type MintKernel } from './mint/native.ts';
export { hashBudget, estimateCoins } from './mint/stats.ts';
export { SandboxFunding } from './core/funding.ts';
export type { FundingProvider, FundingCharge, FundingResult } from './core/funding.ts';
export { BrokerError } from './core/errors.ts';
export { buySets, type Purchase } from './core/sell.ts';
export { fundsWithdrawnText, sendExpiredText } from './core/messages.ts';
export {
  redeemBatch,
  readRedeemRequest,
  KEPT_REFUSED_BATCHES,
  MAX_BATCH_COINS,
  type RedeemAnswer,
  type RedeemEntry,
  type RedeemRequest,
  type RedeemResult,
} from './core/redeem.ts';
export { requestCredit, type CreditAnswer } from './core/credit.ts';
export { registerVendor, authenticateVendor, enableVendor, vendorSummary, type VendorSummary } from './core/vendors.ts';
export { fileComplaint, complaintState, MAX_COMPLAINTS_PER_DAY, type ComplaintState } from './core/complaints.ts';
export { epochTimeline, publishedParams, returnWindows, type EpochTimeline, type ReturnWindow } from './core/timeline.ts';
export { KEPT_PER_BATCH, KEPT_PER_VENDOR } from './core/refusals.ts';
export { signUp, logIn } from './core/users.ts';
export { addFunds, formatDollars, dollarsToMills } from './core/funds.ts';
