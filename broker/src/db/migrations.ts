/**
 * Versioned schema migrations. `PRAGMA user_version` holds how many have run; each new schema change is a
 * new function appended to {@link MIGRATIONS} (never edit one that has shipped).
 * @module
 */
import type Database from 'better-sqlite3';
import { convertBalls } from './mint-convert.ts';
import { ballOfBitSql, convertRedeemed, paidAtTextSql } from './redeemed-convert.ts';

type Migration = (db: Database.Database) => void;

/** Version 1: epochs and the mint database, accounts, sets, vendors, redemptions, complaints, returns. */
function v1(db: Database.Database): void {
  db.exec(`
    CREATE TABLE epochs (
      id            TEXT PRIMARY KEY,
      key           BLOB NOT NULL CHECK (length(key) = 32),
      t             INTEGER NOT NULL,
      u             INTEGER NOT NULL,
      v             INTEGER NOT NULL,
      k             INTEGER NOT NULL,
      fixed         INTEGER NOT NULL,
      expires_at    TEXT NOT NULL,
      created_at    TEXT NOT NULL,
      fill          REAL NOT NULL,
      hashes        INTEGER NOT NULL,
      balls_counted INTEGER NOT NULL,
      filled_slots  INTEGER NOT NULL,
      mint_ms       INTEGER NOT NULL,
      workers       INTEGER NOT NULL
    );

    -- The thesis's CoinMint file: one row per filled (superbin, sub-bin) slot with the ball minted there.
    CREATE TABLE balls (
      epoch    TEXT NOT NULL REFERENCES epochs(id),
      superbin INTEGER NOT NULL,
      subbin   INTEGER NOT NULL,
      x        BLOB NOT NULL CHECK (length(x) = 16),
      status   TEXT NOT NULL DEFAULT 'exists'
               CHECK (status IN ('exists', 'sold', 'redeemed', 'returned', 'compromised')),
      PRIMARY KEY (epoch, superbin, subbin)
    ) WITHOUT ROWID;

    CREATE TABLE users (
      id            TEXT PRIMARY KEY CHECK (length(id) = 18 AND id GLOB 'u_[0-9a-f]*'),
      email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      created_at    TEXT NOT NULL
    );

    -- token_hash = SHA-256 of the cookie token: a copy of the database does not log anyone in.
    CREATE TABLE sessions (
      token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
      user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      csrf       TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions(user_id);

    CREATE TABLE vendors (
      id              TEXT PRIMARY KEY,
      name            TEXT NOT NULL,
      api_key_hash    BLOB NOT NULL UNIQUE CHECK (length(api_key_hash) = 32),
      owner_user_id   TEXT REFERENCES users(id),
      disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
      disabled_reason TEXT,
      disabled_at     TEXT,
      created_at      TEXT NOT NULL
    );

    -- Money in integer mills (1 coin = 1 mill). Balances are sums over this table.
    CREATE TABLE ledger (
      id           INTEGER PRIMARY KEY,
      owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('user', 'vendor')),
      owner_id     TEXT NOT NULL,
      amount_mills INTEGER NOT NULL CHECK (amount_mills <> 0),
      kind         TEXT NOT NULL CHECK (kind IN ('deposit', 'purchase', 'return-credit', 'redemption')),
      ref          TEXT,
      memo         TEXT NOT NULL,
      created_at   TEXT NOT NULL
    );
    CREATE INDEX ledger_owner ON ledger(owner_kind, owner_id, id);

    CREATE TABLE withdrawals (
      id          TEXT PRIMARY KEY,
      user_id     TEXT NOT NULL REFERENCES users(id),
      epoch       TEXT NOT NULL REFERENCES epochs(id),
      coins       INTEGER NOT NULL,
      price_mills INTEGER NOT NULL,
      created_at  TEXT NOT NULL
    );
    CREATE INDEX withdrawals_user ON withdrawals(user_id, created_at);

    CREATE TABLE sets (
      id             INTEGER PRIMARY KEY,
      withdrawal_id  TEXT NOT NULL REFERENCES withdrawals(id),
      user_id        TEXT NOT NULL REFERENCES users(id),
      epoch          TEXT NOT NULL REFERENCES epochs(id),
      first_superbin INTEGER NOT NULL,
      superbins      TEXT NOT NULL,
      coins          INTEGER NOT NULL,
      price_mills    INTEGER NOT NULL,
      created_at     TEXT NOT NULL,
      UNIQUE (epoch, first_superbin)
    );
    CREATE INDEX sets_withdrawal ON sets(withdrawal_id);
    CREATE INDEX sets_user ON sets(user_id, epoch);

    -- One row per sold superbin: the primary key is what guarantees that two sets never overlap.
    CREATE TABLE set_superbins (
      epoch    TEXT NOT NULL REFERENCES epochs(id),
      superbin INTEGER NOT NULL,
      set_id   INTEGER NOT NULL REFERENCES sets(id),
      position INTEGER NOT NULL,
      PRIMARY KEY (epoch, superbin)
    ) WITHOUT ROWID;

    -- The stored answer of each redemption batch, replayed on a retry with the same batchId.
    CREATE TABLE redemption_batches (
      vendor_id      TEXT NOT NULL REFERENCES vendors(id),
      batch_id       TEXT NOT NULL,
      request_digest BLOB NOT NULL,
      answer         TEXT NOT NULL,
      credited       INTEGER NOT NULL,
      refused        INTEGER NOT NULL,
      created_at     TEXT NOT NULL,
      PRIMARY KEY (vendor_id, batch_id)
    );

    CREATE TABLE redeemed_coins (
      epoch       TEXT NOT NULL REFERENCES epochs(id),
      coin_id     TEXT NOT NULL,
      user_id     TEXT NOT NULL,
      vendor_id   TEXT NOT NULL REFERENCES vendors(id),
      batch_id    TEXT NOT NULL,
      url         TEXT NOT NULL,
      paid_at     TEXT NOT NULL,
      redeemed_at TEXT NOT NULL,
      PRIMARY KEY (epoch, coin_id)
    );
    CREATE INDEX redeemed_vendor ON redeemed_coins(vendor_id);
    CREATE INDEX redeemed_user ON redeemed_coins(user_id);

    CREATE TABLE double_spends (
      id              INTEGER PRIMARY KEY,
      epoch           TEXT NOT NULL,
      coin_id         TEXT NOT NULL,
      user_id         TEXT NOT NULL,
      vendor_id       TEXT NOT NULL REFERENCES vendors(id),
      first_vendor_id TEXT,
      batch_id        TEXT NOT NULL,
      reason          TEXT NOT NULL CHECK (reason IN ('already-spent', 'returned')),
      created_at      TEXT NOT NULL
    );
    CREATE INDEX double_spends_vendor ON double_spends(vendor_id);
    CREATE INDEX double_spends_user ON double_spends(user_id);

    -- Coins a vendor sent that were refused, set aside with the reason (the thesis's "invalid coins").
    CREATE TABLE rejected_coins (
      id         INTEGER PRIMARY KEY,
      vendor_id  TEXT NOT NULL REFERENCES vendors(id),
      batch_id   TEXT NOT NULL,
      epoch      TEXT NOT NULL,
      user_id    TEXT NOT NULL,
      coin_id    TEXT,
      coin       TEXT NOT NULL,
      url        TEXT NOT NULL,
      reason     TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX rejected_vendor ON rejected_coins(vendor_id);

    CREATE TABLE complaints (
      id         INTEGER PRIMARY KEY,
      user_id    TEXT NOT NULL REFERENCES users(id),
      vendor_id  TEXT NOT NULL REFERENCES vendors(id),
      text       TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX complaints_vendor ON complaints(vendor_id, user_id);
    CREATE INDEX complaints_user ON complaints(user_id);

    -- Request-Credit: first-superbin balls returned unspent, one row per ball.
    CREATE TABLE credit_returns (
      epoch      TEXT NOT NULL REFERENCES epochs(id),
      superbin   INTEGER NOT NULL,
      subbin     INTEGER NOT NULL,
      user_id    TEXT NOT NULL REFERENCES users(id),
      set_id     INTEGER NOT NULL REFERENCES sets(id),
      created_at TEXT NOT NULL,
      PRIMARY KEY (epoch, superbin, subbin)
    ) WITHOUT ROWID;
  `);
}

