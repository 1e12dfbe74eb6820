/**
 * The mint's repositories (epochs and their balls, sets and withdrawals, returns) on both stores: every call
 * runs on a SQLite store and on a PostgreSQL store, and gives the same result on both, and the result
 * expected from the balls minted. `mintEpoch` writes an epoch into either store.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BALL_BYTES, PARAMETER_SETS, slotOfBall, type EpochParams } from '@micromint/shared';
import type { EpochRecord } from '../src/db/epochs.ts';
import { openPostgresStore } from '../src/db/pg/store.ts';
import { openStore, type Store } from '../src/db/store.ts';
import { mintBalls, mintEpoch, type MintedBalls, type MintSummary } from '../src/index.ts';
import { PgSchemas, pgUrl } from './postgres.ts';

const schemas = new PgSchemas();
let dir: string;
/** The SQLite store, then the PostgreSQL store. */
let stores: Store[];
const alice = 'u_00000000000000a1';
const bob = 'u_00000000000000b0';
const FAR = '2100-01-01T00:00:00.000Z';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mm-store-mint-'));
  stores = [openStore(join(dir, 'broker.db')), await openPostgresStore({ connectionString: pgUrl(), schema: schemas.fresh() })];
  for (const s of stores)
    for (const id of [alice, bob]) await s.accounts.insertUser({ id, email: `${id}@example.org`, passwordHash: 'x', createdAt: FAR });
});
after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await schemas.dropAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `call` on the SQLite store, then on the PostgreSQL store; asserts both results are equal, returns it. */
async function both<T>(call: (s: Store) => Promise<T>): Promise<T> {
  const sqlite = await call(stores[0]!);
  const postgres = await call(stores[1]!);
  assert.deepStrictEqual(postgres, sqlite);
  return sqlite;
}

/** Asserts `call` is refused on both stores. */
async function refusedOnBoth(call: (s: Store) => Promise<unknown>, error: typeof Error = Error) {
  for (const s of stores) await assert.rejects(call(s), error);
}

const record = (params: EpochParams, createdAt: string, minted: { slots: Uint32Array; hashes: number }): EpochRecord => ({
  params,
  createdAt,
  fill: 0.9,
  hashes: minted.hashes,
  ballsCounted: minted.slots.length + 3,
  filledSlots: minted.slots.length,
  mintMs: 12,
  workers: 1,
  redeemBy: null,
});

/** Inserts the same epoch into both stores, as the minter does (one transaction). */
async function insertBoth(rec: EpochRecord, m: { slots: Uint32Array; xs: Uint8Array }) {
  await both((s) => s.transaction(() => s.epochs.insertEpoch(rec, m.slots, m.xs)));
}

const ballOf = (m: { xs: Uint8Array }, i: number) => m.xs.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES);

describe('epochs minted into either store', () => {
  const p = PARAMETER_SETS.test;
  const key = new Uint8Array(32).fill(4);
  const ballSeed = new Uint8Array(16).fill(6);
  const now = new Date('2031-05-06T07:08:09.000Z');
  const same = (m: MintSummary) => ({ ...m, ms: 0, storeMs: 0, hashesPerSecond: 0 });

  test('mintEpoch writes the same epoch and balls through either store; a taken id is refused', async () => {
    const summary = await both(async (store) =>
      same(await mintEpoch({ store, params: p, epochId: 'm1', key, ballSeed, fixed: 3, workers: 1, now })),
    );
    const rec = await both(async (s) => ({ ...(await s.epochs.get('m1'))!, mintMs: 0 }));
    assert.deepEqual(rec.params, summary.epoch);
    assert.equal(rec.filledSlots, summary.filledSlots);
    let total = 0;
    for (let sb = 0; sb < 2 ** p.u; sb++) {
      const balls = await both((s) => s.epochs.ballsIn('m1', sb));
      for (const b of balls) assert.deepEqual(slotOfBall(rec.params, b.x), { fixedOk: true, superbin: sb, subbin: b.subbin });
      assert.equal(await both((s) => s.epochs.countIn('m1', sb)), balls.length);
      total += balls.length;
    }
    assert.equal(total, summary.filledSlots);
    assert.deepEqual(await both((s) => s.epochs.countByStatus('m1')), { exists: total, sold: 0, redeemed: 0, returned: 0, compromised: 0 });
    await refusedOnBoth((store) => mintEpoch({ store, params: p, epochId: 'm1', workers: 1 }), RangeError);
  });

  test('without an id, an epoch is named after its month, then .2, .3 ...', async () => {
    const small = { t: 1, u: 4, v: 3, k: 2 };
    for (const id of ['2031-05', '2031-05.2'])
      assert.equal(
        (await both(async (store) => same(await mintEpoch({ store, params: small, key, ballSeed, fixed: 1, workers: 1, now })))).epoch.id,
        id,
      );
  });
});

