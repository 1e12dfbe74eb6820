/**
 * A {@link VendorStore} in memory, with the same rules as the SQLite one: for tests and
 * throw-away demos (everything is lost when the process ends).
 * @module
 */
import { MemoryPayword } from './memory-payword.ts';
import {
  classifyPayment,
  doubleSpendRefusal,
  newBatchId,
  sameCoin,
  type BatchResult,
  type CoinStatus,
  type NewPaywordPayment,
  type PaywordOutcome,
  type PaywordReplayQuery,
  type StoredChain,
  type UnclearedChain,
  type KnownCoin,
  type NewPayment,
  type PaymentOutcome,
  type RedemptionBatch,
  type Refusal,
  type ReplayQuery,
  type StoredEpoch,
  type StoredPayment,
  type VendorStats,
  type VendorStore,
} from './store.ts';

interface MemCoin {
  epoch: string;
  coinId: string;
  coin: Uint8Array;
  userId: string;
  url: string;
  paymentId: string;
  paidAt: string;
  status: CoinStatus;
  reason?: string;
  batchId?: string;
}

interface MemBatch {
  id: string;
  sentAt: string;
  answeredAt?: string;
  response?: string;
  error?: string;
}

/**
 * An in-memory {@link VendorStore}.
 * @example
 * const mm = micromint({ vendorId, broker, store: new MemoryVendorStore() });
 */
export class MemoryVendorStore implements VendorStore {
  private readonly payments = new Map<string, Omit<StoredPayment, 'coins'> & { coinCount: number; replayed?: boolean }>();
  private readonly savedEpochs = new Map<string, string>();
  /** Coins in insertion order, keyed by `epoch coinId`. */
  private readonly coins = new Map<string, MemCoin>();
  private readonly batches = new Map<string, MemBatch>();
  /** The refusal log (read-only view for tests). */
  readonly refusals: Refusal[] = [];
  private readonly pw = new MemoryPayword();
  private closed = false;

  private check(): void {
    if (this.closed) throw new Error('the store is closed');
  }

  /** The coins of `coinIds` already recorded in `epoch`. */
  private knownCoins(epoch: string, coinIds: readonly string[]): KnownCoin[] {
    const known: KnownCoin[] = [];
    for (const id of coinIds) {
      const coin = this.coins.get(`${epoch} ${id}`);
      if (!coin) continue;
      const p = this.payments.get(coin.paymentId)!;
      known.push({
        coinId: coin.coinId,
        paymentId: coin.paymentId,
        userId: coin.userId,
        method: p.method,
        url: coin.url,
        paidAt: coin.paidAt,
        paymentCoins: p.coinCount,
      });
    }
    return known;
  }

  async findReplay(query: ReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    this.check();
    const verdict = classifyPayment(
      query,
      this.knownCoins(
        query.epoch,
        query.coins.map((c) => c.id),
      ),
    );
    if (verdict.status !== 'replay') return undefined;
    const same = query.coins.every((c) => {
      const stored = this.coins.get(`${query.epoch} ${c.id}`);
      return stored !== undefined && sameCoin(c.coin, stored.coin);
    });
    if (!same) return undefined;
    this.payments.get(verdict.paymentId)!.replayed = true;
    return { paymentId: verdict.paymentId, paidAt: verdict.paidAt };
  }

  async unrecordPayment(paymentId: string): Promise<boolean> {
    this.check();
    const p = this.payments.get(paymentId);
    if (!p || p.replayed) return false;
    const coins = [...this.coins.entries()].filter(([, c]) => c.paymentId === paymentId);
    if (coins.some(([, c]) => c.status !== 'pending' || c.batchId !== undefined)) return false;
    for (const [key] of coins) this.coins.delete(key);
    this.payments.delete(paymentId);
    return true;
  }

  async saveEpoch(epoch: StoredEpoch): Promise<void> {
    this.check();
    this.savedEpochs.delete(epoch.id);
    this.savedEpochs.set(epoch.id, JSON.stringify(epoch));
  }

  async epochs(): Promise<StoredEpoch[]> {
    this.check();
    return [...this.savedEpochs.values()].map((json) => JSON.parse(json) as StoredEpoch);
  }

  async probe(): Promise<void> {
    this.check();
  }

