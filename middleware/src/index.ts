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
  BALL_BYTES,
  decodePaymentPayload,
  encodeHeader,
  isExpired,
  MICROMINT_SCHEME,
  PAYMENT_RESPONSE_HEADER,
  PaymentHeaderError,
  type EpochParams,
  type PaymentPayload,
  type ReceiptError,
} from '@micromint/shared';
import { AccessCookies } from './access.ts';
import { bodyPaymentReader, paymentOfBody, readPaymentBody, type BodyPaymentReader } from './body.ts';
import { answerPreflight, sendPaymentRequired, setCorsHeaders, type ChallengeSettings, type PaymentFailure } from './challenge.ts';
import { EpochSource, type EpochArchive } from './epochs.ts';
import { BrokerUnavailableError, MicroMintHttpError, NoCurrentEpochError, PriceConfigError, RedeemError, StoreUnavailableError } from './errors.ts';
import { StoreGuard } from './guard.ts';
import { resolveOptions, type MicroMintOptions } from './options.ts';
import { SCHEMES, type PaymentCheck, type RetryCandidate } from './payment.ts';
import { holdServerErrors, paidReceipt, releasedReceipt } from './receipt.ts';
import { deadlineWarning, redeemDeadlines, redeemPending, type RedeemReport } from './redeem.ts';
import { SqliteVendorStore } from './sqlite-store.ts';
import { withinReplayWindow, type PaymentCoin, type VendorStore } from './store.ts';

export * from './errors.ts';
export * from './store.ts';
export { SqliteVendorStore } from './sqlite-store.ts';
export { MemoryVendorStore } from './memory-store.ts';
export {
  redeemPending,
  parseRedeemResponse,
  redeemDeadlines,
  REDEEM_WARNING_SECONDS,
  type RedeemOptions,
  type RedeemReport,
  type RedeemedBatch,
  type RedeemDeadline,
} from './redeem.ts';
export { defaultPaywall, coinsToDollars, escapeHtml, type PaywallInfo, type PaywallRenderer } from './paywall.ts';
export { DEFAULTS, assertOrigin, type MicroMintOptions, type MicroMintLogger } from './options.ts';
export type { PriceMap, PriceFunction, PricesOption } from './prices.ts';
export type { PaymentFailure, RefusedCoinInfo } from './challenge.ts';
export { SCHEMES, type CarriedPayment, type PaymentCheck, type PaymentContext, type PaymentScheme, type SchemeChecker } from './payment.ts';
export { PAYMENT_BODIES, type BodyPaymentReader } from './body.ts';
export type { KnownEpoch } from './epochs.ts';

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
   * Sends pending coins to the broker (MMVendorRedeem); needs `apiKey`. Throws `RedeemError` when
   * the broker is down: nothing is dropped, the unanswered batch is sent again next time. Either
   * way it warns (`logger.warn`) about pending coins of an epoch whose `redeemBy` is at most
   * `REDEEM_WARNING_SECONDS` away, or past.
   */
  redeem(options?: { batchSize?: number; maxBatches?: number; timeoutMs?: number }): Promise<RedeemReport>;
  /** Checks that payments can be taken: the store records, and an epoch is known (answers within the broker fetch timeout). */
  health(): Promise<VendorHealth>;
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

/** A request for a paid URL, as the steps of a sale see it. */
interface Sale {
  req: Request;
  res: Response;
  next: NextFunction;
  /** Absolute URL (the vendor's origin + path and query). */
  url: string;
  price: number;
  /** GET or HEAD (a payment in the body buys the GET): the access cookie applies. */
  safe: boolean;
  /** The method the payment is bound to: HEAD counts as GET. */
  method: string;
  /** The clock at the request's arrival. */
  now: number;
  /** Where the payment came: the `PAYMENT-SIGNATURE` header or the body. */
  source?: 'header' | 'body';
}

/** A payment accepted for a sale: recorded now, or recorded before and repeated within the replay window. */
interface Paid {
  scheme: string;
  paymentId: string;
  userId: string;
  coinIds: string[];
  replay: boolean;
  /** True when this very request recorded the payment (only then may it be taken back). */
  recordedHere: boolean;
}

