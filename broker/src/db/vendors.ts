/**
 * Vendors and what they redeem: stored batch answers, redeemed coins (written by redemptions.ts) and double
 * spends (refused coins are in refusals.ts).
 * @module
 */
import type { Db } from './open.ts';

/** A registered vendor. `id` is the vendor site's origin. */
export interface VendorRecord {
  id: string;
  name: string;
  apiKeyHash: Uint8Array;
  ownerUserId: string | null;
  disabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** When an operator last enabled the vendor again (complaints before it no longer count). */
  enabledAt: string | null;
  createdAt: string;
}

/**
 * A recorded double spend: a coin whose first ball had been redeemed or returned before. One record per
 * (epoch, coin, vendor): the first attempt's details, and how many attempts there were.
 */
export interface DoubleSpendRecord {
  epoch: string;
  coinId: string;
  userId: string;
  vendorId: string;
  firstVendorId: string | null;
  batchId: string;
  reason: 'already-spent' | 'returned';
  createdAt: string;
  /** Attempts so far (1 for a new record). */
  attempts?: number;
}

export interface VendorRow {
  id: string;
  name: string;
  api_key_hash: Buffer;
  owner_user_id: string | null;
  disabled: number;
  disabled_reason: string | null;
  disabled_at: string | null;
  enabled_at: string | null;
  created_at: string;
}
export const toVendor = (r: VendorRow): VendorRecord => ({
  id: r.id,
  name: r.name,
  apiKeyHash: r.api_key_hash,
  ownerUserId: r.owner_user_id,
  disabled: r.disabled === 1,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at,
  enabledAt: r.enabled_at,
  createdAt: r.created_at,
});

