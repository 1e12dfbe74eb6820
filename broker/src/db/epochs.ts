/**
 * Epochs and the mint database: every minted ball in its (epoch, superbin, sub-bin) slot, with its status.
 * @module
 */
import { BALL_BYTES, type EpochParams } from '@micromint/shared';
import type { Db } from './open.ts';

/** A ball's life in the thesis's CoinMint file: minted, sold in a set, spent, returned unspent, or unusable. */
export type BallStatus = 'exists' | 'sold' | 'redeemed' | 'returned' | 'compromised';

/** An epoch with the statistics of its minting run. */
export interface EpochRecord {
  params: EpochParams;
  createdAt: string;
  /** Target fraction of slots filled. */
  fill: number;
  hashes: number;
  /** Hashes that matched the fixed bits (including those that landed in a slot already taken). */
  ballsCounted: number;
  /** Slots holding a ball = rows of `balls` for this epoch. */
  filledSlots: number;
  mintMs: number;
  workers: number;
  /**
   * The redemption deadline as first published (see core/timeline.ts); null until the broker first
   * publishes the epoch, when it is pinned to expiresAt + the broker's grace.
   */
  redeemBy: string | null;
}

interface EpochRow {
  id: string;
  key: Buffer;
  t: number;
  u: number;
  v: number;
  k: number;
  fixed: number;
  expires_at: string;
  created_at: string;
  fill: number;
  hashes: number;
  balls_counted: number;
  filled_slots: number;
  mint_ms: number;
  workers: number;
  redeem_by: string | null;
}

const toRecord = (r: EpochRow): EpochRecord => ({
  params: { id: r.id, key: new Uint8Array(r.key), t: r.t, u: r.u, v: r.v, k: r.k, fixed: r.fixed, expiresAt: r.expires_at },
  createdAt: r.created_at,
  fill: r.fill,
  hashes: r.hashes,
  ballsCounted: r.balls_counted,
  filledSlots: r.filled_slots,
  mintMs: r.mint_ms,
  workers: r.workers,
  redeemBy: r.redeem_by,
});

/** A ball as stored. */
export interface BallRow {
  superbin: number;
  subbin: number;
  x: Uint8Array;
  status: BallStatus;
}

