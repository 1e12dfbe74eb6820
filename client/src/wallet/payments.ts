/**
 * Payment records: what a payment is, exactly as it goes out (its `PAYMENT-SIGNATURE` value, or
 * the body it travels in), and where it stands. A pending payment is always sent again as stored,
 * never rebuilt: after a lost answer or a crash the vendor answers the same payment as paid.
 * @module
 */
import { hostname } from 'node:os';
import type { CoinRefusal } from '@micromint/shared';
import type { WalletDb } from './db.ts';

/** Where a payment stands (docs/protocol.md 9.1, Reading the answer). */
export type PaymentState = 'pending' | 'paid' | 'refused' | 'released';

export type { CoinRefusal };

/** What a `payword` payment revealed: indices index - units + 1 .. index of one chain. */
export interface LinkRange {
  chainId: string;
  index: number;
  units: number;
  /** The payload carries the commitment and its authorization. */
  withCommitment: boolean;
  /** The vendor answered `unknown-chain` once and the same payment was rewritten with the commitment. */
  resentWithCommitment: boolean;
}

/** A payment. */
export interface PaymentRecord {
  id: string;
  /** The URL requested (no fragment). */
  url: string;
  /** The method of the request it travels on, upper case (a body payment travels on POST but pays the GET). */
  method: string;
  vendorId: string;
  /** The URL's host (`name:port`): what the per-host cap counts. */
  host: string;
  broker: string;
  scheme: string;
  /** micromint: the coins' epoch; '' for payword. */
  epoch: string;
  /** What it costs, in mills. */
  price: number;
  /** Mills it still holds (price, less what the vendor gave back): what caps count. */
  spent: number;
  coinIds: string[];
  link?: LinkRange;
  /** The exact `PAYMENT-SIGNATURE` value. */
  header: string;
  /** When set, the payment goes as this POST body instead of the header (a payment too large for one). */
  body?: { contentType: string; text: string };
  state: PaymentState;
  error?: string;
  reasons: CoinRefusal[];
  transaction?: string;
  /** The vendor's `PAYMENT-RESPONSE` value, as received. */
  receipt?: string;
  attempts: number;
  createdAt: number;
  updatedAt: number;
}

interface PaymentRow {
  id: string;
  url: string;
  method: string;
  vendor_id: string;
  host: string;
  broker: string;
  scheme: string;
  epoch: string;
  price: number;
  spent: number;
  coin_ids: string;
  chain_id: string | null;
  link_index: number | null;
  link_units: number | null;
  with_commitment: number;
  resent_commitment: number;
  header: string;
  body: string | null;
  body_type: string | null;
  state: PaymentState;
  error: string | null;
  reasons: string;
  transaction_id: string | null;
  receipt: string | null;
  attempts: number;
  owner_host: string | null;
  owner_pid: number | null;
  created_at: number;
  updated_at: number;
}

