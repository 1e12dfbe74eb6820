/**
 * What a vendor keeps of a PayWord chain, and the one rule both stores apply to it (as
 * `classifyPayment` is for coins): which index ranges are claimed, the highest link held, and
 * whether a new payment's range and link fit.
 *
 * A vendor keeps one link per chain, the highest, w_M. Payments claim ranges j - l + 1 .. j. Two
 * tabs paying at once may arrive in either order, so a range below M may come late; the indices
 * below M that no payment claimed are kept as at most {@link MAX_GAPS} runs ("gaps"). A payment
 * is new money exactly when its whole range is unclaimed: above M, or inside one gap. That needs
 * no list of every payment, so a check costs the same for the first link and the 100,000th.
 *
 * The hashing is shared's (`linkMatches`, `hashForward`); only the bookkeeping is here.
 * @module
 */
import { equalBytes, hashForward, linkMatches } from '@micromint/shared';

/** Most unclaimed runs of indices that may remain below a chain's highest index (`too-many-gaps` beyond). */
export const MAX_GAPS = 16;

/** Indices `[first, last]` of a chain, both included. */
export type IndexRange = readonly [first: number, last: number];

/** A chain's state at the vendor. */
export interface ChainLedger {
  /** M: the highest index a payment claimed (0 before the first). */
  highestIndex: number;
  /** w_M (the root w_0 before the first payment). */
  highestLink: Uint8Array;
  /** Unclaimed runs of indices below M, lowest first, disjoint and not adjacent. */
  gaps: IndexRange[];
}

/** A payment's claim: the range j - l + 1 .. j and the link w_j it reveals. */
export interface RangeClaim {
  first: number;
  last: number;
  link: Uint8Array;
}

/** A recorded payment of the chain that ends at the same index as a new one (its possible retry). */
export interface RecordedRange {
  paymentId: string;
  first: number;
  method: string;
  url: string;
  mac: Uint8Array;
  paidAt: string;
}

/** The ledger of a chain no payment has touched yet. */
export const freshLedger = (root: Uint8Array): ChainLedger => ({ highestIndex: 0, highestLink: root.slice(), gaps: [] });

/**
 * The payment rule of section 12.6 step 8, in its order: a retry (the same range, method, URL and
 * MAC as the recorded payment `prior` ending at j), else `already-spent` (a claimed index), else
 * `bad-link` (w_j does not hash to w_M, nor w_M to w_j), else `too-many-gaps`, else the ledger
 * after the payment.
 * @param prior the recorded payment of the chain whose range ends at `claim.last`, if any.
 */
export function classifyPayword(
  ledger: ChainLedger,
  salt: Uint8Array,
  claim: RangeClaim & { method: string; url: string; mac: Uint8Array },
  prior: RecordedRange | undefined,
):
  | { status: 'replay'; paymentId: string; paidAt: string }
  | { status: 'refused'; reason: 'already-spent' | 'bad-link' | 'too-many-gaps' }
  | { status: 'new'; ledger: ChainLedger } {
  if (prior && isRetryOf(prior, claim)) return { status: 'replay', paymentId: prior.paymentId, paidAt: prior.paidAt };
  const admitted = admitRange(ledger, salt, claim);
  return 'reason' in admitted ? { status: 'refused', reason: admitted.reason } : { status: 'new', ledger: admitted };
}

/**
 * True when a payment repeats the recorded one ending at the same index: the same first index,
 * method, URL and MAC (the MAC binds chain, index, units and link, so the rest follows).
 */
export const isRetryOf = (prior: RecordedRange, claim: { first: number; method: string; url: string; mac: Uint8Array }): boolean =>
  prior.first === claim.first && prior.method === claim.method && prior.url === claim.url && equalBytes(prior.mac, claim.mac);

/** The ledger after `claim`, or why it does not fit (steps 8.2 to 8.4). */
export function admitRange(
  ledger: ChainLedger,
  salt: Uint8Array,
  claim: RangeClaim,
): ChainLedger | { reason: 'already-spent' | 'bad-link' | 'too-many-gaps' } {
  const m = ledger.highestIndex;
  // Every claimed index is at or below M and outside the gaps; M itself is always claimed (or 0).
  const gap = claim.first <= m ? ledger.gaps.find(([a, b]) => a <= claim.first && claim.last <= b) : undefined;
  if (claim.first <= m && !gap) return { reason: 'already-spent' };
  if (!linkMatches(salt, claim.link, claim.last, { index: m, link: ledger.highestLink })) return { reason: 'bad-link' };
  let gaps: IndexRange[];
  if (gap) {
    gaps = ledger.gaps.flatMap((g): IndexRange[] => {
      if (g !== gap) return [g];
      const pieces: IndexRange[] = [];
      if (g[0] < claim.first) pieces.push([g[0], claim.first - 1]);
      if (claim.last < g[1]) pieces.push([claim.last + 1, g[1]]);
      return pieces;
    });
  } else gaps = claim.first > m + 1 ? [...ledger.gaps, [m + 1, claim.first - 1]] : [...ledger.gaps];
  if (gaps.length > MAX_GAPS) return { reason: 'too-many-gaps' };
  return claim.last > m ? { highestIndex: claim.last, highestLink: claim.link.slice(), gaps } : { ...ledger, gaps };
}

/**
 * The ledger after taking back the payment of `range` (its content was not served), or undefined
 * when it must stay: part of it is at or below `floor` (the highest index cleared at the broker,
 * or carried by a clearing batch in flight: those units may be paid already), or giving it back
 * would leave more than {@link MAX_GAPS} gaps. A range that reaches M lowers M to the highest
 * claimed index left, so that no clearing is ever paid for it; its link there is hashed down from
 * w_M (a lower link is never secret).
 */
export function releaseRange(ledger: ChainLedger, salt: Uint8Array, range: IndexRange, floor: number): ChainLedger | undefined {
  const [first, last] = range;
  if (first <= floor || last > ledger.highestIndex) return undefined;
  const merged: [number, number][] = [];
  for (const [a, b] of [...ledger.gaps, range].sort((x, y) => x[0] - y[0])) {
    const top = merged.at(-1);
    if (top && a <= top[1] + 1) top[1] = Math.max(top[1], b);
    else merged.push([a, b]);
  }
  const top = merged.at(-1)!;
  if (top[1] < ledger.highestIndex) return merged.length > MAX_GAPS ? undefined : { ...ledger, gaps: merged };
  // The highest index is unclaimed now: M goes down to the claimed index below the top gap,
  // which is never under the floor (the floor's own payment can never be taken back).
  const highestIndex = top[0] - 1;
  if (highestIndex < floor) return undefined;
  const gaps = merged.slice(0, -1);
  if (gaps.length > MAX_GAPS) return undefined;
  return { highestIndex, highestLink: hashForward(salt, ledger.highestLink, ledger.highestIndex - highestIndex), gaps };
}

/** The gaps of a ledger as stored: `[[first, last], ...]`. */
export const gapsToJson = (gaps: readonly IndexRange[]): string => JSON.stringify(gaps);

/** Gaps read back from {@link gapsToJson}. */
export function gapsFromJson(json: string): IndexRange[] {
  const value = JSON.parse(json) as unknown;
  if (!Array.isArray(value) || !value.every((g) => Array.isArray(g) && g.length === 2 && g.every(Number.isSafeInteger)))
    throw new RangeError('stored gaps are not a list of index ranges');
  return value as IndexRange[];
}
