/**
 * Request-Credit returns on PostgreSQL: the SQLite repository's methods (../credits.ts).
 * @module
 */
import type { CreditsRepo } from '../store.ts';
import type { Query } from './database.ts';

/**
 * The returns repository on PostgreSQL.
 * @example
 * const credits = pgCreditsRepo(db.query);
 * const by = await credits.returnedBy('2026-11', 3, 17); // the user id, or undefined
 */
export function pgCreditsRepo(q: Query): CreditsRepo {
  return {
    async insert(epoch, superbin, subbin, userId, setId, at) {
      await q('INSERT INTO credit_returns (epoch, superbin, subbin, user_id, set_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        epoch,
        superbin,
        subbin,
        userId,
        setId,
        at,
      ]);
    },
    async returnedBy(epoch, superbin, subbin) {
      const [r] = await q<{ user_id: string }>('SELECT user_id FROM credit_returns WHERE epoch = $1 AND superbin = $2 AND subbin = $3', [
        epoch,
        superbin,
        subbin,
      ]);
      return r?.user_id;
    },
    countOfUser: async (userId) => (await q<{ n: number }>('SELECT count(*) AS n FROM credit_returns WHERE user_id = $1', [userId]))[0]!.n,
  };
}
