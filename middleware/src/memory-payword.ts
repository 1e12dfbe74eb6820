/**
 * The payword half of `MemoryVendorStore`: the same rule as the SQLite store's
 * (`classifyPayword`, `releaseRange`), on maps. Every method runs to completion without
 * awaiting, so each is one transaction.
 * @module
 */
import { classifyPayword, isRetryOf, releaseRange, type ChainLedger, type RecordedRange } from './payword-ledger.ts';
import {
  paywordRefusal,
  type BrokerChainResult,
  type NewPaywordPayment,
  type PaywordOutcome,
  type PaywordReplayQuery,
  type RedeemChain,
  type StoredChain,
  type UnclearedChain,
} from './payword-store.ts';
import type { Refusal } from './store.ts';

interface MemChain extends Omit<StoredChain, 'refused'> {
  salt: Uint8Array;
  ledger: ChainLedger;
  refused?: { index: number; reason: string };
  batch?: { id: string; index: number; link: Uint8Array };
  /** Recorded payments by the index their range ends at. */
  payments: Map<number, RecordedRange & { replayed?: boolean }>;
}

/** Chains, payments and keys in memory. */
export class MemoryPayword {
  private readonly chains = new Map<string, MemChain>();
  /** Payment id -> chain id. */
  private readonly paymentChains = new Map<string, string>();
  private readonly keys = new Map<string, string>();

  chain(chainId: string): StoredChain | undefined {
    const c = this.chains.get(chainId);
    if (!c) return undefined;
    const { salt: _s, ledger: _l, batch: _b, payments: _p, refused, ...rest } = c;
    return { ...rest, commitment: c.commitment.slice(), ...(refused ? { refused: { ...refused } } : {}) };
  }

  record(p: NewPaywordPayment, refuse: (r: Refusal) => void): PaywordOutcome {
    const known = this.chains.get(p.chain.chainId);
    const ledger: ChainLedger = known?.ledger ?? { highestIndex: 0, highestLink: p.chain.root.slice(), gaps: [] };
    const first = p.index - p.units + 1;
    const claim = { first, last: p.index, link: p.link, method: p.method, url: p.url, mac: p.mac };
    const verdict = classifyPayword(ledger, p.chain.salt, claim, known?.payments.get(p.index));
    if (verdict.status === 'replay') {
      known!.payments.get(p.index)!.replayed = true;
      return { ...verdict, highestIndex: ledger.highestIndex };
    }
    if (verdict.status === 'refused') {
      refuse(paywordRefusal(p, verdict.reason));
      return { ...verdict, highestIndex: ledger.highestIndex };
    }
    if (this.paymentChains.has(p.id)) throw new Error(`payment ${p.id} exists`);
    const c = p.chain;
    const chain: MemChain = known ?? {
      chainId: c.chainId,
      commitment: c.commitment.slice(),
      length: c.length,
      value: c.value,
      expiresAt: c.expiresAt,
      highestIndex: 0,
      clearedIndex: 0,
      paidUnits: 0,
      paidMills: 0,
      salt: c.salt.slice(),
      ledger,
      payments: new Map(),
    };
    chain.ledger = verdict.ledger;
    chain.highestIndex = verdict.ledger.highestIndex;
    chain.payments.set(p.index, { paymentId: p.id, first, method: p.method, url: p.url, mac: p.mac.slice(), paidAt: p.paidAt });
    this.chains.set(c.chainId, chain);
    this.paymentChains.set(p.id, c.chainId);
    return { status: 'recorded', paymentId: p.id, highestIndex: chain.highestIndex };
  }

  findReplay(q: PaywordReplayQuery): { paymentId: string; paidAt: string } | undefined {
    const prior = this.chains.get(q.chainId)?.payments.get(q.index);
    if (!prior || !isRetryOf(prior, { ...q, first: q.index - q.units + 1 })) return undefined;
    prior.replayed = true;
    return { paymentId: prior.paymentId, paidAt: prior.paidAt };
  }

  unrecord(paymentId: string): boolean {
    const chain = this.chains.get(this.paymentChains.get(paymentId) ?? '');
    const entry = chain && [...chain.payments].find(([, r]) => r.paymentId === paymentId);
    if (!chain || !entry || entry[1].replayed) return false;
    const floor = Math.max(chain.clearedIndex, chain.batch?.index ?? 0);
    const next = releaseRange(chain.ledger, chain.salt, [entry[1].first, entry[0]], floor);
    if (!next) return false;
    chain.ledger = next;
    chain.highestIndex = next.highestIndex;
    chain.payments.delete(entry[0]);
    this.paymentChains.delete(paymentId);
    return true;
  }

  /** Up to `limit` chains due for clearing. */
  due(limit: number): string[] {
    const out: string[] = [];
    for (const c of this.chains.values()) {
      if (out.length >= limit) break;
      if (!c.batch && c.highestIndex > c.clearedIndex && c.highestIndex > (c.refused?.index ?? 0)) out.push(c.chainId);
    }
    return out;
  }

  assign(batchId: string, chainIds: readonly string[]): void {
    for (const id of chainIds) {
      const c = this.chains.get(id)!;
      c.batch = { id: batchId, index: c.ledger.highestIndex, link: c.ledger.highestLink.slice() };
    }
  }

  inBatch(batchId: string): RedeemChain[] {
    return [...this.chains.values()]
      .filter((c) => c.batch?.id === batchId)
      .map((c) => ({ chainId: c.chainId, commitment: c.commitment, index: c.batch!.index, link: c.batch!.link }));
  }

  closeBatch(batchId: string, results: readonly BrokerChainResult[] = []): void {
    for (const r of results) {
      const c = this.chains.get(r.chainId);
      if (!c || c.batch?.id !== batchId) continue;
      c.clearedIndex = Math.max(c.clearedIndex, r.clearedIndex);
      if (r.status === 'cleared') {
        c.paidUnits += r.paidUnits;
        c.paidMills += r.paidMills;
      } else c.refused = { index: c.batch.index, reason: r.reason ?? 'refused' };
    }
    for (const c of this.chains.values()) if (c.batch?.id === batchId) delete c.batch;
  }

  uncleared(): UnclearedChain[] {
    return [...this.chains.values()]
      .filter((c) => c.highestIndex > c.clearedIndex)
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .map((c) => ({
        chainId: c.chainId,
        expiresAt: c.expiresAt,
        highestIndex: c.highestIndex,
        clearedIndex: c.clearedIndex,
        value: c.value,
      }));
  }

  loadKey(name: string): string | undefined {
    return this.keys.get(name);
  }

  saveKey(name: string, value: string): string {
    if (!this.keys.has(name)) this.keys.set(name, value);
    return this.keys.get(name)!;
  }

  counts(): { chains: number; chainPayments: number; chainsToClear: number } {
    const chains = [...this.chains.values()];
    return {
      chains: chains.length,
      chainPayments: this.paymentChains.size,
      chainsToClear: chains.filter((c) => c.highestIndex > c.clearedIndex).length,
    };
  }
}
