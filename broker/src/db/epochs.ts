/**
 * Epochs and the mint database: every minted ball in its (epoch, superbin, sub-bin) slot, with its status.
 * The balls are stored compactly, about their own 16 bytes each (mint-store.ts, ball-chunks.ts).
 * @module
 */
import type { EpochParams } from '@micromint/shared';
import type { BallStatus } from './ball-chunks.ts';
import { mintStore, type MintLookup, type MintedBall } from './mint-store.ts';
import type { Db } from './open.ts';

export type { BallStatus } from './ball-chunks.ts';
export type { MintLookup, MintedBall } from './mint-store.ts';

/** An epoch with the statistics of its minting run. */
export interface EpochRecord {
  params: EpochParams;
  createdAt: string;
  /** Target fraction of slots filled. */
  fill: number;
  hashes: number;
  /** Hashes that matched the fixed bits (including those that landed in a slot already taken). */
  ballsCounted: number;
  /** Slots holding a ball. */
  filledSlots: number;
  mintMs: number;
  workers: number;
  /**
   * The redemption deadline as first published (see core/timeline.ts); null until the broker first
   * publishes the epoch, when it is pinned to expiresAt + the broker's grace.
   */
  redeemBy: string | null;
}

/** An epochs row (both stores). */
export interface EpochRow {
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

/** An epochs row as a record. */
export const toEpochRecord = (r: EpochRow): EpochRecord => ({
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
    get: db.prepare<[string], EpochRow>('SELECT * FROM epochs WHERE id = ?'),
    exists: db.prepare<[string], number>('SELECT 1 FROM epochs WHERE id = ?').pluck(),
    current: db.prepare<[string], EpochRow>('SELECT * FROM epochs WHERE expires_at > ? ORDER BY created_at DESC, rowid DESC LIMIT 1'),
    all: db.prepare<[], EpochRow>('SELECT * FROM epochs ORDER BY created_at DESC, rowid DESC'),
    v: db.prepare<[string], number>('SELECT v FROM epochs WHERE id = ?').pluck(),
    pinRedeemBy: db.prepare('UPDATE epochs SET redeem_by = ? WHERE id = ? AND redeem_by IS NULL'),
    redeemBy: db.prepare<[string], string | null>('SELECT redeem_by FROM epochs WHERE id = ?').pluck(),
  };
  const mint = mintStore(db);
  // Sub-bin bits per epoch (a slot is superbin * 2^v + sub-bin); epochs never change.
  const vs = new Map<string, number>();
  const vOf = (epoch: string): number => {
    let v = vs.get(epoch);
    if (v === undefined) {
      v = q.v.get(epoch);
      if (v === undefined) return 0;
      vs.set(epoch, v);
    }
    return v;
  };
  const slotOf = (epoch: string, superbin: number, subbin: number): number => superbin * 2 ** vOf(epoch) + subbin;

  return {
    /**
     * Inserts an epoch and its balls. `slots[i]` = superbin * 2^v + sub-bin of the ball at `xs[16i .. 16i+16)`.
     * Call inside a transaction (the minter does): an epoch appears with all its balls or not at all.
     */
    insertEpoch(rec: EpochRecord, slots: Uint32Array, xs: Uint8Array): void {
      const p = rec.params;
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
      mint.insert(p.id, slots, xs);
    },
    get: (id: string): EpochRecord | undefined => {
      const r = q.get.get(id);
      return r && toEpochRecord(r);
    },
    exists: (id: string): boolean => q.exists.get(id) !== undefined,
    /** The newest epoch that has not expired at `now`. */
    current: (now: Date): EpochRecord | undefined => {
      const r = q.current.get(now.toISOString());
      return r && toEpochRecord(r);
    },
    all: (): EpochRecord[] => q.all.all().map(toEpochRecord),
    ballAt(epoch: string, superbin: number, subbin: number): MintedBall | undefined {
      return mint.ballAt(epoch, slotOf(epoch, superbin, subbin));
    },
    /** The balls minted into many slots (slot = superbin * 2^v + sub-bin) of `epoch`, read in one statement. */
    lookup: (epoch: string, slots: readonly number[]): MintLookup => mint.lookup(epoch, slots),
    ballsIn(epoch: string, superbin: number): BallRow[] {
      return mint.ballsIn(epoch, vOf(epoch), superbin).map((r) => ({ superbin, ...r }));
    },
    countIn: (epoch: string, superbin: number): number => mint.countIn(epoch, vOf(epoch), superbin),
    setStatus(epoch: string, superbin: number, subbin: number, status: BallStatus): void {
      mint.setStatus(epoch, slotOf(epoch, superbin, subbin), status);
    },
    /** Marks the sold balls of many slots of `epoch` redeemed, in one statement. */
    redeemAll: (epoch: string, slots: readonly number[]): void => mint.redeemAll(epoch, slots),
    /** Marks every minted ball of a superbin sold (the superbin went into a set). */
    sellSuperbin(epoch: string, superbin: number): void {
      mint.sellSuperbin(epoch, vOf(epoch), superbin);
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
    countByStatus: (epoch: string): Record<BallStatus, number> => mint.countByStatus(epoch),
  };
}

/** The epochs-and-balls repository. */
export type EpochsRepo = ReturnType<typeof epochsRepo>;
