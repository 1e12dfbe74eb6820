/**
 * PostgreSQL tables of readers' API tokens, the wallet keys bound to them and their purchases: the SQLite
 * schema's (migrations.ts), with PostgreSQL's types; `created_at` sorts in byte order (`COLLATE "C"`, SQLite's
 * BINARY) and `seq` is the order of insertion (SQLite's rowid), as the repository sorts by them.
 * @module
 */

/** Part of the broker schema's first migration (pg/schema.ts puts the parts in order). */
export const TOKENS_TABLES = `
CREATE TABLE api_tokens (
  id           text PRIMARY KEY CHECK (id ~ '^t_[0-9a-f]{16}$'),
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  secret_hash  bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
  limit_mills  bigint CHECK (limit_mills IS NULL OR limit_mills >= 0),
  spent_mills  bigint NOT NULL DEFAULT 0 CHECK (spent_mills >= 0 AND (limit_mills IS NULL OR spent_mills <= limit_mills)),
  created_at   text COLLATE "C" NOT NULL,
  last_used_at text,
  seq          bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
CREATE TABLE api_token_wallet_keys (
  token_id text NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  user_id  text NOT NULL,
  key      bytea NOT NULL,
  PRIMARY KEY (user_id, key),
  FOREIGN KEY (user_id, key) REFERENCES wallet_keys (user_id, key) ON DELETE CASCADE
);
CREATE INDEX api_token_wallet_keys_token ON api_token_wallet_keys (token_id);
CREATE TABLE api_purchases (
  user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  request_id    text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 64),
  withdrawal_id text NOT NULL REFERENCES withdrawals (id),
  count         integer NOT NULL CHECK (count >= 1),
  created_at    text NOT NULL,
  PRIMARY KEY (user_id, request_id)
);
`;
