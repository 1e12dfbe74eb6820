/**
 * Users, their sessions, and the money ledger (integer mills) from which every balance is derived.
 * @module
 */
import type { Db } from './open.ts';

/** A user account. */
export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  createdAt: string;
}

/** Who a ledger line belongs to. */
export type OwnerKind = 'user' | 'vendor';
/**
 * What moved the money. A PayWord chain moves it three ways: `chain-hold` takes the chain's whole value
 * from the user at authorization, `clearing` pays a vendor for the links it cleared, `chain-release` gives
 * the user back what no vendor cleared in time.
 */
export type LedgerKind = 'deposit' | 'purchase' | 'return-credit' | 'redemption' | 'chain-hold' | 'chain-release' | 'clearing';

/** One line of the ledger. */
export interface LedgerEntry {
  id: number;
  amountMills: number;
  kind: LedgerKind;
  ref: string | null;
  memo: string;
  createdAt: string;
}

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: string;
}
export const toUser = (r: UserRow): UserRecord => ({ id: r.id, email: r.email, passwordHash: r.password_hash, createdAt: r.created_at });

/** SQL for users, sessions and the ledger. */
export function accountsRepo(db: Db) {
  const q = {
    insertUser: db.prepare('INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)'),
    userById: db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
    userByEmail: db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?'),
    countUsers: db.prepare<[], number>('SELECT count(*) FROM users').pluck(),
    insertSession: db.prepare('INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
    session: db.prepare<[Buffer, string], { user_id: string; csrf: string; expires_at: string }>(
      'SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?',
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    purgeSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    insertLedger: db.prepare(
      'INSERT INTO ledger (owner_kind, owner_id, amount_mills, kind, ref, memo, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    balance: db
      .prepare<[OwnerKind, string], number>('SELECT coalesce(sum(amount_mills), 0) FROM ledger WHERE owner_kind = ? AND owner_id = ?')
      .pluck(),
    history: db.prepare<
      [OwnerKind, string, number],
      { id: number; amount_mills: number; kind: LedgerKind; ref: string | null; memo: string; created_at: string }
    >('SELECT id, amount_mills, kind, ref, memo, created_at FROM ledger WHERE owner_kind = ? AND owner_id = ? ORDER BY id DESC LIMIT ?'),
  };

  return {
    insertUser(u: UserRecord): void {
      q.insertUser.run(u.id, u.email, u.passwordHash, u.createdAt);
    },
    userById: (id: string): UserRecord | undefined => {
      const r = q.userById.get(id);
      return r && toUser(r);
    },
    userByEmail: (email: string): UserRecord | undefined => {
      const r = q.userByEmail.get(email);
      return r && toUser(r);
    },
    countUsers: (): number => q.countUsers.get() ?? 0,
    insertSession(tokenHash: Uint8Array, userId: string, csrf: string, createdAt: string, expiresAt: string): void {
      q.insertSession.run(Buffer.from(tokenHash), userId, csrf, createdAt, expiresAt);
    },
    /** The live session whose token hashes to `tokenHash`, if any. */
    session(tokenHash: Uint8Array, now: Date): { userId: string; csrf: string; expiresAt: string } | undefined {
      const r = q.session.get(Buffer.from(tokenHash), now.toISOString());
      return r && { userId: r.user_id, csrf: r.csrf, expiresAt: r.expires_at };
    },
    deleteSession(tokenHash: Uint8Array): void {
      q.deleteSession.run(Buffer.from(tokenHash));
    },
    purgeSessions(now: Date): number {
      return q.purgeSessions.run(now.toISOString()).changes;
    },
    /** Appends a ledger line. A line never changes once written; corrections are new lines. */
    post(kind: OwnerKind, ownerId: string, amountMills: number, what: LedgerKind, ref: string | null, memo: string, at: string): void {
      if (!Number.isSafeInteger(amountMills) || amountMills === 0) throw new RangeError('a ledger amount is a non-zero integer of mills');
      q.insertLedger.run(kind, ownerId, amountMills, what, ref, memo, at);
    },
    /** Balance in mills: the sum of the owner's ledger lines. */
    balance: (kind: OwnerKind, ownerId: string): number => q.balance.get(kind, ownerId) ?? 0,
    history(kind: OwnerKind, ownerId: string, limit = 50): LedgerEntry[] {
      return q.history.all(kind, ownerId, limit).map((r) => ({
        id: r.id,
        amountMills: r.amount_mills,
        kind: r.kind,
        ref: r.ref,
        memo: r.memo,
        createdAt: r.created_at,
      }));
    },
  };
}

/** The accounts repository. */
export type AccountsRepo = ReturnType<typeof accountsRepo>;
