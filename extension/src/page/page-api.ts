/**
 * The page API for embedded paid content (the thesis's technique 2, docs/protocol.md 9.3): a page
 * asks the wallet the price of a URL of its own origin and asks it to pay for it; the reader sees
 * and approves as usual (the threshold, the prompt); the page gets the paid response and a
 * `micromint-paid` event.
 *
 *     const price = await micromint.price('/articles/map.html'); // { url, mills: 8 } | { url, none }
 *     const { paid, response } = await micromint.pay('/articles/map.html');
 *     window.addEventListener('micromint-paid', (e) => console.log(e.detail.url, e.detail.mills));
 *
 * Both ask about the page's own requests, which the worker sees on the network: `price` makes a
 * HEAD of the URL and the worker reads its 402; `pay` makes a GET through the paying fetch. A URL
 * of another origin is refused (`TypeError`) before anything is sent.
 * @module
 */
import type { PagePrice } from '../messages.ts';
import type { PaidResponse, payingFetch } from './fetch-wrapper.ts';
import type { WalletChannel } from './wallet-channel.ts';

/** What `micromint.pay` resolves with: the response (paid, or as the site answered), and the payment. */
export interface PayResult {
  paid: boolean;
  url: string;
  /** The money paid, in mills (1 coin = 1 mill), when `paid`. */
  mills?: number;
  response: Response;
}

/** The `window.micromint` object. */
export interface MicromintApi {
  readonly version: 1;
  price(url: string | URL): Promise<PagePrice>;
  pay(url: string | URL): Promise<PayResult>;
}

/** The page's own URL for `url`, or a TypeError for another origin (or not a URL). */
function ownUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url), document.baseURI);
  } catch {
    throw new TypeError(`micromint: ${String(url).slice(0, 200)} is not a URL`);
  }
  if (u.origin !== window.location.origin)
    throw new TypeError(`micromint: only URLs of ${window.location.origin} can be priced or paid here`);
  u.hash = '';
  return u.href;
}

/**
 * Defines `window.micromint`.
 * @example
 * installPageApi(channel, paying, window.fetch.bind(window));
 */
export function installPageApi(channel: WalletChannel, paying: ReturnType<typeof payingFetch>, original: typeof fetch): void {
  const api: MicromintApi = Object.freeze({
    version: 1 as const,
    async price(url: string | URL): Promise<PagePrice> {
      const target = ownUrl(url);
      const head = await original(target, { method: 'HEAD', credentials: 'same-origin', cache: 'no-store' });
      if (head.status !== 402) return { url: target, none: head.ok ? 'no payment asked' : `the site answered ${head.status}` };
      return (await channel.price(target)) ?? { url: target, none: 'the wallet did not answer' };
    },
    async pay(url: string | URL): Promise<PayResult> {
      const target = ownUrl(url);
      const { response, paid }: PaidResponse = await paying(target, { credentials: 'same-origin', cache: 'no-store' }, 'api');
      return paid ? { paid: true, url: target, mills: paid.mills, response } : { paid: false, url: target, response };
    },
  });
  Object.defineProperty(window, 'micromint', { value: api, configurable: true, enumerable: false, writable: true });
}
