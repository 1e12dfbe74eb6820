/**
 * The thesis's autopay threshold: "the maximum number of coins which can be spent in a single
 * transaction without user intervention". Prices, funds and the threshold are all in mills
 * (1 coin = 1 mill), so the same threshold holds whether coins or PayWord links pay.
 * @module
 */
import type { Funds } from '../wallet/index.ts';

/** What to do about a price. */
export type Decision = { kind: 'autopay' } | { kind: 'confirm' } | { kind: 'insufficient'; held: number; makeable: number };

/**
 * Pays silently when `price <= threshold`, asks above it, and says so when the wallet cannot pay
 * this vendor that much (asking would be pointless).
 * @example
 * decide(3, 5, { held: 100, makeable: 80 }); // { kind: 'autopay' }
 * decide(6, 5, { held: 100, makeable: 80 }); // { kind: 'confirm' }
 */
export function decide(price: number, threshold: number, funds: Funds): Decision {
  if (funds.makeable < price) return { kind: 'insufficient', held: funds.held, makeable: funds.makeable };
  return price <= threshold ? { kind: 'autopay' } : { kind: 'confirm' };
}
