/**
 * Paying 402s of a page's own requests, `fetch()` and `XMLHttpRequest` (the MAIN-world wrappers
 * ask through the content script), in the top frame or in a frame, to the page's own origin or to
 * another (cross-origin: the vendor is the URL's origin, as always); and the page API's price.
 *
 * The page is never trusted with the terms or the outcome: the worker pays only a 402 that it saw
 * itself on the network (webRequest, type xmlhttprequest) for that tab, frame and URL, made by the
 * asking page itself (the request's `initiator` is the asking frame's origin: one frame's
 * request is never paid on another's word), and it reads the vendor's answer from the network too (payment-watch.ts): the
 * request that carries the handed-out header (or, for a payment too large for a header, the POST
 * that carries its body) is tied to the payment, and the answer to that request settles it. The
 * decision itself is the shared step of pay-step.ts. Autopay through fetch is rate-limited per origin so a script cannot quietly drain
 * the wallet one threshold at a time.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER } from '@micromint/shared';
import type { FetchVerdict, PagePrice } from '../messages.ts';
import type { BudgetAllow, PaymentRecord, WalletDb } from '../wallet/index.ts';
import { AutopayLimit } from './autopay-limit.ts';
import { stripFragment, type Challenge } from './challenges.ts';
import { PaymentStep } from './pay-step.ts';
import { PaymentWatch, type RequestBodyLike } from './payment-watch.ts';
import { headerValue, type HeaderLike, type RetryOutcome } from './receipts.ts';
import type { SchemeRegistry } from './schemes/registry.ts';
import { brokerOrigin, type SettingsStore } from './settings.ts';

/** Silent fetch payments allowed per origin per minute; more than that asks the user. */
export const FETCH_AUTOPAY_PER_MINUTE = 10;
/** How long a seen fetch 402 stays payable. */
const FETCH_CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** What the fetch flow needs. */
export interface FetchFlowDeps {
  db: WalletDb;
  settings: SettingsStore;
  schemes: SchemeRegistry;
  /** Where handed-out payments are recognised on the network (shared with the navigation flow). */
  watch?: PaymentWatch;
  now?: () => number;
  log?: (message: string) => void;
}

/** Where a request came from, as webRequest tells: its frame and the origin of the document that made it. */
export interface RequestSource {
  frameId: number;
  /** `details.initiator`; absent when the browser does not say (then only same-origin requests are paid). */
  initiator?: string;
}

/** A 402 seen on the network. */
interface Seen {
  header: string;
  at: number;
  method?: string;
  initiator?: string;
}

/** The fetch() payment flow. One instance per worker; its state lives as long as the worker. */
export class FetchFlow {
  private readonly seen = new Map<string, Seen>();
  private readonly autopays: AutopayLimit<string>;
  private readonly now: () => number;
  private readonly step: PaymentStep;
  private readonly watch: PaymentWatch;

  constructor(private readonly deps: FetchFlowDeps) {
    this.now = deps.now ?? Date.now;
    this.autopays = new AutopayLimit(FETCH_AUTOPAY_PER_MINUTE, this.now);
    this.step = new PaymentStep(deps);
    this.watch = deps.watch ?? new PaymentWatch(this.step, this.now);
  }

  private static key = (tabId: number, frameId: number, url: string) => `${tabId}/${frameId} ${stripFragment(url)}`;

  /** webRequest.onBeforeRequest (xmlhttprequest): ties a POST carrying a handed-out body to its payment. */
  onBeforeRequest(requestId: string, tabId: number, method: string, url: string, body: RequestBodyLike | undefined): void {
    this.watch.onBeforeRequest(requestId, tabId, method, url, body);
  }

  /** webRequest.onSendHeaders (xmlhttprequest): ties a request carrying a handed-out payment to it. */
  onSendHeaders(requestId: string, tabId: number, headers: readonly HeaderLike[] | undefined): void {
    this.watch.onSendHeaders(requestId, tabId, headers);
  }

  /**
   * webRequest.onHeadersReceived (xmlhttprequest): settles a paid request, remembers a new 402.
   * `method` (the details' `method`) is what a PayWord link's MAC binds: the page repeats the
   * request with the same method; without it the 402 is paid with coins only. `from`: the
   * request's frame and initiator (default: the top frame, initiator unknown).
   */
  async onResponse(
    requestId: string,
    tabId: number,
    url: string,
    statusCode: number,
    headers: readonly HeaderLike[] | undefined,
    method?: string,
    from: RequestSource = { frameId: 0 },
  ): Promise<RetryOutcome | undefined> {
    const challenge = statusCode === 402 ? headerValue(headers, PAYMENT_REQUIRED_HEADER) : undefined;
    if (challenge)
      this.seen.set(FetchFlow.key(tabId, from.frameId, url), {
        header: challenge,
        at: this.now(),
        ...(method && /^[A-Za-z]{1,32}$/.test(method) ? { method: method.toUpperCase() } : {}),
        ...(from.initiator ? { initiator: from.initiator } : {}),
      });
    return this.watch.onResponse(requestId, statusCode, headers);
  }

