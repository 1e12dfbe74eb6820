/**
 * The dashboard's chart of earnings per day: SVG bars drawn on the server (coins and PayWord chains stacked),
 * each with its figures as a tooltip, and the same figures as a table for screen readers and for copying.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { DayEarnings } from '../../db/earnings.ts';
import { html, num, type Html } from '../html.ts';

const W = 720;
const H = 220;
const PLOT = { left: 64, right: 8, top: 12, bottom: 30 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-11-30` as `Nov 30`. */
export const dayLabel = (day: string): string => `${MONTHS[Number(day.slice(5, 7)) - 1]} ${Number(day.slice(8, 10))}`;

/**
 * The smallest 1, 2, 3 or 5 × 10^n mills that is at least `mills` (1 at least): the chart's grid step.
 * @example
 * niceStep(3); // 3
 * niceStep(7); // 10
 */
export function niceStep(mills: number): number {
  for (let scale = 1; ; scale *= 10) for (const m of [1, 2, 3, 5]) if (m * scale >= mills) return m * scale;
}

const total = (d: DayEarnings): number => d.coinsMills + d.chainsMills;

function bars(days: readonly DayEarnings[], top: number): Html[] {
  const plotH = H - PLOT.top - PLOT.bottom;
  const slot = (W - PLOT.left - PLOT.right) / days.length;
  const width = Math.max(2, slot * 0.7);
  const y = (mills: number) => (mills / top) * plotH;
  return days.map((d, i) => {
    const x = (PLOT.left + i * slot + (slot - width) / 2).toFixed(1);
    const coinsH = y(d.coinsMills);
    const chainsH = y(d.chainsMills);
    const base = H - PLOT.bottom;
    return html`<g class="day" data-day="${d.day}" data-mills="${total(d)}"><title>${dayLabel(d.day)}: ${formatMoney(total(d))} (coins ${formatMoney(d.coinsMills)}, chains ${formatMoney(d.chainsMills)})</title>
      <rect x="${x}" y="${(base - coinsH).toFixed(1)}" width="${width.toFixed(1)}" height="${coinsH.toFixed(1)}" fill="#2f5bea"/>
      <rect x="${x}" y="${(base - coinsH - chainsH).toFixed(1)}" width="${width.toFixed(1)}" height="${chainsH.toFixed(1)}" fill="#14a3a3"/>
      ${i % 7 === (days.length - 1) % 7 ? html`<text x="${(Number(x) + width / 2).toFixed(1)}" y="${H - 10}" text-anchor="middle">${dayLabel(d.day)}</text>` : ''}</g>`;
  });
}

function grid(top: number, step: number): Html[] {
  const plotH = H - PLOT.top - PLOT.bottom;
  const lines: Html[] = [];
  for (let v = 0; v <= top; v += step) {
    const y = (H - PLOT.bottom - (v / top) * plotH).toFixed(1);
    lines.push(html`<line x1="${PLOT.left}" x2="${W - PLOT.right}" y1="${y}" y2="${y}" class="${v === 0 ? 'axis' : ''}"/>
      <text x="${PLOT.left - 8}" y="${Number(y) + 4}" text-anchor="end">${formatMoney(v)}</text>`);
  }
  return lines;
}

/** The figures as a table (inside a disclosure under the chart). */
function earningsTable(days: readonly DayEarnings[]): Html {
  return html`<details class="chart-table"><summary>Show the figures as a table</summary>
  <table><thead><tr><th>Day</th><th class="r">Coins</th><th class="r">Chains</th><th class="r">Total</th></tr></thead><tbody>
  ${days.map(
    (d) =>
      html`<tr data-day="${d.day}"><td>${dayLabel(d.day)}</td><td class="r">${formatMoney(d.coinsMills)}</td><td class="r">${formatMoney(d.chainsMills)}</td><td class="r">${formatMoney(total(d))}</td></tr>`,
  )}
  </tbody></table></details>`;
}

/** The earnings card's chart and table for `days` (oldest first). */
export function earningsChart(days: readonly DayEarnings[]): Html {
  const sum = days.reduce((n, d) => n + total(d), 0);
  const best = days.reduce((a, d) => (total(d) > total(a) ? d : a), days[0]!);
  const step = niceStep(Math.ceil(total(best) / 4));
  const top = step * 4;
  const summary = sum
    ? `${formatMoney(sum)} in ${days.length} days; the best day was ${dayLabel(best.day)} with ${formatMoney(total(best))}.`
    : `Nothing earned in the last ${days.length} days.`;
  return html`<figure class="chart">
  <svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="earnings-title earnings-desc" id="earnings-chart" data-total-mills="${sum}">
    <title id="earnings-title">Earnings per day, last ${num(days.length)} days</title>
    <desc id="earnings-desc">${summary}</desc>
    <g class="grid">${grid(top, step)}</g>
    ${bars(days, top)}
    ${sum ? '' : html`<text x="${(W + PLOT.left) / 2}" y="${H / 2}" text-anchor="middle" class="empty">No earnings yet</text>`}
  </svg>
  <figcaption class="legend"><span><i class="coins"></i>MicroMint coins</span><span><i class="chains"></i>PayWord chains</span><span>${summary}</span></figcaption>
  </figure>
  ${earningsTable(days)}`;
}
