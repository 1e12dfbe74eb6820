/**
 * A {@link VendorStore} on PostgreSQL, for a site that runs more than one vendor process or
 * machine on one database; SQLite stays the default for one process. The promises are the other
 * stores': a payment is committed (durably, `synchronous_commit` on) before its promise resolves;
 * a coin is accepted once across every instance (the primary key of `coins`); the same payment
 * sent again is a replay that changes nothing; a double spend is refused and logged in the same
 * transaction; a PayWord chain's highest index moves by compare-and-set on its locked row.
 *
 * A new payment is one statement (the payment and its coins, inserted together); only when a coin
 * is already there does the store look at what is recorded, in a transaction, to tell a replay
 * from a double spend. Redemption batches are made and closed under a transaction-level advisory
 * lock, so two instances redeeming at once send the same batch rather than two.
 * @module
 */
import type { Pool } from 'pg';
import { astring } from '@micromint/shared';
import { assertDurableCommits } from '@micromint/shared/postgres';
import { Conflict, createPool, sqlState, transaction, UNIQUE_VIOLATION, withClient } from './postgres-db.ts';
import { migrate, POSTGRES_SCHEMA_VERSION, quoteIdent } from './postgres-migrations.ts';
import { resolvePostgresOptions, type PostgresStoreOptions } from './postgres-options.ts';
import { PostgresPayword, type Queryable } from './postgres-payword.ts';
import { statements, type Statement } from './postgres-sql.ts';
import {
  classifyPayment,
  doubleSpendRefusal,
  newBatchId,
  sameCoin,
  type BatchResult,
  type CoinStatus,
  type KnownCoin,
  type NewPayment,
  type NewPaywordPayment,
  type PaymentOutcome,
  type PaywordOutcome,
  type PaywordReplayQuery,
  type RedeemCoin,
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

export type { PostgresStoreOptions } from './postgres-options.ts';

/** The second key of the redemption lock is the schema's hash, the first this ("MMRD"). */
const REDEEM_LOCK = 0x4d4d5244;

interface CoinRow {
  seq: number;
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
 * A {@link VendorStore} (with the payword part) in a PostgreSQL schema, created and migrated on
 * first use. Every instance of the site points at the same database.
 * @example
 * const store = new PostgresVendorStore({ connectionString: process.env.DATABASE_URL! });
 * await store.ready(); // optional: fail at start-up rather than on the first payment
 * app.use(micromint({ vendorId, broker, apiKey, store }));
 */
export class PostgresVendorStore implements VendorStore {
  /** The schema version this code writes (number of migrations). */
  static readonly schemaVersion = POSTGRES_SCHEMA_VERSION;
  /** The PostgreSQL schema holding the tables. */
  readonly schema: string;
  private readonly pool: Pool;
  private readonly pw: PostgresPayword;
  private readonly sql;
  private migrated: Promise<void> | undefined;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    const o = resolvePostgresOptions(options);
    this.schema = o.schema;
    this.pool = createPool(o);
    this.sql = statements(quoteIdent(o.schema));
    this.pw = new PostgresPayword(quoteIdent(o.schema));
  }

  /**
   * Resolves once the schema is migrated and the server commits durably; every method waits for
   * it. A failure (the server down, a newer schema) rejects this call and is tried again by the next.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    this.migrated ??= this.prepare().catch((e: unknown) => {
      this.migrated = undefined;
      throw e;
    });
    return this.migrated;
  }

  private async prepare(): Promise<void> {
    await migrate(this.pool, this.schema);
    await assertDurableCommits(this.pool, 'a payment could be lost after its content was sent');
  }

  /** The pool, once ready. */
  private async db(): Promise<Pool> {
    await this.ready();
    return this.pool;
  }

  /** Runs statement `name` (prepared on each connection the first time). */
  private run<R extends object>(db: Queryable, name: Statement, values: unknown[]) {
    return db.query<R>({ name: `mm_${name}`, text: this.sql[name], values });
  }

  private async tx<T>(body: (c: Queryable) => Promise<T>): Promise<T> {
    return transaction(await this.db(), body);
  }

  private async insertRefusal(db: Queryable, r: Refusal): Promise<void> {
    await this.run(db, 'insertRefusal', [
      r.at,
      r.scheme ?? 'micromint',
      r.epoch,
      r.userId,
      r.method,
      r.url,
      r.reason,
      JSON.stringify(r.coinIds),
      r.detail ?? null,
      r.chainId ?? null,
      r.index ?? null,
      r.units ?? null,
    ]);
  }

  /** The coins of `coinIds` already recorded in `epoch`, in the order asked, with their bytes. */
  private async knownCoins(db: Queryable, epoch: string, coinIds: readonly string[]): Promise<(KnownCoin & { coin: Buffer })[]> {
    const { rows } = await this.run<KnownCoin & { coin: Buffer }>(db, 'knownCoins', [epoch, coinIds]);
    const byId = new Map(rows.map((r) => [r.coinId, r]));
    return [...new Set(coinIds)].flatMap((id) => byId.get(id) ?? []);
  }

  /** Marks a payment as served again; a payment taken back meanwhile by another instance is a conflict. */
  private async markReplayed(db: Queryable, paymentId: string, at: string): Promise<void> {
    const r = await this.run(db, 'markReplayed', [at, paymentId]);
    if (r.rowCount !== 1) throw new Conflict(`payment ${paymentId} was taken back`);
  }

  /** The payment and its coins as one statement's values. */
  private newPaymentValues(p: NewPayment): unknown[] {
    return [
      ...[p.id, p.epoch, p.userId, p.method, p.url, p.price, p.coins.length, p.paidAt],
      p.coins.map((c) => c.id),
      p.coins.map((c) => Buffer.from(c.coin)),
    ];
  }

  async recordPayment(payment: NewPayment): Promise<PaymentOutcome> {
    const pool = await this.db();
    // Most payments are new: one statement, one commit. A coin seen before fails it whole.
    const recorded = await withClient(pool, (c) =>
      this.run(c, 'recordNew', this.newPaymentValues(payment)).then(
        () => true,
        (e: unknown) => {
          if (sqlState(e) === UNIQUE_VIOLATION) return false;
          throw e;
        },
      ),
    );
    if (recorded) return { status: 'recorded', paymentId: payment.id };
    return transaction(pool, (c) => this.recordChecked(c, payment));
  }

  /** A payment with a coin seen before: a replay, a double spend, or (taken back meanwhile) new after all. */
  private async recordChecked(c: Queryable, payment: NewPayment): Promise<PaymentOutcome> {
    const known = await this.knownCoins(
      c,
      payment.epoch,
      payment.coins.map((x) => x.id),
    );
    const verdict = classifyPayment(payment, known);
    if (verdict.status === 'replay') {
      await this.markReplayed(c, verdict.paymentId, payment.paidAt);
      return verdict;
    }
    if (verdict.status === 'already-spent') {
      await this.insertRefusal(c, doubleSpendRefusal(payment, verdict.coinIds));
      return verdict;
    }
    const r = await this.run(c, 'recordNewUnlessKnown', this.newPaymentValues(payment));
    if (r.rowCount !== payment.coins.length) throw new Conflict('a coin of the payment was recorded by another transaction');
    return { status: 'recorded', paymentId: payment.id };
  }

  async findReplay(query: ReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    return this.tx(async (c) => {
      const known = await this.knownCoins(
        c,
        query.epoch,
        query.coins.map((x) => x.id),
      );
      const verdict = classifyPayment(query, known);
      if (verdict.status !== 'replay') return undefined;
      const stored = new Map(known.map((k) => [k.coinId, k.coin]));
      if (!query.coins.every((x) => sameCoin(x.coin, stored.get(x.id)!))) return undefined;
      await this.markReplayed(c, verdict.paymentId, new Date().toISOString());
      return { paymentId: verdict.paymentId, paidAt: verdict.paidAt };
    });
  }

  async unrecordPayment(paymentId: string): Promise<boolean> {
    return this.tx(async (c) => {
      const p = (await this.run<{ replayed_at: string | null }>(c, 'lockPayment', [paymentId])).rows[0];
      if (!p || p.replayed_at !== null) return false;
      const coins = (await this.run<{ status: CoinStatus; batch_id: string | null }>(c, 'lockPaymentCoins', [paymentId])).rows;
      if (coins.some((x) => x.status !== 'pending' || x.batch_id !== null)) return false;
      await this.run(c, 'deletePayment', [paymentId]);
      return true;
    });
  }

  async saveEpoch(epoch: StoredEpoch): Promise<void> {
    astring(epoch.id, 'epoch.id', 64);
    await this.run(await this.db(), 'saveEpoch', [epoch.id, JSON.stringify(epoch), new Date().toISOString()]);
  }

  async epochs(): Promise<StoredEpoch[]> {
    const { rows } = await this.run<{ params: string }>(await this.db(), 'epochs', []);
    return rows.map((r) => JSON.parse(r.params) as StoredEpoch);
  }

  async probe(): Promise<void> {
    await this.run(await this.db(), 'probe', [new Date().toISOString()]);
  }

  async pendingByEpoch(): Promise<{ epoch: string; pending: number }[]> {
    return (await this.run<{ epoch: string; pending: number }>(await this.db(), 'pendingByEpoch', [])).rows;
  }

  async recordRefusal(refusal: Refusal): Promise<void> {
    await this.insertRefusal(await this.db(), refusal);
  }

  async paywordChain(chainId: string): Promise<StoredChain | undefined> {
    return this.pw.chain(await this.db(), chainId);
  }

  async recordPaywordPayment(payment: NewPaywordPayment): Promise<PaywordOutcome> {
    return this.tx((c) => this.pw.record(c, payment, (r) => this.insertRefusal(c, r)));
  }

  async findPaywordReplay(query: PaywordReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    return this.tx((c) => this.pw.findReplay(c, query, new Date().toISOString()));
  }

  async unrecordPaywordPayment(paymentId: string): Promise<boolean> {
    return this.tx((c) => this.pw.unrecord(c, paymentId));
  }

  async unclearedChains(): Promise<UnclearedChain[]> {
    return this.pw.uncleared(await this.db());
  }

  async loadKey(name: string): Promise<string | undefined> {
    return this.pw.loadKey(await this.db(), name);
  }

  async saveKey(name: string, value: string): Promise<string> {
    astring(name, 'name', 256);
    return this.pw.saveKey(await this.db(), name, value);
  }

  /** Takes the redemption lock of this schema until the transaction ends. */
  private async lockRedemption(c: Queryable): Promise<void> {
    await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [REDEEM_LOCK, this.schema]);
  }

  async unredeemed(limit: number): Promise<RedemptionBatch | null> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    return this.tx(async (c) => {
      await this.lockRedemption(c);
      const open = (await this.run<{ id: string; sent_at: string }>(c, 'openBatch', [])).rows[0];
      if (open) {
        const coins = (await this.run<CoinRow>(c, 'batchCoins', [open.id])).rows;
        const chains = await this.pw.inBatch(c, open.id);
        if (coins.length || chains.length)
          return { batchId: open.id, createdAt: open.sent_at, retry: true, coins: coins.map(toRedeemCoin), chains };
        // An open batch without pending coins or chains cannot be answered usefully: close it.
        await this.run(c, 'closeEmptyBatch', [new Date().toISOString(), open.id]);
      }
      const seqs = (await this.run<{ seq: number }>(c, 'pendingCoins', [limit])).rows.map((r) => r.seq);
      const due = await this.pw.due(c, limit);
      if (seqs.length === 0 && due.length === 0) return null;
      const batchId = newBatchId();
      const createdAt = new Date().toISOString();
      await this.run(c, 'insertBatch', [batchId, createdAt]);
      const coins = seqs.length ? (await this.run<CoinRow>(c, 'assignCoins', [batchId, seqs])).rows : [];
      coins.sort((a, b) => a.seq - b.seq);
      await this.pw.assign(c, batchId, due);
      return { batchId, createdAt, retry: false, coins: coins.map(toRedeemCoin), chains: await this.pw.inBatch(c, batchId) };
    });
  }

  async markRedeemed(result: BatchResult): Promise<void> {
    await this.tx(async (c) => {
      await this.lockRedemption(c);
      if ((await this.run(c, 'lockBatch', [result.batchId])).rowCount !== 1) throw new RangeError(`no redemption batch ${result.batchId}`);
      if ('failed' in result) {
        await this.run(c, 'failBatch', [result.answeredAt, result.failed, result.batchId]);
        await this.run(c, 'unbatchPending', [result.batchId]);
        await this.pw.closeBatch(c, result.batchId);
        return;
      }
      const answers = result.response.results;
      await this.run(c, 'markCoins', [
        result.batchId,
        answers.map((r) => r.coinId),
        answers.map((r) => r.status),
        answers.map((r) => (r.status === 'refused' ? (r.reason ?? 'refused') : null)),
      ]);
      // Coins the broker did not mention stay ours to redeem in a later batch; chains are due again.
      await this.run(c, 'unbatchPending', [result.batchId]);
      await this.pw.closeBatch(c, result.batchId, result.response.chains);
      await this.run(c, 'answerBatch', [result.answeredAt, JSON.stringify(result.response), result.batchId]);
    });
  }

  async payment(id: string): Promise<StoredPayment | undefined> {
    const db = await this.db();
    type Row = { id: string; epoch: string; user_id: string; method: string; url: string; price: number; paid_at: string };
    const p = (await this.run<Row>(db, 'payment', [id])).rows[0];
    if (!p) return undefined;
    type CoinOf = { coin_id: string; status: CoinStatus; reason: string | null; batch_id: string | null };
    const coins = (await this.run<CoinOf>(db, 'paymentCoins', [id])).rows;
    return {
      id: p.id,
      epoch: p.epoch,
      userId: p.user_id,
      method: p.method,
      url: p.url,
      price: p.price,
      paidAt: p.paid_at,
      coins: coins.map((x) => ({
        id: x.coin_id,
        status: x.status,
        ...(x.reason ? { reason: x.reason } : {}),
        ...(x.batch_id ? { batchId: x.batch_id } : {}),
      })),
    };
  }

  async stats(): Promise<VendorStats> {
    return (await this.run<VendorStats>(await this.db(), 'stats', [])).rows[0]!;
  }

  /** Closes the pool (waiting for queries in flight); further calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
