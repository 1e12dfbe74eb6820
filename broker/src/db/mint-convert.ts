/**
 * Schema version 6's conversion of the mint database: the `balls` table of versions 1 to 5 (one row per
 * ball: epoch, superbin, sub-bin, x, status) into the compact tables of ball-chunks.ts, every ball and every
 * status kept. Reads the rows in slot order, {@link PAGE_SLOTS} slots at a time, so an epoch of any size
 * converts in bounded memory.
 * @module
 */
import { BALL_BYTES } from '@micromint/shared';
import { CHUNK_SLOTS, FILE_STRIDE, bitOf, withStatus, type BallStatus, type ChunkFlags } from './ball-chunks.ts';
import type { Db } from './open.ts';

/** Slots read per query (better-sqlite3 cannot write while a query is being iterated). */
export const PAGE_SLOTS = 2 ** 16;

type OldBall = [superbin: number, subbin: number, x: Buffer, status: BallStatus];

const noFlags = (): ChunkFlags => ({ sold: 0, redeemed: 0, returned: 0, compromised: 0 });
const anyFlag = (f: ChunkFlags): boolean => (f.sold | f.redeemed | f.returned | f.compromised) !== 0;

/** Converts the balls of every epoch (call inside the migration's transaction, after the new tables exist). */
export function convertBalls(db: Db): void {
  const epochs = db.prepare<[], { id: string; v: number }>('SELECT id, v FROM epochs ORDER BY created_at, rowid').all();
  const file = db.prepare('INSERT INTO mint_files (epoch, no) VALUES (?, ?)');
  const balls = db
    .prepare<[string, number, number], OldBall>(
      'SELECT superbin, subbin, x, status FROM balls WHERE epoch = ? AND superbin BETWEEN ? AND ? ORDER BY superbin, subbin',
    )
    .raw();
  const [last] = db.prepare<[], [number | null]>('SELECT max(superbin) FROM balls').raw().get()!;
  const chunk = db.prepare('INSERT INTO mint_balls (id, present, xs) VALUES (?, ?, ?)');
  const flags = db.prepare('INSERT INTO mint_flags (id, sold, redeemed, returned, compromised) VALUES (?, ?, ?, ?, ?)');
  epochs.forEach(({ id, v }, i) => {
    const no = i + 1;
    file.run(id, no);
    let current = -1;
    let present = 0;
    let xs: Buffer[] = [];
    let f = noFlags();
    const flush = () => {
      if (current < 0) return;
      chunk.run(no * FILE_STRIDE + current, present, Buffer.concat(xs, xs.length * BALL_BYTES));
      if (anyFlag(f)) flags.run(no * FILE_STRIDE + current, f.sold, f.redeemed, f.returned, f.compromised);
    };
    const step = Math.max(1, PAGE_SLOTS / 2 ** v);
    for (let from = 0; from <= (last ?? -1); from += step) {
      for (const [superbin, subbin, x, status] of balls.all(id, from, from + step - 1)) {
        const slot = superbin * 2 ** v + subbin;
        if (Math.floor(slot / CHUNK_SLOTS) !== current) {
          flush();
          current = Math.floor(slot / CHUNK_SLOTS);
          [present, xs, f] = [0, [], noFlags()];
        }
        present |= bitOf(slot);
        xs.push(x);
        if (status !== 'exists') f = withStatus(f, bitOf(slot), status);
      }
    }
    flush();
  });
}
