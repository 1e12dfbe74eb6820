/**
 * Reading the vendor's answer to a paid retry, and remembering which navigation is a retry.
 * @module
 */
import {
  decodePaymentRequired,
  decodeSettlementResponse,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  paywordAnswer,
  type PaywordAnswer,
  type SettlementResponse,
} from '@micromint/shared';
import type { CoinRefusal } from '../wallet/index.ts';
import { releasedCoins, refusedCoins, stripFragment } from './challenges.ts';
import type { KeyValueArea } from './storage-area.ts';

/** A response header as webRequest reports it. */
export interface HeaderLike {
  name: string;
  value?: string;
}

/**
 * What the vendor's answer means for the payment. Each scheme's own part of the answer comes
 * checked: `refused` and `released` name coins (`extensions.micromint`), `payword` is the
 * `extensions.payword` entry when there was one. The payment's scheme settles it (its
 * `SchemeHandler.settle`).
 */
export type RetryOutcome =
  | { kind: 'paid'; transaction?: string; payword?: PaywordAnswer }
  | { kind: 'refused'; error: string; refused: CoinRefusal[]; payword?: PaywordAnswer }
  /**
   * The vendor served the request without taking the payment (the URL became free, or its handler
   * failed) and hands back the coins listed in `released`: those go back to unspent, the others
   * of the payment stay spent (a chain's range stays used: a revealed link cannot be taken back).
   */
  | { kind: 'released'; reason: ReleaseReason; released: string[]; payword?: PaywordAnswer }
  /** No verdict (a server error, no receipt): the payment stays pending and is resent later. */
  | { kind: 'unsettled'; why: string };

/** `errorReason`s of a PAYMENT-RESPONSE by which a vendor says it kept nothing. */
export const RELEASE_REASONS = ['no_payment_required', 'not_served'] as const;
/** Why a vendor gave a payment back. */
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

const isReleaseReason = (r: unknown): r is ReleaseReason => (RELEASE_REASONS as readonly unknown[]).includes(r);

/** `{ payword }` when the extensions carry a payword entry, else nothing (so coin answers keep their shape). */
const withPayword = (extensions: unknown): { payword?: PaywordAnswer } => {
  const pw = paywordAnswer(extensions);
  return pw ? { payword: pw } : {};
};

/** The value of header `name` (case-insensitive). */
export const headerValue = (headers: readonly HeaderLike[] | undefined, name: string): string | undefined =>
  headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

/**
 * Classifies the response to a request that carried a payment.
 * - PAYMENT-RESPONSE `success: true`, whatever the status: paid. The vendor sets the receipt only
 *   once the coins are recorded, before the site's own handler runs, and that handler may still
 *   answer 400, 404, 500 or a redirect: the coins are the vendor's all the same.
 * - PAYMENT-RESPONSE `success: false` with `errorReason` `no_payment_required` or `not_served`,
 *   whatever the status: released, the coins in `extensions.<scheme>.released` come back.
 * - 402: refused, with the reason and the refused coins from PAYMENT-REQUIRED.
 * - 400 without a receipt: the vendor could not read the payment and consumed nothing: refused.
 * - anything else, or 2xx without a receipt: unsettled. A vendor that predates released coins may
 *   have recorded them and then served the page from elsewhere: the coins stay spent and the
 *   payment pending (it is resent, byte for byte, if the URL ever answers 402 again).
 * @example
 * classifyRetryResponse(200, [{ name: 'payment-response', value: header }]); // { kind: 'paid', ... }
 */
export function classifyRetryResponse(statusCode: number, headers: readonly HeaderLike[] | undefined): RetryOutcome {
  const receiptHeader = headerValue(headers, PAYMENT_RESPONSE_HEADER);
  let receipt: SettlementResponse | undefined;
  try {
    receipt = receiptHeader ? decodeSettlementResponse(receiptHeader) : undefined;
  } catch {
    receipt = undefined;
  }
  if (receipt?.success) return { kind: 'paid', transaction: receipt.transaction, ...withPayword(receipt.extensions) };
  if (receipt && isReleaseReason(receipt.errorReason))
    return {
      kind: 'released',
      reason: receipt.errorReason,
      released: releasedCoins(receipt.extensions),
      ...withPayword(receipt.extensions),
    };
  if (statusCode >= 200 && statusCode < 300) {
    if (!receiptHeader) return { kind: 'unsettled', why: `HTTP ${statusCode} without ${PAYMENT_RESPONSE_HEADER}` };
    if (!receipt) return { kind: 'unsettled', why: `unreadable ${PAYMENT_RESPONSE_HEADER}` };
    return {
      kind: 'refused',
      error: receipt.errorReason ?? 'refused',
      refused: refusedCoins(receipt.extensions),
      ...withPayword(receipt.extensions),
    };
  }
  if (statusCode === 402) {
    try {
      const r = decodePaymentRequired(headerValue(headers, PAYMENT_REQUIRED_HEADER));
      return { kind: 'refused', error: r.error ?? 'payment-required', refused: refusedCoins(r.extensions), ...withPayword(r.extensions) };
    } catch {
      return { kind: 'refused', error: 'payment-required', refused: [] };
    }
  }
  if (statusCode === 400) return { kind: 'refused', error: 'invalid_payment_header', refused: [] };
  return { kind: 'unsettled', why: `HTTP ${statusCode}` };
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
