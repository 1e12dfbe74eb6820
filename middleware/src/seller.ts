/**
 * Selling one request, the steps `micromint()` runs for each: (1) the price; (2) a free URL passes
 * (a payment it carries is given back), a paid one answers a preflight, lets in an access cookie,
 * or asks for payment with every scheme that can offer now; (3) the payment is checked and recorded
 * by its scheme; (4) the content is served as paid, and the payment taken back if the site then
 * answers 5xx. Money moves only in step 3, in one store transaction, before `next()`.
 * @module
 */
import type { NextFunction, Request, Response } from 'express';
import {
  decodePaymentPayload,
  encodeHeader,
  PAYMENT_RESPONSE_HEADER,
  PaymentHeaderError,
  type PaymentPayload,
  type ReceiptError,
} from '@micromint/shared';
import { AccessCookies } from './access.ts';
import { bodyPaymentReader, paymentOfBody, readPaymentBody, type BodyPaymentReader } from './body.ts';
import { answerPreflight, sendPaymentRequired, setCorsHeaders, type ChallengeSettings } from './challenge.ts';
import { BrokerUnavailableError, MicroMintHttpError, NoCurrentEpochError, PriceConfigError } from './errors.ts';
import type { StoreGuard } from './guard.ts';
import { contentTypeOf } from './mime.ts';
import type { Settings } from './options.ts';
import type { Priced } from './prices.ts';
import { holdServerErrors, paidReceipt, releasedReceipt } from './receipt.ts';
import { ReplayCache } from './replay-cache.ts';
import type { Paid, PaymentFailure, Recorded, Refused, SaleTerms, SchemeModule } from './schemes/index.ts';
import { withinReplayWindow, type VendorStore } from './store.ts';

/** What a paid request carries in `res.locals.micromint` for the handlers after the middleware. */
export interface PaidRequest {
  /** Payment id (the `transaction` of `PAYMENT-RESPONSE`); absent when let in by the access cookie. */
  paymentId?: string;
  userId?: string;
  /** Price in mills (1 coin = 1 mill). */
  price: number;
  /** The scheme paid with (`micromint`, `payword`); absent when let in by the access cookie. */
  scheme?: string;
  /** Ids of the coins paid (empty for a payword payment). */
  coins: string[];
  /** Payword: the chain, the index revealed and the units paid. */
  chain?: { chainId: string; index: number; units: number };
  /** True when this request repeated a payment already recorded (nothing was recorded again). */
  replay: boolean;
  /** True when an access-window cookie let the request in without a payment. */
  viaCookie: boolean;
}

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

/** A JSON error answer (`{ error, message }`), never cached; a 503 says when to try again. */
export function sendJsonError(res: Response, status: number, error: string, message: string): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  setCorsHeaders(res);
  if (status === 503) res.setHeader('Retry-After', '30');
  res.json({ error, message });
}

/** A request for a paid URL, as the steps of a sale see it. */
interface Sale extends SaleTerms {
  req: Request;
  res: Response;
  next: NextFunction;
  /** GET or HEAD (a payment in the body buys the GET): the access cookie applies. */
  safe: boolean;
  /** Where the payment came: the `PAYMENT-SIGNATURE` header or the body. */
  source?: 'header' | 'body';
  /** The media type the price rule declares for the content, if it does. */
  mimeType?: string;
}

/** Sets the `PAYMENT-RESPONSE` `header` on a response still to be sent: readable across origins, and never in a shared cache. */
function setReceipt(res: Response, header: string): void {
  res.setHeader(PAYMENT_RESPONSE_HEADER, header);
  setCorsHeaders(res);
  res.setHeader('Cache-Control', 'private, no-store');
}

/** The scheme's view of a sale. */
const termsOf = (sale: Sale): SaleTerms => ({
  url: sale.url,
  price: sale.price,
  method: sale.method,
  requestMethod: sale.requestMethod,
  now: sale.now,
});

