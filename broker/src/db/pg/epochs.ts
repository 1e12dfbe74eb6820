/**
 * Epochs and the mint database on PostgreSQL: the SQLite repository's methods (../epochs.ts), the balls
 * in the same compact chunks (mint-store.ts).
 * @module
 */
import { toEpochRecord, type EpochRecord, type EpochRow } from '../epochs.ts';
import type { EpochsRepo } from '../store.ts';
import type { Query } from './database.ts';
import { pgMintStore } from './mint-store.ts';

const COLUMNS = `id, key, t, u, v, k, fixed, expires_at, created_at, fill, hashes, balls_counted, filled_slots, mint_ms,
  workers, redeem_by FROM epochs`;

const INSERT = `INSERT INTO epochs (id, key, t, u, v, k, fixed, expires_at, created_at, fill, hashes, balls_counted,
  filled_slots, mint_ms, workers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;

/**
 * The epochs repository on PostgreSQL.
 * @example
 * const epochs = pgEpochsRepo(db.query);
 * const epoch = await epochs.current(new Date());
 */
export function pgEpochsRepo(q: Query): EpochsRepo {
  const { insert, ...balls } = pgMintStore(q);
  const records = async (sql: string, values: unknown[]): Promise<EpochRecord[]> => (await q<EpochRow>(sql, values)).map(toEpochRecord);
  return {
    ...balls,
    async insertEpoch(rec, slots, xs) {
      const p = rec.params;
      const { fill, hashes, ballsCounted, filledSlots, mintMs, workers } = rec;
      const key = Buffer.from(p.key);
      await q(INSERT, [
        p.id,
        key,
        p.t,
        p.u,
        p.v,
        p.k,
        p.fixed,
        p.expiresAt,
        rec.createdAt,
        fill,
        hashes,
        ballsCounted,
        filledSlots,
        mintMs,
        workers,
      ]);
      await insert(p.id, slots, xs);
    },
    get: async (id) => (await records(`SELECT ${COLUMNS} WHERE id = $1`, [id]))[0],
    exists: async (id) => (await q('SELECT 1 FROM epochs WHERE id = $1', [id])).length > 0,
    current: async (now) =>
      (await records(`SELECT ${COLUMNS} WHERE expires_at > $1 ORDER BY created_at DESC, seq DESC LIMIT 1`, [now.toISOString()]))[0],
    all: () => records(`SELECT ${COLUMNS} ORDER BY created_at DESC, seq DESC`, []),
    // One statement: a concurrent pin waits for the row and then keeps the value written first.
    async pinRedeemBy(epoch, redeemBy) {
      const [r] = await q<{ redeem_by: string }>(
        'UPDATE epochs SET redeem_by = coalesce(redeem_by, $1) WHERE id = $2 RETURNING redeem_by',
        [redeemBy, epoch],
      );
      if (!r) throw new RangeError(`no epoch ${epoch}`);
      return r.redeem_by;
    },
  };
}
