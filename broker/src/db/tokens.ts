/**
 * API tokens of readers (scripts and agents that pay without a browser), the wallet keys a token
 * connected, and the idempotency keys of purchases made through the token API.
 * @module
 */
import type { Db } from './open.ts';

/** An API token as stored: never the secret, only its SHA-256. */
export interface TokenRecord {
  /** Public id, `t_` + 16 hex digits. */
  id: string;
  userId: string;
  name: string;
  secretHash: Uint8Array;
  /** The most the token may spend, in mills; null for no limit. */
  limitMills: number | null;
  /** What the token spent: purchases and the holds of chains its wallet keys signed. */
  spentMills: number;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface TokenRow {
  id: string;
  user_id: string;
  name: string;
  secret_hash: Buffer;
  limit_mills: number | null;
  spent_mills: number;
  created_at: string;
  last_used_at: string | null;
}

export const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  secretHash: new Uint8Array(r.secret_hash),
  limitMills: r.limit_mills,
  spentMills: r.spent_mills,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

/** SQL for API tokens. */
export function tokensRepo(db: Db) {
  const q = {
    insert: db.prepare('INSERT INTO api_tokens (id, user_id, name, secret_hash, limit_mills, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    byHash: db.prepare<[Buffer], TokenRow>('SELECT * FROM api_tokens WHERE secret_hash = ?'),
    byId: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ?'),
    ofUser: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, rowid DESC'),
    countOfUser: db.prepare<[string], number>('SELECT count(*) FROM api_tokens WHERE user_id = ?').pluck(),
    delete: db.prepare('DELETE FROM api_tokens WHERE id = ? AND user_id = ?'),
    touch: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
    spend: db.prepare('UPDATE api_tokens SET spent_mills = spent_mills + ? WHERE id = ?'),
    bindKey: db.prepare('INSERT INTO api_token_wallet_keys (token_id, user_id, key) VALUES (?, ?, ?)'),
    keysOf: db.prepare<[string], Buffer>('SELECT key FROM api_token_wallet_keys WHERE token_id = ? ORDER BY key').pluck(),
    tokenOfKey: db.prepare<[string, Buffer], string>('SELECT token_id FROM api_token_wallet_keys WHERE user_id = ? AND key = ?').pluck(),
    purchase: db.prepare<[string, string], { withdrawal_id: string; count: number }>(
      'SELECT withdrawal_id, count FROM api_purchases WHERE user_id = ? AND request_id = ?',
    ),
    insertPurchase: db.prepare('INSERT INTO api_purchases (user_id, request_id, withdrawal_id, count, created_at) VALUES (?, ?, ?, ?, ?)'),
  };

  return {
    insert(t: Omit<TokenRecord, 'spentMills' | 'lastUsedAt'>): void {
      q.insert.run(t.id, t.userId, t.name, Buffer.from(t.secretHash), t.limitMills, t.createdAt);
    },
    /** The token whose secret hashes to `hash`, if any. */
    byHash: (hash: Uint8Array): TokenRecord | undefined => {
      const r = q.byHash.get(Buffer.from(hash));
      return r && toToken(r);
    },
    byId: (id: string): TokenRecord | undefined => {
      const r = q.byId.get(id);
      return r && toToken(r);
    },
    /** The user's tokens, newest first. */
    ofUser: (userId: string): TokenRecord[] => q.ofUser.all(userId).map(toToken),
    countOfUser: (userId: string): number => q.countOfUser.get(userId) ?? 0,
    /** Deletes the user's token `id`; false when the user has no such token. */
    delete: (id: string, userId: string): boolean => q.delete.run(id, userId).changes === 1,
    touch(id: string, at: string): void {
      q.touch.run(at, id);
    },
    /** Adds `mills` to what the token spent (the table's CHECK refuses going over its limit). */
    spend(id: string, mills: number): void {
      q.spend.run(mills, id);
    },
    /** Records that token `tokenId` connected the wallet key (`userId`, `key`). */
    bindKey(tokenId: string, userId: string, key: Uint8Array): void {
      q.bindKey.run(tokenId, userId, Buffer.from(key));
    },
    /** The wallet keys the token connected. */
    keysOf: (tokenId: string): Uint8Array[] => q.keysOf.all(tokenId).map((k) => new Uint8Array(k)),
    /** The token that connected the user's wallet key, if one did. */
    tokenOfKey: (userId: string, key: Uint8Array): string | undefined => q.tokenOfKey.get(userId, Buffer.from(key)),
    /** The purchase a request id of the user made, if any. */
    purchase(userId: string, requestId: string): { withdrawalId: string; count: number } | undefined {
      const r = q.purchase.get(userId, requestId);
      return r && { withdrawalId: r.withdrawal_id, count: r.count };
    },
    insertPurchase(userId: string, requestId: string, withdrawalId: string, count: number, at: string): void {
      q.insertPurchase.run(userId, requestId, withdrawalId, count, at);
    },
  };
}

/** The tokens repository. */
export type TokensRepo = ReturnType<typeof tokensRepo>;
