/**
 * The payword half of `PostgresVendorStore`: the same rule as the other stores (`classifyPayword`,
 * `releaseRange`) on the tables `payword_chains` and `payword_payments`. A chain's row is the
 * compare-and-set of its highest index across instances: every payment, retry and take-back of a
 * chain first locks that row (`FOR UPDATE`), so the ledger it classifies against is the latest
 * committed one and no other instance moves it meanwhile. A chain's first payment inserts the row
 * with `ON CONFLICT DO NOTHING`; when another instance inserted it first, the transaction runs
 * again and locks that row. Every method runs inside a transaction the store opens.
 * @module
 */
import type { PoolClient } from 'pg';
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
import { Conflict } from './postgres-db.ts';
import type { Refusal } from './store.ts';

/** What a query runs on: a pooled connection in a transaction, or the pool itself. */
export interface Queryable {
  query: PoolClient['query'];
}

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
  batch_index: number | null;
}

/** A chain row with the recorded payment ending at the index asked for, if any. */
interface ChainAtRow extends ChainRow {
  p_id: string | null;
  p_first: number | null;
  p_method: string | null;
  p_url: string | null;
  p_mac: Buffer | null;
  p_paid_at: string | null;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const ledgerOf = (row: ChainRow): ChainLedger => ({
  highestIndex: row.highest_index,
  highestLink: bytes(row.highest_link),
  gaps: gapsFromJson(row.gaps),
});

const priorOf = (row: ChainAtRow | undefined): RecordedRange | undefined =>
  row?.p_id
    ? { paymentId: row.p_id, first: row.p_first!, method: row.p_method!, url: row.p_url!, mac: bytes(row.p_mac!), paidAt: row.p_paid_at! }
    : undefined;

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

/** The statements, with the store's schema in them; each is prepared once per connection. */
function statements(s: string) {
  const chainCols = `c.id, c.chain_id, c.commitment, c.length, c.value, c.expires_at, c.highest_index, c.highest_link, c.gaps,
    c.cleared_index, c.paid_units, c.paid_mills, c.refused_index, c.refused_reason, c.batch_index`;
  return {
    chain: `SELECT ${chainCols} FROM ${s}.payword_chains c WHERE c.chain_id = $1`,
    chainAt: `SELECT ${chainCols}, p.id AS p_id, p.first_index AS p_first, p.method AS p_method, p.url AS p_url, p.mac AS p_mac,
        p.paid_at AS p_paid_at
      FROM ${s}.payword_chains c LEFT JOIN ${s}.payword_payments p ON p.chain = c.id AND p.last_index = $2
      WHERE c.chain_id = $1 FOR UPDATE OF c`,
    recordOnChain: `WITH moved AS (UPDATE ${s}.payword_chains SET highest_index = $1, highest_link = $2, gaps = $3 WHERE id = $4)
      INSERT INTO ${s}.payword_payments (id, chain, first_index, last_index, method, url, mac, paid_at)
      VALUES ($5, $4, $6, $7, $8, $9, $10, $11)`,
    recordNewChain: `WITH made AS (
        INSERT INTO ${s}.payword_chains (chain_id, commitment, length, value, expires_at, highest_index, highest_link, gaps)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (chain_id) DO NOTHING RETURNING id)
      INSERT INTO ${s}.payword_payments (id, chain, first_index, last_index, method, url, mac, paid_at)
      SELECT $9, made.id, $10, $11, $12, $13, $14, $15 FROM made`,
    markReplayed: `UPDATE ${s}.payword_payments SET replayed_at = $1 WHERE id = $2`,
    paymentWithChain: `SELECT ${chainCols}, p.first_index, p.last_index, p.replayed_at
      FROM ${s}.payword_payments p JOIN ${s}.payword_chains c ON c.id = p.chain WHERE p.id = $1 FOR UPDATE OF c, p`,
    release: `WITH gone AS (DELETE FROM ${s}.payword_payments WHERE id = $4)
      UPDATE ${s}.payword_chains SET highest_index = $1, highest_link = $2, gaps = $3 WHERE id = $5`,
    due: `SELECT id FROM ${s}.payword_chains
      WHERE batch_id IS NULL AND highest_index > cleared_index AND highest_index > refused_index
      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    assign: `UPDATE ${s}.payword_chains SET batch_id = $1, batch_index = highest_index, batch_link = highest_link
      WHERE id = ANY($2::bigint[])`,
    inBatch: `SELECT chain_id, commitment, batch_index, batch_link FROM ${s}.payword_chains WHERE batch_id = $1 ORDER BY id`,
    cleared: `UPDATE ${s}.payword_chains
      SET cleared_index = GREATEST(cleared_index, $1), paid_units = paid_units + $2, paid_mills = paid_mills + $3
      WHERE batch_id = $4 AND chain_id = $5`,
    refused: `UPDATE ${s}.payword_chains SET cleared_index = GREATEST(cleared_index, $1), refused_index = batch_index, refused_reason = $2
      WHERE batch_id = $3 AND chain_id = $4`,
    unassign: `UPDATE ${s}.payword_chains SET batch_id = NULL, batch_index = NULL, batch_link = NULL WHERE batch_id = $1`,
    uncleared: `SELECT chain_id AS "chainId", expires_at AS "expiresAt", highest_index AS "highestIndex",
        cleared_index AS "clearedIndex", value
      FROM ${s}.payword_chains WHERE highest_index > cleared_index ORDER BY expires_at, id`,
    loadKey: `SELECT value FROM ${s}.keys WHERE name = $1`,
    saveKey: `INSERT INTO ${s}.keys (name, value, saved_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
  };
}

type Statement = keyof ReturnType<typeof statements>;

/** The payword tables of one schema. */
export class PostgresPayword {
  private readonly sql;

  constructor(schema: string) {
    this.sql = statements(schema);
  }

  /** Runs statement `name` (prepared on the connection the first time). */
  private run<R extends object>(db: Queryable, name: Statement, values: unknown[]) {
    return db.query<R>({ name: `mm_pw_${name}`, text: this.sql[name], values });
  }

  async chain(db: Queryable, chainId: string): Promise<StoredChain | undefined> {
    const { rows } = await this.run<ChainRow>(db, 'chain', [chainId]);
    return rows[0] ? storedChain(rows[0]) : undefined;
  }

  /** Step 8 of the payment check, on the locked chain row. `refuse` logs a refusal in the same transaction. */
  async record(db: Queryable, p: NewPaywordPayment, refuse: (r: Refusal) => Promise<void>): Promise<PaywordOutcome> {
    const row = (await this.run<ChainAtRow>(db, 'chainAt', [p.chain.chainId, p.index])).rows[0];
    const ledger: ChainLedger = row ? ledgerOf(row) : { highestIndex: 0, highestLink: p.chain.root, gaps: [] };
    const first = p.index - p.units + 1;
    const claim = { first, last: p.index, link: p.link, method: p.method, url: p.url, mac: p.mac };
    const verdict = classifyPayword(ledger, p.chain.salt, claim, priorOf(row));
    if (verdict.status === 'replay') {
      await this.run(db, 'markReplayed', [p.paidAt, verdict.paymentId]);
      return { ...verdict, highestIndex: ledger.highestIndex };
    }
    if (verdict.status === 'refused') {
      await refuse(paywordRefusal(p, verdict.reason));
      return { ...verdict, highestIndex: ledger.highestIndex };
    }
    const next = verdict.ledger;
    const link = Buffer.from(next.highestLink);
    const gaps = gapsToJson(next.gaps);
    const paid = [p.method, p.url, Buffer.from(p.mac), p.paidAt];
    if (row) await this.run(db, 'recordOnChain', [next.highestIndex, link, gaps, row.id, p.id, first, p.index, ...paid]);
    else {
      const c = p.chain;
      const made = await this.run(db, 'recordNewChain', [
        ...[c.chainId, Buffer.from(c.commitment), c.length, c.value, c.expiresAt, next.highestIndex, link, gaps],
        ...[p.id, first, p.index, ...paid],
      ]);
      if (made.rowCount !== 1) throw new Conflict(`chain ${c.chainId} was recorded by another transaction`);
    }
    return { status: 'recorded', paymentId: p.id, highestIndex: next.highestIndex };
  }

  /** The payment `q` repeats, marked as served again (on the locked chain row). */
  async findReplay(db: Queryable, q: PaywordReplayQuery, at: string): Promise<{ paymentId: string; paidAt: string } | undefined> {
    const prior = priorOf((await this.run<ChainAtRow>(db, 'chainAt', [q.chainId, q.index])).rows[0]);
    if (!prior || !isRetryOf(prior, { ...q, first: q.index - q.units + 1 })) return undefined;
    await this.run(db, 'markReplayed', [at, prior.paymentId]);
    return { paymentId: prior.paymentId, paidAt: prior.paidAt };
  }

  /** Takes back a payment nobody else claims (its chain row and its own row locked). */
  async unrecord(db: Queryable, paymentId: string): Promise<boolean> {
    type Row = ChainRow & { first_index: number; last_index: number; replayed_at: string | null };
    const row = (await this.run<Row>(db, 'paymentWithChain', [paymentId])).rows[0];
    if (!row || row.replayed_at !== null) return false;
    const floor = Math.max(row.cleared_index, row.batch_index ?? 0);
    const salt = decodeCommitment(bytes(row.commitment)).salt;
    const next = releaseRange(ledgerOf(row), salt, [row.first_index, row.last_index], floor);
    if (!next) return false;
    await this.run(db, 'release', [next.highestIndex, Buffer.from(next.highestLink), gapsToJson(next.gaps), paymentId, row.id]);
    return true;
  }

  /** Up to `limit` chains due for clearing (row ids), locked; a chain a payment holds right now waits for the next batch. */
  async due(db: Queryable, limit: number): Promise<number[]> {
    return (await this.run<{ id: number }>(db, 'due', [limit])).rows.map((r) => r.id);
  }

  /** Puts chains (rows from {@link due}) into `batchId` at their highest index and link now. */
  async assign(db: Queryable, batchId: string, rows: readonly number[]): Promise<void> {
    if (rows.length) await this.run(db, 'assign', [batchId, rows]);
  }

  /** The chains of a batch, as sent. */
  async inBatch(db: Queryable, batchId: string): Promise<RedeemChain[]> {
    type Row = { chain_id: string; commitment: Buffer; batch_index: number; batch_link: Buffer };
    const { rows } = await this.run<Row>(db, 'inBatch', [batchId]);
    return rows.map((r) => ({ chainId: r.chain_id, commitment: bytes(r.commitment), index: r.batch_index, link: bytes(r.batch_link) }));
  }

  /** Applies the broker's chain results (if any) and frees every chain of the batch. */
  async closeBatch(db: Queryable, batchId: string, results: readonly BrokerChainResult[] = []): Promise<void> {
    for (const r of results) {
      if (r.status === 'cleared') await this.run(db, 'cleared', [r.clearedIndex, r.paidUnits, r.paidMills, batchId, r.chainId]);
      else await this.run(db, 'refused', [r.clearedIndex, r.reason ?? 'refused', batchId, r.chainId]);
    }
    await this.run(db, 'unassign', [batchId]);
  }

  async uncleared(db: Queryable): Promise<UnclearedChain[]> {
    return (await this.run<UnclearedChain>(db, 'uncleared', [])).rows;
  }

  async loadKey(db: Queryable, name: string): Promise<string | undefined> {
    return (await this.run<{ value: string }>(db, 'loadKey', [name])).rows[0]?.value;
  }

  /** Keeps the first value saved under `name`; a concurrent save waits for the other to commit, then reads it. */
  async saveKey(db: Queryable, name: string, value: string): Promise<string> {
    await this.run(db, 'saveKey', [name, value, new Date().toISOString()]);
    return (await this.loadKey(db, name))!;
  }
}
