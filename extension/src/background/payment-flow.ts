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
 * With `payOnHeaders` (the worker's entry) step 2 does not wait for the page: the worker acts as it
 * sees the 402's headers, and reloads the tab as soon as the 402's document is committed (a
 * reload started earlier would cancel the 402's own navigation); a verdict waits for the page's
 * report ({@link HeadStarts}).
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
import { HeadStarts, type HeadStart } from './head-start.ts';
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
  /**
   * Act on a 402 when its headers are seen, not when its page reports: pay (or decide to ask) at
   * once, and reload the tab when the 402's document is committed ({@link PaymentFlow.onMainFrameCommitted})
   * or its page reports, whichever comes first. Off: the page's report starts it all.
   */
  payOnHeaders?: boolean;
  log?: (message: string) => void;
}

/** The 402 a payment is made on the headers of: when they came (its commit is later), and its request (whose failure is not the retry's). */
interface Headers402 {
  respondedAt: number;
  requestId?: string;
}

/** The navigation payment flow. One instance per worker. */
export class PaymentFlow {
  private readonly queue = new KeyedQueue<number>();
  private readonly log: (message: string) => void;
  private readonly step: PaymentStep;
  private readonly watch: PaymentWatch;
  private readonly heads = new HeadStarts();

  constructor(private readonly deps: FlowDeps) {
    this.log = deps.log ?? (() => undefined);
    this.step = new PaymentStep(deps);
    this.watch = deps.watch ?? new PaymentWatch(this.step, Date.now, (h) => this.paid(h.tabId, h.paymentId));
  }

  /**
   * A main-frame response arrived in a tab (`at`: when, from webRequest's `timeStamp`; `requestId`,
   * webRequest's): settle a retry in flight, and remember the tab's challenge, or that it has none.
   * With `payOnHeaders`, a challenge is acted on at once, if it is for the tab's own page
   * (`ownPage`: webRequest's frame 0, not a page prerendered for it, which waits for its report).
   */
  onMainFrameResponse(
    tabId: number,
    url: string,
    statusCode: number,
    headers: readonly HeaderLike[] | undefined,
    at = Date.now(),
    requestId?: string,
    ownPage = true,
  ): Promise<RetryOutcome | undefined> {
    return this.queue.run(tabId, async () => {
      if (await this.olderThanRetry(tabId, url, at)) return undefined;
      this.heads.drop(tabId);
      const outcome = await this.settleRetry(tabId, url, () => classifyRetryResponse(statusCode, headers));
      const challenge = statusCode === 402 ? headerValue(headers, PAYMENT_REQUIRED_HEADER) : undefined;
      // The challenge is in memory at once; its copy in storage.session is written meanwhile.
      const stored = challenge ? this.deps.challenges.put(tabId, url, challenge) : this.deps.challenges.saw(tabId, url);
      try {
        if (challenge && ownPage && this.deps.payOnHeaders)
          await this.onHeaders(tabId, url, { respondedAt: at, ...(requestId ? { requestId } : {}) });
      } finally {
        await stored;
      }
      return outcome;
    });
  }

  /**
   * A main-frame request failed (network error, aborted): a retry in flight stays pending. The
   * failure of the 402 a retry was made for (`requestId`) is not the retry's: its page was cut short.
   */
  onMainFrameError(tabId: number, url: string, error: string, at = Date.now(), requestId?: string): Promise<void> {
    return this.queue.run(tabId, async () => {
      if (await this.olderThanRetry(tabId, url, at)) return;
      const retry = await this.deps.retries.get(tabId);
      if (requestId !== undefined && retry?.challengeRequestId === requestId) {
        // Failed before its page came (the reader stopped it): the tab is not loaded again on its own.
        this.heads.cancelReload(tabId);
        return;
      }
      await this.settleRetry(tabId, url, () => ({ kind: 'unsettled', why: error }));
    });
  }

  /**
   * A main-frame document of a tab was committed (webNavigation's `onCommitted`, `at` its
   * `timeStamp`): a payment made on the headers of that 402 goes out now.
   */
  onMainFrameCommitted(tabId: number, url: string, at = Date.now()): Promise<void> {
    const started = this.heads.committed(tabId, url, at);
    return this.queue.run(tabId, () => started);
  }

  /** The tab is gone: forget what it showed and remove its rules. */
  tabClosed(tabId: number): Promise<void> {
    return this.queue.run(tabId, async () => {
      await this.deps.challenges.clear(tabId);
      await this.deps.retries.take(tabId);
      this.deps.retries.forgetTab(tabId);
      await this.deps.retrier.releaseTab(tabId);
      await this.deps.receipts?.clear(tabId);
      this.heads.clear(tabId);
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
      const head = await this.heads.take(tabId, url);
      if (head) return this.fromHead(tabId, head);
      const broker = await this.isBroker(url);
      const seen = (await this.deps.challenges.get(tabId, url)) ?? (status === 402 ? await this.missed(tabId, url) : undefined);
      if (!seen) {
        // A 402 page reporting late (its retry answered already) is not the paid page.
        const receipt = status === 402 ? undefined : await this.deps.receipts?.take(tabId, url);
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

  /**
   * The 402's headers are in (`payOnHeaders`): decide now, and pay if that needs no question. A
   * challenge that cannot be paid is left to the page's report, which says why.
   */
  private async onHeaders(tabId: number, url: string, on402: Headers402): Promise<void> {
    const seen = await this.deps.challenges.get(tabId, url);
    if (!seen) return;
    const challenge = this.step.read(seen, tabId);
    if ('refuse' in challenge) return;
    const broker = await this.isBroker(url);
    const next = await this.step.next(challenge, { onBrokerPage: broker, confirmed: false, method: 'GET' });
    if (next.kind === 'verdict') await this.heads.keep(tabId, { url: seen.url, respondedAt: on402.respondedAt, verdict: next.verdict });
    else await this.send(tabId, next.payment, broker, next.resent, on402);
  }

  /** The 402's page reports, and the worker acted on its headers already. */
  private async fromHead(tabId: number, head: HeadStart): Promise<PageVerdict> {
    // A payment in a body is the page's to POST: its challenge was kept until now, should the worker have restarted.
    if (head.verdict.action === 'post') await this.deps.challenges.forget(tabId);
    return head.verdict;
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
   * Sends a recorded payment. In a header: rule first, then the book entry (its storage copy
   * awaited after), then the navigation (for a payment made on a 402's headers, `on402`, once that
   * 402's document is committed).
   * In a body: watched for on the network, then handed to the content script to POST.
   */
  private async send(tabId: number, payment: PaymentRecord, broker: boolean, resent: boolean, on402?: Headers402): Promise<PageVerdict> {
    if (payment.body) {
      await this.step.sent(payment);
      this.watch.expect({
        paymentId: payment.id,
        tabId,
        url: payment.url,
        header: payment.header,
        body: payment.body.text,
        via: 'navigation',
      });
      const post: PageVerdict = {
        action: 'post',
        broker,
        price: payment.price,
        resent,
        contentType: payment.body.contentType,
        body: payment.body.text,
      };
      if (on402) await this.heads.keep(tabId, { url: payment.url, respondedAt: on402.respondedAt, verdict: post });
      else await this.deps.challenges.forget(tabId);
      return post;
    }
    // The payment is recorded already. Its attempt is counted meanwhile: that transaction begins
    // now, before the retry can be answered, so its settling comes after it all the same.
    const counted = this.step.sent(payment);
    counted.catch(() => undefined); // awaited below; observed here should the rule fail first
    const ruleId = await this.deps.retrier.install(tabId, payment.url, payment.header);
    const retry = {
      tabId,
      url: payment.url,
      paymentId: payment.id,
      ruleId,
      // Made on a 402's headers, the retry answers everything the tab did after that 402.
      startedAt: on402?.respondedAt ?? Date.now(),
      ...(on402?.requestId ? { challengeRequestId: on402.requestId } : {}),
    };
    // The challenge is used up at once in memory; its copy in storage.session follows. The retry is
    // in the book at once too (the running worker answers it from memory); its storage.session
    // copy, for a worker that restarts, is asked for before the navigation and awaited after it.
    const forgotten = this.deps.challenges.forget(tabId);
    forgotten.catch(() => undefined);
    const booked = this.deps.retries
      .expect(retry)
      .catch((e: unknown) => this.log(`the retry of ${payment.url} is not in storage.session: ${(e as Error).message}`));
    const paying: PageVerdict = { action: 'paying', broker, price: payment.price, resent };
    const reload = () => this.reload(tabId, payment.url, ruleId);
    if (on402) await this.heads.keep(tabId, { url: payment.url, respondedAt: on402.respondedAt, verdict: paying, reload });
    else await reload();
    await Promise.all([counted, forgotten, booked]);
    return paying;
  }

  /** Loads the paid URL again in the tab: the request the rule adds the payment to. */
  private async reload(tabId: number, url: string, ruleId: number): Promise<void> {
    try {
      await this.deps.retrier.navigate(tabId, url);
    } catch (e) {
      // The tab is gone: the payment stays pending and goes out again on the next 402 of the URL.
      await this.deps.retries.take(tabId);
      await this.deps.retrier.release(ruleId);
      this.log(`could not load ${url} again: ${(e as Error).message}`);
    }
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
