/**
 * The pay-on-402 flow for page navigations (thesis "click and pay", technique 1):
 *
 * 1. `onMainFrameResponse` sees a 402 with PAYMENT-REQUIRED and remembers it for the tab;
 * 2. the content script of the 402 page reports (`pageLoaded`); the shared step (pay-step.ts)
 *    reads the terms, checks the vendor is the page's own origin, and applies the threshold;
 * 3. to pay, the wallet marks coins spent and records the payment (one transaction), installs a
 *    DNR rule that adds PAYMENT-SIGNATURE to that URL in that tab, and navigates the tab there;
 *    a payment too large for a header goes back to the content script to POST as a body instead;
 * 4. `onMainFrameResponse` for the retry reads the receipt (paid), the refusal (coins released
 *    unless already spent) or the coins given back, and the rule is removed. A network error leaves
 *    the payment pending: the next 402 of that URL resends the very same payload, which the vendor
 *    treats as a retry.
 *
 * Right after the browser starts, the first page's 402 can arrive before the worker runs, and its
 * `onHeadersReceived` is then lost. The content script reports the page's status (402) and asks
 * again until the worker answers; a worker that did not see that tab's response fetches the terms
 * itself ({@link ChallengeProbe}). A response the worker did see is never fetched again.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER } from '@micromint/shared';
import type { PageVerdict } from '../messages.ts';
import type { BudgetAllow, PaymentRecord, WalletDb } from '../wallet/index.ts';
import { stripFragment, type ChallengeStore, type SeenChallenge } from './challenges.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { PaymentStep } from './pay-step.ts';
import { PaymentWatch } from './payment-watch.ts';
import { classifyRetryResponse, headerValue, RetryBook, type HeaderLike, type RetryOutcome } from './receipts.ts';
import type { Retrier } from './retrier.ts';
import type { PageReceipts } from './page-receipts.ts';
import type { SchemeRegistry } from './schemes/registry.ts';
import { brokerOrigin, type SettingsStore } from './settings.ts';

/**
 * Fetches `url` as the worker (no payment) and returns the PAYMENT-REQUIRED of its 402, if it
 * answers one: the terms of a 402 page whose own response the worker missed.
 */
export type ChallengeProbe = (url: string) => Promise<string | undefined>;

/** What the flow needs; the background entry wires the browser's, tests wire fakes. */
export interface FlowDeps {
  db: WalletDb;
  settings: SettingsStore;
  challenges: ChallengeStore;
  retries: RetryBook;
  retrier: Retrier;
  schemes: SchemeRegistry;
  /** Where payments POSTed as a body are recognised on the network (shared with the fetch flow). */
  watch?: PaymentWatch;
  /** Reads the terms of a 402 the worker missed; without it such a page is left alone. */
  probe?: ChallengeProbe;
  /** Receipts for the paid page; without it none are shown. */
  receipts?: PageReceipts;
  log?: (message: string) => void;
}

/** The navigation payment flow. One instance per worker. */
export class PaymentFlow {
  private readonly queue = new KeyedQueue<number>();
  private readonly log: (message: string) => void;
  private readonly step: PaymentStep;
  private readonly watch: PaymentWatch;

  constructor(private readonly deps: FlowDeps) {
    this.log = deps.log ?? (() => undefined);
    this.step = new PaymentStep(deps);
    this.watch = deps.watch ?? new PaymentWatch(this.step, Date.now, (h) => this.paid(h.tabId, h.paymentId));
  }

  /**
   * A main-frame response arrived in a tab (`at`: when, from webRequest's `timeStamp`): settle a
   * retry in flight, and remember the tab's challenge, or that it has none.
   */
  onMainFrameResponse(
    tabId: number,
    url: string,
    statusCode: number,
    headers: readonly HeaderLike[] | undefined,
    at = Date.now(),
  ): Promise<RetryOutcome | undefined> {
    return this.queue.run(tabId, async () => {
      if (await this.olderThanRetry(tabId, url, at)) return undefined;
      const outcome = await this.settleRetry(tabId, url, () => classifyRetryResponse(statusCode, headers));
      const challenge = statusCode === 402 ? headerValue(headers, PAYMENT_REQUIRED_HEADER) : undefined;
      if (challenge) await this.deps.challenges.put(tabId, url, challenge);
      else await this.deps.challenges.saw(tabId, url);
      return outcome;
    });
  }

  /** A main-frame request failed (network error, aborted): a retry in flight stays pending. */
  onMainFrameError(tabId: number, url: string, error: string, at = Date.now()): Promise<void> {
    return this.queue.run(tabId, async () => {
      if (await this.olderThanRetry(tabId, url, at)) return;
      await this.settleRetry(tabId, url, () => ({ kind: 'unsettled', why: error }));
    });
  }

  /** The tab is gone: forget what it showed and remove its rules. */
  tabClosed(tabId: number): Promise<void> {
    return this.queue.run(tabId, async () => {
      await this.deps.challenges.clear(tabId);
      await this.deps.retries.take(tabId);
      await this.deps.retrier.releaseTab(tabId);
      await this.deps.receipts?.clear(tabId);
    });
  }

