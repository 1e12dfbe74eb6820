/**
 * The options page's budget fields, read without the DOM: a site as the reader types it (an
 * address, or just its host) becomes its origin, an amount is money as the page shows it
 * (`parseMoney`: `1¢`, `$0.50`, `0.5`), and the period is a day or a month. The worker checks the
 * same again (budgets.ts).
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { MAX_BUDGET_MILLS } from '../wallet/budgets.ts';
import type { BudgetPeriod } from '../wallet/schema.ts';
import { parseMoney } from './fields.ts';

/** A budget field the page cannot save, naming it: `site`, `limit` or `period`. */
export class BudgetFieldError extends RangeError {
  override name = 'BudgetFieldError';
  constructor(
    readonly field: 'site' | 'limit' | 'period',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The origin of a site as typed: `news.example`, `https://news.example/a/page`, `127.0.0.1:4001`.
 * A host without a scheme is taken as https, except loopback (http).
 * @throws BudgetFieldError (`site`) for anything that is not an http(s) site
 * @example
 * siteOrigin('news.example/articles'); // 'https://news.example'
 */
export function siteOrigin(text: string): string {
  const t = text.trim();
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i.test(t);
  let url: URL | undefined;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `${loopback ? 'http' : 'https'}://${t}`);
  } catch {
    url = undefined;
  }
  if (!t || !url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname)
    throw new BudgetFieldError('site', 'type a site, such as news.example or https://news.example');
  return url.origin;
}

/**
 * A budget's amount and period as typed.
 * @throws BudgetFieldError (`limit` or `period`)
 * @example
 * readBudgetFields('50¢', 'month'); // { period: 'month', limit: 500 }
 */
export function readBudgetFields(amount: string, period: string): { period: BudgetPeriod; limit: number } {
  const limit = parseMoney(amount);
  if (limit === undefined || limit > MAX_BUDGET_MILLS)
    throw new BudgetFieldError(
      'limit',
      `a budget is an amount from ${formatMoney(0)} to ${formatMoney(MAX_BUDGET_MILLS)}, in steps of ${formatMoney(1)}, such as 50¢ or $2.00`,
    );
  if (period !== 'day' && period !== 'month') throw new BudgetFieldError('period', 'a budget runs for a day or a month');
  return { period, limit };
}
