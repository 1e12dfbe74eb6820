/**
 * Users' complaints about vendors on PostgreSQL, and the figures the complaint rule weighs them with: the
 * SQLite repository's methods (db/complaints.ts), a statement each. What a vendor was paid is read from the
 * redeemed coins per batch and payer (`redeemed_batches`, `redeemed_payers`) and the chains' clearings.
 * @module
 */
import type { ComplaintRecord } from '../complaints.ts';
import type { ComplaintsRepo } from '../store.ts';
import type { Query } from './database.ts';

const SQL = {
  insert: 'INSERT INTO complaints (user_id, vendor_id, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
  anySince: 'SELECT 1 AS one FROM complaints WHERE vendor_id = $1 AND created_at >= $2 LIMIT 1',
  // Each user who complained since $2, with what the vendor was paid by them since $3: their coins it
  // redeemed (one mill each) and the links of their chains it cleared. In the order SQLite gives them: by
  // each one's first complaint of the window (it reads the vendor's complaints by time, dropping repeats).
  complainers: `SELECT c.user_id AS "userId",
                       (SELECT coalesce(sum(r.coins), 0) FROM redeemed_payers r JOIN redeemed_batches b ON b.id = r.batch
                         WHERE r.user_id = c.user_id AND b.vendor_id = $1 AND b.redeemed_at >= $3)
                     + (SELECT coalesce(sum(p.paid_mills), 0) FROM payword_clearings p
                         WHERE p.user_id = c.user_id AND p.vendor_id = $1 AND p.created_at >= $3) AS mills
                  FROM (SELECT DISTINCT ON (user_id) user_id, created_at, id FROM complaints
                         WHERE vendor_id = $1 AND created_at >= $2 ORDER BY user_id, created_at, id) c
                 ORDER BY c.created_at, c.id`,
  takings: `SELECT count(DISTINCT user_id) AS customers, coalesce(sum(mills), 0) AS mills FROM (
              SELECT r.user_id, r.coins AS mills FROM redeemed_batches b JOIN redeemed_payers r ON r.batch = b.id
               WHERE b.vendor_id = $1 AND b.redeemed_at >= $2
              UNION ALL
              SELECT user_id, paid_mills FROM payword_clearings WHERE vendor_id = $1 AND created_at >= $2) paid`,
  countOfUserSince: 'SELECT count(*) AS n FROM complaints WHERE user_id = $1 AND created_at >= $2',
  ofUser: `SELECT id, user_id AS "userId", vendor_id AS "vendorId", text, created_at AS "createdAt"
             FROM complaints WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
};

/**
 * The complaints repository on PostgreSQL; its results are the SQLite repository's.
 * @example
 * const complaints = pgComplaintsRepo(database.query);
 * const id = await complaints.insert(userId, vendorId, 'paywall showed twice', new Date().toISOString());
 */
export function pgComplaintsRepo(q: Query): ComplaintsRepo {
  return {
    async insert(userId, vendorId, text, at) {
      const [r] = await q<{ id: number }>(SQL.insert, [userId, vendorId, text, at]);
      return r!.id;
    },
    async anySince(vendorId, since) {
      return (await q(SQL.anySince, [vendorId, since])).length > 0;
    },
    async complainers(vendorId, since, paidSince) {
      return q<{ userId: string; mills: number }>(SQL.complainers, [vendorId, since, paidSince]);
    },
    async takings(vendorId, since) {
      const [r] = await q<{ customers: number; mills: number }>(SQL.takings, [vendorId, since]);
      return r ?? { customers: 0, mills: 0 };
    },
    async countOfUserSince(userId, since) {
      const [r] = await q<{ n: number }>(SQL.countOfUserSince, [userId, since]);
      return r?.n ?? 0;
    },
    async ofUser(userId, limit = 50) {
      return q<ComplaintRecord>(SQL.ofUser, [userId, limit]);
    },
  };
}
