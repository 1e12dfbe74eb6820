/**
 * @micromint/middleware: an Express (4 and 5) middleware that sells URLs for MicroMint coins.
 *
 * It replaces the thesis's NSAPI functions: `check-micromint` (is this URL paid? is the payment
 * good? record it, let the request through) and `micromint-error402` (ask for payment), over
 * HTTP 402 in the x402 v2 header convention with the `micromint` scheme; `redeem()` is MMVendorRedeem.
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Catalog } from './catalog.ts';
import { EpochSource, type EpochArchive } from './epochs.ts';
import { BrokerUnavailableError, NoCurrentEpochError, RedeemError, StoreUnavailableError } from './errors.ts';
import { StoreGuard } from './guard.ts';
import { resolveOptions, type MicroMintOptions, type Settings } from './options.ts';
import { chainDeadlines, chainDeadlineWarning, deadlineWarning, redeemDeadlines, redeemPending, type RedeemReport } from './redeem.ts';
import { createSchemes, keptBrokerTerms } from './schemes/index.ts';
import { Seller, sendJsonError } from './seller.ts';
import { PostgresVendorStore } from './postgres-store.ts';
import { SqliteVendorStore } from './sqlite-store.ts';
import type { VendorStore } from './store.ts';

export * from './errors.ts';
export * from './store.ts';
export { SqliteVendorStore } from './sqlite-store.ts';
export { MemoryVendorStore } from './memory-store.ts';
export { PostgresVendorStore, type PostgresStoreOptions } from './postgres-store.ts';
export {
  redeemPending,
  parseRedeemResponse,
  redeemDeadlines,
  chainDeadlines,
  REDEEM_WARNING_SECONDS,
  type RedeemOptions,
  type RedeemReport,
  type RedeemedBatch,
  type RedeemDeadline,
  type ChainDeadline,
} from './redeem.ts';
export { defaultPaywall, escapeHtml, walletPageUrl, type PaywallInfo, type PaywallRenderer } from './paywall.ts';
export { DEFAULTS, SCHEME_NAMES, assertOrigin, type MicroMintOptions, type MicroMintLogger, type SchemeName } from './options.ts';
export type { PriceMap, PriceFunction, PricesOption, PriceRule } from './prices.ts';
export {
  MAX_GAPS,
  admitRange,
  classifyPayword,
  releaseRange,
  type ChainLedger,
  type IndexRange,
  type RangeClaim,
} from './payword-ledger.ts';
export {
  checkMicromintPayment,
  micromintCarried,
  KEY_NAMES,
  readBrokerTerms,
  type BrokerPaywordTerms,
  type Offer,
  type Paid,
  type PaymentFailure,
  type Recorded,
  type Refused,
  type RefusedCoinInfo,
  type SaleTerms,
  type SchemeCheck,
  type SchemeDeps,
  type VendorScheme,
} from './schemes/index.ts';
export { PAYMENT_BODIES, type BodyPaymentReader } from './body.ts';
export { MAX_PAID_URL_LENGTH, type PaidRequest } from './seller.ts';
export type { KnownEpoch } from './epochs.ts';

/** What `mm.health()` finds: whether this vendor can take payments now. */
export interface VendorHealth {
  /** True when both the store and the epoch are ok. */
  ok: boolean;
  /** Whether the store takes writes now (`VendorStore.probe`, else `stats`). */
  store: { ok: boolean; error?: 'store_unavailable' };
  /** The epoch payment is asked in, or why there is none. */
  epoch: { ok: boolean; id?: string; expiresAt?: string; redeemBy?: string; error?: 'broker_unavailable' | 'no_current_epoch' };
}

/** The middleware function, with the vendor's redemption and store attached. */
export interface MicroMintMiddleware extends RequestHandler {
  /** The store payments are recorded in. */
  readonly store: VendorStore;
  /**
   * Sends pending coins and the chains to clear to the broker (MMVendorRedeem), in the same
   * batches; needs `apiKey`. Throws `RedeemError` when the broker is down: nothing is dropped, the
   * unanswered batch is sent again next time. Either way it warns (`logger.warn`) about pending
   * coins of an epoch whose `redeemBy`, and chains whose expiresAt + clearGraceSeconds, is at most
   * `REDEEM_WARNING_SECONDS` away, or past.
   */
  redeem(options?: { batchSize?: number; maxBatches?: number; timeoutMs?: number }): Promise<RedeemReport>;
  /** Checks that payments can be taken: the store records, and an epoch is known (answers within the broker fetch timeout). */
  health(): Promise<VendorHealth>;
  /** Closes the store if the middleware created it (a `store` passed in is left open). */
  close(): Promise<void>;
}

