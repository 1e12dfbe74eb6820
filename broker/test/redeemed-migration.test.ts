/**
 * Migration 7 (db/redeemed-convert.ts) on a real version-6 database file: a broker mints, sells and redeems
 * coins for two vendors in several batches; the file's redeemed coins are then put back the way version 6
 * stored them (its `redeemed_coins` table and indexes, one wide row per coin; the file's schema is checked
 * to be version 6's exactly), plus a row no broker made (its first ball not redeemed in the mint). Opened
 * again, every coin and every figure read from them come back the same, and the broker refuses a converted
 * coin sent again, naming the vendor paid first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { coinId } from '@micromint/shared';
import { MIGRATIONS } from '../src/db/migrations.ts';
import { paidAtValue } from '../src/db/redeemed-convert.ts';
import { openStore, redeemBatch } from '../src/index.ts';
import { Browser, coinsFor, decodeFundsWithdrawn, entry, postJson, sqliteOf, startBroker } from './helpers.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const COLUMNS = 'epoch, coin_id, user_id, vendor_id, batch_id, url, paid_at, redeemed_at';
type OldRow = Record<'epoch' | 'coin_id' | 'user_id' | 'vendor_id' | 'batch_id' | 'url' | 'paid_at' | 'redeemed_at', string>;
const byCoin = (a: OldRow, b: OldRow) => (a.epoch + a.coin_id < b.epoch + b.coin_id ? -1 : 1);

/** The schema as `sqlite_master` has it, but for the objects named in `except`. */
type SchemaRow = { type: string; name: string; tbl_name: string; sql: string | null };
const schemaOf = (db: Database.Database, except: (name: string) => boolean = () => false) =>
  (db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').all() as SchemaRow[]).filter((r) => !except(r.name));

/** What version 6 read from its `redeemed_coins` (the SQL of version 6's vendors.ts, earnings.ts, complaints.ts). */
function oldFigures(db: Database.Database, vendors: string[], users: string[]) {
  const one = (sql: string, ...args: unknown[]) =>
    db
      .prepare(sql)
      .pluck()
      .get(...args);
  return {
    total: one('SELECT count(*) FROM redeemed_coins'),
    perVendor: vendors.map((v) => one('SELECT count(*) FROM redeemed_coins WHERE vendor_id = ?', v)),
    perUser: users.map((u) => one('SELECT count(*) FROM redeemed_coins WHERE user_id = ?', u)),
    pages: vendors.map((v) =>
      db
        .prepare(
          `SELECT url, count(*) AS coins, max(redeemed_at) AS lastPaidAt FROM redeemed_coins WHERE vendor_id = ?
           GROUP BY url ORDER BY coins DESC, lastPaidAt DESC, url LIMIT 100 OFFSET 0`,
        )
        .all(v),
    ),
    pageCount: vendors.map((v) => one('SELECT count(DISTINCT url) FROM redeemed_coins WHERE vendor_id = ?', v)),
    takings: vendors.map((v) =>
      db
        .prepare(
          `SELECT count(DISTINCT user_id) AS customers, count(*) AS mills FROM redeemed_coins WHERE vendor_id = ? AND redeemed_at >= ?`,
        )
        .get(v, ''),
    ),
  };
}

test('a version-6 file converts: every redeemed coin and every figure kept, converted coins still spent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-redeemed-v6-'));
  dirs.push(dir);
  const path = join(dir, 'broker.db');
  const A = 'http://127.0.0.1:4711';
  const B = 'http://127.0.0.1:4712';
  const tb = await startBroker({ dbPath: path });
  let spentAtA: ReturnType<typeof entry> | undefined;
  let unspent: ReturnType<typeof entry> | undefined;
  const users: string[] = [];
  try {
    const keyA = (await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'A' })).json.apiKey;
    const keyB = (await postJson(`${tb.base}/api/vendors`, { origin: B, name: 'B' })).json.apiKey;
    const redeem = async (key: string, batchId: string, coins: unknown[]) => {
      const r = await postJson(`${tb.base}/api/redeem`, { batchId, coins }, { authorization: `Bearer ${key}` });
      assert.equal(r.json.credited, coins.length, batchId);
    };
    const fws = [];
    for (const name of ['alice', 'bob']) {
      const b = new Browser(tb.base);
      await b.signUp(`${name}@example.com`);
      await b.addFunds('1');
      const fw = decodeFundsWithdrawn((await b.buy(1)).text);
      users.push(fw.userId);
      fws.push(fw);
    }
    const [alice, bob] = fws as [(typeof fws)[0], (typeof fws)[0]];
    const [atA, atB, bobAtA] = [coinsFor(alice, A), coinsFor(alice, B), coinsFor(bob, A)];
    const noMs = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Two pages, both forms of paidAt (stored as milliseconds, and as sent), two users in one batch.
    await redeem(keyA, 'a1', [
      ...atA.slice(0, 3).map((c) => entry(alice, c, A)),
      ...bobAtA.slice(0, 2).map((c) => entry(bob, c, A, { url: `${A}/article/2`, paidAt: noMs(new Date()) })),
    ]);
    await redeem(keyA, 'a2', [entry(alice, atA[3]!, A, { url: `${A}/article/2` })]);
    // Coins for another vendor may start with the same balls (the same coin id): take B's others.
    const spent = new Set(atA.slice(0, 4).map(coinId));
    const forB = atB.filter((c) => !spent.has(coinId(c))).slice(0, 3);
    await redeem(
      keyB,
      'b1',
      forB.map((c) => entry(alice, c, B, { paidAt: '2026-01-01T00:00:00+01:00' })),
    );
    forB.forEach((c) => spent.add(coinId(c)));
    spentAtA = entry(alice, atA[0]!, A);
    unspent = entry(
      alice,
      atA.find((c) => !spent.has(coinId(c)))!,
      A,
    );
  } finally {
    await tb.stop();
  }

  // Back to version 6: its redeemed_coins table and indexes (made by migrations 1 to 6), the same rows.
  const db = new Database(path);
  const rows = (db.prepare(`SELECT ${COLUMNS} FROM redeemed_coins`).all() as OldRow[]).sort(byCoin);
  assert.equal(rows.length, 9);
  const reference = new Database(':memory:');
  for (const m of MIGRATIONS.slice(0, 6)) m(reference);
  const v7Only = (name: string) => name.startsWith('redeemed');
  db.exec(`
    DROP VIEW redeemed_coins;
    DROP TABLE redeemed; DROP TABLE redeemed_unplaced; DROP TABLE redeemed_payers; DROP TABLE redeemed_pages; DROP TABLE redeemed_batches;
  `);
  for (const r of schemaOf(reference, (n) => !v7Only(n))) if (r.sql) db.exec(r.sql);
  db.pragma('user_version = 6');
  assert.deepEqual(schemaOf(db), schemaOf(reference), "the file's schema is version 6's");
  const insert = db.prepare(`INSERT INTO redeemed_coins (${COLUMNS}) VALUES (${COLUMNS.replace(/\w+/g, '@$&')})`);
  const ordered = [...rows].sort((a, b) => (a.redeemed_at < b.redeemed_at ? -1 : a.redeemed_at > b.redeemed_at ? 1 : 0));
  for (const r of ordered) insert.run(r);
  // A row no broker made: its "coin" is no ball of the mint.
  const stray: OldRow = {
    ...rows[0]!,
    coin_id: 'c0',
    vendor_id: A,
    batch_id: 'by-hand',
    url: `${A}/by-hand`,
    paid_at: 'p',
    redeemed_at: 'r',
  };
  insert.run(stray);
  const want = [...rows, stray].sort(byCoin);
  const figures = oldFigures(db, [A, B], users);
  db.close();
  reference.close();

  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.deepEqual(
      (store.db.prepare(`SELECT ${COLUMNS} FROM redeemed_coins`).all() as OldRow[]).sort(byCoin),
      want,
      'the view reads every coin',
    );
    const count = (t: string) => store.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get();
    assert.deepEqual([count('redeemed'), count('redeemed_unplaced'), count('redeemed_batches')], [9, 1, 4]);
    assert.deepEqual(
      store.db.prepare('SELECT typeof(paid_at) AS t, count(*) AS n FROM redeemed GROUP BY 1 ORDER BY 1').all(),
      [
        { t: 'integer', n: 4 },
        { t: 'text', n: 5 },
      ],
      'paidAt as milliseconds when it reads back the same',
    );
    assert.deepEqual(
      {
        total: await store.vendors.totalRedeemed(),
        perVendor: await Promise.all([A, B].map(async (v) => (await store.vendors.counts(v)).redeemed)),
        perUser: await Promise.all(users.map((u) => store.vendors.redeemedOfUser(u))),
        pages: await Promise.all([A, B].map((v) => store.earnings.pageTotals(v, 100, 0))),
        pageCount: await Promise.all([A, B].map((v) => store.earnings.pageCount(v))),
        takings: await Promise.all([A, B].map((v) => store.complaints.takings(v, ''))),
      },
      figures,
    );
    assert.equal(await store.vendors.redeemedBy(rows[0]!.epoch, rows[0]!.coin_id), rows[0]!.vendor_id);
    assert.equal(await store.vendors.redeemedBy(stray.epoch, 'c0'), A);
  } finally {
    await store.close();
  }

  // A broker on the converted file: the converted coin is spent (first paid: A), a new one is credited.
  const tb2 = await startBroker({ dbPath: path, mint: false });
  try {
    const store2 = sqliteOf(tb2.broker.store);
    const vendor = (await store2.vendors.byId(A))!;
    const a = await redeemBatch(tb2.broker.context, vendor, { batchId: 'again', coins: [spentAtA!, unspent!], chains: [] });
    assert.deepEqual(
      a.results.map((r) => r.reason ?? r.status),
      ['already-spent', 'credited'],
    );
    assert.equal(
      store2.db.prepare("SELECT first_vendor_id FROM double_spends WHERE batch_id = 'again'").pluck().get(),
      A,
      'the vendor paid first, found by the converted coin',
    );
    assert.equal(await store2.vendors.redeemedBy(unspent!.epoch, coinId(Buffer.from(unspent!.coin, 'base64'))), A);
    assert.equal(paidAtValue(unspent!.paidAt), Date.parse(unspent!.paidAt));
  } finally {
    await tb2.stop();
  }
});
