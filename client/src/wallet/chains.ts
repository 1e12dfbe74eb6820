/**
 * The wallet's PayWord chains (docs/protocol.md 12.7) in SQLite: what they hold, and the steps of
 * opening one: recorded (`opening`) before the broker is asked, `open` once its authorization
 * verified, dropped when the broker refused it (it held nothing). Which chain pays a vendor, and
 * what a chain holds, are the wallets' shared rules (`usableChain`, `chainHeldMills` of `@micromint/shared`).
 * @module
 */
import { chainHeldMills, fromBase64, toBase64, type ChainStatus, type WalletChain } from '@micromint/shared';
import { immediate, type WalletDb } from './db.ts';
import { addHistory } from './history.ts';

/** A chain the wallet made: the shared record (`WalletChain`), stored as one row of `chains`. */
export type ChainRecord = WalletChain;

interface ChainRow {
  id: string;
  broker: string;
  user_id: string;
  vendor_id: string;
  vendor_key: string;
  value: number;
  length: number;
  expires_at: number;
  salt: Buffer;
  checkpoints: string;
  mac_key: Buffer;
  commitment: Buffer;
  request: Buffer;
  authorization: Buffer | null;
  next: number;
  status: ChainStatus;
  sent_commitment: number;
  error: string | null;
  created_at: number;
  updated_at: number;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

function fromRow(r: ChainRow): ChainRecord {
  return {
    id: r.id,
    broker: r.broker,
    userId: r.user_id,
    vendorId: r.vendor_id,
    vendorKey: r.vendor_key,
    value: r.value,
    length: r.length,
    expiresAt: r.expires_at,
    salt: bytes(r.salt),
    checkpoints: (JSON.parse(r.checkpoints) as { index: number; link: string }[]).map((c) => ({
      index: c.index,
      link: fromBase64(c.link),
    })),
    macKey: bytes(r.mac_key),
    commitment: bytes(r.commitment),
    request: bytes(r.request),
    ...(r.authorization ? { authorization: bytes(r.authorization) } : {}),
    next: r.next,
    status: r.status,
    sentCommitment: r.sent_commitment === 1,
    ...(r.error !== null ? { error: r.error } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The chains made out to `vendorId`. */
export const chainsOfVendor = (db: WalletDb, vendorId: string): ChainRecord[] =>
  (db.prepare('SELECT * FROM chains WHERE vendor_id = ? ORDER BY created_at').all(vendorId) as ChainRow[]).map(fromRow);

/** Every chain. */
export const allChains = (db: WalletDb): ChainRecord[] =>
  (db.prepare('SELECT * FROM chains ORDER BY created_at').all() as ChainRow[]).map(fromRow);

/** A chain by id. */
export const chainById = (db: WalletDb, id: string): ChainRecord | undefined => {
  const row = db.prepare('SELECT * FROM chains WHERE id = ?').get(id) as ChainRow | undefined;
  return row ? fromRow(row) : undefined;
};

/** Mills held across the chains open or being opened. */
export const heldMillsAcrossChains = (db: WalletDb, now: number): number =>
  (db.prepare(`SELECT * FROM chains WHERE status IN ('open', 'opening')`).all() as ChainRow[])
    .map(fromRow)
    .reduce((n, c) => n + chainHeldMills(c, now), 0);

/** Records a new chain as `opening`, before its request goes to the broker. */
export function addOpeningChain(db: WalletDb, c: ChainRecord): void {
  if (c.status !== 'opening' || c.next !== 1) throw new RangeError('a new chain is recorded as opening, at index 1');
  db.prepare(
    `INSERT INTO chains (id, broker, user_id, vendor_id, vendor_key, value, length, expires_at, salt, checkpoints, mac_key, commitment,
       request, next, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'opening', ?, ?)`,
  ).run(
    c.id,
    c.broker,
    c.userId,
    c.vendorId,
    c.vendorKey,
    c.value,
    c.length,
    c.expiresAt,
    c.salt,
    JSON.stringify(c.checkpoints.map((k) => ({ index: k.index, link: toBase64(k.link) }))),
    c.macKey,
    c.commitment,
    c.request,
    c.createdAt,
    c.updatedAt,
  );
}

/** The broker authorized an `opening` chain: it is `open`, the authorization kept. */
export function markChainOpen(db: WalletDb, id: string, authorization: Uint8Array, now: number): ChainRecord | undefined {
  return immediate(db, () => {
    const c = chainById(db, id);
    if (c?.status !== 'opening') return c;
    db.prepare(`UPDATE chains SET status = 'open', authorization = ?, updated_at = ? WHERE id = ?`).run(authorization, now, id);
    addHistory(db, {
      at: now,
      kind: 'chain-open',
      mills: 0,
      detail: `chain ${id.slice(0, 12)}… for ${c.vendorId}: ${c.length} links of ${c.value} mills held at ${c.broker}`,
      ref: id,
    });
    return chainById(db, id);
  });
}

/** The broker refused an `opening` chain (a 4xx: nothing was held): it is deleted, none of its links was ever revealed. */
export const dropOpeningChain = (db: WalletDb, id: string): boolean =>
  immediate(db, () => db.prepare(`DELETE FROM chains WHERE id = ? AND status = 'opening'`).run(id).changes === 1);

/** Sets a chain's status (inside the caller's transaction), with a history entry when it changes. */
export function setChainStatusTx(db: WalletDb, c: ChainRecord, status: ChainStatus, error: string | undefined, now: number): void {
  if (c.status === status) return;
  db.prepare('UPDATE chains SET status = ?, error = ?, updated_at = ? WHERE id = ?').run(status, error ?? null, now, c.id);
  addHistory(db, {
    at: now,
    kind: 'chain-closed',
    mills: 0,
    detail: `chain ${c.id.slice(0, 12)}… for ${c.vendorId} ${status}${error ? ` (${error})` : ''}`,
    ref: c.id,
  });
}

/** Closes a chain for good; its links not revealed are never used. */
export const closeChain = (db: WalletDb, id: string, reason: string, now: number): void =>
  immediate(db, () => {
    const c = chainById(db, id);
    if (c && c.status !== 'closed') setChainStatusTx(db, c, 'closed', reason, now);
  });
