/**
 * SQL for the compact mint database (layout in ball-chunks.ts): `mint_files` numbers each epoch's CoinMint
 * file, `mint_balls` holds its balls by chunk of 32 slots, `mint_flags` their statuses. Epochs name their
 * file by epoch id; lookups of a redemption batch go in one statement (a JSON list of chunk ids).
 * @module
 */
import { BALL_BYTES } from '@micromint/shared';
import {
  FILE_STRIDE,
  assertMinted,
  ballIn,
  bitOf,
  chunkIdOf,
  chunkMasks,
  chunkRanges,
  mintedIn,
  popcount32,
  statusIfSame,
  superbinBalls,
  superbinChunks,
  withStatus,
  type BallStatus,
  type Chunk,
  type ChunkFlags,
} from './ball-chunks.ts';
import type { Db } from './open.ts';

/** A minted ball and its status. */
export interface MintedBall {
  x: Uint8Array;
  status: BallStatus;
}

/** The balls of many slots, read at once (`lookup`). */
export interface MintLookup {
  /**
   * The status of the ball in `slot` when the 16 bytes at `bytes[at]` are that ball (compared in constant
   * time, see `sameBall`); undefined when they are not, or the slot is empty or was not looked up.
   */
  statusOf(slot: number, bytes: Uint8Array, at: number): BallStatus | undefined;
}

/** A chunk row with its flags, as {@link CHUNK_COLUMNS} read it (both stores). */
export interface ChunkRow extends ChunkFlags {
  id: number;
  present: number;
  xs: Buffer;
}

/** The columns of a chunk and its flags (0 without a flags row), and the join they come from (both stores). */
export const CHUNK_COLUMNS = `b.id, b.present, b.xs, coalesce(f.sold, 0) AS sold, coalesce(f.redeemed, 0) AS redeemed,
  coalesce(f.returned, 0) AS returned, coalesce(f.compromised, 0) AS compromised
  FROM mint_balls b LEFT JOIN mint_flags f ON f.id = b.id`;

/** A chunk row as the layout reads it. */
export const toChunk = (r: ChunkRow): Chunk => ({
  present: r.present,
  xs: r.xs,
  flags: { sold: r.sold, redeemed: r.redeemed, returned: r.returned, compromised: r.compromised },
});

