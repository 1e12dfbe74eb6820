/**
 * The vendor dashboard's complaints card: the complaint rule, and where the vendor stands with it.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { ComplaintState } from '../../core/complaints.ts';
import { html, num, type Html } from '../html.ts';

/** The complaint rule, and where the vendor stands with it. */
export function complaintsCard(c: ComplaintState): Html {
  const pct = `${Math.round(c.rule.share * 100)}%`;
  return html`<section class="card" id="vendor-complaints" data-complainers="${c.complainers}" data-counted="${c.counted}" data-met="${String(c.met)}">
  <h2>Complaints (last ${c.windowDays} days)</h2>
  <table class="facts">
    <tr><th>Users who complained</th><td class="r" id="complaints-all">${num(c.complainers)}</td></tr>
    <tr><th>Of them, customers who paid you at least ${formatMoney(c.rule.minSpendMills)}: the complaints that count</th><td class="r" id="complaints-counted">${num(c.counted)}</td></tr>
    <tr><th>What those customers paid you</th><td class="r">${formatMoney(c.countedMills)} of your ${formatMoney(c.takingsMills)}</td></tr>
    <tr><th>Your paying customers</th><td class="r">${num(c.customers)}</td></tr>
  </table>
  <p class="muted">A site is disabled when at least ${num(c.needed.complainers)} counted customers complain
  (at least ${num(c.rule.minComplainers)}, and ${pct} of its paying customers) and they paid at least ${pct} of its takings
  (now ${formatMoney(c.needed.mills)}). Complaints from readers who paid little or nothing do not count.</p>
</section>`;
}
