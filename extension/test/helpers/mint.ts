/**
 * Test fixtures: a tiny in-process broker that mints the `test` parameter set with Node's native
 * SHA-256, sells non-overlapping superbin sets and writes Funds-Withdrawn messages.
 */
import { hash } from 'node:crypto';
import {
  ballPreimage,
  encodeFundsWithdrawn,
  micromintRequirements,
  PARAMETER_SETS,
  setBall,
  setSuperbins,
  slotOfDigest,
  type EpochParams,
  type SuperbinSet,
} from '@micromint/shared';

export const BROKER = 'http://127.0.0.1:4000';
export const USER = 'u_0123456789abcdef';
export const VENDOR = 'http://127.0.0.1:4001';

/** A `test`-shaped epoch (t4 u8 v6 k4) that expires far in the future. */
export function testEpoch(overrides: Partial<EpochParams> = {}): EpochParams {
  return {
    id: 'test-1',
    key: new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff),
    ...PARAMETER_SETS.test,
    fixed: 5,
    expiresAt: '2100-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/**
 * Mints the given superbins: hashes 2.3 * 2^(t+u+v) counter balls (about 90% of the slots filled)
 * and keeps the first ball of each slot that lands in one of them.
 */
export function mintSuperbins(p: EpochParams, superbins: Iterable<number>, salt = 0): Map<number, Map<number, Uint8Array>> {
  const wanted = new Map<number, Map<number, Uint8Array>>();
  for (const sb of superbins) wanted.set(sb, new Map());
  const pre = ballPreimage(p.key);
  const x = new Uint8Array(16);
  const view = new DataView(x.buffer);
  view.setUint32(0, salt);
  const budget = Math.ceil(2.3 * 2 ** (p.t + p.u + p.v));
  for (let i = 0; i < budget; i++) {
    view.setUint32(12, i);
    setBall(pre, x);
    const s = slotOfDigest(p, new Uint8Array(hash('sha256', pre, 'buffer')));
    if (!s.fixedOk) continue;
    const bin = wanted.get(s.superbin);
    if (bin && !bin.has(s.subbin)) bin.set(s.subbin, x.slice());
  }
  return wanted;
}

/** Picks `count` set starts whose superbins do not overlap each other or `taken`. */
export function pickFirsts(p: EpochParams, userId: string, count: number, taken = new Set<number>()): number[] {
  const firsts: number[] = [];
  for (let first = 0; first < 2 ** p.u && firsts.length < count; first += 7) {
    const sbs = setSuperbins(p, userId, first);
    if (sbs.some((sb) => taken.has(sb))) continue;
    sbs.forEach((sb) => taken.add(sb));
    firsts.push(first);
  }
  if (firsts.length < count) throw new Error('not enough free superbins');
  return firsts;
}

/** Sells sets starting at `firsts` to `userId`. */
export function sellSets(p: EpochParams, userId: string, firsts: number[]): SuperbinSet[] {
  const all = firsts.map((f) => setSuperbins(p, userId, f));
  const minted = mintSuperbins(p, all.flat());
  return all.map((superbins) => ({ superbins, balls: superbins.map((sb) => minted.get(sb)!) }));
}

/** A Funds-Withdrawn message for `sets`. */
export function fundsText(
  p: EpochParams,
  sets: SuperbinSet[],
  o: { withdrawalId?: string; userId?: string; broker?: string } = {},
): string {
  return encodeFundsWithdrawn({
    broker: o.broker ?? BROKER,
    withdrawalId: o.withdrawalId ?? 'w_1',
    userId: o.userId ?? USER,
    epoch: p,
    sets,
    coins: sets.reduce((n, s) => n + s.balls[0]!.size, 0),
  });
}

/** The requirement a vendor at `vendorId` puts in its challenge. */
export const requirementFor = (p: EpochParams, price: number, vendorId = VENDOR) =>
  micromintRequirements({ price, vendorId, broker: BROKER, epoch: p.id });

let dbCounter = 0;
/** A fresh database name per test (fake-indexeddb keeps databases for the whole process). */
export const freshDbName = (label: string): string => `wallet-${label}-${++dbCounter}-${Date.now()}`;
