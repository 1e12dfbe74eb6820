/**
 * How often the reader paid a site lately: what tells a site read once (coins serve it best) from
 * one the reader comes back to (where a chain pays off its broker round trip).
 * @module
 */
import type { WalletDb } from './db.ts';

/** The window over which paid pages are counted. */
export const VISIT_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Payments (of any scheme) made to `vendorId` from `since` on that went out and were not given
 * back or refused: paid, or pending (the vendor may hold them).
 * @example
 * const pages = await paidPagesSince(db, 'https://news.example', Date.now() - VISIT_WINDOW_MS);
 */
export async function paidPagesSince(db: WalletDb, vendorId: string, since: number): Promise<number> {
  const range = IDBKeyRange.bound([vendorId, since], [vendorId, Number.MAX_SAFE_INTEGER]);
  const payments = await db.getAllFromIndex('payments', 'by-vendor-created', range);
  return payments.filter((p) => p.state === 'paid' || p.state === 'pending').length;
}
