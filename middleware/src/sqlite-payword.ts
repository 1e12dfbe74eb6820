/**
 * The payword tables of `SqliteVendorStore`: one lean row per chain (commitment, terms, highest
 * link, gaps, clearing state) and one per payment (its range, method, URL, MAC). Statements are
 * prepared once; every method here runs inside a transaction the store opens, so that a payment,
 * a batch or a take-back changes coins and chains together or not at all.
 * @module
 */
import type Database from 'better-sqlite3';
import { decodeCommitment } from '@micromint/shared';
import {
  classifyPayword,
  gapsFromJson,
  gapsToJson,
  isRetryOf,
  releaseRange,
  type ChainLedger,
  type RecordedRange,
} from './payword-ledger.ts';
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

/** The schema of the payword tables (migration 3 of the store). */
export const PAYWORD_SCHEMA = `
  -- A chain: its commitment (sent when clearing), the terms checked per payment, the highest
  -- link held and the unclaimed gaps below it, what the broker cleared, and the clearing batch
  -- in flight with the index and link it carries (a resend is the same batch).
  CREATE TABLE payword_chains (
    id              INTEGER PRIMARY KEY,
    chain_id        TEXT NOT NULL UNIQUE,
    commitment      BLOB NOT NULL,
    length          INTEGER NOT NULL,
    value           INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    highest_index   INTEGER NOT NULL,
    highest_link    BLOB NOT NULL,
    gaps            TEXT NOT NULL DEFAULT '[]',
    cleared_index   INTEGER NOT NULL DEFAULT 0,
    paid_units      INTEGER NOT NULL DEFAULT 0,
    paid_mills      INTEGER NOT NULL DEFAULT 0,
    refused_index   INTEGER NOT NULL DEFAULT 0,
    refused_reason  TEXT,
    batch_id        TEXT REFERENCES redemption_batches(id),
    batch_index     INTEGER,
    batch_link      BLOB
  );
  CREATE INDEX payword_chains_batch ON payword_chains(batch_id);
  -- A payment: the range first_index .. last_index of a chain, and what its MAC bound.
  CREATE TABLE payword_payments (
    id              TEXT PRIMARY KEY,
    chain           INTEGER NOT NULL REFERENCES payword_chains(id),
    first_index     INTEGER NOT NULL,
    last_index      INTEGER NOT NULL,
    method          TEXT NOT NULL,
    url             TEXT NOT NULL,
    mac             BLOB NOT NULL,
    paid_at         TEXT NOT NULL,
    replayed_at     TEXT,
    UNIQUE (chain, last_index)
  );
  -- Keys the vendor keeps (its X25519 key pair, the broker's payword terms and key).
  CREATE TABLE keys (
    name            TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    saved_at        TEXT NOT NULL
  );
  ALTER TABLE refusals ADD COLUMN scheme TEXT NOT NULL DEFAULT 'micromint';
  ALTER TABLE refusals ADD COLUMN chain_id TEXT;
  ALTER TABLE refusals ADD COLUMN link_index INTEGER;
  ALTER TABLE refusals ADD COLUMN units INTEGER;
`;

interface ChainRow {
  id: number;
  chain_id: string;
  commitment: Buffer;
  length: number;
  value: number;
  expires_at: number;
  highest_index: number;
  highest_link: Buffer;
  gaps: string;
  cleared_index: number;
  paid_units: number;
  paid_mills: number;
  refused_index: number;
  refused_reason: string | null;
  batch_id: string | null;
  batch_index: number | null;
}

