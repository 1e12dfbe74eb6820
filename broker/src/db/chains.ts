/**
 * PayWord chains as the broker keeps them: each authorized commitment with its hold, the highest index a
 * vendor cleared (c) and its link w_c, and whether the unspent hold was released; and the clearings that
 * paid a vendor.
 * @module
 */
import type { Db } from './open.ts';

/** A chain's state: its hold is `held` until the sweep gives the unspent part back, once (`released`). */
export type ChainStatus = 'held' | 'released';

/** An authorized chain. Times in whole Unix seconds are the commitment's; ISO 8601 strings the broker's. */
export interface ChainRecord {
  /** The chain id: 32 lower-case hex characters. */
  id: string;
  commitment: Uint8Array;
  userId: string;
  vendorId: string;
  /** n. */
  links: number;
  /** Mills per link. */
  valueMills: number;
  /** Unix seconds: no link is accepted after it. */
  expiresAt: number;
  /** Unix seconds: expiresAt + the grace pinned at authorization; clearing closes after it. */
  clearBy: number;
  /** links * valueMills, taken from the user's balance at authorization. */
  heldMills: number;
  authorization: Uint8Array;
  /** The wallet key that signed the request. */
  walletKey: Uint8Array;
  /** c: the highest index cleared so far (0 at first). */
  clearedIndex: number;
  /** w_c (the root w_0 at first). */
  clearedLink: Uint8Array;
  status: ChainStatus;
  /** (links - c) * valueMills given back at release; null while held. */
  releasedMills: number | null;
  createdAt: string;
  releasedAt: string | null;
}

/** A clearing that paid a vendor: the chain went from index `fromIndex` to `toIndex`. */
export interface ClearingRecord {
  chainId: string;
  vendorId: string;
  userId: string;
  batchId: string;
  fromIndex: number;
  toIndex: number;
  paidMills: number;
  createdAt: string;
}

/** A row of `payword_chains` as both databases give it. */
export interface ChainRow {
  id: string;
  commitment: Buffer;
  user_id: string;
  vendor_id: string;
  links: number;
  value_mills: number;
  expires_at: number;
  clear_by: number;
  held_mills: number;
  authorization: Buffer;
  wallet_key: Buffer;
  cleared_index: number;
  cleared_link: Buffer;
  status: ChainStatus;
  released_mills: number | null;
  created_at: string;
  released_at: string | null;
}

/** A chain row as a {@link ChainRecord} (its blobs as plain Uint8Arrays). */
export const toChain = (r: ChainRow): ChainRecord => ({
  id: r.id,
  commitment: new Uint8Array(r.commitment),
  userId: r.user_id,
  vendorId: r.vendor_id,
  links: r.links,
  valueMills: r.value_mills,
  expiresAt: r.expires_at,
  clearBy: r.clear_by,
  heldMills: r.held_mills,
  authorization: new Uint8Array(r.authorization),
  walletKey: new Uint8Array(r.wallet_key),
  clearedIndex: r.cleared_index,
  clearedLink: new Uint8Array(r.cleared_link),
  status: r.status,
  releasedMills: r.released_mills,
  createdAt: r.created_at,
  releasedAt: r.released_at,
});

/** What a vendor was paid through chains. */
export interface VendorChainTotals {
  /** Chains of which the vendor cleared at least one link. */
  chains: number;
  /** Links cleared, over all its chains. */
  links: number;
  mills: number;
}

