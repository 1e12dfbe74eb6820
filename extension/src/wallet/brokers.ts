/**
 * What the wallet knows of each broker for chains: the account it pays from and whether the
 * broker listed this wallet's key as connected to it (from the account page's `micromint-wallet`
 * block), and the broker's chain terms (`GET /api/payword`), cached. One record per broker URL,
 * without its trailing `/` (the form the broker compares commitments in).
 * @module
 */
import type { WalletDb } from './db.ts';
import type { BrokerRecord, PaywordInfoRecord } from './schema.ts';
import { abortQuietly } from './tx.ts';

/** A broker URL as records are keyed: without trailing slashes. */
export const brokerKey = (broker: string): string => broker.replace(/\/+$/, '');

/** The record of `broker`, if the wallet knows it. */
export const brokerRecord = (db: WalletDb, broker: string): Promise<BrokerRecord | undefined> => db.get('brokers', brokerKey(broker));

/** Changes one broker's record in one transaction, creating it when absent. */
async function update(db: WalletDb, broker: string, change: (r: BrokerRecord) => BrokerRecord, now: number): Promise<BrokerRecord> {
  const tx = db.transaction('brokers', 'readwrite');
  try {
    const key = brokerKey(broker);
    const current = (await tx.store.get(key)) ?? { broker: key, connected: false, updatedAt: now };
    const next = { ...change(current), broker: key, updatedAt: now };
    await tx.store.put(next);
    await tx.done;
    return next;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/**
 * Records what the broker's account page says: the signed-in user and whether this wallet's key
 * is among the keys connected to that user. A page of another user replaces the user: chains are
 * opened for the account the page was last seen for.
 * @example
 * await recordConnection(db, { broker, userId, connected: walletKeys.includes(myKey) });
 */
export const recordConnection = (
  db: WalletDb,
  c: { broker: string; userId: string; connected: boolean },
  now = Date.now(),
): Promise<BrokerRecord> =>
  update(
    db,
    c.broker,
    (r) => {
      const { connectedAt: _was, ...rest } = r;
      return {
        ...rest,
        userId: c.userId,
        connected: c.connected,
        ...(c.connected ? { connectedAt: r.connected && r.userId === c.userId ? (r.connectedAt ?? now) : now } : {}),
      };
    },
    now,
  );

/** The broker said the key is not connected (`wallet_not_connected`): no chain is opened there until its page says otherwise. */
export const markDisconnected = (db: WalletDb, broker: string, now = Date.now()): Promise<BrokerRecord> =>
  update(db, broker, (r) => ({ ...r, connected: false }), now);

/** Keeps the broker's chain terms. */
export const cacheInfo = (db: WalletDb, broker: string, info: PaywordInfoRecord, now = Date.now()): Promise<BrokerRecord> =>
  update(db, broker, (r) => ({ ...r, info, infoAt: now }), now);

/** Forgets the broker's chain terms (they refused a chain built on them): they are fetched again. */
export const forgetInfo = (db: WalletDb, broker: string, now = Date.now()): Promise<BrokerRecord> =>
  update(
    db,
    broker,
    (r) => {
      const { info: _info, infoAt: _at, ...rest } = r;
      return rest;
    },
    now,
  );

/** Every broker record (for the summary). */
export const allBrokers = (db: WalletDb): Promise<BrokerRecord[]> => db.getAll('brokers');
