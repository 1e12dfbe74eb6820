/**
 * A purchase's delivery page: the Funds-Withdrawn message for the wallet, and the Send-Expired page.
 * The markup of the `micromint-*` elements is part of the contract with the wallet extension.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { SetRecord, WithdrawalRecord } from '../../db/sets.ts';
import type { ReturnWindow } from '../../core/timeline.ts';
import { html, micromintScript, num, when, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { csrfField, notice } from './layout.ts';
import { returnsSchedule } from './returns.ts';

/** The delivery page of a withdrawal. */
export function withdrawalView(_v: Visitor, w: WithdrawalRecord, sets: SetRecord[], text: string, fresh: boolean): Html {
  return html`
<h1>${fresh ? 'Purchase complete' : 'Send coins to your wallet'}</h1>
${fresh ? notice('ok', `You bought ${sets.length} set(s): ${num(w.coins)} coins for ${formatMoney(w.priceMills)}.`) : ''}
<section class="card">
  ${micromintScript(text, html`class="micromint-funds" data-withdrawal-id="${w.id}"`)}
  <p class="micromint-status" data-withdrawal-id="${w.id}">Waiting for your MicroMint wallet...</p>
  <p class="muted">With the MicroMint extension installed, the coins go to your wallet by themselves.
  Another wallet? <a href="/withdrawals/${w.id}.mm" download>Download ${w.id}.mm</a> and open it there.</p>
</section>
<section class="card">
  <h2>Purchase ${w.id}</h2>
  <p class="muted">Epoch ${w.epoch} · ${when(w.createdAt)}</p>
  <table><thead><tr><th>Set</th><th>Superbins</th><th class="r">Coins</th><th class="r">Price</th></tr></thead><tbody>
  ${sets.map((s, i) => html`<tr><td>${i + 1}</td><td class="mono">${s.superbins.join(', ')}</td><td class="r">${num(s.coins)}</td><td class="r">${formatMoney(s.priceMills)}</td></tr>`)}
  </tbody></table>
  <p><a href="/account">Back to your account</a></p>
</section>`;
}

/**
 * The button that asks the wallet to return its unspent coins (a POST, so that no other site can), shown
 * only when some epoch's returns are open; otherwise the dates they open.
 */
export function returnConfirmView(v: Visitor, windows: readonly ReturnWindow[]): Html {
  const open = windows.some((w) => w.open);
  return html`
<h1>Return unspent coins</h1>
<section class="card">
  ${windows.length ? '' : html`<p class="muted">You hold no coins to return.</p>`}
  ${returnsSchedule(windows)}
  ${
    open
      ? html`<p>Your MicroMint wallet will send back the coins it has not spent, and your balance is credited ${formatMoney(1)} for each.
  Returned coins can no longer be spent.</p>
  <form method="post" action="/account/return">
    ${csrfField(v)}
    <button type="submit">Return unspent coins</button>
  </form>`
      : ''
  }
  <p><a href="/account">Back to your account</a></p>
</section>`;
}

/**
 * The "return unspent coins" page: one Send-Expired message per epoch whose returns are open and in which the
 * user holds sets, and the dates the others open.
 */
export function returnView(_v: Visitor, messages: { epoch: string; text: string }[], waiting: readonly ReturnWindow[] = []): Html {
  return html`
<h1>Return unspent coins</h1>
<section class="card">
  ${returnsSchedule(waiting)}
  ${
    messages.length
      ? html`${messages.map(
          (m) => html`${micromintScript(m.text, html`class="micromint-send-expired" data-epoch="${m.epoch}"`)}
  <p class="micromint-return-status" data-epoch="${m.epoch}">Epoch ${m.epoch}: waiting for your MicroMint wallet...</p>`,
        )}
  <p>Your MicroMint wallet is sending back its unspent coins of epoch ${messages.map((m) => m.epoch).join(', ')}.
  Each coin credits ${formatMoney(1)} to your balance.</p>
  <p class="muted">Coins your wallet already spent stay with the sites they paid; a spent coin sent back is refused.</p>`
      : html`<p class="muted">${waiting.length ? 'No coins can be returned yet.' : 'You hold no coins to return.'}</p>`
  }
  <p><a class="button" href="/account">See your balance</a></p>
</section>`;
}