interface PaymentRow {
  id: string;
  chain: number;
  first_index: number;
  last_index: number;
  method: string;
  url: string;
  mac: Buffer;
  paid_at: string;
  replayed_at: string | null;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const ledgerOf = (row: ChainRow): ChainLedger => ({
  highestIndex: row.highest_index,
  highestLink: bytes(row.highest_link),
  gaps: gapsFromJson(row.gaps),
});

const storedChain = (row: ChainRow): StoredChain => ({
  chainId: row.chain_id,
  commitment: bytes(row.commitment),
  length: row.length,
  value: row.value,
  expiresAt: row.expires_at,
  highestIndex: row.highest_index,
  clearedIndex: row.cleared_index,
  paidUnits: row.paid_units,
  paidMills: row.paid_mills,
  ...(row.refused_reason ? { refused: { index: row.refused_index, reason: row.refused_reason } } : {}),
});

/** The payword half of the SQLite store, on the store's open database (after migration). */
export class SqlitePayword {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      chain: db.prepare(`SELECT * FROM payword_chains WHERE chain_id = ?`),
      chainById: db.prepare(`SELECT * FROM payword_chains WHERE id = ?`),
      insertChain: db.prepare(
        `INSERT INTO payword_chains (chain_id, commitment, length, value, expires_at, highest_index, highest_link, gaps)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateLedger: db.prepare(`UPDATE payword_chains SET highest_index = ?, highest_link = ?, gaps = ? WHERE id = ?`),
      paymentAt: db.prepare(`SELECT * FROM payword_payments WHERE chain = ? AND last_index = ?`),
      payment: db.prepare(`SELECT * FROM payword_payments WHERE id = ?`),
      insertPayment: db.prepare(
        `INSERT INTO payword_payments (id, chain, first_index, last_index, method, url, mac, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deletePayment: db.prepare(`DELETE FROM payword_payments WHERE id = ?`),
      markReplayed: db.prepare(`UPDATE payword_payments SET replayed_at = ? WHERE id = ?`),
      due: db.prepare(
        `SELECT id FROM payword_chains
         WHERE batch_id IS NULL AND highest_index > cleared_index AND highest_index > refused_index ORDER BY id LIMIT ?`,
      ),
      assign: db.prepare(`UPDATE payword_chains SET batch_id = ?, batch_index = highest_index, batch_link = highest_link WHERE id = ?`),
      inBatch: db.prepare(`SELECT chain_id, commitment, batch_index, batch_link FROM payword_chains WHERE batch_id = ? ORDER BY id`),
      cleared: db.prepare(
        `UPDATE payword_chains SET cleared_index = MAX(cleared_index, ?), paid_units = paid_units + ?, paid_mills = paid_mills + ?
         WHERE batch_id = ? AND chain_id = ?`,
      ),
      refused: db.prepare(
        `UPDATE payword_chains SET cleared_index = MAX(cleared_index, ?), refused_index = batch_index, refused_reason = ?
         WHERE batch_id = ? AND chain_id = ?`,
      ),
      release: db.prepare(`UPDATE payword_chains SET batch_id = NULL, batch_index = NULL, batch_link = NULL WHERE batch_id = ?`),
      uncleared: db.prepare(
        `SELECT chain_id AS chainId, expires_at AS expiresAt, highest_index AS highestIndex, cleared_index AS clearedIndex, value
         FROM payword_chains WHERE highest_index > cleared_index ORDER BY expires_at, id`,
      ),
      loadKey: db.prepare(`SELECT value FROM keys WHERE name = ?`).pluck(),
      saveKey: db.prepare(`INSERT INTO keys (name, value, saved_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`),
      counts: db.prepare(
        `SELECT (SELECT COUNT(*) FROM payword_chains) AS chains, (SELECT COUNT(*) FROM payword_payments) AS chainPayments,
                (SELECT COUNT(*) FROM payword_chains WHERE highest_index > cleared_index) AS chainsToClear`,
      ),
    };
  }

  chain(chainId: string): StoredChain | undefined {
    const row = this.s.chain.get(chainId) as ChainRow | undefined;
    return row ? storedChain(row) : undefined;
  }

  /** The recorded payment of chain row `chain` whose range ends at `last`, as the rule needs it. */
  private recordedAt(chain: number, last: number): RecordedRange | undefined {
    const p = this.s.paymentAt.get(chain, last) as PaymentRow | undefined;
    return p && { paymentId: p.id, first: p.first_index, method: p.method, url: p.url, mac: bytes(p.mac), paidAt: p.paid_at };
  }

