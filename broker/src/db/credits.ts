/**
 * Request-Credit returns: first-superbin balls a user gave back unspent.
 * @module
 */
import type { Db } from './open.ts';

/** SQL for returned balls. */
export function creditsRepo(db: Db) {
  const q = {
    insert: db.prepare('INSERT INTO credit_returns (epoch, superbin, subbin, user_id, set_id, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    returnedBy: db
      .prepare<[string, number, number], string>('SELECT user_id FROM credit_returns WHERE epoch = ? AND superbin = ? AND subbin = ?')
      .pluck(),
    countOfUser: db.prepare<[string], number>('SELECT count(*) FROM credit_returns WHERE user_id = ?').pluck(),
  };
  return {
    insert(epoch: string, superbin: number, subbin: number, userId: string, setId: number, at: string): void {
      q.insert.run(epoch, superbin, subbin, userId, setId, at);
    },
    /** The user who returned the ball in this slot, if it was returned. */
    returnedBy: (epoch: string, superbin: number, subbin: number): string | undefined => q.returnedBy.get(epoch, superbin, subbin),
    countOfUser: (userId: string): number => q.countOfUser.get(userId) ?? 0,
  };
}

/** The returns repository. */
export type CreditsRepo = ReturnType<typeof creditsRepo>;
