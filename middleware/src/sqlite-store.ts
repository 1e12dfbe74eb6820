/**
 * The default {@link VendorStore}: one SQLite file (better-sqlite3), WAL journal, and a recorded
 * payment on disk before its content is sent. Writes share transactions (group commit: the
 * payments of one event-loop turn, one COMMIT), whose fsync of the WAL runs off the event loop
 * while the next group is committed; every statement is prepared once. The schema (sqlite-schema.ts) keeps about 115
 * bytes a 1-coin payment.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { astring } from '@micromint/shared';
import { GroupCommit } from './group-commit.ts';
import { SqliteCoins } from './sqlite-coins.ts';
import { SqlitePayword } from './sqlite-payword.ts';
import { migrate, MIGRATIONS } from './sqlite-schema.ts';
import {
  newBatchId,
  type BatchResult,
  type NewPayment,
  type NewPaywordPayment,
  type PaymentOutcome,
  type PaywordOutcome,
  type PaywordReplayQuery,
  type RedemptionBatch,
  type Refusal,
  type ReplayQuery,
  type StoredChain,
  type StoredEpoch,
  type StoredPayment,
  type UnclearedChain,
  type VendorStats,
  type VendorStore,
} from './store.ts';

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
  /** The group commit every write goes through (`commits` counts the durable transactions). */
  readonly commits: GroupCommit;
  private readonly pw: SqlitePayword;
  private readonly coins: SqliteCoins;
  private readonly s;

  constructor(
    /** Path of the database file. */
    readonly path: string,
  ) {
    astring(path, 'dbPath', 4096);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Every write is committed through the group commit, which syncs the WAL before answering (see group-commit.ts).
    const wal = this.db.memory ? undefined : `${this.db.name}-wal`;
    this.db.pragma(`synchronous = ${wal ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, path);
    this.commits = new GroupCommit(this.db, wal ? { wal } : {});
    this.pw = new SqlitePayword(this.db);
    this.coins = new SqliteCoins(this.db);
    const db = this.db;
    this.s = {
      insertRefusal: db.prepare(
        `INSERT INTO refusals (at, epoch, user_id, method, url, reason, coin_ids, detail, scheme, chain_id, link_index, units)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      saveEpoch: db.prepare(
        `INSERT INTO epochs (id, params, saved_at) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET params = excluded.params, saved_at = excluded.saved_at`,
      ),
      epochs: db.prepare(`SELECT params FROM epochs ORDER BY saved_at, id`).pluck(),
      probe: db.prepare(`INSERT INTO probes (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`),
      openBatch: db.prepare(`SELECT n, id, sent_at FROM redemption_batches WHERE answered_at IS NULL ORDER BY sent_at, n LIMIT 1`),
      batch: db.prepare(`SELECT n, answered_at FROM redemption_batches WHERE id = ?`),
      batchId: db.prepare(`SELECT id FROM redemption_batches WHERE n = ?`).pluck(),
      newBatch: db.prepare(`INSERT INTO redemption_batches (id, sent_at) VALUES (?, ?)`),
      dropBatch: db.prepare(`DELETE FROM redemption_batches WHERE n = ?`),
      closeEmpty: db.prepare(`UPDATE redemption_batches SET answered_at = ?, error = 'empty' WHERE n = ?`),
      failBatch: db.prepare(`UPDATE redemption_batches SET answered_at = ?, error = ? WHERE n = ?`),
      answerBatch: db.prepare(`UPDATE redemption_batches SET answered_at = ?, response = ? WHERE n = ?`),
      counts: db.prepare(
        `SELECT (SELECT COUNT(*) FROM refusals) AS refusals, (SELECT COUNT(*) FROM redemption_batches) AS batches,
                (SELECT COUNT(*) FROM redemption_batches WHERE answered_at IS NULL) AS openBatches`,
      ),
    };
  }

  /** The schema version this code writes (number of migrations). */
  static readonly schemaVersion = MIGRATIONS.length;

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

  async recordPayment(payment: NewPayment): Promise<PaymentOutcome> {
    // A retry of a payment served again before writes nothing, so its group needs no fsync (and
    // the middleware answers most retries from memory before they get here).
    return this.commits.run(() => this.coins.record(payment, (r) => this.insertRefusal(r)));
  }

  async findReplay(query: ReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    return this.commits.run(() => this.coins.findReplay(query));
  }

  async unrecordPayment(paymentId: string): Promise<boolean> {
    return this.commits.run(() => this.coins.unrecord(paymentId));
  }

  async recordRefusal(refusal: Refusal): Promise<void> {
    return this.commits.run(() => this.insertRefusal(refusal));
  }

  async saveEpoch(epoch: StoredEpoch): Promise<void> {
    astring(epoch.id, 'epoch.id', 64);
    await this.commits.run(() => this.s.saveEpoch.run(epoch.id, JSON.stringify(epoch), new Date().toISOString()));
  }

  async epochs(): Promise<StoredEpoch[]> {
    return (this.s.epochs.all() as string[]).map((r) => JSON.parse(r) as StoredEpoch);
  }

  async probe(): Promise<void> {
    await this.commits.run(() => this.s.probe.run(new Date().toISOString()));
  }

  async pendingByEpoch(): Promise<{ epoch: string; pending: number }[]> {
    return this.coins.pendingByEpoch();
  }

  async paywordChain(chainId: string): Promise<StoredChain | undefined> {
    return this.pw.chain(chainId);
  }

  async recordPaywordPayment(payment: NewPaywordPayment): Promise<PaywordOutcome> {
    return this.commits.run(() => this.pw.record(payment, (r) => this.insertRefusal(r)));
  }

  async findPaywordReplay(query: PaywordReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    return this.commits.run(() => this.pw.findReplay(query, new Date().toISOString()));
  }

  async unrecordPaywordPayment(paymentId: string): Promise<boolean> {
    return this.commits.run(() => this.pw.unrecord(paymentId));
  }

  async unclearedChains(): Promise<UnclearedChain[]> {
    return this.pw.uncleared();
  }

  async loadKey(name: string): Promise<string | undefined> {
    return this.pw.loadKey(name);
  }

  async saveKey(name: string, value: string): Promise<string> {
    astring(name, 'name', 256);
    return this.commits.run(() => this.pw.saveKey(name, value));
  }

  async unredeemed(limit: number): Promise<RedemptionBatch | null> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    return this.commits.run((): RedemptionBatch | null => {
      const open = this.s.openBatch.get() as { n: number; id: string; sent_at: string } | undefined;
      if (open) {
        const coins = this.coins.inBatch(open.n);
        const chains = this.pw.inBatch(open.id);
        if (coins.length || chains.length) return { batchId: open.id, createdAt: open.sent_at, retry: true, coins, chains };
        // An open batch without pending coins or chains cannot be answered usefully: close it.
        this.s.closeEmpty.run(new Date().toISOString(), open.n);
      }
      const batchId = newBatchId();
      const createdAt = new Date().toISOString();
      const n = Number(this.s.newBatch.run(batchId, createdAt).lastInsertRowid);
      const coins = this.coins.take(n, limit);
      const chains = this.pw.due(limit);
      if (coins.length === 0 && chains.length === 0) {
        this.s.dropBatch.run(n);
        return null;
      }
      this.pw.assign(batchId, chains);
      return { batchId, createdAt, retry: false, coins, chains: this.pw.inBatch(batchId) };
    });
  }

  async markRedeemed(result: BatchResult): Promise<void> {
    await this.commits.run(() => {
      const batch = this.s.batch.get(result.batchId) as { n: number; answered_at: string | null } | undefined;
      if (!batch) throw new RangeError(`no redemption batch ${result.batchId}`);
      if ('failed' in result) {
        this.coins.answer(batch.n, undefined);
        this.pw.closeBatch(result.batchId);
        this.s.failBatch.run(result.answeredAt, result.failed, batch.n);
        return;
      }
      const answers = new Map<string, { status: 'credited' | 'refused'; reason?: string }>();
      for (const r of result.response.results) if (!answers.has(r.coinId)) answers.set(r.coinId, r);
      // Coins the broker did not mention stay ours to redeem in a later batch; chains are due again.
      this.coins.answer(batch.n, answers);
      this.pw.closeBatch(result.batchId, result.response.chains);
      this.s.answerBatch.run(result.answeredAt, JSON.stringify(result.response), batch.n);
    });
  }

  async payment(id: string): Promise<StoredPayment | undefined> {
    return this.coins.payment(id, (n) => this.s.batchId.get(n) as string);
  }

  async stats(): Promise<VendorStats> {
    return {
      ...this.coins.counts(),
      ...(this.s.counts.get() as Pick<VendorStats, 'refusals' | 'batches' | 'openBatches'>),
      ...this.pw.counts(),
    };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.commits.drain();
    await this.commits.settled();
    this.commits.close();
    if (this.db.open) this.db.close();
  }
}

export { newBatchId } from './store.ts';