/** A payment found again: the same coins, method, URL and user as one recorded at `paidAt`. */
interface Repeat {
  scheme: string;
  paymentId: string;
  paidAt: string;
  userId: string;
  coins: PaymentCoin[];
  epochId: string;
  epoch?: EpochParams;
}

/**
 * Creates the MicroMint middleware. Options are checked here: a wrong one throws at once.
 *
 * Free URLs pass through untouched. A paid URL (priced by `prices` or a `.mm` file under `root`)
 * answers 402 with a `PAYMENT-REQUIRED` challenge until the request carries a good payment, in
 * the `PAYMENT-SIGNATURE` header or as the body of a POST (`application/x-micromint`); the coins
 * are verified locally and recorded durably before `next()` lets the content through with a
 * `PAYMENT-RESPONSE` receipt.
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
  const guard = new StoreGuard(cfg.logger);
  const archive: EpochArchive | undefined =
    store.epochs && store.saveEpoch
      ? { load: () => guard.run('epochs', () => store.epochs!(), false), save: (e) => guard.run('saveEpoch', () => store.saveEpoch!(e)) }
      : undefined;
  const epochs = new EpochSource(cfg.broker, cfg.vendorId, cfg.epoch, cfg.epochRefreshMs, { now: cfg.now, ...(archive ? { archive } : {}) });
  const access = new AccessCookies(cfg.secret, cfg.accessWindowSeconds, cfg.secure);
  const settings: ChallengeSettings = {
    vendorId: cfg.vendorId,
    broker: cfg.broker,
    maxTimeoutSeconds: cfg.maxTimeoutSeconds,
    paywall: cfg.paywall,
  };
  let lastBrokerWarning = -Infinity;

  /** The epoch to ask payment in, or a 503 sent (and undefined returned). */
  async function challengeEpoch(res: Response, now: number, fallback?: EpochParams): Promise<EpochParams | undefined> {
    try {
      return await epochs.current(now);
    } catch (e) {
      if (fallback && !isExpired(fallback, now)) return fallback;
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

  /** Answers 402 for the sale (after `failure`, if any), or 503 when no epoch can be offered. */
  async function challenge(sale: Sale, failure?: PaymentFailure, fallback?: EpochParams): Promise<void> {
    const epoch = await challengeEpoch(sale.res, sale.now, fallback);
    if (!epoch) return;
    const description = cfg.describe(sale.req);
    sendPaymentRequired(sale.req, sale.res, settings, { url: sale.url, price: sale.price, epoch, ...(description ? { description } : {}) }, failure);
  }

  /**
   * Step 1, the price: of the path as the app routes it, by `prices` then `.mm` files. Returns
   * undefined when it answered (a `.mm` file asked for, a broken price), else `{ price }` with no
   * price for a free URL.
   */
  async function priceOf(req: Request, res: Response, next: NextFunction): Promise<{ price?: number } | undefined> {
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
      return undefined;
    }
    try {
      let price = await cfg.rules.priceOf(req, path ?? rawPath);
      if (price === undefined && cfg.files && path !== undefined) price = await cfg.files.priceOf(path);
      return price === undefined ? {} : { price };
    } catch (e) {
      if (!(e instanceof PriceConfigError)) throw e;
      if (e.source === 'prices function') cfg.logger.error(`micromint: ${e.message}`);
      next(new MicroMintHttpError(500, 'price_invalid', 'Internal Server Error', { cause: e }));
      return undefined;
    }
  }

  /** Reads a payment in the body (the request is a POST of `reader`'s media type); undefined when it answered. */
  async function bodyPayment(req: Request, res: Response, reader: BodyPaymentReader): Promise<PaymentPayload | undefined> {
    if (req.headers['payment-signature'] !== undefined) {
      sendJsonError(res, 400, 'invalid_payment_body', 'a request carries one payment: in the PAYMENT-SIGNATURE header or in the body, not both');
      return undefined;
    }
    let read;
    try {
      read = await readPaymentBody(req);
    } catch {
      req.destroy(); // the client went away mid-body: there is nobody to answer
      return undefined;
    }
    const payment = read.ok ? paymentOfBody(reader, read.text, { broker: cfg.broker, maxTimeoutSeconds: cfg.maxTimeoutSeconds }) : read;
    if ('ok' in payment) {
      if (!payment.ok) {
        if (read.ok === false && read.close) res.setHeader('Connection', 'close');
        sendJsonError(res, payment.status, payment.error, payment.message);
      }
      return undefined;
    }
    return payment;
  }

  /** Step 2 for a free URL: passes through; a payment it carries is answered "nothing taken" (the thesis's case 2). */
  async function passFree(req: Request, res: Response, next: NextFunction, reader: BodyPaymentReader | undefined): Promise<void> {
    let payment: PaymentPayload | undefined;
    if (reader) {
      payment = await bodyPayment(req, res, reader);
      if (!payment) return;
    } else if (req.headers['payment-signature'] !== undefined) {
      try {
        payment = decodePaymentPayload(req.headers['payment-signature']);
      } catch (e) {
        // Not a payment this middleware can read: a free URL is no place to complain about it.
        if (!(e instanceof PaymentHeaderError)) throw e;
      }
    }
    const scheme = payment && Object.hasOwn(SCHEMES, payment.accepted.scheme) ? SCHEMES[payment.accepted.scheme] : undefined;
    if (payment && scheme) {
      const carried = scheme.carried(payment);
      giveBack(res, releasedReceipt({ scheme: payment.accepted.scheme, network: cfg.network, reason: 'no_payment_required', ...carried }));
    }
    next();
  }

  /** Sets a receipt that takes nothing on a response still to be sent. */
  function giveBack(res: Response, receipt: ReturnType<typeof releasedReceipt>): void {
    res.setHeader(PAYMENT_RESPONSE_HEADER, encodeHeader(receipt));
    res.setHeader('Cache-Control', 'private, no-store');
    setCorsHeaders(res);
  }

  /** Step 2 for a paid URL: preflight, cookie, challenge, or the payment to check. */
  async function sell(sale: Sale, reader: BodyPaymentReader | undefined): Promise<void> {
    const { req, res, next, url } = sale;
    if (req.method === 'OPTIONS') {
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
    const header = req.headers['payment-signature'];
    if (!reader && header === undefined) {
      // A request carrying a payment is settled as a payment even inside the access window: the
      // wallet marked those coins spent and waits for a receipt; served by the cookie instead, it
      // would get none and keep the coins locked as pending.
      if (sale.safe && access.allows(req, url, sale.now)) {
        res.locals.micromint = { price: sale.price, coins: [], replay: false, viaCookie: true } satisfies PaidRequest;
        next();
        return;
      }
      await challenge(sale);
      return;
    }
    let payment: PaymentPayload | undefined;
    if (reader) payment = await bodyPayment(req, res, reader);
    else {
      try {
        payment = decodePaymentPayload(header);
      } catch (e) {
        if (!(e instanceof PaymentHeaderError)) throw e;
        sendJsonError(res, 400, 'invalid_payment_header', e.message);
        return;
      }
    }
    if (!payment) return;
    const paid = await acceptPayment({ ...sale, source: reader ? 'body' : 'header' }, payment);
    if (paid) servePaid(sale, paid);
  }

  /** Step 3, accept the payment: check it, record it (or find it recorded); undefined when it answered a refusal. */
  async function acceptPayment(sale: Sale, payment: PaymentPayload): Promise<Paid | undefined> {
    const name = payment.accepted.scheme;
    const scheme = Object.hasOwn(SCHEMES, name) ? SCHEMES[name] : undefined;
    if (!scheme) {
      await challenge(sale, { error: 'unsupported-scheme', detail: `this site takes the ${MICROMINT_SCHEME} scheme`, refused: [] });
      return undefined;
    }
    const ctx = { url: sale.url, price: sale.price, vendorId: cfg.vendorId, network: cfg.network, epochs, now: sale.now };
    const check = await scheme.check(payment, ctx);
    if (check.kind === 'malformed') {
      sendJsonError(sale.res, 400, sale.source === 'body' ? 'invalid_payment_body' : 'invalid_payment_header', check.message);
      return undefined;
    }
    if (check.kind === 'refused') {
      // A retry of a payment recorded when its terms still held is served as paid, not refused.
      const { retry } = check;
      const prior = retry ? await findRecorded(sale, retry) : undefined;
      if (retry && prior) {
        const epoch = check.epoch ? { epoch: check.epoch } : {};
        return repeated(sale, { scheme: name, ...prior, userId: retry.userId, coins: retry.coins, epochId: retry.epoch, ...epoch });
      }
      await challenge(sale, check.failure, check.epoch);
      return undefined;
    }
    const outcome = await guard.run('recordPayment', () =>
      store.recordPayment({
        id: newPaymentId(),
        epoch: check.epoch.id,
        userId: check.userId,
        method: sale.method,
        url: sale.url,
        price: sale.price,
        paidAt: new Date(sale.now).toISOString(),
        coins: check.coins,
      }),
    );
    if (outcome.status === 'already-spent') {
      await refuseDoubleSpend(sale, check, outcome.coinIds);
      return undefined;
    }
    if (outcome.status === 'replay')
      return repeated(sale, {
        scheme: name,
        paymentId: outcome.paymentId,
        paidAt: outcome.paidAt,
        userId: check.userId,
        coins: check.coins,
        epochId: check.epoch.id,
        epoch: check.epoch,
      });
    const coinIds = check.coins.map((c) => c.id);
    return { scheme: name, paymentId: outcome.paymentId, userId: check.userId, coinIds, replay: false, recordedHere: true };
  }

  /** The recorded payment a refused one repeats, if the store can say. */
  async function findRecorded(sale: Sale, retry: RetryCandidate): Promise<{ paymentId: string; paidAt: string } | undefined> {
    if (!store.findReplay) return undefined;
    return guard.run('findReplay', () => store.findReplay!({ method: sale.method, url: sale.url, ...retry }));
  }

  /** A payment recorded before: served again within the replay window, refused as `already-spent` after it. */
  async function repeated(sale: Sale, r: Repeat): Promise<Paid | undefined> {
    if (withinReplayWindow(r.paidAt, sale.now, cfg.replayWindowSeconds))
      return { scheme: r.scheme, paymentId: r.paymentId, userId: r.userId, coinIds: r.coins.map((c) => c.id), replay: true, recordedHere: false };
    const coinIds = r.coins.map((c) => c.id);
    const detail = `payment ${r.paymentId} was made at ${r.paidAt}; the same payment is served again for ${cfg.replayWindowSeconds} s only`;
    cfg.logger.warn(`micromint: refused a replay of ${r.paymentId} by ${r.userId} for ${sale.url} after the replay window (paid at ${r.paidAt})`);
    await guard.run('recordRefusal', () =>
      store.recordRefusal({
        at: new Date(sale.now).toISOString(),
        epoch: r.epochId,
        userId: r.userId,
        method: sale.method,
        url: sale.url,
        reason: 'already-spent',
        coinIds,
        detail,
      }),
    );
    await challenge(
      sale,
      {
        error: 'already-spent',
        detail,
        refused: coinIds.map((coinId) => ({ coinId, reason: 'already-spent' })),
        coins: r.coins.map((c) => ({ coin: c.coin, reason: 'already-spent' })),
        k: r.epoch?.k ?? r.coins[0]!.coin.length / BALL_BYTES,
      },
      r.epoch,
    );
    return undefined;
  }

  /** 402 `already-spent` for coins recorded before for something else (the store logged the refusal). */
  async function refuseDoubleSpend(sale: Sale, check: Extract<PaymentCheck, { kind: 'valid' }>, coinIds: string[]): Promise<void> {
    const spent = new Set(coinIds);
    cfg.logger.warn(`micromint: refused a double spend by ${check.userId} for ${sale.url}: coins ${coinIds.join(', ')}`);
    const coins = check.coins.filter((c) => spent.has(c.id));
    const unique = [...new Map(coins.map((c) => [c.id, c])).values()];
    await challenge(
      sale,
      {
        error: 'already-spent',
        refused: unique.map((c) => ({ coinId: c.id, reason: 'already-spent' })),
        coins: unique.map((c) => ({ coin: c.coin, reason: 'already-spent' })),
        k: check.epoch.k,
      },
      check.epoch,
    );
  }

  /**
   * Step 4, serve as paid: the receipt, the access cookie, then the content. A payment this
   * request recorded is taken back if the site then answers 5xx (see `holdServerErrors`).
   */
  function servePaid(sale: Sale, paid: Paid): void {
    const { res } = sale;
    const receipt = paidReceipt({ scheme: paid.scheme, network: cfg.network, paymentId: paid.paymentId, payer: paid.userId, ids: paid.coinIds });
    res.setHeader(PAYMENT_RESPONSE_HEADER, encodeHeader(receipt));
    setCorsHeaders(res);
    // Paid content must not land in shared caches.
    res.setHeader('Cache-Control', 'private, no-store');
    const cookie = sale.safe ? access.issue(res, sale.url, sale.now) : undefined;
    res.locals.micromint = {
      paymentId: paid.paymentId,
      userId: paid.userId,
      price: sale.price,
      coins: paid.coinIds,
      replay: paid.replay,
      viaCookie: false,
    } satisfies PaidRequest;
    if (paid.recordedHere) holdServerErrors(res, (status) => takeBack(sale, paid, status, cookie));
    sale.next();
  }

  /** The site answered `status` (5xx) for a payment this request recorded: un-record it if nothing else claims it. */
  async function takeBack(sale: Sale, paid: Paid, status: number, cookie: string | undefined): Promise<void> {
    const released = store.unrecordPayment
      ? await guard.run('unrecordPayment', () => store.unrecordPayment!(paid.paymentId)).catch(() => false)
      : false;
    if (!released) {
      cfg.logger.warn(
        `micromint: ${sale.url} answered ${status} after payment ${paid.paymentId} was recorded; the payment stands ` +
          '(it was served again, sent for redemption, or the store cannot take it back)',
      );
      return;
    }
    const reason: ReceiptError = 'not_served';
    const receipt = releasedReceipt({ scheme: paid.scheme, network: cfg.network, reason, payer: paid.userId, ids: paid.coinIds });
    sale.res.setHeader(PAYMENT_RESPONSE_HEADER, encodeHeader(receipt));
    if (cookie) access.withdraw(sale.res, cookie);
    const coins = `${paid.coinIds.length} coins`;
    cfg.logger.warn(`micromint: ${sale.url} answered ${status}: payment ${paid.paymentId} taken back, its ${coins} released to ${paid.userId}`);
  }

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const now = cfg.now();
    const reader = bodyPaymentReader(req);
    // A payment in the body pays for the GET of the URL: priced, checked and served as that GET.
    if (reader) req.method = 'GET';
    const priced = await priceOf(req, res, next);
    if (!priced) return;
    if (priced.price === undefined) {
      await passFree(req, res, next, reader);
      return;
    }
    const method = req.method.toUpperCase();
    const sale: Sale = {
      req,
      res,
      next,
      url: resourceUrl(cfg.vendorId, req.originalUrl),
      price: priced.price,
      safe: method === 'GET' || method === 'HEAD',
      method: method === 'HEAD' ? 'GET' : method,
      now,
    };
    await sell(sale, reader);
  }

  const middleware = function micromintMiddleware(req: Request, res: Response, next: NextFunction): void {
    // Express 4 ignores a rejected promise: route every failure to next(err) ourselves.
    handle(req, res, next).catch((e: unknown) => {
      if (e instanceof StoreUnavailableError && !res.headersSent) {
        // Logged once by the guard; the client learns only that nothing was taken.
        sendJsonError(res, 503, 'store_unavailable', 'Payments cannot be recorded right now, so no coin was taken. Please try again later.');
        return;
      }
      next(e);
    });
  };

  async function health(): Promise<VendorHealth> {
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

  /** Warns about pending coins of epochs whose `redeemBy` nears; never throws. */
  async function warnDeadlines(): Promise<void> {
    if (!store.pendingByEpoch) return;
    try {
      const [pending, known] = await Promise.all([store.pendingByEpoch(), epochs.all()]);
      for (const d of redeemDeadlines(pending, known, cfg.now())) cfg.logger.warn(deadlineWarning(d));
    } catch {
      // a failing store is reported by the redemption itself
    }
  }

  return Object.assign(middleware, {
    store,
    async redeem(o: { batchSize?: number; maxBatches?: number; timeoutMs?: number } = {}): Promise<RedeemReport> {
      if (!cfg.apiKey) throw new RedeemError('redeem() needs the apiKey option (the key the broker gave at vendor registration)');
      try {
        return await redeemPending({ store, broker: cfg.broker, apiKey: cfg.apiKey, ...o });
      } finally {
        await warnDeadlines();
      }
    },
    health,
    async close(): Promise<void> {
      if (ownsStore) await store.close();
    },
  });
}

export default micromint;