/**
 * Version 2: the epoch's redemption deadline, bounded storage of what vendors send, windowed complaints.
 * - `epochs.redeem_by`: pinned the first time the broker publishes the epoch (expires_at + its grace), so a
 *   broker restarted with a shorter grace cannot take back the time vendors were told they have.
 * - `refusal_counts`: every refused coin counted per vendor, day and reason; `rejected_coins` keeps only the
 *   newest few in full (see core/refusals.ts), so a flood of junk coins costs a counter, not a row each.
 * - `double_spends`: one row per (epoch, coin, vendor) with the number of attempts, so resending one real
 *   coin many times does not grow the table.
 * - `vendors.enabled_at`: when an operator last enabled the vendor; complaints before it no longer count.
 * - indexes for the complaint window and for pruning refused batches.
 */
function v2(db: Database.Database): void {
  db.exec(`
    ALTER TABLE epochs ADD COLUMN redeem_by TEXT;
    ALTER TABLE vendors ADD COLUMN enabled_at TEXT;

    CREATE TABLE refusal_counts (
      vendor_id TEXT NOT NULL REFERENCES vendors(id),
      day       TEXT NOT NULL,
      reason    TEXT NOT NULL,
      count     INTEGER NOT NULL CHECK (count > 0),
      PRIMARY KEY (vendor_id, day, reason)
    ) WITHOUT ROWID;
    INSERT INTO refusal_counts (vendor_id, day, reason, count)
      SELECT vendor_id, substr(created_at, 1, 10), reason, count(*) FROM rejected_coins GROUP BY 1, 2, 3;

    CREATE TABLE double_spends_v2 (
      id              INTEGER PRIMARY KEY,
      epoch           TEXT NOT NULL,
      coin_id         TEXT NOT NULL,
      user_id         TEXT NOT NULL,
      vendor_id       TEXT NOT NULL REFERENCES vendors(id),
      first_vendor_id TEXT,
      batch_id        TEXT NOT NULL,
      reason          TEXT NOT NULL CHECK (reason IN ('already-spent', 'returned')),
      created_at      TEXT NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
      last_batch_id   TEXT NOT NULL,
      last_at         TEXT NOT NULL,
      UNIQUE (epoch, coin_id, vendor_id)
    );
    INSERT INTO double_spends_v2 (id, epoch, coin_id, user_id, vendor_id, first_vendor_id, batch_id, reason, created_at,
                                  attempts, last_batch_id, last_at)
      SELECT f.id, f.epoch, f.coin_id, f.user_id, f.vendor_id, f.first_vendor_id, f.batch_id, f.reason, f.created_at,
             g.n, l.batch_id, l.created_at
        FROM (SELECT min(id) AS first, max(id) AS last, count(*) AS n FROM double_spends GROUP BY epoch, coin_id, vendor_id) g
        JOIN double_spends f ON f.id = g.first
        JOIN double_spends l ON l.id = g.last;
    DROP TABLE double_spends;
    ALTER TABLE double_spends_v2 RENAME TO double_spends;
    CREATE INDEX double_spends_vendor ON double_spends(vendor_id);
    CREATE INDEX double_spends_user ON double_spends(user_id);

    CREATE INDEX redeemed_vendor_time ON redeemed_coins(vendor_id, redeemed_at, user_id);
    CREATE INDEX complaints_vendor_time ON complaints(vendor_id, created_at);
    CREATE INDEX complaints_user_time ON complaints(user_id, created_at);
    CREATE INDEX redemption_batches_credited ON redemption_batches(vendor_id, credited);
  `);
}

