/**
 * The MAIN world's side of the window-message channel to the content script (and through it the
 * wallet), shared by the fetch and XHR wrappers and the page API: it waits for the content script
 * to announce itself, asks one question per message id, and gives up after a while (the wallet,
 * and the reader when it asks them, may take minutes). Self-contained: no extension APIs exist in
 * this world.
 * @module
 */
import type { PagePrice } from '../messages.ts';
import { CONTENT_CHANNEL, PAGE_CHANNEL, PAID_EVENT, type ContentToPage, type PageToContent } from './bridge-protocol.ts';

/** How long to wait for the content script to announce itself. */
const READY_TIMEOUT_MS = 10_000;
/** How long to wait for the wallet (and the user, when it asks). */
const ANSWER_TIMEOUT_MS = 5 * 60_000;

/** The wallet's "pay" answer: the header to repeat the request with, or the body to POST instead. */
export type PayAnswer = Extract<Extract<ContentToPage, { kind: 'verdict' }>['verdict'], { action: 'pay' }>;

/** How a request of the page was paid, for the {@link PAID_EVENT} (`via`: what made it). */
export interface PaidDetail {
  url: string;
  mills: number;
  via: 'fetch' | 'xhr' | 'api';
}

/** The channel. */
export interface WalletChannel {
  /** Asks the wallet to pay the 402 the page's request of `url` got; undefined: do not pay (answer the page the 402). */
  pay(url: string): Promise<PayAnswer | undefined>;
  /** Asks the wallet the price of the 402 the page's own HEAD of `url` got. */
  price(url: string): Promise<PagePrice | undefined>;
  /** Tells the page a request was paid (the {@link PAID_EVENT} on `window`). */
  paid(detail: PaidDetail): void;
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);

/**
 * True when a PAYMENT-RESPONSE value says the payment was taken.
 * @example
 * paidReceipt(response.headers.get('PAYMENT-RESPONSE')); // true after a paid request
 */
export function paidReceipt(value: string | null): boolean {
  if (!value) return false;
  try {
    return (JSON.parse(atob(value)) as { success?: unknown }).success === true;
  } catch {
    return false;
  }
}

/**
 * Opens the channel (once per document: the MAIN-world script's entry does it).
 * @example
 * const channel = openWalletChannel();
 * const pay = await channel.pay(response.url);
 */
export function openWalletChannel(): WalletChannel {
  const waiting = new Map<string, (m: ContentToPage) => void>();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  window.addEventListener('message', (event: MessageEvent<ContentToPage>) => {
    if (event.source !== window || event.data?.channel !== CONTENT_CHANNEL) return;
    if (event.data.kind === 'ready') markReady();
    else if (typeof event.data.id === 'string') waiting.get(event.data.id)?.(event.data);
  });
  const post = (m: PageToContent) => window.postMessage(m, window.location.origin);
  post({ channel: PAGE_CHANNEL, kind: 'hello' });

  async function ask(kind: 'fetch-402' | 'price', url: string): Promise<ContentToPage | undefined> {
    if (
      !(await within(
        ready.then(() => true),
        READY_TIMEOUT_MS,
      ))
    )
      return undefined;
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const answer = new Promise<ContentToPage>((resolve) => waiting.set(id, resolve));
    post({ channel: PAGE_CHANNEL, kind, id, url });
    const reply = await within(answer, ANSWER_TIMEOUT_MS);
    waiting.delete(id);
    return reply;
  }

  return {
    async pay(url) {
      const reply = await ask('fetch-402', url).catch(() => undefined);
      return reply?.kind === 'verdict' && reply.verdict.action === 'pay' ? reply.verdict : undefined;
    },
    async price(url) {
      const reply = await ask('price', url).catch(() => undefined);
      return reply?.kind === 'price' ? reply.price : undefined;
    },
    paid(detail) {
      window.dispatchEvent(new CustomEvent(PAID_EVENT, { detail: Object.freeze({ ...detail }) }));
    },
  };
}
