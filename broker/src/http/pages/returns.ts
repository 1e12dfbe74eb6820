/**
 * When a user's coins can be returned: the dates returns open, epoch by epoch.
 * @module
 */
import type { ReturnWindow } from '../../core/timeline.ts';
import { html, when, type Html } from '../html.ts';

/**
 * When returns open, epoch by epoch. The return button is offered only when some epoch's returns are open:
 * before that the broker would refuse the return, since sites may still redeem the coins they were paid.
 */
export function returnsSchedule(windows: readonly ReturnWindow[]): Html {
  const waiting = windows.filter((w) => !w.open);
  if (!waiting.length) return html``;
  return html`<ul class="returns-schedule">${waiting.map(
    (
      w,
    ) => html`<li data-epoch="${w.epoch}" data-returns-from="${w.returnsFrom}">Coins of epoch <strong>${w.epoch}</strong> can be returned from
    <strong class="returns-from">${when(w.returnsFrom)}</strong>, when the sites' time to redeem the coins you paid them is over.</li>`,
  )}</ul>`;
}
