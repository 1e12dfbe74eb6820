/**
 * Superbin sets and withdrawals on PostgreSQL: the SQLite repository's methods (../sets.ts).
 * @module
 */
import { toSet, toWithdrawal, type SetRow, type WithdrawalRow } from '../sets.ts';
import type { SetsRepo } from '../store.ts';
import type { Query } from './database.ts';

const SETS = 'SELECT id, withdrawal_id, user_id, epoch, first_superbin, superbins, coins, price_mills, created_at FROM sets';

const WITHDRAWALS = `SELECT w.id, w.user_id, w.epoch, w.coins, w.price_mills, w.created_at,
  (SELECT string_agg(s.id::text, ',' ORDER BY s.id) FROM sets s WHERE s.withdrawal_id = w.id) AS set_ids FROM withdrawals w`;

// The set and its superbins in one statement: a superbin already sold fails the primary key, and nothing is written.
const INSERT_SET = `WITH s AS (
    INSERT INTO sets (withdrawal_id, user_id, epoch, first_superbin, superbins, coins, price_mills, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
  ), superbins AS (
    INSERT INTO set_superbins (epoch, superbin, set_id, position)
    SELECT $3, sb.superbin, s.id, sb.n - 1 FROM s, unnest($9::integer[]) WITH ORDINALITY AS sb (superbin, n)
  )
  SELECT id FROM s`;

const OWNERS = `SELECT ss.superbin, ss.set_id, ss.position, s.user_id FROM set_superbins ss JOIN sets s ON s.id = ss.set_id
  WHERE ss.epoch = $1`;

interface OwnerRow {
  superbin: number;
  set_id: number;
  position: number;
  user_id: string;
}
const toOwner = (r: OwnerRow) => ({ setId: r.set_id, position: r.position, userId: r.user_id });

/**
 * The sets repository on PostgreSQL.
 * @example
 * const sets = pgSetsRepo(db.query);
 * const sold = await sets.soldSuperbins('2026-11');
 */
export function pgSetsRepo(q: Query): SetsRepo {
  const sets = async (where: string, values: unknown[]) => (await q<SetRow>(`${SETS} ${where}`, values)).map(toSet);
  const withdrawals = async (where: string, values: unknown[]) =>
    (await q<WithdrawalRow>(`${WITHDRAWALS} ${where}`, values)).map(toWithdrawal);
  const count = async (sql: string, values: unknown[] = []) => (await q<{ n: number }>(sql, values))[0]!.n;
  return {
    soldSuperbins: async (epoch) =>
      new Set(
        (await q<{ superbin: number }>('SELECT superbin FROM set_superbins WHERE epoch = $1 ORDER BY superbin', [epoch])).map(
          (r) => r.superbin,
        ),
      ),
    async insertWithdrawal(id, userId, epoch, at) {
      await q('INSERT INTO withdrawals (id, user_id, epoch, coins, price_mills, created_at) VALUES ($1, $2, $3, 0, 0, $4)', [
        id,
        userId,
        epoch,
        at,
      ]);
    },
    async finishWithdrawal(id, coins, priceMills) {
      await q('UPDATE withdrawals SET coins = $1, price_mills = $2 WHERE id = $3', [coins, priceMills, id]);
    },
    async insertSet(s) {
      const values = [s.withdrawalId, s.userId, s.epoch, s.firstSuperbin, JSON.stringify(s.superbins), s.coins, s.priceMills, s.createdAt];
      const [r] = await q<{ id: number }>(INSERT_SET, [...values, s.superbins]);
      return r!.id;
    },
    async superbinOwner(epoch, superbin) {
      const [r] = await q<OwnerRow>(`${OWNERS} AND ss.superbin = $2`, [epoch, superbin]);
      return r && toOwner(r);
    },
    async ownersOf(epoch, superbins) {
      const rows = superbins.length
        ? await q<OwnerRow>(`${OWNERS} AND ss.superbin = ANY($2::integer[]) ORDER BY ss.superbin`, [epoch, superbins])
        : [];
      return new Map(rows.map((r) => [r.superbin, toOwner(r)]));
    },
    setById: async (id) => (await sets('WHERE id = $1', [id]))[0],
    setsOfWithdrawal: (id) => sets('WHERE withdrawal_id = $1 ORDER BY id', [id]),
    setsOfUser: (userId, epoch) => sets('WHERE user_id = $1 AND epoch = $2 ORDER BY id', [userId, epoch]),
    withdrawal: async (id) => (await withdrawals('WHERE w.id = $1', [id]))[0],
    withdrawalsOfUser: (userId, limit = 100) =>
      withdrawals('WHERE w.user_id = $1 ORDER BY w.created_at DESC, w.seq DESC LIMIT $2', [userId, limit]),
    coinsBought: (userId) => count('SELECT coalesce(sum(coins), 0) AS n FROM withdrawals WHERE user_id = $1', [userId]),
    countSets: () => count('SELECT count(*) AS n FROM sets'),
    countSetsInEpoch: (epoch) => count('SELECT count(*) AS n FROM sets WHERE epoch = $1', [epoch]),
  };
}
