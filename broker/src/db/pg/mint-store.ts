/**
 * The compact mint database on PostgreSQL (layout in ../ball-chunks.ts, tables in schema-mint.ts): the same
 * rows as SQLite's (../mint-store.ts), read and written with the same chunk arithmetic. Batches are one
 * statement each (`= ANY`, `unnest`), counts are `bit_count` in the server; an epoch's balls go in a few
 * statements of up to {@link INSERT_CHUNKS} chunks, their bytes in one binary parameter.
 * @module
 */
import { BALL_BYTES } from '@micromint/shared';
import {
  FILE_STRIDE,
  assertMinted,
  bitOf,
  chunkIdOf,
  chunkMasks,
  chunkRanges,
  mintedIn,
  statusIfSame,
  superbinBalls,
  superbinChunks,
  withStatus,
  type BallStatus,
  type ChunkFlags,
  type ChunkRange,
} from '../ball-chunks.ts';
import type { BallRow } from '../epochs.ts';
import { CHUNK_COLUMNS, toChunk, type ChunkRow, type MintLookup, type MintedBall } from '../mint-store.ts';
import type { Query } from './database.ts';

/** Most chunks one INSERT carries: at most 512 bytes of balls each, 4 MiB a statement. */
export const INSERT_CHUNKS = 8192;

/** An epoch's file number and its sub-bin bits (a slot is superbin * 2^v + sub-bin). */
interface MintFile {
  no: number;
  v: number;
}

const NO_FLAGS: ChunkFlags = { sold: 0, redeemed: 0, returned: 0, compromised: 0 };
const ALL_FLAGS: ChunkFlags = { sold: -1, redeemed: -1, returned: -1, compromised: -1 };

const INSERT_CHUNK_ROWS = `INSERT INTO mint_balls (id, present, xs)
  SELECT $1::bigint * ${FILE_STRIDE} + c.chunk, c.present, substring($2::bytea FROM c.at + 1 FOR c.length)
  FROM unnest($3::integer[], $4::integer[], $5::integer[], $6::integer[]) AS c (chunk, present, at, length)`;

// A status change is, flag by flag, new = (old & keep) | set (see `pgMintStore.setStatus`).
const SET_STATUS = `INSERT INTO mint_flags (id, sold, redeemed, returned, compromised)
  SELECT id, $3, $4, $5, $6 FROM mint_balls WHERE id = $1 AND present & $2::integer <> 0
  ON CONFLICT (id) DO UPDATE SET sold = (mint_flags.sold & $7::integer) | excluded.sold,
    redeemed = (mint_flags.redeemed & $8::integer) | excluded.redeemed,
    returned = (mint_flags.returned & $9::integer) | excluded.returned,
    compromised = (mint_flags.compromised & $10::integer) | excluded.compromised`;

const SELL = `INSERT INTO mint_flags (id, sold)
  SELECT id, present & $1::integer FROM mint_balls WHERE id BETWEEN $2 AND $3 AND present & $1::integer <> 0
  ON CONFLICT (id) DO UPDATE SET sold = mint_flags.sold | excluded.sold`;

// As in SQLite, sold balls (the precondition of a redemption) have a flags row already; the insert is a guard.
const REDEEM = `INSERT INTO mint_flags (id, sold, redeemed) SELECT id, mask, mask FROM unnest($1::bigint[], $2::integer[]) AS r (id, mask)
  ON CONFLICT (id) DO UPDATE SET sold = mint_flags.sold | excluded.sold, redeemed = mint_flags.redeemed | excluded.redeemed`;

const balls = (mask: string) => `coalesce(sum(bit_count((${mask})::bit(32))), 0)`;
// A ball's status is its highest flag (compromised, returned, redeemed, sold), as `statusAt` reads it.
const COUNT_BY_STATUS = `SELECT ${balls('present & ~(sold | redeemed | returned | compromised)')} AS exists,
  ${balls('present & sold & ~redeemed & ~returned & ~compromised')} AS sold,
  ${balls('present & redeemed & ~returned & ~compromised')} AS redeemed,
  ${balls('present & returned & ~compromised')} AS returned, ${balls('present & compromised')} AS compromised
  FROM (SELECT ${CHUNK_COLUMNS} WHERE b.id BETWEEN $1 AND $2) c`;

/**
 * The mint database's statements, with the epochs repository's arguments (slots by superbin and sub-bin).
 * @example
 * const mint = pgMintStore(db.query);
 * const minted = await mint.lookup('2026-11', [4711, 8192]);
 * minted.statusOf(8192, coin, 16); // 'sold' when coin[16..32) is the ball minted into slot 8192
 */