describe('the balls and their statuses', () => {
  // v = 3: a chunk of 32 slots holds 4 superbins, so a status must reach its own slots only.
  const shape = { t: 2, u: 6, v: 3, k: 2 };
  const key = new Uint8Array(32).fill(9);
  const params: EpochParams = { id: 'e3', key, ...shape, fixed: 1, expiresAt: '2099-01-01T00:00:00.000Z' };
  let minted: MintedBalls;
  const V = 2 ** shape.v;
  const statuses = (slots: readonly number[]) =>
    both(async (s) => Promise.all(slots.map(async (slot) => (await s.epochs.ballAt('e3', slot >> 3, slot & 7))?.status)));

  before(async () => {
    minted = await mintBalls({ params, key, seed: new Uint8Array(16).fill(2), hashes: 4096, workers: 1 });
    await insertBoth(record(params, '2026-01-01T00:00:00.000Z', minted), minted);
  });

  test('every slot gives its ball or nothing, by ballAt, ballsIn, countIn and lookup', async () => {
    const bySlot = new Map([...minted.slots].map((slot, i) => [slot, Buffer.from(ballOf(minted, i))]));
    const all = [...Array(2 ** (shape.u + shape.v)).keys()];
    const got = await both(async (s) => Promise.all(all.map((slot) => s.epochs.ballAt('e3', Math.floor(slot / V), slot % V))));
    assert.deepEqual(
      got.map((b) => b && [b.x, b.status]),
      all.map((slot) => (bySlot.has(slot) ? [bySlot.get(slot), 'exists'] : undefined)),
    );
    for (const sb of [0, 5, 63]) {
      const want = [...bySlot]
        .filter(([slot]) => slot >> 3 === sb)
        .map(([slot, x]) => ({ superbin: sb, subbin: slot & 7, x, status: 'exists' }));
      assert.deepEqual(await both((s) => s.epochs.ballsIn('e3', sb)), want);
      assert.equal(await both((s) => s.epochs.countIn('e3', sb)), want.length);
    }
    const wrong = (x: Uint8Array) => x.map((b, i) => (i === 15 ? b ^ 1 : b));
    const looked = await both(async (s) => {
      const look = await s.epochs.lookup('e3', [...all, ...all]);
      return all.flatMap((slot) => {
        const x = bySlot.get(slot) ?? new Uint8Array(16);
        return [look.statusOf(slot, x, 0), look.statusOf(slot, wrong(x), 0)];
      });
    });
    assert.deepEqual(
      looked,
      all.flatMap((slot) => [bySlot.has(slot) ? 'exists' : undefined, undefined]),
    );
    assert.equal(await both(async (s) => (await s.epochs.lookup('e3', [])).statusOf(minted.slots[0]!, minted.xs, 0)), undefined);
  });

  test('sales, redemptions, returns and compromise move the statuses, bit 31 of a chunk too', async () => {
    const high = [...minted.slots].find((slot) => slot % 32 === 31 && minted.slots.filter((s) => s >> 3 === slot >> 3).length >= 4)!;
    assert.ok(high !== undefined, 'a superbin holds the last slot of a chunk');
    const sb = high >> 3;
    const mine = [...minted.slots].filter((slot) => slot >> 3 === sb);
    const next = [...minted.slots].filter((slot) => slot >> 3 === (sb + 1) % 2 ** shape.u);
    assert.ok(next.length > 0, 'the next superbin holds a ball');
    const rest = [...minted.slots].filter((slot) => !mine.includes(slot));
    for (let i = 0; i < 2; i++) await both((s) => s.transaction(() => s.epochs.sellSuperbin('e3', sb)));
    assert.deepEqual(
      await statuses(mine),
      mine.map(() => 'sold'),
    );
    assert.deepEqual(
      await statuses(rest),
      rest.map(() => 'exists'),
    );

    const [a, b, c] = mine.filter((slot) => slot !== high) as [number, number, number];
    await both((s) => s.transaction(() => s.epochs.redeemAll('e3', [high, a, high])));
    await both((s) => s.epochs.setStatus('e3', sb, b & 7, 'returned'));
    await both((s) => s.epochs.setStatus('e3', next[0]! >> 3, next[0]! & 7, 'compromised'));
    await both((s) => s.epochs.setStatus('e3', sb, c & 7, 'compromised'));
    assert.deepEqual(await statuses([high, a, b, c, next[0]!]), ['redeemed', 'redeemed', 'returned', 'compromised', 'compromised']);
    assert.deepEqual(await both((s) => s.epochs.countByStatus('e3')), {
      exists: minted.slots.length - mine.length - 1,
      sold: mine.length - 4,
      redeemed: 2,
      returned: 1,
      compromised: 2,
    });
    // The lookup reads the same statuses; back to exists clears every flag; an empty slot takes none.
    const look = await both(async (s) => {
      const l = await s.epochs.lookup('e3', [...minted.slots]);
      return [...minted.slots].map((slot, i) => l.statusOf(slot, minted.xs, i * BALL_BYTES));
    });
    assert.deepEqual(look, await statuses([...minted.slots]));
    await both((s) => s.epochs.setStatus('e3', sb, high & 7, 'exists'));
    await both((s) => s.epochs.setStatus('e3', sb, c & 7, 'sold'));
    const empty = [...Array(2 ** (shape.u + shape.v)).keys()].find((slot) => !minted.slots.includes(slot))!;
    await both((s) => s.epochs.setStatus('e3', empty >> 3, empty & 7, 'sold'));
    assert.deepEqual(await statuses([high, c, empty]), ['exists', 'sold', undefined]);
  });

  test('an unknown epoch holds nothing, and its status calls change nothing', async () => {
    assert.deepEqual(
      await both(async (s) => [
        await s.epochs.ballAt('nope', 0, 0),
        await s.epochs.ballsIn('nope', 0),
        await s.epochs.countIn('nope', 0),
        (await s.epochs.lookup('nope', [0, 1])).statusOf(0, new Uint8Array(16), 0),
        await s.epochs.setStatus('nope', 0, 0, 'sold'),
        await s.epochs.redeemAll('nope', [0]),
        await s.epochs.sellSuperbin('nope', 0),
        await s.epochs.countByStatus('nope'),
      ]),
      [undefined, [], 0, undefined, undefined, undefined, undefined, { exists: 0, sold: 0, redeemed: 0, returned: 0, compromised: 0 }],
    );
  });
});

