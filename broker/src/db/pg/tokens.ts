/**
 * Readers' API tokens, the wallet keys they connected and their purchases' idempotency keys on PostgreSQL:
 * the SQLite repository's methods (../tokens.ts), a statement each.
 * @module
 */
import { toToken, type TokenRecord, type TokenRow } from '../tokens.ts';
import type { TokensRepo } from '../store.ts';
import type { Query } from './database.ts';

const TOKEN = 'SELECT id, user_id, name, secret_hash, limit_mills, spent_mills, created_at, last_used_at FROM api_tokens';

/**
 * The tokens repository on PostgreSQL.
 * @example
 * const tokens = pgTokensRepo(database.query);
 * const token = await tokens.byHash(sha256(secret));
 */
export function pgTokensRepo(q: Query): TokensRepo {
  const one = async (where: string, value: unknown): Promise<TokenRecord | undefined> => {
    const [r] = await q<TokenRow>(`${TOKEN} WHERE ${where}`, [value]);
    return r && toToken(r);
  };
  return {
    async insert(t) {
      await q('INSERT INTO api_tokens (id, user_id, name, secret_hash, limit_mills, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        t.id,
        t.userId,
        t.name,
        Buffer.from(t.secretHash),
        t.limitMills,
        t.createdAt,
      ]);
    },
    byHash: (hash) => one('secret_hash = $1', Buffer.from(hash)),
    byId: (id) => one('id = $1', id),
    // seq is the order of insertion, as SQLite's rowid.
    ofUser: async (userId) => (await q<TokenRow>(`${TOKEN} WHERE user_id = $1 ORDER BY created_at DESC, seq DESC`, [userId])).map(toToken),
    async countOfUser(userId) {
      const [r] = await q<{ n: number }>('SELECT count(*) AS n FROM api_tokens WHERE user_id = $1', [userId]);
      return r!.n;
    },
    delete: async (id, userId) => (await q('DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING 1', [id, userId])).length === 1,
    async touch(id, at) {
      await q('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
    },
    async spend(id, mills) {
      await q('UPDATE api_tokens SET spent_mills = spent_mills + $1 WHERE id = $2', [mills, id]);
    },
    async bindKey(tokenId, userId, key) {
      await q('INSERT INTO api_token_wallet_keys (token_id, user_id, key) VALUES ($1, $2, $3)', [tokenId, userId, Buffer.from(key)]);
    },
    keysOf: async (tokenId) =>
      (await q<{ key: Buffer }>('SELECT key FROM api_token_wallet_keys WHERE token_id = $1 ORDER BY key', [tokenId])).map(
        (r) => new Uint8Array(r.key),
      ),
    async tokenOfKey(userId, key) {
      const [r] = await q<{ token_id: string }>('SELECT token_id FROM api_token_wallet_keys WHERE user_id = $1 AND key = $2', [
        userId,
        Buffer.from(key),
      ]);
      return r?.token_id;
    },
    async purchase(userId, requestId) {
      const [r] = await q<{ withdrawal_id: string; count: number }>(
        'SELECT withdrawal_id, count FROM api_purchases WHERE user_id = $1 AND request_id = $2',
        [userId, requestId],
      );
      return r && { withdrawalId: r.withdrawal_id, count: r.count };
    },
    async insertPurchase(userId, requestId, withdrawalId, count, at) {
      await q('INSERT INTO api_purchases (user_id, request_id, withdrawal_id, count, created_at) VALUES ($1, $2, $3, $4, $5)', [
        userId,
        requestId,
        withdrawalId,
        count,
        at,
      ]);
    },
  };
}
