/**
 * @micromint/broker: the MicroMint broker. CoinMint mints an epoch's balls, MMBroker sells users
 * superbin sets through a web site, MMRedeem redeems the coins vendors were paid; beside the coins, the
 * broker authorizes PayWord chains, clears them for vendors and releases what they did not clear.
 * @module
 */
import type { Express } from 'express';
import type { BrokerContext } from './core/context.ts';
import { brokerKeyPair } from './core/payword/keys.ts';
import { startReleaseSweep } from './core/payword/sweeper.ts';
import { openPostgresStore } from './db/pg/store.ts';
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
  /**
   * Stops the release sweep, then closes the store once its open transaction is done (stop the HTTP server
   * first). Calling it again gives the same promise.
   */
  close(): Promise<void>;
}

/** Opens the store the options name: the SQLite file, or the PostgreSQL database (its schema made or migrated). */
const openBrokerStore = async (o: ResolvedOptions): Promise<Store> => (o.postgres ? openPostgresStore(o.postgres) : openStore(o.dbPath!));

/**
 * Creates a broker over the SQLite file `dbPath`, or over the PostgreSQL database `postgres` (several
 * brokers, in processes and on machines of their own, may share it). Options are checked at once, before
 * any file or connection is opened (TypeError / RangeError). Makes the broker's PayWord key on first start,
 * releases the chains that are due and keeps releasing them on an unref'd timer until `close()`.
 * @example
 * const broker = await createBroker({ dbPath: 'broker.db', publicUrl: 'http://127.0.0.1:4000' });
 * // or: await createBroker({ postgres: { connectionString: process.env.DATABASE_URL! }, publicUrl: 'https://broker.example' });
 * if (!(await broker.store.epochs.current(new Date()))) await mintEpoch({ store: broker.store, params: PARAMETER_SETS.demo });
 * const server = broker.app.listen(4000, '127.0.0.1');
 */
export async function createBroker(options: BrokerOptions): Promise<Broker> {
  const resolved = resolveOptions(options);
  const store = await openBrokerStore(resolved);
  const { dbPath: _dbPath, postgres: _postgres, ...settings } = resolved;
  const context: BrokerContext = { store, ...settings };
  try {
    await brokerKeyPair(store, context.now());
  } catch (e) {
    await store.close();
    throw e;
  }
  const sweep = startReleaseSweep(context);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await sweep.stop();
      await store.close();
    })());
  return { app: createApp(context), store, options: resolved, context, close };
}

export type { BrokerOptions, ResolvedOptions } from './options.ts';
export type { BrokerContext } from './core/context.ts';
export type { Store, SqliteStore } from './db/store.ts';
export { openStore } from './db/store.ts';
export { openPostgresStore, type PostgresStore } from './db/pg/store.ts';
export type { PostgresBrokerOptions } from './db/pg/options.ts';
export type { EpochRecord, BallStatus } from './db/epochs.ts';
export { mintEpoch, mintBalls, smallestCounters, MAX_SLOT_BITS } from './mint/mint.ts';
export { ballOfCounter, ballsOfCounters } from './mint/balls.ts';
export type { MintEpochOptions, MintSummary, MintProgress, MintedBalls } from './mint/mint.ts';
export { farmMintBalls, farmMintEpoch, FARM_RANGE_COUNTERS, MAX_FARM_RANGES } from './mint/farm-coordinator.ts';
export type { FarmMintBallsOptions, FarmMintEpochOptions, FarmMintedBalls, FarmProgress, FarmSummary } from './mint/farm-coordinator.ts';
export { runFarmWorker, type FarmWorkerOptions, type FarmWorkerReport, type FarmWorkerEvent } from './mint/farm-worker.ts';
export { FARM_DEFAULTS, type FarmOptions } from './mint/farm-options.ts';
export { measureMint } from './mint/measure.ts';
export type { MeasureOptions, MintSpeed } from './mint/measure.ts';
export { nativeAvailable, type MintKernel } from './mint/native.ts';
export { hashBudget, estimateCoins } from './mint/stats.ts';
export { SandboxFunding } from './core/funding.ts';
export type { FundingProvider, FundingCharge, FundingResult } from './core/funding.ts';
export { BrokerError } from './core/errors.ts';
export { buySets, type Purchase } from './core/sell.ts';
export { fundsWithdrawnText, sendExpiredText } from './core/messages.ts';
export { redeemBatch, batchDigest, KEPT_REFUSED_BATCHES } from './core/batch.ts';
export { redeemCoins } from './core/redeem.ts';
export { readRedeemRequest, MAX_BATCH_COINS, type RedeemEntry, type RedeemRequest } from './core/redeem-request.ts';
export type { RedeemAnswer, RedeemResult, ChainResult } from './core/batch-answer.ts';
export { paywordInfo, type PaywordInfo } from './core/payword/info.ts';
export { brokerKeyPair, type BrokerKeyPair } from './core/payword/keys.ts';
export { connectWalletKey, disconnectWalletKey, walletKeysOf, MAX_WALLET_KEYS } from './core/payword/wallet-keys.ts';
export { setVendorKey } from './core/payword/vendor-key.ts';
export {
  authenticateChainRequest,
  authorizeChain,
  requestChain,
  CHAIN_REQUEST_BYTES,
  MAX_HELD_CHAINS_PER_USER,
  type ChainAuthorization,
  type ChainRequest,
} from './core/payword/authorize.ts';
export { clearChains, MAX_BATCH_LINK_HASHES, type ChainClearing } from './core/payword/clear.ts';
export { MAX_BATCH_CHAINS, readClearEntries, type ClearEntry } from './core/payword/clear-request.ts';
export { releaseDueChains } from './core/payword/release.ts';
export type { ChainRecord, ChainStatus, ClearingRecord } from './db/chains.ts';
export { requestCredit, type CreditAnswer } from './core/credit.ts';
export { registerVendor, authenticateVendor, enableVendor, vendorSummary, type VendorSummary } from './core/vendors.ts';
export { fileComplaint, complaintState, MAX_COMPLAINTS_PER_DAY, type ComplaintState } from './core/complaints.ts';
export { epochTimeline, publishedParams, returnWindows, type EpochTimeline, type ReturnWindow } from './core/timeline.ts';
export { KEPT_PER_BATCH, KEPT_PER_VENDOR } from './core/refusals.ts';
export { signUp, logIn } from './core/users.ts';
export { addFunds, dollarsToMills } from './core/funds.ts';
