/**
 * The redemption repositories (redemptions, refusals, vendors, earnings) on both stores: the same calls on a
 * SQLite file and on a PostgreSQL schema, each holding the same small minted epoch, give the same results,
 * and the results expected (order, numbers, Buffers, undefined). Real SQLite file, real PostgreSQL server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BALL_BYTES, type EpochParams } from '@micromint/shared';
import { openPostgresStore, type PostgresStore } from '../src/db/pg/store.ts';
import type { CreditedCoin, DoubleSpentCoin } from '../src/db/redemptions.ts';
import { openStore, type SqliteStore, type Store } from '../src/db/store.ts';
import { mintBalls, type MintedBalls } from '../src/index.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

const A = 'https://a.example';
const B = 'https://b.example';
const C = 'https://c.example';
const OWNER = 'u_00000000000000aa';
const T0 = '2026-05-01T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const hash = (n: number) => new Uint8Array(32).fill(n);

/** A small epoch (128 slots, about 60% filled: chunks with gaps), minted once and inserted into each store. */
async function mintSmall(id: string, fill: number): Promise<{ params: EpochParams; minted: MintedBalls }> {
  const shape = { t: 1, u: 4, v: 3, k: 2 };
  const key = new Uint8Array(32).fill(fill);
  const params: EpochParams = { id, key, ...shape, fixed: 1, expiresAt: '2100-01-01T00:00:00.000Z' };
  const minted = await mintBalls({ params, key, seed: new Uint8Array(16).fill(fill), hashes: 256, workers: 1 });
  return { params, minted };
}

type Epoch = Awaited<ReturnType<typeof mintSmall>>;

async function insertEpoch(store: Store, { params, minted }: Epoch): Promise<void> {
  const rec = {
    params,
    createdAt: T0,
    fill: 0.6,
    hashes: 256,
    ballsCounted: minted.ballsCounted,
    filledSlots: minted.slots.length,
    mintMs: 1,
    workers: 1,
    redeemBy: null,
  };
  await store.transaction(async () => store.epochs.insertEpoch(rec, minted.slots, minted.xs));
}

/** The coin id (hex of its first ball) of the i-th minted ball. */
const coinOf = (e: Epoch, i: number) => Buffer.from(e.minted.xs.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES)).toString('hex');