/**
 * Version 3: PayWord chains beside MicroMint coins.
 * - `broker_keys`: the broker's Ed25519 key pair that signs chain authorizations, made once (a vendor keeps
 *   its public half, so it must never change under a running system).
 * - `wallet_keys`: the Ed25519 keys of the wallets a user connected (at most 10 per user, see
 *   core/payword/wallet-keys.ts); a request for a chain must be signed by one of them.
 * - `vendor_payword_keys`: each vendor's X25519 key for the payment MAC; a chain is authorized only to it.
 * - `payword_chains`: every authorized chain, its hold, the highest index cleared (c) with w_c, and whether its
 *   unspent hold was released. `clear_by` = expiresAt + the grace is pinned at authorization, so a broker
 *   restarted with a shorter grace cannot shorten the time its vendors were promised.
 * - `payword_clearings`: one row per clearing that paid (j > c): who was paid how much, from which batch.
 * - `ledger.kind` gains `chain-hold`, `chain-release` and `clearing` (SQLite cannot alter a CHECK, so the
 *   table is rebuilt with every line kept, ids included).
 */
function v3(db: Database.Database): void {
  db.exec(`
    CREATE TABLE broker_keys (
      purpose    TEXT PRIMARY KEY CHECK (purpose IN ('payword-authorization')),
      secret_key BLOB NOT NULL CHECK (length(secret_key) = 32),
      public_key BLOB NOT NULL CHECK (length(public_key) = 32),
      created_at TEXT NOT NULL
    );

    CREATE TABLE wallet_keys (
      user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      key        BLOB NOT NULL CHECK (length(key) = 32),
      created_at TEXT NOT NULL,
      PRIMARY KEY (user_id, key)
    ) WITHOUT ROWID;

    CREATE TABLE vendor_payword_keys (
      vendor_id  TEXT PRIMARY KEY REFERENCES vendors(id),
      key        BLOB NOT NULL CHECK (length(key) = 32),
      updated_at TEXT NOT NULL
    );

    CREATE TABLE payword_chains (
      id             TEXT PRIMARY KEY CHECK (length(id) = 32),
      commitment     BLOB NOT NULL CHECK (length(commitment) <= 1024),
      user_id        TEXT NOT NULL REFERENCES users(id),
      vendor_id      TEXT NOT NULL REFERENCES vendors(id),
      links          INTEGER NOT NULL CHECK (links BETWEEN 1 AND 100000),
      value_mills    INTEGER NOT NULL CHECK (value_mills BETWEEN 1 AND 1000000),
      expires_at     INTEGER NOT NULL,
      clear_by       INTEGER NOT NULL CHECK (clear_by >= expires_at),
      held_mills     INTEGER NOT NULL CHECK (held_mills = links * value_mills),
      authorization  BLOB NOT NULL CHECK (length(authorization) = 64),
      wallet_key     BLOB NOT NULL CHECK (length(wallet_key) = 32),
      cleared_index  INTEGER NOT NULL DEFAULT 0 CHECK (cleared_index BETWEEN 0 AND links),
      cleared_link   BLOB NOT NULL CHECK (length(cleared_link) = 32),
      status         TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released')),
      released_mills INTEGER CHECK (released_mills IS NULL OR released_mills = (links - cleared_index) * value_mills),
      created_at     TEXT NOT NULL,
      released_at    TEXT
    );
    CREATE INDEX payword_chains_user ON payword_chains(user_id, created_at);
    CREATE INDEX payword_chains_user_status ON payword_chains(user_id, status, clear_by);
    CREATE INDEX payword_chains_due ON payword_chains(status, clear_by);

    CREATE TABLE payword_clearings (
      id         INTEGER PRIMARY KEY,
      chain_id   TEXT NOT NULL REFERENCES payword_chains(id),
      vendor_id  TEXT NOT NULL REFERENCES vendors(id),
      user_id    TEXT NOT NULL,
      batch_id   TEXT NOT NULL,
      from_index INTEGER NOT NULL,
      to_index   INTEGER NOT NULL CHECK (to_index > from_index),
      paid_mills INTEGER NOT NULL CHECK (paid_mills > 0),
      created_at TEXT NOT NULL
    );
    CREATE INDEX payword_clearings_vendor ON payword_clearings(vendor_id, id);
    CREATE INDEX payword_clearings_vendor_time ON payword_clearings(vendor_id, created_at, user_id);
    CREATE INDEX payword_clearings_chain ON payword_clearings(chain_id);

    CREATE TABLE ledger_v3 (
      id           INTEGER PRIMARY KEY,
      owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('user', 'vendor')),
      owner_id     TEXT NOT NULL,
      amount_mills INTEGER NOT NULL CHECK (amount_mills <> 0),
      kind         TEXT NOT NULL CHECK (kind IN ('deposit', 'purchase', 'return-credit', 'redemption',
                                                 'chain-hold', 'chain-release', 'clearing')),
      ref          TEXT,
      memo         TEXT NOT NULL,
      created_at   TEXT NOT NULL
    );
    INSERT INTO ledger_v3 (id, owner_kind, owner_id, amount_mills, kind, ref, memo, created_at)
      SELECT id, owner_kind, owner_id, amount_mills, kind, ref, memo, created_at FROM ledger;
    DROP TABLE ledger;
    ALTER TABLE ledger_v3 RENAME TO ledger;
    CREATE INDEX ledger_owner ON ledger(owner_kind, owner_id, id);
  `);
}

