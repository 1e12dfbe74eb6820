/**
 * The schema of `SqliteVendorStore`, as numbered migrations tracked in `PRAGMA user_version`
 * (append only; migration i brings a file from version i to i + 1, in one transaction).
 *
 * Version 4 is the lean coin log: a payment is one row holding its coins, and the strings it
 * repeats (epoch and user, method and URL) are numbered once in `payers` and `resources`. Its row
 * number comes from the payment id (`pay_` + the time in ms + a sequence, see `newPaymentId`), so
 * no index on payment ids is needed; the double-spend index `spent` holds a 4-byte hash of each
 * coin's first ball with its payment. Coin states are implied while they are the common ones (pending,
 * or every coin of the payment credited in one batch, `payments.batch`); `coin_states` holds the
 * others. A cursor and a small queue say which payments still have coins to redeem. About 115
 * bytes a 1-coin payment of k = 4 instead of 530. The old `coins` table is kept as a view.
 * @module
 */
import type Database from 'better-sqlite3';
import { spentKey } from './sqlite-coins.ts';
import { PAYWORD_SCHEMA } from './sqlite-payword.ts';
import { ID_BASE_MS, ID_SLOTS } from './sqlite-payment-ids.ts';

/** A migration: SQL, or a function for one that must move data (run with foreign keys off). */
export type Migration = string | { run: (db: Database.Database) => void; foreignKeysOff: true };

const V1 = `
  CREATE TABLE payments (
    id          TEXT PRIMARY KEY,
    epoch       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    method      TEXT NOT NULL,
    url         TEXT NOT NULL,
    price       INTEGER NOT NULL,
    coin_count  INTEGER NOT NULL,
    paid_at     TEXT NOT NULL
  );
  CREATE TABLE redemption_batches (
    id          TEXT PRIMARY KEY,
    sent_at     TEXT NOT NULL,
    answered_at TEXT,
    response    TEXT,
    error       TEXT
  );
  CREATE TABLE coins (
    epoch       TEXT NOT NULL,
    coin_id     TEXT NOT NULL,
    coin        BLOB NOT NULL,
    user_id     TEXT NOT NULL,
    url         TEXT NOT NULL,
    payment_id  TEXT NOT NULL REFERENCES payments(id),
    paid_at     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'credited', 'refused')),
    reason      TEXT,
    batch_id    TEXT REFERENCES redemption_batches(id),
    UNIQUE (epoch, coin_id)
  );
  CREATE INDEX coins_payment ON coins(payment_id);
  CREATE INDEX coins_pending ON coins(status, batch_id);
  CREATE TABLE refusals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    epoch       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    method      TEXT NOT NULL,
    url         TEXT NOT NULL,
    reason      TEXT NOT NULL,
    coin_ids    TEXT NOT NULL,
    detail      TEXT
  );
`;

const V2 = `
  -- Set when a request was served the payment again as a replay: it is then never un-recorded.
  ALTER TABLE payments ADD COLUMN replayed_at TEXT;
  -- Epochs fetched from the broker, so that a restart verifies coins while the broker is down.
  CREATE TABLE epochs (
    id          TEXT PRIMARY KEY,
    params      TEXT NOT NULL,
    saved_at    TEXT NOT NULL
  );
  -- One row rewritten by probe(): a health check that the file takes writes.
  CREATE TABLE probes (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    at          TEXT NOT NULL
  );
`;

