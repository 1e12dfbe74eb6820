/**
 * Migration 6 on a real version-5 database file, filled with the statements version 5's epochs.ts ran
 * (one `balls` row per ball, statuses updated in place): every ball and every status comes back from the
 * compact tables and from the `balls` view, the rest of the database is untouched, and a broker opened on
 * the converted file sells a set and redeems its coins.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { BALL_BYTES, PARAMETER_SETS, coinId, type EpochParams } from '@micromint/shared';
import { MIGRATIONS } from '../src/db/migrations.ts';
import { PAGE_SLOTS } from '../src/db/mint-convert.ts';
import { hashBudget, mintBalls, openStore } from '../src/index.ts';
import { Browser, coinsFor, decodeFundsWithdrawn, entry, postJson, startBroker } from './helpers.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Row = { epoch: string; superbin: number; subbin: number; x: string; status: string };
const ROWS = 'SELECT epoch, superbin, subbin, hex(x) AS x, status FROM balls ORDER BY epoch, superbin, subbin';

/** A version-5 file with an epoch of each shape, minted and stored as version 5 stored them. */
async function version5(shapes: { id: string; shape: { t: number; u: number; v: number; k: number }; hashes: number }[]) {
  const dir = mkdtempSync(join(tmpdir(), 'mm-mint-v5-'));
  dirs.push(dir);
  const path = join(dir, 'broker.db');
  const db = new Database(path);
  for (const m of MIGRATIONS.slice(0, 5)) m(db);
  db.pragma('user_version = 5');
  const epochs: EpochParams[] = [];
  for (const [n, { id, shape, hashes }] of shapes.entries()) {
    const key = new Uint8Array(32).fill(n + 1);
    const p: EpochParams = { id, key, ...shape, fixed: 2 % 2 ** shape.t, expiresAt: '2100-01-01T00:00:00.000Z' };
    const minted = await mintBalls({ params: p, key, seed: new Uint8Array(16).fill(n + 7), hashes, workers: 1 });
    db.prepare(
      `INSERT INTO epochs (id, key, t, u, v, k, fixed, expires_at, created_at, fill, hashes, balls_counted, filled_slots, mint_ms, workers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0.9, ?, ?, ?, 1, 1)`,
    ).run(
      id,
      Buffer.from(key),
      p.t,
      p.u,
      p.v,
      p.k,
      p.fixed,
      p.expiresAt,
      `2026-01-0${n + 1}T00:00:00.000Z`,
      hashes,
      minted.ballsCounted,
      minted.slots.length,
    );
    const insert = db.prepare('INSERT INTO balls (epoch, superbin, subbin, x) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      minted.slots.forEach((slot, i) =>
        insert.run(id, Math.floor(slot / 2 ** p.v), slot % 2 ** p.v, Buffer.from(minted.xs.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES))),
      );
    })();
    epochs.push(p);
  }
  return { path, db, epochs };
}

