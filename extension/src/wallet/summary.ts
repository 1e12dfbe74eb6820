/**
 * The wallet at a glance (the thesis's printwallet): balance, epochs, sets, recent payments.
 * @module
 */
import { isExpired, epochFromJson } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import { recentPayments } from './settle.ts';
import type { HistoryRecord, PaymentState } from './schema.ts';

/** One epoch the wallet holds sets of. */
export interface EpochSummary {
  id: string;
  broker: string;
  expiresAt: string;
  expired: boolean;
  params: { t: number; u: number; v: number; k: number };
  /** Spendable coins of this epoch (0 once expired). */
  balance: number;
}

/** One set and what is left of its first superbin. */
export interface SetSummary {
  id: string;
  epoch: string;
  superbins: number[];
  /** Balls in the first superbin: the most coins the set can pay. */
  total: number;
  unspent: number;
  spent: number;
  returned: number;
  expired: boolean;
}

/** A payment as the popup lists it. */
export interface PaymentSummary {
  id: string;
  url: string;
  vendorId: string;
  price: number;
  state: PaymentState;
  error?: string;
  createdAt: number;
}

/** Everything the popup shows. */
export interface WalletSummary {
  userId: string | null;
  /** Spendable coins of epochs that have not expired. */
  balance: number;
  epochs: EpochSummary[];
  sets: SetSummary[];
  payments: PaymentSummary[];
  history: HistoryRecord[];
}

/**
 * Balance: unspent, unflagged first-superbin balls of epochs that have not expired.
 * @example
 * const coins = await balance(db); // 1 coin = $0.001
 */
export async function balance(db: WalletDb, now = Date.now()): Promise<number> {
  let total = 0;
  for (const e of await db.getAll('epochs')) {
    if (isExpired(epochFromJson(e.params), now)) continue;
    const balls = await db.getAllFromIndex('balls', 'by-epoch-role-state', [e.id, 0, 'unspent']);
    total += balls.filter((b) => !b.flag).length;
  }
  return total;
}

/** Reads the whole summary in one pass over the stores. */
export async function walletSummary(db: WalletDb, now = Date.now(), paymentLimit = 20): Promise<WalletSummary> {
  const epochs: EpochSummary[] = [];
  const expired = new Set<string>();
  for (const e of await db.getAll('epochs')) {
    const params = epochFromJson(e.params);
    const gone = isExpired(params, now);
    if (gone) expired.add(e.id);
    epochs.push({ id: e.id, broker: e.broker, expiresAt: params.expiresAt, expired: gone, params: { t: params.t, u: params.u, v: params.v, k: params.k }, balance: 0 });
  }
  const sets: SetSummary[] = [];
  for (const s of await db.getAll('sets')) {
    const first = (await db.getAllFromIndex('balls', 'by-set', s.id)).filter((b) => b.role === 0);
    const count = (pred: (b: (typeof first)[number]) => boolean) => first.filter(pred).length;
    const unspent = count((b) => b.state === 'unspent' && !b.flag);
    sets.push({
      id: s.id,
      epoch: s.epoch,
      superbins: s.superbins,
      total: first.length,
      unspent,
      spent: count((b) => b.state === 'spent'),
      returned: count((b) => b.state === 'returned'),
      expired: expired.has(s.epoch),
    });
    const epoch = epochs.find((e) => e.id === s.epoch);
    if (epoch && !epoch.expired) epoch.balance += unspent;
  }
  epochs.sort((a, b) => Date.parse(b.expiresAt) - Date.parse(a.expiresAt));
  const payments = (await recentPayments(db, paymentLimit)).map((p) => ({
    id: p.id,
    url: p.url,
    vendorId: p.vendorId,
    price: p.price,
    state: p.state,
    ...(p.error ? { error: p.error } : {}),
    createdAt: p.createdAt,
  }));
  const history: HistoryRecord[] = [];
  let cursor = await db.transaction('history').store.index('by-at').openCursor(null, 'prev');
  while (cursor && history.length < 20) {
    history.push(cursor.value);
    cursor = await cursor.continue();
  }
  return {
    userId: (await db.get('meta', 'userId'))?.value ?? null,
    balance: epochs.reduce((n, e) => n + e.balance, 0),
    epochs,
    sets,
    payments,
    history,
  };
}
