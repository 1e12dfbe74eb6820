/**
 * Paid pages inside iframes, paid like top-level pages under the same rules (threshold, prompt,
 * budgets, the vendor being the frame's own origin), with what differs for a frame:
 *
 * 1. `onSubFrameResponse` sees a 402 with PAYMENT-REQUIRED for a frame (webRequest `sub_frame`)
 *    and remembers it for that frame (frame-records.ts);
 * 2. the frame's own content script reports (`page-loaded` from that frame, its URL checked by the
 *    router); the shared step (pay-step.ts) reads the terms and decides; a prompt shows in the
 *    frame, and only that frame's reader decision pays that frame's URL;
 * 3. to pay, a DNR rule adds PAYMENT-SIGNATURE to the `sub_frame` request of that URL in that tab,
 *    and the worker tells the frame's content script to load its URL again (the worker cannot
 *    navigate a frame itself); a payment too large for a header is POSTed by the frame as for a page;
 * 4. the answer to the reload (`onSubFrameResponse` again) settles the payment, and the receipt
 *    shows in the tab's top page.
 *
 * Silent frame payments are limited per tab (`FRAME_AUTOPAY_PER_MINUTE`): a page cannot embed a
 * wall of cheap paid frames and have them all paid without a question.
 * @module
 */
import { PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER } from '@micromint/shared';
import type { PageVerdict } from '../messages.ts';
import type { BudgetAllow, PaymentRecord, WalletDb } from '../wallet/index.ts';
import { AutopayLimit } from './autopay-limit.ts';
import { stripFragment, type SeenChallenge } from './challenges.ts';
import type { FrameRecords } from './frame-records.ts';
import { KeyedQueue } from './keyed-queue.ts';
import type { PageReceipts } from './page-receipts.ts';
import { PaymentStep } from './pay-step.ts';
import type { ChallengeProbe } from './payment-flow.ts';
import type { PaymentWatch } from './payment-watch.ts';
import { classifyRetryResponse, headerValue, type HeaderLike, type RetryOutcome } from './receipts.ts';
import type { Retrier } from './retrier.ts';
import type { SchemeRegistry } from './schemes/registry.ts';
import { brokerOrigin, type SettingsStore } from './settings.ts';

/** Silent payments of paid frames allowed per tab per minute; more than that asks the reader. */
export const FRAME_AUTOPAY_PER_MINUTE = 10;

/** Tells the content script of frame `frameId` of tab `tabId` to load `url` again. */
export type ReloadFrame = (tabId: number, frameId: number, url: string) => Promise<void>;

/** What the frame flow needs; the background entry wires the browser's, tests wire fakes. */
export interface FrameFlowDeps {
  db: WalletDb;
  settings: SettingsStore;
  schemes: SchemeRegistry;
  records: FrameRecords;
  retrier: Retrier;
  reload: ReloadFrame;
  /** Where payments POSTed as a body are recognised on the network (shared with the other flows). */
  watch: PaymentWatch;
  /** Reads the terms of a frame's 402 the worker missed; without it such a frame is left alone. */
  probe?: ChallengeProbe;
  /** Receipts: a paid frame's shows in the tab's top page. */
  receipts?: PageReceipts;
  now?: () => number;
  log?: (message: string) => void;
}

/** The paid-frame flow. One instance per worker. */
export class FrameFlow {
  private readonly queue = new KeyedQueue<string>();
  private readonly step: PaymentStep;
  private readonly autopays: AutopayLimit<number>;
  private readonly log: (message: string) => void;

  constructor(private readonly deps: FrameFlowDeps) {
    this.step = new PaymentStep(deps);
    this.autopays = new AutopayLimit(FRAME_AUTOPAY_PER_MINUTE, deps.now);
    this.log = deps.log ?? (() => undefined);
  }

  private run<T>(tabId: number, frameId: number, task: () => Promise<T>): Promise<T> {
    return this.queue.run(`${tabId}:${frameId}`, task);
  }

  /**
   * A sub-frame response arrived: settle the frame's paid reload, remember its challenge (or that
   * it has none). An ordinary frame (no 402, no receipt, nothing known of it) is left alone: frames
   * are many, and most never ask for money.
   */
  async onSubFrameResponse(
    tabId: number,
    frameId: number,
    url: string,
    statusCode: number,
    headers: readonly HeaderLike[] | undefined,
  ): Promise<RetryOutcome | undefined> {
    const challenge = statusCode === 402 ? headerValue(headers, PAYMENT_REQUIRED_HEADER) : undefined;
    if (!challenge && !headerValue(headers, PAYMENT_RESPONSE_HEADER) && !this.deps.records.knows(tabId, frameId)) return undefined;
    return this.run(tabId, frameId, async () => {
      const outcome = await this.settleRetry(tabId, frameId, url, () => classifyRetryResponse(statusCode, headers));
      await this.deps.records.saw(tabId, frameId, url, challenge);
      return outcome;
    });
  }

  /** A sub-frame request failed: a paid reload in flight stays pending. */
  async onSubFrameError(tabId: number, frameId: number, url: string, error: string): Promise<void> {
    if (!this.deps.records.knows(tabId, frameId)) return;
    return this.run(tabId, frameId, async () => {
      await this.settleRetry(tabId, frameId, url, () => ({ kind: 'unsettled', why: error }));
    });
  }

