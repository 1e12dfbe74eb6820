/**
 * The options page's budgets (a module of its own on options.html): the whole wallet's monthly
 * budget, every site with a budget or paid this month, each budget to change or remove, and a form
 * to give another site one. Amounts are money as the page shows it (`formatMoney`), read back by
 * budget-form.ts; the worker checks every change again and answers with the new overview.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import browser from 'webextension-polyfill';
import { send, type Message } from '../messages.ts';
import { spendingText } from '../popup/budgets.ts';
import { siteName } from '../ui/site.ts';
import { WALLET_BUDGET, type BudgetsOverview, type SiteSpending } from '../wallet/budgets.ts';
import { BudgetFieldError, readBudgetFields, siteOrigin } from './budget-form.ts';

const transport = (m: Message) => browser.runtime.sendMessage(m);
const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Says what happened (`Saved`, `Removed`) or what is wrong, next to the budgets. */
function say(message: string, error = false): void {
  byId('budget-status').textContent = error ? '' : message;
  byId('budget-error').textContent = error ? message : '';
}

function periodSelect(name: string, period: string): HTMLSelectElement {
  const select = el('select', { class: 'budget-period', 'aria-label': `Period of the budget for ${name}` });
  for (const [value, text] of [
    ['day', 'day'],
    ['month', 'month'],
  ] as const)
    select.append(el('option', { value, ...(value === period ? { selected: '' } : {}) }, text));
  return select;
}

function siteRow(s: SiteSpending): HTMLTableRowElement {
  const name = siteName(s.site);
  const tr = el('tr');
  tr.dataset.site = s.site;
  tr.dataset.spent = String(s.spent);
  if (s.budget) {
    tr.dataset.limit = String(s.budget.limit);
    tr.dataset.period = s.budget.period;
  }
  const site = el('td', { class: 'site', title: s.site });
  site.append(el('span', { class: 'name' }, name), el('span', { class: 'spent' }, spendingText(s)));
  const limit = el('td');
  limit.append(
    el('input', {
      class: 'budget-limit',
      type: 'text',
      inputmode: 'decimal',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-label': `Budget for ${name}`,
      placeholder: 'no budget',
      value: s.budget ? formatMoney(s.budget.limit) : '',
    }),
  );
  const period = el('td');
  period.append(periodSelect(name, s.budget?.period ?? 'month'));
  const actions = el('td', { class: 'budget-actions' });
  actions.append(el('button', { type: 'button', 'data-action': 'save' }, s.budget ? 'Save' : 'Set'));
  if (s.budget) actions.append(el('button', { type: 'button', 'data-action': 'remove', class: 'secondary' }, 'Remove'));
  tr.append(site, limit, period, actions);
  return tr;
}

/** Draws the overview: the wallet's budget and the table of sites. */
function show(o: BudgetsOverview): void {
  const wallet = byId<HTMLInputElement>('wallet-budget-limit');
  wallet.value = o.wallet.limit !== undefined ? formatMoney(o.wallet.limit) : '';
  byId('wallet-budget-spent').textContent =
    o.wallet.limit !== undefined
      ? `${formatMoney(o.wallet.spent)} of ${formatMoney(o.wallet.limit)} spent this month.`
      : `${formatMoney(o.wallet.spent)} spent this month; no budget for the whole wallet.`;
  byId('wallet-budget-remove').hidden = o.wallet.limit === undefined;
  byId('budgets-list').replaceChildren(...o.sites.map(siteRow));
  byId('budgets-table').hidden = o.sites.length === 0;
  byId('no-budgets').hidden = o.sites.length > 0;
  byId('budgets-card').dataset.loaded = 'true';
}

/** Sends a change and draws the answer; a refused change says why. */
async function change(run: () => Promise<BudgetsOverview>, done: string): Promise<void> {
  try {
    show(await run());
    say(done);
  } catch (e) {
    say((e as Error).message, true);
  }
}

const setBudget = (site: string, amount: string, period: string) => {
  const fields = readBudgetFields(amount, period);
  return send(transport, 'budget-set', { site, ...fields });
};

byId('budgets-list').addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action]');
  const tr = button?.closest<HTMLTableRowElement>('tr[data-site]');
  if (!button || !tr) return;
  const site = tr.dataset.site!;
  if (button.dataset.action === 'remove')
    return void change(() => send(transport, 'budget-remove', { site }), `Removed the budget for ${siteName(site)}`);
  const amount = tr.querySelector<HTMLInputElement>('.budget-limit')!.value;
  const period = tr.querySelector<HTMLSelectElement>('.budget-period')!.value;
  void change(() => setBudget(site, amount, period), `Saved the budget for ${siteName(site)}`);
});

byId('wallet-budget-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const amount = byId<HTMLInputElement>('wallet-budget-limit').value;
  void change(
    () => (amount.trim() ? setBudget(WALLET_BUDGET, amount, 'month') : send(transport, 'budget-remove', { site: WALLET_BUDGET })),
    'Saved the budget for the whole wallet',
  );
});

byId('wallet-budget-remove').addEventListener('click', () => {
  void change(() => send(transport, 'budget-remove', { site: WALLET_BUDGET }), 'Removed the budget for the whole wallet');
});

byId('budget-add').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  let site: string;
  try {
    site = siteOrigin(byId<HTMLInputElement>('budget-site').value);
  } catch (e) {
    return say((e as BudgetFieldError).message, true);
  }
  void change(
    async () => {
      const o = await setBudget(site, byId<HTMLInputElement>('budget-limit').value, byId<HTMLSelectElement>('budget-period').value);
      form.reset();
      return o;
    },
    `Saved the budget for ${siteName(site)}`,
  );
});

send(transport, 'budgets-overview', {}).then(show, (e: Error) => say(`The budgets could not be read: ${e.message}`, true));