describe('a large epoch', () => {
  test('goes in by many chunk statements, every ball found again; PostgreSQL keeps it in about 20 bytes a ball', async (t) => {
    // 2^20 slots, 3 in 5 filled (32,768 chunks: several INSERTs on PostgreSQL); the balls are random bytes.
    const params: EpochParams = { id: 'big', key: new Uint8Array(32).fill(1), t: 1, u: 12, v: 8, k: 2, fixed: 0, expiresAt: FAR };
    const slots = Uint32Array.from({ length: 2 ** 20 }, (_, i) => i).filter((i) => i % 5 < 3);
    const m = { slots, xs: new Uint8Array(randomBytes(slots.length * BALL_BYTES)), hashes: 2 ** 21 };
    await insertBoth(record(params, '2026-02-01T00:00:00.000Z', m), m);
    assert.deepEqual(await both((s) => s.epochs.countByStatus('big')), {
      exists: slots.length,
      sold: 0,
      redeemed: 0,
      returned: 0,
      compromised: 0,
    });
    const last = slots.length - 1;
    assert.deepEqual(await both((s) => s.epochs.ballAt('big', 0, 3)), undefined);
    assert.deepEqual(await both((s) => s.epochs.ballAt('big', 0, 2)), { x: Buffer.from(ballOf(m, 2)), status: 'exists' });
    const x = await both(async (s) => (await s.epochs.ballAt('big', slots[last]! >> 8, slots[last]! & 255))!.x);
    assert.deepEqual(x, Buffer.from(ballOf(m, last)));
    const balls = await both((s) => s.epochs.ballsIn('big', 4000));
    assert.deepEqual(
      balls.map((b) => b.x),
      [...slots.keys()].filter((i) => slots[i]! >> 8 === 4000).map((i) => Buffer.from(ballOf(m, i))),
    );
    const pg = stores[1]! as Awaited<ReturnType<typeof openPostgresStore>>;
    const [size] = await pg.database.query<{ bytes: number; balls: number }>(
      `SELECT pg_total_relation_size('mint_balls') AS bytes, (SELECT sum(bit_count(present::bit(32))) FROM mint_balls) AS balls`,
    );
    const perBall = size!.bytes / size!.balls;
    t.diagnostic(`PostgreSQL mint_balls with its index: ${size!.bytes} bytes for ${size!.balls} balls, ${perBall.toFixed(1)} bytes a ball`);
    assert.ok(perBall < 24, `${perBall} bytes a ball`);
  });
});

