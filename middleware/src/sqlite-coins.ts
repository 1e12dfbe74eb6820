/**
 * The coin half of `SqliteVendorStore` on the lean tables of schema version 4 (see
 * sqlite-schema.ts): payments with their coins, the double-spend index, and which coins are still
 * to be redeemed. Statements are prepared once; every method that writes runs inside a
 * transaction the store opens (a group commit), so that a payment, a batch or a take-back changes
 * everything it touches or nothing.
 * @module
 */
import type Database from 'better-sqlite3';
import { BALL_BYTES } from '@micromint/shared';
import { idOfRow, rowOfId, timeOfRow } from './sqlite-payment-ids.ts';
import {
  classifyPayment,
  doubleSpendRefusal,
  sameCoin,
  type CoinStatus,
  type KnownCoin,
  type NewPayment,
  type PaymentOutcome,
  type RedeemCoin,
  type Refusal,
  type ReplayQuery,
  type StoredPayment,
} from './store.ts';

/** A payment row with the strings it names. */
interface Row {
  id: number;
  tag: Buffer | string;
  at: number | string;
  n: number;
  coins: Buffer;
  batch: number | null;
  epoch: string;
  user_id: string;
  method: string;
  url: string;
}

/** Coin states of `coin_states.status`. */
const STATUS: readonly CoinStatus[] = ['pending', 'credited', 'refused'];

const COIN_ID = /^[0-9a-f]{32}$/;

/**
 * The double-spend key of a first ball: a 32-bit hash of its 16 bytes (FNV-1a), as a signed
 * integer (4 bytes in the index). Balls need not look random (test mints count up from zero).
 */
export function spentKey(ball: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < BALL_BYTES; i++) h = Math.imul(h ^ ball[i]!, 0x01000193);
  return h | 0;
}

/** The double-spend key of a coin id (lower-case hex of the first ball), as {@link spentKey} of its bytes. */
function keyOfId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 2 * BALL_BYTES; i += 2)
    h = Math.imul(h ^ ((nibble(id.charCodeAt(i)) << 4) | nibble(id.charCodeAt(i + 1))), 0x01000193);
  return h | 0;
}

/** The value of a lower-case hex digit's character code. */
const nibble = (c: number): number => (c <= 57 ? c - 48 : c - 87);

/** The payment id a row was recorded under. */
const paymentIdOf = (r: Pick<Row, 'id' | 'tag'>): string => (typeof r.tag === 'string' ? r.tag : idOfRow(r.id, r.tag));

/** The `paidAt` a row was recorded with. */
function paidAtOf(r: Pick<Row, 'id' | 'tag' | 'at'>): string {
  if (typeof r.at === 'string') return r.at;
  return new Date(r.at + (typeof r.tag === 'string' ? 0 : timeOfRow(r.id))).toISOString();
}

/** Coin `i` of a row (a view into its buffer). */
const coinOf = (r: Pick<Row, 'coins' | 'n'>, i: number): Buffer => {
  const size = r.coins.length / r.n;
  return r.coins.subarray(i * size, (i + 1) * size);
};

/** The id (hex of the first ball) of coin `i` of a row. */
const coinIdOf = (r: Pick<Row, 'coins' | 'n'>, i: number): string => coinOf(r, i).toString('hex', 0, BALL_BYTES);

/** Throws RangeError unless the payment's coins can be kept in one row: equal lengths of whole balls, ids that are their first balls. */
function assertStorable(p: NewPayment): void {
  if (p.coins.length === 0 || p.price !== p.coins.length)
    throw new RangeError(`payment ${p.id}: the price (${p.price}) must be the number of coins (${p.coins.length}), at least 1`);
  const size = p.coins[0]!.coin.length;
  for (const c of p.coins) {
    if (c.coin.length !== size || size < BALL_BYTES || size % BALL_BYTES !== 0)
      throw new RangeError(`payment ${p.id}: every coin must be the same whole number of ${BALL_BYTES}-byte balls`);
    if (c.id !== Buffer.from(c.coin.buffer, c.coin.byteOffset, BALL_BYTES).toString('hex'))
      throw new RangeError(`payment ${p.id}: coin id ${c.id.slice(0, 40)} is not the hex of its first ball`);
  }
}

