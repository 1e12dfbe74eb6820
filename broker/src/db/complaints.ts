/**
 * Users' complaints about vendors.
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
    distinctUsers: db.prepare<[string], number>('SELECT count(DISTINCT user_id) FROM complaints WHERE vendor_id = ?').pluck(),
    // A customer is a user whose coins this vendor redeemed: free sign-ups cannot gang up on a vendor.
    distinctCustomers: db
      .prepare<[string], number>(
        `SELECT count(DISTINCT c.user_id) FROM complaints c
          WHERE c.vendor_id = ? AND EXISTS (SELECT 1 FROM redeemed_coins r WHERE r.user_id = c.user_id AND r.vendor_id = c.vendor_id)`,
      )
      .pluck(),
    ofUser: db.prepare<[string, number], { id: number; user_id: string; vendor_id: string; text: string; created_at: string }>(
      'SELECT * FROM complaints WHERE user_id = ? ORDER BY id DESC LIMIT ?',
    ),
  };
  return {
    insert(userId: string, vendorId: string, text: string, at: string): number {
      return Number(q.insert.run(userId, vendorId, text, at).lastInsertRowid);
    },
    /** How many different users complained about a vendor. */
    distinctUsers: (vendorId: string): number => q.distinctUsers.get(vendorId) ?? 0,
    /** How many different paying customers of a vendor complained about it. */
    distinctCustomers: (vendorId: string): number => q.distinctCustomers.get(vendorId) ?? 0,
    ofUser: (userId: string, limit = 50): ComplaintRecord[] =>
      q.ofUser.all(userId, limit).map((r) => ({ id: r.id, userId: r.user_id, vendorId: r.vendor_id, text: r.text, createdAt: r.created_at })),
  };
}

/** The complaints repository. */
export type ComplaintsRepo = ReturnType<typeof complaintsRepo>;
