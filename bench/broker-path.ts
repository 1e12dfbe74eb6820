/**
 * The broker's path: coins redeemed per second with the double-spend check, and the mint database's bytes
 * per ball. A real broker on loopback over a SQLite file mints a demo epoch; users buy every set they can;
 * their coins at one vendor are redeemed in batches of {@link MAX_BATCH_COINS}, each batch one durable
 * transaction (synchronous = FULL): by the broker's `redeemBatch` (the figure `redeem_coins_per_s`), through
 * `POST /api/redeem` (the client runs in the same process, so the JSON both ways is on the same core), and
 * the same coins again (every one refused `already-spent` and recorded). A first batch, untimed, warms the
 * code up, as in a broker that has been running. The database's growth per coin credited is the figure
 * `broker_bytes_per_coin`, beside the WAL bytes one more batch writes. The mint database is measured on its
 * own file: a demo epoch minted into a fresh database, VACUUMed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PARAMETER_SETS } from '@micromint/shared';
import { MAX_BATCH_COINS, mintEpoch, openStore, redeemBatch, type Broker, type PostgresStore, type SqliteStore } from '@micromint/broker';
import { Browser, coinsFor, decodeFundsWithdrawn, entry, postJson, startBroker, type TestBroker } from '../broker/test/helpers.ts';

/** The mint database of one demo epoch. */
export interface MintStorageRow {
  balls: number;
  /** The database file after the mint and a VACUUM. */
  fileBytes: number;
  /** The same database before the mint (schema only). */
  emptyBytes: number;
  /** fileBytes / balls: the figure `mint_bytes_per_ball`. */
  bytesPerBall: number;
  /** (fileBytes - emptyBytes) / balls. */
  netBytesPerBall: number;
  /** Hashing and merging, ms. */
  hashMs: number;
  /** The database insert of the epoch, ms. */
  storeMs: number;
}

/** Redemption of every coin the users' sets give one vendor. */
export interface RedemptionRow {
  coins: number;
  batch: number;
  /** First redemptions through `redeemBatch`: each credited. The figure `redeem_coins_per_s`. */
  coinsPerSecond: number;
  /** The same per second of this process's CPU (less sensitive to a loaded machine than the clock). */
  coinsPerCpuSecond: number;
  /** First redemptions through `POST /api/redeem`. */
  httpCoinsPerSecond: number;
  /** The `redeemBatch` coins again in new batches: each refused `already-spent` and recorded. */
  doubleSpendsPerSecond: number;
  /**
   * Growth of the database per coin credited (SQLite: its pages, the WAL's included; PostgreSQL: its tables'
   * and indexes' relations): the figure `broker_bytes_per_coin`.
   */
  dbBytesPerCoin: number;
  /** WAL bytes one more batch of `batch` coins wrote (WAL truncated before it), per coin (SQLite only). */
  walBytesPerCoin?: number;
}

const fileSize = (path: string): number => statSync(path).size;

function vacuum(path: string): void {
  const db = new Database(path);
  db.exec('VACUUM');
  db.close();
}