/** The coins of one payment row that a batch takes or answers. */
type Taken = { row: Row; idx: number[] };

/** The coin tables of the SQLite store, on its open database (after migration). */
export class SqliteCoins {
  private readonly s;

  constructor(db: Database.Database) {
    const row = `SELECT p.id, p.tag, p.at, p.n, p.coins, p.batch, py.epoch, py.user_id, r.method, r.url
                 FROM payments p JOIN payers py ON py.id = p.payer JOIN resources r ON r.id = p.resource`;
    this.s = {
      row: db.prepare(`${row} WHERE p.id = ?`),
      rowOfText: db.prepare(`${row} WHERE p.tag = ? AND typeof(p.tag) = 'text'`),
      tagAt: db.prepare(`SELECT tag FROM payments WHERE id = ?`).pluck(),
      spentBy: db.prepare(`SELECT payment FROM spent WHERE key = ?`).pluck(),
      payer: db.prepare(`SELECT id FROM payers WHERE epoch = ? AND user_id = ?`).pluck(),
      addPayer: db.prepare(`INSERT INTO payers (epoch, user_id) VALUES (?, ?)`),
      resource: db.prepare(`SELECT id FROM resources WHERE url = ? AND method = ?`).pluck(),
      addResource: db.prepare(`INSERT INTO resources (method, url) VALUES (?, ?)`),
      insert: db.prepare(`INSERT INTO payments (id, tag, payer, resource, at, n, coins) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      addSpent: db.prepare(`INSERT OR IGNORE INTO spent (key, payment) VALUES (?, ?)`),
      dropSpent: db.prepare(`DELETE FROM spent WHERE key = ? AND payment = ?`),
      markReplayed: db.prepare(`INSERT OR IGNORE INTO replays (payment) VALUES (?)`),
      replayed: db.prepare(`SELECT 1 FROM replays WHERE payment = ?`).pluck(),
      delete: db.prepare(`DELETE FROM payments WHERE id = ?`),
      states: db.prepare(`SELECT idx, batch, status, reason FROM coin_states WHERE payment = ? ORDER BY idx`),
      hasStates: db.prepare(`SELECT 1 FROM coin_states WHERE payment = ? LIMIT 1`).pluck(),
      take: db.prepare(`INSERT INTO coin_states (payment, idx, batch, status) VALUES (?, ?, ?, 0)`),
      inBatch: db.prepare(`SELECT payment, idx FROM coin_states WHERE batch = ? AND status = 0 ORDER BY payment, idx`),
      answer: db.prepare(`UPDATE coin_states SET status = ?, reason = ? WHERE payment = ? AND idx = ?`),
      release: db.prepare(`DELETE FROM coin_states WHERE payment = ? AND idx = ?`),
      releaseAll: db.prepare(`DELETE FROM coin_states WHERE payment = ?`),
      creditAll: db.prepare(`UPDATE payments SET batch = ? WHERE id = ?`),
      cursor: db.prepare(`SELECT payment FROM redeem_cursor WHERE id = 1`).pluck(),
      setCursor: db.prepare(
        `INSERT INTO redeem_cursor (id, payment) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET payment = excluded.payment`,
      ),
      after: db.prepare(`SELECT id FROM payments WHERE id > ? ORDER BY id LIMIT ?`).pluck(),
      queued: db.prepare(`SELECT payment FROM redeem_queue ORDER BY payment LIMIT ?`).pluck(),
      queue: db.prepare(`INSERT OR IGNORE INTO redeem_queue (payment) VALUES (?)`),
      unqueue: db.prepare(`DELETE FROM redeem_queue WHERE payment = ?`),
      counts: db.prepare(
        `SELECT (SELECT COUNT(*) FROM payments) AS payments, (SELECT coalesce(SUM(n), 0) FROM payments) AS coins,
                (SELECT coalesce(SUM(n), 0) FROM payments WHERE batch IS NOT NULL) AS creditedAll,
                (SELECT COUNT(*) FROM coin_states WHERE status = 1) AS creditedOne,
                (SELECT COUNT(*) FROM coin_states WHERE status = 2) AS refused,
                (SELECT COUNT(*) FROM coin_states WHERE status = 0) AS inOpenBatch`,
      ),
      pendingByEpoch: db.prepare(
        `SELECT py.epoch AS epoch,
                SUM(p.n - (SELECT COUNT(*) FROM coin_states s WHERE s.payment = p.id AND s.status > 0)) AS pending
         FROM payments p JOIN payers py ON py.id = p.payer WHERE p.batch IS NULL
         GROUP BY py.epoch HAVING pending > 0 ORDER BY py.epoch`,
      ),
    };
  }

  /** The row of a payment id, if recorded. */
  private rowOf(paymentId: string): Row | undefined {
    const named = rowOfId(paymentId);
    if (named) {
      const r = this.s.row.get(named.row) as Row | undefined;
      if (r && Buffer.isBuffer(r.tag) && r.tag.equals(named.tag)) return r;
    }
    return this.s.rowOfText.get(paymentId) as Row | undefined;
  }

  /** The recorded coins among `coinIds` (in `epoch`), each with its payment, as {@link classifyPayment} needs them. */
  private known(epoch: string, coinIds: readonly string[]): { known: KnownCoin[]; rows: Map<string, { row: Row; idx: number }> } {
    const known: KnownCoin[] = [];
    const rows = new Map<string, { row: Row; idx: number }>();
    const cache = new Map<number, Row>();
    for (const id of coinIds) {
      if (!COIN_ID.test(id) || rows.has(id)) continue;
      for (const payment of this.s.spentBy.all(keyOfId(id)) as number[]) {
        const row = cache.get(payment) ?? (this.s.row.get(payment) as Row | undefined);
        if (!row || row.epoch !== epoch) continue;
        cache.set(payment, row);
        let idx = 0;
        while (idx < row.n && coinIdOf(row, idx) !== id) idx++;
        if (idx === row.n) continue;
        rows.set(id, { row, idx });
        known.push({
          coinId: id,
          paymentId: paymentIdOf(row),
          userId: row.user_id,
          method: row.method,
          url: row.url,
          paidAt: paidAtOf(row),
          paymentCoins: row.n,
        });
        break;
      }
    }
    return { known, rows };
  }

  /** In the store's transaction: a new payment, a replay, or a double spend (logged through `refuse`). */
  record(p: NewPayment, refuse: (r: Refusal) => void): PaymentOutcome {
    const { known, rows } = this.known(
      p.epoch,
      p.coins.map((c) => c.id),
    );
    const verdict = classifyPayment(p, known);
    if (verdict.status === 'replay') {
      this.s.markReplayed.run(rows.get(p.coins[0]!.id)!.row.id);
      return verdict;
    }
    if (verdict.status === 'already-spent') {
      refuse(doubleSpendRefusal(p, verdict.coinIds));
      return verdict;
    }
    this.insert(p);
    return { status: 'recorded', paymentId: p.id };
  }

  private insert(p: NewPayment): void {
    assertStorable(p);
    const named = rowOfId(p.id);
    let own = named;
    if (named) {
      const taken = this.s.tagAt.get(named.row) as Buffer | string | undefined;
      if (Buffer.isBuffer(taken) && taken.equals(named.tag)) throw new RangeError(`payment id ${p.id} is recorded already`);
      if (taken !== undefined) own = undefined; // the row is another payment's (an id of the same ms and sequence): kept as text
    }
    if (!own && this.s.rowOfText.get(p.id)) throw new RangeError(`payment id ${p.id} is recorded already`);
    const ms = Date.parse(p.paidAt);
    const exact = Number.isFinite(ms) && new Date(ms).toISOString() === p.paidAt;
    const at = !exact ? p.paidAt : own ? ms - timeOfRow(own.row) : ms;
    const info = this.s.insert.run(
      own?.row ?? null,
      own?.tag ?? p.id,
      this.payerOf(p.epoch, p.userId),
      this.resourceOf(p.method, p.url),
      at,
      p.coins.length,
      p.coins.length === 1 ? p.coins[0]!.coin : Buffer.concat(p.coins.map((c) => c.coin)),
    );
    const row = Number(info.lastInsertRowid);
    for (const c of p.coins) this.s.addSpent.run(keyOfId(c.id), row);
    // Recorded behind the redemption cursor (ids made out of order, another process): queued so that a batch finds it.
    const cursor = this.s.cursor.get() as number | undefined;
    if (cursor !== undefined && row <= cursor) this.s.queue.run(row);
  }

  private payerOf(epoch: string, userId: string): number {
    return (this.s.payer.get(epoch, userId) as number | undefined) ?? Number(this.s.addPayer.run(epoch, userId).lastInsertRowid);
  }

  private resourceOf(method: string, url: string): number {
    return (this.s.resource.get(url, method) as number | undefined) ?? Number(this.s.addResource.run(method, url).lastInsertRowid);
  }

  /** In the store's transaction: the payment `q` repeats, byte for byte, marked as served again. */
  findReplay(q: ReplayQuery): { paymentId: string; paidAt: string } | undefined {
    const { known, rows } = this.known(
      q.epoch,
      q.coins.map((c) => c.id),
    );
    const verdict = classifyPayment(q, known);
    if (verdict.status !== 'replay') return undefined;
    const same = q.coins.every((c) => {
      const at = rows.get(c.id);
      return at !== undefined && sameCoin(c.coin, coinOf(at.row, at.idx));
    });
    if (!same) return undefined;
    this.s.markReplayed.run(rows.get(q.coins[0]!.id)!.row.id);
    return { paymentId: verdict.paymentId, paidAt: verdict.paidAt };
  }

  /** In the store's transaction: takes back a payment nobody else claims (never replayed, no coin ever answered or in a batch). */
  unrecord(paymentId: string): boolean {
    const r = this.rowOf(paymentId);
    if (!r || r.batch !== null || this.s.replayed.get(r.id) || this.s.hasStates.get(r.id)) return false;
    for (let i = 0; i < r.n; i++) this.s.dropSpent.run(keyOfId(coinIdOf(r, i)), r.id);
    this.s.unqueue.run(r.id);
    this.s.delete.run(r.id);
    return true;
  }

  /** A recorded payment with its coins' states; `batchIds` names batches by number. */
  payment(paymentId: string, batchIds: (n: number) => string): StoredPayment | undefined {
    const r = this.rowOf(paymentId);
    if (!r) return undefined;
    const states = new Map(
      (this.s.states.all(r.id) as { idx: number; batch: number | null; status: number; reason: string | null }[]).map((s) => [s.idx, s]),
    );
    const coins = Array.from({ length: r.n }, (_, i) => {
      const s = states.get(i);
      const status: CoinStatus = s ? STATUS[s.status]! : r.batch === null ? 'pending' : 'credited';
      const batch = s ? s.batch : r.batch;
      return {
        id: coinIdOf(r, i),
        status,
        ...(s?.reason ? { reason: s.reason } : {}),
        ...(batch !== null ? { batchId: batchIds(batch) } : {}),
      };
    });
    return { id: paymentId, epoch: r.epoch, userId: r.user_id, method: r.method, url: r.url, price: r.n, paidAt: paidAtOf(r), coins };
  }

  /** Indices of a row's coins that are pending and in no batch. */
  private pendingOf(r: Row): number[] {
    if (r.batch !== null) return [];
    const states = this.s.states.all(r.id) as { idx: number }[];
    const busy = new Set(states.map((s) => s.idx));
    return Array.from({ length: r.n }, (_, i) => i).filter((i) => !busy.has(i));
  }

  /**
   * In the store's transaction: puts up to `limit` pending coins in no batch into batch `batch`,
   * the oldest first (the queue, then the payments after the cursor), and returns them.
   */
  take(batch: number, limit: number): RedeemCoin[] {
    const taken: Taken[] = [];
    let left = limit;
    const takeFrom = (r: Row): boolean => {
      const pending = this.pendingOf(r);
      const idx = pending.slice(0, left);
      for (const i of idx) this.s.take.run(r.id, i, batch);
      if (idx.length) taken.push({ row: r, idx });
      left -= idx.length;
      return idx.length === pending.length; // all of its pending coins are in the batch now
    };
    for (const payment of this.s.queued.all(left) as number[]) {
      if (left === 0) break;
      const r = this.s.row.get(payment) as Row | undefined;
      if (!r || takeFrom(r)) this.s.unqueue.run(payment);
    }
    const start = (this.s.cursor.get() as number | undefined) ?? Number.MIN_SAFE_INTEGER;
    let cursor = start;
    scan: while (left > 0) {
      const next = this.s.after.all(cursor, Math.max(left, 64)) as number[];
      if (next.length === 0) break;
      for (const payment of next) {
        if (left === 0 || !takeFrom(this.s.row.get(payment) as Row)) break scan;
        cursor = payment;
      }
    }
    if (cursor !== start) this.s.setCursor.run(cursor);
    return taken.flatMap(redeemCoins);
  }

  /** The coins of batch `batch` still waiting for its answer, the oldest first. */
  inBatch(batch: number): RedeemCoin[] {
    return this.takenIn(batch).flatMap(redeemCoins);
  }

  private takenIn(batch: number): Taken[] {
    const out: Taken[] = [];
    for (const { payment, idx } of this.s.inBatch.all(batch) as { payment: number; idx: number }[]) {
      const last = out.at(-1);
      if (last?.row.id === payment) last.idx.push(idx);
      else out.push({ row: this.s.row.get(payment) as Row, idx: [idx] });
    }
    return out;
  }

  /**
   * In the store's transaction: the broker's answer for batch `batch` (`results`: coin id ->
   * status and reason; undefined when the whole batch failed). Coins it does not name are
   * pending again, and their payments queued.
   */
  answer(batch: number, results: Map<string, { status: 'credited' | 'refused'; reason?: string }> | undefined): void {
    for (const { row, idx } of this.takenIn(batch)) {
      for (const i of idx) {
        const r = results?.get(coinIdOf(row, i));
        if (r) this.s.answer.run(r.status === 'credited' ? 1 : 2, r.status === 'refused' ? (r.reason ?? 'refused') : null, row.id, i);
        else {
          this.s.release.run(row.id, i);
          this.s.queue.run(row.id);
        }
      }
      this.compact(row, batch);
    }
  }

  /** A payment whose every coin the batch credited keeps that in one column instead of a state per coin. */
  private compact(row: Row, batch: number): void {
    const states = this.s.states.all(row.id) as { batch: number | null; status: number }[];
    if (states.length === row.n && states.every((s) => s.status === 1 && s.batch === batch)) {
      this.s.releaseAll.run(row.id);
      this.s.creditAll.run(batch, row.id);
    }
  }

  counts(): { payments: number; coins: number; pending: number; inOpenBatch: number; credited: number; refused: number } {
    const c = this.s.counts.get() as {
      payments: number;
      coins: number;
      creditedAll: number;
      creditedOne: number;
      refused: number;
      inOpenBatch: number;
    };
    const credited = c.creditedAll + c.creditedOne;
    return {
      payments: c.payments,
      coins: c.coins,
      pending: c.coins - credited - c.refused,
      inOpenBatch: c.inOpenBatch,
      credited,
      refused: c.refused,
    };
  }

  pendingByEpoch(): { epoch: string; pending: number }[] {
    return this.s.pendingByEpoch.all() as { epoch: string; pending: number }[];
  }
}

/** The coins `t` names, as sent to the broker. */
function redeemCoins(t: Taken): RedeemCoin[] {
  const paidAt = paidAtOf(t.row);
  return t.idx.map((i) => {
    const coin = coinOf(t.row, i);
    return {
      epoch: t.row.epoch,
      coinId: coin.toString('hex', 0, BALL_BYTES),
      userId: t.row.user_id,
      coin: new Uint8Array(coin.buffer, coin.byteOffset, coin.byteLength),
      url: t.row.url,
      paidAt,
    };
  });
}
