/**
 * The default {@link VendorStore}: one SQLite file (better-sqlite3), WAL journal with
 * `synchronous = FULL` so a recorded payment survives a power cut before its content is sent.
 * Schema changes are numbered migrations tracked in `PRAGMA user_version`.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { astring } from '@micromint/shared';
import { PAYWORD_SCHEMA, SqlitePayword } from './sqlite-payword.ts';
import {
  classifyPayment,
  doubleSpendRefusal,
  newBatchId,
  sameCoin,
  type BatchResult,
  type NewPaywordPayment,
  type PaywordOutcome,
  type PaywordReplayQuery,
  type StoredChain,
  type UnclearedChain,
  type CoinStatus,
  type KnownCoin,
  type NewPayment,
  type PaymentOutcome,
  type RedeemCoin,
  type RedemptionBatch,
  type Refusal,
  type ReplayQuery,
  type StoredEpoch,
  type StoredPayment,
  type VendorStats,
  type VendorStore,
} from './store.ts';

/** Migration i brings the schema from user_version i to i + 1. Append only. */
const MIGRATIONS: readonly string[] = [
  `
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
  `,
  `
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
  `,
  // Payword chains and their payments, the vendor's keys, and payword refusals in the log.
  PAYWORD_SCHEMA,
];

interface CoinRow {
  epoch: string;
  coin_id: string;
  coin: Buffer;
  user_id: string;
  url: string;
  paid_at: string;
}

const toRedeemCoin = (r: CoinRow): RedeemCoin => ({
  epoch: r.epoch,
  coinId: r.coin_id,
  userId: r.user_id,
  coin: new Uint8Array(r.coin.buffer, r.coin.byteOffset, r.coin.byteLength),
  url: r.url,
  paidAt: r.paid_at,
});

/**
 * A {@link VendorStore} in one SQLite file; the directory is created if needed.
 * @example
 * const store = new SqliteVendorStore('.data/micromint-vendor.db');
 * console.log(await store.stats());
 * await store.close();
 */
export class SqliteVendorStore implements VendorStore {
  /** The open database (for inspection and backups; write through the methods). */
  readonly db: Database.Database;
  private readonly pw: SqlitePayword;
  private readonly s;

