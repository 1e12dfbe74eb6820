/**
 * What happened to the wallet, newest last: imports, payments and what became of them, chains,
 * returns. Each entry is written in the transaction of the change it describes.
 * @module
 */
import type { WalletDb } from './db.ts';

/** Kinds of history entries. */
export type HistoryKind =
  | 'import'
  | 'spend'
  | 'resend'
  | 'paid'
  | 'refused'
  | 'released'
  | 'chain-open'
  | 'chain-closed'
  | 'return'
  | 'credited'
  | 'return-refused';

/** One history entry. `mills` is what came into (+) or left (-) the wallet's spendable funds. */
export interface HistoryEntry {
  id: number;
  at: number;
  kind: HistoryKind;
  mills: number;
  detail: string;
  ref?: string;
}

/** Appends an entry (inside the caller's transaction). */
export function addHistory(db: WalletDb, e: Omit<HistoryEntry, 'id'>): void {
  db.prepare('INSERT INTO history (at, kind, mills, detail, ref) VALUES (?, ?, ?, ?, ?)').run(
    e.at,
    e.kind,
    e.mills,
    e.detail,
    e.ref ?? null,
  );
}

/**
 * The newest `limit` entries, newest first.
 * @example
 * for (const e of recentHistory(db, 20)) console.log(new Date(e.at).toISOString(), e.detail);
 */
export function recentHistory(db: WalletDb, limit = 50): HistoryEntry[] {
  const rows = db.prepare('SELECT id, at, kind, mills, detail, ref FROM history ORDER BY id DESC LIMIT ?').all(limit) as (Omit<
    HistoryEntry,
    'ref'
  > & { ref: string | null })[];
  return rows.map(({ ref, ...r }) => ({ ...r, ...(ref !== null ? { ref } : {}) }));
}