/** SQL for chains and clearings. */
export function chainsRepo(db: Db) {
  const q = {
    insert: db.prepare(
      `INSERT INTO payword_chains (id, commitment, user_id, vendor_id, links, value_mills, expires_at, clear_by, held_mills,
                                   authorization, wallet_key, cleared_index, cleared_link, created_at)
       VALUES (@id, @commitment, @userId, @vendorId, @links, @valueMills, @expiresAt, @clearBy, @heldMills,
               @authorization, @walletKey, 0, @clearedLink, @createdAt)`,
    ),
    byId: db.prepare<[string], ChainRow>('SELECT * FROM payword_chains WHERE id = ?'),
    setCleared: db.prepare(
      "UPDATE payword_chains SET cleared_index = ?, cleared_link = ? WHERE id = ? AND status = 'held' AND cleared_index < ?",
    ),
    due: db.prepare<[number, number], ChainRow>(
      "SELECT * FROM payword_chains WHERE status = 'held' AND clear_by < ? ORDER BY clear_by LIMIT ?",
    ),
    dueOfUser: db.prepare<[string, number, number], ChainRow>(
      "SELECT * FROM payword_chains WHERE user_id = ? AND status = 'held' AND clear_by < ? ORDER BY clear_by LIMIT ?",
    ),
    release: db.prepare(
      "UPDATE payword_chains SET status = 'released', released_mills = ?, released_at = ? WHERE id = ? AND status = 'held'",
    ),
    ofUser: db.prepare<[string, number], ChainRow>(
      'SELECT * FROM payword_chains WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
    ),
    countHeldOfUser: db.prepare<[string], number>("SELECT count(*) FROM payword_chains WHERE user_id = ? AND status = 'held'").pluck(),
    vendorTotals: db.prepare<[string], VendorChainTotals>(
      `SELECT count(*) AS chains, coalesce(sum(cleared_index), 0) AS links, coalesce(sum(cleared_index * value_mills), 0) AS mills
         FROM payword_chains WHERE vendor_id = ? AND cleared_index > 0`,
    ),
    insertClearing: db.prepare(
      `INSERT INTO payword_clearings (chain_id, vendor_id, user_id, batch_id, from_index, to_index, paid_mills, created_at)
       VALUES (@chainId, @vendorId, @userId, @batchId, @fromIndex, @toIndex, @paidMills, @createdAt)`,
    ),
    recentClearings: db.prepare<[string, number], ClearingRecord>(
      `SELECT chain_id AS chainId, vendor_id AS vendorId, user_id AS userId, batch_id AS batchId, from_index AS fromIndex,
              to_index AS toIndex, paid_mills AS paidMills, created_at AS createdAt
         FROM payword_clearings WHERE vendor_id = ? ORDER BY id DESC LIMIT ?`,
    ),
  };
  return {
    insert(c: Omit<ChainRecord, 'clearedIndex' | 'status' | 'releasedMills' | 'releasedAt'>): void {
      q.insert.run({
        ...c,
        commitment: Buffer.from(c.commitment),
        authorization: Buffer.from(c.authorization),
        walletKey: Buffer.from(c.walletKey),
        clearedLink: Buffer.from(c.clearedLink),
      });
    },
    byId: (id: string): ChainRecord | undefined => {
      const r = q.byId.get(id);
      return r && toChain(r);
    },
    /** Moves c up to `index` with its link; false when the chain is released or c is not below `index`. */
    setCleared: (id: string, index: number, link: Uint8Array): boolean =>
      q.setCleared.run(index, Buffer.from(link), id, index).changes === 1,
    /** Held chains whose clearing closed before `nowSeconds`, oldest first; of one user when `userId` is given. */
    due: (nowSeconds: number, limit: number, userId?: string): ChainRecord[] =>
      (userId === undefined ? q.due.all(nowSeconds, limit) : q.dueOfUser.all(userId, nowSeconds, limit)).map(toChain),
    /** Marks a held chain released; false when it was released already. */
    release: (id: string, releasedMills: number, at: string): boolean => q.release.run(releasedMills, at, id).changes === 1,
    ofUser: (userId: string, limit = 50): ChainRecord[] => q.ofUser.all(userId, limit).map(toChain),
    countHeldOfUser: (userId: string): number => q.countHeldOfUser.get(userId) ?? 0,
    vendorTotals: (vendorId: string): VendorChainTotals => q.vendorTotals.get(vendorId) ?? { chains: 0, links: 0, mills: 0 },
    insertClearing(c: ClearingRecord): void {
      q.insertClearing.run(c);
    },
    recentClearings: (vendorId: string, limit = 20): ClearingRecord[] => q.recentClearings.all(vendorId, limit),
  };
}

/** The chains repository. */
export type ChainsRepo = ReturnType<typeof chainsRepo>;
