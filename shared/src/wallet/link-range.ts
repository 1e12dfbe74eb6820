/**
 * The range of links a payment reveals, and how far a vendor's refusal moves a chain
 * (docs/protocol.md 12.6). A revealed link gives away every link below it, so a range, once it left
 * the wallet, is never revealed for another request: paying moves the chain's next index past it,
 * and a refusal only ever moves it further up, within the chain.
 * @module
 */
import type { ChainStatus, WalletChain } from './chain-record.ts';

/** A range of links: `units` links ending at index `index` of chain `chainId`. */
export interface LinkRange {
  chainId: string;
  index: number;
  units: number;
}

/** What paying `units` links of a chain does to it. */
export interface Reservation {
  /** j = next - 1 + units: the link revealed. */
  index: number;
  /** The chain's next index after the payment: j + 1. */
  next: number;
  /** `exhausted` once j reaches the chain's length. */
  status: 'open' | 'exhausted';
}

/**
 * The link a payment of `units` reveals and the chain's next index and status after it.
 * @example
 * reserveLinks({ next: 4, length: 5 }, 2); // { index: 5, next: 6, status: 'exhausted' }
 */
export function reserveLinks(chain: Pick<WalletChain, 'next' | 'length'>, units: number): Reservation {
  const index = chain.next - 1 + units;
  return { index, next: index + 1, status: index >= chain.length ? 'exhausted' : 'open' };
}

/**
 * A range as the wallets' history shows it.
 * @example
 * linkRangeText({ chainId: '0123456789abcdef0123456789abcdef', index: 5, units: 2 }); // 'links 4..5 of chain 0123456789ab…'
 */
export const linkRangeText = (r: LinkRange): string => `links ${r.index - r.units + 1}..${r.index} of chain ${r.chainId.slice(0, 12)}…`;

/** The status a chain-ending refusal leaves a chain in. */
export type EndingStatus = Extract<ChainStatus, 'expired' | 'closed'>;

/**
 * Refusals after which a chain cannot pay this vendor again: its commitment, key, broker or vendor
 * are not the vendor's, the vendor counts too many gaps, its link does not verify, it was released,
 * or it expired. `expired` makes it `expired`, the others `closed`.
 */
export const CHAIN_ENDING_REFUSALS: ReadonlyMap<string, EndingStatus> = new Map<string, EndingStatus>([
  ['expired', 'expired'],
  ['bad-commitment', 'closed'],
  ['bad-authorization', 'closed'],
  ['wrong-vendor', 'closed'],
  ['wrong-vendor-key', 'closed'],
  ['wrong-network', 'closed'],
  ['index-out-of-range', 'closed'],
  ['bad-link', 'closed'],
  ['too-many-gaps', 'closed'],
  ['chain-closed', 'closed'],
]);

/**
 * The chain's next index after `already-spent` of the range ending at `index`: above j and above
 * the vendor's `highestIndex` (when it is a sane count), never beyond length + 1, never down.
 * @example
 * nextAfterSpent({ next: 3, length: 100 }, 2, 9); // 10
 */
export function nextAfterSpent(chain: Pick<WalletChain, 'next' | 'length'>, index: number, highestIndex: number | undefined): number {
  const held =
    highestIndex !== undefined && Number.isSafeInteger(highestIndex) && highestIndex > 0 ? Math.min(highestIndex, chain.length) : 0;
  return Math.min(chain.length + 1, Math.max(chain.next, index + 1, held + 1));
}

/** A vendor's refusal of a link payment, with what its `extensions.payword` said of the chain. */
export interface LinkRefusal {
  error: string;
  /** The chain the refusal is about, when it names one. */
  chainId?: string | undefined;
  /** The highest index the vendor holds of the chain. */
  highestIndex?: number | undefined;
}

/** What a refusal changes in a chain record. */
export interface ChainChange {
  next?: number;
  status?: ChainStatus;
  /** Set with an ending `status`: the refusal that ended the chain. */
  error?: string;
  /** The vendor does not know the chain: the next payments carry the commitment again. */
  sentCommitment?: false;
}

/**
 * What a refusal of the payment revealing `range` does to its chain, or undefined when nothing
 * changes (the range stays used whatever the answer): `already-spent` moves the next index above j
 * and the vendor's highest index (`exhausted` past the end), a chain-ending refusal ends it
 * ({@link CHAIN_ENDING_REFUSALS}), `unknown-chain` sends the commitment again. A refusal naming
 * another chain changes nothing.
 * @example
 * chainAfterRefusal(chain, { chainId: chain.id, index: 2, units: 1 }, { error: 'already-spent', highestIndex: 9 }); // { next: 10 }
 */
export function chainAfterRefusal(
  chain: Pick<WalletChain, 'next' | 'length' | 'status' | 'sentCommitment'>,
  range: Pick<LinkRange, 'chainId' | 'index'>,
  refusal: LinkRefusal,
): ChainChange | undefined {
  if (refusal.chainId !== undefined && refusal.chainId !== range.chainId) return undefined;
  let change: ChainChange = {};
  if (refusal.error === 'already-spent') {
    const next = nextAfterSpent(chain, range.index, refusal.highestIndex);
    if (next !== chain.next) change = { next, ...(next > chain.length && chain.status === 'open' ? { status: 'exhausted' as const } : {}) };
  }
  const ending = CHAIN_ENDING_REFUSALS.get(refusal.error);
  if (ending && chain.status !== ending) change = { ...change, status: ending, error: refusal.error };
  if (refusal.error === 'unknown-chain' && chain.sentCommitment) change = { ...change, sentCommitment: false };
  return Object.keys(change).length > 0 ? change : undefined;
}