/** The lean tables of version 4 (created beside the old ones, which the data then leaves). */
const V4_TABLES = `
  -- Who paid: an epoch and a user, numbered once.
  CREATE TABLE payers (
    id          INTEGER PRIMARY KEY,
    epoch       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    UNIQUE (epoch, user_id)
  );
  -- What was paid for: a method and a URL, numbered once.
  CREATE TABLE resources (
    id          INTEGER PRIMARY KEY,
    method      TEXT NOT NULL,
    url         TEXT NOT NULL,
    UNIQUE (url, method)
  );
  -- Redemption batches, numbered (payments and coin states name a batch by its number).
  CREATE TABLE batches_v4 (
    n           INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    sent_at     TEXT NOT NULL,
    answered_at TEXT,
    response    TEXT,
    error       TEXT
  );
  -- A payment and its coins (n coins of equal length, concatenated). The row number is the payment
  -- id's time and sequence (tag: the id's 5 random bytes), or, for any other id, the next number
  -- (tag: the id as text). at: the ms of paid_at after the id's time (or since 1970 with a text
  -- tag), or paid_at as text when it is not what toISOString() writes. batch: every coin credited
  -- in that batch.
  CREATE TABLE payments_v4 (
    id          INTEGER PRIMARY KEY,
    tag         NOT NULL,
    payer       INTEGER NOT NULL REFERENCES payers(id),
    resource    INTEGER NOT NULL REFERENCES resources(id),
    at          NOT NULL,
    n           INTEGER NOT NULL,
    coins       BLOB NOT NULL,
    batch       INTEGER REFERENCES batches_v4(n)
  );
  -- Payments a request was served again as a replay: they are never un-recorded.
  CREATE TABLE replays (
    payment     INTEGER PRIMARY KEY
  );
  -- The double-spend index: a 32-bit hash of a coin's first ball (spentKey), and its payment.
  CREATE TABLE spent (
    key         INTEGER NOT NULL,
    payment     INTEGER NOT NULL,
    PRIMARY KEY (key, payment)
  ) WITHOUT ROWID;
  -- Coins whose state is not implied by their payment: in a batch waiting for its answer (status 0),
  -- credited (1) while another coin of the payment was not, refused (2) with the broker's reason.
  CREATE TABLE coin_states (
    payment     INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    batch       INTEGER REFERENCES batches_v4(n),
    status      INTEGER NOT NULL CHECK (status IN (0, 1, 2)),
    reason      TEXT,
    PRIMARY KEY (payment, idx)
  ) WITHOUT ROWID;
  -- Payments at or below the cursor that have coins to redeem (recorded late, or given back by a batch).
  CREATE TABLE redeem_queue (
    payment     INTEGER PRIMARY KEY
  );
  -- Every payment up to this one had all its coins taken into a batch once (the queue aside).
  CREATE TABLE redeem_cursor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    payment     INTEGER NOT NULL
  );
`;

/** The time part (ms since 1970) of a derived payment row, in SQL. */
const ID_TIME = `(${ID_BASE_MS} + (p.id / ${ID_SLOTS}))`;

/** After the data moved: the new names, indexes, and the old `coins` table as a view (for readers of the file). */
const V4_FINISH = `
  ALTER TABLE batches_v4 RENAME TO redemption_batches;
  ALTER TABLE payments_v4 RENAME TO payments;
  CREATE UNIQUE INDEX payments_text_id ON payments(tag) WHERE typeof(tag) = 'text';
  CREATE INDEX coin_states_open ON coin_states(batch, payment, idx) WHERE status = 0;
  CREATE VIEW coins AS
    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < 999)
    SELECT py.epoch AS epoch,
           lower(hex(substr(p.coins, seq.i * (length(p.coins) / p.n) + 1, 16))) AS coin_id,
           substr(p.coins, seq.i * (length(p.coins) / p.n) + 1, length(p.coins) / p.n) AS coin,
           py.user_id AS user_id, r.url AS url,
           CASE WHEN typeof(p.tag) = 'text' THEN p.tag
                ELSE 'pay_' || printf('%012x%02x', ${ID_TIME}, p.id % ${ID_SLOTS}) || lower(hex(p.tag)) END AS payment_id,
           CASE WHEN typeof(p.at) = 'text' THEN p.at
                ELSE strftime('%Y-%m-%dT%H:%M:%fZ',
                  (p.at + CASE WHEN typeof(p.tag) = 'text' THEN 0 ELSE ${ID_TIME} END) / 1000.0, 'unixepoch') END AS paid_at,
           CASE coalesce(s.status, CASE WHEN p.batch IS NULL THEN 0 ELSE 1 END)
             WHEN 0 THEN 'pending' WHEN 1 THEN 'credited' ELSE 'refused' END AS status,
           s.reason AS reason,
           b.id AS batch_id
    FROM payments p
    JOIN seq ON seq.i < p.n
    JOIN payers py ON py.id = p.payer
    JOIN resources r ON r.id = p.resource
    LEFT JOIN coin_states s ON s.payment = p.id AND s.idx = seq.i
    LEFT JOIN redemption_batches b ON b.n = coalesce(s.batch, p.batch);
`;

interface OldCoin {
  coin: Buffer;
  status: 'pending' | 'credited' | 'refused';
  reason: string | null;
  batch: number | null;
}

