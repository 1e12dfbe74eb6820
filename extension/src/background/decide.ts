/**
 * The thesis's autopay threshold: "the maximum number of coins which can be spent in a single
 * transaction without user intervention", and the reader's budgets on top of it. Prices, funds,
 * the threshold and budgets are all in mills (1 coin = 1 mill), so the same rules hold whether
 * coins or PayWord links pay.
 *
 * How they combine: a price is paid without asking only when it is at or under the threshold AND
 * every budget that covers it (the site's, the wallet's) still holds it. Past a budget, or above the
 * threshold, the reader is asked; a budget passed goes with the question (`over`), so the prompt can
 * offer to raise it.
 * @module
 */
import type { BudgetOver, Funds } from '../wallet/index.ts';

/** What to do about a price. `over`: the budget it would pass (the reason to ask, or one of them). */
export type Decision =
  { kind: 'autopay' } | { kind: 'confirm'; over?: BudgetOver } | { kind: 'insufficient'; held: number; makeable: number };

/**
 * Pays silently when `price <= threshold` and no budget is passed (`over` undefined), asks
 * otherwise, and says so when the wallet cannot pay this vendor that much (asking would be
 * pointless).
 * @example
 * decide(3, 5, { held: 100, makeable: 80 }); // { kind: 'autopay' }
 * decide(6, 5, { held: 100, makeable: 80 }); // { kind: 'confirm' }
 * decide(3, 5, { held: 100, makeable: 80 }, over); // { kind: 'confirm', over }
 */
export function decide(price: number, threshold: number, funds: Funds, over?: BudgetOver): Decision {
  if (funds.makeable < price) return { kind: 'insufficient', held: funds.held, makeable: funds.makeable };
  if (over) return { kind: 'confirm', over };
  return price <= threshold ? { kind: 'autopay' } : { kind: 'confirm' };
}
