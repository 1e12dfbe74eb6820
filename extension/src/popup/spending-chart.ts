/**
 * The popup's chart of spending per day over the last month: an inline SVG drawn from the data
 * (one bar a day, the highest day at full height), and the same figures as a table for screen
 * readers and for anyone who wants the numbers. Money by the project's one rule (`formatMoney`).
 * @module
 */
import { formatMoney } from '@micromint/shared';

/** A day's spending, in mills. */
export interface DaySpending {
  /** `YYYY-MM-DD`. */
  day: string;
  mills: number;
}

/** One bar of the chart, in SVG units. */
export interface ChartBar extends DaySpending {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The chart's geometry, computed without the DOM. */
export interface ChartModel {
  bars: ChartBar[];
  /** The highest day, in mills (0 when nothing was spent). */
  max: number;
  total: number;
  width: number;
  /** Height of the bars' area (labels go below it). */
  height: number;
}

const SVG = 'http://www.w3.org/2000/svg';
/** Room under the bars for the day labels. */
const LABELS = 16;

/**
 * Bars for `days`, oldest first: each day gets an equal slot of `width`; the highest day is `height`
 * tall, any day with spending at least 2 units (so a small day still shows), a day without none.
 * @example
 * chartModel([{ day: '2026-05-19', mills: 0 }, { day: '2026-05-20', mills: 4 }]).bars[1].height; // 84
 */
export function chartModel(days: readonly DaySpending[], o: { width?: number; height?: number; gap?: number } = {}): ChartModel {
  const width = o.width ?? 348;
  const height = o.height ?? 84;
  const gap = o.gap ?? 2;
  const max = days.reduce((m, d) => Math.max(m, d.mills), 0);
  const slot = days.length ? width / days.length : width;
  const bars = days.map((d, i): ChartBar => {
    const h = max && d.mills > 0 ? Math.max(2, Math.round((d.mills / max) * height)) : 0;
    return { ...d, x: i * slot + gap / 2, y: height - h, width: Math.max(1, slot - gap), height: h };
  });
  return { bars, max, total: days.reduce((n, d) => n + d.mills, 0), width, height };
}

/**
 * A day as people read it: "May 20" (in the browser's language).
 * @example
 * dayLabel('2026-05-20'); // 'May 20' (en-US)
 */
export function dayLabel(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** What the chart says in words: its total and its highest day. */
export function chartSummary(model: ChartModel): string {
  if (!model.total) return `Nothing spent in the last ${model.bars.length} days.`;
  const top = model.bars.reduce((a, b) => (b.mills > a.mills ? b : a));
  return `Spending per day over the last ${model.bars.length} days: ${formatMoney(model.total)} in all, most on ${dayLabel(top.day)} (${formatMoney(top.mills)}).`;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * The chart as an inline SVG (`role="img"`, labelled with {@link chartSummary}); each bar carries
 * `data-day` and `data-mills` and a tooltip with its day and money. The last day (today) is marked.
 */
export function spendingChart(days: readonly DaySpending[]): SVGSVGElement {
  const m = chartModel(days);
  const root = svg('svg', {
    viewBox: `0 0 ${m.width} ${m.height + LABELS}`,
    width: m.width,
    height: m.height + LABELS,
    role: 'img',
    'aria-label': chartSummary(m),
    class: 'spending-chart',
  });
  root.append(svg('line', { x1: 0, y1: m.height + 0.5, x2: m.width, y2: m.height + 0.5, class: 'axis' }));
  m.bars.forEach((b, i) => {
    const rect = svg('rect', {
      x: b.x,
      y: b.y,
      width: b.width,
      height: b.height,
      rx: 1.5,
      class: i === m.bars.length - 1 ? 'bar today' : 'bar',
    });
    rect.dataset.day = b.day;
    rect.dataset.mills = String(b.mills);
    rect.append(svg('title', {}, `${dayLabel(b.day)}: ${formatMoney(b.mills)}`));
    root.append(rect);
  });
  if (m.max) root.append(svg('text', { x: 2, y: 10, class: 'max' }, `${formatMoney(m.max)} a day at most`));
  const first = m.bars[0];
  const last = m.bars.at(-1);
  if (first && last) {
    root.append(svg('text', { x: 0, y: m.height + LABELS - 3, class: 'label' }, dayLabel(first.day)));
    root.append(
      svg('text', { x: m.width, y: m.height + LABELS - 3, class: 'label', 'text-anchor': 'end' }, `${dayLabel(last.day)} (today)`),
    );
  }
  return root;
}

/** The chart's figures as a table: the days with spending, newest first, and their total. */
export function spendingTable(days: readonly DaySpending[]): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'spending-table';
  const caption = document.createElement('caption');
  caption.textContent = `Spending per day, last ${days.length} days (days without spending left out)`;
  const head = document.createElement('thead');
  head.innerHTML = '<tr><th scope="col">Day</th><th scope="col" class="r">Spent</th></tr>';
  const body = document.createElement('tbody');
  const spent = days.filter((d) => d.mills > 0).reverse();
  for (const d of spent) {
    const tr = document.createElement('tr');
    tr.dataset.day = d.day;
    tr.dataset.mills = String(d.mills);
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = dayLabel(d.day);
    const td = document.createElement('td');
    td.className = 'r';
    td.textContent = formatMoney(d.mills);
    tr.append(th, td);
    body.append(tr);
  }
  const foot = document.createElement('tfoot');
  const total = document.createElement('tr');
  const label = document.createElement('th');
  label.scope = 'row';
  label.textContent = spent.length ? 'In all' : 'Nothing spent';
  const sum = document.createElement('td');
  sum.className = 'r';
  sum.textContent = formatMoney(days.reduce((n, d) => n + d.mills, 0));
  total.append(label, sum);
  foot.append(total);
  table.append(caption, head, body, foot);
  return table;
}
