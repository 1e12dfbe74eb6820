/**
 * The wallet's PayWord chains in IndexedDB: what they hold, and the steps of opening one (recorded
 * before the broker is asked, authorized, or dropped when the broker refused it). Which one can pay
 * a vendor is the wallets' shared rule (`usableChain` of `@micromint/shared`, re-exported here).
 * Paying with a chain is `pay-link.ts`; what the vendor answered, `settle-link.ts`.
 * @module
 */
import { chainHeldMills, formatMoney } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import type { ChainRecord } from './schema.ts';
import { abortQuietly } from './tx.ts';

// Which chain pays a vendor and what a chain holds: the wallets' shared rules.
export {
  CHAIN_EXPIRY_MARGIN_SECONDS,
  chainFits,
  chainHeldMills,
  linksLeft,
  openingChain,
  statusAt,
  unixSeconds,
  usableChain,
  type ChainWant,
} from '@micromint/shared';

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
