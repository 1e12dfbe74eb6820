/**
 * Superbin sets sold to users, and the withdrawals (purchases) that group them.
 * @module
 */
import type { Db } from './open.ts';

/** A superbin set as sold. */
export interface SetRecord {
  id: number;
  withdrawalId: string;
  userId: string;
  epoch: string;
  firstSuperbin: number;
  superbins: number[];
  /** Balls in the first superbin at sale: the most coins the set can pay. */
  coins: number;
  priceMills: number;
  createdAt: string;
}

/** A purchase of one or more sets. */
export interface WithdrawalRecord {
  id: string;
  userId: string;
  epoch: string;
  coins: number;
  priceMills: number;
  createdAt: string;
  setIds: number[];
}

/** A sets row (both stores). */
export interface SetRow {
  id: number;
  withdrawal_id: string;
  user_id: string;
  epoch: string;
  first_superbin: number;
  superbins: string;
  coins: number;
  price_mills: number;
  created_at: string;
}
/** A sets row as a record. */
export const toSet = (r: SetRow): SetRecord => ({
  id: r.id,
  withdrawalId: r.withdrawal_id,
  userId: r.user_id,
  epoch: r.epoch,
  firstSuperbin: r.first_superbin,
  superbins: JSON.parse(r.superbins) as number[],
  coins: r.coins,
  priceMills: r.price_mills,
  createdAt: r.created_at,
});

/** A withdrawals row with its set ids, comma-separated in order (both stores). */
export interface WithdrawalRow {
  id: string;
  user_id: string;
  epoch: string;
  coins: number;
  price_mills: number;
  created_at: string;
  set_ids: string | null;
}
/** A withdrawals row as a record. */
export const toWithdrawal = (r: WithdrawalRow): WithdrawalRecord => ({
  id: r.id,
  userId: r.user_id,
  epoch: r.epoch,
  coins: r.coins,
  priceMills: r.price_mills,
  createdAt: r.created_at,
  setIds: r.set_ids ? r.set_ids.split(',').map(Number) : [],
});

const WITHDRAWAL_SELECT = `SELECT w.*, (SELECT group_concat(s.id) FROM (SELECT id FROM sets WHERE withdrawal_id = w.id ORDER BY id) s) AS set_ids FROM withdrawals w`;

