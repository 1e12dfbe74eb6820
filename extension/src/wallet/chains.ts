/**
 * The wallet's PayWord chains as records: which one can pay a vendor, what they hold, and the
 * steps of opening one (recorded before the broker is asked, authorized, or dropped when the
 * broker refused it). Paying with a chain is `pay-link.ts`; what the vendor answered,
 * `settle-link.ts`.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import type { ChainRecord, ChainStatus } from './schema.ts';
import { abortQuietly } from './tx.ts';

/**
 * A chain is not used for a payment when it expires within this many seconds: the payment could
 * arrive after `expiresAt` (clocks differ, the page may be slow) and be refused as `expired`,
 * which burns its range.
 */
export const CHAIN_EXPIRY_MARGIN_SECONDS = 60;

/** Whole Unix seconds of a time in milliseconds. */
export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Links not revealed yet. */
export const linksLeft = (c: Pick<ChainRecord, 'length' | 'next'>): number => Math.max(0, c.length - c.next + 1);

/**
 * A chain's status at `now` (ms): an open chain past its expiry is `expired`, one with no link
 * left `exhausted`, whatever its record says (records are brought up to date when next written).
 */
export function statusAt(c: Pick<ChainRecord, 'status' | 'expiresAt' | 'length' | 'next'>, now: number): ChainStatus {
  if (c.status !== 'open' && c.status !== 'opening') return c.status;
  if (unixSeconds(now) >= c.expiresAt) return 'expired';
  if (c.status === 'open' && linksLeft(c) === 0) return 'exhausted';
  return c.status;
}

/**
 * Mills a chain may still hold at the broker for the reader: the links not revealed, while it is
 * open (or being opened: the broker may have held it already). Expired, exhausted and closed
 * chains count nothing: their rest comes back at the broker after its grace.
 */
export const chainHeldMills = (c: ChainRecord, now: number): number => {
  const s = statusAt(c, now);
  return s === 'open' || s === 'opening' ? linksLeft(c) * c.value : 0;
};

/** What a payment needs of a chain: the vendor's terms and the number of links. */
export interface ChainWant {
  broker: string;
  vendorId: string;
  /** The vendor's X25519 key, base64, as the challenge offers it. */
  vendorKey: string;
  /** `extra.linkValue`. */
  value: number;
  units: number;
}

/** True when chain `c` may pay `want` at `now`: open, same vendor, key, value and broker, enough links, not expiring within the margin. */
export function chainFits(c: ChainRecord, want: ChainWant, now: number): boolean {
  return (
    statusAt(c, now) === 'open' &&
    c.authorization !== undefined &&
    c.vendorId === want.vendorId &&
    c.vendorKey === want.vendorKey &&
    c.value === want.value &&
    c.broker === want.broker &&
    linksLeft(c) >= want.units &&
    c.expiresAt - unixSeconds(now) > CHAIN_EXPIRY_MARGIN_SECONDS
  );
}

/**
 * The chain to pay `want` with, or undefined: of the chains that fit, the one expiring first (its
 * links would come back last if left unused), then the one with fewest links left.
 * @example
 * const chain = usableChain(await chainsOfVendor(db, vendorId), { broker, vendorId, vendorKey, value: 1, units: 2 }, Date.now());
 */
export function usableChain(chains: readonly ChainRecord[], want: ChainWant, now: number): ChainRecord | undefined {
  return chains
    .filter((c) => chainFits(c, want, now))
    .sort((a, b) => a.expiresAt - b.expiresAt || linksLeft(a) - linksLeft(b) || a.createdAt - b.createdAt)[0];
}

/** A chain being opened (`opening`) for `want`, not expiring within the margin: its request is to be sent again rather than a new chain made. */
export function openingChain(chains: readonly ChainRecord[], want: Omit<ChainWant, 'units'>, now: number): ChainRecord | undefined {
  return chains.find(
    (c) =>
      statusAt(c, now) === 'opening' &&
      c.vendorId === want.vendorId &&
      c.vendorKey === want.vendorKey &&
      c.value === want.value &&
      c.broker === want.broker &&
      c.expiresAt - unixSeconds(now) > CHAIN_EXPIRY_MARGIN_SECONDS,
  );
}

/** The chains made out to `vendorId`. */
export const chainsOfVendor = (db: WalletDb, vendorId: string): Promise<ChainRecord[]> =>
  db.getAllFromIndex('chains', 'by-vendor', vendorId);

/** Every chain. */
export const allChains = (db: WalletDb): Promise<ChainRecord[]> => db.getAll('chains');

/** Mills held across the chains that are open or being opened. */
export async function heldMillsAcrossChains(db: WalletDb, now = Date.now()): Promise<number> {
  const chains = [
    ...(await db.getAllFromIndex('chains', 'by-status', 'open')),
    ...(await db.getAllFromIndex('chains', 'by-status', 'opening')),
  ];
  return chains.reduce((n, c) => n + chainHeldMills(c, now), 0);
}

/**
 * Records a chain before its request goes to the broker (status `opening`). Should the answer be
 * lost (the worker stopped, the network failed) after the broker held the chain's value, the
 * wallet still has the chain and sends the same request again: the broker answers a chain it
 * authorized before with the stored authorization and holds nothing twice.
 */
export async function addOpeningChain(db: WalletDb, chain: ChainRecord): Promise<void> {
  if (chain.status !== 'opening' || chain.next !== 1) throw new RangeError('a new chain is recorded as opening, at index 1');
  await db.add('chains', chain);
}

async function change(db: WalletDb, id: string, f: (c: ChainRecord) => ChainRecord | null, now: number): Promise<ChainRecord | undefined> {
  const tx = db.transaction(['chains', 'history'], 'readwrite');
  try {
    const c = await tx.objectStore('chains').get(id);
    const next = c ? f(c) : null;
    if (c && next) {
      await tx.objectStore('chains').put({ ...next, updatedAt: now });
      if (next.status !== c.status)
        await tx.objectStore('history').add({
          at: now,
          kind: next.status === 'open' ? 'chain-open' : 'chain-closed',
          coins: 0,
          detail:
            next.status === 'open'
              ? `chain ${id.slice(0, 12)}… for ${c.vendorId}: ${c.length} links of ${formatMoney(c.value)} held at ${c.broker}`
              : `chain ${id.slice(0, 12)}… for ${c.vendorId} ${next.status}${next.error ? ` (${next.error})` : ''}`,
          ref: id,
        });
    }
    await tx.done;
    return next ?? c;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/** The broker authorized an `opening` chain: it is `open`, with the authorization kept. A chain in another state is left as it is. */
export const markChainOpen = (db: WalletDb, id: string, authorization: Uint8Array, now = Date.now()): Promise<ChainRecord | undefined> =>
  change(db, id, (c) => (c.status === 'opening' ? { ...c, status: 'open', authorization } : null), now);

/**
 * The broker refused to authorize an `opening` chain (a 4xx: nothing was held), so the chain is
 * deleted, secrets and all: no link of it was ever revealed and none can be.
 */
export async function dropOpeningChain(db: WalletDb, id: string): Promise<boolean> {
  const tx = db.transaction('chains', 'readwrite');
  try {
    const c = await tx.store.get(id);
    const drop = c?.status === 'opening';
    if (drop) await tx.store.delete(id);
    await tx.done;
    return drop;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/** Closes a chain for good (`reason` says why); its unrevealed links are never used. */
export const closeChain = (db: WalletDb, id: string, reason: string, now = Date.now()): Promise<ChainRecord | undefined> =>
  change(db, id, (c) => (c.status === 'closed' ? null : { ...c, status: 'closed', error: reason }), now);