/** SQL for vendors and redemptions. */
export function vendorsRepo(db: Db) {
  const q = {
    insert: db.prepare('INSERT INTO vendors (id, name, api_key_hash, owner_user_id, created_at) VALUES (?, ?, ?, ?, ?)'),
    byId: db.prepare<[string], VendorRow>('SELECT * FROM vendors WHERE id = ?'),
    byKeyHash: db.prepare<[Buffer], VendorRow>('SELECT * FROM vendors WHERE api_key_hash = ?'),
    all: db.prepare<[], VendorRow>('SELECT * FROM vendors ORDER BY name, id'),
    ofOwner: db.prepare<[string], VendorRow>('SELECT * FROM vendors WHERE owner_user_id = ? ORDER BY created_at'),
    disable: db.prepare('UPDATE vendors SET disabled = 1, disabled_reason = ?, disabled_at = ? WHERE id = ? AND disabled = 0'),
    enable: db.prepare('UPDATE vendors SET disabled = 0, disabled_reason = NULL, disabled_at = NULL, enabled_at = ? WHERE id = ?'),
    batch: db.prepare<[string, string], { request_digest: Buffer; answer: string }>(
      'SELECT request_digest, answer FROM redemption_batches WHERE vendor_id = ? AND batch_id = ?',
    ),
    insertBatch: db.prepare(
      `INSERT INTO redemption_batches (vendor_id, batch_id, request_digest, answer, credited, refused, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    // The view rebuilds every coin's id: a scan, for audits and tests (redemption looks coins up by slot).
    redeemed: db.prepare<[string, string], string>('SELECT vendor_id FROM redeemed_coins WHERE epoch = ? AND coin_id = ? LIMIT 1').pluck(),
    pruneRefusedBatches: db.prepare(
      `DELETE FROM redemption_batches WHERE vendor_id = ? AND credited = 0 AND rowid <= (
         SELECT rowid FROM redemption_batches WHERE vendor_id = ? AND credited = 0 ORDER BY rowid DESC LIMIT 1 OFFSET ?)`,
    ),
    recordDoubleSpend: db.prepare(
      `INSERT INTO double_spends (epoch, coin_id, user_id, vendor_id, first_vendor_id, batch_id, reason, created_at, attempts, last_batch_id, last_at)
       VALUES (@epoch, @coinId, @userId, @vendorId, @firstVendorId, @batchId, @reason, @createdAt, 1, @batchId, @createdAt)
       ON CONFLICT (epoch, coin_id, vendor_id) DO UPDATE SET attempts = attempts + 1, last_batch_id = excluded.batch_id, last_at = excluded.created_at`,
    ),
    countRedeemed: db.prepare<[string], number>('SELECT coalesce(sum(coins), 0) FROM redeemed_batches WHERE vendor_id = ?').pluck(),
    countDoubleSpends: db.prepare<[string], number>('SELECT coalesce(sum(attempts), 0) FROM double_spends WHERE vendor_id = ?').pluck(),
    recentDoubleSpends: db.prepare<[string, number], Record<string, string>>(
      `SELECT epoch, coin_id AS coinId, user_id AS userId, vendor_id AS vendorId, first_vendor_id AS firstVendorId,
              batch_id AS batchId, reason, created_at AS createdAt, attempts FROM double_spends WHERE vendor_id = ? ORDER BY last_at DESC, id DESC LIMIT ?`,
    ),
    totalRedeemed: db.prepare<[], number>('SELECT coalesce(sum(coins), 0) FROM redeemed_batches').pluck(),
    totalDoubleSpends: db.prepare<[], number>('SELECT coalesce(sum(attempts), 0) FROM double_spends').pluck(),
    doubleSpendsOfUser: db.prepare<[string], number>('SELECT coalesce(sum(attempts), 0) FROM double_spends WHERE user_id = ?').pluck(),
    redeemedOfUser: db.prepare<[string], number>('SELECT coalesce(sum(coins), 0) FROM redeemed_payers WHERE user_id = ?').pluck(),
  };

  return {
    insert(id: string, name: string, apiKeyHash: Uint8Array, ownerUserId: string | null, at: string): void {
      q.insert.run(id, name, Buffer.from(apiKeyHash), ownerUserId, at);
    },
    byId: (id: string): VendorRecord | undefined => {
      const r = q.byId.get(id);
      return r && toVendor(r);
    },
    byKeyHash: (hash: Uint8Array): VendorRecord | undefined => {
      const r = q.byKeyHash.get(Buffer.from(hash));
      return r && toVendor(r);
    },
    all: (): VendorRecord[] => q.all.all().map(toVendor),
    ofOwner: (userId: string): VendorRecord[] => q.ofOwner.all(userId).map(toVendor),
    /** Disables a vendor; returns false when it was disabled already. */
    disable: (id: string, reason: string, at: string): boolean => q.disable.run(reason, at, id).changes === 1,
    /** Enables a vendor again, from `at` on (complaints filed before `at` no longer count). */
    enable: (id: string, at: string): boolean => q.enable.run(at, id).changes === 1,
    batch(vendorId: string, batchId: string): { requestDigest: Uint8Array; answer: string } | undefined {
      const r = q.batch.get(vendorId, batchId);
      return r && { requestDigest: r.request_digest, answer: r.answer };
    },
    insertBatch(
      vendorId: string,
      batchId: string,
      digest: Uint8Array,
      answer: string,
      credited: number,
      refused: number,
      at: string,
    ): void {
      q.insertBatch.run(vendorId, batchId, Buffer.from(digest), answer, credited, refused, at);
    },
    /** Deletes all but the newest `keep` stored batches of a vendor that credited nothing. */
    pruneRefusedBatches(vendorId: string, keep: number): number {
      return q.pruneRefusedBatches.run(vendorId, vendorId, keep).changes;
    },
    /** The vendor a coin was redeemed for, if it was (a scan of the redeemed coins: for audits and tests). */
    redeemedBy: (epoch: string, coinId: string): string | undefined => q.redeemed.get(epoch, coinId),
    /** Records a double spend attempt: a new record, or one more attempt on the coin's record at this vendor. */
    recordDoubleSpend(r: Omit<DoubleSpendRecord, 'attempts'>): void {
      q.recordDoubleSpend.run(r);
    },
    /** Coins redeemed, and double spend attempts (counting repeats). */
    counts: (vendorId: string) => ({
      redeemed: q.countRedeemed.get(vendorId) ?? 0,
      doubleSpends: q.countDoubleSpends.get(vendorId) ?? 0,
    }),
    recentDoubleSpends: (vendorId: string, limit = 20) => q.recentDoubleSpends.all(vendorId, limit) as unknown as DoubleSpendRecord[],
    totalRedeemed: (): number => q.totalRedeemed.get() ?? 0,
    totalDoubleSpends: (): number => q.totalDoubleSpends.get() ?? 0,
    doubleSpendsOfUser: (userId: string): number => q.doubleSpendsOfUser.get(userId) ?? 0,
    /** Coins of a user that vendors redeemed. */
    redeemedOfUser: (userId: string): number => q.redeemedOfUser.get(userId) ?? 0,
  };
}

/** The vendors repository. */
export type VendorsRepo = ReturnType<typeof vendorsRepo>;
