/**
 * The wallet file's schema, versioned. `PRAGMA user_version` holds how many migrations have run;
 * a schema change is a new function appended to {@link MIGRATIONS}, never an edit of one that
 * shipped. A file written by a newer client (a higher version) is refused rather than guessed at.
 * @module
 */
import type Database from 'better-sqlite3';

type Migration = (db: Database.Database) => void;

/** Version 1: superbin sets and their balls, PayWord chains, payments, history, purchases, returns. */
function v1(db: Database.Database): void {
  db.exec(`
    -- Small named values: the wallet's user id and broker, its Ed25519 wallet key.
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );

    CREATE TABLE epochs (
      id           TEXT PRIMARY KEY,
      params       TEXT NOT NULL,  -- epochToJson(params), as JSON
      broker       TEXT NOT NULL,
      added_at     INTEGER NOT NULL,
      returns_from TEXT
    );

    -- Funds-Withdrawn messages imported: a withdrawal is stored once.
    CREATE TABLE withdrawals (
      id          TEXT PRIMARY KEY,
      broker      TEXT NOT NULL,
      user_id     TEXT NOT NULL,
      epoch       TEXT NOT NULL,
      sets        INTEGER NOT NULL,
      coins       INTEGER NOT NULL,
      imported_at INTEGER NOT NULL
    );

    CREATE TABLE sets (
      id            TEXT PRIMARY KEY,  -- <epoch>/<first superbin>
      epoch         TEXT NOT NULL REFERENCES epochs(id),
      first         INTEGER NOT NULL,
      superbins     TEXT NOT NULL,     -- JSON array of the k superbins
      withdrawal_id TEXT NOT NULL,
      user_id       TEXT NOT NULL,
      imported_at   INTEGER NOT NULL
    );
    CREATE INDEX sets_by_epoch ON sets(epoch, first);

    -- Only first-superbin balls (role 0) are ever spent or returned: a coin is named by its first ball.
    CREATE TABLE balls (
      epoch      TEXT NOT NULL,
      x          TEXT NOT NULL,   -- 32 lower-case hex digits
      set_id     TEXT NOT NULL REFERENCES sets(id),
      role       INTEGER NOT NULL,
      subbin     INTEGER NOT NULL,
      state      TEXT NOT NULL DEFAULT 'unspent' CHECK (state IN ('unspent', 'spent', 'returned')),
      payment_id TEXT,
      return_id  TEXT,
      flag       TEXT,            -- 'double-spend': a vendor refused it as already spent
      PRIMARY KEY (epoch, x)
    ) WITHOUT ROWID;
    CREATE INDEX balls_by_set ON balls(set_id);

    CREATE TABLE chains (
      id              TEXT PRIMARY KEY,  -- chain id, 32 hex digits
      broker          TEXT NOT NULL,
      user_id         TEXT NOT NULL,
      vendor_id       TEXT NOT NULL,
      vendor_key      TEXT NOT NULL,     -- base64, as offered
      value           INTEGER NOT NULL,  -- mills per link
      length          INTEGER NOT NULL,
      expires_at      INTEGER NOT NULL,  -- Unix seconds
      salt            BLOB NOT NULL,
      checkpoints     TEXT NOT NULL,     -- JSON [{ index, link (base64) }], w_n among them
      mac_key         BLOB NOT NULL,
      commitment      BLOB NOT NULL,
      request         BLOB NOT NULL,     -- the wallet key's signature over the commitment
      authorization   BLOB,
      next            INTEGER NOT NULL,  -- the next index to reveal
      status          TEXT NOT NULL CHECK (status IN ('opening', 'open', 'exhausted', 'expired', 'closed')),
      sent_commitment INTEGER NOT NULL DEFAULT 0,
      error           TEXT,
      created_at      INTEGER NOT NULL,
      updated_at      INTEGER NOT NULL
    );
    CREATE INDEX chains_by_vendor ON chains(vendor_id, status);

    -- A payment exactly as it goes out (header, or body), written in the transaction that spent its funds.
    CREATE TABLE payments (
      id               TEXT PRIMARY KEY,
      url              TEXT NOT NULL,
      method           TEXT NOT NULL,
      vendor_id        TEXT NOT NULL,
      host             TEXT NOT NULL,
      broker           TEXT NOT NULL,
      scheme           TEXT NOT NULL,
      epoch            TEXT NOT NULL DEFAULT '',
      price            INTEGER NOT NULL,  -- mills it costs
      spent            INTEGER NOT NULL,  -- mills it holds now (caps count these): price, less what came back
      coin_ids         TEXT NOT NULL DEFAULT '[]',
      chain_id         TEXT,
      link_index       INTEGER,
      link_units       INTEGER,
      with_commitment  INTEGER NOT NULL DEFAULT 0,
      resent_commitment INTEGER NOT NULL DEFAULT 0,
      header           TEXT NOT NULL,
      body             TEXT,
      body_type        TEXT,
      state            TEXT NOT NULL CHECK (state IN ('pending', 'paid', 'refused', 'released')),
      error            TEXT,
      reasons          TEXT NOT NULL DEFAULT '[]',
      transaction_id   TEXT,
      receipt          TEXT,
      attempts         INTEGER NOT NULL DEFAULT 0,
      owner_host       TEXT,              -- the machine and process sending it now: not to be sent by another at once
      owner_pid        INTEGER,
      created_at       INTEGER NOT NULL,
      updated_at       INTEGER NOT NULL
    );
    CREATE INDEX payments_pending ON payments(url, method, vendor_id) WHERE state = 'pending';
    CREATE INDEX payments_by_time ON payments(created_at);
    CREATE INDEX payments_by_host ON payments(host, created_at);

    CREATE TABLE history (
      id     INTEGER PRIMARY KEY AUTOINCREMENT,
      at     INTEGER NOT NULL,
      kind   TEXT NOT NULL,
      mills  INTEGER NOT NULL,  -- into (+) or out of (-) the wallet
      detail TEXT NOT NULL,
      ref    TEXT
    );

    -- Purchases through the broker's token API, recorded before the request goes: a lost answer is
    -- asked again with the same request id, and the broker sells it once.
    CREATE TABLE purchases (
      request_id    TEXT PRIMARY KEY,
      broker        TEXT NOT NULL,
      count         INTEGER NOT NULL,
      state         TEXT NOT NULL CHECK (state IN ('pending', 'done', 'refused')),
      withdrawal_id TEXT,
      error         TEXT,
      created_at    INTEGER NOT NULL,
      updated_at    INTEGER NOT NULL
    );

    -- Unspent first balls sent back for credit (Request-Credit), marked returned when the row is written.
    CREATE TABLE returns (
      id             TEXT PRIMARY KEY,
      epoch          TEXT NOT NULL,
      broker         TEXT NOT NULL,
      user_id        TEXT NOT NULL,
      balls          TEXT NOT NULL,  -- JSON array of ball hexes
      state          TEXT NOT NULL CHECK (state IN ('pending', 'credited', 'refused', 'superseded')),  -- superseded: its balls went out again in a later return
      credited_mills INTEGER,
      error          TEXT,
      created_at     INTEGER NOT NULL,
      updated_at     INTEGER NOT NULL
    );
  `);
}

/** Every migration, in order; the schema version is their count. */
export const MIGRATIONS: readonly Migration[] = [v1];

/** The schema version this client writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file up to {@link SCHEMA_VERSION}, each step in its own IMMEDIATE transaction (two
 * processes opening a new file at once migrate it once).
 * @throws RangeError when the file is of a newer version than this client knows.
 */
export function migrate(db: Database.Database): void {
  for (;;) {
    const done = db
      .transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > SCHEMA_VERSION)
          throw new RangeError(`the wallet file is of schema version ${version}; this client knows up to ${SCHEMA_VERSION}: update it`);
        if (version === SCHEMA_VERSION) return true;
        MIGRATIONS[version]!(db);
        db.pragma(`user_version = ${version + 1}`);
        return false;
      })
      .immediate();
    if (done) return;
  }
}