  constructor(
    /** Path of the database file. */
    readonly path: string,
  ) {
    astring(path, 'dbPath', 4096);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.pw = new SqlitePayword(this.db);
    // The statements of the payment path, prepared once.
    this.s = {
      insertRefusal: this.db.prepare(
        `INSERT INTO refusals (at, epoch, user_id, method, url, reason, coin_ids, detail, scheme, chain_id, link_index, units)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      knownCoin: this.db.prepare(`
        SELECT c.coin_id AS coinId, c.payment_id AS paymentId, c.user_id AS userId, p.method AS method,
               c.url AS url, c.paid_at AS paidAt, p.coin_count AS paymentCoins
        FROM coins c JOIN payments p ON p.id = c.payment_id
        WHERE c.epoch = ? AND c.coin_id = ?`),
      markReplayed: this.db.prepare(`UPDATE payments SET replayed_at = ? WHERE id = ?`),
      insertPayment: this.db.prepare(
        `INSERT INTO payments (id, epoch, user_id, method, url, price, coin_count, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertCoin: this.db.prepare(
        `INSERT INTO coins (epoch, coin_id, coin, user_id, url, payment_id, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  /** The schema version this code writes (number of migrations). */
  static readonly schemaVersion = MIGRATIONS.length;

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length)
      throw new Error(`${this.path} has schema version ${version}, newer than this code (${MIGRATIONS.length})`);
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private insertRefusal(r: Refusal): void {
    this.s.insertRefusal.run(
      r.at,
      r.epoch,
      r.userId,
      r.method,
      r.url,
      r.reason,
      JSON.stringify(r.coinIds),
      r.detail ?? null,
      r.scheme ?? 'micromint',
      r.chainId ?? null,
      r.index ?? null,
      r.units ?? null,
    );
  }

  /** The coins of `coinIds` already recorded in `epoch`. */
  private knownCoins(epoch: string, coinIds: readonly string[]): KnownCoin[] {
    const known: KnownCoin[] = [];
    for (const id of coinIds) {
      const row = this.s.knownCoin.get(epoch, id) as KnownCoin | undefined;
      if (row) known.push(row);
    }
    return known;
  }

  private markReplayed(paymentId: string, at: string): void {
    this.s.markReplayed.run(at, paymentId);
  }

  async findReplay(query: ReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    return this.db
      .transaction(() => {
        const verdict = classifyPayment(
          query,
          this.knownCoins(
            query.epoch,
            query.coins.map((c) => c.id),
          ),
        );
        if (verdict.status !== 'replay') return undefined;
        const bytes = this.db.prepare(`SELECT coin FROM coins WHERE epoch = ? AND coin_id = ?`).pluck();
        const same = query.coins.every((c) => {
          const stored = bytes.get(query.epoch, c.id) as Buffer | undefined;
          return stored !== undefined && sameCoin(c.coin, stored);
        });
        if (!same) return undefined;
        this.markReplayed(verdict.paymentId, new Date().toISOString());
        return { paymentId: verdict.paymentId, paidAt: verdict.paidAt };
      })
      .immediate();
  }

  async unrecordPayment(paymentId: string): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        const p = this.db.prepare(`SELECT replayed_at FROM payments WHERE id = ?`).get(paymentId) as
          { replayed_at: string | null } | undefined;
        if (!p || p.replayed_at !== null) return false;
        const claimed = this.db
          .prepare(`SELECT COUNT(*) FROM coins WHERE payment_id = ? AND (status <> 'pending' OR batch_id IS NOT NULL)`)
          .pluck()
          .get(paymentId) as number;
        if (claimed > 0) return false;
        this.db.prepare(`DELETE FROM coins WHERE payment_id = ?`).run(paymentId);
        this.db.prepare(`DELETE FROM payments WHERE id = ?`).run(paymentId);
        return true;
      })
      .immediate();
  }

  async saveEpoch(epoch: StoredEpoch): Promise<void> {
    astring(epoch.id, 'epoch.id', 64);
    this.db
      .prepare(
        `INSERT INTO epochs (id, params, saved_at) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET params = excluded.params, saved_at = excluded.saved_at`,
      )
      .run(epoch.id, JSON.stringify(epoch), new Date().toISOString());
  }

  async epochs(): Promise<StoredEpoch[]> {
    const rows = this.db.prepare(`SELECT params FROM epochs ORDER BY saved_at, id`).pluck().all() as string[];
    return rows.map((r) => JSON.parse(r) as StoredEpoch);
  }

  async probe(): Promise<void> {
    this.db
      .prepare(`INSERT INTO probes (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`)
      .run(new Date().toISOString());
  }

  async pendingByEpoch(): Promise<{ epoch: string; pending: number }[]> {
    return this.db.prepare(`SELECT epoch, COUNT(*) AS pending FROM coins WHERE status = 'pending' GROUP BY epoch ORDER BY epoch`).all() as {
      epoch: string;
      pending: number;
    }[];
  }

  async paywordChain(chainId: string): Promise<StoredChain | undefined> {
    return this.pw.chain(chainId);
  }

  async recordPaywordPayment(payment: NewPaywordPayment): Promise<PaywordOutcome> {
    return this.db.transaction(() => this.pw.record(payment, (r) => this.insertRefusal(r))).immediate();
  }

  async findPaywordReplay(query: PaywordReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    return this.db.transaction(() => this.pw.findReplay(query, new Date().toISOString())).immediate();
  }

  async unrecordPaywordPayment(paymentId: string): Promise<boolean> {
    return this.db.transaction(() => this.pw.unrecord(paymentId)).immediate();
  }

  async unclearedChains(): Promise<UnclearedChain[]> {
    return this.pw.uncleared();
  }

  async loadKey(name: string): Promise<string | undefined> {
    return this.pw.loadKey(name);
  }

  async saveKey(name: string, value: string): Promise<string> {
    astring(name, 'name', 256);
    return this.pw.saveKey(name, value);
  }

  async recordPayment(payment: NewPayment): Promise<PaymentOutcome> {
    const { insertPayment, insertCoin } = this.s;
    return this.db
      .transaction((): PaymentOutcome => {
        const known = this.knownCoins(
          payment.epoch,
          payment.coins.map((c) => c.id),
        );
        const verdict = classifyPayment(payment, known);
        if (verdict.status === 'replay') {
          this.markReplayed(verdict.paymentId, payment.paidAt);
          return verdict;
        }
        if (verdict.status === 'already-spent') {
          this.insertRefusal(doubleSpendRefusal(payment, verdict.coinIds));
          return verdict;
        }
        insertPayment.run(
          payment.id,
          payment.epoch,
          payment.userId,
          payment.method,
          payment.url,
          payment.price,
          payment.coins.length,
          payment.paidAt,
        );
        for (const c of payment.coins)
          insertCoin.run(payment.epoch, c.id, Buffer.from(c.coin), payment.userId, payment.url, payment.id, payment.paidAt);
        return { status: 'recorded', paymentId: payment.id };
      })
      .immediate();
  }

  async recordRefusal(refusal: Refusal): Promise<void> {
    this.insertRefusal(refusal);
  }

  async unredeemed(limit: number): Promise<RedemptionBatch | null> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    return this.db
      .transaction((): RedemptionBatch | null => {
        const open = this.db
          .prepare(`SELECT id, sent_at FROM redemption_batches WHERE answered_at IS NULL ORDER BY sent_at LIMIT 1`)
          .get() as { id: string; sent_at: string } | undefined;
        if (open) {
          const rows = this.db
            .prepare(
              `SELECT epoch, coin_id, coin, user_id, url, paid_at FROM coins WHERE batch_id = ? AND status = 'pending' ORDER BY rowid`,
            )
            .all(open.id) as CoinRow[];
          const chains = this.pw.inBatch(open.id);
          if (rows.length || chains.length)
            return { batchId: open.id, createdAt: open.sent_at, retry: true, coins: rows.map(toRedeemCoin), chains };
          // An open batch without pending coins or chains cannot be answered usefully: close it.
          this.db
            .prepare(`UPDATE redemption_batches SET answered_at = ?, error = 'empty' WHERE id = ?`)
            .run(new Date().toISOString(), open.id);
        }
        const rows = this.db
          .prepare(
            `SELECT rowid AS rid, epoch, coin_id, coin, user_id, url, paid_at FROM coins
           WHERE status = 'pending' AND batch_id IS NULL ORDER BY rowid LIMIT ?`,
          )
          .all(limit) as (CoinRow & { rid: number })[];
        const chains = this.pw.due(limit);
        if (rows.length === 0 && chains.length === 0) return null;
        const batchId = newBatchId();
        const createdAt = new Date().toISOString();
        this.db.prepare(`INSERT INTO redemption_batches (id, sent_at) VALUES (?, ?)`).run(batchId, createdAt);
        const assign = this.db.prepare(`UPDATE coins SET batch_id = ? WHERE rowid = ?`);
        for (const r of rows) assign.run(batchId, r.rid);
        this.pw.assign(batchId, chains);
        return { batchId, createdAt, retry: false, coins: rows.map(toRedeemCoin), chains: this.pw.inBatch(batchId) };
      })
      .immediate();
  }

  async markRedeemed(result: BatchResult): Promise<void> {
    this.db
      .transaction(() => {
        const batch = this.db.prepare(`SELECT answered_at FROM redemption_batches WHERE id = ?`).get(result.batchId) as
          { answered_at: string | null } | undefined;
        if (!batch) throw new RangeError(`no redemption batch ${result.batchId}`);
        if ('failed' in result) {
          this.db
            .prepare(`UPDATE redemption_batches SET answered_at = ?, error = ? WHERE id = ?`)
            .run(result.answeredAt, result.failed, result.batchId);
          this.db.prepare(`UPDATE coins SET batch_id = NULL WHERE batch_id = ? AND status = 'pending'`).run(result.batchId);
          this.pw.closeBatch(result.batchId);
          return;
        }
        const mark = this.db.prepare(`UPDATE coins SET status = ?, reason = ? WHERE batch_id = ? AND coin_id = ? AND status = 'pending'`);
        for (const r of result.response.results)
          mark.run(r.status, r.status === 'refused' ? (r.reason ?? 'refused') : null, result.batchId, r.coinId);
        // Coins the broker did not mention stay ours to redeem in a later batch; chains are due again.
        this.db.prepare(`UPDATE coins SET batch_id = NULL WHERE batch_id = ? AND status = 'pending'`).run(result.batchId);
        this.pw.closeBatch(result.batchId, result.response.chains);
        this.db
          .prepare(`UPDATE redemption_batches SET answered_at = ?, response = ? WHERE id = ?`)
          .run(result.answeredAt, JSON.stringify(result.response), result.batchId);
      })
      .immediate();
  }

  async payment(id: string): Promise<StoredPayment | undefined> {
    const p = this.db.prepare(`SELECT id, epoch, user_id, method, url, price, paid_at FROM payments WHERE id = ?`).get(id) as
      { id: string; epoch: string; user_id: string; method: string; url: string; price: number; paid_at: string } | undefined;
    if (!p) return undefined;
    const coins = this.db.prepare(`SELECT coin_id, status, reason, batch_id FROM coins WHERE payment_id = ? ORDER BY rowid`).all(id) as {
      coin_id: string;
      status: CoinStatus;
      reason: string | null;
      batch_id: string | null;
    }[];
    return {
      id: p.id,
      epoch: p.epoch,
      userId: p.user_id,
      method: p.method,
      url: p.url,
      price: p.price,
      paidAt: p.paid_at,
      coins: coins.map((c) => ({
        id: c.coin_id,
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.batch_id ? { batchId: c.batch_id } : {}),
      })),
    };
  }

  async stats(): Promise<VendorStats> {
    const count = (sql: string): number => (this.db.prepare(sql).pluck().get() as number | null) ?? 0;
    return {
      payments: count(`SELECT COUNT(*) FROM payments`),
      coins: count(`SELECT COUNT(*) FROM coins`),
      pending: count(`SELECT COUNT(*) FROM coins WHERE status = 'pending'`),
      inOpenBatch: count(`SELECT COUNT(*) FROM coins WHERE status = 'pending' AND batch_id IS NOT NULL`),
      credited: count(`SELECT COUNT(*) FROM coins WHERE status = 'credited'`),
      refused: count(`SELECT COUNT(*) FROM coins WHERE status = 'refused'`),
      refusals: count(`SELECT COUNT(*) FROM refusals`),
      batches: count(`SELECT COUNT(*) FROM redemption_batches`),
      openBatches: count(`SELECT COUNT(*) FROM redemption_batches WHERE answered_at IS NULL`),
      ...this.pw.counts(),
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export { newBatchId } from './store.ts';
