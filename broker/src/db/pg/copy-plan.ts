/**
 * What `copy-to-postgres` copies, read from the two schemas themselves: every table of the PostgreSQL
 * schema, in foreign-key order (a table after those it references), each with the SQLite table of the same
 * name and, for each PostgreSQL column, where its value comes from:
 * - the SQLite column of the same name;
 * - SQLite's rowid, for an identity column SQLite has no column for (the `seq` columns, and
 *   `redemption_batches.id`), so that rows keep their order of insertion;
 * - a SQLite column PostgreSQL keeps in another shape ({@link SHAPES}: `redeemed.paid_at`, integer or text
 *   in SQLite, is `paid_ms` or `paid_text`, exactly as the PostgreSQL repository stores a coin's `paidAt`).
 *
 * Any other difference (a table or column on one side only) stops the copy before it starts: nothing of
 * the broker's data is left behind silently.
 * @module
 */
import { quoteIdent } from '@micromint/shared/postgres';
import type { Db } from '../open.ts';
import { paidAtValue } from '../redeemed-convert.ts';
import type { Query } from './database.ts';
import { paidMs, paidText } from './redemptions.ts';

/** The migration runner's own table (pg-schema.ts): written by `openPostgresStore`, not copied. */
const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * SQLite's `redeemed_unplaced`: coins converted at schema version 7 whose first ball the mint does not show
 * redeemed (put in by hand, never by the broker). PostgreSQL has no table for them: a file holding any is
 * refused (see copy.ts).
 */
export const UNPLACED_TABLE = 'redeemed_unplaced';

/** A SQLite column kept in other columns on PostgreSQL: each of `to` made from the SQLite value. */
interface Shape {
  table: string;
  from: string;
  to: Readonly<Record<string, (value: unknown) => unknown>>;
}

/** A coin's SQLite `paid_at` (milliseconds, or ISO text) as the PostgreSQL repository stores `paidAt`. */
const paid = (value: unknown): number | string => (typeof value === 'string' ? paidAtValue(value) : Number(value));

/** The SQLite columns PostgreSQL keeps in another shape. */
const SHAPES: readonly Shape[] = [
  {
    table: 'redeemed',
    from: 'paid_at',
    to: {
      paid_ms: (v) => paidMs(paid(v)),
      paid_text: (v) => paidText(paid(v)),
    },
  },
];

/** How one table is copied. */
export interface TablePlan {
  readonly table: string;
  /** SQLite: every row, in rowid order (primary key order for a table without rowid); raw rows. */
  readonly select: string;
  /** PostgreSQL: one batch, `$n` the array of the n-th column's values. */
  readonly insert: string;
  /** A SQLite row (as `select` reads it) as the values of the PostgreSQL columns. */
  readonly convert: (row: readonly unknown[]) => unknown[];
  /** Its identity columns, whose sequences must go past the copied values. */
  readonly identities: readonly string[];
}

interface PgColumn {
  name: string;
  type: string;
  identity: boolean;
}

/** The PostgreSQL schema's tables (but the migrations'), their columns in order, and what each references. */
async function pgTables(q: Query, schema: string) {
  const columns = await q<{ table: string; name: string; type: string; identity: boolean }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity <> '' AS identity
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const refs = await q<{ table: string; ref: string }>(
    `SELECT c.relname AS table, r.relname AS ref
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND k.contype = 'f' AND r.oid <> c.oid`,
    [schema],
  );
  const tables = new Map<string, PgColumn[]>();
  for (const c of columns) if (c.table !== MIGRATIONS_TABLE) (tables.get(c.table) ?? tables.set(c.table, []).get(c.table)!).push(c);
  return { tables, refs };
}

/** The tables in an order where each comes after every table it references (else by name). */
function fkOrder(tables: Iterable<string>, refs: readonly { table: string; ref: string }[]): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const visit = (t: string, path: readonly string[]): void => {
    if (placed.has(t)) return;
    if (path.includes(t)) throw new Error(`the foreign keys of ${[...path, t].join(' -> ')} go round: no order to copy them in`);
    for (const r of refs) if (r.table === t) visit(r.ref, [...path, t]);
    placed.add(t);
    order.push(t);
  };
  for (const t of [...tables].sort()) visit(t, []);
  return order;
}