  /**
   * Frame `frameId` of tab `tabId` loaded `url` (HTTP `status` when the frame knows it): act on
   * its challenge, if it has one.
   * @example
   * const verdict = await frames.pageLoaded(sender.tab.id, sender.frameId, message.body.url, 402);
   */
  async pageLoaded(tabId: number, frameId: number, url: string, status?: number): Promise<PageVerdict> {
    // A frame whose document is not a 402 has nothing to pay (the document is the response).
    if (status !== undefined && status !== 402) return { action: 'none', broker: false };
    return this.run(tabId, frameId, async () => {
      const broker = await this.isBroker(url);
      const seen =
        (await this.deps.records.challenge(tabId, frameId, url)) ?? (status === 402 ? await this.missed(tabId, frameId, url) : undefined);
      if (!seen) return { action: 'none', broker };
      return this.act(tabId, frameId, seen, broker, false);
    });
  }

  /** The reader said yes, in the frame (the prompt's pay, or the frame's paywall button). */
  confirm(tabId: number, frameId: number, url: string, allow?: BudgetAllow): Promise<PageVerdict> {
    return this.run(tabId, frameId, async () => {
      const broker = await this.isBroker(url);
      const seen = await this.deps.records.challenge(tabId, frameId, url);
      if (!seen) return { action: 'refuse', broker, message: 'This payment request has expired. Reload the page to see it again.' };
      return this.act(tabId, frameId, seen, broker, true, allow);
    });
  }

  /** The tab is gone: forget its frames (the tab's rules go with the navigation flow's cleanup). */
  tabClosed(tabId: number): Promise<void> {
    return this.deps.records.clear(tabId);
  }

  private async isBroker(url: string): Promise<boolean> {
    try {
      return new URL(url).origin === brokerOrigin(await this.deps.settings.get());
    } catch {
      return false;
    }
  }

  /** A frame reports a 402 whose response the worker missed: fetch its terms once. */
  private async missed(tabId: number, frameId: number, url: string): Promise<SeenChallenge | undefined> {
    if (!this.deps.probe || (await this.deps.records.observed(tabId, frameId, url))) return undefined;
    let header: string | undefined;
    try {
      header = await this.deps.probe(stripFragment(url));
    } catch (e) {
      this.log(`could not fetch the terms of ${url}: ${(e as Error).message}`);
    }
    await this.deps.records.saw(tabId, frameId, url, header);
    return header ? this.deps.records.challenge(tabId, frameId, url) : undefined;
  }

  private async act(
    tabId: number,
    frameId: number,
    seen: SeenChallenge,
    broker: boolean,
    confirmed: boolean,
    allow?: BudgetAllow,
  ): Promise<PageVerdict> {
    const challenge = this.step.read(seen, tabId);
    if ('refuse' in challenge) {
      await this.deps.records.forget(tabId, frameId);
      return { action: 'refuse', broker, message: challenge.refuse };
    }
    const next = await this.step.next(challenge, {
      onBrokerPage: broker,
      confirmed,
      autopayAllowed: this.autopays.allows(tabId),
      method: 'GET',
      ...(allow ? { allow } : {}),
    });
    if (next.kind === 'verdict') return next.verdict;
    if (next.silent) this.autopays.spent(tabId);
    return this.send(tabId, frameId, next.payment, broker, next.resent);
  }

  /** Sends a recorded payment: a rule and the frame's reload, or the body for the frame to POST. */
  private async send(tabId: number, frameId: number, payment: PaymentRecord, broker: boolean, resent: boolean): Promise<PageVerdict> {
    await this.step.sent(payment);
    await this.deps.records.forget(tabId, frameId);
    if (payment.body) {
      // The receipt goes to the top page at once ('fetch'): the frame reloads itself after the POST.
      this.deps.watch.expect({
        paymentId: payment.id,
        tabId,
        url: payment.url,
        header: payment.header,
        body: payment.body.text,
        via: 'fetch',
      });
      return { action: 'post', broker, price: payment.price, resent, contentType: payment.body.contentType, body: payment.body.text };
    }
    const ruleId = await this.deps.retrier.install(tabId, payment.url, payment.header, 'sub_frame');
    await this.deps.records.expect(tabId, frameId, { url: payment.url, paymentId: payment.id, ruleId, startedAt: Date.now() });
    try {
      await this.deps.reload(tabId, frameId, payment.url);
    } catch (e) {
      // The frame is gone: the payment stays pending and goes out again on the next 402 of the URL.
      await this.deps.records.take(tabId, frameId);
      await this.deps.retrier.release(ruleId);
      this.log(`could not load ${payment.url} again in frame ${frameId}: ${(e as Error).message}`);
    }
    return { action: 'paying', broker, price: payment.price, resent };
  }

  /** If a paid reload is in flight in the frame, removes its rule and applies the outcome. */
  private async settleRetry(tabId: number, frameId: number, url: string, classify: () => RetryOutcome): Promise<RetryOutcome | undefined> {
    const retry = await this.deps.records.take(tabId, frameId);
    if (!retry) return undefined;
    await this.deps.retrier.release(retry.ruleId);
    if (retry.url !== stripFragment(url)) {
      this.log(`frame ${frameId} of tab ${tabId} left ${retry.url} for ${stripFragment(url)}; payment ${retry.paymentId} stays pending`);
      return undefined;
    }
    const outcome = classify();
    await this.step.settle(retry.paymentId, outcome);
    if (outcome.kind === 'paid') await this.deps.receipts?.paid(tabId, retry.paymentId, 'fetch');
    return outcome;
  }
}
