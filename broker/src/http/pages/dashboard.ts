/**
 * The vendor dashboard: the sign-in form (the API key, once), and the dashboard of the vendor signed in on
 * this browser: balance and counts, earnings per day and per page, the API key to copy, PayWord chains,
 * complaints, refused coins and double spends.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { Dashboard } from '../../core/dashboard.ts';
import type { VendorSummary } from '../../core/vendors.ts';
import { html, num, when, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { apiKeyBox, copyScript } from './api-key.ts';
import { earningsChart } from './earnings-chart.ts';
import { csrfField, notice } from './layout.ts';
import { pageTotalsCard } from './page-totals.ts';
import { chainTiles, chainsSection } from './vendor-chains.ts';
import { complaintsCard } from './vendor-complaints.ts';
import { doubleSpendsCard, refusedCard } from './vendor-records.ts';

/** The sign-in form of the dashboard. */
export function dashboardLoginView(v: Visitor, o: { error?: string; ok?: string } = {}): Html {
  return html`
<section class="card" style="max-width:520px;margin:2rem auto">
  <h1>Vendor dashboard</h1>
  ${o.ok ? notice('ok', o.ok) : ''}${o.error ? notice('bad', o.error) : ''}
  <p class="muted">Sign in with your site's API key. This browser stays signed in until you sign out.</p>
  <form class="stack" method="post" action="/vendors/dashboard" id="dashboard-form">
    ${csrfField(v)}
    <label>API key <input type="password" name="apiKey" required maxlength="200" autocomplete="off"></label>
    <button type="submit">Sign in</button>
  </form>
  <p class="muted">No key yet? <a href="/vendors">Register your site</a>.</p>
</section>`;
}

function disabledNotice(s: VendorSummary): Html {
  if (!s.disabled) return html``;
  return html`<div class="notice bad" role="alert" id="vendor-disabled">This site is disabled${s.disabledAt ? html` since ${when(s.disabledAt)}` : ''}:
  ${s.disabledReason ?? 'by the broker'}. Its coins are not redeemed while it is disabled. Keep them: once the broker's operator
  has reviewed the complaints and enabled the site, the same batches can be sent again (coins stay redeemable until
  their epoch's redemption deadline). Contact the broker's operator.</div>`;
}

function balanceRow(d: Dashboard): Html {
  const s = d.summary;
  const month = d.earnings.reduce((n, e) => n + e.coinsMills + e.chainsMills, 0);
  return html`<div class="hero">
  <section class="card">
    <div class="muted">Balance</div>
    <div class="balance" id="vendor-balance" data-mills="${s.balanceMills}">${formatMoney(s.balanceMills)}<small>from ${num(s.redeemedCoins)} coins redeemed and ${num(s.clearedLinks)} PayWord links cleared</small></div>
  </section>
  <section class="card" id="vendor-month" data-mills="${month}">
    <div class="muted">Last ${num(d.earnings.length)} days</div>
    <div class="balance">${formatMoney(month)}<small>from coins and chains</small></div>
  </section>
</div>
<section class="tiles" aria-label="Counts">
  <div class="tile" id="vendor-redeemed"><div class="n">${num(s.redeemedCoins)}</div><div class="l">coins redeemed</div></div>
  <div class="tile" id="vendor-refused"><div class="n">${num(s.refusedCoins)}</div><div class="l">coins refused</div></div>
  <div class="tile" id="vendor-double-spends"><div class="n">${num(s.doubleSpends)}</div><div class="l">double spends</div></div>
  ${chainTiles(s)}
</section>`;
}

function keyCard(apiKey: string, publicUrl: string): Html {
  return html`<section class="card" id="vendor-key">
  <h2>API key</h2>
  <p class="muted">Your MicroMint middleware redeems coins at <code>${publicUrl}/api/redeem</code> with
  <code>Authorization: Bearer &lt;key&gt;</code>. Keep the key secret: whoever holds it can redeem your coins.</p>
  ${apiKeyBox(apiKey)}
  ${copyScript()}
</section>`;
}

/** The dashboard of the vendor signed in, with its API key. */
export function dashboardView(v: Visitor, d: Dashboard, apiKey: string, publicUrl: string): Html {
  const s = d.summary;
  return html`
<div class="title-row">
  <h1>${s.name} <span class="muted mono" style="font-size:1rem">${s.vendorId}</span></h1>
  <form method="post" action="/vendors/dashboard/sign-out" id="vendor-sign-out">${csrfField(v)}<button class="secondary" type="submit">Sign out</button></form>
</div>
${disabledNotice(s)}
${balanceRow(d)}
<section class="card" id="earnings">
  <h2>Earnings per day</h2>
  ${earningsChart(d.earnings)}
</section>
${pageTotalsCard(d.pageTotals)}
${keyCard(apiKey, publicUrl)}
${chainsSection(s, d.clearings)}
${complaintsCard(s.complaints)}
${refusedCard(d.refusalsByReason, d.rejected)}
${doubleSpendsCard(d.doubleSpends)}`;
}
