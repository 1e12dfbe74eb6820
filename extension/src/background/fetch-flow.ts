/**
 * Paying 402s of a page's own fetch() calls (the MAIN-world wrapper asks through the content script).
 *
 * The page is never trusted with the terms or the outcome: the worker pays only a 402 that it saw
 * itself on the network (webRequest, type xmlhttprequest) for that tab and URL, only for the page's
 * own origin, and it reads the vendor's answer from the network too (payment-watch.ts): the
 * request that carries the handed-out header (or, for a payment too large for a header, the POST
 * that carries its body) is tied to the payment, and the answer to that request settles it. The
 * decision itself is the shared step of pay-step.ts. Autopay through fetch is rate-limited per origin so a script cannot quietly drain
 * the wallet one threshold at a time.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER } from '@micromint/shared';
import type { FetchVerdict } from '../messages.ts';
import type { PaymentRecord, WalletDb } from '../wallet/index.ts';
import { stripFragment } from './challenges.ts';
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

/** The fetch() payment flow. One instance per worker; its state lives as long as the worker. */
export class FetchFlow {
  private readonly seen = new Map<string, { header: string; at: number; method?: string }>();
  private readonly autopays = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly step: PaymentStep;
  private readonly watch: PaymentWatch;

  constructor(private readonly deps: FetchFlowDeps) {
    this.now = deps.now ?? Date.now;
    this.step = new PaymentStep(deps);
    this.watch = deps.watch ?? new PaymentWatch(this.step, this.now);
  }

  private static key = (tabId: number, url: string) => `${tabId} ${stripFragment(url)}`;

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
   * request with the same method; without it the 402 is paid with coins only.
   */
  async onResponse(
    requestId: string,
    tabId: number,
    url: string,
    statusCode: number,
    headers: readonly HeaderLike[] | undefined,
    method?: string,
  ): Promise<RetryOutcome | undefined> {
    const challenge = statusCode === 402 ? headerValue(headers, PAYMENT_REQUIRED_HEADER) : undefined;
    if (challenge)
      this.seen.set(FetchFlow.key(tabId, url), {
        header: challenge,
        at: this.now(),
        ...(method && /^[A-Za-z]{1,32}$/.test(method) ? { method: method.toUpperCase() } : {}),
      });
    return this.watch.onResponse(requestId, statusCode, headers);
  }

  /** webRequest.onErrorOccurred (xmlhttprequest): the payment stays pending, to be resent. */
  onError(requestId: string): void {
    this.watch.onError(requestId);
  }

  /**
   * The page's fetch() of `url` got a 402: pay it (returning the header to retry with), ask, or
   * say why not.
   * @example
   * const verdict = await fetchFlow.request(tabId, 'http://127.0.0.1:4001', url, false);
   */
  async request(tabId: number, pageOrigin: string, url: string, confirmed: boolean): Promise<FetchVerdict> {
    const settings = await this.deps.settings.get();
    const broker = pageOrigin === brokerOrigin(settings);
    let target: URL;
    try {
      target = new URL(url, pageOrigin);
    } catch {
      return { action: 'refuse', broker, message: 'not a URL' };
    }
    if (target.origin !== pageOrigin) return { action: 'refuse', broker, message: 'the wallet only pays requests to the page’s own site' };
    const key = FetchFlow.key(tabId, target.href);
    const seen = this.seen.get(key);
    if (!seen || this.now() - seen.at > FETCH_CHALLENGE_TTL_MS) return { action: 'none', broker };
    const challenge = this.step.read({ header: seen.header, url: target.href, seenAt: seen.at }, tabId);
    if ('refuse' in challenge) {
      this.seen.delete(key);
      return { action: 'refuse', broker, message: challenge.refuse };
    }
    const next = await this.step.next(challenge, {
      onBrokerPage: broker,
      confirmed,
      autopayAllowed: this.mayAutopay(pageOrigin),
      ...(seen.method ? { method: seen.method } : {}),
    });
    if (next.kind === 'verdict') return next.verdict;
    if (next.silent) this.autopays.get(pageOrigin)!.push(this.now());
    if (!next.resent) this.seen.delete(key);
    return this.handOut(tabId, next.payment, broker, next.resent);
  }

  private mayAutopay(origin: string): boolean {
    const recent = (this.autopays.get(origin) ?? []).filter((t) => this.now() - t < 60_000);
    this.autopays.set(origin, recent);
    return recent.length < FETCH_AUTOPAY_PER_MINUTE;
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
