/**
 * Small pieces of SQL the PostgreSQL repositories share, where PostgreSQL and SQLite differ: a negative
 * LIMIT, and the count of rows a statement deleted.
 * @module
 */
import type { Query } from './database.ts';

/**
 * The value for `LIMIT $n` that reads a count as SQLite does: a negative one is no limit (null).
 * @example
 * await q('SELECT * FROM rejected_coins LIMIT $1', [sqliteLimit(-1)]); // every row
 */
export const sqliteLimit = (n: number): number | null => (n < 0 ? null : n);

/**
 * Runs a `DELETE` and gives how many rows it deleted (SQLite's `changes`), in one statement.
 * @example
 * const purged = await countDeleted(q, 'DELETE FROM sessions WHERE expires_at <= $1', [now.toISOString()]);
 */
export async function countDeleted(q: Query, del: string, values: readonly unknown[]): Promise<number> {
  const [r] = await q<{ n: number }>(`WITH d AS (${del} RETURNING 1) SELECT count(*) AS n FROM d`, values);
  return r!.n;
}