/** SQL for the balls and statuses of every epoch. */
export function mintStore(db: Db) {
  const q = {
    no: db.prepare<[string], number>('SELECT no FROM mint_files WHERE epoch = ?').pluck(),
    newFile: db
      .prepare<[string], number>('INSERT INTO mint_files (epoch, no) SELECT ?, coalesce(max(no), 0) + 1 FROM mint_files RETURNING no')
      .pluck(),
    insertChunk: db.prepare('INSERT INTO mint_balls (id, present, xs) VALUES (?, ?, ?)'),
    chunk: db.prepare<[number], ChunkRow>(`SELECT ${CHUNK_COLUMNS} WHERE b.id = ?`),
    range: db.prepare<[number, number], ChunkRow>(`SELECT ${CHUNK_COLUMNS} WHERE b.id BETWEEN ? AND ? ORDER BY b.id`),
    chunks: db.prepare<[string], ChunkRow>(`SELECT ${CHUNK_COLUMNS} WHERE b.id IN (SELECT value FROM json_each(?))`),
    presentIn: db.prepare<[number, number], number>('SELECT present FROM mint_balls WHERE id BETWEEN ? AND ?').pluck(),
    setFlags: db.prepare(
      `INSERT INTO mint_flags (id, sold, redeemed, returned, compromised) VALUES (@id, @sold, @redeemed, @returned, @compromised)
       ON CONFLICT (id) DO UPDATE SET sold = excluded.sold, redeemed = excluded.redeemed, returned = excluded.returned,
         compromised = excluded.compromised`,
    ),
    sell: db.prepare(
      `INSERT INTO mint_flags (id, sold) SELECT id, present & @mask FROM mint_balls WHERE id BETWEEN @first AND @last AND present & @mask <> 0
       ON CONFLICT (id) DO UPDATE SET sold = sold | excluded.sold`,
    ),
    // Balls that are sold (the precondition of a redemption) have a flags row already; the insert is a guard.
    redeem: db.prepare(
      `INSERT INTO mint_flags (id, sold, redeemed) SELECT value ->> 0, value ->> 1, value ->> 1 FROM jsonb_each(?) WHERE true
       ON CONFLICT (id) DO UPDATE SET sold = sold | excluded.sold, redeemed = redeemed | excluded.redeemed`,
    ),
  };
  // An epoch's file number never changes once committed. Only an epoch inserted and rolled back in the same
  // transaction could leave a wrong one here, and the minter's transaction looks none up.
  const numbers = new Map<string, number>();
  const noOf = (epoch: string): number | undefined => {
    let no = numbers.get(epoch);
    if (no === undefined) {
      no = q.no.get(epoch);
      if (no !== undefined) numbers.set(epoch, no);
    }
    return no;
  };
  const chunkAt = (no: number, slot: number): Chunk | undefined => {
    const r = q.chunk.get(chunkIdOf(no, slot));
    return r && toChunk(r);
  };

  return {
    /**
     * Stores an epoch's balls: `slots` in increasing order, ball i at `xs[16i .. 16i+16)`, every status
     * `exists`. Call inside the transaction that inserts the epoch.
     */
    insert(epoch: string, slots: Uint32Array, xs: Uint8Array): void {
      assertMinted(slots, xs);
      const no = q.newFile.get(epoch)!;
      const xb = Buffer.from(xs.buffer, xs.byteOffset, xs.byteLength);
      for (const c of chunkRanges(slots))
        q.insertChunk.run(no * FILE_STRIDE + c.chunk, c.present, xb.subarray(c.from * BALL_BYTES, c.to * BALL_BYTES));
    },
    /** The ball minted into `slot` of `epoch` and its status, if the slot holds one. */
    ballAt(epoch: string, slot: number): MintedBall | undefined {
      const no = noOf(epoch);
      return no === undefined ? undefined : mintedIn(chunkAt(no, slot), slot);
    },
    /**
     * The balls of many slots of `epoch`, read in one statement (a JSON list of their chunks).
     * @example
     * const minted = mint.lookup('2026-11', [4711, 8192]);
     * minted.statusOf(8192, coin, 16); // 'sold' when coin[16..32) is the ball minted into slot 8192
     */
    lookup(epoch: string, slots: readonly number[]): MintLookup {
      const no = noOf(epoch);
      const ids = new Set<number>();
      if (no !== undefined) for (const s of slots) ids.add(chunkIdOf(no, s));
      const chunks = new Map(ids.size ? q.chunks.all(JSON.stringify([...ids])).map((r) => [r.id, toChunk(r)]) : []);
      return {
        statusOf(slot, bytes, at) {
          return no === undefined ? undefined : statusIfSame(chunks.get(chunkIdOf(no, slot)), slot, bytes, at);
        },
      };
    },
    /** Every ball of a superbin in sub-bin order. */
    ballsIn(epoch: string, v: number, superbin: number): { subbin: number; x: Uint8Array; status: BallStatus }[] {
      const no = noOf(epoch);
      if (no === undefined) return [];
      const { first, last } = superbinChunks(v, superbin);
      const rows = new Map(q.range.all(no * FILE_STRIDE + first, no * FILE_STRIDE + last).map((r) => [r.id, toChunk(r)]));
      return superbinBalls(v, superbin, (slot) => rows.get(chunkIdOf(no, slot)));
    },
    /** Balls minted into a superbin. */
    countIn(epoch: string, v: number, superbin: number): number {
      const no = noOf(epoch);
      if (no === undefined) return 0;
      const { first, last, mask } = superbinChunks(v, superbin);
      return q.presentIn.all(no * FILE_STRIDE + first, no * FILE_STRIDE + last).reduce((n, p) => n + popcount32(p & mask), 0);
    },
    /** Gives the ball in `slot` the status `status` (see `withStatus`); nothing when the slot is empty. */
    setStatus(epoch: string, slot: number, status: BallStatus): void {
      const no = noOf(epoch);
      const c = no === undefined ? undefined : chunkAt(no, slot);
      if (!c || !ballIn(c, slot)) return;
      q.setFlags.run({ id: chunkIdOf(no!, slot), ...withStatus(c.flags, bitOf(slot), status) });
    },
    /** Flags every ball of a superbin sold. */
    sellSuperbin(epoch: string, v: number, superbin: number): void {
      const no = noOf(epoch);
      if (no === undefined) return;
      const { first, last, mask } = superbinChunks(v, superbin);
      q.sell.run({ mask, first: no * FILE_STRIDE + first, last: no * FILE_STRIDE + last });
    },
    /** Flags the balls of many sold slots of `epoch` redeemed, in one statement. */
    redeemAll(epoch: string, slots: readonly number[]): void {
      const no = noOf(epoch);
      if (no === undefined || slots.length === 0) return;
      q.redeem.run(JSON.stringify([...chunkMasks(no, slots)]));
    },
    /** Balls of `epoch` per status. */
    countByStatus(epoch: string): Record<BallStatus, number> {
      const out: Record<BallStatus, number> = { exists: 0, sold: 0, redeemed: 0, returned: 0, compromised: 0 };
      const no = noOf(epoch);
      if (no === undefined) return out;
      for (const r of q.range.all(no * FILE_STRIDE, (no + 1) * FILE_STRIDE - 1)) {
        const f = toChunk(r).flags;
        const only = (mask: number) => popcount32(mask & r.present);
        out.compromised += only(f.compromised);
        out.returned += only(f.returned & ~f.compromised);
        out.redeemed += only(f.redeemed & ~f.returned & ~f.compromised);
        out.sold += only(f.sold & ~f.redeemed & ~f.returned & ~f.compromised);
        out.exists += only(~(f.sold | f.redeemed | f.returned | f.compromised));
      }
      return out;
    },
  };
}

/** The mint database repository. */
export type MintStore = ReturnType<typeof mintStore>;
