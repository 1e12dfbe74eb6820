/**
 * Vendor pages: registration (API key shown once), the list of sites, and the API-key dashboard.
 * @module
 */
import type { ClearingRecord } from '../../db/chains.ts';
import type { RejectedCoinRecord } from '../../db/refusals.ts';
import type { DoubleSpendRecord, RedeemedCoinRecord, VendorRecord } from '../../db/vendors.ts';
import type { ComplaintState } from '../../core/complaints.ts';
import { KEPT_PER_BATCH, KEPT_PER_VENDOR } from '../../core/refusals.ts';
import type { VendorSummary } from '../../core/vendors.ts';
import { formatDollars } from '../../core/funds.ts';
import { html, num, when, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { csrfField, notice } from './layout.ts';
import { chainTiles, chainsSection } from './vendor-chains.ts';

const status = (x: VendorRecord): Html =>
  x.disabled ? html`<span class="pill bad" title="${x.disabledReason ?? ''}">disabled</span>` : html`<span class="pill ok">active</span>`;

/** The vendors page. */
export function vendorsView(
  v: Visitor,
  all: VendorRecord[],
  mine: VendorRecord[],
  o: { error?: string; origin?: string; name?: string } = {},
): Html {
  return html`
<h1>Sell for MicroMint coins</h1>
<div class="grid">
  <section class="card" id="register">
    <h2>Register your site</h2>
    ${o.error ? notice('bad', o.error) : ''}
    ${
      v.session
        ? html`<form class="stack" method="post" action="/vendors" id="vendor-form">
      ${csrfField(v)}
      <label>Site origin <input name="origin" required maxlength="255" placeholder="https://shop.example" value="${o.origin ?? ''}"></label>
      <label>Name <input name="name" required maxlength="100" placeholder="My shop" value="${o.name ?? ''}"></label>
      <button type="submit">Register and get an API key</button>
    </form>
    <p class="muted">Your vendor ID is the origin: coins paid to it are only good at that origin.</p>`
        : html`<p><a href="/login">Log in</a> to register a site (or use <code>POST /api/vendors</code>).</p>`
    }
  </section>
  <section class="card">
    <h2>Vendor dashboard</h2>
    <p class="muted">See your balance, redeemed and refused coins, cleared chains.</p>
    <p><a class="button secondary" href="/vendors/dashboard">Open the dashboard</a></p>
  </section>
</div>
${
  mine.length
    ? html`<section class="card"><h2>Your sites</h2><table><tbody>${mine.map(
        (x) => html`<tr><td>${x.name}</td><td class="mono">${x.id}</td><td>${status(x)}</td></tr>`,
      )}</tbody></table></section>`
    : ''
}
<section class="card" id="vendor-list">
  <h2>Sites taking MicroMint</h2>
  ${
    all.length
      ? html`<table><thead><tr><th>Name</th><th>Origin</th><th>Since</th><th>Status</th></tr></thead><tbody>${all.map(
          (x) =>
            html`<tr data-vendor-id="${x.id}"><td>${x.name}</td><td class="mono">${x.id}</td><td>${when(x.createdAt)}</td><td>${status(x)}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">None yet.</p>`
  }
</section>`;
}

/** Shown once after registration. */
export function registeredView(vendorId: string, apiKey: string, publicUrl: string): Html {
  return html`
<h1>Site registered</h1>
<section class="card">
  ${notice('info', 'Copy your API key now: it is shown only once and we keep only a hash of it.')}
  <p>Vendor ID <code id="vendor-id">${vendorId}</code></p>
  <div class="secret" id="api-key">${apiKey}</div>
  <h2 style="margin-top:1.2rem">Next</h2>
  <p>Give the key to your MicroMint middleware, which redeems your coins at <code>${publicUrl}/api/redeem</code>
  with <code>Authorization: Bearer &lt;key&gt;</code>.</p>
  <p><a href="/vendors/dashboard">Vendor dashboard</a></p>
</section>`;
}

/** The API-key log-in form of the dashboard. */
export function dashboardLoginView(v: Visitor, error?: string): Html {
  return html`
<section class="card" style="max-width:520px;margin:2rem auto">
  <h1>Vendor dashboard</h1>
  ${error ? notice('bad', error) : ''}
  <form class="stack" method="post" action="/vendors/dashboard" id="dashboard-form">
    ${csrfField(v)}
    <label>API key <input type="password" name="apiKey" required maxlength="200" autocomplete="off"></label>
    <button type="submit">Open</button>
  </form>
</section>`;
}

/** The complaint rule, and where the vendor stands with it. */
function complaintsCard(c: ComplaintState): Html {
  const pct = `${Math.round(c.rule.share * 100)}%`;
  return html`<section class="card" id="vendor-complaints" data-complainers="${c.complainers}" data-counted="${c.counted}" data-met="${String(c.met)}">
  <h2>Complaints (last ${c.windowDays} days)</h2>
  <table>
    <tr><th>Users who complained</th><td class="r" id="complaints-all">${num(c.complainers)}</td></tr>
    <tr><th>Of them, customers who paid you at least ${num(c.rule.minSpendMills)} mills: the complaints that count</th><td class="r" id="complaints-counted">${num(c.counted)}</td></tr>
    <tr><th>What those customers paid you</th><td class="r">${num(c.countedMills)} of your ${num(c.takingsMills)} mills</td></tr>
    <tr><th>Your paying customers</th><td class="r">${num(c.customers)}</td></tr>
  </table>
  <p class="muted">A site is disabled when at least ${num(c.needed.complainers)} counted customers complain
  (at least ${num(c.rule.minComplainers)}, and ${pct} of its paying customers) and they paid at least ${pct} of its takings
  (now ${num(c.needed.mills)} mills). Complaints from readers who paid little or nothing do not count.</p>
</section>`;
}

/** The dashboard of one vendor. */
export function dashboardView(
  s: VendorSummary,
  recent: {
    redeemed: RedeemedCoinRecord[];
    rejected: RejectedCoinRecord[];
    refusalsByReason: { reason: string; count: number }[];
    doubleSpends: DoubleSpendRecord[];
    clearings: ClearingRecord[];
  },
): Html {
  const short = (id: string | null) => (id ? `${id.slice(0, 12)}…` : '');
  return html`
<h1>${s.name} <span class="muted mono" style="font-size:1rem">${s.vendorId}</span></h1>
${
  s.disabled
    ? html`<div class="notice bad" role="alert" id="vendor-disabled">This site is disabled${s.disabledAt ? html` since ${when(s.disabledAt)}` : ''}:
  ${s.disabledReason ?? 'by the broker'}. Its coins are not redeemed while it is disabled. Keep them: once the broker's operator
  has reviewed the complaints and enabled the site, the same batches can be sent again (coins stay redeemable until
  their epoch's redemption deadline). Contact the broker's operator.</div>`
    : ''
}
<div class="hero">
  <section class="card">
    <div class="muted">Balance</div>
    <div class="balance" id="vendor-balance" data-mills="${s.balanceMills}">${formatDollars(s.balanceMills)}<small>${num(s.balanceMills)} mills from redeemed coins and cleared chains</small></div>
  </section>
  <section class="tiles" style="grid-template-columns:1fr">
    <div class="tile" id="vendor-redeemed"><div class="n">${num(s.redeemedCoins)}</div><div class="l">coins redeemed</div></div>
    <div class="tile" id="vendor-refused"><div class="n">${num(s.refusedCoins)}</div><div class="l">coins refused</div></div>
    <div class="tile" id="vendor-double-spends"><div class="n">${num(s.doubleSpends)}</div><div class="l">double spends</div></div>
    ${chainTiles(s)}
  </section>
</div>
<section class="card"><h2>Recently redeemed</h2>
${
  recent.redeemed.length
    ? html`<table><thead><tr><th>When</th><th>Coin</th><th>User</th><th>URL</th></tr></thead><tbody>${recent.redeemed.map(
        (r) =>
          html`<tr><td>${when(r.redeemedAt)}</td><td class="mono">${short(r.coinId)}</td><td class="mono">${r.userId}</td><td>${r.url}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None yet.</p>`
}
</section>
${chainsSection(s, recent.clearings)}
${complaintsCard(s.complaints)}
<section class="card" id="refused"><h2>Refused coins</h2>
${
  recent.refusalsByReason.length
    ? html`<p>${recent.refusalsByReason.map((r) => html`<span class="pill warn">${r.reason}</span> ${num(r.count)} `)}</p>
  <p class="muted">Every refused coin is counted; the newest ${num(KEPT_PER_VENDOR)} are kept in full (up to ${num(KEPT_PER_BATCH)} of a batch).</p>`
    : ''
}
${
  recent.rejected.length
    ? html`<table><thead><tr><th>When</th><th>Coin</th><th>User</th><th>Reason</th></tr></thead><tbody>${recent.rejected.map(
        (r) =>
          html`<tr><td>${when(r.createdAt)}</td><td class="mono">${short(r.coinId)}</td><td class="mono">${r.userId}</td><td><span class="pill warn">${r.reason}</span></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None.</p>`
}
</section>
<section class="card"><h2>Double spends</h2>
${
  recent.doubleSpends.length
    ? html`<table><thead><tr><th>When</th><th>Coin</th><th>User</th><th>Paid first to</th><th>Reason</th><th class="r">Attempts</th></tr></thead><tbody>${recent.doubleSpends.map(
        (r) =>
          html`<tr><td>${when(r.createdAt)}</td><td class="mono">${short(r.coinId)}</td><td class="mono">${r.userId}</td><td class="mono">${r.firstVendorId ?? 'returned to broker'}</td><td>${r.reason}</td><td class="r">${num(r.attempts ?? 1)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None.</p>`
}
</section>`;
}

/** A page with a message (errors, not found). */
export function messageView(title: string, text: string): Html {
  return html`<section class="card" style="max-width:640px;margin:2rem auto"><h1>${title}</h1><p>${text}</p><p><a href="/">Home</a></p></section>`;
}