/**
 * Version 4: API tokens, for readers who pay without a browser (docs/protocol.md, "API tokens").
 * - `api_tokens`: one row per token (at most 20 per user, core/tokens.ts), the secret only as its SHA-256;
 *   `spent_mills` never passes `limit_mills` (the CHECK is the last guard of the spending limit).
 * - `api_token_wallet_keys`: the wallet keys a token connected: their chain holds count against its limit,
 *   and revoking the token disconnects them (a key disconnected on the page drops its row).
 * - `api_purchases`: a purchase's idempotency key (`requestId`), per user, so that a script that lost the
 *   answer gets the same purchase again instead of buying twice.
 */
function v4(db: Database.Database): void {
  db.exec(`
    CREATE TABLE api_tokens (
      id           TEXT PRIMARY KEY CHECK (length(id) = 18 AND id GLOB 't_[0-9a-f]*'),
      user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      secret_hash  BLOB NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
      limit_mills  INTEGER CHECK (limit_mills IS NULL OR limit_mills >= 0),
      spent_mills  INTEGER NOT NULL DEFAULT 0 CHECK (spent_mills >= 0 AND (limit_mills IS NULL OR spent_mills <= limit_mills)),
      created_at   TEXT NOT NULL,
      last_used_at TEXT
    );
    CREATE INDEX api_tokens_user ON api_tokens(user_id, created_at);

    CREATE TABLE api_token_wallet_keys (
      token_id TEXT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
      user_id  TEXT NOT NULL,
      key      BLOB NOT NULL,
      PRIMARY KEY (user_id, key),
      FOREIGN KEY (user_id, key) REFERENCES wallet_keys(user_id, key) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX api_token_wallet_keys_token ON api_token_wallet_keys(token_id);

    CREATE TABLE api_purchases (
      user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      request_id    TEXT NOT NULL CHECK (length(request_id) BETWEEN 1 AND 64),
      withdrawal_id TEXT NOT NULL REFERENCES withdrawals(id),
      count         INTEGER NOT NULL CHECK (count >= 1),
      created_at    TEXT NOT NULL,
      PRIMARY KEY (user_id, request_id)
    ) WITHOUT ROWID;
  `);
}

