/**
 * Wraps the page's `fetch` so a 402 with a PAYMENT-REQUIRED header can be paid, for a request to
 * the page's own origin or to another (the vendor's CORS must expose PAYMENT-REQUIRED, as the
 * middleware's does). It asks the wallet through the channel; on "pay" it repeats the request with
 * the PAYMENT-SIGNATURE the worker made (or, for a payment too large for a header, POSTs the
 * payment body the worker made to the same URL) and returns that response instead. Anything else
 * returns the original 402 untouched.
 * @module
 */
import { paidReceipt, type PaidDetail, type WalletChannel } from './wallet-channel.ts';

const CHALLENGE_HEADER = 'PAYMENT-REQUIRED';
const PAYMENT_HEADER = 'PAYMENT-SIGNATURE';
const RECEIPT_HEADER = 'PAYMENT-RESPONSE';

/** A response, and the payment that bought it, if the wallet paid. */
export interface PaidResponse {
  response: Response;
  /** Set when the wallet paid for this response (the vendor's receipt says it took the payment). */
  paid?: PaidDetail;
}

/**
 * True for the URLs the wallet may be asked about: http and https.
 * @example
 * isWebUrl('https://shop.example/a'); // true; isWebUrl('blob:...') is false
 */
export const isWebUrl = (url: string): boolean => /^https?:/i.test(url);

/**
 * A fetch that pays 402s through `channel` and says whether it paid (the page API uses it; the
 * page's own `fetch` is this without the detail).
 * @example
 * const paidFetch = payingFetch(window.fetch.bind(window), channel);
 * const { response, paid } = await paidFetch('/api/quote', undefined, 'api');
 */
export function payingFetch(
  original: typeof fetch,
  channel: WalletChannel,
): (input: RequestInfo | URL, init?: RequestInit, via?: PaidDetail['via']) => Promise<PaidResponse> {
  return async (input, init, via = 'fetch') => {
    const request = new Request(input, init);
    // Keep an unread copy: the body of the first attempt is consumed.
    const spare = request.clone();
    const response = await original(request);
    if (response.status !== 402 || !response.headers.has(CHALLENGE_HEADER) || !isWebUrl(response.url || request.url)) return { response };
    const url = response.url || request.url;
    // A payment too large for a header replaces the request's body: only a GET or HEAD has none to lose.
    const pay = await channel.pay(url);
    if (!pay || (pay.body !== undefined && spare.method !== 'GET' && spare.method !== 'HEAD')) return { response };
    const headers = new Headers(spare.headers);
    let paidResponse: Response;
    if (pay.body !== undefined) {
      headers.set('Content-Type', pay.contentType ?? 'application/x-micromint');
      paidResponse = await original(spare.url, {
        method: 'POST',
        headers,
        body: pay.body,
        credentials: spare.credentials,
        mode: spare.mode,
        cache: 'no-store',
        signal: spare.signal,
      });
    } else {
      headers.set(PAYMENT_HEADER, pay.header);
      paidResponse = await original(new Request(spare, { headers }));
    }
    if (!paidReceipt(paidResponse.headers.get(RECEIPT_HEADER))) return { response: paidResponse };
    const paid: PaidDetail = { url, mills: pay.price, via };
    channel.paid(paid);
    return { response: paidResponse, paid };
  };
}

/**
 * Replaces `window.fetch` with the paying one.
 * @example
 * wrapFetch(channel);
 */
export function wrapFetch(channel: WalletChannel): ReturnType<typeof payingFetch> {
  const paying = payingFetch(window.fetch.bind(window), channel);
  window.fetch = async function micromintFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    return (await paying(input, init)).response;
  };
  return paying;
}