describe('epoch rows', () => {
  const params = (id: string, expiresAt: string): EpochParams => ({
    id,
    key: new Uint8Array(32).fill(8),
    t: 1,
    u: 4,
    v: 3,
    k: 2,
    fixed: 0,
    expiresAt,
  });
  const none = { slots: new Uint32Array(0), xs: new Uint8Array(0), hashes: 1 };

  test('get, exists, current and all; equal creation times keep the order of insertion', async () => {
    // Newer than every other epoch of this file.
    const at = '2040-01-01T00:00:00.000Z';
    await insertBoth(record(params('r1', '2040-03-01T00:00:00.000Z'), at, none), none);
    await insertBoth(record(params('r2', '2040-02-01T00:00:00.000Z'), at, none), none);
    await insertBoth(record(params('r0', '2040-06-01T00:00:00.000Z'), '2039-12-01T00:00:00.000Z', none), none);
    assert.deepEqual(await both((s) => s.epochs.get('r1')), record(params('r1', '2040-03-01T00:00:00.000Z'), at, none));
    assert.deepEqual(await both(async (s) => [await s.epochs.get('nope'), await s.epochs.exists('r2'), await s.epochs.exists('nope')]), [
      undefined,
      true,
      false,
    ]);
    const ids = (rs: EpochRecord[]) => rs.map((r) => r.params.id);
    // Other epochs of this file were minted for real: their mintMs differ between the stores.
    const all = await both(async (s) => ids(await s.epochs.all()));
    assert.deepEqual(all.slice(0, 3), ['r2', 'r1', 'r0']);
    assert.equal(all.length, new Set(all).size);
    const current = async (now: string) => (await both((s) => s.epochs.current(new Date(now))))?.params.id;
    assert.equal(await current('2040-01-15T00:00:00.000Z'), 'r2');
    assert.equal(await current('2040-02-15T00:00:00.000Z'), 'r1');
    assert.equal(await current('2040-04-01T00:00:00.000Z'), 'r0');
    assert.equal(await current('2101-01-01T00:00:00.000Z'), undefined);
  });

  test('an epoch inserted in a transaction that fails leaves nothing', async () => {
    const m = { slots: Uint32Array.of(1, 40), xs: new Uint8Array(32).fill(5), hashes: 9 };
    const rec = record(params('gone', FAR), FAR, m);
    for (const s of stores)
      await assert.rejects(
        s.transaction(async () => {
          await s.epochs.insertEpoch(rec, m.slots, m.xs);
          throw new Error('stop');
        }),
        /stop/,
      );
    assert.deepEqual(await both(async (s) => [await s.epochs.exists('gone'), await s.epochs.ballAt('gone', 0, 1)]), [false, undefined]);
    await insertBoth(rec, m);
    assert.deepEqual(await both(async (s) => (await s.epochs.ballAt('gone', 5, 0))?.x), Buffer.alloc(16, 5));
    const bad = record(params('bad', FAR), FAR, m);
    await refusedOnBoth((s) => s.transaction(() => s.epochs.insertEpoch(bad, Uint32Array.of(3), new Uint8Array(15))), RangeError);
    assert.equal(await both((s) => s.epochs.exists('bad')), false);
  });

  test('pinRedeemBy keeps the first deadline written; an unknown epoch is refused', async () => {
    assert.equal(await both((s) => s.epochs.pinRedeemBy('r1', '2030-03-08T00:00:00.000Z')), '2030-03-08T00:00:00.000Z');
    assert.equal(await both((s) => s.epochs.pinRedeemBy('r1', '2030-03-02T00:00:00.000Z')), '2030-03-08T00:00:00.000Z');
    assert.equal((await both((s) => s.epochs.get('r1')))!.redeemBy, '2030-03-08T00:00:00.000Z');
    await refusedOnBoth((s) => s.epochs.pinRedeemBy('nope', FAR), RangeError);
  });
});

