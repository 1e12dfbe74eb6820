/**
 * Watching the network for payments that travel on requests the worker does not make itself: a
 * page's fetch() repeated with the PAYMENT-SIGNATURE the worker handed out, and payments too large
 * for a header, POSTed as a body by the page's fetch() or by the content script of a paid page.
 *
 * Neither the page nor the content script is trusted with the outcome: the request that carries a
 * handed-out payment is recognised on the network (its header value in `onSendHeaders`, or its
 * exact body in `onBeforeRequest`), and the vendor's answer to that request, in
 * `onHeadersReceived`, settles the payment.
 * @module
 */
import { PAYMENT_SIGNATURE_HEADER } from '@micromint/shared';
import { stripFragment } from './challenges.ts';
import type { PaidVia } from './page-receipts.ts';
import type { PaymentStep } from './pay-step.ts';
import { classifyRetryResponse, headerValue, type HeaderLike, type RetryOutcome } from './receipts.ts';

/** How long a handed-out payment waits for its request to be sent. */
export const HANDOUT_TTL_MS = 5 * 60 * 1000;

/** A payment handed to a tab, waiting for the request that carries it. */
export interface Handout {
  paymentId: string;
  tabId: number;
  /** The paid URL (no fragment). */
  url: string;
  /** The PAYMENT-SIGNATURE value, when the payment travels in the header. */
  header: string;
  /** The exact POST body, when the payment travels in the body instead. */
  body?: string;
  /** Who sends it: the content script of a paid page (`navigation`, then the page loads again) or the page's fetch(). */
  via: PaidVia;
  at: number;
}

/** Called once a watched payment was settled as paid (for the page's receipt). */
export type OnPaid = (h: Handout) => Promise<void>;

/** A request body as webRequest reports it (`details.requestBody`). */
export interface RequestBodyLike {
  raw?: { bytes?: ArrayBuffer }[];
}

/** The text of a raw request body, or undefined when it is not all bytes (a form, a file). */
export function bodyText(body: RequestBodyLike | undefined): string | undefined {
  if (!body?.raw?.length || body.raw.some((part) => !part.bytes)) return undefined;
  const decoder = new TextDecoder();
  return body.raw.map((part, i) => decoder.decode(part.bytes, { stream: i < body.raw!.length - 1 })).join('');
}

/** The watch. One per worker, shared by both flows; its state lives as long as the worker. */
export class PaymentWatch {
  private readonly handouts = new Map<string, Handout>();
  private readonly inflight = new Map<string, Handout>();

  constructor(
    private readonly step: PaymentStep,
    private readonly now: () => number = Date.now,
    private readonly onPaid: OnPaid = async () => undefined,
  ) {}

  /** Hands out a payment: the next request of the tab carrying it settles it. */
  expect(h: Omit<Handout, 'at'>): void {
    const at = this.now();
    for (const [id, old] of this.handouts) if (at - old.at > HANDOUT_TTL_MS) this.handouts.delete(id);
    this.handouts.set(h.paymentId, { ...h, url: stripFragment(h.url), at });
  }

  /** webRequest.onBeforeRequest (xmlhttprequest, with requestBody): a POST carrying a handed-out body. */
  onBeforeRequest(requestId: string, tabId: number, method: string, url: string, body: RequestBodyLike | undefined): void {
    if (method.toUpperCase() !== 'POST') return;
    let text: string | undefined;
    for (const h of this.handouts.values()) {
      if (h.body === undefined || h.tabId !== tabId || h.url !== stripFragment(url)) continue;
      text ??= bodyText(body) ?? '';
      if (text === h.body) return this.fly(requestId, h);
    }
  }

  /** webRequest.onSendHeaders (xmlhttprequest): a request carrying a handed-out header. */
  onSendHeaders(requestId: string, tabId: number, headers: readonly HeaderLike[] | undefined): void {
    const value = headerValue(headers, PAYMENT_SIGNATURE_HEADER);
    if (!value) return;
    for (const h of this.handouts.values())
      if (h.body === undefined && h.tabId === tabId && h.header === value) return this.fly(requestId, h);
  }

  /** webRequest.onHeadersReceived (xmlhttprequest): the vendor's answer to a watched request settles it. */
  async onResponse(requestId: string, statusCode: number, headers: readonly HeaderLike[] | undefined): Promise<RetryOutcome | undefined> {
    const paid = this.inflight.get(requestId);
    if (!paid) return undefined;
    this.inflight.delete(requestId);
    const outcome = classifyRetryResponse(statusCode, headers);
    await this.step.settle(paid.paymentId, outcome);
    if (outcome.kind === 'paid') await this.onPaid(paid);
    return outcome;
  }

  /** webRequest.onErrorOccurred (xmlhttprequest): no answer; the payment stays pending, to be resent. */
  onError(requestId: string): void {
    this.inflight.delete(requestId);
  }

  private fly(requestId: string, h: Handout): void {
    this.inflight.set(requestId, h);
    this.handouts.delete(h.paymentId);
  }
}
