/**
 * The handlers of the budget messages (`budgets-overview`, `budget-set`, `budget-remove`), built in
 * one place so the worker's entry wires them with one line:
 *
 *     const handlers: Handlers = { ..., ...budgetHandlers(db) };
 *
 * Only the extension's own pages send them (the router checks): a site can never set its own budget.
 * Each answers with the overview as it stands after the change, for the page to draw.
 * @module
 */
import { budgetsOverview, readBudgetChange, removeBudget, setBudget, type WalletDb } from '../wallet/index.ts';
import type { Handlers } from './router.ts';

/** The budget messages. */
export type BudgetMessageType = 'budgets-overview' | 'budget-set' | 'budget-remove';

/**
 * The budget messages' handlers over the wallet `db`.
 * @example
 * const handlers: Handlers = { ...coreHandlers, ...budgetHandlers(db) };
 */
export function budgetHandlers(db: WalletDb, now: () => number = Date.now): Pick<Handlers, BudgetMessageType> {
  return {
    'budgets-overview': () => budgetsOverview(db, now()),
    'budget-set': async (body) => {
      const change = readBudgetChange(body);
      await setBudget(db, change.site, change, now());
      return budgetsOverview(db, now());
    },
    'budget-remove': async (body) => {
      await removeBudget(db, body.site);
      return budgetsOverview(db, now());
    },
  };
}