/** The error a call rejects with, as both stores must give it (the class and, for ours, the message). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof RangeError ? `RangeError: ${e.message}` : 'rejected';
  }
  return 'resolved';
}

describe('redemption repositories: SQLite and PostgreSQL give the same', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-store-redeem-'));
  const schemas = new PgSchemas();
  let sqlite: SqliteStore;
  let pg: PostgresStore;
  let stores: [Store, Store];
  let e1: Epoch;
  let e2: Epoch;

  /** Runs `fn` on each store, asserts both results deep-equal, and returns the result. */
  async function same<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    const a = await fn(stores[0]);
    const b = await fn(stores[1]);
    assert.deepEqual(b, a);
    return a;
  }

  before(async () => {
    sqlite = openStore(join(dir, 'broker.db'));
    pg = await openPostgresStore({ connectionString: pgUrl(), schema: schemas.fresh() });
    stores = [sqlite, pg];
    [e1, e2] = [await mintSmall('e1', 1), await mintSmall('e2', 2)];
    await same(async (s) => {
      await insertEpoch(s, e1);
      await insertEpoch(s, e2);
      await s.accounts.insertUser({ id: OWNER, email: 'owner@example.com', passwordHash: 'x', createdAt: T0 });
      await s.vendors.insert(B, 'B shop', hash(2), null, at(0));
      await s.vendors.insert(A, 'a shop', hash(1), OWNER, at(0));
      await s.vendors.insert(C, 'B shop', hash(3), OWNER, at(-1));
    });
  });
  after(async () => {
    await Promise.all([sqlite?.close(), pg?.close()]);
    await schemas.dropAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('vendors: lookups, order (byte order of names), disable and enable', async () => {
    const all = await same((s) => s.vendors.all());
    assert.deepEqual(
      all.map((v) => [v.name, v.id]),
      [
        ['B shop', B],
        ['B shop', C],
        ['a shop', A],
      ],
    );
    const a = await same((s) => s.vendors.byId(A));
    assert.deepEqual(a, {
      id: A,
      name: 'a shop',
      apiKeyHash: Buffer.from(hash(1)),
      ownerUserId: OWNER,
      disabled: false,
      disabledReason: null,
      disabledAt: null,
      enabledAt: null,
      createdAt: at(0),
    });
    assert.ok(Buffer.isBuffer(a!.apiKeyHash));
    assert.equal(await same((s) => s.vendors.byId('https://none.example')), undefined);
    assert.equal((await same((s) => s.vendors.byKeyHash(hash(2))))!.id, B);
    assert.equal(await same((s) => s.vendors.byKeyHash(hash(9))), undefined);
    assert.deepEqual(
      (await same((s) => s.vendors.ofOwner(OWNER))).map((v) => v.id),
      [C, A],
    );
    assert.deepEqual(await same((s) => s.vendors.ofOwner('u_00000000000000bb')), []);

    assert.deepEqual(
      await same(async (s) => [
        await s.vendors.disable(C, 'complaints', at(1)),
        await s.vendors.disable(C, 'again', at(2)),
        await s.vendors.byId(C),
      ]),
      [
        true,
        false,
        {
          id: C,
          name: 'B shop',
          apiKeyHash: Buffer.from(hash(3)),
          ownerUserId: OWNER,
          disabled: true,
          disabledReason: 'complaints',
          disabledAt: at(1),
          enabledAt: null,
          createdAt: at(-1),
        },
      ],
    );
    const enabled = await same(async (s) => [await s.vendors.enable(C, at(3)), await s.vendors.enable('https://none.example', at(3))]);
    assert.deepEqual(enabled, [true, false]);
    const c = (await same((s) => s.vendors.byId(C)))!;
    assert.deepEqual([c.disabled, c.disabledReason, c.disabledAt, c.enabledAt], [false, null, null, at(3)]);
  });

  test('stored batch answers, and pruning the refused ones, oldest first', async () => {
    await same(async (s) => {
      await s.vendors.insertBatch(B, 'ok-1', hash(7), '{"credited":3}', 3, 0, at(0));
      for (let i = 1; i <= 5; i++) await s.vendors.insertBatch(B, `refused-${i}`, hash(10 + i), `{"n":${i}}`, 0, 2, at(i));
      await s.vendors.insertBatch(B, 'ok-2', hash(8), '{"credited":1}', 1, 1, at(9));
      await s.vendors.insertBatch(A, 'refused-a', hash(9), '{}', 0, 1, at(0));
    });
    const batch = await same((s) => s.vendors.batch(B, 'refused-2'));
    assert.deepEqual(batch, { requestDigest: Buffer.from(hash(12)), answer: '{"n":2}' });
    assert.ok(Buffer.isBuffer(batch!.requestDigest));
    assert.equal(await same((s) => s.vendors.batch(B, 'none')), undefined);
    assert.equal(await same((s) => s.vendors.pruneRefusedBatches(B, 2)), 3);
    assert.equal(await same((s) => s.vendors.pruneRefusedBatches(B, 2)), 0);
    assert.equal(await same((s) => s.vendors.pruneRefusedBatches('https://none.example', 0)), 0);
    const left = await same(async (s) =>
      Promise.all(
        ['ok-1', 'refused-1', 'refused-3', 'refused-4', 'refused-5', 'ok-2', 'refused-a'].map((id) =>
          s.vendors.batch(id === 'refused-a' ? A : B, id),
        ),
      ),
    );
    assert.deepEqual(
      left.map((b) => b?.answer),
      ['{"credited":3}', undefined, undefined, '{"n":4}', '{"n":5}', '{"credited":1}', '{}'],
    );
    assert.equal(await same((s) => s.vendors.pruneRefusedBatches(A, 0)), 1);
  });

  test('credited coins: one row per coin, per user and per page; a coin credited once; a batch without a mint file refused', async () => {
    const n1 = e1.minted.slots.length;
    const coin = (e: Epoch, i: number, userId: string, url: string, paidAt = at(i)): CreditedCoin => ({
      epoch: e.params.id,
      slot: e.minted.slots[i]!,
      userId,
      url,
      paidAt,
    });
    // Every ball of e1 credited, over two vendors and three batches, some paid at times in other forms.
    const first = Array.from({ length: 20 }, (_, i) =>
      coin(e1, i, i % 3 ? 'u1' : 'u2', i === 19 ? `${A}/z-late` : `${A}/p${i % 4}`, i === 5 ? '2026-05-01T12:00:00+02:00' : at(i)),
    );
    const second = [...Array.from({ length: n1 - 30 }, (_, i) => coin(e1, 20 + i, 'u3', `${A}/p${i % 2}`)), coin(e2, 0, 'u1', `${A}/p9`)];
    const third = Array.from({ length: 10 }, (_, i) => coin(e1, n1 - 10 + i, 'u2', `${B}/x`));
    await same(async (s) => {
      await s.transaction(async () => s.redemptions.insertRedeemed({ vendorId: A, batchId: 'r1', at: at(10) }, first));
      await s.transaction(async () => s.redemptions.insertRedeemed({ vendorId: A, batchId: 'r2', at: at(5) }, second));
      await s.transaction(async () => s.redemptions.insertRedeemed({ vendorId: B, batchId: 'r3', at: at(20) }, third));
      await s.redemptions.insertRedeemed({ vendorId: B, batchId: 'empty', at: at(30) }, []);
    });
    const counts = await same(async (s) => [await s.vendors.counts(A), await s.vendors.counts(B), await s.vendors.totalRedeemed()]);
    assert.deepEqual(counts, [{ redeemed: n1 - 9, doubleSpends: 0 }, { redeemed: 10, doubleSpends: 0 }, n1 + 1]);
    const users = await same(async (s) => Promise.all(['u1', 'u2', 'u3', 'u4'].map((u) => s.vendors.redeemedOfUser(u))));
    assert.deepEqual(users, [13 + 1, 7 + 10, n1 - 30, 0]);

    // Every coin found from its id (every bit of every chunk), the vendor of its batch.
    const by = await same(async (s) => Promise.all(Array.from({ length: n1 }, (_, i) => s.vendors.redeemedBy('e1', coinOf(e1, i)))));
    assert.deepEqual(by, [...Array<string>(n1 - 10).fill(A), ...Array<string>(10).fill(B)]);
    assert.deepEqual(
      await same(async (s) => [
        await s.vendors.redeemedBy('e2', coinOf(e2, 0)),
        await s.vendors.redeemedBy('e2', coinOf(e2, 1)),
        await s.vendors.redeemedBy('e2', coinOf(e1, 0)),
        await s.vendors.redeemedBy('e1', coinOf(e1, 0).toUpperCase()),
        await s.vendors.redeemedBy('none', coinOf(e1, 0)),
        await s.vendors.redeemedBy('e1', 'not hex'),
      ]),
      [A, undefined, undefined, undefined, undefined, undefined],
    );

    // A coin credited again fails its whole batch; so does a coin of an epoch without a mint file.
    const again = [coin(e2, 1, 'u1', `${A}/new`), coin(e1, 3, 'u1', `${A}/p0`)];
    const noFile: CreditedCoin[] = [coin(e2, 2, 'u1', `${A}/new`), { ...coin(e2, 3, 'u1', `${A}/new`), epoch: 'nofile' }];
    const failures = await same(async (s) => [
      await failure(s.transaction(async () => s.redemptions.insertRedeemed({ vendorId: A, batchId: 'r4', at: at(40) }, again))),
      await failure(s.transaction(async () => s.redemptions.insertRedeemed({ vendorId: A, batchId: 'r5', at: at(40) }, noFile))),
    ]);
    assert.deepEqual(failures, ['rejected', 'RangeError: epoch nofile has no mint file: its coins cannot be recorded']);
    assert.deepEqual(await same(async (s) => [await s.vendors.counts(A), await s.vendors.redeemedBy('e2', coinOf(e2, 1))]), [
      { redeemed: n1 - 9, doubleSpends: 0 },
      undefined,
    ]);
    assert.equal(await same((s) => s.earnings.pageCount(A)), 6);

    // PostgreSQL keeps paidAt as milliseconds when canonical, else as sent.
    const paid = await pg.database.query<{ paid_ms: number | null; paid_text: string | null }>(
      `SELECT paid_ms, paid_text FROM redeemed r JOIN mint_files m ON r.slot_key = m.no::bigint * 536870912 + $1 WHERE m.epoch = 'e1' ORDER BY 1`,
      [e1.minted.slots[5]],
    );
    assert.deepEqual(paid, [{ paid_ms: null, paid_text: '2026-05-01T12:00:00+02:00' }]);
    const [{ ms } = { ms: 0 }] = await pg.database.query<{ ms: number }>(
      `SELECT paid_ms AS ms FROM redeemed r JOIN mint_files m ON r.slot_key = m.no::bigint * 536870912 + $1 WHERE m.epoch = 'e1'`,
      [e1.minted.slots[6]],
    );
    assert.equal(ms, Date.parse(at(6)));
  });

  test('earnings: pages by coins, then last paid, then URL; money per day', async () => {
    const pages = await same((s) => s.earnings.pageTotals(A, 10, 0));
    const rest = e1.minted.slots.length - 30;
    const expected = [
      { url: `${A}/p0`, coins: 5 + Math.ceil(rest / 2), lastPaidAt: at(10) },
      { url: `${A}/p1`, coins: 5 + Math.floor(rest / 2), lastPaidAt: at(10) },
      { url: `${A}/p2`, coins: 5, lastPaidAt: at(10) },
      { url: `${A}/p3`, coins: 4, lastPaidAt: at(10) },
      { url: `${A}/z-late`, coins: 1, lastPaidAt: at(10) },
      { url: `${A}/p9`, coins: 1, lastPaidAt: at(5) },
    ];
    // Most coins first; ties by the last payment, newest first, then by URL.
    assert.deepEqual(pages, expected);
    assert.equal(typeof pages[0]!.coins, 'number');
    assert.deepEqual(await same((s) => s.earnings.pageTotals(A, 2, 4)), pages.slice(4, 6));
    assert.deepEqual(await same((s) => s.earnings.pageTotals(B, 10, 0)), [{ url: `${B}/x`, coins: 10, lastPaidAt: at(20) }]);
    assert.deepEqual(await same((s) => s.earnings.pageTotals(C, 10, 0)), []);
    assert.equal(await same((s) => s.earnings.pageCount(C)), 0);

    await same(async (s) => {
      await s.accounts.post('vendor', C, 30, 'redemption', 'b1', 'r', '2026-05-01T23:59:59.000Z');
      await s.accounts.post('vendor', C, 12, 'clearing', 'b2', 'c', '2026-05-01T08:00:00.000Z');
      await s.accounts.post('vendor', C, 5, 'redemption', 'b3', 'r', '2026-05-03T00:00:00.000Z');
      await s.accounts.post('vendor', C, -4, 'redemption', 'b4', 'r', '2026-05-03T01:00:00.000Z');
      await s.accounts.post('vendor', C, 7, 'clearing', 'b5', 'c', '2026-05-04T01:00:00.000Z');
      await s.accounts.post('vendor', C, 99, 'redemption', 'b6', 'r', '2026-04-30T23:00:00.000Z');
      await s.accounts.post('vendor', A, 50, 'redemption', 'b7', 'r', '2026-05-02T00:00:00.000Z');
    });
    assert.deepEqual(await same((s) => s.earnings.daily(C, '2026-05-01T00:00:00.000Z')), [
      { day: '2026-05-01', coinsMills: 30, chainsMills: 12 },
      { day: '2026-05-03', coinsMills: 5, chainsMills: 0 },
      { day: '2026-05-04', coinsMills: 0, chainsMills: 7 },
    ]);
    assert.deepEqual(await same((s) => s.earnings.daily(B, '2026-01-01T00:00:00.000Z')), []);
  });

  test('double spends: one record per coin and vendor, attempts counted, who was paid first named', async () => {
    const ds = (e: Epoch, i: number, userId: string, reason: DoubleSpentCoin['reason'] = 'already-spent'): DoubleSpentCoin => ({
      epoch: e.params.id,
      coinId: coinOf(e, i),
      slot: e.minted.slots[i]!,
      userId,
      reason,
    });
    const n1 = e1.minted.slots.length;
    await same(async (s) => {
      // Spent at A (coin 0) and at B (the last): resent to C, the first twice in one batch; one never redeemed, returned.
      await s.redemptions.recordDoubleSpends({ vendorId: C, batchId: 'd1', at: at(50) }, [
        ds(e1, 0, 'u2'),
        ds(e2, 5, 'u1', 'returned'),
        ds(e1, 0, 'u9'),
        ds(e1, n1 - 1, 'u2'),
      ]);
      await s.redemptions.recordDoubleSpends({ vendorId: C, batchId: 'd2', at: at(51) }, [ds(e2, 5, 'u1', 'returned')]);
      await s.redemptions.recordDoubleSpends({ vendorId: A, batchId: 'd3', at: at(52) }, [ds(e1, 0, 'u2')]);
      await s.redemptions.recordDoubleSpends({ vendorId: A, batchId: 'none', at: at(53) }, []);
      await s.vendors.recordDoubleSpend({
        epoch: 'e1',
        coinId: coinOf(e1, 1),
        userId: 'u1',
        vendorId: B,
        firstVendorId: A,
        batchId: 'd4',
        reason: 'already-spent',
        createdAt: at(49),
      });
      await s.vendors.recordDoubleSpend({
        epoch: 'e1',
        coinId: coinOf(e1, 1),
        userId: 'u7',
        vendorId: B,
        firstVendorId: null,
        batchId: 'd5',
        reason: 'returned',
        createdAt: at(54),
      });
    });
    const recent = await same((s) => s.vendors.recentDoubleSpends(C));
    assert.deepEqual(recent, [
      {
        epoch: 'e2',
        coinId: coinOf(e2, 5),
        userId: 'u1',
        vendorId: C,
        firstVendorId: null,
        batchId: 'd1',
        reason: 'returned',
        createdAt: at(50),
        attempts: 2,
      },
      {
        epoch: 'e1',
        coinId: coinOf(e1, n1 - 1),
        userId: 'u2',
        vendorId: C,
        firstVendorId: B,
        batchId: 'd1',
        reason: 'already-spent',
        createdAt: at(50),
        attempts: 1,
      },
      {
        epoch: 'e1',
        coinId: coinOf(e1, 0),
        userId: 'u2',
        vendorId: C,
        firstVendorId: A,
        batchId: 'd1',
        reason: 'already-spent',
        createdAt: at(50),
        attempts: 2,
      },
    ]);
    assert.deepEqual(await same((s) => s.vendors.recentDoubleSpends(C, 1)), recent.slice(0, 1));
    assert.deepEqual(await same((s) => s.vendors.recentDoubleSpends(B)), [
      {
        epoch: 'e1',
        coinId: coinOf(e1, 1),
        userId: 'u1',
        vendorId: B,
        firstVendorId: A,
        batchId: 'd4',
        reason: 'already-spent',
        createdAt: at(49),
        attempts: 2,
      },
    ]);
    assert.deepEqual(
      await same(async (s) => [
        await s.vendors.counts(C),
        (await s.vendors.counts(A)).doubleSpends,
        await s.vendors.totalDoubleSpends(),
        await s.vendors.doubleSpendsOfUser('u2'),
        await s.vendors.doubleSpendsOfUser('u9'),
      ]),
      [{ redeemed: 0, doubleSpends: 5 }, 1, 8, 4, 0],
    );
  });

  test('refusals: counters per day and reason, the newest kept in full', async () => {
    const rec = (i: number, vendorId = A) => ({
      vendorId,
      batchId: `b${i}`,
      epoch: 'e1',
      userId: 'u1',
      coinId: i % 2 ? coinOf(e1, i) : null,
      coin: `coin-${i}`,
      url: `${vendorId}/p`,
      reason: i % 3 ? 'forged' : 'bad-epoch',
      createdAt: at(i),
    });
    await same(async (s) => {
      for (let i = 0; i < 7; i++) await s.refusals.insertRejected(rec(i));
      await s.refusals.insertRejected(rec(9, B));
      await s.refusals.count(A, '2026-05-01', 'forged', 3);
      await s.refusals.count(A, '2026-05-02', 'forged', 1);
      await s.refusals.count(A, '2026-05-01', 'forged', 2);
      await s.refusals.count(A, '2026-05-01', 'bad-epoch', 6);
      await s.refusals.count(A, '2026-05-01', 'Zeta', 1);
      await s.refusals.count(A, '2026-05-01', 'alpha', 1);
      await s.refusals.count(B, '2026-05-01', 'expired', 4);
    });
    assert.deepEqual(
      await same(async (s) => [await s.refusals.total(A), await s.refusals.total(B), await s.refusals.total(C)]),
      [14, 4, 0],
    );
    assert.deepEqual(await same((s) => s.refusals.byReason(A)), [
      { reason: 'bad-epoch', count: 6 },
      { reason: 'forged', count: 6 },
      { reason: 'Zeta', count: 1 },
      { reason: 'alpha', count: 1 },
    ]);
    assert.deepEqual(await same((s) => s.refusals.byReason(C)), []);
    assert.equal(await same((s) => s.refusals.kept(A)), 7);
    const recent = await same((s) => s.refusals.recent(A));
    assert.deepEqual(
      recent,
      [6, 5, 4, 3, 2, 1, 0].map((i) => rec(i)),
    );
    assert.deepEqual(await same((s) => s.refusals.recent(A, 2)), recent.slice(0, 2));
    assert.equal(await same((s) => s.refusals.prune(A, 3)), 4);
    assert.equal(await same((s) => s.refusals.prune(A, 3)), 0);
    assert.deepEqual(await same((s) => s.refusals.recent(A)), recent.slice(0, 3));
    assert.deepEqual(await same(async (s) => [await s.refusals.kept(A), await s.refusals.kept(B)]), [3, 1]);
    assert.equal(await same((s) => s.refusals.prune(B, 0)), 1);
  });
});
