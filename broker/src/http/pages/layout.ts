/**
 * The page frame: header with navigation, the stylesheet, the footer.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { FAVICON_PATH } from '../favicon.ts';
import { Html, html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { CSS } from '../style.ts';

/** A hidden CSRF field for a form. */
export const csrfField = (v: Visitor): Html => html`<input type="hidden" name="_csrf" value="${v.csrf}">`;

/** A notice box; `kind` ok | bad | info. */
export const notice = (kind: 'ok' | 'bad' | 'info', text: unknown): Html =>
  html`<div class="notice ${kind}" role="${kind === 'bad' ? 'alert' : 'status'}">${text}</div>`;

/** A whole page. */
export function page(title: string, v: Visitor, body: Html): string {
  const user = v.session?.user;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · MicroMint Broker</title>
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
<style>${new Html(CSS)}</style>
</head>
<body>
<header class="top"><div class="wrap">
  <a class="brand" href="/">Micro<span>Mint</span> Broker</a>
  <nav>
    <a href="/">Home</a>
    <a href="/wallet">Get the wallet</a>
    <a href="/vendors">Vendors</a>
    ${
      user
        ? html`<a href="/account">Account</a>
    <span class="muted">${user.email}</span>
    <form method="post" action="/logout">${csrfField(v)}<button class="link" type="submit">Log out</button></form>`
        : html`<a href="/login">Log in</a> <a class="button" href="/signup">Sign up</a>`
    }
  </nav>
</div></header>
<main class="wrap">
${body}
</main>
<footer>MicroMint after Rivest &amp; Shamir (1996). 1 coin = ${formatMoney(1)}.</footer>
</body>
</html>`.value;
}
