/** Coin verifications per second: the vendor's k-hash check with cached offsets (noble SHA-256). */
import { hash } from 'node:crypto';
import {
  ballPreimage, buildCoin, coinStarts, coinVerifier, PARAMETER_SETS, setBall, setSuperbins, slotOfDigest,
  vendorOffsets, type EpochParams, type SuperbinSet,
} from '@micromint/shared';

/** A quick in-process mint for benchmarks: slot -> first ball. */
export function quickMint(p: EpochParams): Map<number, Uint8Array> {
  const slots = new Map<number, Uint8Array>();
  const pre = ballPreimage(p.key);
  const x = new Uint8Array(16);
  const view = new DataView(x.buffer);
  const budget = Math.ceil(2.303 * 2 ** (p.t + p.u + p.v));
  for (let i = 0; i < budget; i++) {
    view.setUint32(12, i);
    setBall(pre, x);
    const s = slotOfDigest(p, new Uint8Array(hash('sha256', pre, 'buffer')));
    const slot = s.superbin * 2 ** p.v + s.subbin;
    if (s.fixedOk && !slots.has(slot)) slots.set(slot, x.slice());
  }
  return slots;
}

/** Every coin for `vendorId` that the sets starting at `firsts` give `userId`. */
export function coinsFor(p: EpochParams, slots: Map<number, Uint8Array>, userId: string, vendorId: string, sets: number): Uint8Array[] {
  const vh = vendorOffsets(p, vendorId);
  const coins: Uint8Array[] = [];
  const used = new Set<number>();
  for (let first = 0; first < 2 ** p.u && sets > 0; first++) {
    const superbins = setSuperbins(p, userId, first);
    if (superbins.some((sb) => used.has(sb))) continue;
    superbins.forEach((sb) => used.add(sb));
    sets--;
    const set: SuperbinSet = {
      superbins,
      balls: superbins.map((sb) => {
        const bin = new Map<number, Uint8Array>();
        for (let s = 0; s < 2 ** p.v; s++) {
          const b = slots.get(sb * 2 ** p.v + s);
          if (b) bin.set(s, b);
        }
        return bin;
      }),
    };
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
