/**
 * The account page: balance, add funds, buy sets, purchases, the wallet and its PayWord chains, ledger,
 * returns and complaints.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { LedgerEntry, UserRecord } from '../../db/accounts.ts';
import type { ChainRecord } from '../../db/chains.ts';
import type { ComplaintRecord } from '../../db/complaints.ts';
import type { EpochRecord } from '../../db/epochs.ts';
import type { WithdrawalRecord } from '../../db/sets.ts';
import type { VendorRecord } from '../../db/vendors.ts';
import type { FundingProvider } from '../../core/funding.ts';
import type { ReturnWindow } from '../../core/timeline.ts';
import { html, num, when, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { chainsCard } from './chains.ts';
import { csrfField, notice } from './layout.ts';
import { returnsSchedule } from './returns.ts';
import { tokensCard, type TokensData } from './tokens.ts';
import { walletCard } from './wallet.ts';

/** Everything the account page shows. */
export interface AccountData {
  user: UserRecord;
  /** The broker's public URL (for the wallet's data block). */
  broker: string;
  balanceMills: number;
  epoch: EpochRecord | undefined;
  providers: readonly FundingProvider[];
  withdrawals: WithdrawalRecord[];
  ledger: LedgerEntry[];
  complaints: ComplaintRecord[];
  vendors: VendorRecord[];
  /** Coins bought, redeemed by vendors, returned for credit. */
  coins: { bought: number; spent: number; returned: number };
  maxSets: number;
  maxDepositMills: number;
  /** When the coins of each epoch the user bought in can be returned. */
  returns: ReturnWindow[];
  /** Wallet keys connected to the account, base64. */
  walletKeys: string[];
  /** The user's PayWord chains, newest first. */
  chains: ChainRecord[];
  /** The time the page is shown at (a chain is open or expired). */
  now: Date;
  /** The user's API tokens (tokens.ts). */
  tokens: TokensData;
}

const LEDGER_KIND: Record<LedgerEntry['kind'], string> = {
  deposit: 'Funds added',
  purchase: 'Sets bought',
  'return-credit': 'Coins returned',
  redemption: 'Redemption',
  'chain-hold': 'Chain opened (held)',
  'chain-release': 'Chain released',
  clearing: 'Chains cleared',
};

function coinsBar(c: AccountData['coins']): Html {
  const unspent = Math.max(0, c.bought - c.spent - c.returned);
  const total = Math.max(1, c.bought);
  const pct = (n: number) => `${((n / total) * 100).toFixed(2)}%`;
  return html`
  <div class="bar" role="img" aria-label="${num(unspent)} coins not yet spent, ${num(c.spent)} spent, ${num(c.returned)} returned">
    <span class="unspent" style="width:${pct(unspent)}"></span><span class="spent" style="width:${pct(c.spent)}"></span><span class="returned" style="width:${pct(c.returned)}"></span>
  </div>
  <div class="legend">
    <span><i class="unspent"></i>${num(unspent)} in your wallet or not yet redeemed</span>
    <span><i class="spent"></i>${num(c.spent)} spent at sites</span>
    <span><i class="returned"></i>${num(c.returned)} returned for credit</span>
  </div>`;
}

function returnsCard(v: Visitor, windows: readonly ReturnWindow[]): Html {
  if (!windows.length) return html`<p class="muted">You hold no coins to return.</p>`;
  const open = windows.filter((w) => w.open);
  return html`<p class="muted">Your wallet sends back the coins it has not spent, and your balance is credited ${formatMoney(1)} for each.
    Returned coins can no longer be spent. Returns open only after an epoch's coins have expired and the sites you paid
    have had their time to redeem them, so that a coin you spent is never refunded.</p>
    ${returnsSchedule(windows)}
    ${
      open.length
        ? html`<form method="post" action="/account/return">
      ${csrfField(v)}
      <button class="secondary" type="submit">Return unspent coins of epoch ${open.map((w) => w.epoch).join(', ')}</button>
    </form>`
        : ''
    }`;
}

/** The body of the account page. */
/** One funding provider is shown as text with a hidden field; several are a choice of radio buttons. */
function providerChoice(providers: readonly FundingProvider[]): Html {
  const [only] = providers;
  if (providers.length === 1 && only)
    return html`<input type="hidden" name="provider" value="${only.id}">
      <p class="muted" id="funding-provider">Paid through <span class="${only.id === 'sandbox' ? 'sandbox' : ''}">${only.label}</span>${
        only.description ? html`: ${only.description}` : ''
      }</p>`;
  return html`${providers.map(
    (p, i) => html`<label style="display:flex;gap:.5rem;align-items:center;color:var(--ink)">
        <input type="radio" name="provider" value="${p.id}" ${i === 0 ? html`checked` : ''}>
        <span class="${p.id === 'sandbox' ? 'sandbox' : ''}">${p.label}</span></label>
        ${p.description ? html`<span class="muted">${p.description}</span>` : ''}`,
  )}`;
}

