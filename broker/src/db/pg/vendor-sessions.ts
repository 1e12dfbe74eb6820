/**
 * Vendor dashboard sessions on PostgreSQL: the SQLite repository's methods (../vendor-sessions.ts), a
 * statement each.
 * @module
 */
import type { VendorSessionsRepo } from '../store.ts';
import type { Query } from './database.ts';
import { countDeleted, sqliteLimit } from './sql.ts';

/**
 * The vendor sessions repository on PostgreSQL.
 * @example
 * const sessions = pgVendorSessionsRepo(database.query);
 * const live = await sessions.get(sha256(cookieToken), new Date());
 */
export function pgVendorSessionsRepo(q: Query): VendorSessionsRepo {
  return {
    async insert(tokenHash, vendorId, sealedKey, createdAt, expiresAt) {
      await q('INSERT INTO vendor_sessions (token_hash, vendor_id, sealed_key, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        Buffer.from(tokenHash),
        vendorId,
        Buffer.from(sealedKey),
        createdAt,
        expiresAt,
      ]);
    },
    async get(tokenHash, now) {
      const [r] = await q<{ vendor_id: string; sealed_key: Buffer; expires_at: string }>(
        'SELECT vendor_id, sealed_key, expires_at FROM vendor_sessions WHERE token_hash = $1 AND expires_at > $2',
        [Buffer.from(tokenHash), now.toISOString()],
      );
      return r && { vendorId: r.vendor_id, sealedKey: r.sealed_key, expiresAt: r.expires_at };
    },
    async remove(tokenHash) {
      await q('DELETE FROM vendor_sessions WHERE token_hash = $1', [Buffer.from(tokenHash)]);
    },
    purge: (now) => countDeleted(q, 'DELETE FROM vendor_sessions WHERE expires_at <= $1', [now.toISOString()]),
    // seq is the order of insertion, as SQLite's rowid.
    prune: (vendorId, keep) =>
      countDeleted(
        q,
        `DELETE FROM vendor_sessions WHERE vendor_id = $1 AND token_hash NOT IN (
           SELECT token_hash FROM vendor_sessions WHERE vendor_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2)`,
        [vendorId, sqliteLimit(keep)],
      ),
  };
}
