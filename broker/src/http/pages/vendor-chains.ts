/**
 * The vendor dashboard's PayWord part: the key the vendor registered for chains, and the chains and links
 * it cleared, beside the coins it redeemed.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { ClearingRecord } from '../../db/chains.ts';
import type { VendorSummary } from '../../core/vendors.ts';
import { html, num, when, type Html } from '../html.ts';

/** The tiles of chains and links cleared (beside the coins' tiles). */
export const chainTiles = (s: VendorSummary): Html => html`
    <div class="tile" id="vendor-cleared-chains"><div class="n">${num(s.clearedChains)}</div><div class="l">chains cleared</div></div>
    <div class="tile" id="vendor-cleared-links" data-mills="${s.clearedMills}"><div class="n">${num(s.clearedLinks)}</div><div class="l">links cleared (${formatMoney(s.clearedMills)})</div></div>`;

/** The payword key and the recent clearings. */
export function chainsSection(s: VendorSummary, clearings: readonly ClearingRecord[]): Html {
  return html`<section class="card" id="vendor-chains"><h2>PayWord chains</h2>
  <p>Payword key ${
    s.paywordKey
      ? html`<code id="vendor-payword-key">${s.paywordKey}</code>`
      : html`<span class="muted" id="vendor-payword-key">none: register one with <code>PUT /api/vendors/payword-key</code> to take chains</span>`
  }</p>
  ${
    clearings.length
      ? html`<table><thead><tr><th>When</th><th>Chain</th><th>User</th><th class="r">Links</th><th class="r">Paid</th></tr></thead><tbody>${clearings.map(
          (
            c,
          ) => html`<tr data-chain-id="${c.chainId}"><td>${when(c.createdAt)}</td><td class="mono">${c.chainId.slice(0, 12)}…</td><td class="mono">${c.userId}</td>
        <td class="r">${num(c.fromIndex + 1)}–${num(c.toIndex)}</td><td class="r">${formatMoney(c.paidMills)}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">No chain cleared yet.</p>`
  }
</section>`;
}
