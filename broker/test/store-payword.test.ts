/**
 * The PostgreSQL chains and complaints repositories give what the SQLite ones give: every method runs on a
 * SQLite store and on a PostgreSQL store with the same data, and both answers are compared with each other
 * and with the expected value (shapes, order, numbers, Uint8Arrays, undefined, booleans).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ChainRecord, ClearingRecord } from '../src/db/chains.ts';
import { openPostgresStore, type PostgresStore } from '../src/db/pg/store.ts';
import { openStore, type SqliteStore, type Store } from '../src/db/store.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

const schemas = new PgSchemas();
const dir = mkdtempSync(join(tmpdir(), 'mm-store-payword-'));
let stores: [SqliteStore, PostgresStore];

const U1 = 'u_000000000000000b';
const U2 = 'u_000000000000000a';
const U3 = 'u_000000000000000c';
const V1 = 'vendor-one';
const V2 = 'vendor-two';
const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-02T00:00:00.000Z';
const T2 = '2030-01-03T00:00:00.000Z';
const T3 = '2030-01-04T00:00:00.000Z';

/** Runs `call` on both stores; both answers must be deep-equal, and the SQLite one is returned. */
async function both<T>(call: (s: Store) => Promise<T>): Promise<T> {
  const [a, b] = [await call(stores[0]), await call(stores[1])];
  assert.deepStrictEqual(b, a, 'PostgreSQL differs from SQLite');
  return a;
}

/** Writes on both stores, each in a transaction of its own. */
const write = <T>(call: (s: Store) => Promise<T>): Promise<T> => both((s) => s.transaction(() => call(s)));

/** Bytes of `n` copies of `b`. */
const bytes = (n: number, b: number) => new Uint8Array(n).fill(b);

/** A chain as inserted (cleared at 0 with its root). */
function chain(id: string, userId: string, vendorId: string, clearBy: number, createdAt: string, links = 10, valueMills = 3) {
  return {
    id: id.repeat(32).slice(0, 32),
    commitment: bytes(100, id.charCodeAt(0)),
    userId,
    vendorId,
    links,
    valueMills,
    expiresAt: clearBy - 10,
    clearBy,
    heldMills: links * valueMills,
    authorization: bytes(64, 1),
    walletKey: bytes(32, 2),
    clearedLink: bytes(32, 3),
    createdAt,
  };
}

type Inserted = ReturnType<typeof chain>;
/** What byId gives for an inserted chain, with `change` applied. */
const record = (c: Inserted, change: Partial<ChainRecord> = {}): ChainRecord => ({
  ...c,
  clearedIndex: 0,
  status: 'held',
  releasedMills: null,
  releasedAt: null,
  ...change,
});

/** Records coins redeemed for `vendorId` in one batch: coins per payer (the tables the complaint rule reads). */
async function redeemed(vendorId: string, batchId: string, at: string, payers: [string, number][]): Promise<void> {
  const coins = payers.reduce((n, [, c]) => n + c, 0);
  const [sqlite, postgres] = stores;
  await sqlite.transaction(async () => {
    const id = sqlite.db
      .prepare('INSERT INTO redeemed_batches (vendor_id, batch_id, coins, redeemed_at) VALUES (?, ?, ?, ?) RETURNING id')
      .pluck()
      .get(vendorId, batchId, coins, at);
    for (const [userId, n] of payers)
      sqlite.db.prepare('INSERT INTO redeemed_payers (batch, user_id, coins) VALUES (?, ?, ?)').run(id, userId, n);
  });
  await postgres.transaction(async () => {
    const q = postgres.database.query;
    const [{ id }] = (await q<{ id: number }>(
      'INSERT INTO redeemed_batches (vendor_id, batch_id, coins, redeemed_at) VALUES ($1, $2, $3, $4) RETURNING id',
      [vendorId, batchId, coins, at],
    )) as [{ id: number }];
    for (const [userId, n] of payers) await q('INSERT INTO redeemed_payers (batch, user_id, coins) VALUES ($1, $2, $3)', [id, userId, n]);
  });
}

before(async () => {
  stores = [openStore(join(dir, 'broker.db')), await openPostgresStore({ connectionString: pgUrl(), schema: schemas.fresh() })];
  await write(async (s) => {
    for (const [i, id] of [U1, U2, U3].entries())
      await s.accounts.insertUser({ id, email: `reader${i}@example.com`, passwordHash: 'x', createdAt: T0 });
    await s.vendors.insert(V1, 'One', bytes(32, 11), U1, T0);
    await s.vendors.insert(V2, 'Two', bytes(32, 12), null, T0);
  });
});

