/**
 * The HTML page of a 402: what a person sees when the wallet is missing or declined to pay.
 * @module
 */
import type { Request } from 'express';
import { formatPrice } from '@micromint/shared';

/** Everything a paywall page may show. */
export interface PaywallInfo {
  /** Absolute URL of the paid resource. */
  url: string;
  /** Page title: the resource's description, or its path. */
  title: string;
  description?: string;
  /** Price in coins (mills: 1 coin = 1 mill). */
  price: number;
  /** The price as people read it, by `formatMoney`: `0.2¢` for 2 coins, `$1.00` for 1000. */
  money: string;
  /** @deprecated The same text as {@link PaywallInfo.money}. */
  dollars: string;
  vendorId: string;
  /** The broker's base URL, where the wallet and coins are had. */
  broker: string;
  /** The broker's wallet page (`<broker>/wallet`): what the wallet does, its download and how to install it. */
  walletUrl: string;
  /** The host of the paid URL (`shop.example`, `127.0.0.1:4001`), for the way back to the site's front page. */
  host: string;
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

/** The broker's wallet page, where the "Get the MicroMint wallet" link leads. */
export const walletPageUrl = (broker: string): string => `${broker.replace(/\/+$/, '')}/wallet`;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page's style. The wallet hooks need no script: the pay button shows, and the get-wallet link
 * hides, only when the wallet extension has marked the document (`<html data-micromint-wallet>`).
 */
const STYLE = `
  body { font: 17px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; background: #f4f1ea; margin: 0; }
  main { max-width: 34rem; margin: 8vh auto 2rem; background: #fff; padding: 2.2rem 2.4rem; border-radius: 14px; box-shadow: 0 6px 30px rgba(0,0,0,.08); }
  h1 { font-size: 1.45rem; margin: 0 0 .3rem; }
  .mm-kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .75rem; color: #8a6d3b; margin: 0 0 .8rem; }
  .mm-price { font-size: 2rem; font-weight: 700; margin: 1.1rem 0 .2rem; }
  .mm-price small { font-size: 1rem; font-weight: 400; color: #5b6473; }
  .mm-error { background: #fdecea; color: #8a1f11; padding: .7rem .9rem; border-radius: 8px; }
  .mm-button { display: inline-block; background: #1f5f8b; color: #fff; text-decoration: none; padding: .65rem 1.1rem; border: 0; border-radius: 8px; font: inherit; font-weight: 600; cursor: pointer; }
  .mm-pay, .mm-has-wallet { display: none; }
  html[data-micromint-wallet] .mm-pay { display: inline-block; }
  html[data-micromint-wallet] .mm-has-wallet { display: block; }
  html[data-micromint-wallet] .mm-get-wallet, html[data-micromint-wallet] .mm-no-wallet { display: none; }
  .mm-fine { color: #5b6473; font-size: .9rem; }
  .mm-back { display: block; max-width: 34rem; margin: 0 auto 8vh; padding: 0 2.4rem; color: #1f5f8b; }
`;

/**
 * The default paywall: title, price in coins and money, a link to the broker's wallet page (or, with
 * the wallet installed, a button to pay), a way back to the site's front page, and the
 * Request-Payment message in a `<script type="application/x-micromint">` for wallets
 * (docs/protocol.md section 9, The paywall page).
 * @example
 * app.use(micromint({ ...options, paywall: (info, req) => defaultPaywall(info).replace('</main>', '<p>Thanks!</p></main>') }));
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
<style>${STYLE}</style>
</head>
<body>
<main>
  <p class="mm-kicker">Payment required</p>
  <h1>${e(info.title)}</h1>
  ${info.description && info.description !== info.title ? `<p>${e(info.description)}</p>` : ''}
  <p class="mm-price" data-price="${info.price}">${coins} <small>(${e(info.money)})</small></p>
  <p>This page is paid for with MicroMint coins: 1 coin is a tenth of a US cent.${
    info.schemes.includes('payword') ? ' A reader who comes back often may pay it from a PayWord chain instead, at the same price.' : ''
  }</p>
  ${refused}
  <p class="mm-no-wallet">With the MicroMint wallet extension installed, this page is paid automatically and opens by itself
  (the wallet asks you first when a price is above your limit).</p>
  <p class="mm-has-wallet">Your MicroMint wallet is installed. If it does not open this page by itself, the price is above
  your limit for paying without asking, or you said no: pay with the button.</p>
  <p><a class="mm-button mm-get-wallet" href="${e(info.walletUrl)}">Get the MicroMint wallet</a><button type="button" class="mm-button mm-pay" data-micromint-pay data-price="${info.price}">Pay ${e(formatPrice(info.price))}</button></p>
  <p class="mm-fine">Sold by ${e(info.vendorId)}. Coins from ${e(info.broker)}.
  <br><span class="mm-url">${e(info.url)}</span></p>
</main>
<a class="mm-back" href="/">← Back to ${e(info.host)}</a>
${message}
</body>
</html>
`;
}
