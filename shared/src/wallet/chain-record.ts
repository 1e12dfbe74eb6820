/**
 * A wallet's PayWord chain as both wallets keep it (docs/protocol.md 12.7), and the rules that read
 * such records: which status a chain has now, what it still holds, and which one pays a vendor.
 * Storage (IndexedDB in the extension, SQLite in the client) stays with each wallet; these
 * functions only look at records.
 * @module
 */
import type { IndexedLink } from '../payword/chain.ts';

/**
 * Where a chain stands.
 * - `opening`: committed and sent to the broker, no authorization in hand yet (the same request
 *   is sent again after a lost answer, and the broker answers it with the stored authorization);
 * - `open`: authorized, links left;
 * - `exhausted`: every link revealed;
 * - `expired`: past `expiresAt` (the broker gives the rest back after its grace);
 * - `closed`: the vendor will not take it any more (its key changed, too many gaps, ...).
 */
export type ChainStatus = 'opening' | 'open' | 'exhausted' | 'expired' | 'closed';

/**
 * A chain the wallet made: its commitment and the broker's authorization, what any link is
 * recomputed from, and the next index. `next` only ever grows, and it moves in the transaction
 * that writes the payment revealing the links below it, so a link is revealed for one request only.
 * A wallet may keep more (the extension keeps the seed, root and chain secret for its backups).
 */
