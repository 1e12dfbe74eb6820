/**
 * The arithmetic of a minting run: hash budget and the coins a filled epoch is expected to hold.
 * @module
 */

/** The shape of an epoch. */
export interface Shape {
  t: number;
  u: number;
  v: number;
  k: number;
}

/**
 * Hashes needed so that a fraction `fill` of the 2^(u+v) slots is expected to hold a ball:
 * ceil(-ln(1 - fill) * 2^(u+v) * 2^t) (each counted ball costs 2^t hashes; Poisson occupancy).
 * @example
 * hashBudget({ t: 4, u: 8, v: 6, k: 4 }, 0.9); // 603,617
 */
export function hashBudget(p: Shape, fill: number): number {
  if (typeof fill !== 'number' || !(fill > 0 && fill < 1)) throw new RangeError('fill must be between 0 and 1 (exclusive)');
  return Math.ceil(-Math.log(1 - fill) * 2 ** (p.u + p.v) * 2 ** p.t);
}

/** What a minted epoch can sell. */
export interface CoinEstimate {
  /** Disjoint k-superbin sets the epoch can hold at most (2^u / k). */
  sets: number;
  /** Balls in the first superbins of those sets: coins sold, each payable once at any vendor. */
  coins: number;
  /** Coins one set can pay at one given vendor: about 2^v * f^k. */
  vendorCoinsPerSet: number;
  /** The same over all sets: what one vendor could be paid if every set were spent there. */
  vendorCoins: number;
}

/**
 * Expected coins of an epoch of shape `p` whose slots are filled to fraction `filled`.
 * @example
 * estimateCoins({ t: 6, u: 10, v: 8, k: 4 }, 0.9).vendorCoins; // about 43,000
 */
export function estimateCoins(p: Shape, filled: number): CoinEstimate {
  const sets = Math.floor(2 ** p.u / p.k);
  const vendorCoinsPerSet = 2 ** p.v * filled ** p.k;
  return { sets, coins: Math.round(sets * 2 ** p.v * filled), vendorCoinsPerSet, vendorCoins: Math.round(sets * vendorCoinsPerSet) };
}
