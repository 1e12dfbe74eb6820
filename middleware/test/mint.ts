/**
 * A tiny in-process broker mint for tests: one `test`-params epoch, superbin sets and coins.
 */
import { hash, randomBytes, randomFillSync } from 'node:crypto';
import {
  ballPreimage,
  buildCoin,
  coinId,
  coinStarts,
  fixedBitsMatch,
  PARAMETER_SETS,
  setBall,
  setSuperbins,
  slotOfDigest,
  vendorOffsets,
  type EpochParams,
  type SuperbinSet,
} from '@micromint/shared';

/** A minted epoch: every ball by superbin, then sub-bin. */
export interface Mint {
  epoch: EpochParams;
  bins: Map<number, Map<number, Uint8Array>>;
  /**
   * First balls already handed out as coins, by any wallet: a first-superbin ball is one coin at
   * whichever vendor (and test users' sets may overlap), so two wallets must never reuse one.
   */
  used: Set<string>;
}

/** Tosses `balls` counted balls into a `test` epoch (t4 u8 v6 k4, 16384 slots): about 0.3 s for the default. */
export function mintEpoch(o: { id?: string; balls?: number; expiresAt?: string } = {}): Mint {
  const epoch: EpochParams = {
    id: o.id ?? 'test-1',
    key: new Uint8Array(randomBytes(32)),
    ...PARAMETER_SETS.test,
    fixed: 5,
    expiresAt: o.expiresAt ?? new Date(Date.now() + 30 * 86_400_000).toISOString(),
  };
  const target = o.balls ?? 20_000;
  const bins = new Map<number, Map<number, Uint8Array>>();
  const pre = ballPreimage(epoch.key);
  const pool = new Uint8Array(16 * 4096);
  let count = 0;
  while (count < target) {
    randomFillSync(pool);
    for (let at = 0; at < pool.length && count < target; at += 16) {
      const x = pool.subarray(at, at + 16);
      setBall(pre, x);
      const digest = hash('sha256', pre, 'buffer');
      if (!fixedBitsMatch(epoch, digest)) continue;
      // Counted as tossed: a ball landing in a full slot is dropped, as the broker keeps one per slot.
      count++;
      const slot = slotOfDigest(epoch, digest);
      let bin = bins.get(slot.superbin);
      if (!bin) bins.set(slot.superbin, (bin = new Map()));
      if (!bin.has(slot.subbin)) bin.set(slot.subbin, x.slice());
    }
  }
  return { epoch, bins, used: new Set() };
}

/** The set starting at superbin `first` for `userId`, with every minted ball in its superbins. */
export function setFor(mint: Mint, userId: string, first: number): SuperbinSet {
  const superbins = setSuperbins(mint.epoch, userId, first);
  return { superbins, balls: superbins.map((sb) => new Map(mint.bins.get(sb) ?? [])) };
}

/** Hands out fresh coins for one user and vendor: never a coin id any wallet of the mint gave out. */
export class Wallet {
  private first = 0;
  private queue: Uint8Array[] = [];

  constructor(
    readonly mint: Mint,
    readonly userId: string,
    readonly vendorId: string,
  ) {}

  /** `n` coins no earlier `take` returned. */
  take(n: number): Uint8Array[] {
    const vh = vendorOffsets(this.mint.epoch, this.vendorId);
    while (this.queue.length < n) {
      if (this.first >= 2 ** this.mint.epoch.u) throw new Error('the test mint ran out of coins');
      const set = setFor(this.mint, this.userId, this.first++);
      for (const s1 of coinStarts(this.mint.epoch, set, vh)) {
        const coin = buildCoin(this.mint.epoch, set, vh, s1)!;
        const id = coinId(coin);
        if (this.mint.used.has(id)) continue;
        this.mint.used.add(id);
        this.queue.push(coin);
      }
    }
    return this.queue.splice(0, n);
  }
}

/** A test user id in the broker's format. */
export const userId = (n: number): string => `u_${n.toString(16).padStart(16, '0')}`;