interface SqliteTable {
  rowid: boolean;
  columns: string[];
  pk: string[];
}

/** The SQLite file's tables (no views, none of SQLite's own), with their columns and primary keys. */
function sqliteTables(db: Db): Map<string, SqliteTable> {
  const out = new Map<string, SqliteTable>();
  const list = db.pragma('table_list') as { schema: string; name: string; type: string; wr: number | bigint }[];
  for (const t of list) {
    if (t.schema !== 'main' || t.type !== 'table' || t.name.startsWith('sqlite_')) continue;
    const info = db.pragma(`table_info(${quoteIdent(t.name)})`) as { name: string; pk: number | bigint }[];
    const pk = info.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk));
    out.set(t.name, { rowid: Number(t.wr) === 0, columns: info.map((c) => c.name), pk: pk.map((c) => c.name) });
  }
  return out;
}

/** Where each PostgreSQL column's value is in the SQLite row, and how it is made from it. */
interface Source {
  at: number;
  make?: (value: unknown) => unknown;
}

/** The plan of one table: its SQLite select, its PostgreSQL insert, and the columns between them. */
function planTable(table: string, pg: readonly PgColumn[], lite: SqliteTable): TablePlan {
  const read = [...(lite.rowid ? ['rowid'] : []), ...lite.columns];
  const used = new Set<string>();
  const sources = pg.map((c): Source => {
    const shape = SHAPES.find((s) => s.table === table && Object.hasOwn(s.to, c.name));
    const from = lite.columns.includes(c.name) ? c.name : shape ? shape.from : c.identity && lite.rowid ? 'rowid' : undefined;
    if (from === undefined) throw new Error(`PostgreSQL column ${table}.${c.name} has no SQLite column to copy from`);
    used.add(from);
    return { at: read.indexOf(from), ...(shape && from === shape.from ? { make: shape.to[c.name]! } : {}) };
  });
  const left = lite.columns.filter((c) => !used.has(c));
  if (left.length > 0) throw new Error(`SQLite column(s) ${left.map((c) => `${table}.${c}`).join(', ')} have no PostgreSQL column`);
  const identities = pg.filter((c) => c.identity).map((c) => c.name);
  const name = quoteIdent(table);
  const order = lite.rowid ? 'rowid' : lite.pk.map(quoteIdent).join(', ');
  return {
    table,
    select: `SELECT ${read.map((c) => (c === 'rowid' ? c : quoteIdent(c))).join(', ')} FROM ${name} ORDER BY ${order}`,
    insert:
      `INSERT INTO ${name} (${pg.map((c) => quoteIdent(c.name)).join(', ')})${identities.length ? ' OVERRIDING SYSTEM VALUE' : ''} ` +
      `SELECT * FROM unnest(${pg.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`,
    convert: (row) => sources.map((s) => (s.make ? s.make(row[s.at]) : row[s.at])),
    identities,
  };
}

/**
 * The plan of every table, in foreign-key order; throws when the two schemas differ in a way it does not
 * know how to copy. `db` is the SQLite file (integers read as `bigint`), `q` the PostgreSQL schema's.
 * @example
 * for (const t of await planCopy(source.db, store.database.query, 'micromint_broker')) console.log(t.table);
 */
export async function planCopy(db: Db, q: Query, schema: string): Promise<TablePlan[]> {
  const { tables, refs } = await pgTables(q, schema);
  const lite = sqliteTables(db);
  const onlyLite = [...lite.keys()].filter((t) => !tables.has(t) && t !== UNPLACED_TABLE);
  if (onlyLite.length > 0) throw new Error(`SQLite table(s) ${onlyLite.join(', ')} have no PostgreSQL table to copy to`);
  return fkOrder(tables.keys(), refs).map((t) => {
    const source = lite.get(t);
    if (!source) throw new Error(`PostgreSQL table ${t} has no SQLite table to copy from`);
    return planTable(t, tables.get(t)!, source);
  });
}