describe('sets, withdrawals and returns', () => {
  const at = '2030-01-02T00:00:00.000Z';
  const set = (withdrawalId: string, userId: string, superbins: number[]) => ({
    withdrawalId,
    userId,
    epoch: 'r1',
    firstSuperbin: superbins[0]!,
    superbins,
    coins: 7,
    priceMills: 42,
    createdAt: at,
  });

  test('sets claim their superbins; an overlapping set writes nothing', async () => {
    await both(async (s) => {
      await s.sets.insertWithdrawal('w1', alice, 'r1', at);
      await s.sets.insertWithdrawal('w2', alice, 'r1', at);
      await s.sets.insertWithdrawal('w3', bob, 'r1', '2030-01-01T00:00:00.000Z');
    });
    assert.deepEqual(await both((s) => s.transaction(() => s.sets.insertSet(set('w1', alice, [3, 9, 1])))), 1);
    assert.deepEqual(await both((s) => s.transaction(() => s.sets.insertSet(set('w1', alice, [4, 5])))), 2);
    assert.deepEqual(await both((s) => s.transaction(() => s.sets.insertSet(set('w3', bob, [8])))), 3);
    await refusedOnBoth((s) => s.transaction(() => s.sets.insertSet(set('w2', alice, [7, 9]))));
    await both((s) => s.sets.finishWithdrawal('w1', 14, 84));
    await both((s) => s.sets.finishWithdrawal('w3', 7, 42));
    assert.deepEqual(await both((s) => s.sets.soldSuperbins('r1')), new Set([1, 3, 4, 5, 8, 9]));
    assert.deepEqual(await both((s) => s.sets.soldSuperbins('nope')), new Set());
    assert.deepEqual(
      await both(async (s) => [await s.sets.countSets(), await s.sets.countSetsInEpoch('r1'), await s.sets.countSetsInEpoch('r2')]),
      [3, 3, 0],
    );
  });

  test('owners, sets and withdrawals read back', async () => {
    assert.deepEqual(await both((s) => s.sets.superbinOwner('r1', 9)), { setId: 1, position: 1, userId: alice });
    assert.equal(await both((s) => s.sets.superbinOwner('r1', 7)), undefined);
    assert.deepEqual(
      await both((s) => s.sets.ownersOf('r1', [5, 7, 8, 5])),
      new Map([
        [5, { setId: 2, position: 1, userId: alice }],
        [8, { setId: 3, position: 0, userId: bob }],
      ]),
    );
    assert.deepEqual(await both((s) => s.sets.ownersOf('r1', [])), new Map());
    assert.deepEqual(await both((s) => s.sets.setById(1)), { id: 1, ...set('w1', alice, [3, 9, 1]) });
    assert.equal(await both((s) => s.sets.setById(99)), undefined);
    assert.deepEqual(
      (await both((s) => s.sets.setsOfWithdrawal('w1'))).map((r) => r.id),
      [1, 2],
    );
    assert.deepEqual(await both((s) => s.sets.setsOfUser(bob, 'r1')), [{ id: 3, ...set('w3', bob, [8]) }]);
    assert.deepEqual(await both((s) => s.sets.setsOfUser(bob, 'r2')), []);
    const w1 = { id: 'w1', userId: alice, epoch: 'r1', coins: 14, priceMills: 84, createdAt: at, setIds: [1, 2] };
    const w2 = { id: 'w2', userId: alice, epoch: 'r1', coins: 0, priceMills: 0, createdAt: at, setIds: [] };
    assert.deepEqual(await both((s) => s.sets.withdrawal('w1')), w1);
    assert.equal(await both((s) => s.sets.withdrawal('nope')), undefined);
    assert.deepEqual(await both((s) => s.sets.withdrawalsOfUser(alice)), [w2, w1]);
    assert.deepEqual(await both((s) => s.sets.withdrawalsOfUser(alice, 1)), [w2]);
    assert.deepEqual(
      await both(async (s) => [
        await s.sets.coinsBought(alice),
        await s.sets.coinsBought(bob),
        await s.sets.coinsBought('u_0000000000000000'),
      ]),
      [14, 7, 0],
    );
  });

  test('returned balls are recorded once, by slot', async () => {
    await both((s) => s.credits.insert('r1', 3, 5, alice, 1, at));
    await both((s) => s.credits.insert('r1', 3, 6, alice, 1, at));
    await refusedOnBoth((s) => s.credits.insert('r1', 3, 5, bob, 1, at));
    assert.deepEqual(await both(async (s) => [await s.credits.returnedBy('r1', 3, 5), await s.credits.returnedBy('r1', 3, 7)]), [
      alice,
      undefined,
    ]);
    assert.deepEqual(await both(async (s) => [await s.credits.countOfUser(alice), await s.credits.countOfUser(bob)]), [2, 0]);
  });
});