export function pgMintStore(q: Query) {
  // An epoch's file number and v never change once committed (as in SQLite's mintStore, the minter's
  // transaction looks none up, so a rolled-back insert leaves none here).
  const files = new Map<string, MintFile>();
  const fileOf = async (epoch: string): Promise<MintFile | undefined> => {
    let f = files.get(epoch);
    if (f === undefined) {
      [f] = await q<MintFile>('SELECT m.no, e.v FROM mint_files m JOIN epochs e ON e.id = m.epoch WHERE m.epoch = $1', [epoch]);
      if (f !== undefined) files.set(epoch, f);
    }
    return f;
  };
  const chunkAt = async (no: number, slot: number) => {
    const [r] = await q<ChunkRow>(`SELECT ${CHUNK_COLUMNS} WHERE b.id = $1`, [chunkIdOf(no, slot)]);
    return r && toChunk(r);
  };
  const insertChunks = async (no: number, cs: ChunkRange[], xs: Uint8Array) => {
    const from = cs[0]!.from;
    const bytes = Buffer.from(xs.buffer, xs.byteOffset + from * BALL_BYTES, (cs[cs.length - 1]!.to - from) * BALL_BYTES);
    const at = cs.map((c) => (c.from - from) * BALL_BYTES);
    const length = cs.map((c) => (c.to - c.from) * BALL_BYTES);
    await q(INSERT_CHUNK_ROWS, [no, bytes, cs.map((c) => c.chunk), cs.map((c) => c.present), at, length]);
  };

  return {
    /** Stores an epoch's balls as SQLite's `mintStore.insert` does; call inside the transaction inserting the epoch. */
    async insert(epoch: string, slots: Uint32Array, xs: Uint8Array): Promise<void> {
      assertMinted(slots, xs);
      const [file] = await q<{ no: number }>(
        'INSERT INTO mint_files (epoch, no) SELECT $1, coalesce(max(no), 0) + 1 FROM mint_files RETURNING no',
        [epoch],
      );
      const ranges = chunkRanges(slots);
      for (let i = 0; i < ranges.length; i += INSERT_CHUNKS) await insertChunks(file!.no, ranges.slice(i, i + INSERT_CHUNKS), xs);
    },
    async ballAt(epoch: string, superbin: number, subbin: number): Promise<MintedBall | undefined> {
      const f = await fileOf(epoch);
      if (!f) return undefined;
      const slot = superbin * 2 ** f.v + subbin;
      return mintedIn(await chunkAt(f.no, slot), slot);
    },
    async lookup(epoch: string, slots: readonly number[]): Promise<MintLookup> {
      const f = await fileOf(epoch);
      const ids = f ? [...new Set(slots.map((s) => chunkIdOf(f.no, s)))] : [];
      const rows = ids.length ? await q<ChunkRow>(`SELECT ${CHUNK_COLUMNS} WHERE b.id = ANY($1::bigint[])`, [ids]) : [];
      const chunks = new Map(rows.map((r) => [r.id, toChunk(r)]));
      return { statusOf: (slot, bytes, at) => (f ? statusIfSame(chunks.get(chunkIdOf(f.no, slot)), slot, bytes, at) : undefined) };
    },
    async ballsIn(epoch: string, superbin: number): Promise<BallRow[]> {
      const f = await fileOf(epoch);
      if (!f) return [];
      const { first, last } = superbinChunks(f.v, superbin);
      const base = f.no * FILE_STRIDE;
      const rows = await q<ChunkRow>(`SELECT ${CHUNK_COLUMNS} WHERE b.id BETWEEN $1 AND $2`, [base + first, base + last]);
      const chunks = new Map(rows.map((r) => [r.id, toChunk(r)]));
      return superbinBalls(f.v, superbin, (slot) => chunks.get(chunkIdOf(f.no, slot))).map((b) => ({ superbin, ...b }));
    },
    async countIn(epoch: string, superbin: number): Promise<number> {
      const f = await fileOf(epoch);
      if (!f) return 0;
      const { first, last, mask } = superbinChunks(f.v, superbin);
      const base = f.no * FILE_STRIDE;
      const sql = `SELECT ${balls('present & $3::integer')} AS n FROM mint_balls WHERE id BETWEEN $1 AND $2`;
      const [r] = await q<{ n: number }>(sql, [base + first, base + last, mask]);
      return r!.n;
    },
    /**
     * Gives a ball a status in one statement: `withStatus` keeps or sets each bit of a flag, so its result on
     * flags all clear (`set`) and all set (`keep`) says which, and new = (old & keep) | set for any old flags.
     */
    async setStatus(epoch: string, superbin: number, subbin: number, status: BallStatus): Promise<void> {
      const f = await fileOf(epoch);
      if (!f) return;
      const slot = superbin * 2 ** f.v + subbin;
      const set = withStatus(NO_FLAGS, bitOf(slot), status);
      const keep = withStatus(ALL_FLAGS, bitOf(slot), status);
      const flags = (x: ChunkFlags) => [x.sold, x.redeemed, x.returned, x.compromised];
      await q(SET_STATUS, [chunkIdOf(f.no, slot), bitOf(slot), ...flags(set), ...flags(keep)]);
    },
    async redeemAll(epoch: string, slots: readonly number[]): Promise<void> {
      const f = await fileOf(epoch);
      if (!f || slots.length === 0) return;
      const masks = chunkMasks(f.no, slots);
      await q(REDEEM, [[...masks.keys()], [...masks.values()]]);
    },
    async sellSuperbin(epoch: string, superbin: number): Promise<void> {
      const f = await fileOf(epoch);
      if (!f) return;
      const { first, last, mask } = superbinChunks(f.v, superbin);
      await q(SELL, [mask, f.no * FILE_STRIDE + first, f.no * FILE_STRIDE + last]);
    },
    async countByStatus(epoch: string): Promise<Record<BallStatus, number>> {
      const f = await fileOf(epoch);
      if (!f) return { exists: 0, sold: 0, redeemed: 0, returned: 0, compromised: 0 };
      const [r] = await q<Record<BallStatus, number>>(COUNT_BY_STATUS, [f.no * FILE_STRIDE, (f.no + 1) * FILE_STRIDE - 1]);
      return { exists: r!.exists, sold: r!.sold, redeemed: r!.redeemed, returned: r!.returned, compromised: r!.compromised };
    },
  };
}