  async pendingByEpoch(): Promise<{ epoch: string; pending: number }[]> {
    this.check();
    const counts = new Map<string, number>();
    for (const c of this.coins.values()) if (c.status === 'pending') counts.set(c.epoch, (counts.get(c.epoch) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([epoch, pending]) => ({ epoch, pending }));
  }

  async paywordChain(chainId: string): Promise<StoredChain | undefined> {
    this.check();
    return this.pw.chain(chainId);
  }

  async recordPaywordPayment(payment: NewPaywordPayment): Promise<PaywordOutcome> {
    this.check();
    return this.pw.record(payment, (r) => this.refusals.push(r));
  }

  async findPaywordReplay(query: PaywordReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined> {
    this.check();
    return this.pw.findReplay(query);
  }

  async unrecordPaywordPayment(paymentId: string): Promise<boolean> {
    this.check();
    return this.pw.unrecord(paymentId);
  }

  async unclearedChains(): Promise<UnclearedChain[]> {
    this.check();
    return this.pw.uncleared();
  }

  async loadKey(name: string): Promise<string | undefined> {
    this.check();
    return this.pw.loadKey(name);
  }

  async saveKey(name: string, value: string): Promise<string> {
    this.check();
    return this.pw.saveKey(name, value);
  }

  async recordPayment(payment: NewPayment): Promise<PaymentOutcome> {
    this.check();
    const known = this.knownCoins(
      payment.epoch,
      payment.coins.map((c) => c.id),
    );
    const verdict = classifyPayment(payment, known);
    if (verdict.status === 'replay') {
      this.payments.get(verdict.paymentId)!.replayed = true;
      return verdict;
    }
    if (verdict.status === 'already-spent') {
      await this.recordRefusal(doubleSpendRefusal(payment, verdict.coinIds));
      return verdict;
    }
    if (this.payments.has(payment.id)) throw new Error(`payment ${payment.id} exists`);
    const { coins, ...rest } = payment;
    this.payments.set(payment.id, { ...rest, coinCount: coins.length });
    for (const c of coins)
      this.coins.set(`${payment.epoch} ${c.id}`, {
        epoch: payment.epoch,
        coinId: c.id,
        coin: c.coin.slice(),
        userId: payment.userId,
        url: payment.url,
        paymentId: payment.id,
        paidAt: payment.paidAt,
        status: 'pending',
      });
    return { status: 'recorded', paymentId: payment.id };
  }

  async recordRefusal(refusal: Refusal): Promise<void> {
    this.check();
    this.refusals.push({ ...refusal, coinIds: [...refusal.coinIds] });
  }

  async unredeemed(limit: number): Promise<RedemptionBatch | null> {
    this.check();
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    const toCoin = (c: MemCoin) => ({ epoch: c.epoch, coinId: c.coinId, userId: c.userId, coin: c.coin, url: c.url, paidAt: c.paidAt });
    for (const b of this.batches.values()) {
      if (b.answeredAt) continue;
      const coins = [...this.coins.values()].filter((c) => c.batchId === b.id && c.status === 'pending');
      const chains = this.pw.inBatch(b.id);
      if (coins.length || chains.length) return { batchId: b.id, createdAt: b.sentAt, retry: true, coins: coins.map(toCoin), chains };
      b.answeredAt = new Date().toISOString();
      b.error = 'empty';
    }
    const pending = [...this.coins.values()].filter((c) => c.status === 'pending' && !c.batchId).slice(0, limit);
    const due = this.pw.due(limit);
    if (!pending.length && !due.length) return null;
    const batch: MemBatch = { id: newBatchId(), sentAt: new Date().toISOString() };
    this.batches.set(batch.id, batch);
    for (const c of pending) c.batchId = batch.id;
    this.pw.assign(batch.id, due);
    return { batchId: batch.id, createdAt: batch.sentAt, retry: false, coins: pending.map(toCoin), chains: this.pw.inBatch(batch.id) };
  }

  async markRedeemed(result: BatchResult): Promise<void> {
    this.check();
    const batch = this.batches.get(result.batchId);
    if (!batch) throw new RangeError(`no redemption batch ${result.batchId}`);
    const inBatch = [...this.coins.values()].filter((c) => c.batchId === result.batchId && c.status === 'pending');
    if ('response' in result) {
      const byId = new Map(result.response.results.map((r) => [r.coinId, r]));
      for (const c of inBatch) {
        const r = byId.get(c.coinId);
        if (!r) continue;
        c.status = r.status;
        if (r.status === 'refused') c.reason = r.reason ?? 'refused';
      }
      batch.response = JSON.stringify(result.response);
      this.pw.closeBatch(batch.id, result.response.chains);
    } else {
      batch.error = result.failed;
      this.pw.closeBatch(batch.id);
    }
    for (const c of inBatch) if (c.status === 'pending') delete c.batchId;
    batch.answeredAt = result.answeredAt;
  }

  async payment(id: string): Promise<StoredPayment | undefined> {
    this.check();
    const found = this.payments.get(id);
    if (!found) return undefined;
    const { coinCount: _count, replayed: _replayed, ...p } = found;
    const coins = [...this.coins.values()]
      .filter((c) => c.paymentId === id)
      .map((c) => ({
        id: c.coinId,
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.batchId ? { batchId: c.batchId } : {}),
      }));
    return { ...p, coins };
  }

  async stats(): Promise<VendorStats> {
    this.check();
    const coins = [...this.coins.values()];
    const batches = [...this.batches.values()];
    return {
      payments: this.payments.size,
      coins: coins.length,
      pending: coins.filter((c) => c.status === 'pending').length,
      inOpenBatch: coins.filter((c) => c.status === 'pending' && c.batchId).length,
      credited: coins.filter((c) => c.status === 'credited').length,
      refused: coins.filter((c) => c.status === 'refused').length,
      refusals: this.refusals.length,
      batches: batches.length,
      openBatches: batches.filter((b) => !b.answeredAt).length,
      ...this.pw.counts(),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
