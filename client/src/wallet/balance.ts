/**
 * What the wallet holds, in mills: coins it can still spend, coins locked in payments whose answer
 * has not come, and links of open chains (held for their vendors at the broker).
 * @module
 */
import { chainHeldMills, epochFromJson, isExpired, linksLeft, statusAt } from '@micromint/shared';
import { allChains } from './chains.ts';
import type { WalletDb } from './db.ts';

/** The wallet's balance, in mills (1 coin = 1 mill = $0.001). */
export interface Balance {
  /** Unspent coins of epochs not expired. */
  coins: number;
  /** Coins in payments still pending (spent until the vendor answers). */
  pending: number;
  /** Links not revealed of open chains. */
  chains: number;
  /** coins + chains: what the wallet can still pay with. */
  total: number;
  /** Per epoch: unspent coins and when the epoch expires. */
  epochs: { id: string; broker: string; coins: number; expiresAt: string; expired: boolean }[];
  /** Open chains: vendor, links left and their value. */
  openChains: { id: string; vendorId: string; linksLeft: number; value: number; mills: number; expiresAt: number }[];
}

/**
 * The balance at `now`.
 * @example
 * const { total } = walletBalance(db, Date.now());
 */
export function walletBalance(db: WalletDb, now: number): Balance {
  const epochs = (
    db.prepare('SELECT id, params, broker FROM epochs ORDER BY added_at').all() as { id: string; params: string; broker: string }[]
  ).map((e) => {
    const params = epochFromJson(JSON.parse(e.params));
    const { n } = db
      .prepare(`SELECT count(*) AS n FROM balls WHERE epoch = ? AND role = 0 AND state = 'unspent' AND flag IS NULL`)
      .get(e.id) as { n: number };
    return { id: e.id, broker: e.broker, coins: n, expiresAt: params.expiresAt, expired: isExpired(params, now) };
  });
  const { pending } = db
    .prepare(`SELECT coalesce(sum(spent), 0) AS pending FROM payments WHERE state = 'pending' AND scheme = 'micromint'`)
    .get() as {
    pending: number;
  };
  const openChains = allChains(db)
    .filter((c) => statusAt(c, now) === 'open')
    .map((c) => ({
      id: c.id,
      vendorId: c.vendorId,
      linksLeft: linksLeft(c),
      value: c.value,
      mills: chainHeldMills(c, now),
      expiresAt: c.expiresAt,
    }));
  const coins = epochs.filter((e) => !e.expired).reduce((n, e) => n + e.coins, 0);
  const chains = openChains.reduce((n, c) => n + c.mills, 0);
  return { coins, pending, chains, total: coins + chains, epochs, openChains };
}