  /**
   * The top frame of a tab loaded `url` (HTTP `status`, when the page knows it); if it is a 402
   * page with a challenge, act on it. A page just paid gets its receipt with the `none` verdict.
   * @example
   * const verdict = await flow.pageLoaded(sender.tab.id, message.body.url, message.body.status);
   */
  pageLoaded(tabId: number, url: string, status?: number): Promise<PageVerdict> {
    return this.queue.run(tabId, async () => {
      const broker = await this.isBroker(url);
      const seen = (await this.deps.challenges.get(tabId, url)) ?? (status === 402 ? await this.missed(tabId, url) : undefined);
      if (!seen) {
        const receipt = await this.deps.receipts?.take(tabId, url);
        return { action: 'none', broker, ...(receipt ? { receipt } : {}) };
      }
      return this.act(tabId, seen, broker, false);
    });
  }

  /**
   * The user accepted the prompt for `url`, or, having declined it, clicked the paywall's own pay
   * button (`[data-micromint-pay]`): both are the reader's yes to the challenge the worker saw.
   * `allow`: the prompt's "allow up to", a budget set in the payment's own transaction.
   */
  confirm(tabId: number, url: string, allow?: BudgetAllow): Promise<PageVerdict> {
    return this.queue.run(tabId, async () => {
      const broker = await this.isBroker(url);
      const seen = await this.deps.challenges.get(tabId, url);
      if (!seen) return { action: 'refuse', broker, message: 'This payment request has expired. Reload the page to see it again.' };
      return this.act(tabId, seen, broker, true, allow);
    });
  }

  /**
   * The user declined: spend nothing. The challenge stays (until the tab shows another response or
   * it expires) so that the paywall's pay button can still pay it with the reader's own click.
   */
  decline(_tabId: number, url: string): Promise<PageVerdict> {
    return this.isBroker(url).then((broker) => ({ action: 'none', broker }));
  }

  private async isBroker(url: string): Promise<boolean> {
    try {
      return new URL(url).origin === brokerOrigin(await this.deps.settings.get());
    } catch {
      return false;
    }
  }

  /**
   * A page reports a 402 the worker has no challenge for. If the worker saw that response (no
   * PAYMENT-REQUIRED, or already acted on), there is nothing to do; if it missed it, it fetches
   * the terms itself, once.
   */
  private async missed(tabId: number, url: string): Promise<SeenChallenge | undefined> {
    if (!this.deps.probe || (await this.deps.challenges.observed(tabId, url))) return undefined;
    let header: string | undefined;
    try {
      header = await this.deps.probe(stripFragment(url));
    } catch (e) {
      this.log(`could not fetch the terms of ${url}: ${(e as Error).message}`);
    }
    if (!header) {
      await this.deps.challenges.saw(tabId, url);
      return undefined;
    }
    this.log(`tab ${tabId} reported a 402 the worker missed; fetched its terms`);
    await this.deps.challenges.put(tabId, url, header);
    return this.deps.challenges.get(tabId, url);
  }

  private async act(tabId: number, seen: SeenChallenge, broker: boolean, confirmed: boolean, allow?: BudgetAllow): Promise<PageVerdict> {
    const challenge = this.step.read(seen, tabId);
    if ('refuse' in challenge) {
      await this.deps.challenges.forget(tabId);
      return { action: 'refuse', broker, message: challenge.refuse };
    }
    // A navigation is a GET: what a link's MAC binds.
    const next = await this.step.next(challenge, { onBrokerPage: broker, confirmed, method: 'GET', ...(allow ? { allow } : {}) });
    if (next.kind === 'verdict') return next.verdict;
    return this.send(tabId, next.payment, broker, next.resent);
  }

  /**
   * Sends a recorded payment. In a header: rule first, then the book entry, then the navigation.
   * In a body: watched for on the network, then handed to the content script to POST.
   */
  private async send(tabId: number, payment: PaymentRecord, broker: boolean, resent: boolean): Promise<PageVerdict> {
    await this.step.sent(payment);
    if (payment.body) {
      this.watch.expect({
        paymentId: payment.id,
        tabId,
        url: payment.url,
        header: payment.header,
        body: payment.body.text,
        via: 'navigation',
      });
      await this.deps.challenges.forget(tabId);
      return { action: 'post', broker, price: payment.price, resent, contentType: payment.body.contentType, body: payment.body.text };
    }
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
    return { action: 'paying', broker, price: payment.price, resent };
  }

  /**
   * True for an event about a response older than the tab's retry: events queued while the worker
   * was starting can arrive after the page reported, and are no answer to the payment.
   */
  private async olderThanRetry(tabId: number, url: string, at: number): Promise<boolean> {
    const retry = await this.deps.retries.get(tabId);
    if (!retry || at >= retry.startedAt) return false;
    this.log(`tab ${tabId}: an event about ${stripFragment(url)} older than its retry is ignored`);
    return true;
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
    await this.step.settle(retry.paymentId, outcome);
    if (outcome.kind === 'paid') await this.paid(tabId, retry.paymentId);
    return outcome;
  }

  /** A payment of the tab's navigation was taken: the next page of the tab shows its receipt. */
  private async paid(tabId: number, paymentId: string): Promise<void> {
    await this.deps.receipts?.paid(tabId, paymentId, 'navigation');
  }
}