/**
 * Version 5: the vendor dashboard.
 * - `vendor_sessions`: a vendor signs in to its dashboard once with its API key; the browser keeps a session
 *   cookie, the table its SHA-256 and the API key sealed under a key made from the cookie token (so a copy
 *   of the database neither signs anyone in nor reveals a key). At most 20 per vendor (core/vendor-sessions.ts).
 * - `redeemed_vendor_url`: the dashboard's coins per page, read from the index alone.
 */
function v5(db: Database.Database): void {
  db.exec(`
    CREATE TABLE vendor_sessions (
      token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
      vendor_id  TEXT NOT NULL REFERENCES vendors(id),
      sealed_key BLOB NOT NULL CHECK (length(sealed_key) <= 256),
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE INDEX vendor_sessions_vendor ON vendor_sessions(vendor_id, created_at);
    CREATE INDEX vendor_sessions_expiry ON vendor_sessions(expires_at);
    CREATE INDEX redeemed_vendor_url ON redeemed_coins(vendor_id, url, redeemed_at);
  `);
}

/**
 * Version 6: the mint database in about 16 bytes a ball (layout in db/ball-chunks.ts), and one index fewer
 * written per redeemed coin.
 * - `mint_files`: a number per epoch (its CoinMint file); row ids of its chunks are `no * 2^24 + chunk`.
 * - `mint_balls`: per 32 slots, the mask of slots holding a ball and those balls in slot order (a slot's
 *   position is implied by the order); `mint_flags`: per 32 slots, a mask per status flag (sold, redeemed,
 *   returned, compromised), a row only once a flag is set. Both keyed by INTEGER PRIMARY KEY: no index.
 * - `balls`, one row per ball, is converted (every ball and status, db/mint-convert.ts) and becomes a
 *   read-only view of the same columns, for people and scripts that read it.
 * - `redeemed_vendor` is dropped: `redeemed_vendor_time` and `redeemed_vendor_url` start with vendor_id too.
 */