/** The request handling of `micromint()`: see the module comment for its steps. */
export class Seller {
  private readonly access: AccessCookies;
  private readonly replays = new ReplayCache();
  /** Receipts of replayed payments (the replay memory's, reused while it holds them). */
  private readonly receipts = new WeakMap<Paid, string>();
  private readonly settings: ChallengeSettings;
  private lastBrokerWarning = -Infinity;

  constructor(
    private readonly cfg: Settings,
    private readonly store: VendorStore,
    private readonly guard: StoreGuard,
    /** The schemes offered, in the site's order. */
    private readonly schemes: ReadonlyMap<string, SchemeModule>,
  ) {
    this.access = new AccessCookies(cfg.secret, cfg.accessWindowSeconds, cfg.secure);
    this.settings = { vendorId: cfg.vendorId, broker: cfg.broker, maxTimeoutSeconds: cfg.maxTimeoutSeconds, paywall: cfg.paywall };
  }

  /** 503: no scheme can be offered now (nothing was taken). */
  private unavailable(res: Response, e: BrokerUnavailableError | NoCurrentEpochError): void {
    if (performance.now() - this.lastBrokerWarning > 60_000) {
      this.lastBrokerWarning = performance.now();
      this.cfg.logger.warn(`micromint: paid URLs answer 503: ${e.message}`);
    }
    const code = e instanceof BrokerUnavailableError ? 'broker_unavailable' : 'no_current_epoch';
    sendJsonError(
      res,
      503,
      code,
      `This content is paid with MicroMint coins, but payment is unavailable right now: ${e.message}. Please try again later.`,
    );
  }

  /** Answers 402 for the sale (after `failure`, if any) with every scheme that can offer now, or 503 when none can. */
  private async challenge(sale: Sale, failure?: PaymentFailure): Promise<void> {
    const terms = termsOf(sale);
    const offers = await Promise.all([...this.schemes.values()].map((s) => s.accepts(terms, failure)));
    const ready = offers.filter((o) => o.ok);
    if (ready.length === 0) {
      this.unavailable(sale.res, (offers[0] as Extract<(typeof offers)[number], { ok: false }>).error);
      return;
    }
    const epoch = ready.find((o) => o.epoch)?.epoch;
    const description = this.cfg.describe(sale.req);
    sendPaymentRequired(
      sale.req,
      sale.res,
      this.settings,
      {
        url: sale.url,
        price: sale.price,
        accepts: ready.map((o) => o.requirements),
        mimeType: sale.mimeType ?? contentTypeOf(sale.res, sale.req.path),
        ...(epoch ? { epoch } : {}),
        ...(description ? { description } : {}),
      },
      failure,
    );
  }

