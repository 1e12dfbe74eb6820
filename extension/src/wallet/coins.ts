/**
 * Making vendor-specific coins from stored sets: pure and synchronous, so it can run inside an
 * IndexedDB transaction without letting it commit early.
 * @module
 */
import { buildCoin, coinStarts, fromHex, type EpochParams, type SuperbinSet } from '@micromint/shared';
import type { BallRecord, SetRecord } from './schema.ts';

/** A stored set with all its balls. */
export interface StoredSet {
  record: SetRecord;
  balls: BallRecord[];
  /** Its later superbins as `buildCoin` wants them (index: role), when made before: `balls` then need only the first superbin's. */
  later?: readonly Map<number, Uint8Array>[];
}

/** A coin the wallet can pay with, and the first ball that identifies it. */
export interface CoinCandidate {
  id: string;
  coin: Uint8Array;
  first: BallRecord;
  userId: string;
}

/** True for a first-superbin ball that may still become a coin. */
export const isSpendable = (b: BallRecord): boolean => b.role === 0 && b.state === 'unspent' && !b.flag;

/**
 * The set as `buildCoin` wants it. The first superbin holds only spendable balls; later superbins
 * hold every ball, whatever coins they were part of before (they do not identify a coin).
 */
export function superbinSet(p: EpochParams, stored: StoredSet): SuperbinSet {
  const balls = Array.from({ length: p.k }, (_, role) => (role > 0 && stored.later?.[role]) || new Map<number, Uint8Array>());
  for (const b of stored.balls) {
    if (b.role === 0 ? !isSpendable(b) : stored.later) continue;
    balls[b.role]?.set(b.subbin, fromHex(b.x));
  }
  return { superbins: stored.record.superbins, balls };
}

/**
 * Up to `limit` coins for the vendor with offsets `vh`, from sets in the order given (oldest
 * superbin first keeps choices deterministic).
 * @example
 * const coins = coinsForVendor(params, vendorOffsets(params, vendorId), storedSets, price);
 */
export function coinsForVendor(p: EpochParams, vh: readonly number[], sets: readonly StoredSet[], limit = Infinity): CoinCandidate[] {
  const out: CoinCandidate[] = [];
  for (const stored of sets) {
    if (out.length >= limit) break;
    const set = superbinSet(p, stored);
    const firstBySubbin = new Map(stored.balls.filter(isSpendable).map((b) => [b.subbin, b]));
    for (const s1 of coinStarts(p, set, vh)) {
      if (out.length >= limit) break;
      const coin = buildCoin(p, set, vh, s1)!;
      const first = firstBySubbin.get(s1)!;
      out.push({ id: first.x, coin, first, userId: stored.record.userId });
    }
  }
  return out;
}

/** Spendable first balls of `sets`: an upper bound on coins for any vendor. */
export const heldCoins = (sets: readonly StoredSet[]): number => sets.reduce((n, s) => n + s.balls.filter(isSpendable).length, 0);
