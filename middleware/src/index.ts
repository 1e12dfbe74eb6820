/**
 * @micromint/middleware: an Express (4 and 5) middleware that sells URLs for MicroMint coins.
 *
 * It replaces the thesis's NSAPI functions: `check-micromint` (is this URL paid? is the payment
 * good? record it, let the request through) and `micromint-error402` (ask for payment), over
 * HTTP 402 in the x402 v2 header convention with the `micromint` scheme; `redeem()` is MMVendorRedeem.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  decodePaymentPayload,
  encodeHeader,
  isExpired,
  MICROMINT_SCHEME,
  PAYMENT_RESPONSE_HEADER,
  PaymentHeaderError,
  type EpochParams,
  type SettlementResponse,
} from '@micromint/shared';
import { AccessCookies } from './access.ts';
import { answerPreflight, sendPaymentRequired, setCorsHeaders, type ChallengeSettings, type PaymentFailure } from './challenge.ts';
import { EpochSource } from './epochs.ts';
import { BrokerUnavailableError, MicroMintHttpError, NoCurrentEpochError, PriceConfigError, RedeemError } from './errors.ts';
import { resolveOptions, type MicroMintOptions } from './options.ts';
import { SCHEMES, type PaymentContext } from './payment.ts';
import { redeemPending, type RedeemReport } from './redeem.ts';
import { SqliteVendorStore } from './sqlite-store.ts';
import type { VendorStore } from './store.ts';

export * from './errors.ts';
export * from './store.ts';
export { SqliteVendorStore } from './sqlite-store.ts';
export { MemoryVendorStore } from './memory-store.ts';
export { redeemPending, parseRedeemResponse, type RedeemOptions, type RedeemReport, type RedeemedBatch } from './redeem.ts';
export { defaultPaywall, coinsToDollars, escapeHtml, type PaywallInfo, type PaywallRenderer } from './paywall.ts';
export { DEFAULTS, assertOrigin, type MicroMintOptions, type MicroMintLogger } from './options.ts';
export type { PriceMap, PriceFunction, PricesOption } from './prices.ts';
export type { PaymentFailure, RefusedCoinInfo } from './challenge.ts';
export { SCHEMES, type PaymentCheck, type PaymentContext, type SchemeChecker } from './payment.ts';

/** What a paid request carries in `res.locals.micromint` for the handlers after the middleware. */
export interface PaidRequest {
  /** Payment id (the `transaction` of `PAYMENT-RESPONSE`); absent when let in by the access cookie. */
  paymentId?: string;
  userId?: string;
  price: number;
  /** Ids of the coins paid. */
  coins: string[];
  /** True when this request repeated a payment already recorded (nothing was recorded again). */
  replay: boolean;
  /** True when an access-window cookie let the request in without a payment. */
  viaCookie: boolean;
}

/** The middleware function, with the vendor's redemption and store attached. */
export interface MicroMintMiddleware extends RequestHandler {
  /** The store payments are recorded in. */
  readonly store: VendorStore;
  /**
   * Sends pending coins to the broker (MMVendorRedeem); needs `apiKey`. Throws `RedeemError` when
   * the broker is down: nothing is dropped, the unanswered batch is sent again next time.
   */
  redeem(options?: { batchSize?: number; maxBatches?: number; timeoutMs?: number }): Promise<RedeemReport>;
  /** Closes the store if the middleware created it (a `store` passed in is left open). */
  close(): Promise<void>;
}

const newPaymentId = (): string => `pay_${randomBytes(12).toString('hex')}`;

/** Longest paid URL: the broker's limit for a redeemed coin's URL, and a MicroMint header value's. */
export const MAX_PAID_URL_LENGTH = 2048;

/** The absolute URL of a request at this vendor: our origin, never the Host header. */
function resourceUrl(vendorId: string, originalUrl: string): string {
  let pathAndQuery = originalUrl;
  if (!pathAndQuery.startsWith('/')) {
    // absolute-form request target (proxies): keep only its path and query
    try {
      const u = new URL(pathAndQuery);
      pathAndQuery = u.pathname + u.search;
    } catch {
      pathAndQuery = '/';
    }
  }
  return new URL(vendorId + pathAndQuery).href;
}

function sendJsonError(res: Response, status: number, error: string, message: string): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  setCorsHeaders(res);
  if (status === 503) res.setHeader('Retry-After', '30');
  res.json({ error, message });
}