export function accountView(v: Visitor, d: AccountData, o: { ok?: string; error?: string } = {}): Html {
  const e = d.epoch;
  const perSet = e ? Math.round(e.filledSlots / 2 ** e.params.u) : 0;
  const maxAffordable = perSet > 0 ? Math.min(d.maxSets, Math.floor(d.balanceMills / perSet)) : 0;
  return html`
<h1>Your account</h1>
${o.ok ? notice('ok', o.ok) : ''}${o.error ? notice('bad', o.error) : ''}
<div class="hero">
  <section class="card" id="balance-card">
    <div class="muted">Balance</div>
    <div class="balance" id="balance" data-mills="${d.balanceMills}">${formatMoney(d.balanceMills)}
      <small id="balance-coins">${num(d.balanceMills)} coins at ${formatMoney(1)} each</small></div>
    <h2 style="margin-top:1.2rem">Coins you bought: ${num(d.coins.bought)}</h2>
    ${coinsBar(d.coins)}
    <p class="muted">User ID <code id="user-id">${d.user.id}</code></p>
  </section>
  <section class="card">
    <h2>Add funds</h2>
    <form class="stack" method="post" action="/account/funds" id="funds-form">
      ${csrfField(v)}
      ${providerChoice(d.providers)}
      <label>Amount in US dollars (up to ${formatMoney(d.maxDepositMills)})
        <input name="amount" inputmode="decimal" required pattern="\\$?[0-9]{1,7}(\\.[0-9]{1,3})?" value="5.00"></label>
      <button type="submit">Add funds</button>
    </form>
  </section>
</div>

<section class="card" id="buy">
  <h2>Buy superbin sets</h2>
  ${
    e
      ? html`<p>A set of epoch <strong>${e.params.id}</strong> holds about <strong>${num(perSet)} coins</strong> and costs
    exactly its number of coins: about <strong>${formatMoney(perSet)}</strong> per set.
    Your balance covers about <strong>${num(maxAffordable)}</strong> set(s).</p>
    <form class="inline" method="post" action="/account/buy" id="buy-form">
      ${csrfField(v)}
      <label>Sets <input type="number" name="count" min="1" max="${d.maxSets}" value="1" required></label>
      <button type="submit">Buy and send to my wallet</button>
    </form>`
      : html`<p class="muted">No epoch is on sale right now.</p>`
  }
</section>

<section class="card" id="purchases">
  <h2>Purchases</h2>
  ${
    d.withdrawals.length
      ? html`<table>
    <thead><tr><th>Date</th><th>Purchase</th><th>Epoch</th><th class="r">Sets</th><th class="r">Coins</th><th class="r">Price</th><th></th></tr></thead>
    <tbody>${d.withdrawals.map(
      (w) => html`<tr data-withdrawal-id="${w.id}"><td>${when(w.createdAt)}</td><td class="mono">${w.id}</td><td>${w.epoch}</td>
      <td class="r">${w.setIds.length}</td><td class="r">${num(w.coins)}</td><td class="r">${formatMoney(w.priceMills)}</td>
      <td><a href="/withdrawals/${w.id}">Send to wallet again</a> · <a href="/withdrawals/${w.id}.mm" download>.mm file</a></td></tr>`,
    )}</tbody></table>`
      : html`<p class="muted">No purchases yet.</p>`
  }
</section>

${walletCard(v, { broker: d.broker, userId: d.user.id, walletKeys: d.walletKeys })}

${chainsCard(d.chains, d.now)}

${tokensCard(v, d.tokens)}

<div class="grid">
  <section class="card" id="return">
    <h2>Return unspent coins</h2>
    ${returnsCard(v, d.returns)}
  </section>
  <section class="card" id="complaints">
    <h2>Complain about a site</h2>
    <p class="muted">MicroMint has no refunds: tell the broker. When enough of a site's paying customers complain, it can no longer redeem coins.</p>
    ${
      d.vendors.length
        ? html`<form class="stack" method="post" action="/account/complaints" id="complaint-form">
      ${csrfField(v)}
      <label>Site <select name="vendorId" required>${d.vendors.map((x) => html`<option value="${x.id}">${x.name} (${x.id})</option>`)}</select></label>
      <label>What went wrong <textarea name="text" required maxlength="2000"></textarea></label>
      <button type="submit">Send complaint</button>
    </form>`
        : html`<p class="muted">No sites are registered yet.</p>`
    }
    ${
      d.complaints.length
        ? html`<h2 style="margin-top:1rem">Your complaints</h2><table><tbody>${d.complaints.map(
            (c) =>
              html`<tr><td>${when(c.createdAt)}</td><td class="mono">${c.vendorId}</td><td style="white-space:pre-line">${c.text}</td></tr>`,
          )}</tbody></table>`
        : ''
    }
  </section>
</div>

<section class="card" id="ledger">
  <h2>Account history</h2>
  ${
    d.ledger.length
      ? html`<table><thead><tr><th>Date</th><th>What</th><th>Details</th><th class="r">Amount</th></tr></thead><tbody>${d.ledger.map(
          (l) => html`<tr><td>${when(l.createdAt)}</td><td>${LEDGER_KIND[l.kind]}</td><td>${l.memo}</td>
        <td class="r ${l.amountMills > 0 ? 'pos' : 'neg'}">${l.amountMills > 0 ? '+' : ''}${formatMoney(l.amountMills)}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">Nothing yet.</p>`
  }
</section>`;
}
