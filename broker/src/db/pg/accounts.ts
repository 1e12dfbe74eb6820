/**
 * Users, their sessions and the ledger on PostgreSQL: the SQLite repository's methods (../accounts.ts),
 * a statement each. E-mails match whatever their case, as SQLite's `COLLATE NOCASE` made them.
 * @module
 */
import { toUser, type LedgerEntry, type LedgerKind, type OwnerKind, type UserRecord, type UserRow } from '../accounts.ts';
import type { AccountsRepo } from '../store.ts';
import type { Query } from './database.ts';
import { countDeleted, sqliteLimit } from './sql.ts';

/**
 * The accounts repository on PostgreSQL.
 * @example
 * const accounts = pgAccountsRepo(database.query);
 * const mills = await accounts.balance('user', userId);
 */
export function pgAccountsRepo(q: Query): AccountsRepo {
  const user = async (where: string, value: string): Promise<UserRecord | undefined> => {
    const [r] = await q<UserRow>(`SELECT id, email, password_hash, created_at FROM users WHERE ${where}`, [value]);
    return r && toUser(r);
  };
  return {
    async insertUser(u) {
      await q('INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)', [
        u.id,
        u.email,
        u.passwordHash,
        u.createdAt,
      ]);
    },
    userById: (id) => user('id = $1', id),
    userByEmail: (email) => user('lower(email) = lower($1)', email),
    async countUsers() {
      const [r] = await q<{ n: number }>('SELECT count(*) AS n FROM users');
      return r!.n;
    },
    async insertSession(tokenHash, userId, csrf, createdAt, expiresAt) {
      await q('INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        Buffer.from(tokenHash),
        userId,
        csrf,
        createdAt,
        expiresAt,
      ]);
    },
    async session(tokenHash, now) {
      const [r] = await q<{ user_id: string; csrf: string; expires_at: string }>(
        'SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2',
        [Buffer.from(tokenHash), now.toISOString()],
      );
      return r && { userId: r.user_id, csrf: r.csrf, expiresAt: r.expires_at };
    },
    async deleteSession(tokenHash) {
      await q('DELETE FROM sessions WHERE token_hash = $1', [Buffer.from(tokenHash)]);
    },
    purgeSessions: (now) => countDeleted(q, 'DELETE FROM sessions WHERE expires_at <= $1', [now.toISOString()]),
    async post(kind, ownerId, amountMills, what, ref, memo, at) {
      if (!Number.isSafeInteger(amountMills) || amountMills === 0) throw new RangeError('a ledger amount is a non-zero integer of mills');
      await q('INSERT INTO ledger (owner_kind, owner_id, amount_mills, kind, ref, memo, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        kind,
        ownerId,
        amountMills,
        what,
        ref,
        memo,
        at,
      ]);
    },
    async balance(kind, ownerId) {
      const [r] = await q<{ n: number }>('SELECT coalesce(sum(amount_mills), 0) AS n FROM ledger WHERE owner_kind = $1 AND owner_id = $2', [
        kind,
        ownerId,
      ]);
      return r!.n;
    },
    async history(kind: OwnerKind, ownerId: string, limit = 50): Promise<LedgerEntry[]> {
      const rows = await q<{ id: number; amount_mills: number; kind: LedgerKind; ref: string | null; memo: string; created_at: string }>(
        'SELECT id, amount_mills, kind, ref, memo, created_at FROM ledger WHERE owner_kind = $1 AND owner_id = $2 ORDER BY id DESC LIMIT $3',
        [kind, ownerId, sqliteLimit(limit)],
      );
      return rows.map((r) => ({ id: r.id, amountMills: r.amount_mills, kind: r.kind, ref: r.ref, memo: r.memo, createdAt: r.created_at }));
    },
  };
}