/** SQL for sets and withdrawals. */
export function setsRepo(db: Db) {
  const q = {
    soldSuperbins: db.prepare<[string], number>('SELECT superbin FROM set_superbins WHERE epoch = ?').pluck(),
    insertWithdrawal: db.prepare('INSERT INTO withdrawals (id, user_id, epoch, coins, price_mills, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    updateWithdrawal: db.prepare('UPDATE withdrawals SET coins = ?, price_mills = ? WHERE id = ?'),
    insertSet: db.prepare(
      `INSERT INTO sets (withdrawal_id, user_id, epoch, first_superbin, superbins, coins, price_mills, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertSuperbin: db.prepare('INSERT INTO set_superbins (epoch, superbin, set_id, position) VALUES (?, ?, ?, ?)'),
    superbinOwner: db.prepare<[string, number], { set_id: number; position: number; user_id: string }>(
      `SELECT ss.set_id, ss.position, s.user_id FROM set_superbins ss JOIN sets s ON s.id = ss.set_id
       WHERE ss.epoch = ? AND ss.superbin = ?`,
    ),
    ownersOf: db.prepare<[string, string], { superbin: number; set_id: number; position: number; user_id: string }>(
      `SELECT ss.superbin, ss.set_id, ss.position, s.user_id FROM set_superbins ss JOIN sets s ON s.id = ss.set_id
       WHERE ss.epoch = ? AND ss.superbin IN (SELECT value FROM json_each(?))`,
    ),
    setById: db.prepare<[number], SetRow>('SELECT * FROM sets WHERE id = ?'),
    setsOfWithdrawal: db.prepare<[string], SetRow>('SELECT * FROM sets WHERE withdrawal_id = ? ORDER BY id'),
    setsOfUser: db.prepare<[string, string], SetRow>('SELECT * FROM sets WHERE user_id = ? AND epoch = ? ORDER BY id'),
    withdrawal: db.prepare<[string], WithdrawalRow>(`${WITHDRAWAL_SELECT} WHERE w.id = ?`),
    withdrawalsOfUser: db.prepare<[string, number], WithdrawalRow>(
      `${WITHDRAWAL_SELECT} WHERE w.user_id = ? ORDER BY w.created_at DESC, w.rowid DESC LIMIT ?`,
    ),
    coinsBought: db.prepare<[string], number>('SELECT coalesce(sum(coins), 0) FROM withdrawals WHERE user_id = ?').pluck(),
    countSets: db.prepare<[], number>('SELECT count(*) FROM sets').pluck(),
    countSetsInEpoch: db.prepare<[string], number>('SELECT count(*) FROM sets WHERE epoch = ?').pluck(),
  };

  return {
    /** Every superbin of `epoch` that belongs to a sold set. */
    soldSuperbins: (epoch: string): Set<number> => new Set(q.soldSuperbins.all(epoch)),
    insertWithdrawal(id: string, userId: string, epoch: string, at: string): void {
      q.insertWithdrawal.run(id, userId, epoch, 0, 0, at);
    },
    finishWithdrawal(id: string, coins: number, priceMills: number): void {
      q.updateWithdrawal.run(coins, priceMills, id);
    },
    /**
     * Records a sold set and claims its superbins; a superbin already in a set fails the primary key
     * (so overlapping sets cannot be written even by a buggy caller).
     */
    insertSet(s: Omit<SetRecord, 'id'>): number {
      const id = Number(
        q.insertSet.run(s.withdrawalId, s.userId, s.epoch, s.firstSuperbin, JSON.stringify(s.superbins), s.coins, s.priceMills, s.createdAt)
          .lastInsertRowid,
      );
      s.superbins.forEach((sb, position) => q.insertSuperbin.run(s.epoch, sb, id, position));
      return id;
    },
    /** The set (and position in it) a superbin was sold in, with its buyer. */
    superbinOwner(epoch: string, superbin: number): { setId: number; position: number; userId: string } | undefined {
      const r = q.superbinOwner.get(epoch, superbin);
      return r && { setId: r.set_id, position: r.position, userId: r.user_id };
    },
    /** The owners of many superbins of `epoch`, in one statement (superbins in no set are missing). */
    ownersOf(epoch: string, superbins: readonly number[]): Map<number, { setId: number; position: number; userId: string }> {
      const rows = superbins.length ? q.ownersOf.all(epoch, JSON.stringify(superbins)) : [];
      return new Map(rows.map((r) => [r.superbin, { setId: r.set_id, position: r.position, userId: r.user_id }]));
    },
    setById: (id: number): SetRecord | undefined => {
      const r = q.setById.get(id);
      return r && toSet(r);
    },
    setsOfWithdrawal: (id: string): SetRecord[] => q.setsOfWithdrawal.all(id).map(toSet),
    setsOfUser: (userId: string, epoch: string): SetRecord[] => q.setsOfUser.all(userId, epoch).map(toSet),
    withdrawal: (id: string): WithdrawalRecord | undefined => {
      const r = q.withdrawal.get(id);
      return r && toWithdrawal(r);
    },
    withdrawalsOfUser: (userId: string, limit = 100): WithdrawalRecord[] => q.withdrawalsOfUser.all(userId, limit).map(toWithdrawal),
    /** Coins (first-superbin balls) a user bought over all purchases. */
    coinsBought: (userId: string): number => q.coinsBought.get(userId) ?? 0,
    countSets: (): number => q.countSets.get() ?? 0,
    countSetsInEpoch: (epoch: string): number => q.countSetsInEpoch.get(epoch) ?? 0,
  };
}

/** The sets repository. */
export type SetsRepo = ReturnType<typeof setsRepo>;