/** SQL for epochs and balls. */
export function epochsRepo(db: Db) {
  const q = {
    insertEpoch: db.prepare(
      `INSERT INTO epochs (id, key, t, u, v, k, fixed, expires_at, created_at, fill, hashes, balls_counted, filled_slots, mint_ms, workers)
       VALUES (@id, @key, @t, @u, @v, @k, @fixed, @expires_at, @created_at, @fill, @hashes, @balls_counted, @filled_slots, @mint_ms, @workers)`,
    ),
    insertBall: db.prepare('INSERT INTO balls (epoch, superbin, subbin, x) VALUES (?, ?, ?, ?)'),
    get: db.prepare<[string], EpochRow>('SELECT * FROM epochs WHERE id = ?'),
    exists: db.prepare<[string], number>('SELECT 1 FROM epochs WHERE id = ?').pluck(),
    current: db.prepare<[string], EpochRow>('SELECT * FROM epochs WHERE expires_at > ? ORDER BY created_at DESC, rowid DESC LIMIT 1'),
    all: db.prepare<[], EpochRow>('SELECT * FROM epochs ORDER BY created_at DESC, rowid DESC'),
    ballAt: db.prepare<[string, number, number], { x: Buffer; status: BallStatus }>(
      'SELECT x, status FROM balls WHERE epoch = ? AND superbin = ? AND subbin = ?',
    ),
    ballsIn: db.prepare<[string, number], { subbin: number; x: Buffer; status: BallStatus }>(
      'SELECT subbin, x, status FROM balls WHERE epoch = ? AND superbin = ? ORDER BY subbin',
    ),
    countIn: db.prepare<[string, number], number>('SELECT count(*) FROM balls WHERE epoch = ? AND superbin = ?').pluck(),
    setStatus: db.prepare('UPDATE balls SET status = ? WHERE epoch = ? AND superbin = ? AND subbin = ?'),
    sellSuperbin: db.prepare("UPDATE balls SET status = 'sold' WHERE epoch = ? AND superbin = ? AND status = 'exists'"),
    pinRedeemBy: db.prepare('UPDATE epochs SET redeem_by = ? WHERE id = ? AND redeem_by IS NULL'),
    redeemBy: db.prepare<[string], string | null>('SELECT redeem_by FROM epochs WHERE id = ?').pluck(),
    countByStatus: db.prepare<[string], { status: BallStatus; n: number }>(
      'SELECT status, count(*) AS n FROM balls WHERE epoch = ? GROUP BY status',
    ),
  };

  return {
    /**
     * Inserts an epoch and its balls. `slots[i]` = superbin * 2^v + sub-bin of the ball at `xs[16i .. 16i+16)`.
     * Call inside a transaction (the minter does): an epoch appears with all its balls or not at all.
     */
    insertEpoch(rec: EpochRecord, slots: Uint32Array, xs: Uint8Array): void {
      const p = rec.params;
      if (xs.length !== slots.length * BALL_BYTES) throw new RangeError('one 16-byte ball per slot is required');
      q.insertEpoch.run({
        id: p.id,
        key: Buffer.from(p.key),
        t: p.t,
        u: p.u,
        v: p.v,
        k: p.k,
        fixed: p.fixed,
        expires_at: p.expiresAt,
        created_at: rec.createdAt,
        fill: rec.fill,
        hashes: rec.hashes,
        balls_counted: rec.ballsCounted,
        filled_slots: rec.filledSlots,
        mint_ms: rec.mintMs,
        workers: rec.workers,
      });
      const subMask = 2 ** p.v - 1;
      const xb = Buffer.from(xs.buffer, xs.byteOffset, xs.byteLength);
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        q.insertBall.run(p.id, Math.floor(slot / 2 ** p.v), slot & subMask, xb.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES));
      }
    },
    get: (id: string): EpochRecord | undefined => {
      const r = q.get.get(id);
      return r && toRecord(r);
    },
    exists: (id: string): boolean => q.exists.get(id) !== undefined,
    /** The newest epoch that has not expired at `now`. */
    current: (now: Date): EpochRecord | undefined => {
      const r = q.current.get(now.toISOString());
      return r && toRecord(r);
    },
    all: (): EpochRecord[] => q.all.all().map(toRecord),
    ballAt(epoch: string, superbin: number, subbin: number): { x: Uint8Array; status: BallStatus } | undefined {
      return q.ballAt.get(epoch, superbin, subbin);
    },
    ballsIn(epoch: string, superbin: number): BallRow[] {
      return q.ballsIn.all(epoch, superbin).map((r) => ({ superbin, subbin: r.subbin, x: r.x, status: r.status }));
    },
    countIn: (epoch: string, superbin: number): number => q.countIn.get(epoch, superbin) ?? 0,
    setStatus(epoch: string, superbin: number, subbin: number, status: BallStatus): void {
      q.setStatus.run(status, epoch, superbin, subbin);
    },
    /** Marks every minted ball of a superbin sold (the superbin went into a set). */
    sellSuperbin(epoch: string, superbin: number): void {
      q.sellSuperbin.run(epoch, superbin);
    },
    /**
     * Pins an epoch's redemption deadline unless one is pinned already, and returns the one that holds:
     * the first value ever written wins, whoever wrote it.
     */
    pinRedeemBy(epoch: string, redeemBy: string): string {
      q.pinRedeemBy.run(redeemBy, epoch);
      const pinned = q.redeemBy.get(epoch);
      if (!pinned) throw new RangeError(`no epoch ${epoch}`);
      return pinned;
    },
    countByStatus(epoch: string): Record<BallStatus, number> {
      const out: Record<BallStatus, number> = { exists: 0, sold: 0, redeemed: 0, returned: 0, compromised: 0 };
      for (const r of q.countByStatus.all(epoch)) out[r.status] = r.n;
      return out;
    },
  };
}

/** The epochs-and-balls repository. */
export type EpochsRepo = ReturnType<typeof epochsRepo>;
