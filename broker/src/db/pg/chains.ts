/**
 * PayWord chains and their clearings on PostgreSQL: the SQLite repository's methods (db/chains.ts), a
 * statement each. `seq` stands for SQLite's rowid (the order chains were inserted in) where that orders rows.
 * @module
 */
import { toChain, type ChainRecord, type ChainRow, type ClearingRecord, type VendorChainTotals } from '../chains.ts';
import type { ChainsRepo } from '../store.ts';
import type { Query } from './database.ts';

/** Every column of a chain row, in the table's order (`authorization` is a keyword, so it is quoted). */
const CHAIN = `id, commitment, user_id, vendor_id, links, value_mills, expires_at, clear_by, held_mills, "authorization",
  wallet_key, cleared_index, cleared_link, status, released_mills, created_at, released_at`;

const SQL = {
  insert: `INSERT INTO payword_chains (id, commitment, user_id, vendor_id, links, value_mills, expires_at, clear_by, held_mills,
             "authorization", wallet_key, cleared_index, cleared_link, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13)`,
  byId: `SELECT ${CHAIN} FROM payword_chains WHERE id = $1`,
  // The compare-and-set of a clearing: one conditional UPDATE, so two clearings of a chain cannot both move c.
  setCleared: `UPDATE payword_chains SET cleared_index = $1, cleared_link = $2
                WHERE id = $3 AND status = 'held' AND cleared_index < $1 RETURNING 1 AS moved`,
  due: `SELECT ${CHAIN} FROM payword_chains WHERE status = 'held' AND clear_by < $1::float8 ORDER BY clear_by, seq LIMIT $2`,
  dueOfUser: `SELECT ${CHAIN} FROM payword_chains WHERE user_id = $1 AND status = 'held' AND clear_by < $2::float8
               ORDER BY clear_by, seq LIMIT $3`,
  release: `UPDATE payword_chains SET status = 'released', released_mills = $1, released_at = $2
             WHERE id = $3 AND status = 'held' RETURNING 1 AS released`,
  ofUser: `SELECT ${CHAIN} FROM payword_chains WHERE user_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2`,
  countHeldOfUser: `SELECT count(*) AS n FROM payword_chains WHERE user_id = $1 AND status = 'held'`,
  vendorTotals: `SELECT count(*) AS chains, coalesce(sum(cleared_index), 0) AS links,
                        coalesce(sum(cleared_index * value_mills), 0) AS mills
                   FROM payword_chains WHERE vendor_id = $1 AND cleared_index > 0`,
  insertClearing: `INSERT INTO payword_clearings (chain_id, vendor_id, user_id, batch_id, from_index, to_index, paid_mills, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  recentClearings: `SELECT chain_id AS "chainId", vendor_id AS "vendorId", user_id AS "userId", batch_id AS "batchId",
                           from_index AS "fromIndex", to_index AS "toIndex", paid_mills AS "paidMills", created_at AS "createdAt"
                      FROM payword_clearings WHERE vendor_id = $1 ORDER BY id DESC LIMIT $2`,
};

/**
 * The chains repository on PostgreSQL; its results are the SQLite repository's.
 * @example
 * const chains = pgChainsRepo(database.query);
 * if (!(await chains.setCleared(chainId, 7, link))) throw new Error('cleared already');
 */
export function pgChainsRepo(q: Query): ChainsRepo {
  return {
    async insert(c) {
      await q(SQL.insert, [
        c.id,
        Buffer.from(c.commitment),
        c.userId,
        c.vendorId,
        c.links,
        c.valueMills,
        c.expiresAt,
        c.clearBy,
        c.heldMills,
        Buffer.from(c.authorization),
        Buffer.from(c.walletKey),
        Buffer.from(c.clearedLink),
        c.createdAt,
      ]);
    },
    async byId(id): Promise<ChainRecord | undefined> {
      const [r] = await q<ChainRow>(SQL.byId, [id]);
      return r && toChain(r);
    },
    async setCleared(id, index, link) {
      return (await q(SQL.setCleared, [index, Buffer.from(link), id])).length === 1;
    },
    async due(nowSeconds, limit, userId) {
      const rows =
        userId === undefined
          ? await q<ChainRow>(SQL.due, [nowSeconds, limit])
          : await q<ChainRow>(SQL.dueOfUser, [userId, nowSeconds, limit]);
      return rows.map(toChain);
    },
    async release(id, releasedMills, at) {
      return (await q(SQL.release, [releasedMills, at, id])).length === 1;
    },
    async ofUser(userId, limit = 50) {
      return (await q<ChainRow>(SQL.ofUser, [userId, limit])).map(toChain);
    },
    async countHeldOfUser(userId) {
      const [r] = await q<{ n: number }>(SQL.countHeldOfUser, [userId]);
      return r?.n ?? 0;
    },
    async vendorTotals(vendorId) {
      const [r] = await q<VendorChainTotals>(SQL.vendorTotals, [vendorId]);
      return r ?? { chains: 0, links: 0, mills: 0 };
    },
    async insertClearing(c: ClearingRecord) {
      await q(SQL.insertClearing, [c.chainId, c.vendorId, c.userId, c.batchId, c.fromIndex, c.toIndex, c.paidMills, c.createdAt]);
    },
    async recentClearings(vendorId, limit = 20) {
      return q<ClearingRecord>(SQL.recentClearings, [vendorId, limit]);
    },
  };
}