/**
 * Creates the MicroMint middleware. Options are checked here: a wrong one throws at once.
 *
 * Free URLs pass through untouched. A paid URL (priced by `prices` or a `.mm` file under `root`)
 * answers 402 with a `PAYMENT-REQUIRED` challenge offering every configured scheme (`schemes`, in
 * that order) until the request carries a good payment, in the `PAYMENT-SIGNATURE` header or as
 * the body of a POST (`application/x-micromint`); the payment is verified locally and recorded
 * durably before `next()` lets the content through with a `PAYMENT-RESPONSE` receipt.
 *
 * @example
 * import express from 'express';
 * import { micromint } from '@micromint/middleware';
 *
 * const app = express();
 * const mm = micromint({
 *   vendorId: 'http://127.0.0.1:4001',
 *   broker: 'http://127.0.0.1:4000',
 *   apiKey: process.env.MICROMINT_API_KEY,
 *   schemes: ['micromint', 'payword'],     // coins first, then hash chains
 *   root: 'public',                       // public/story.html.mm holds "2"
 *   prices: { '/api/quote': 1 },
 * });
 * app.use(mm);
 * app.use(express.static('public'));
 * app.get('/api/quote', (req, res) => res.json({ quote: '...' }));
 * app.listen(4001);
 * setInterval(() => mm.redeem().catch(console.error), 3_600_000);
 */
export function micromint(options: MicroMintOptions): MicroMintMiddleware {
  const cfg = resolveOptions(options);
  const ownsStore = cfg.store === undefined;
  const store: VendorStore =
    cfg.store ?? (cfg.postgres ? new PostgresVendorStore({ connectionString: cfg.postgres }) : new SqliteVendorStore(cfg.dbPath));
  const guard = new StoreGuard(cfg.logger);
  const archive: EpochArchive | undefined =
    store.epochs && store.saveEpoch
      ? { load: () => guard.run('epochs', () => store.epochs!(), false), save: (e) => guard.run('saveEpoch', () => store.saveEpoch!(e)) }
      : undefined;
  const epochs = new EpochSource(cfg.broker, cfg.vendorId, cfg.epoch, cfg.epochRefreshMs, {
    now: cfg.now,
    ...(archive ? { archive } : {}),
  });
  const schemes = createSchemes({ cfg, store, guard, logger: cfg.logger, epochs });
  const seller = new Seller(cfg, store, guard, schemes);
  const catalog = cfg.catalog ? new Catalog(cfg) : undefined;
  for (const scheme of schemes.values()) scheme.start?.();

  const middleware = function micromintMiddleware(req: Request, res: Response, next: NextFunction): void {
    // Express 4 ignores a rejected promise: route every failure to next(err) ourselves.
    if (catalog?.handles(req)) {
      catalog.serve(req, res).catch(next);
      return;
    }
    seller.handle(req, res, next).catch((e: unknown) => {
      if (e instanceof StoreUnavailableError && !res.headersSent) {
        // Logged once by the guard; the client learns only that nothing was taken.
        sendJsonError(
          res,
          503,
          'store_unavailable',
          'Payments cannot be recorded right now, so no coin was taken. Please try again later.',
        );
        return;
      }
      next(e);
    });
  };

  return Object.assign(middleware, {
    store,
    async redeem(o: { batchSize?: number; maxBatches?: number; timeoutMs?: number } = {}): Promise<RedeemReport> {
      if (!cfg.apiKey) throw new RedeemError('redeem() needs the apiKey option (the key the broker gave at vendor registration)');
      try {
        return await redeemPending({ store, broker: cfg.broker, apiKey: cfg.apiKey, ...o });
      } finally {
        await warnDeadlines(cfg, store, epochs);
      }
    },
    health: () => health(store, guard, epochs),
    async close(): Promise<void> {
      for (const scheme of schemes.values()) scheme.close?.();
      cfg.files?.close();
      if (ownsStore) await store.close();
    },
  });
}

/** Whether the store takes a write and an epoch is known. */
async function health(store: VendorStore, guard: StoreGuard, epochs: EpochSource): Promise<VendorHealth> {
  let storeOk = true;
  try {
    await guard.run('probe', () => (store.probe ? store.probe() : store.stats().then(() => undefined)), store.probe !== undefined);
  } catch {
    storeOk = false;
  }
  let epoch: VendorHealth['epoch'];
  try {
    const e = await epochs.current();
    epoch = { ok: true, id: e.id, expiresAt: e.expiresAt, ...(e.redeemBy ? { redeemBy: e.redeemBy } : {}) };
  } catch (e) {
    if (!(e instanceof BrokerUnavailableError || e instanceof NoCurrentEpochError)) throw e;
    epoch = { ok: false, error: e instanceof BrokerUnavailableError ? 'broker_unavailable' : 'no_current_epoch' };
  }
  return { ok: storeOk && epoch.ok, store: storeOk ? { ok: true } : { ok: false, error: 'store_unavailable' }, epoch };
}

/** Warns about pending coins of epochs whose `redeemBy` nears, and chains whose clearing deadline nears; never throws. */
async function warnDeadlines(cfg: Settings, store: VendorStore, epochs: EpochSource): Promise<void> {
  try {
    const now = cfg.now();
    if (store.pendingByEpoch) {
      const [pending, known] = await Promise.all([store.pendingByEpoch(), epochs.all()]);
      for (const d of redeemDeadlines(pending, known, now)) cfg.logger.warn(deadlineWarning(d));
    }
    if (store.unclearedChains) {
      const terms = await keptBrokerTerms(store, cfg.broker);
      for (const d of chainDeadlines(await store.unclearedChains(), terms?.clearGraceSeconds, now))
        cfg.logger.warn(chainDeadlineWarning(d));
    }
  } catch {
    // a failing store is reported by the redemption itself
  }
}

export default micromint;