after(async () => {
  for (const s of stores ?? []) await s.close();
  await schemas.dropAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('chains', () => {
  // c2 is inserted after c1 with the same instant, a smaller id and a smaller clear_by; c3 ties with c2 on
  // clear_by, but its id sorts first: rows of a tie come in the order they were inserted, on both databases.
  const c1 = chain('f', U1, V1, 100, T1);
  const c2 = chain('e', U1, V1, 50, T1, 20, 2);
  const c3 = chain('0', U2, V2, 50, T0);
  const c4 = chain('a', U1, V2, 200, T2);

  test('insert and byId', async () => {
    await write(async (s) => {
      for (const c of [c1, c2, c3, c4]) await s.chains.insert(c);
    });
    const got = await both((s) => s.chains.byId(c1.id));
    assert.deepStrictEqual(got, record(c1));
    assert.equal(Object.getPrototypeOf(got!.commitment), Uint8Array.prototype);
    assert.equal(await both((s) => s.chains.byId('9'.repeat(32))), undefined);
  });

  test('setCleared moves c up only, and only on a held chain', async () => {
    const link = (b: number) => bytes(32, b);
    assert.equal(await write((s) => s.chains.setCleared(c1.id, 3, link(30))), true);
    assert.equal(await write((s) => s.chains.setCleared(c1.id, 3, link(31))), false);
    assert.equal(await write((s) => s.chains.setCleared(c1.id, 2, link(32))), false);
    assert.equal(await write((s) => s.chains.setCleared(c1.id, 5, link(50))), true);
    assert.equal(await write((s) => s.chains.setCleared(c2.id, 1, link(10))), true);
    assert.equal(await write((s) => s.chains.setCleared('9'.repeat(32), 1, link(10))), false);
    assert.deepStrictEqual(await both((s) => s.chains.byId(c1.id)), record(c1, { clearedIndex: 5, clearedLink: link(50) }));
  });

  test('due: held chains whose clearing closed, by clear_by then insertion, of one user when asked', async () => {
    const ids = async (call: (s: Store) => Promise<ChainRecord[]>) => (await both(call)).map((c) => c.id);
    assert.deepStrictEqual(await ids((s) => s.chains.due(60, 10)), [c2.id, c3.id]);
    assert.deepStrictEqual(await ids((s) => s.chains.due(60, 1)), [c2.id]);
    assert.deepStrictEqual(await ids((s) => s.chains.due(50, 10)), []);
    assert.deepStrictEqual(await ids((s) => s.chains.due(1000, 10, U1)), [c2.id, c1.id, c4.id]);
    assert.deepStrictEqual(await ids((s) => s.chains.due(1000, 2, U1)), [c2.id, c1.id]);
    assert.deepStrictEqual(await ids((s) => s.chains.due(60, 10, U2)), [c3.id]);
    assert.deepStrictEqual(await ids((s) => s.chains.due(60, 10, U3)), []);
  });

  test('release once; a released chain is neither due nor cleared', async () => {
    assert.equal(await write((s) => s.chains.release(c2.id, 38, T3)), true);
    assert.equal(await write((s) => s.chains.release(c2.id, 38, T3)), false);
    assert.equal(await write((s) => s.chains.release('9'.repeat(32), 1, T3)), false);
    assert.equal(await write((s) => s.chains.setCleared(c2.id, 2, bytes(32, 9))), false);
    const released = record(c2, { clearedIndex: 1, clearedLink: bytes(32, 10), status: 'released', releasedMills: 38, releasedAt: T3 });
    assert.deepStrictEqual(await both((s) => s.chains.byId(c2.id)), released);
    assert.deepStrictEqual(
      (await both((s) => s.chains.due(60, 10))).map((c) => c.id),
      [c3.id],
    );
  });

  test('ofUser: newest first, ties in reverse insertion order; countHeldOfUser', async () => {
    const all = await both((s) => s.chains.ofUser(U1));
    assert.deepStrictEqual(
      all.map((c) => c.id),
      [c4.id, c2.id, c1.id],
    );
    assert.deepStrictEqual(all[2], record(c1, { clearedIndex: 5, clearedLink: bytes(32, 50) }));
    assert.deepStrictEqual(
      (await both((s) => s.chains.ofUser(U1, 2))).map((c) => c.id),
      [c4.id, c2.id],
    );
    assert.deepStrictEqual(await both((s) => s.chains.ofUser(U3)), []);
    assert.equal(await both((s) => s.chains.countHeldOfUser(U1)), 2);
    assert.equal(await both((s) => s.chains.countHeldOfUser(U3)), 0);
  });

  test('vendorTotals: chains with a link cleared, their links and mills', async () => {
    assert.deepStrictEqual(await both((s) => s.chains.vendorTotals(V1)), { chains: 2, links: 6, mills: 5 * 3 + 1 * 2 });
    assert.deepStrictEqual(await both((s) => s.chains.vendorTotals(V2)), { chains: 0, links: 0, mills: 0 });
  });

  test('insertClearing and recentClearings, newest first', async () => {
    const clearings: ClearingRecord[] = [
      { chainId: c1.id, vendorId: V1, userId: U1, batchId: 'b1', fromIndex: 0, toIndex: 3, paidMills: 9, createdAt: T1 },
      { chainId: c1.id, vendorId: V1, userId: U1, batchId: 'b2', fromIndex: 3, toIndex: 5, paidMills: 6, createdAt: T2 },
      { chainId: c2.id, vendorId: V1, userId: U1, batchId: 'b2', fromIndex: 0, toIndex: 1, paidMills: 2, createdAt: T2 },
      { chainId: c3.id, vendorId: V2, userId: U2, batchId: 'b3', fromIndex: 0, toIndex: 4, paidMills: 12, createdAt: T2 },
    ];
    await write(async (s) => {
      for (const c of clearings) await s.chains.insertClearing(c);
    });
    assert.deepStrictEqual(await both((s) => s.chains.recentClearings(V1)), [clearings[2], clearings[1], clearings[0]]);
    assert.deepStrictEqual(await both((s) => s.chains.recentClearings(V1, 1)), [clearings[2]]);
    assert.deepStrictEqual(await both((s) => s.chains.recentClearings(V2)), [clearings[3]]);
    assert.deepStrictEqual(await both((s) => s.chains.recentClearings('nobody')), []);
  });
});

describe('complaints', () => {
  // Clearings of the chains tests are in: V1 was paid 9 (T1) + 6 + 2 (T2) by U1; V2 12 (T2) by U2.
  test('insert gives increasing ids; anySince', async () => {
    assert.equal(await both((s) => s.complaints.anySince(V1, T0)), false);
    const ids = await write(async (s) => [
      await s.complaints.insert(U3, V1, 'too old to count', T0),
      await s.complaints.insert(U1, V1, 'slow', T2),
      await s.complaints.insert(U2, V1, 'broken', T1),
      await s.complaints.insert(U1, V1, 'again', T1),
      await s.complaints.insert(U1, V2, 'other shop', T2),
    ]);
    assert.deepStrictEqual(ids, [1, 2, 3, 4, 5]);
    assert.equal(await both((s) => s.complaints.anySince(V1, T2)), true);
    assert.equal(await both((s) => s.complaints.anySince(V1, T3)), false);
    assert.equal(await both((s) => s.complaints.anySince('nobody', T0)), false);
  });

  test('complainers: each once, by first complaint in the window, with coins and clearings paid since', async () => {
    await redeemed(V1, 'r1', T0, [[U1, 100]]);
    await redeemed(V1, 'r2', T2, [
      [U1, 4],
      [U2, 7],
    ]);
    await redeemed(V2, 'r3', T2, [[U2, 50]]);
    // U1's first complaint of the window (T1) comes after U2's (T1, inserted before it).
    assert.deepStrictEqual(await both((s) => s.complaints.complainers(V1, T1, T1)), [
      { userId: U2, mills: 7 },
      { userId: U1, mills: 4 + 9 + 6 + 2 },
    ]);
    assert.deepStrictEqual(await both((s) => s.complaints.complainers(V1, T0, T2)), [
      { userId: U3, mills: 0 },
      { userId: U2, mills: 7 },
      { userId: U1, mills: 4 + 6 + 2 },
    ]);
    assert.deepStrictEqual(await both((s) => s.complaints.complainers(V1, T0, T0)).then((r) => r[2]), {
      userId: U1,
      mills: 100 + 4 + 9 + 6 + 2,
    });
    assert.deepStrictEqual(await both((s) => s.complaints.complainers(V2, T2, T0)), [{ userId: U1, mills: 0 }]);
    assert.deepStrictEqual(await both((s) => s.complaints.complainers(V1, T3, T0)), []);
  });

  test('takings: distinct paying customers and mills, coins and chains', async () => {
    assert.deepStrictEqual(await both((s) => s.complaints.takings(V1, T0)), { customers: 2, mills: 100 + 4 + 7 + 9 + 6 + 2 });
    assert.deepStrictEqual(await both((s) => s.complaints.takings(V1, T2)), { customers: 2, mills: 4 + 7 + 6 + 2 });
    assert.deepStrictEqual(await both((s) => s.complaints.takings(V2, T0)), { customers: 1, mills: 50 + 12 });
    assert.deepStrictEqual(await both((s) => s.complaints.takings(V2, T3)), { customers: 0, mills: 0 });
  });

  test('countOfUserSince and ofUser, newest id first', async () => {
    assert.equal(await both((s) => s.complaints.countOfUserSince(U1, T1)), 3);
    assert.equal(await both((s) => s.complaints.countOfUserSince(U1, T2)), 2);
    assert.equal(await both((s) => s.complaints.countOfUserSince(U3, T1)), 0);
    assert.deepStrictEqual(await both((s) => s.complaints.ofUser(U1)), [
      { id: 5, userId: U1, vendorId: V2, text: 'other shop', createdAt: T2 },
      { id: 4, userId: U1, vendorId: V1, text: 'again', createdAt: T1 },
      { id: 2, userId: U1, vendorId: V1, text: 'slow', createdAt: T2 },
    ]);
    assert.deepStrictEqual(
      (await both((s) => s.complaints.ofUser(U1, 1))).map((c) => c.id),
      [5],
    );
    assert.deepStrictEqual(await both((s) => s.complaints.ofUser('u_0000000000000009')), []);
  });
});
