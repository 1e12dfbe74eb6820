/**
 * Users' complaints about vendors, and the figures the complaint rule weighs them with.
 * @module
 */
import type { Db } from './open.ts';

/** A complaint as stored. */
export interface ComplaintRecord {
  id: number;
  userId: string;
  vendorId: string;
  text: string;
  createdAt: string;
}

/** SQL for complaints. */
export function complaintsRepo(db: Db) {
  const q = {
    insert: db.prepare('INSERT INTO complaints (user_id, vendor_id, text, created_at) VALUES (?, ?, ?, ?)'),
    anySince: db.prepare<[string, string], number>('SELECT 1 FROM complaints WHERE vendor_id = ? AND created_at >= ? LIMIT 1').pluck(),
    // Each user who complained since `since`, with what the vendor was paid by them since `paidSince`: their
    // coins it redeemed (one mill each) and the links of their chains it cleared.
    complainers: db.prepare<[{ vendor: string; since: string; paidSince: string }], { user_id: string; mills: number }>(
      `SELECT c.user_id,
              (SELECT coalesce(sum(r.coins), 0) FROM redeemed_payers r JOIN redeemed_batches b ON b.id = r.batch
                WHERE r.user_id = c.user_id AND b.vendor_id = @vendor AND b.redeemed_at >= @paidSince)
            + (SELECT coalesce(sum(p.paid_mills), 0) FROM payword_clearings p
                WHERE p.user_id = c.user_id AND p.vendor_id = @vendor AND p.created_at >= @paidSince) AS mills
         FROM (SELECT DISTINCT user_id FROM complaints WHERE vendor_id = @vendor AND created_at >= @since) c`,
    ),
    takings: db.prepare<[{ vendor: string; since: string }], { customers: number; mills: number }>(
      `SELECT count(DISTINCT user_id) AS customers, coalesce(sum(mills), 0) AS mills FROM (
         SELECT r.user_id, r.coins AS mills FROM redeemed_batches b JOIN redeemed_payers r ON r.batch = b.id
          WHERE b.vendor_id = @vendor AND b.redeemed_at >= @since
         UNION ALL
         SELECT user_id, paid_mills FROM payword_clearings WHERE vendor_id = @vendor AND created_at >= @since)`,
    ),
    countOfUserSince: db.prepare<[string, string], number>('SELECT count(*) FROM complaints WHERE user_id = ? AND created_at >= ?').pluck(),
    ofUser: db.prepare<[string, number], { id: number; user_id: string; vendor_id: string; text: string; created_at: string }>(
      'SELECT * FROM complaints WHERE user_id = ? ORDER BY id DESC LIMIT ?',
    ),
  };
  return {
    insert(userId: string, vendorId: string, text: string, at: string): number {
      return Number(q.insert.run(userId, vendorId, text, at).lastInsertRowid);
    },
    /** Whether anyone complained about a vendor since `since`. */
    anySince: (vendorId: string, since: string): boolean => q.anySince.get(vendorId, since) !== undefined,
    /** The users who complained about a vendor since `since`, each with the mills the vendor was paid by them (coins and chains) since `paidSince`. */
    complainers: (vendorId: string, since: string, paidSince: string): { userId: string; mills: number }[] =>
      q.complainers.all({ vendor: vendorId, since, paidSince }).map((r) => ({ userId: r.user_id, mills: r.mills })),
    /** A vendor's distinct paying customers and the mills it was paid (coins redeemed, chain links cleared) since `since`. */
    takings: (vendorId: string, since: string): { customers: number; mills: number } =>
      q.takings.get({ vendor: vendorId, since }) ?? { customers: 0, mills: 0 },
    /** Complaints a user filed since `since`. */
    countOfUserSince: (userId: string, since: string): number => q.countOfUserSince.get(userId, since) ?? 0,
    ofUser: (userId: string, limit = 50): ComplaintRecord[] =>
      q.ofUser
        .all(userId, limit)
        .map((r) => ({ id: r.id, userId: r.user_id, vendorId: r.vendor_id, text: r.text, createdAt: r.created_at })),
  };
}

/** The complaints repository. */
export type ComplaintsRepo = ReturnType<typeof complaintsRepo>;
