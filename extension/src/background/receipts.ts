/**
 * Reading the vendor's answer to a paid retry, and remembering which navigation is a retry.
 * @module
 */
import { readPaymentAnswer, type PaymentAnswer } from '@micromint/shared';
import { stripFragment } from './challenges.ts';
import type { KeyValueArea } from './storage-area.ts';

/** A response header as webRequest reports it. */
export interface HeaderLike {
  name: string;
  value?: string;
}

/** `T` without its receipt text, variant by variant. */
type WithoutReceipt<T> = T extends unknown ? Omit<T, 'receipt'> : never;

/**
 * What the vendor's answer means for the payment: `readPaymentAnswer`'s answer without the
 * receipt text (the wallet keeps none). `refused` and `released` name coins
 * (`extensions.micromint`); a `released` payment's other coins stay spent, and a chain's range
 * stays used (a revealed link cannot be taken back); `unsettled` stays pending and is resent
 * later; `payword` is the `extensions.payword` entry when there was one. The payment's scheme
 * settles it (its `SchemeHandler.settle`).
 */
export type RetryOutcome = WithoutReceipt<PaymentAnswer>;

/** The value of header `name` (case-insensitive). */
export const headerValue = (headers: readonly HeaderLike[] | undefined, name: string): string | undefined =>
  headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

/**
 * Classifies the response to a request that carried a payment, by the rules of `readPaymentAnswer`
 * (`@micromint/shared`, docs/protocol.md 9.1): paid on a successful receipt whatever the status,
 * released on `no_payment_required` / `not_served`, refused on a failed receipt, a 402 or a 400,
 * else unsettled (the payment stays pending and is resent, byte for byte, if the URL answers 402
 * again). The wallet keeps no receipt text.
 * @example
 * classifyRetryResponse(200, [{ name: 'payment-response', value: header }]); // { kind: 'paid', ... }
 */
export function classifyRetryResponse(statusCode: number, headers: readonly HeaderLike[] | undefined): RetryOutcome {
  const answer = readPaymentAnswer(statusCode, (name) => headerValue(headers, name));
  if (answer.kind === 'unsettled' || !('receipt' in answer)) return answer;
  const { receipt: _receipt, ...outcome } = answer;
  return outcome;
}

/** A retry in flight: the navigation that carries a payment header. */
export interface AwaitedRetry {
  tabId: number;
  url: string;
  paymentId: string;
  /** The declarativeNetRequest session rule that adds the header. */
  ruleId: number;
  /** When the retry was started (ms): an event about an older response is not its answer. */
  startedAt: number;
  /**
   * The webRequest id of the 402 this retry answers, when the retry was made on that 402's headers:
   * that request's own failure (its page cut short as the retry starts) is no answer to the payment.
   */
  challengeRequestId?: string;
}

/**
 * One retry per tab at a time (a tab shows one page); mirrored to `storage.session`. The running
 * worker remembers a tab it knows has none, so the question asked on every main-frame response
 * costs no read.
 */
export class RetryBook {
  /** A tab's retry, or null once the book knows it has none. */
  private readonly memory = new Map<number, AwaitedRetry | null>();

  constructor(private readonly area: KeyValueArea) {}

  private static key = (tabId: number) => `retry:${tabId}`;

  /** Records a retry before its navigation starts. */
  expect(r: AwaitedRetry): Promise<void> {
    this.memory.set(r.tabId, r);
    return this.area.set({ [RetryBook.key(r.tabId)]: r });
  }

  /** The tab's retry, if any. */
  async get(tabId: number): Promise<AwaitedRetry | undefined> {
    const hit = this.memory.get(tabId);
    if (hit !== undefined) return hit ?? undefined;
    const stored = (await this.area.get(RetryBook.key(tabId)))[RetryBook.key(tabId)] as AwaitedRetry | undefined;
    // Unless a retry was recorded meanwhile.
    if (!this.memory.has(tabId)) this.memory.set(tabId, stored ?? null);
    return this.memory.get(tabId) ?? undefined;
  }

  /** Takes the tab's retry out of the book. */
  async take(tabId: number): Promise<AwaitedRetry | undefined> {
    const r = await this.get(tabId);
    this.memory.set(tabId, null);
    await this.area.remove(RetryBook.key(tabId));
    return r;
  }

  /** The tab is gone and its retry taken: the book forgets the tab altogether. */
  forgetTab(tabId: number): void {
    this.memory.delete(tabId);
  }

  /** True when `r` is the retry of `url`. */
  static matches(r: AwaitedRetry, url: string): boolean {
    return r.url === stripFragment(url);
  }
}