/**
 * Creates the MicroMint middleware. Options are checked here: a wrong one throws at once.
 *
 * Free URLs pass through untouched. A paid URL (priced by `prices` or a `.mm` file under `root`)
 * answers 402 with a `PAYMENT-REQUIRED` challenge until the request carries a good
 * `PAYMENT-SIGNATURE`; the coins are verified locally and recorded durably before `next()` lets
 * the content through with a `PAYMENT-RESPONSE` receipt.
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
  const store: VendorStore = cfg.store ?? new SqliteVendorStore(cfg.dbPath);
  const epochs = new EpochSource(cfg.broker, cfg.vendorId, cfg.epoch, cfg.epochRefreshMs);
  const access = new AccessCookies(cfg.secret, cfg.accessWindowSeconds, cfg.secure);
  const settings: ChallengeSettings = {
    vendorId: cfg.vendorId,
    broker: cfg.broker,
    maxTimeoutSeconds: cfg.maxTimeoutSeconds,
    paywall: cfg.paywall,
  };
  let lastBrokerWarning = -Infinity;

  /** The epoch to ask payment in, or a 503 sent (and undefined returned). */
  async function challengeEpoch(res: Response, fallback?: EpochParams): Promise<EpochParams | undefined> {
    try {
      return await epochs.current();
    } catch (e) {
      if (fallback && !isExpired(fallback)) return fallback;
      if (e instanceof BrokerUnavailableError || e instanceof NoCurrentEpochError) {
        if (performance.now() - lastBrokerWarning > 60_000) {
          lastBrokerWarning = performance.now();
          cfg.logger.warn(`micromint: paid URLs answer 503: ${e.message}`);
        }
        const code = e instanceof BrokerUnavailableError ? 'broker_unavailable' : 'no_current_epoch';
        sendJsonError(res, 503, code, `This content is paid with MicroMint coins, but payment is unavailable right now: ${e.message}. Please try again later.`);
        return undefined;
      }
      throw e;
    }
  }

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const method = req.method.toUpperCase();
    const rawPath = req.path;
    let path: string | undefined;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = undefined; // the static server answers 400 for such paths; prices match the raw path
    }
    if (cfg.root && path !== undefined && /\.mm$/i.test(path)) {
      // Price files are configuration, never content. Answered here (not next(err)) so that
      // probes for them do not fill the error log.
      res.status(404).type('text/plain').send('Not Found');
      return;
    }

    let price: number | undefined;
    try {
      price = await cfg.rules.priceOf(req, path ?? rawPath);
      if (price === undefined && cfg.files && path !== undefined) price = await cfg.files.priceOf(path);
    } catch (e) {
      if (e instanceof PriceConfigError) {
        if (e.source === 'prices function') cfg.logger.error(`micromint: ${e.message}`);
        next(new MicroMintHttpError(500, 'price_invalid', 'Internal Server Error', { cause: e }));
        return;
      }
      throw e;
    }
    if (price === undefined) {
      next();
      return;
    }

    const url = resourceUrl(cfg.vendorId, req.originalUrl);
    if (method === 'OPTIONS') {
      if (req.headers['access-control-request-method']) answerPreflight(req, res);
      else next();
      return;
    }
    if (url.length > MAX_PAID_URL_LENGTH) {
      // The broker refuses a whole redemption batch holding a URL this long (and a MicroMint
      // message header cannot carry it): a coin taken for it could never be redeemed and would
      // block every batch after it. Refuse before asking for, or taking, any coin.
      sendJsonError(res, 414, 'url_too_long', `A paid URL may be at most ${MAX_PAID_URL_LENGTH} characters; this one has ${url.length}.`);
      return;
    }
    const safe = method === 'GET' || method === 'HEAD';
    const header = req.headers['payment-signature'];
    // A request carrying a payment is settled as a payment even inside the access window: the
    // wallet marked those coins spent and waits for a receipt; served by the cookie instead, it
    // would get none and keep the coins locked as pending.
    if (safe && header === undefined && access.allows(req, url)) {
      res.locals.micromint = { price, coins: [], replay: false, viaCookie: true } satisfies PaidRequest;
      next();
      return;
    }
    const description = cfg.describe(req);
    const challenge = async (failure?: PaymentFailure, fallback?: EpochParams): Promise<void> => {
      const epoch = await challengeEpoch(res, fallback);
      if (epoch) sendPaymentRequired(req, res, settings, { url, price, epoch, ...(description ? { description } : {}) }, failure);
    };
    if (header === undefined) {
      await challenge();
      return;
    }

    let payment;
    try {
      payment = decodePaymentPayload(header);
    } catch (e) {
      if (!(e instanceof PaymentHeaderError)) throw e;
      sendJsonError(res, 400, 'invalid_payment_header', e.message);
      return;
    }
    const scheme = Object.hasOwn(SCHEMES, payment.accepted.scheme) ? SCHEMES[payment.accepted.scheme] : undefined;
    if (!scheme) {
      await challenge({ error: 'unsupported-scheme', detail: `this site takes the ${MICROMINT_SCHEME} scheme`, refused: [] });
      return;
    }
    const ctx: PaymentContext = { url, price, vendorId: cfg.vendorId, network: cfg.network, epochs, now: Date.now() };
    const check = await scheme(payment, ctx);
    if (check.kind === 'malformed') {
      sendJsonError(res, 400, 'invalid_payment_header', check.message);
      return;
    }
    // The payment is bound to method + URL; HEAD is a GET without the body.
    const boundMethod = method === 'HEAD' ? 'GET' : method;
    if (check.kind === 'refused') {
      // A retry of a payment recorded when its terms still held is served as paid, not refused.
      const { retry } = check;
      const prior = retry && store.findReplay ? await store.findReplay({ method: boundMethod, url, ...retry }) : undefined;
      if (retry && prior) {
        servePaid({ paymentId: prior.paymentId, userId: retry.userId, coinIds: retry.coins.map((c) => c.id), price, replay: true });
        return;
      }
      await challenge(check.failure, check.epoch);
      return;
    }

    const outcome = await store.recordPayment({
      id: newPaymentId(),
      epoch: check.epoch.id,
      userId: check.userId,
      method: boundMethod,
      url,
      price,
      paidAt: new Date(ctx.now).toISOString(),
      coins: check.coins,
    });
    if (outcome.status === 'already-spent') {
      const spent = new Set(outcome.coinIds);
      cfg.logger.warn(`micromint: refused a double spend by ${check.userId} for ${url}: coins ${outcome.coinIds.join(', ')}`);
      const coins = check.coins.filter((c) => spent.has(c.id));
      const unique = [...new Map(coins.map((c) => [c.id, c])).values()];
      await challenge(
        {
          error: 'already-spent',
          refused: unique.map((c) => ({ coinId: c.id, reason: 'already-spent' })),
          coins: unique.map((c) => ({ coin: c.coin, reason: 'already-spent' })),
          k: check.epoch.k,
        },
        check.epoch,
      );
      return;
    }

    servePaid({ paymentId: outcome.paymentId, userId: check.userId, coinIds: check.coins.map((c) => c.id), price, replay: outcome.status === 'replay' });

    /** Lets a recorded payment through, with its receipt and the access cookie. */
    function servePaid(p: { paymentId: string; userId: string; coinIds: string[]; price: number; replay: boolean }): void {
      const receipt: SettlementResponse = {
        success: true,
        transaction: p.paymentId,
        network: cfg.network,
        payer: p.userId,
        extensions: { micromint: { coins: p.coinIds } },
      };
      res.setHeader(PAYMENT_RESPONSE_HEADER, encodeHeader(receipt));
      setCorsHeaders(res);
      // Paid content must not land in shared caches.
      res.setHeader('Cache-Control', 'private, no-store');
      if (safe) access.issue(res, url);
      res.locals.micromint = {
        paymentId: p.paymentId,
        userId: p.userId,
        price: p.price,
        coins: p.coinIds,
        replay: p.replay,
        viaCookie: false,
      } satisfies PaidRequest;
      next();
    }
  }

  const middleware = function micromintMiddleware(req: Request, res: Response, next: NextFunction): void {
    // Express 4 ignores a rejected promise: route every failure to next(err) ourselves.
    handle(req, res, next).catch(next);
  };

  return Object.assign(middleware, {
    store,
    async redeem(o: { batchSize?: number; maxBatches?: number; timeoutMs?: number } = {}): Promise<RedeemReport> {
      if (!cfg.apiKey) throw new RedeemError('redeem() needs the apiKey option (the key the broker gave at vendor registration)');
      return redeemPending({ store, broker: cfg.broker, apiKey: cfg.apiKey, ...o });
    },
    async close(): Promise<void> {
      if (ownsStore) await store.close();
    },
  });
}

export default micromint;