export interface WalletChain {
  /** The chain id, 32 hex digits. */
  id: string;
  /** The broker's URL exactly as the commitment names it (the offer's `extra.broker`). */
  broker: string;
  userId: string;
  vendorId: string;
  /** The vendor's X25519 key the chain is committed to, base64, as offered. */
  vendorKey: string;
  /** Mills per link. */
  value: number;
  length: number;
  /** Unix seconds; no link is accepted after it. */
  expiresAt: number;
  salt: Uint8Array;
  /** Links from which any link is recomputed (`buildChain`), highest index first. */
  checkpoints: IndexedLink[];
  /** The MAC key agreed with the vendor's key, kept so a payment needs no key agreement. */
  macKey: Uint8Array;
  /** The exact commitment bytes. */
  commitment: Uint8Array;
  /** The wallet key's request signature over the commitment: sent again, byte for byte, while `opening`. */
  request: Uint8Array;
  /** The broker's Ed25519 authorization; set once `open`. */
  authorization?: Uint8Array;
  /** The lowest index not revealed yet (1 at first): paying l units reveals j = next - 1 + l. */
  next: number;
  status: ChainStatus;
  /** A payment carrying the commitment was paid: the vendor knows the chain, later payments leave it out. */
  sentCommitment: boolean;
  /** Why the chain was closed (a vendor's refusal or the broker's error). */
  error?: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * A chain is not used for a payment when it expires within this many seconds: the payment could
 * arrive after `expiresAt` (clocks differ, a page may be slow) and be refused as `expired`, which
 * burns its range.
 */
export const CHAIN_EXPIRY_MARGIN_SECONDS = 60;

/**
 * Whole Unix seconds of a time in milliseconds.
 * @example
 * unixSeconds(1_700_000_000_999); // 1700000000
 */
export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * Links of a chain not revealed yet.
 * @example
 * linksLeft({ length: 100, next: 91 }); // 10
 */
export const linksLeft = (c: Pick<WalletChain, 'length' | 'next'>): number => Math.max(0, c.length - c.next + 1);

/**
 * A chain's status at `now` (ms): an open or opening chain past its expiry is `expired`, an open
 * one with no link left `exhausted`, whatever its record says (records catch up when next written).
 * @example
 * statusAt({ status: 'open', expiresAt: 100, length: 5, next: 2 }, 100_000); // 'expired'
 */
export function statusAt(c: Pick<WalletChain, 'status' | 'expiresAt' | 'length' | 'next'>, now: number): ChainStatus {
  if (c.status !== 'open' && c.status !== 'opening') return c.status;
  if (unixSeconds(now) >= c.expiresAt) return 'expired';
  return c.status === 'open' && linksLeft(c) === 0 ? 'exhausted' : c.status;
}

/**
 * Mills a chain may still hold for the reader at the broker: its links not revealed, while it is
 * open or being opened (the broker may have held it already). Other chains count nothing: their
 * rest comes back at the broker after its grace.
 * @example
 * chainHeldMills({ status: 'open', expiresAt: 2e9, length: 100, next: 41, value: 2 }, Date.now()); // 120
 */
export function chainHeldMills(c: Pick<WalletChain, 'status' | 'expiresAt' | 'length' | 'next' | 'value'>, now: number): number {
  const s = statusAt(c, now);
  return s === 'open' || s === 'opening' ? linksLeft(c) * c.value : 0;
}

/** What a payment needs of a chain: the vendor's terms and the links it costs. */
export interface ChainWant {
  /** The broker's URL (`extra.broker`). */
  broker: string;
  vendorId: string;
  /** The vendor's X25519 key, base64, as the offer names it. */
  vendorKey: string;
  /** Mills per link (`extra.linkValue`). */
  value: number;
  /** Links this price costs. */
  units: number;
}

/** What {@link chainFits}, {@link usableChain} and {@link openingChain} read of a chain. */
export type ChainFitFields = Pick<
  WalletChain,
  'broker' | 'vendorId' | 'vendorKey' | 'value' | 'length' | 'next' | 'status' | 'expiresAt' | 'authorization' | 'createdAt'
>;

const sameTerms = (c: ChainFitFields, w: Omit<ChainWant, 'units'>): boolean =>
  c.vendorId === w.vendorId && c.vendorKey === w.vendorKey && c.value === w.value && c.broker === w.broker;

const lastsPastMargin = (c: ChainFitFields, now: number): boolean => c.expiresAt - unixSeconds(now) > CHAIN_EXPIRY_MARGIN_SECONDS;

/**
 * True when chain `c` can pay `want` at `now`: open and authorized, the same vendor, key, value and
 * broker, enough links left, and not expiring within {@link CHAIN_EXPIRY_MARGIN_SECONDS}.
 * @example
 * if (chainFits(chain, { broker, vendorId, vendorKey, value: 1, units: 2 }, Date.now())) payWith(chain);
 */
export const chainFits = (c: ChainFitFields, want: ChainWant, now: number): boolean =>
  statusAt(c, now) === 'open' &&
  c.authorization !== undefined &&
  sameTerms(c, want) &&
  linksLeft(c) >= want.units &&
  lastsPastMargin(c, now);

/**
 * The chain to pay `want` with, or undefined: of the chains that fit, the one expiring first (its
 * links would come back last if left unused), then the one with fewest links left, then the oldest.
 * @example
 * const chain = usableChain(chainsOfVendor, { broker, vendorId, vendorKey, value: 1, units: 2 }, Date.now());
 */
export function usableChain<C extends ChainFitFields>(chains: readonly C[], want: ChainWant, now: number): C | undefined {
  return chains
    .filter((c) => chainFits(c, want, now))
    .sort((a, b) => a.expiresAt - b.expiresAt || linksLeft(a) - linksLeft(b) || a.createdAt - b.createdAt)[0];
}

/**
 * A chain being opened (`opening`) for these terms and not expiring within the margin: its request
 * is to be sent again rather than a new chain made.
 * @example
 * const pending = openingChain(chainsOfVendor, { broker, vendorId, vendorKey, value: 1 }, Date.now());
 */
export function openingChain<C extends ChainFitFields>(chains: readonly C[], want: Omit<ChainWant, 'units'>, now: number): C | undefined {
  return chains.find((c) => statusAt(c, now) === 'opening' && sameTerms(c, want) && lastsPastMargin(c, now));
}