/** A row as a record. */
function fromRow(r: PaymentRow): PaymentRecord {
  return {
    id: r.id,
    url: r.url,
    method: r.method,
    vendorId: r.vendor_id,
    host: r.host,
    broker: r.broker,
    scheme: r.scheme,
    epoch: r.epoch,
    price: r.price,
    spent: r.spent,
    coinIds: JSON.parse(r.coin_ids) as string[],
    ...(r.chain_id !== null
      ? {
          link: {
            chainId: r.chain_id,
            index: r.link_index!,
            units: r.link_units!,
            withCommitment: r.with_commitment === 1,
            resentWithCommitment: r.resent_commitment === 1,
          },
        }
      : {}),
    header: r.header,
    ...(r.body !== null ? { body: { contentType: r.body_type ?? 'application/octet-stream', text: r.body } } : {}),
    state: r.state,
    ...(r.error !== null ? { error: r.error } : {}),
    reasons: JSON.parse(r.reasons) as CoinRefusal[],
    ...(r.transaction_id !== null ? { transaction: r.transaction_id } : {}),
    ...(r.receipt !== null ? { receipt: r.receipt } : {}),
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Writes a new payment (inside the caller's transaction). */
export function insertPayment(db: WalletDb, p: PaymentRecord): void {
  db.prepare(
    `INSERT INTO payments (id, url, method, vendor_id, host, broker, scheme, epoch, price, spent, coin_ids, chain_id, link_index,
       link_units, with_commitment, resent_commitment, header, body, body_type, state, error, reasons, attempts, created_at, updated_at)
     VALUES (@id, @url, @method, @vendorId, @host, @broker, @scheme, @epoch, @price, @spent, @coinIds, @chainId, @index,
       @units, @withCommitment, @resent, @header, @body, @bodyType, @state, @error, @reasons, @attempts, @createdAt, @updatedAt)`,
  ).run({
    ...p,
    coinIds: JSON.stringify(p.coinIds),
    chainId: p.link?.chainId ?? null,
    index: p.link?.index ?? null,
    units: p.link?.units ?? null,
    withCommitment: p.link?.withCommitment ? 1 : 0,
    resent: p.link?.resentWithCommitment ? 1 : 0,
    body: p.body?.text ?? null,
    bodyType: p.body?.contentType ?? null,
    error: p.error ?? null,
    reasons: JSON.stringify(p.reasons),
  });
}

/** Closes a payment: its state, and what the vendor said (inside the caller's transaction). */
export function updatePayment(
  db: WalletDb,
  id: string,
  c: { state: PaymentState; spent: number; error?: string; reasons?: CoinRefusal[]; transaction?: string; receipt?: string; now: number },
): void {
  db.prepare(
    `UPDATE payments SET state = ?, spent = ?, error = ?, reasons = ?, transaction_id = ?, receipt = ?, updated_at = ? WHERE id = ?`,
  ).run(c.state, c.spent, c.error ?? null, JSON.stringify(c.reasons ?? []), c.transaction ?? null, c.receipt ?? null, c.now, id);
}

/** A payment by id. */
export const paymentById = (db: WalletDb, id: string): PaymentRecord | undefined => {
  const row = db.prepare('SELECT * FROM payments WHERE id = ?').get(id) as PaymentRow | undefined;
  return row ? fromRow(row) : undefined;
};

/** True when the process `pid` on this machine is running (a payment it owns may be in flight). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Payments this process is sending now. */
const inFlight = new Set<string>();

/**
 * True when a pending payment is being sent right now, by a call of this process or by another
 * process alive on this machine: it is not to be sent again at once (two parallel calls for one
 * URL are two requests, each paid). A payment whose sender died (a crash, kill -9) is not in flight.
 */
function isInFlight(r: PaymentRow): boolean {
  if (inFlight.has(r.id)) return true;
  if (r.owner_host !== hostname() || r.owner_pid === null || r.owner_pid === process.pid) return false;
  return alive(r.owner_pid);
}

/** Marks a payment as being sent by this process (inside the caller's transaction). */
export function takePayment(db: WalletDb, id: string): void {
  db.prepare('UPDATE payments SET owner_host = ?, owner_pid = ? WHERE id = ?').run(hostname(), process.pid, id);
  inFlight.add(id);
}

/** This process is done sending the payment (its answer came, or none will). */
export function letGoPayment(db: WalletDb, id: string): void {
  inFlight.delete(id);
  db.prepare('UPDATE payments SET owner_pid = NULL WHERE id = ? AND owner_pid = ? AND owner_host = ?').run(id, process.pid, hostname());
}

/**
 * The oldest payment still pending for this URL, method and vendor that nobody is sending now:
 * what the next payment for it must send again, byte for byte. It is taken for this process
 * (inside the caller's transaction).
 */
export function claimPending(db: WalletDb, url: string, method: string, vendorId: string): PaymentRecord | undefined {
  const rows = db
    .prepare(`SELECT * FROM payments WHERE url = ? AND method = ? AND vendor_id = ? AND state = 'pending' ORDER BY created_at, rowid`)
    .all(url, method, vendorId) as PaymentRow[];
  const row = rows.find((r) => !isInFlight(r));
  if (!row) return undefined;
  takePayment(db, row.id);
  return fromRow(row);
}

/**
 * Takes the payment `id` for this process to send again, when it is still pending and nobody is
 * sending it now (inside the caller's transaction): the payment, `'in-flight'`, or undefined when
 * it is not pending (or not there).
 */
export function claimPendingById(db: WalletDb, id: string): PaymentRecord | 'in-flight' | undefined {
  const row = db.prepare(`SELECT * FROM payments WHERE id = ? AND state = 'pending'`).get(id) as PaymentRow | undefined;
  if (!row) return undefined;
  if (isInFlight(row)) return 'in-flight';
  takePayment(db, row.id);
  return fromRow(row);
}

/** Payments whose id starts with `prefix` (at most `limit`): how a short id the CLI shows is found. */
export const paymentsWithIdPrefix = (db: WalletDb, prefix: string, limit = 2): PaymentRecord[] =>
  (db.prepare('SELECT * FROM payments WHERE substr(id, 1, ?) = ? LIMIT ?').all(prefix.length, prefix, limit) as PaymentRow[]).map(fromRow);

/** Every payment still pending, oldest first. */
export const pendingPayments = (db: WalletDb): PaymentRecord[] =>
  (db.prepare(`SELECT * FROM payments WHERE state = 'pending' ORDER BY created_at, rowid`).all() as PaymentRow[]).map(fromRow);

/** The newest `limit` payments, newest first. */
export const recentPayments = (db: WalletDb, limit = 50): PaymentRecord[] =>
  (db.prepare('SELECT * FROM payments ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as PaymentRow[]).map(fromRow);

/** Counts one more sending of the payment (before it goes out). */
export const markSent = (db: WalletDb, id: string, now: number): void => {
  db.prepare('UPDATE payments SET attempts = attempts + 1, updated_at = ? WHERE id = ?').run(now, id);
};

/** Replaces the header of a pending link payment (the same payment with the commitment added). */
export const rewriteLinkHeader = (db: WalletDb, id: string, header: string, now: number): void => {
  db.prepare(
    `UPDATE payments SET header = ?, with_commitment = 1, resent_commitment = 1, updated_at = ? WHERE id = ? AND state = 'pending'`,
  ).run(header, now, id);
};
