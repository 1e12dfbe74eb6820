/**
 * `micromint-broker copy-to-postgres`: moves a broker from its SQLite file to a new PostgreSQL schema.
 * Every table is copied in foreign-key order (copy-plan.ts), in batches of rows, ids and order of insertion
 * kept, in ONE PostgreSQL transaction holding the broker's write lock; the identity sequences are set past
 * the copied ids, so the next user or ledger line gets a fresh one; then, still in that transaction, each
 * table's row count and the ledger's sum for each owner are compared with the file's. Anything wrong rolls
 * the whole copy back. The target must be empty; the SQLite file is held still and read only
 * (copy-source.ts). Its `redeemed_unplaced` coins, if any, have no place on PostgreSQL: such a file is
 * refused, naming them, rather than copied without them.
 * @module
 */
import { aint } from '@micromint/shared';
import { quoteIdent } from '@micromint/shared/postgres';
import type { Db } from '../open.ts';
import { openCopySource } from './copy-source.ts';
import { UNPLACED_TABLE, planCopy, type TablePlan } from './copy-plan.ts';
import type { Query } from './database.ts';
import { resolvePostgresBrokerOptions, type PostgresBrokerOptions } from './options.ts';
import { openPostgresStore } from './store.ts';

/** Rows a statement inserts, by default. */
export const COPY_BATCH_ROWS = 5000;

/** One table copied. */
export interface TableCopied {
  table: string;
  rows: number;
  ms: number;
}

/** What {@link copySqliteToPostgres} takes. */
export interface CopyOptions {
  /** The broker's SQLite file (migrated to the current version first; the broker must be stopped). */
  dbPath: string;
  /** The PostgreSQL database and schema (created when missing; its tables must be empty). */
  postgres: PostgresBrokerOptions;
  /** Rows per INSERT statement; default {@link COPY_BATCH_ROWS}. */
  batchRows?: number;
  /** Told after each table. */
  onTable?: (t: TableCopied) => void;
}

/** What was copied and checked. */
export interface CopySummary {
  tables: TableCopied[];
  rows: number;
  /** Owners whose ledger sums were compared. */
  owners: number;
  ms: number;
}

/** A SQLite table's rows (`count(*)` is a bigint here). */
const count = (db: Db, table: string): number =>
  Number(
    db
      .prepare(`SELECT count(*) FROM ${quoteIdent(table)}`)
      .pluck()
      .get(),
  );

/** Refuses a file with coins PostgreSQL has no place for. */
function refuseUnplaced(db: Db): void {
  const listed = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(UNPLACED_TABLE);
  const n = listed ? count(db, UNPLACED_TABLE) : 0;
  if (n > 0)
    throw new RangeError(
      `the SQLite file has ${n} coin(s) in ${UNPLACED_TABLE} (redeemed coins converted at schema version 7 whose first ball ` +
        `the mint does not show redeemed: put in by hand, not by the broker); PostgreSQL has no place for them and ` +
        `copying would drop their records, so nothing was copied`,
    );
}