  /** webRequest.onErrorOccurred (xmlhttprequest): the payment stays pending, to be resent. */
  onError(requestId: string): void {
    this.watch.onError(requestId);
  }

  /**
   * The page's request of `url` got a 402: pay it (returning the header to retry with), ask, or
   * say why not. `allow`: with `confirmed`, the prompt's "allow up to" (a budget set in the
   * payment's transaction). `frameId`: the asking frame (0: the top frame).
   * @example
   * const verdict = await fetchFlow.request(tabId, 'http://127.0.0.1:4001', url, false);
   */
  async request(
    tabId: number,
    pageOrigin: string,
    url: string,
    confirmed: boolean,
    allow?: BudgetAllow,
    frameId = 0,
  ): Promise<FetchVerdict> {
    const settings = await this.deps.settings.get();
    const broker = pageOrigin === brokerOrigin(settings);
    const found = this.lookup(tabId, frameId, pageOrigin, url);
    if ('refuse' in found) return { action: 'refuse', broker, message: found.refuse };
    if (!found.seen) return { action: 'none', broker };
    const { key, seen, challenge } = found;
    const next = await this.step.next(challenge, {
      onBrokerPage: broker,
      confirmed,
      autopayAllowed: this.autopays.allows(pageOrigin),
      ...(seen.method ? { method: seen.method } : {}),
      ...(allow ? { allow } : {}),
    });
    if (next.kind === 'verdict') return next.verdict;
    if (next.silent) this.autopays.spent(pageOrigin);
    if (!next.resent) this.seen.delete(key);
    return this.handOut(tabId, next.payment, broker, next.resent);
  }

  /**
   * The page API's `micromint.price(url)`: the price of the 402 the page's own request of `url`
   * got (a HEAD the page made), read from the network like any other. Only for the page's origin.
   * @example
   * const price = await fetchFlow.quote(tabId, 0, 'http://127.0.0.1:4001', '/articles/a.html'); // { url, mills: 8 }
   */
  async quote(tabId: number, frameId: number, pageOrigin: string, url: string): Promise<PagePrice> {
    let target: string;
    try {
      target = stripFragment(new URL(url, pageOrigin).href);
    } catch {
      return { url: String(url).slice(0, 2048), none: 'not a URL' };
    }
    if (new URL(target).origin !== pageOrigin) return { url: target, none: 'the page API prices only URLs of the page’s own site' };
    const found = this.lookup(tabId, frameId, pageOrigin, target);
    if ('refuse' in found) return { url: target, none: found.refuse };
    if (!found.seen) return { url: target, none: 'no payment asked' };
    return { url: target, mills: found.challenge.quote.mills };
  }

  /** The payable 402 the asking page itself got for `url`, if the worker saw one (and it is fresh). */
  private lookup(
    tabId: number,
    frameId: number,
    pageOrigin: string,
    url: string,
  ): { refuse: string } | { seen?: undefined } | { key: string; seen: Seen; challenge: Challenge } {
    let target: URL;
    try {
      target = new URL(url, pageOrigin);
    } catch {
      return { refuse: 'not a URL' };
    }
    const key = FetchFlow.key(tabId, frameId, target.href);
    const seen = this.seen.get(key);
    if (!seen || this.now() - seen.at > FETCH_CHALLENGE_TTL_MS) return {};
    // Whose request it was: the browser's initiator when it tells, else only the page's own site.
    if ((seen.initiator ?? target.origin) !== pageOrigin) return { refuse: 'the wallet only pays the page’s own requests' };
    const challenge = this.step.read({ header: seen.header, url: target.href, seenAt: seen.at }, tabId);
    if ('refuse' in challenge) {
      this.seen.delete(key);
      return { refuse: challenge.refuse };
    }
    return { key, seen, challenge };
  }

  private async handOut(tabId: number, payment: PaymentRecord, broker: boolean, resent: boolean): Promise<FetchVerdict> {
    await this.step.sent(payment);
    this.watch.expect({
      paymentId: payment.id,
      tabId,
      url: payment.url,
      header: payment.header,
      ...(payment.body ? { body: payment.body.text } : {}),
      via: 'fetch',
    });
    return {
      action: 'pay',
      broker,
      header: payment.header,
      paymentId: payment.id,
      price: payment.price,
      resent,
      ...(payment.body ? { body: payment.body.text, contentType: payment.body.contentType } : {}),
    };
  }
}
