/**
 * The popup's budgets section: what each site was paid this period against its budget (a bar per
 * site), the whole wallet's month against its budget, and the chart of spending per day over the
 * last month (spending-chart.ts). Money by the project's one rule (`formatMoney`).
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { siteName } from '../ui/site.ts';
import type { BudgetsOverview, SiteSpending } from '../wallet/budgets.ts';
import type { BudgetPeriod } from '../wallet/schema.ts';
import { spendingChart, spendingTable } from './spending-chart.ts';

/** Sites the popup lists; the options page lists them all. */
export const POPUP_SITES = 8;

/** How full a budget is: `none` without one, `full` once nothing more fits, `near` from 80%. */
export type BudgetState = 'none' | 'ok' | 'near' | 'full';

/** The share of `limit` spent, 0..100 (a budget of nothing is full). */
export const percentOf = (spent: number, limit: number): number => (limit <= 0 ? 100 : Math.min(100, Math.round((100 * spent) / limit)));

/** How full a budget is (see {@link BudgetState}). */
export function budgetState(spent: number, limit: number | undefined): BudgetState {
  if (limit === undefined) return 'none';
  if (spent >= limit) return 'full';
  return percentOf(spent, limit) >= 80 ? 'near' : 'ok';
}

const periodWord = (p: BudgetPeriod) => (p === 'day' ? 'today' : 'this month');

/**
 * A site's line as words: "0.3¢ of 1¢ today", or "0.7¢ this month" without a budget.
 * @example
 * spendingText({ site, budget: { period: 'day', limit: 10 }, spent: 3, today: 3, month: 3 }); // '0.3¢ of 1¢ today'
 */
export function spendingText(s: Pick<SiteSpending, 'budget' | 'spent'>): string {
  return s.budget
    ? `${formatMoney(s.spent)} of ${formatMoney(s.budget.limit)} ${periodWord(s.budget.period)}`
    : `${formatMoney(s.spent)} this month`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A bar of `spent` against `limit`, labelled for screen readers. */
function meter(spent: number, limit: number, label: string): HTMLElement {
  const bar = el('div', 'meter budget-meter');
  bar.setAttribute('role', 'img');
  bar.setAttribute('aria-label', label);
  const used = el('span', 'used');
  used.style.width = `${percentOf(spent, limit)}%`;
  bar.append(used);
  return bar;
}

/** One row: the site (or "All sites"), its spending in words, and its bar when it has a budget. */
function row(name: string, title: string, s: Pick<SiteSpending, 'budget' | 'spent'>): HTMLLIElement {
  const li = el('li', 'budget-site');
  const state = budgetState(s.spent, s.budget?.limit);
  li.dataset.state = state;
  li.dataset.spent = String(s.spent);
  if (s.budget) {
    li.dataset.limit = String(s.budget.limit);
    li.dataset.period = s.budget.period;
  }
  const top = el('div', 'top');
  const label = el('span', 'site-name', name);
  label.title = title;
  top.append(label, el('span', 'spent', spendingText(s) + (s.budget ? '' : ' · no budget')));
  li.append(top);
  if (s.budget) li.append(meter(s.spent, s.budget.limit, `${name}: ${spendingText(s)}`));
  return li;
}

/**
 * Fills `#budgets-section` from the overview: the wallet's month (`#wallet-budget`), the sites
 * (`#budgets li.budget-site[data-site][data-spent][data-limit][data-period][data-state]`), and the
 * chart (`#spending-chart svg rect[data-day][data-mills]`) with its table (`#spending-table`).
 */
export function renderBudgets(o: BudgetsOverview): void {
  const byId = (id: string) => document.getElementById(id)!;
  const wallet = row('All sites', 'every site together, this month', {
    spent: o.wallet.spent,
    ...(o.wallet.limit !== undefined ? { budget: { period: 'month' as const, limit: o.wallet.limit } } : {}),
  });
  wallet.id = 'wallet-budget';
  wallet.classList.add('wallet');
  const sites = o.sites.slice(0, POPUP_SITES).map((s) => {
    const li = row(siteName(s.site), s.site, s);
    li.dataset.site = s.site;
    return li;
  });
  byId('budgets').replaceChildren(wallet, ...sites);
  const more = byId('budgets-more');
  more.hidden = o.sites.length <= POPUP_SITES;
  more.textContent = `and ${o.sites.length - POPUP_SITES} more sites in the options`;
  byId('spending-chart-svg').replaceChildren(spendingChart(o.days));
  byId('spending-table').replaceChildren(spendingTable(o.days));
  byId('budgets-section').hidden = false;
}
