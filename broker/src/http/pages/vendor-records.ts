/**
 * The vendor dashboard's records of what went wrong: refused coins (counted by reason, the newest kept in
 * full) and double spends, the newest of each.
 * @module
 */
import type { RejectedCoinRecord } from '../../db/refusals.ts';
import type { DoubleSpendRecord } from '../../db/vendors.ts';
import { KEPT_PER_BATCH, KEPT_PER_VENDOR } from '../../core/refusals.ts';
import { html, num, when, type Html } from '../html.ts';

const short = (id: string | null): string => (id ? `${id.slice(0, 12)}…` : '');

/** The refused coins card. */
export function refusedCard(byReason: readonly { reason: string; count: number }[], rejected: readonly RejectedCoinRecord[]): Html {
  return html`<section class="card" id="refused"><h2>Refused coins</h2>
${
  byReason.length
    ? html`<p>${byReason.map((r) => html`<span class="pill warn">${r.reason}</span> ${num(r.count)} `)}</p>
  <p class="muted">Every refused coin is counted; the newest ${num(KEPT_PER_VENDOR)} are kept in full (up to ${num(KEPT_PER_BATCH)} of a batch).</p>`
    : ''
}
${
  rejected.length
    ? html`<table><thead><tr><th>When</th><th>Coin</th><th>User</th><th>Reason</th></tr></thead><tbody>${rejected.map(
        (r) =>
          html`<tr><td>${when(r.createdAt)}</td><td class="mono">${short(r.coinId)}</td><td class="mono">${r.userId}</td><td><span class="pill warn">${r.reason}</span></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None.</p>`
}
</section>`;
}

/** The double spends card. */
export function doubleSpendsCard(records: readonly DoubleSpendRecord[]): Html {
  return html`<section class="card" id="double-spends"><h2>Double spends</h2>
${
  records.length
    ? html`<table><thead><tr><th>When</th><th>Coin</th><th>User</th><th>Paid first to</th><th>Reason</th><th class="r">Attempts</th></tr></thead><tbody>${records.map(
        (r) =>
          html`<tr><td>${when(r.createdAt)}</td><td class="mono">${short(r.coinId)}</td><td class="mono">${r.userId}</td><td class="mono">${r.firstVendorId ?? 'returned to broker'}</td><td>${r.reason}</td><td class="r">${num(r.attempts ?? 1)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None.</p>`
}
</section>`;
}
