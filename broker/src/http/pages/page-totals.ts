/**
 * The dashboard's earnings per page: for each URL the coins it was paid with, their money and when it was
 * last paid, most paid first, {@link PAGES_PER_VIEW} pages at a time.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { PAGES_PER_VIEW, type PageTotals } from '../../core/dashboard.ts';
import { html, num, when, type Html } from '../html.ts';

/** The URL without its origin (every page is on the vendor's origin), or the whole URL if it does not parse. */
function pathOf(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  return u.pathname + u.search;
}

function pager(t: PageTotals): Html {
  if (t.views <= 1) return html``;
  const first = (t.view - 1) * PAGES_PER_VIEW + 1;
  const last = first + t.rows.length - 1;
  return html`<nav class="pager" aria-label="More pages">
    ${t.view > 1 ? html`<a href="/vendors/dashboard?p=${t.view - 1}#pages" rel="prev">← Previous ${PAGES_PER_VIEW}</a>` : html`<span></span>`}
    <span class="muted">${num(first)}–${num(last)} of ${num(t.pages)} pages</span>
    ${t.view < t.views ? html`<a href="/vendors/dashboard?p=${t.view + 1}#pages" rel="next">Next ${PAGES_PER_VIEW} →</a>` : html`<span></span>`}
  </nav>`;
}

/** The card. */
export function pageTotalsCard(t: PageTotals): Html {
  return html`<section class="card" id="pages" data-pages="${t.pages}">
  <h2>Earnings per page</h2>
  <p class="muted">Coins your pages were paid with, once redeemed here. PayWord chains pay per site, not per page: they are below.</p>
  ${
    t.rows.length
      ? html`<table><thead><tr><th>Page</th><th class="r">Coins</th><th class="r">Money</th><th>Last paid</th></tr></thead><tbody>
    ${t.rows.map(
      (
        r,
      ) => html`<tr data-url="${r.url}"><td class="url"><a href="${r.url}" title="${r.url}" rel="noopener noreferrer">${pathOf(r.url)}</a></td>
      <td class="r">${num(r.coins)}</td><td class="r">${formatMoney(r.coins)}</td><td>${when(r.lastPaidAt)}</td></tr>`,
    )}</tbody></table>
  ${pager(t)}`
      : html`<p class="muted">No coins redeemed yet.</p>`
  }
</section>`;
}