/** Mints a demo epoch into a fresh database and measures its file, VACUUMed. */
export async function measureMintStorage(): Promise<MintStorageRow> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-mint-'));
  try {
    const path = join(dir, 'mint.db');
    await openStore(path).close();
    vacuum(path);
    const emptyBytes = fileSize(path);
    const store = openStore(path);
    const s = await mintEpoch({ store, params: PARAMETER_SETS.demo });
    await store.close();
    vacuum(path);
    const fileBytes = fileSize(path);
    const balls = s.filledSlots;
    return {
      balls,
      fileBytes,
      emptyBytes,
      bytesPerBall: fileBytes / balls,
      netBytesPerBall: (fileBytes - emptyBytes) / balls,
      hashMs: s.ms - s.storeMs,
      storeMs: s.storeMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Entry = ReturnType<typeof entry>;

const BUY_STEP = 16;
const USERS = 3;
const EPOCHS = 3;
/** Coins redeemed before the timing starts, as in a broker that has been running (the JIT, the caches). */
const WARM_UP_COINS = 10_000;

async function buyOrUndefined(b: Browser, count: number) {
  try {
    return decodeFundsWithdrawn((await b.buy(count)).text);
  } catch {
    return undefined;
  }
}

/**
 * Mints `EPOCHS` demo epochs one after the other; in each, `USERS` users buy every set they can (one after
 * the other, until none is left for them). Returns every coin of their sets at `vendorId`.
 */
async function coinsOfUsers(tb: TestBroker, vendorId: string): Promise<Entry[]> {
  const users: Browser[] = [];
  for (let u = 0; u < USERS; u++) {
    users.push(new Browser(tb.base));
    await users[u]!.signUp(`bench${u}@example.com`);
  }
  const entries: Entry[] = [];
  for (let e = 0; e < EPOCHS; e++) {
    await mintEpoch({ store: tb.broker.store, params: PARAMETER_SETS.demo, epochId: `bench-${e}`, now: tb.broker.context.now() });
    for (const user of users) {
      await user.addFunds('40');
      for (let step = BUY_STEP; step > 0;) {
        const fw = await buyOrUndefined(user, step);
        if (!fw) step = step > 1 ? 1 : 0;
        else entries.push(...coinsFor(fw, vendorId).map((c) => entry(fw, c, vendorId)));
      }
    }
  }
  return entries;
}

const batchesOf = (entries: Entry[], size: number): Entry[][] =>
  Array.from({ length: Math.ceil(entries.length / size) }, (_, i) => entries.slice(i * size, (i + 1) * size));

/** Seconds (of the clock, and of this process's CPU) to redeem `batches` through `redeemBatch`, each answer checked. */
async function redeemDirect(broker: Broker, vendorId: string, batches: Entry[][], tag: string, expect: 'credited' | 'refused') {
  const vendor = (await broker.store.vendors.byId(vendorId))!;
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (const [i, coins] of batches.entries()) {
    const a = await redeemBatch(broker.context, vendor, { batchId: `${tag}-${i}`, coins, chains: [] });
    if (a.results.some((r) => r.status !== expect)) throw new Error(`bench redemption ${tag}-${i} failed`);
  }
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** The bench broker's SQLite store (its file is what the storage rows measure). */
function sqliteOf(broker: Broker): SqliteStore {
  if (broker.store.kind !== 'sqlite') throw new Error('the bench measures the SQLite store');
  return broker.store as SqliteStore;
}

/** Where a bench broker on PostgreSQL keeps its tables. */
export interface PostgresPlace {
  connectionString: string;
  schema: string;
}

/** The store's size in bytes: SQLite's pages (the WAL's included), or the PostgreSQL schema's relations. */
async function storeBytes(broker: Broker): Promise<number> {
  if (broker.store.kind === 'sqlite') return dbBytes(sqliteOf(broker).db);
  const { database } = broker.store as PostgresStore;
  const [row] = await database.query<{ bytes: number }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [database.schema],
  );
  return row!.bytes;
}

/** The database's size in bytes, pages still in the WAL included. */
const dbBytes = (db: Database.Database): number =>
  (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);

/** WAL bytes per coin of one batch of first redemptions, the WAL truncated before it. */
async function walPerCoin(broker: Broker, vendorId: string, coins: Entry[]): Promise<number> {
  const { db } = sqliteOf(broker);
  db.pragma('wal_checkpoint(TRUNCATE)');
  await redeemDirect(broker, vendorId, [coins], 'wal', 'credited');
  return fileSize(`${db.name}-wal`) / coins.length;
}

/** Seconds to redeem `batches` through `POST /api/redeem`, each answer checked. */
async function redeemHttp(base: string, apiKey: string, batches: Entry[][], tag: string): Promise<number> {
  const start = performance.now();
  for (const [i, coins] of batches.entries()) {
    const r = await postJson(`${base}/api/redeem`, { batchId: `${tag}-${i}`, coins }, { authorization: `Bearer ${apiKey}` });
    if (r.status !== 200 || r.json.results.some((c: { status: string }) => c.status !== 'credited'))
      throw new Error(`bench redemption ${tag}-${i} failed: ${r.status}`);
  }
  return (performance.now() - start) / 1000;
}

/** Sells demo epochs' sets and redeems their coins at one vendor: directly, over HTTP, then again. */
export async function measureRedemption(batch = MAX_BATCH_COINS, o: { postgres?: PostgresPlace } = {}): Promise<RedemptionRow> {
  const tb = await startBroker({
    mint: false,
    redeemsPerMinute: 100_000,
    redeemsPerMinutePerAddress: 100_000,
    ...(o.postgres ? { store: { postgres: o.postgres } } : { sqlite: true }),
  });
  try {
    const vendorId = 'http://127.0.0.1:4798';
    const apiKey = (await postJson(`${tb.base}/api/vendors`, { origin: vendorId, name: 'bench' })).json.apiKey as string;
    const entries = await coinsOfUsers(tb, vendorId);
    const warmHttp = WARM_UP_COINS / 5;
    const walBatch = entries.slice(-batch);
    const timed = entries.slice(WARM_UP_COINS + warmHttp, -batch);
    const sizeBefore = await storeBytes(tb.broker);
    const half = Math.floor(timed.length / 2);
    const direct = batchesOf(timed.slice(0, half), batch);
    const http = batchesOf(timed.slice(half), batch);
    await redeemDirect(tb.broker, vendorId, batchesOf(entries.slice(0, WARM_UP_COINS), batch), 'warm', 'credited');
    await redeemHttp(tb.base, apiKey, [entries.slice(WARM_UP_COINS, WARM_UP_COINS + warmHttp)], 'warm-http');
    const coins = direct.reduce((n, b) => n + b.length, 0);
    const first = await redeemDirect(tb.broker, vendorId, direct, 'first', 'credited');
    const overHttp = await redeemHttp(tb.base, apiKey, http, 'http');
    const walBytesPerCoin = o.postgres ? undefined : await walPerCoin(tb.broker, vendorId, walBatch);
    const dbBytesPerCoin = ((await storeBytes(tb.broker)) - sizeBefore) / entries.length;
    const again = await redeemDirect(tb.broker, vendorId, direct, 'again', 'refused');
    return {
      coins,
      batch,
      coinsPerSecond: coins / first.seconds,
      coinsPerCpuSecond: coins / first.cpuSeconds,
      httpCoinsPerSecond: http.reduce((n, b) => n + b.length, 0) / overHttp,
      doubleSpendsPerSecond: coins / again.seconds,
      dbBytesPerCoin,
      ...(walBytesPerCoin !== undefined ? { walBytesPerCoin } : {}),
    };
  } finally {
    await tb.stop();
  }
}

/** Both measurements, as `npm run bench` prints and stores them. */
export interface BrokerPathResult {
  /** Table rows: what, figure. */
  rows: string[][];
  /** The keys in bench/results.json. */
  figures: { redeem_coins_per_s: number; mint_bytes_per_ball: number; broker_bytes_per_coin: number };
  mint: MintStorageRow;
  redemption: RedemptionRow;
}

/**
 * The broker's path: the mint database of a demo epoch, then redemption.
 * @example
 * const { rows, figures } = await measureBrokerPath(); // figures.redeem_coins_per_s
 */
export async function measureBrokerPath(): Promise<BrokerPathResult> {
  const mint = await measureMintStorage();
  const redemption = await measureRedemption();
  const n = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits });
  const r = redemption;
  return {
    rows: [
      [`coins redeemed per second, redeemBatch (${n(r.coins)} coins, each credited)`, n(r.coinsPerSecond)],
      ['  the same per second of CPU', n(r.coinsPerCpuSecond)],
      ['coins redeemed per second, POST /api/redeem (client in the same process)', n(r.httpCoinsPerSecond)],
      ['double spends refused and recorded per second, redeemBatch', n(r.doubleSpendsPerSecond)],
      ['broker database bytes per coin redeemed (growth, WAL pages included)', n(r.dbBytesPerCoin)],
      [`  WAL bytes per coin of a ${n(r.batch)}-coin batch`, n(r.walBytesPerCoin ?? NaN)],
      [`mint database bytes per ball (demo epoch, ${n(mint.balls)} balls, VACUUMed file)`, n(mint.bytesPerBall, 1)],
      ['  of which the empty schema', n(mint.emptyBytes / mint.balls, 1)],
      ['mint: hashing / database insert (ms)', `${n(mint.hashMs)} / ${n(mint.storeMs)}`],
    ],
    figures: { redeem_coins_per_s: r.coinsPerSecond, mint_bytes_per_ball: mint.bytesPerBall, broker_bytes_per_coin: r.dbBytesPerCoin },
    mint,
    redemption,
  };
}
