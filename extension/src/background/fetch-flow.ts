/**
 * Paying 402s of a page's own fetch() calls (the MAIN-world wrapper asks through the content script).
 *
 * The page is never trusted with the terms or the outcome: the worker pays only a 402 that it saw
 * itself on the network (webRequest, type xmlhttprequest) for that tab and URL, only for the page's
 * own origin, and it reads the vendor's answer from the network too: `onSendHeaders` ties the
 * request that carries the payment header to the payment, `onHeadersReceived` of that request
 * settles it. Autopay through fetch is rate-limited per origin so a script cannot quietly drain
 * the wallet one threshold at a time.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER } from '@micromint/shared';
import type { FetchVerdict } from '../messages.ts';
import {
  balance,
  markPaid,
  markRefused,
  markSent,
  pendingPaymentFor,
  type PaymentRecord,
  type WalletDb,
} from '../wallet/index.ts';
import { assertPayable, ChallengeError, parseChallenge, stripFragment, type Challenge } from './challenges.ts';
import { decide } from './decide.ts';
import { insufficient, payChallenge } from './pay-challenge.ts';
import { classifyRetryResponse, headerValue, type HeaderLike, type RetryOutcome } from './receipts.ts';
import type { SchemeRegistry } from './schemes/registry.ts';
import { brokerOrigin, type SettingsStore } from './settings.ts';

/** Silent fetch payments allowed per origin per minute; more than that asks the user. */
export const FETCH_AUTOPAY_PER_MINUTE = 10;
/** How long a seen fetch 402 stays payable. */
const FETCH_CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** How long a handed-out payment waits for its request to be sent. */
const HANDOUT_TTL_MS = 5 * 60 * 1000;

/** What the fetch flow needs. */
export interface FetchFlowDeps {
  db: WalletDb;
  settings: SettingsStore;
  schemes: SchemeRegistry;
  now?: () => number;
  log?: (message: string) => void;
}

interface Handout {
  paymentId: string;
  tabId: number;
  url: string;
  header: string;
  at: number;
}

/** The fetch() payment flow. One instance per worker; its state lives as long as the worker. */
export class FetchFlow {
  private readonly seen = new Map<string, { header: string; at: number }>();
  private readonly handouts = new Map<string, Handout>();
  private readonly inflight = new Map<string, Handout>();
  private readonly autopays = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly log: (message: string) => void;

  constructor(private readonly deps: FetchFlowDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  private static key = (tabId: number, url: string) => `${tabId} ${stripFragment(url)}`;

  /** webRequest.onSendHeaders (xmlhttprequest): ties a request carrying a handed-out payment to it. */
  onSendHeaders(requestId: string, tabId: number, headers: readonly HeaderLike[] | undefined): void {
    const value = headerValue(headers, PAYMENT_SIGNATURE_HEADER);
    if (!value) return;
    for (const [id, h] of this.handouts) {
      if (h.tabId === tabId && h.header === value) {
        this.inflight.set(requestId, h);
        this.handouts.delete(id);
        return;
      }
    }
  }

  /** webRequest.onHeadersReceived (xmlhttprequest): settles a paid request, remembers a new 402. */
  async onResponse(requestId: string, tabId: number, url: string, statusCode: number, headers: readonly HeaderLike[] | undefined): Promise<RetryOutcome | undefined> {
    const challenge = statusCode === 402 ? headerValue(headers, PAYMENT_REQUIRED_HEADER) : undefined;
    if (challenge) this.seen.set(FetchFlow.key(tabId, url), { header: challenge, at: this.now() });
    const paid = this.inflight.get(requestId);
    if (!paid) return undefined;
    this.inflight.delete(requestId);
    const outcome = classifyRetryResponse(statusCode, headers);
    if (outcome.kind === 'paid') await markPaid(this.deps.db, paid.paymentId, outcome.transaction ? { transaction: outcome.transaction } : {});
    else if (outcome.kind === 'refused') await markRefused(this.deps.db, paid.paymentId, { error: outcome.error, refused: outcome.refused });
    else this.log(`fetch payment ${paid.paymentId} stays pending: ${outcome.why}`);
    return outcome;
  }

  /** webRequest.onErrorOccurred (xmlhttprequest): the payment stays pending, to be resent. */
  onError(requestId: string): void {
    this.inflight.delete(requestId);
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
    let challenge: Challenge;
    try {
      challenge = parseChallenge(seen.header, target.href, tabId, this.deps.schemes, seen.at);
      assertPayable(challenge);
    } catch (e) {
      if (!(e instanceof ChallengeError)) throw e;
      this.seen.delete(key);
      return { action: 'refuse', broker, message: e.message };
    }
    const { quote } = challenge;
    const pending = await pendingPaymentFor(this.deps.db, challenge.url, quote.vendorId);
    if (pending) return this.handOut(tabId, pending, broker, true);
    const funds = await this.deps.schemes.get(challenge.scheme)!.funds(this.deps.db, quote);
    const decision = decide(quote.price, settings.autopayThreshold, funds);
    if (decision.kind === 'insufficient') return insufficient(broker, challenge, decision);
    const silent = decision.kind === 'autopay' && !challenge.error && this.mayAutopay(pageOrigin);
    if (!silent && !confirmed)
      return {
        action: 'confirm',
        broker,
        price: quote.price,
        vendorId: quote.vendorId,
        threshold: settings.autopayThreshold,
        balance: await balance(this.deps.db),
        ...(challenge.error ? { refusal: challenge.error } : {}),
      };
    const paid = await payChallenge(this.deps.schemes, this.deps.db, challenge, broker);
    if ('verdict' in paid) return paid.verdict;
    const { payment } = paid;
    if (silent) this.autopays.get(pageOrigin)!.push(this.now());
    this.seen.delete(key);
    return this.handOut(tabId, payment, broker, false);
  }

  private mayAutopay(origin: string): boolean {
    const recent = (this.autopays.get(origin) ?? []).filter((t) => this.now() - t < 60_000);
    this.autopays.set(origin, recent);
    return recent.length < FETCH_AUTOPAY_PER_MINUTE;
  }

  private async handOut(tabId: number, payment: PaymentRecord, broker: boolean, resent: boolean): Promise<FetchVerdict> {
    await markSent(this.deps.db, payment.id);
    const at = this.now();
    for (const [id, h] of this.handouts) if (at - h.at > HANDOUT_TTL_MS) this.handouts.delete(id);
    this.handouts.set(payment.id, { paymentId: payment.id, tabId, url: payment.url, header: payment.header, at });
    return { action: 'pay', broker, header: payment.header, paymentId: payment.id, price: payment.price, resent };
  }
}
