/**
 * Vendor dashboard sessions: one row per signed-in browser, keyed by the SHA-256 of the cookie token, with
 * the vendor's API key sealed under a key only that cookie can make (core/vendor-sessions.ts).
 * @module
 */
import type { Db } from './open.ts';

/** A stored vendor session. */
export interface VendorSessionRow {
  vendorId: string;
  /** The API key, sealed (AES-256-GCM: 12-byte nonce, ciphertext, 16-byte tag). */
  sealedKey: Uint8Array;
  expiresAt: string;
}

/** SQL for vendor sessions. */
export function vendorSessionsRepo(db: Db) {
  const q = {
    insert: db.prepare('INSERT INTO vendor_sessions (token_hash, vendor_id, sealed_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
    get: db.prepare<[Buffer, string], { vendor_id: string; sealed_key: Buffer; expires_at: string }>(
      'SELECT vendor_id, sealed_key, expires_at FROM vendor_sessions WHERE token_hash = ? AND expires_at > ?',
    ),
    remove: db.prepare('DELETE FROM vendor_sessions WHERE token_hash = ?'),
    purge: db.prepare('DELETE FROM vendor_sessions WHERE expires_at <= ?'),
    prune: db.prepare(
      `DELETE FROM vendor_sessions WHERE vendor_id = ? AND token_hash NOT IN (
         SELECT token_hash FROM vendor_sessions WHERE vendor_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
    ),
  };
  return {
    insert(tokenHash: Uint8Array, vendorId: string, sealedKey: Uint8Array, createdAt: string, expiresAt: string): void {
      q.insert.run(Buffer.from(tokenHash), vendorId, Buffer.from(sealedKey), createdAt, expiresAt);
    },
    /** The live session whose token hashes to `tokenHash`, if any. */
    get(tokenHash: Uint8Array, now: Date): VendorSessionRow | undefined {
      const r = q.get.get(Buffer.from(tokenHash), now.toISOString());
      return r && { vendorId: r.vendor_id, sealedKey: r.sealed_key, expiresAt: r.expires_at };
    },
    remove(tokenHash: Uint8Array): void {
      q.remove.run(Buffer.from(tokenHash));
    },
    /** Deletes the expired sessions of every vendor. */
    purge: (now: Date): number => q.purge.run(now.toISOString()).changes,
    /** Keeps only the newest `keep` sessions of a vendor. */
    prune: (vendorId: string, keep: number): number => q.prune.run(vendorId, vendorId, keep).changes,
  };
}
