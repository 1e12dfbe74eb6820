/**
 * The wallet at a glance (the thesis's printwallet): balance, epochs, sets, chains, recent
 * payments. Money is in mills throughout (1 coin = 1 mill = $0.001), so coins and links add up.
 * @module
 */
import { isExpired, epochFromJson } from '@micromint/shared';
import { allBrokers } from './brokers.ts';
import { allChains, chainHeldMills, linksLeft, statusAt } from './chains.ts';
import type { WalletDb } from './db.ts';
import { recentPayments } from './settle.ts';
import type { ChainRecord, ChainStatus, HistoryRecord, PaymentState } from './schema.ts';

/** One epoch the wallet holds sets of. */
export interface EpochSummary {
  id: string;
  broker: string;
  expiresAt: string;
  expired: boolean;
  params: { t: number; u: number; v: number; k: number };
  /** Spendable coins of this epoch (0 once expired). */
  balance: number;
  /** From when the broker takes returns of the epoch (ISO 8601), once it said so. */
  returnsFrom?: string;
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
  /** `micromint` or `payword`. */
  scheme: string;
  /** Mills (micromint: coins). */
  price: number;
  state: PaymentState;
  error?: string;
  createdAt: number;
}

/** An open chain as the popup shows it. */
export interface ChainSummary {
  chainId: string;
  vendorId: string;
  broker: string;
  linksLeft: number;
  /** Mills per link. */
  value: number;
  /** linksLeft * value: what the chain can still pay. */
  heldMills: number;
  /** When the chain stops paying (ISO 8601); the broker gives the rest back after its clearing grace. */
  expiresAt: string;
}

/** A chain of any status, as the options page lists a site's chains. */
export interface ChainListing extends ChainSummary {
  status: ChainStatus;
  length: number;
  /** Links revealed so far (paid, or burned by a refusal). */
  used: number;
  /** The vendor was seen to know the chain (a payment carrying its commitment was paid). */
  sentCommitment: boolean;
  /** Why it was closed, when it was. */
  error?: string;
  createdAt: number;
}

/** Whether the wallet may open chains at a broker. */
export interface ConnectionSummary {
  broker: string;
  userId: string | null;
  /** The broker's account page listed this wallet's key. */
  connected: boolean;
}

/** Everything the popup shows. */
export interface WalletSummary {
  userId: string | null;
  /** Spendable coins of epochs that have not expired (= their mills). */
  balance: number;
  /** The same, named in mills beside the chains. */
  coinsMills: number;
  /** Open chains, soonest to expire first. */
  chains: ChainSummary[];
  /** What the open chains can still pay, in mills. */
  chainsMills: number;
  /** coinsMills + chainsMills. */
  totalMills: number;
  connections: ConnectionSummary[];
  epochs: EpochSummary[];
  sets: SetSummary[];
  payments: PaymentSummary[];
  history: HistoryRecord[];
}

/** A chain without its secrets, as the pages see it. */
export function chainListing(c: ChainRecord, now = Date.now()): ChainListing {
  const status = statusAt(c, now);
  return {
    chainId: c.id,
    vendorId: c.vendorId,
    broker: c.broker,
    linksLeft: status === 'open' ? linksLeft(c) : 0,
    value: c.value,
    heldMills: status === 'open' ? chainHeldMills(c, now) : 0,
    expiresAt: new Date(c.expiresAt * 1000).toISOString(),
    status,
    length: c.length,
    used: c.next - 1,
    sentCommitment: c.sentCommitment,
    ...(c.error ? { error: c.error } : {}),
    createdAt: c.createdAt,
  };
}

/**
 * The chains, newest first, of one site (`vendorId`) or all: what the options page lists.
 * @example
 * const chains = await listChains(db, 'https://news.example');
 */
export async function listChains(db: WalletDb, vendorId?: string, now = Date.now()): Promise<ChainListing[]> {
  const chains = vendorId === undefined ? await allChains(db) : await db.getAllFromIndex('chains', 'by-vendor', vendorId);
  return chains.map((c) => chainListing(c, now)).sort((a, b) => b.createdAt - a.createdAt);
}

/** The open chains, soonest to expire first. */
async function openChains(db: WalletDb, now: number): Promise<ChainSummary[]> {
  return (await db.getAllFromIndex('chains', 'by-status', 'open'))
    .filter((c) => statusAt(c, now) === 'open')
    .sort((a, b) => a.expiresAt - b.expiresAt)
    .map((c) => {
      const { status: _s, length: _l, used: _u, sentCommitment: _c, error: _e, createdAt: _t, ...summary } = chainListing(c, now);
      return summary;
    });
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
    epochs.push({
      id: e.id,
      broker: e.broker,
      expiresAt: params.expiresAt,
      expired: gone,
      params: { t: params.t, u: params.u, v: params.v, k: params.k },
      balance: 0,
      ...(e.returnsFrom ? { returnsFrom: e.returnsFrom } : {}),
    });
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
    scheme: p.scheme,
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
  const coins = epochs.reduce((n, e) => n + e.balance, 0);
  const chains = await openChains(db, now);
  const chainsMills = chains.reduce((n, c) => n + c.heldMills, 0);
  return {
    userId: (await db.get('meta', 'userId'))?.value ?? null,
    balance: coins,
    coinsMills: coins,
    chains,
    chainsMills,
    totalMills: coins + chainsMills,
    connections: (await allBrokers(db)).map((b) => ({ broker: b.broker, userId: b.userId ?? null, connected: b.connected })),
    epochs,
    sets,
    payments,
    history,
  };
}
