/**
 * The pay-on-402 flow for page navigations (thesis "click and pay", technique 1):
 *
 * 1. `onMainFrameResponse` sees a 402 with PAYMENT-REQUIRED and remembers it for the tab;
 * 2. the content script of the 402 page reports (`pageLoaded`); the worker reads the terms, checks
 *    the vendor is the page's own origin, and applies the autopay threshold;
 * 3. to pay, the wallet marks coins spent and records the payment (one transaction), installs a
 *    DNR rule that adds PAYMENT-SIGNATURE to that URL in that tab, and navigates the tab there;
 * 4. `onMainFrameResponse` for the retry reads the receipt (paid) or the refusal (coins released
 *    unless already spent), and the rule is removed. A network error leaves the payment pending:
 *    the next 402 of that URL resends the very same payload, which the vendor treats as a retry.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER } from '@micromint/shared';
import type { PageVerdict } from '../messages.ts';
import {
  balance,
  markPaid,
  markRefused,
  markSent,
  pendingPaymentFor,
  type PaymentRecord,
  type WalletDb,
} from '../wallet/index.ts';
import { assertPayable, ChallengeError, parseChallenge, stripFragment, type Challenge, type ChallengeStore } from './challenges.ts';
import { decide } from './decide.ts';
import { insufficient, payChallenge } from './pay-challenge.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { classifyRetryResponse, headerValue, RetryBook, type HeaderLike, type RetryOutcome } from './receipts.ts';
import type { Retrier } from './retrier.ts';
import type { SchemeRegistry } from './schemes/registry.ts';
import { brokerOrigin, type SettingsStore } from './settings.ts';

/** What the flow needs; the background entry wires the browser's, tests wire fakes. */
export interface FlowDeps {
  db: WalletDb;
  settings: SettingsStore;
  challenges: ChallengeStore;
  retries: RetryBook;
  retrier: Retrier;
  schemes: SchemeRegistry;
  log?: (message: string) => void;
}

/** The navigation payment flow. One instance per worker. */
export class PaymentFlow {
  private readonly queue = new KeyedQueue<number>();
  private readonly log: (message: string) => void;

  constructor(private readonly deps: FlowDeps) {
    this.log = deps.log ?? (() => undefined);
  }

  /**
   * A main-frame response arrived in a tab: settle a retry in flight, and remember or forget the
   * tab's challenge.
   */
  onMainFrameResponse(tabId: number, url: string, statusCode: number, headers: readonly HeaderLike[] | undefined): Promise<RetryOutcome | undefined> {
    return this.queue.run(tabId, async () => {
      const outcome = await this.settleRetry(tabId, url, () => classifyRetryResponse(statusCode, headers));
      const challenge = statusCode === 402 ? headerValue(headers, PAYMENT_REQUIRED_HEADER) : undefined;
      if (challenge) await this.deps.challenges.put(tabId, url, challenge);
      else await this.deps.challenges.forget(tabId);
      return outcome;
    });
  }

  /** A main-frame request failed (network error, aborted): a retry in flight stays pending. */
  onMainFrameError(tabId: number, url: string, error: string): Promise<void> {
    return this.queue.run(tabId, async () => {
      await this.settleRetry(tabId, url, () => ({ kind: 'unsettled', why: error }));
    });
  }

  /** The tab is gone: forget its challenge and remove its rules. */
  tabClosed(tabId: number): Promise<void> {
    return this.queue.run(tabId, async () => {
      await this.deps.challenges.forget(tabId);
      await this.deps.retries.take(tabId);
      await this.deps.retrier.releaseTab(tabId);
    });
  }

  /**
   * The top frame of a tab loaded `url`; if it is a 402 page with a challenge, act on it.
   * @example
   * const verdict = await flow.pageLoaded(sender.tab.id, message.body.url);
   */
  pageLoaded(tabId: number, url: string): Promise<PageVerdict> {
    return this.queue.run(tabId, async () => {
      const broker = await this.isBroker(url);
      const challenge = await this.challengeFor(tabId, url);
      if (!challenge) return { action: 'none', broker };
      if ('refuse' in challenge) return { action: 'refuse', broker, message: challenge.refuse };
      const { quote } = challenge;
      const pending = await pendingPaymentFor(this.deps.db, challenge.url, quote.vendorId);
      if (pending) {
        await this.send(tabId, pending);
        return { action: 'paying', broker, price: pending.price, resent: true };
      }
      const settings = await this.deps.settings.get();
      const funds = await this.deps.schemes.get(challenge.scheme)!.funds(this.deps.db, quote);
      const decision = decide(quote.price, settings.autopayThreshold, funds);
      if (decision.kind === 'insufficient') return insufficient(broker, challenge, decision);
      // After a refusal the wallet asks instead of paying again on its own: no loops.
      if (decision.kind === 'confirm' || challenge.error)
        return {
          action: 'confirm',
          broker,
          price: quote.price,
          vendorId: quote.vendorId,
          threshold: settings.autopayThreshold,
          balance: await balance(this.deps.db),
          ...(challenge.error ? { refusal: challenge.error } : {}),
        };
      return this.payNow(tabId, challenge, broker);
    });
  }

