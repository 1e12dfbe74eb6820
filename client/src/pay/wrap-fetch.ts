/**
 * `wrapFetch`: a `fetch` that answers a 402 by paying it from the wallet (MicroMint coins or
 * PayWord links, whichever the site offers and the wallet holds, by the extension's rule) and
 * sends the request again once. What was paid is `paymentOf(response)`; a 402 the wallet will not
 * pay (over a cap, no funds, not payable) comes back to the caller unpaid, with the reason there.
 * @module
 */
import { MICROMINT_MIME, PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER } from '@micromint/shared';
import { WalletError } from '../errors.ts';
import { checkCaps, validateCaps, type Caps } from '../wallet/caps.ts';
import { markSent, paymentById, type PaymentRecord } from '../wallet/payments.ts';
import type { Wallet } from '../wallet/wallet.ts';
import { classifyAnswer } from './answer.ts';
import { catalogPrice, schemeCosts } from './catalog.ts';
import { CatalogCache } from './catalog-cache.ts';
import { readChallenge } from './challenge.ts';
import { declinedInfo, infoOf, paymentOf, tagResponse } from './payment-info.ts';
import { abandonPayment, preparePayment, settlePayment, type Prepared } from './payer.ts';

/** The fetch `wrapFetch` wraps and returns. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of {@link wrapFetch}. */
export interface WrapFetchOptions {
  /** The wallet that pays (see `openWallet`). */
  wallet: Wallet;
  /** Spending caps in mills (default: the wallet's, from its config over `DEFAULT_CAPS`). */
  caps?: Caps;
  /** The clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /**
   * Read each vendor's price catalog (`/.well-known/micromint`, kept a minute) before a request: a
   * request the catalog prices over a cap is not sent at all, and the fetch rejects with
   * `CapExceededError` (default false: every 402 is checked against the caps either way).
   */
  catalog?: boolean;
}

/** The URL without its fragment: what a payment is for. */
export const stripFragment = (url: string): string => {
  const u = new URL(url);
  u.hash = '';
  return u.href;
};

/** The request that carries `payment`: the header on a copy of the request, or (too large for one) a POST of its body. */
function paidRequest(base: Request, payment: PaymentRecord): Request {
  const headers = new Headers(base.headers);
  if (payment.body) {
    headers.delete(PAYMENT_SIGNATURE_HEADER);
    headers.set('content-type', MICROMINT_MIME);
    return new Request(base.url, { method: 'POST', headers, body: payment.body.text, redirect: 'manual', signal: base.signal });
  }
  headers.set(PAYMENT_SIGNATURE_HEADER, payment.header);
  return new Request(base, { headers, redirect: 'manual' });
}

/**
 * Sends the payment (counted as sent before it leaves) and applies the answer; a vendor that did
 * not know the chain gets the same payment once more with it. Also used by `resendPending`.
 */
export async function sendPaid(wallet: Wallet, fetchFn: Fetch, base: Request, prepared: Prepared, now: () => number): Promise<Response> {
  let payment = prepared.payment;
  for (let round = 0; ; round++) {
    markSent(wallet.db, payment.id, now());
    let res: Response;
    try {
      res = await fetchFn(paidRequest(round === 0 ? base : base.clone(), payment));
    } catch (e) {
      abandonPayment(wallet, payment);
      throw e;
    }
    const outcome = classifyAnswer(res.status, res.headers);
    const settled = settlePayment(wallet, payment, outcome, now());
    if (settled.settled === 'resend' && round === 0) {
      payment = paymentById(wallet.db, payment.id)!;
      continue;
    }
    return tagResponse(res, infoOf(settled.payment, prepared.resent, outcome.kind === 'pending' ? outcome.why : undefined));
  }
}

/** Refuses, before it is sent, a request the vendor's catalog prices over a cap (at its cheapest scheme). */
async function preflight(wallet: Wallet, catalogs: CatalogCache, url: URL, caps: Caps, now: number): Promise<void> {
  const catalog = await catalogs.get(url.origin);
  const said = catalog ? catalogPrice(catalog, url) : undefined;
  if (!catalog || said?.kind !== 'priced' || said.priceMills === 0) return;
  const mills = Math.min(said.priceMills, ...schemeCosts(catalog, said.priceMills).map((c) => c.mills));
  checkCaps(wallet.db, caps, { host: url.host, mills, now });
}

/** Follows a redirect the paid answer gave (GET and HEAD only), carrying the payment's info to the final response. */
async function follow(fetchFn: Fetch, original: Request, res: Response): Promise<Response> {
  const location = res.headers.get('location');
  if (original.redirect !== 'follow' || !location || ![301, 302, 303, 307, 308].includes(res.status)) return res;
  if (original.method !== 'GET' && original.method !== 'HEAD') return res;
  const headers = new Headers(original.headers);
  headers.delete(PAYMENT_SIGNATURE_HEADER);
  return fetchFn(new URL(location, original.url).href, { method: original.method, headers, signal: original.signal });
}

/**
 * Wraps `fetchFn` so that a 402 is paid from `options.wallet` and the request sent again once.
 * Nothing is ever paid twice: coins and links are marked spent, and the payment stored exactly as
 * it goes, in one transaction before the request leaves; an answer that never came leaves the
 * payment pending, and the next 402 of that URL sends the same bytes again.
 *
 * The returned fetch never throws for a wallet decision: a 402 it does not pay is returned as it
 * came, and `paymentOf(response).error` says why (`CapExceededError` for a cap).
 * @example
 * const wallet = openWallet(defaultWalletDir());
 * const paidFetch = wrapFetch(fetch, { wallet, caps: { perRequest: 10 } });
 * const res = await paidFetch('http://127.0.0.1:4001/api/quote');
 * console.log(await res.json(), paymentOf(res));
 */
export function wrapFetch(fetchFn: Fetch, options: WrapFetchOptions): Fetch {
  if (typeof fetchFn !== 'function') throw new TypeError('fetch must be a function');
  if (typeof options !== 'object' || options === null || typeof options.wallet?.db !== 'object')
    throw new TypeError('options.wallet must be an open wallet');
  const caps = options.caps ? validateCaps(options.caps) : undefined;
  const now = options.now ?? Date.now;
  const { wallet } = options;
  const catalogs = options.catalog ? new CatalogCache(fetchFn, now) : undefined;
  return async (input, init) => {
    const request = new Request(input, init);
    if (catalogs) await preflight(wallet, catalogs, new URL(request.url), caps ?? wallet.caps, now());
    const again = request.clone();
    const first = await fetchFn(request);
    if (first.status !== 402) return first;
    const url = stripFragment(first.url || request.url);
    let prepared: Prepared;
    try {
      const challenge = readChallenge(first.headers.get(PAYMENT_REQUIRED_HEADER), new URL(url));
      prepared = await preparePayment(wallet, challenge, { url, method: request.method.toUpperCase() }, caps ?? wallet.caps, now());
    } catch (e) {
      if (e instanceof WalletError) return tagResponse(first, declinedInfo(url, e));
      throw e;
    }
    await first.body?.cancel().catch(() => undefined);
    const res = await sendPaid(wallet, fetchFn, again, prepared, now);
    const info = paymentOf(res);
    const final = await follow(fetchFn, request, res);
    return final === res || !info ? res : tagResponse(final, info);
  };
}
