/**
 * The account page's "API tokens" card: make a token for a script or an agent (named, with an optional
 * spending limit), see once the secret of the token just made, and revoke tokens.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { TokenRecord } from '../../db/tokens.ts';
import { MAX_TOKENS_PER_USER } from '../../core/tokens.ts';
import { html, when, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { csrfField, notice } from './layout.ts';

/** What the card shows. */
export interface TokensData {
  /** The user's tokens, newest first. */
  tokens: readonly TokenRecord[];
  /** The token made by this very request: its secret is shown this once. */
  created?: { name: string; secret: string };
}

const limitText = (t: TokenRecord): string =>
  t.limitMills === null
    ? `${formatMoney(t.spentMills)} spent, no limit`
    : `${formatMoney(t.spentMills)} of ${formatMoney(t.limitMills)} spent`;

function createdBox(created: NonNullable<TokensData['created']>): Html {
  return html`<div class="notice ok" id="new-token-box" role="status">
    <p>Your new token <strong>${created.name}</strong>. Copy it now: it is shown only this once, and the broker keeps only a hash of it.</p>
    <p><code id="new-token" class="mono" style="user-select:all;word-break:break-all">${created.secret}</code></p>
    <p class="muted">Use it as <code>Authorization: Bearer &lt;token&gt;</code>, or with <code>micromint-wallet login</code>.</p>
  </div>`;
}

function tokensTable(v: Visitor, tokens: readonly TokenRecord[]): Html {
  if (!tokens.length) return html`<p class="muted">No API tokens yet.</p>`;
  return html`<table id="api-tokens"><thead><tr><th>Name</th><th>Token</th><th>Created</th><th>Last used</th><th class="r">Spending</th><th></th></tr></thead>
  <tbody>${tokens.map(
    (t) => html`<tr data-token-id="${t.id}" data-limit-mills="${t.limitMills ?? ''}" data-spent-mills="${t.spentMills}">
    <td>${t.name}</td><td class="mono">${t.id}</td><td>${when(t.createdAt)}</td><td>${t.lastUsedAt ? when(t.lastUsedAt) : 'never'}</td>
    <td class="r">${limitText(t)}</td>
    <td class="r"><form class="token-revoke" method="post" action="/account/tokens/delete">
      ${csrfField(v)}<input type="hidden" name="tokenId" value="${t.id}">
      <button class="secondary" type="submit">Revoke</button>
    </form></td></tr>`,
  )}</tbody></table>`;
}

/** The card. */
export function tokensCard(v: Visitor, d: TokensData): Html {
  const full = d.tokens.length >= MAX_TOKENS_PER_USER;
  return html`<section class="card" id="tokens">
  <h2>API tokens</h2>
  <p class="muted">A script or an AI agent (the <code>micromint-wallet</code> command, <code>@micromint/client</code>) pays from your balance
  with a token: it can see your balance and history, buy superbin sets and connect its own wallet key for PayWord chains. Give it a spending
  limit to cap what it can spend (sets it buys and chains its wallet opens); revoking a token also disconnects the wallet keys it connected.</p>
  ${d.created ? createdBox(d.created) : ''}
  ${
    full
      ? notice('info', `You have ${MAX_TOKENS_PER_USER} tokens, the most an account can hold: revoke one to make another.`)
      : html`<form class="stack" method="post" action="/account/tokens" id="token-form">
    ${csrfField(v)}
    <label>Name (where it is used) <input name="name" required maxlength="100" placeholder="laptop script"></label>
    <label>Spending limit in US dollars (empty: no limit)
      <input name="limit" inputmode="decimal" pattern="\\$?[0-9]{1,7}(\\.[0-9]{1,3})?" placeholder="5.00"></label>
    <button type="submit">Create token</button>
  </form>`
  }
  <h2 style="margin-top:1rem">Your tokens</h2>
  ${tokensTable(v, d.tokens)}
</section>`;
}