/** Version 3 -> 4: every payment and coin moves to the lean tables, with its state and batch. */
function toLean(db: Database.Database): void {
  db.exec(V4_TABLES);
  db.exec(`INSERT INTO batches_v4 (id, sent_at, answered_at, response, error)
           SELECT id, sent_at, answered_at, response, error FROM redemption_batches ORDER BY rowid`);
  db.exec(`INSERT OR IGNORE INTO payers (epoch, user_id) SELECT epoch, user_id FROM payments ORDER BY rowid`);
  db.exec(`INSERT OR IGNORE INTO resources (method, url) SELECT method, url FROM payments ORDER BY rowid`);
  const payments = db
    .prepare(
      `SELECT p.id, p.paid_at, p.replayed_at, py.id AS payer, r.id AS resource FROM payments p
       JOIN payers py ON py.epoch = p.epoch AND py.user_id = p.user_id
       JOIN resources r ON r.method = p.method AND r.url = p.url ORDER BY p.rowid`,
    )
    .all() as { id: string; paid_at: string; replayed_at: string | null; payer: number; resource: number }[];
  const coinsOf = db.prepare(
    `SELECT c.coin, c.status, c.reason, b.n AS batch FROM coins c LEFT JOIN batches_v4 b ON b.id = c.batch_id
     WHERE c.payment_id = ? ORDER BY c.rowid`,
  );
  const insert = db.prepare(`INSERT INTO payments_v4 (tag, payer, resource, at, n, coins, batch) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const replayed = db.prepare(`INSERT INTO replays (payment) VALUES (?)`);
  const spent = db.prepare(`INSERT OR IGNORE INTO spent (key, payment) VALUES (?, ?)`);
  const state = db.prepare(`INSERT INTO coin_states (payment, idx, batch, status, reason) VALUES (?, ?, ?, ?, ?)`);
  const codes = { pending: 0, credited: 1, refused: 2 } as const;
  for (const p of payments) {
    const coins = coinsOf.all(p.id) as OldCoin[];
    if (coins.length === 0) continue; // a payment without coins holds nothing to redeem or to refuse
    if (coins.some((c) => c.coin.length !== coins[0]!.coin.length))
      throw new Error(`payment ${p.id} holds coins of different lengths; it cannot be migrated`);
    const allCredited = coins.every((c) => c.status === 'credited' && c.batch !== null && c.batch === coins[0]!.batch);
    const ms = Date.parse(p.paid_at);
    const at = Number.isFinite(ms) && new Date(ms).toISOString() === p.paid_at ? ms : p.paid_at;
    const row = Number(
      insert.run(p.id, p.payer, p.resource, at, coins.length, Buffer.concat(coins.map((c) => c.coin)), allCredited ? coins[0]!.batch : null)
        .lastInsertRowid,
    );
    if (p.replayed_at !== null) replayed.run(row);
    coins.forEach((c, i) => {
      spent.run(spentKey(c.coin), row);
      if (allCredited || (c.status === 'pending' && c.batch === null)) return;
      state.run(row, i, c.batch, codes[c.status], c.reason);
    });
  }
  db.exec(`DROP TABLE coins; DROP TABLE payments; DROP TABLE redemption_batches;`);
  db.exec(V4_FINISH);
}

/** Migration i brings the schema from user_version i to i + 1. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  V1,
  V2,
  // Payword chains and their payments, the vendor's keys, and payword refusals in the log.
  PAYWORD_SCHEMA,
  // The lean coin log (see the module comment).
  { run: toLean, foreignKeysOff: true },
];

/** Brings `db` (at `path`) to the newest schema; refuses a file written by newer code. */
export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) throw new Error(`${path} has schema version ${version}, newer than this code (${MIGRATIONS.length})`);
  for (let v = version; v < MIGRATIONS.length; v++) {
    const m = MIGRATIONS[v]!;
    const offKeys = typeof m !== 'string' && m.foreignKeysOff;
    // Tables that others refer to are rebuilt with foreign keys off (SQLite's documented way), then checked.
    if (offKeys) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        if (typeof m === 'string') db.exec(m);
        else m.run(db);
        if (offKeys) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length) throw new Error(`${path}: migration ${v + 1} left ${broken.length} broken references`);
        }
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    } finally {
      if (offKeys) db.pragma('foreign_keys = ON');
    }
  }
}
