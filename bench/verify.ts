/** Coin verifications per second: the vendor's k-hash check with cached offsets (noble SHA-256). */
import { buildCoin, coinStarts, coinVerifier, PARAMETER_SETS, vendorOffsets, type EpochParams } from '@micromint/shared';
import { setFromSlots, type Slots } from '@micromint/shared/testing';

export { mintSlots } from '@micromint/shared/testing';

/** Every coin for `vendorId` that the sets starting at `firsts` give `userId`. */
export function coinsFor(p: EpochParams, slots: Slots, userId: string, vendorId: string, sets: number): Uint8Array[] {
  const vh = vendorOffsets(p, vendorId);
  const coins: Uint8Array[] = [];
  const used = new Set<number>();
  for (let first = 0; first < 2 ** p.u && sets > 0; first++) {
    const set = setFromSlots(p, slots, userId, first);
    if (set.superbins.some((sb) => used.has(sb))) continue;
    set.superbins.forEach((sb) => used.add(sb));
    sets--;
    for (const s1 of coinStarts(p, set, vh)) coins.push(buildCoin(p, set, vh, s1)!);
  }
  return coins;
}

export function benchEpoch(shape: { t: number; u: number; v: number; k: number } = PARAMETER_SETS.test): EpochParams {
  return { id: 'bench-1', key: new Uint8Array(32).fill(3), ...shape, fixed: 0, expiresAt: '2100-01-01T00:00:00.000Z' };
}

/** Verifications per second over `coins` for `seconds`. */
export function verificationsPerSecond(p: EpochParams, coins: Uint8Array[], userId: string, vendorId: string, seconds = 2): number {
  const check = coinVerifier(p, vendorId);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++, n++) if (!check(coins[n % coins.length]!, userId).ok) throw new Error('a bench coin failed to verify');
  }
  return n / ((performance.now() - start) / 1000);
}