/** Refuses a target holding any row (every table but the migrations'). */
async function refuseNonEmpty(q: Query, plans: readonly TablePlan[], schema: string): Promise<void> {
  const full: string[] = [];
  for (const p of plans) {
    const [r] = await q<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${quoteIdent(p.table)}) AS any`);
    if (r!.any) full.push(p.table);
  }
  if (full.length > 0)
    throw new RangeError(
      `the PostgreSQL schema ${schema} is not empty (rows in ${full.join(', ')}): copy-to-postgres fills a new schema only; ` +
        `give another --postgres-schema, or drop this one if it holds nothing you need (nothing was changed)`,
    );
}

/** Copies one table in batches of `batch` rows; gives the rows copied. */
async function copyTable(db: Db, q: Query, p: TablePlan, batch: number): Promise<number> {
  let rows: unknown[][] = [];
  let n = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    const width = rows[0]!.length;
    await q(
      p.insert,
      Array.from({ length: width }, (_, i) => rows.map((r) => r[i])),
    );
    n += rows.length;
    rows = [];
  };
  try {
    for (const row of db.prepare(p.select).raw(true).iterate() as Iterable<unknown[]>) {
      rows.push(p.convert(row));
      if (rows.length >= batch) await flush();
    }
    await flush();
  } catch (e) {
    throw new Error(`copying table ${p.table}: ${(e as Error).message}`, { cause: e });
  }
  return n;
}

/** Sets each identity column's sequence past the largest value copied (left alone on an empty table). */
async function moveSequences(q: Query, p: TablePlan): Promise<void> {
  for (const c of p.identities)
    await q(
      `SELECT setval(pg_get_serial_sequence($1, $2), m) FROM (SELECT max(${quoteIdent(c)}) AS m FROM ${quoteIdent(p.table)}) x WHERE m IS NOT NULL`,
      [quoteIdent(p.table), c],
    );
}

/** The ledger's sum per owner (SQL: `$sum` is how the sum is read exactly), by kind and id. */
const SUMS = `SELECT owner_kind || ' ' || owner_id AS k, $sum AS s FROM ledger GROUP BY owner_kind, owner_id`;

/** Rows of {@link SUMS} as a map of exact texts. */
const sums = (rows: readonly { k: string; s: unknown }[]): Map<string, string> => new Map(rows.map((r) => [r.k, String(r.s)]));

/** Compares row counts and the ledger's sums per owner; throws (rolling the copy back) on a difference. */
async function check(db: Db, q: Query, copied: readonly TableCopied[]): Promise<number> {
  for (const t of copied) {
    const [r] = await q<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdent(t.table)}`);
    const lite = count(db, t.table);
    if (r!.n !== lite || t.rows !== lite) throw new Error(`check failed: ${t.table} has ${lite} rows in SQLite, ${r!.n} on PostgreSQL`);
  }
  // SQLite's sum is a bigint here (safe integers); PostgreSQL's a numeric, read as its text.
  const lite = sums(db.prepare(SUMS.replace('$sum', 'sum(amount_mills)')).all() as { k: string; s: bigint }[]);
  const pg = sums(await q<{ k: string; s: string }>(SUMS.replace('$sum', 'sum(amount_mills)::text')));
  for (const [owner, sum] of lite)
    if (pg.get(owner) !== sum)
      throw new Error(`check failed: the ledger of ${owner} sums to ${sum} in SQLite, ${pg.get(owner)} on PostgreSQL`);
  if (pg.size !== lite.size) throw new Error(`check failed: the ledger has ${lite.size} owners in SQLite, ${pg.size} on PostgreSQL`);
  return lite.size;
}

/**
 * Copies the broker's SQLite file into an empty PostgreSQL schema and checks the copy; throws `RangeError`
 * (having changed nothing) for a file that is being written or holds unplaced coins, or a target not empty.
 * @example
 * const s = await copySqliteToPostgres({ dbPath: '.data/broker.db', postgres: { connectionString: url } });
 * console.log(`${s.rows} rows in ${s.tables.length} tables`);
 */
export async function copySqliteToPostgres(o: CopyOptions): Promise<CopySummary> {
  const schema = resolvePostgresBrokerOptions(o.postgres).schema;
  const batch = o.batchRows ?? COPY_BATCH_ROWS;
  aint(batch, 1, 100_000, 'batchRows');
  const started = performance.now();
  const source = openCopySource(o.dbPath);
  try {
    refuseUnplaced(source.db);
    const store = await openPostgresStore({ ...o.postgres, poolSize: 1 });
    try {
      const q = store.database.query;
      const plans = await planCopy(source.db, q, schema);
      return await store.transaction(async () => {
        await refuseNonEmpty(q, plans, schema);
        const tables: TableCopied[] = [];
        for (const p of plans) {
          const t0 = performance.now();
          const rows = await copyTable(source.db, q, p, batch);
          await moveSequences(q, p);
          tables.push({ table: p.table, rows, ms: performance.now() - t0 });
          o.onTable?.(tables.at(-1)!);
        }
        const owners = await check(source.db, q, tables);
        return { tables, rows: tables.reduce((n, t) => n + t.rows, 0), owners, ms: performance.now() - started };
      });
    } finally {
      await store.close();
    }
  } finally {
    source.close();
  }
}