function v6(db: Database.Database): void {
  db.exec(`
    CREATE TABLE mint_files (
      epoch TEXT PRIMARY KEY REFERENCES epochs(id),
      no    INTEGER NOT NULL UNIQUE CHECK (no BETWEEN 1 AND 536870911)
    );
    CREATE TABLE mint_balls (
      id      INTEGER PRIMARY KEY,
      present INTEGER NOT NULL CHECK (present BETWEEN -2147483648 AND 2147483647),
      xs      BLOB NOT NULL CHECK (length(xs) % 16 = 0)
    );
    CREATE TABLE mint_flags (
      id          INTEGER PRIMARY KEY,
      sold        INTEGER NOT NULL DEFAULT 0,
      redeemed    INTEGER NOT NULL DEFAULT 0,
      returned    INTEGER NOT NULL DEFAULT 0,
      compromised INTEGER NOT NULL DEFAULT 0
    );
  `);
  convertBalls(db);
  // The view ranks a ball among the present slots before it (a 32-bit popcount) to find it in xs.
  db.exec(`
    DROP TABLE balls;
    CREATE VIEW balls (epoch, superbin, subbin, x, status) AS
    WITH RECURSIVE bits (b) AS (SELECT 0 UNION ALL SELECT b + 1 FROM bits WHERE b < 31),
    slots AS (
      SELECT m.epoch, e.v, (c.id - m.no * 16777216) * 32 + bits.b AS slot, bits.b, c.id, c.xs,
             c.present & ((1 << bits.b) - 1) AS below
        FROM mint_files m JOIN epochs e ON e.id = m.epoch
        JOIN mint_balls c ON c.id BETWEEN m.no * 16777216 AND m.no * 16777216 + 16777215
        JOIN bits ON (c.present >> bits.b) & 1
    ),
    pairs AS (SELECT *, below - ((below >> 1) & 1431655765) AS p1 FROM slots),
    nibbles AS (SELECT *, (p1 & 858993459) + ((p1 >> 2) & 858993459) AS p2 FROM pairs),
    ranked AS (SELECT *, ((((p2 + (p2 >> 4)) & 252645135) * 16843009) & 4294967295) >> 24 AS below_count FROM nibbles)
    SELECT r.epoch, r.slot >> r.v, r.slot & ((1 << r.v) - 1), substr(r.xs, r.below_count * 16 + 1, 16),
           CASE WHEN (f.compromised >> r.b) & 1 THEN 'compromised' WHEN (f.returned >> r.b) & 1 THEN 'returned'
                WHEN (f.redeemed >> r.b) & 1 THEN 'redeemed' WHEN (f.sold >> r.b) & 1 THEN 'sold' ELSE 'exists' END
      FROM ranked r LEFT JOIN mint_flags f ON f.id = r.id;
    DROP INDEX redeemed_vendor;
  `);
}

/**
 * Version 7: lean redeemed coins (conversion in db/redeemed-convert.ts). A coin used to be a wide row in four
 * B-trees (a random-order primary key on its hex id, three indexes), about 600 bytes of WAL each. Now:
 * - `redeemed_batches`: vendor, batch and time once per batch that credited coins, with its coins;
 * - `redeemed_payers`: coins per batch and user (complaints, takings, a user's spending read these);
 * - `redeemed_pages`: coins and the last redemption per vendor and page (the dashboard's page totals);
 * - `redeemed`: one row per coin, keyed by its first ball's slot key (`mint_files.no * 2^29 + slot`, the
 *   identity of a coin, unique), with its batch, page and `paid_at` (milliseconds, or the text as sent). A
 *   user's coins lie in consecutive slots, so the rows of a batch land together. The coin id (its first
 *   ball) and the user (the owner of its first superbin) are in the mint and the sets already;
 * - `redeemed_unplaced`: converted coins whose first ball the mint does not show redeemed, kept whole;
 * - `redeemed_coins` becomes a read-only view with the old columns, for people and scripts that read it.
 */