  /**
   * Step 1, the price: of the path as the app routes it, by `prices` then `.mm` files. Returns
   * undefined when it answered (a `.mm` file asked for, a broken price), else `{ price, mimeType? }`
   * (the rule's media type, if it declares one) with no price for a free URL.
   */
  private async priceOf(req: Request, res: Response, next: NextFunction): Promise<Partial<Priced> | undefined> {
    const rawPath = req.path;
    let path: string | undefined;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = undefined; // the static server answers 400 for such paths; prices match the raw path
    }
    if (this.cfg.root && path !== undefined && /\.mm$/i.test(path)) {
      // Price files are configuration, never content. Answered here (not next(err)) so that
      // probes for them do not fill the error log.
      res.status(404).type('text/plain').send('Not Found');
      return undefined;
    }
    try {
      const ruled = await this.cfg.rules.priceOf(req, path ?? rawPath);
      if (ruled) return ruled;
      const price = this.cfg.files && path !== undefined ? await this.cfg.files.priceOf(path) : undefined;
      return price === undefined ? {} : { price };
    } catch (e) {
      if (!(e instanceof PriceConfigError)) throw e;
      if (e.source === 'prices function') this.cfg.logger.error(`micromint: ${e.message}`);
      next(new MicroMintHttpError(500, 'price_invalid', 'Internal Server Error', { cause: e }));
      return undefined;
    }
  }

  /** Reads a payment in the body (the request is a POST of `reader`'s media type); undefined when it answered. */
  private async bodyPayment(req: Request, res: Response, reader: BodyPaymentReader): Promise<PaymentPayload | undefined> {
    if (req.headers['payment-signature'] !== undefined) {
      sendJsonError(
        res,
        400,
        'invalid_payment_body',
        'a request carries one payment: in the PAYMENT-SIGNATURE header or in the body, not both',
      );
      return undefined;
    }
    let read;
    try {
      read = await readPaymentBody(req);
    } catch {
      req.destroy(); // the client went away mid-body: there is nobody to answer
      return undefined;
    }
    const payment = read.ok
      ? paymentOfBody(reader, read.text, { broker: this.cfg.broker, maxTimeoutSeconds: this.cfg.maxTimeoutSeconds })
      : read;
    if ('ok' in payment) {
      if (!payment.ok) {
        if (read.ok === false && read.close) res.setHeader('Connection', 'close');
        sendJsonError(res, payment.status, payment.error, payment.message);
      }
      return undefined;
    }
    return payment;
  }

  /**
   * Step 2 for a free URL: passes through; a payment it carries is answered by {@link answerFree}
   * (nothing taken, the thesis's case 2, unless this vendor recorded it before).
   */
  private async passFree(
    req: Request,
    res: Response,
    next: NextFunction,
    reader: BodyPaymentReader | undefined,
    now: number,
  ): Promise<void> {
    let payment: PaymentPayload | undefined;
    if (reader) {
      payment = await this.bodyPayment(req, res, reader);
      if (!payment) return;
    } else if (req.headers['payment-signature'] !== undefined) {
      try {
        payment = decodePaymentPayload(req.headers['payment-signature']);
      } catch (e) {
        // Not a payment this middleware can read: a free URL is no place to complain about it.
        if (!(e instanceof PaymentHeaderError)) throw e;
      }
    }
    const scheme = payment ? this.schemes.get(payment.accepted.scheme) : undefined;
    if (payment && scheme) await this.answerFree(req, res, payment, scheme, now);
    next();
  }

  /**
   * The answer to a payment sent to a URL that is free now. One this vendor recorded before (the
   * URL was priced then, and the answer was lost) is the vendor's, and is redeemed as such: it is
   * answered as paid, as a retry of a recorded payment is, never given back. One that cannot be
   * looked up now (the broker's terms unknown) gets no receipt: the wallet keeps it pending. Any
   * other is given back, `no_payment_required`: nothing was taken.
   */
  private async answerFree(req: Request, res: Response, payment: PaymentPayload, scheme: SchemeModule, now: number): Promise<void> {
    const requestMethod = req.method.toUpperCase();
    const terms: SaleTerms = {
      url: resourceUrl(this.cfg.vendorId, req.originalUrl),
      price: 0,
      method: requestMethod === 'HEAD' ? 'GET' : requestMethod,
      requestMethod,
      now,
    };
    // Against a price of 0, a readable payment is refused for its amount, with the retry to look up.
    const check = await scheme.check(payment, terms);
    if (check.kind === 'unavailable') return;
    const prior = check.kind === 'refused' && check.retry !== undefined ? await scheme.findRecorded(check.retry, terms) : undefined;
    if (prior && prior.status !== 'refused') {
      setReceipt(res, this.receiptOf(scheme, prior.paid));
      return;
    }
    const { payer, extension } = scheme.unclaimed(payment);
    this.giveBack(
      res,
      releasedReceipt({
        scheme: scheme.scheme,
        network: this.cfg.network,
        reason: 'no_payment_required',
        ...(payer ? { payer } : {}),
        extension,
      }),
    );
  }

  /** Sets a receipt that takes nothing on a response still to be sent. */
  private giveBack(res: Response, receipt: ReturnType<typeof releasedReceipt>): void {
    setReceipt(res, encodeHeader(receipt));
  }

  /** Step 2 for a paid URL: preflight, cookie, challenge, or the payment to check. */
  private async sell(sale: Sale, reader: BodyPaymentReader | undefined): Promise<void> {
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
      if (sale.safe && this.access.allows(req, url, sale.now)) {
        res.locals.micromint = { price: sale.price, coins: [], replay: false, viaCookie: true } satisfies PaidRequest;
        next();
        return;
      }
      await this.challenge(sale);
      return;
    }
    if (!reader && typeof header === 'string' && this.replayed(sale, header)) return;
    let payment: PaymentPayload | undefined;
    if (reader) payment = await this.bodyPayment(req, res, reader);
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
    const paid = await this.acceptPayment({ ...sale, source: reader ? 'body' : 'header' }, payment);
    if (paid) this.servePaid(sale, paid);
  }

  /**
   * The same request as a payment the store answered as a replay before (see replay-cache.ts):
   * served as that payment again within the replay window, with nothing decoded, checked or
   * recorded. True when it answered.
   */
  private replayed(sale: Sale, header: string): boolean {
    const paid = this.replays.get(sale.method, sale.url, header);
    if (!paid) return false;
    if (!withinReplayWindow(paid.paidAt, sale.now, this.cfg.replayWindowSeconds)) {
      this.replays.delete(sale.method, sale.url, header); // the full path refuses it, and logs it
      return false;
    }
    this.servePaid(sale, paid);
    return true;
  }

  /** Step 3, accept the payment: its scheme checks it and records it (or finds it recorded); undefined when it answered. */
  private async acceptPayment(sale: Sale, payment: PaymentPayload): Promise<Paid | undefined> {
    const scheme = this.schemes.get(payment.accepted.scheme);
    if (!scheme) {
      await this.challenge(sale, {
        error: 'unsupported-scheme',
        detail: `this site takes the ${[...this.schemes.keys()].join(' and ')} scheme${this.schemes.size > 1 ? 's' : ''}`,
      });
      return undefined;
    }
    const terms = termsOf(sale);
    const check = await scheme.check(payment, terms);
    if (check.kind === 'malformed') {
      sendJsonError(sale.res, 400, sale.source === 'body' ? 'invalid_payment_body' : 'invalid_payment_header', check.message);
      return undefined;
    }
    if (check.kind === 'unavailable') {
      this.unavailable(sale.res, check.error);
      return undefined;
    }
    if (check.kind === 'refused') {
      // A retry of a payment recorded when its terms still held is served as paid, not refused.
      const prior = check.retry !== undefined ? await scheme.findRecorded(check.retry, terms) : undefined;
      if (prior) return this.settle(sale, prior);
      await this.refuse(sale, check.refused);
      return undefined;
    }
    return this.settle(sale, await scheme.record(check.valid, terms));
  }

  /** A recorded payment is served; one recorded before, within the replay window; anything else is refused. */
  private async settle(sale: Sale, r: Recorded): Promise<Paid | undefined> {
    if (r.status === 'recorded') return r.paid;
    if (r.status === 'replay' && withinReplayWindow(r.paid.paidAt, sale.now, this.cfg.replayWindowSeconds)) {
      const header = sale.req.headers['payment-signature'];
      if (sale.source === 'header' && typeof header === 'string') this.replays.set(sale.method, sale.url, header, r.paid);
      return r.paid;
    }
    await this.refuse(sale, r.status === 'replay' ? r.late : r.refused);
    return undefined;
  }

  /** 402 after a refused payment: logged where the scheme says, nothing taken. */
  private async refuse(sale: Sale, refused: Refused): Promise<void> {
    if (refused.warning) this.cfg.logger.warn(refused.warning);
    if (refused.log) await this.guard.run('recordRefusal', () => this.store.recordRefusal(refused.log!));
    await this.challenge(sale, refused.failure);
  }

  /**
   * Step 4, serve as paid: the receipt, the access cookie, then the content. A payment this
   * request recorded is taken back if the site then answers 5xx (see `holdServerErrors`).
   */
  private servePaid(sale: Sale, paid: Paid): void {
    const { res } = sale;
    const scheme = this.schemes.get(paid.scheme)!;
    setReceipt(res, this.receiptOf(scheme, paid));
    const cookie = sale.safe ? this.access.issue(res, sale.url, sale.now) : undefined;
    res.locals.micromint = {
      paymentId: paid.paymentId,
      userId: paid.payer,
      price: sale.price,
      scheme: paid.scheme,
      coins: paid.coins,
      ...(paid.chain ? { chain: paid.chain } : {}),
      replay: paid.replay,
      viaCookie: false,
    } satisfies PaidRequest;
    if (paid.recordedHere) holdServerErrors(res, (status) => this.takeBack(sale, scheme, paid, status, cookie));
    sale.next();
  }

  /** The `PAYMENT-RESPONSE` value of a payment taken; a replay's is kept with it, since replays are served again and again. */
  private receiptOf(scheme: SchemeModule, paid: Paid): string {
    const kept = paid.replay ? this.receipts.get(paid) : undefined;
    if (kept !== undefined) return kept;
    const extension = scheme.receipt(paid, false);
    const header = encodeHeader(
      paidReceipt({ scheme: paid.scheme, network: this.cfg.network, paymentId: paid.paymentId, payer: paid.payer, extension }),
    );
    if (paid.replay) this.receipts.set(paid, header);
    return header;
  }

  /** The site answered `status` (5xx) for a payment this request recorded: un-record it if nothing else claims it. */
  private async takeBack(sale: Sale, scheme: SchemeModule, paid: Paid, status: number, cookie: string | undefined): Promise<void> {
    const released = await scheme.release(paid).catch(() => false);
    if (!released) {
      this.cfg.logger.warn(
        `micromint: ${sale.url} answered ${status} after payment ${paid.paymentId} was recorded; the payment stands ` +
          '(it was served again, sent for redemption, or the store cannot take it back)',
      );
      return;
    }
    const reason: ReceiptError = 'not_served';
    const receipt = releasedReceipt({
      scheme: paid.scheme,
      network: this.cfg.network,
      reason,
      payer: paid.payer,
      extension: scheme.receipt(paid, true),
    });
    sale.res.setHeader(PAYMENT_RESPONSE_HEADER, encodeHeader(receipt));
    if (cookie) this.access.withdraw(sale.res, cookie);
    this.cfg.logger.warn(
      `micromint: ${sale.url} answered ${status}: payment ${paid.paymentId} taken back, its ${paid.summary} released to ${paid.payer}`,
    );
  }

  async handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const now = this.cfg.now();
    const reader = bodyPaymentReader(req);
    // A payment in the body pays for the GET of the URL: priced, checked and served as that GET.
    if (reader) req.method = 'GET';
    const priced = await this.priceOf(req, res, next);
    if (!priced) return;
    if (priced.price === undefined) {
      await this.passFree(req, res, next, reader, now);
      return;
    }
    const method = req.method.toUpperCase();
    const sale: Sale = {
      req,
      res,
      next,
      url: resourceUrl(this.cfg.vendorId, req.originalUrl),
      price: priced.price,
      ...(priced.mimeType ? { mimeType: priced.mimeType } : {}),
      safe: method === 'GET' || method === 'HEAD',
      method: method === 'HEAD' ? 'GET' : method,
      requestMethod: method,
      now,
    };
    await this.sell(sale, reader);
  }
}
