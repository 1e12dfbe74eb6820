/**
 * Schema version 7's conversion of the redeemed coins: the `redeemed_coins` table of versions 1 to 6 (one
 * wide row per coin: epoch, coin id, user, vendor, batch, URL, paid and redeemed times, four B-trees) into
 * the lean tables of migration 7, every coin and every fact kept:
 * - what a batch's coins share once per batch (`redeemed_batches`), the coins per batch and user
 *   (`redeemed_payers`) and per vendor and page (`redeemed_pages`);
 * - each coin as the slot key of its first ball (`redeemed`), found from the mint: a coin id is its first
 *   ball, and every redeemed coin's first ball is flagged redeemed in `mint_flags`;
 * - a coin whose first ball the mint does not show redeemed (never made by the broker, only by hand) keeps
 *   its epoch, id and user in `redeemed_unplaced`.
 *
 * All in SQL over the tables (a temporary table of the redeemed first balls), so a database of any size
 * converts in bounded memory.
 * @module
 */
import type { Db } from './open.ts';

/** A coin's slot key: `mint_files.no * 2^29 + slot` of its first ball; `key >> 5` is its mint_balls chunk id. */
export const SLOT_KEY_FILE = 2 ** 29;

/**
 * SQL for the number of set bits of `x`, a 32-bit value >= 0 (an SQL expression read several times, so a
 * column name or another expression without side effects).
 */
export function popcountSql(x: string): string {
  const p1 = `(${x} - ((${x} >> 1) & 1431655765))`;
  const p2 = `((${p1} & 858993459) + ((${p1} >> 2) & 858993459))`;
  return `(((((${p2} + (${p2} >> 4)) & 252645135) * 16843009) & 4294967295) >> 24)`;
}

/** SQL: the 16-byte ball of chunk row `c` (columns present, xs) in bit `b` of the chunk. */
export const ballOfBitSql = (c: string, b: string): string =>
  `substr(${c}.xs, ${popcountSql(`(${c}.present & ((1 << ${b}) - 1))`)} * 16 + 1, 16)`;

/** Converts every row of the old `redeemed_coins` (call inside the migration, after the new tables exist). */
export function convertRedeemed(db: Db): void {
  db.exec(`
    INSERT INTO redeemed_batches (vendor_id, batch_id, coins, redeemed_at)
      SELECT vendor_id, batch_id, count(*), redeemed_at FROM redeemed_coins
       GROUP BY vendor_id, batch_id, redeemed_at ORDER BY min(rowid);
    INSERT INTO redeemed_pages (vendor_id, url, coins, last_redeemed_at)
      SELECT vendor_id, url, count(*), max(redeemed_at) FROM redeemed_coins GROUP BY vendor_id, url ORDER BY min(rowid);
    INSERT INTO redeemed_payers (batch, user_id, coins)
      SELECT b.id, r.user_id, count(*) FROM redeemed_coins r
        JOIN redeemed_batches b ON b.vendor_id = r.vendor_id AND b.batch_id = r.batch_id AND b.redeemed_at = r.redeemed_at
       GROUP BY b.id, r.user_id;

    CREATE TEMP TABLE first_balls (no INTEGER NOT NULL, x BLOB NOT NULL, slot_key INTEGER NOT NULL, PRIMARY KEY (no, x)) WITHOUT ROWID;
    INSERT OR IGNORE INTO first_balls (no, x, slot_key)
      WITH RECURSIVE bits (b) AS (SELECT 0 UNION ALL SELECT b + 1 FROM bits WHERE b < 31)
      SELECT c.id >> 24, ${ballOfBitSql('c', 'bits.b')}, ((c.id >> 24) << 29) + ((c.id & 16777215) << 5) + bits.b
        FROM mint_flags f JOIN mint_balls c ON c.id = f.id JOIN bits ON ((f.redeemed & c.present) >> bits.b) & 1;

    CREATE TEMP TABLE old_coins AS
      SELECT r.rowid AS n, r.epoch, r.coin_id, r.user_id, b.id AS batch, p.id AS page, r.paid_at, fb.slot_key
        FROM redeemed_coins r
        JOIN redeemed_batches b ON b.vendor_id = r.vendor_id AND b.batch_id = r.batch_id AND b.redeemed_at = r.redeemed_at
        JOIN redeemed_pages p ON p.vendor_id = r.vendor_id AND p.url = r.url
        LEFT JOIN mint_files m ON m.epoch = r.epoch
        LEFT JOIN first_balls fb ON fb.no = m.no AND fb.x = unhex(r.coin_id);
    INSERT INTO redeemed (slot_key, batch, page, paid_at)
      SELECT slot_key, batch, page, ${paidAtValueSql('paid_at')} FROM old_coins WHERE slot_key IS NOT NULL ORDER BY slot_key;
    INSERT INTO redeemed_unplaced (epoch, coin_id, user_id, batch, page, paid_at)
      SELECT epoch, coin_id, user_id, batch, page, paid_at FROM old_coins WHERE slot_key IS NULL ORDER BY n;
    DROP TABLE temp.old_coins;
    DROP TABLE temp.first_balls;
  `);
}

/** Latest instant whose `toISOString()` has a 4-digit year (10000-01-01T00:00:00.000Z). */
export const MAX_PLAIN_ISO_MS = 253_402_300_800_000;

/**
 * How a coin's `paidAt` is stored: the milliseconds since 1970 when `toISOString()` gives the very string
 * back (the form wallets send; 6 bytes instead of 24), else the string as sent.
 * @example
 * paidAtValue('2026-12-01T10:00:00.000Z'); // 1796119200000
 * paidAtValue('2026-12-01T11:00:00+01:00'); // '2026-12-01T11:00:00+01:00'
 */
export function paidAtValue(paidAt: string): number | string {
  const ms = Date.parse(paidAt);
  return ms >= 0 && ms < MAX_PLAIN_ISO_MS && new Date(ms).toISOString() === paidAt ? ms : paidAt;
}

/** SQL of {@link paidAtValue} on a text expression `t` (read several times). */
function paidAtValueSql(t: string): string {
  const ms = `CAST(round((julianday(${t}) - 2440587.5) * 86400000) AS INTEGER)`;
  return `CASE WHEN ${paidAtTextSql(ms)} = ${t} THEN ${ms} ELSE ${t} END`;
}

/** SQL: the ISO 8601 text of a stored `paid_at` value `v` (milliseconds since 1970, or the text as sent). */
export function paidAtTextSql(v: string): string {
  return `CASE WHEN typeof(${v}) = 'integer' THEN strftime('%Y-%m-%dT%H:%M:%S', ${v} / 1000, 'unixepoch') || printf('.%03dZ', ${v} % 1000) ELSE ${v} END`;
}
