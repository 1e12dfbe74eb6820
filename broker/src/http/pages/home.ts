/**
 * The home page: what MicroMint is, the current epoch, public figures.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { EpochRecord } from '../../db/epochs.ts';
import type { PublicStats } from '../../core/stats.ts';
import { html, num, when, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';

/** The epoch's parameters, for the curious, behind a disclosure. */
function technicalDetails(e: EpochRecord): Html {
  const p = e.params;
  return html`<details class="tech" id="epoch-details">
    <summary>Technical details</summary>
    <table class="facts">
      <tr><th>Shape</th><td class="mono" id="epoch-shape">t=${p.t} u=${p.u} v=${p.v} k=${p.k}</td></tr>
      <tr><th>Slots filled</th><td>${((e.filledSlots / 2 ** (p.u + p.v)) * 100).toFixed(1)}%</td></tr>
      <tr><th>Key</th><td class="mono">${Buffer.from(p.key).toString('hex').slice(0, 16)}…</td></tr>
    </table>
    <p class="muted">A coin is k = ${p.k} balls. The first u = ${p.u} bits of a ball's hash pick its superbin, the next
    v = ${p.v} its sub-bin, and t = ${p.t} more bits must hold the epoch's fixed value; a coin's balls step through the
    superbins along your offsets and through the sub-bins along the site's. The key is hashed with every ball, so each
    epoch's coins are its own.</p>
  </details>`;
}

/** The body of the home page. */
export function homeView(v: Visitor, s: PublicStats): Html {
  const e = s.epoch;
  const tiles = [
    ['balls minted', s.ballsMinted, 'stat-balls'],
    ['superbin sets sold', s.setsSold, 'stat-sets'],
    ['coins redeemed', s.coinsRedeemed, 'stat-redeemed'],
    ['double spends caught', s.doubleSpends, 'stat-double-spends'],
  ] as const;
  return html`
<div class="hero">
  <section class="card">
    <h1>Pay a tenth of a cent per page.</h1>
    <p>A MicroMint coin is worth ${formatMoney(1)}. You buy coins here in bulk; your browser wallet pays sites
    a few coins at a time, with no account at the site and no round trip to us. Sites hand their coins in later.</p>
    <ol class="steps">
      <li><strong><a href="/wallet">Get the wallet</a></strong>: a browser extension for Chrome, Edge, Brave and the like.</li>
      <li><strong>Add funds</strong> and buy a few <em>superbin sets</em>: bundles of coins only you can spend.</li>
      <li><strong>Browse.</strong> When a page asks for payment (HTTP 402), your MicroMint wallet pays it.</li>
      <li><strong>Sites redeem</strong> your coins here. Each coin pays once; a coin spent twice is caught.</li>
    </ol>
    <p>${v.session ? html`<a class="button" href="/account">Go to your account</a>` : html`<a class="button" href="/signup">Create an account</a>`}
    <a class="button secondary" href="/wallet">Get the wallet</a></p>
  </section>
  <section class="card" id="epoch">
    <h2>Current epoch</h2>
    ${
      e
        ? html`<p class="balance" id="epoch-id">${e.params.id}</p>
    <table class="facts">
      <tr><th>Expires</th><td>${when(e.params.expiresAt)}</td></tr>
      ${
        s.timeline
          ? html`<tr><th>Sites redeem until</th><td id="epoch-redeem-by">${when(s.timeline.redeemBy)}</td></tr>
      <tr><th>Returns open</th><td id="epoch-returns-from">${when(s.timeline.returnsFrom)}</td></tr>`
          : ''
      }
    </table>
    ${technicalDetails(e)}`
        : html`<p class="muted">No epoch is on sale right now.</p>`
    }
  </section>
</div>
<section class="tiles" aria-label="Public statistics">
  ${tiles.map(([label, n, id]) => html`<div class="tile" id="${id}"><div class="n">${num(n)}</div><div class="l">${label}</div></div>`)}
</section>
<section class="card">
  <h2>How the coins work</h2>
  <p class="muted">The broker hashes tens of millions of random "balls" into bins with a monthly secret key. A coin is
  k balls whose hashes line up along your offsets and the site's offsets, so it is only good for you, at that site.
  Finding such alignments costs a forger far more per coin than it costs the broker, and every coin handed in is
  checked against the broker's own records of what it minted.</p>
</section>`;
}