  /** The user accepted the prompt for `url`. */
  confirm(tabId: number, url: string): Promise<PageVerdict> {
    return this.queue.run(tabId, async () => {
      const broker = await this.isBroker(url);
      const challenge = await this.challengeFor(tabId, url);
      if (!challenge) return { action: 'refuse', broker, message: 'This payment request has expired. Reload the page to see it again.' };
      if ('refuse' in challenge) return { action: 'refuse', broker, message: challenge.refuse };
      return this.payNow(tabId, challenge, broker);
    });
  }

  /** The user declined: spend nothing and forget the challenge. */
  decline(tabId: number, url: string): Promise<PageVerdict> {
    return this.queue.run(tabId, async () => {
      await this.deps.challenges.forget(tabId);
      return { action: 'none', broker: await this.isBroker(url) };
    });
  }

  private async isBroker(url: string): Promise<boolean> {
    try {
      return new URL(url).origin === brokerOrigin(await this.deps.settings.get());
    } catch {
      return false;
    }
  }

  /** The tab's challenge for `url`, parsed and checked, or why it cannot be paid. */
  private async challengeFor(tabId: number, url: string): Promise<Challenge | { refuse: string } | undefined> {
    const seen = await this.deps.challenges.get(tabId, url);
    if (!seen) return undefined;
    try {
      const challenge = parseChallenge(seen.header, seen.url, tabId, this.deps.schemes, seen.seenAt);
      assertPayable(challenge);
      return challenge;
    } catch (e) {
      if (!(e instanceof ChallengeError)) throw e;
      await this.deps.challenges.forget(tabId);
      this.log(`not paying ${url}: ${e.message}`);
      return { refuse: e.message };
    }
  }

  private async payNow(tabId: number, challenge: Challenge, broker: boolean): Promise<PageVerdict> {
    const paid = await payChallenge(this.deps.schemes, this.deps.db, challenge, broker);
    if ('verdict' in paid) return paid.verdict;
    const { payment } = paid;
    await this.send(tabId, payment);
    return { action: 'paying', broker, price: payment.price, resent: false };
  }

  /** Sends a recorded payment: rule first, then the book entry, then the navigation. */
  private async send(tabId: number, payment: PaymentRecord): Promise<void> {
    await markSent(this.deps.db, payment.id);
    const ruleId = await this.deps.retrier.install(tabId, payment.url, payment.header);
    await this.deps.retries.expect({ tabId, url: payment.url, paymentId: payment.id, ruleId, startedAt: Date.now() });
    await this.deps.challenges.forget(tabId);
    try {
      await this.deps.retrier.navigate(tabId, payment.url);
    } catch (e) {
      // The tab is gone: the payment stays pending and goes out again on the next 402 of the URL.
      await this.deps.retries.take(tabId);
      await this.deps.retrier.release(ruleId);
      this.log(`could not load ${payment.url} again: ${(e as Error).message}`);
    }
  }

  /** If a retry is in flight in the tab, removes its rule and applies the outcome to the wallet. */
  private async settleRetry(tabId: number, url: string, classify: () => RetryOutcome): Promise<RetryOutcome | undefined> {
    const retry = await this.deps.retries.get(tabId);
    if (!retry) return undefined;
    await this.deps.retries.take(tabId);
    await this.deps.retrier.release(retry.ruleId);
    if (!RetryBook.matches(retry, url)) {
      this.log(`tab ${tabId} left ${retry.url} for ${stripFragment(url)}; payment ${retry.paymentId} stays pending`);
      return undefined;
    }
    const outcome = classify();
    if (outcome.kind === 'paid') await markPaid(this.deps.db, retry.paymentId, outcome.transaction ? { transaction: outcome.transaction } : {});
    else if (outcome.kind === 'refused') await markRefused(this.deps.db, retry.paymentId, { error: outcome.error, refused: outcome.refused });
    else this.log(`payment ${retry.paymentId} for ${retry.url} stays pending: ${outcome.why}`);
    return outcome;
  }
}