  /** Step 8 of the payment check; call inside a transaction. `refuse` logs a refusal in the same one. */
  record(p: NewPaywordPayment, refuse: (r: Refusal) => void): PaywordOutcome {
    const row = this.s.chain.get(p.chain.chainId) as ChainRow | undefined;
    const ledger: ChainLedger = row ? ledgerOf(row) : { highestIndex: 0, highestLink: p.chain.root, gaps: [] };
    const first = p.index - p.units + 1;
    const claim = { first, last: p.index, link: p.link, method: p.method, url: p.url, mac: p.mac };
    const verdict = classifyPayword(ledger, p.chain.salt, claim, row ? this.recordedAt(row.id, p.index) : undefined);
    if (verdict.status === 'replay') {
      this.s.markReplayed.run(p.paidAt, verdict.paymentId);
      return { ...verdict, highestIndex: ledger.highestIndex };
    }
    if (verdict.status === 'refused') {
      refuse(paywordRefusal(p, verdict.reason));
      return { ...verdict, highestIndex: ledger.highestIndex };
    }
    const next = verdict.ledger;
    let chainRow: number;
    if (row) {
      this.s.updateLedger.run(next.highestIndex, Buffer.from(next.highestLink), gapsToJson(next.gaps), row.id);
      chainRow = row.id;
    } else {
      const c = p.chain;
      const info = this.s.insertChain.run(
        c.chainId,
        Buffer.from(c.commitment),
        c.length,
        c.value,
        c.expiresAt,
        next.highestIndex,
        Buffer.from(next.highestLink),
        gapsToJson(next.gaps),
      );
      chainRow = Number(info.lastInsertRowid);
    }
    this.s.insertPayment.run(p.id, chainRow, first, p.index, p.method, p.url, Buffer.from(p.mac), p.paidAt);
    return { status: 'recorded', paymentId: p.id, highestIndex: next.highestIndex };
  }

  /** The payment `q` repeats, marked as served again; call inside a transaction. */
  findReplay(q: PaywordReplayQuery, at: string): { paymentId: string; paidAt: string } | undefined {
    const row = this.s.chain.get(q.chainId) as ChainRow | undefined;
    const prior = row ? this.recordedAt(row.id, q.index) : undefined;
    if (!prior || !isRetryOf(prior, { ...q, first: q.index - q.units + 1 })) return undefined;
    this.s.markReplayed.run(at, prior.paymentId);
    return { paymentId: prior.paymentId, paidAt: prior.paidAt };
  }

  /** Takes back a payment nobody else claims; call inside a transaction. */
  unrecord(paymentId: string): boolean {
    const p = this.s.payment.get(paymentId) as PaymentRow | undefined;
    if (!p || p.replayed_at !== null) return false;
    const row = this.s.chainById.get(p.chain) as ChainRow;
    const floor = Math.max(row.cleared_index, row.batch_index ?? 0);
    const salt = decodeCommitment(bytes(row.commitment)).salt;
    const next = releaseRange(ledgerOf(row), salt, [p.first_index, p.last_index], floor);
    if (!next) return false;
    this.s.updateLedger.run(next.highestIndex, Buffer.from(next.highestLink), gapsToJson(next.gaps), row.id);
    this.s.deletePayment.run(paymentId);
    return true;
  }

  /** Up to `limit` chains due for clearing (rows). */
  due(limit: number): number[] {
    return this.s.due.pluck().all(limit) as number[];
  }

  /** Puts chains (rows from {@link due}) into `batchId` at their highest index and link now. */
  assign(batchId: string, rows: readonly number[]): void {
    for (const id of rows) this.s.assign.run(batchId, id);
  }

  /** The chains of a batch, as sent. */
  inBatch(batchId: string): RedeemChain[] {
    const rows = this.s.inBatch.all(batchId) as { chain_id: string; commitment: Buffer; batch_index: number; batch_link: Buffer }[];
    return rows.map((r) => ({ chainId: r.chain_id, commitment: bytes(r.commitment), index: r.batch_index, link: bytes(r.batch_link) }));
  }

  /** Applies the broker's chain results (if any) and frees every chain of the batch. */
  closeBatch(batchId: string, results: readonly BrokerChainResult[] = []): void {
    for (const r of results) {
      if (r.status === 'cleared') this.s.cleared.run(r.clearedIndex, r.paidUnits, r.paidMills, batchId, r.chainId);
      else this.s.refused.run(r.clearedIndex, r.reason ?? 'refused', batchId, r.chainId);
    }
    this.s.release.run(batchId);
  }

  uncleared(): UnclearedChain[] {
    return this.s.uncleared.all() as UnclearedChain[];
  }

  loadKey(name: string): string | undefined {
    return this.s.loadKey.get(name) as string | undefined;
  }

  saveKey(name: string, value: string): string {
    this.s.saveKey.run(name, value, new Date().toISOString());
    return this.s.loadKey.get(name) as string;
  }

  counts(): { chains: number; chainPayments: number; chainsToClear: number } {
    return this.s.counts.get() as { chains: number; chainPayments: number; chainsToClear: number };
  }
}
