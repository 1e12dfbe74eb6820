/**
 * The HTML page of a 402: what a person sees when the wallet is missing or declined to pay.
 * @module
 */
import type { Request } from 'express';

/** Everything a paywall page may show. */
export interface PaywallInfo {
  /** Absolute URL of the paid resource. */
  url: string;
  /** Page title: the resource's description, or its path. */
  title: string;
  description?: string;
  /** Price in coins. */
  price: number;
  /** Price in US dollars, e.g. `$0.002` (1 coin = 1 mill = $0.001). */
  dollars: string;
  vendorId: string;
  /** The broker's base URL, where the wallet and coins are had. */
  broker: string;
  /** The schemes offered, in the site's order (`micromint`, `payword`). */
  schemes: string[];
  /** The MicroMint epoch asked for, when coins are offered. */
  epoch?: string;
  /** Why an attempted payment was refused (a reason code), if one was. */
  error?: string;
  /** A sentence for `error`. */
  errorText?: string;
  /** The Request-Payment message (MicroMint-1.0) for wallets that read the page. */
  requestPayment?: string;
}

/** Renders the HTML body of a 402 (the `paywall` option). */
export type PaywallRenderer = (info: PaywallInfo, req: Request) => string;

/** Price of `coins` in US dollars: 1 coin = 1 mill = $0.001. */
export const coinsToDollars = (coins: number): string => `$${(coins / 1000).toFixed(3)}`;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The default paywall: title, price in coins and dollars, a link to get the wallet at the broker,
 * and the Request-Payment message in a `<script type="application/x-micromint">` for wallets.
 */
export function defaultPaywall(info: PaywallInfo): string {
  const e = escapeHtml;
  const coins = info.price === 1 ? '1 coin' : `${info.price} coins`;
  const refused = info.error
    ? `<p class="mm-error" role="alert"><strong>Your payment was not accepted</strong> (${e(info.error)})${
        info.errorText ? `: ${e(info.errorText)}` : ''
      }. Nothing was charged.</p>`
    : '';
  const message =
    info.requestPayment && !/<\/script/i.test(info.requestPayment)
      ? `<script type="application/x-micromint" class="micromint-request-payment">${info.requestPayment}</script>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Payment required: ${e(info.title)}</title>
<style>
  body { font: 17px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; background: #f4f1ea; margin: 0; }
  main { max-width: 34rem; margin: 8vh auto; background: #fff; padding: 2.2rem 2.4rem; border-radius: 14px; box-shadow: 0 6px 30px rgba(0,0,0,.08); }
  h1 { font-size: 1.45rem; margin: 0 0 .3rem; }
  .mm-kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .75rem; color: #8a6d3b; margin: 0 0 .8rem; }
  .mm-price { font-size: 2rem; font-weight: 700; margin: 1.1rem 0 .2rem; }
  .mm-price small { font-size: 1rem; font-weight: 400; color: #5b6473; }
  .mm-error { background: #fdecea; color: #8a1f11; padding: .7rem .9rem; border-radius: 8px; }
  a.mm-button { display: inline-block; background: #1f5f8b; color: #fff; text-decoration: none; padding: .65rem 1.1rem; border-radius: 8px; font-weight: 600; }
  .mm-fine { color: #5b6473; font-size: .9rem; }
</style>
</head>
<body>
<main>
  <p class="mm-kicker">Payment required</p>
  <h1>${e(info.title)}</h1>
  ${info.description && info.description !== info.title ? `<p>${e(info.description)}</p>` : ''}
  <p class="mm-price" data-price="${info.price}">${coins} <small>(${e(info.dollars)})</small></p>
  <p>This page is paid for with MicroMint coins: 1 coin is one tenth of a US cent.${
    info.schemes.includes('payword') ? ' A reader who comes back often may pay it from a PayWord chain instead, at the same price.' : ''
  }</p>
  ${refused}
  <p>With the MicroMint wallet extension installed, this page is paid automatically and opens by itself
  (the wallet asks you first when a price is above your limit).</p>
  <p><a class="mm-button" href="${e(info.broker)}">Get the MicroMint wallet</a></p>
  <p class="mm-fine">Sold by ${e(info.vendorId)}. Coins from ${e(info.broker)}${info.epoch ? `, epoch ${e(info.epoch)}` : ''}.
  <br><span class="mm-url">${e(info.url)}</span></p>
</main>
${message}
</body>
</html>
`;
}
