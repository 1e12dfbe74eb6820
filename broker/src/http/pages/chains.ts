/**
 * The account page's PayWord chains: per chain what was held from the balance, what the site was paid for
 * (spent: the links it cleared) and what came back (released), with the totals.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { ChainRecord } from '../../db/chains.ts';
import { html, num, when, type Html } from '../html.ts';

/** How a chain stands at `now`, in words. */
function standing(c: ChainRecord, now: Date): string {
  if (c.status === 'released') return 'released';
  return now.getTime() < c.expiresAt * 1000 ? 'open' : 'expired: the site may still clear it';
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** The chains card (the newest chains, as many as `chains` holds). */
export function chainsCard(chains: readonly ChainRecord[], now: Date): Html {
  const spent = (c: ChainRecord) => c.clearedIndex * c.valueMills;
  const heldNow = chains.filter((c) => c.status === 'held').reduce((n, c) => n + c.heldMills - spent(c), 0);
  return html`<section class="card" id="chains" data-held-mills="${heldNow}">
  <h2>PayWord chains</h2>
  <p class="muted">Held now in open chains: <strong id="chains-held">${formatMoney(heldNow)}</strong>. A chain's sites are paid for the
  links they cleared; what they did not clear comes back to your balance once the chain has expired and the sites' time to clear it is over.</p>
  ${
    chains.length
      ? html`<table><thead><tr><th>Opened</th><th>Chain</th><th>Site</th><th class="r">Links used</th><th class="r">Held</th><th class="r">Spent</th><th class="r">Released</th><th>Status</th></tr></thead>
    <tbody>${chains.map(
      (
        c,
      ) => html`<tr data-chain-id="${c.id}" data-status="${c.status}" data-held-mills="${c.heldMills}" data-spent-mills="${spent(c)}" data-released-mills="${c.releasedMills ?? ''}">
      <td>${when(c.createdAt)}</td><td class="mono">${c.id.slice(0, 12)}…</td><td class="mono">${c.vendorId}</td>
      <td class="r">${num(c.clearedIndex)} of ${num(c.links)}</td><td class="r">${formatMoney(c.heldMills)}</td><td class="r">${formatMoney(spent(c))}</td>
      <td class="r">${c.releasedMills === null ? '–' : formatMoney(c.releasedMills)}</td>
      <td title="expires ${when(iso(c.expiresAt))}, sites clear until ${when(iso(c.clearBy))}">${standing(c, now)}</td></tr>`,
    )}</tbody></table>`
      : html`<p class="muted">No chains yet: your wallet opens one when it pays a site that takes them.</p>`
  }
</section>`;
}