function v7(db: Database.Database): void {
  db.exec(`
    CREATE TABLE redeemed_batches (
      id          INTEGER PRIMARY KEY,
      vendor_id   TEXT NOT NULL REFERENCES vendors(id),
      batch_id    TEXT NOT NULL,
      coins       INTEGER NOT NULL CHECK (coins > 0),
      redeemed_at TEXT NOT NULL
    );
    CREATE INDEX redeemed_batches_vendor ON redeemed_batches(vendor_id, redeemed_at);
    CREATE TABLE redeemed_payers (
      batch   INTEGER NOT NULL REFERENCES redeemed_batches(id),
      user_id TEXT NOT NULL,
      coins   INTEGER NOT NULL CHECK (coins > 0),
      PRIMARY KEY (batch, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX redeemed_payers_user ON redeemed_payers(user_id);
    CREATE TABLE redeemed_pages (
      id               INTEGER PRIMARY KEY,
      vendor_id        TEXT NOT NULL REFERENCES vendors(id),
      url              TEXT NOT NULL,
      coins            INTEGER NOT NULL CHECK (coins > 0),
      last_redeemed_at TEXT NOT NULL,
      UNIQUE (vendor_id, url)
    );
    CREATE TABLE redeemed (
      slot_key INTEGER PRIMARY KEY,
      batch    INTEGER NOT NULL REFERENCES redeemed_batches(id),
      page     INTEGER NOT NULL REFERENCES redeemed_pages(id),
      paid_at  NOT NULL CHECK (typeof(paid_at) IN ('integer', 'text'))
    );
    CREATE TABLE redeemed_unplaced (
      epoch   TEXT NOT NULL,
      coin_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      batch   INTEGER NOT NULL REFERENCES redeemed_batches(id),
      page    INTEGER NOT NULL REFERENCES redeemed_pages(id),
      paid_at TEXT NOT NULL,
      PRIMARY KEY (epoch, coin_id)
    );
  `);
  convertRedeemed(db);
  db.exec(`
    DROP TABLE redeemed_coins;
    CREATE VIEW redeemed_coins (epoch, coin_id, user_id, vendor_id, batch_id, url, paid_at, redeemed_at) AS
    SELECT m.epoch, lower(hex(${ballOfBitSql('c', '(r.slot_key & 31)')})), s.user_id, b.vendor_id, b.batch_id, p.url,
           ${paidAtTextSql('r.paid_at')}, b.redeemed_at
      FROM redeemed r JOIN mint_files m ON m.no = r.slot_key >> 29 JOIN epochs e ON e.id = m.epoch
      JOIN mint_balls c ON c.id = r.slot_key >> 5
      JOIN redeemed_batches b ON b.id = r.batch JOIN redeemed_pages p ON p.id = r.page
      LEFT JOIN set_superbins ss ON ss.epoch = m.epoch AND ss.superbin = (r.slot_key & 536870911) >> e.v
      LEFT JOIN sets s ON s.id = ss.set_id
    UNION ALL
    SELECT u.epoch, u.coin_id, u.user_id, b.vendor_id, b.batch_id, p.url, u.paid_at, b.redeemed_at
      FROM redeemed_unplaced u JOIN redeemed_batches b ON b.id = u.batch JOIN redeemed_pages p ON p.id = u.page;
  `);
}

/** Every migration in order; `PRAGMA user_version` = number applied. */
export const MIGRATIONS: readonly Migration[] = [v1, v2, v3, v4, v5, v6, v7];

/**
 * Applies the migrations the database has not seen, each in its own transaction with its version bump.
 * Refuses a database newer than this code.
 */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length)
    throw new RangeError(`database schema version ${current} is newer than this broker (${MIGRATIONS.length})`);
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      MIGRATIONS[version]!(db);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