test('every ball and status of a version-5 mint database converts, and the rest of the file stays', async () => {
  const { path, db, epochs } = await version5([
    { id: 'e1', shape: PARAMETER_SETS.test, hashes: 60_000 },
    { id: 'e2', shape: { t: 2, u: 6, v: 3, k: 2 }, hashes: 2_000 },
    // More than PAGE_SLOTS slots: the conversion reads it in several pages.
    { id: 'e3', shape: { t: 1, u: 6, v: 11, k: 2 }, hashes: 2 ** 17 },
  ]);
  assert.ok(2 ** (6 + 11) > PAGE_SLOTS);
  // Statuses as version 5 set them: a superbin sold, balls redeemed, returned, compromised.
  const sell = db.prepare("UPDATE balls SET status = 'sold' WHERE epoch = ? AND superbin = ? AND status = 'exists'");
  const set = db.prepare('UPDATE balls SET status = ? WHERE epoch = ? AND superbin = ? AND subbin = ?');
  const firstOf = db.prepare<[string, number], number>('SELECT subbin FROM balls WHERE epoch = ? AND superbin = ? ORDER BY subbin').pluck();
  for (const [epoch, sb] of [
    ['e1', 3],
    ['e1', 200],
    ['e2', 9],
    ['e3', 40],
  ] as const)
    sell.run(epoch, sb);
  const subs = firstOf.all('e1', 3);
  set.run('redeemed', 'e1', 3, subs[0]);
  set.run('redeemed', 'e1', 3, subs[1]);
  set.run('returned', 'e1', 3, subs[2]);
  set.run('compromised', 'e1', 7, firstOf.get('e1', 7));
  set.run('compromised', 'e2', 9, firstOf.get('e2', 9));
  set.run('returned', 'e3', 40, firstOf.get('e3', 40));
  db.prepare("INSERT INTO vendors (id, name, api_key_hash, created_at) VALUES ('http://a.example', 'A', zeroblob(32), 'x')").run();
  db.prepare(
    "INSERT INTO redeemed_coins VALUES ('e1', 'c0', 'u_0000000000000001', 'http://a.example', 'b1', 'http://a.example/', 'p', 'r')",
  ).run();
  const before = db.prepare<[], Row>(ROWS).all();
  const counts = db.prepare('SELECT epoch, status, count(*) AS n FROM balls GROUP BY 1, 2').all() as {
    epoch: string;
    status: string;
    n: number;
  }[];
  db.close();

  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(store.db.prepare("SELECT type FROM sqlite_master WHERE name = 'balls'").pluck().get(), 'view');
    assert.equal(store.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'redeemed_vendor'").pluck().get(), 0);
    assert.deepEqual(store.db.prepare<[], Row>(ROWS).all(), before, 'the view reads every ball and status as the table held them');
    for (const r of before) {
      const b = await store.epochs.ballAt(r.epoch, r.superbin, r.subbin);
      assert.deepEqual([Buffer.from(b!.x).toString('hex').toUpperCase(), b!.status], [r.x, r.status]);
    }
    for (const p of epochs) {
      const want = Object.fromEntries(counts.filter((c) => c.epoch === p.id).map((c) => [c.status, c.n]));
      const got = Object.fromEntries(Object.entries(await store.epochs.countByStatus(p.id)).filter(([, n]) => n > 0));
      assert.deepEqual(got, want, p.id);
    }
    assert.equal(await store.vendors.redeemedBy('e1', 'c0'), 'http://a.example');
    assert.equal((await store.vendors.counts('http://a.example')).redeemed, 1);
    // The converted epoch takes new statuses.
    await store.transaction(() => store.epochs.sellSuperbin('e1', 4));
    assert.ok((await store.epochs.ballsIn('e1', 4)).every((b) => b.status === 'sold'));
  } finally {
    await store.close();
  }
});

test('a broker on a converted file sells a set and redeems its coins, the balls being the ones stored before', async () => {
  const shape = PARAMETER_SETS.test;
  const { path, db } = await version5([{ id: 'old', shape, hashes: hashBudget(shape, 0.9) }]);
  const before = new Map(
    db
      .prepare<[], Row>(ROWS)
      .all()
      .map((r) => [r.x.toLowerCase(), r]),
  );
  db.close();
  const tb = await startBroker({ dbPath: path, mint: false });
  try {
    const alice = new Browser(tb.base);
    await alice.signUp('alice@example.com');
    await alice.addFunds('1');
    const fw = decodeFundsWithdrawn((await alice.buy(1)).text);
    assert.equal(fw.epoch.id, 'old');
    for (const [i, sb] of fw.sets[0]!.superbins.entries())
      for (const [subbin, x] of fw.sets[0]!.balls[i]!)
        assert.deepEqual(before.get(Buffer.from(x).toString('hex'))?.subbin, subbin, `superbin ${sb}`);
    const A = 'http://127.0.0.1:4701';
    const key = (await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'A' })).json.apiKey;
    const coins = coinsFor(fw, A);
    assert.ok(coins.length > 10);
    const { json } = await postJson(
      `${tb.base}/api/redeem`,
      { batchId: 'b1', coins: coins.map((c) => entry(fw, c, A)) },
      { authorization: `Bearer ${key}` },
    );
    assert.equal(json.credited, coins.length);
    assert.deepEqual(
      json.results.map((r: { coinId: string }) => r.coinId),
      coins.map(coinId),
    );
  } finally {
    await tb.stop();
  }
});
