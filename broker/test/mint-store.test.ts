/**
 * The compact mint database (db/ball-chunks.ts, db/mint-store.ts) on real SQLite files (or the PostgreSQL
 * store's epochs repository, with MICROMINT_BROKER_STORE=postgres; the `balls` view is SQLite's): every minted ball
 * comes back from every way of reading it, in shapes where a chunk of 32 slots holds several superbins
 * (v = 3, 4), exactly one (v = 5) or part of one (v = 6, 8); statuses move as the thesis has them; the
 * layout's arithmetic against plain loops.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BALL_BYTES, slotOfBall, type EpochParams } from '@micromint/shared';
import {
  bitOf,
  chunkRanges,
  popcount32,
  sameBall,
  statusAt,
  superbinChunks,
  withStatus,
  type BallStatus,
  type ChunkFlags,
} from '../src/db/ball-chunks.ts';
import type { Store } from '../src/db/store.ts';
import { mintBalls, type MintedBalls } from '../src/index.ts';
import { openTestStore, sqliteOf, testStoreOptions } from './helpers.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function freshStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-mintstore-'));
  dirs.push(dir);
  return openTestStore(testStoreOptions(dir));
}

/** Mints `shape` with a fixed key and seed into `store` as epoch `id`; returns the balls minted. */
async function mintInto(store: Store, id: string, shape: { t: number; u: number; v: number; k: number }, hashes: number) {
  const key = new Uint8Array(32).fill(id.charCodeAt(0) + shape.v);
  const params: EpochParams = { id, key, ...shape, fixed: 1, expiresAt: '2100-01-01T00:00:00.000Z' };
  const minted = await mintBalls({ params, key, seed: new Uint8Array(16).fill(id.charCodeAt(0) + shape.u), hashes, workers: 1 });
  const rec = {
    params,
    createdAt: '2026-01-01T00:00:00.000Z',
    fill: 0.9,
    hashes,
    ballsCounted: minted.ballsCounted,
    filledSlots: minted.slots.length,
    mintMs: 1,
    workers: 1,
    redeemBy: null,
  };
  await store.transaction(() => store.epochs.insertEpoch(rec, minted.slots, minted.xs));
  return { params, minted };
}

const ballOf = (m: MintedBalls, i: number) => m.xs.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** The rows of the SQLite view `balls` (PostgreSQL has no such view). */
const viewRows = (store: Store, epoch: string) =>
  sqliteOf(store).db.prepare('SELECT superbin, subbin, x, status FROM balls WHERE epoch = ? ORDER BY superbin, subbin').all(epoch) as {
    superbin: number;
    subbin: number;
    x: Buffer;
    status: BallStatus;
  }[];

describe('every ball round-trips, whatever the shape', () => {
  const shapes = [
    { t: 2, u: 6, v: 3, k: 2 },
    { t: 2, u: 5, v: 4, k: 2 },
    { t: 2, u: 5, v: 5, k: 3 },
    { t: 3, u: 5, v: 6, k: 4 },
    { t: 1, u: 3, v: 8, k: 2 },
  ];
  for (const shape of shapes) {
    test(`u = ${shape.u}, v = ${shape.v}: ballAt, ballsIn, countIn, lookup and the balls view give every ball and no other`, async () => {
      const store = await freshStore();
      // About 60% of the slots filled: many chunks with gaps, some full or empty.
      const { params: p, minted } = await mintInto(store, 'e', shape, Math.ceil(2 ** (shape.t + shape.u + shape.v)));
      const V = 2 ** p.v;
      const bySlot = new Map<number, Uint8Array>();
      minted.slots.forEach((slot, i) => bySlot.set(slot, ballOf(minted, i)));
      assert.ok(bySlot.size > 0.4 * 2 ** (p.u + p.v) && bySlot.size < 2 ** (p.u + p.v), `${bySlot.size} balls`);
      for (let slot = 0; slot < 2 ** (p.u + p.v); slot++) {
        const got = await store.epochs.ballAt('e', Math.floor(slot / V), slot % V);
        const want = bySlot.get(slot);
        if (!want) assert.equal(got, undefined, `slot ${slot} is empty`);
        else assert.deepEqual([hex(got!.x), got!.status], [hex(want), 'exists'], `slot ${slot}`);
      }
      for (let sb = 0; sb < 2 ** p.u; sb++) {
        const want = [...bySlot].filter(([s]) => Math.floor(s / V) === sb).map(([s, x]) => [s % V, hex(x)]);
        assert.deepEqual(
          (await store.epochs.ballsIn('e', sb)).map((b) => [b.subbin, hex(b.x)]),
          want,
        );
        assert.equal(await store.epochs.countIn('e', sb), want.length);
      }
      const all = [...Array(2 ** (p.u + p.v)).keys()];
      const look = await store.epochs.lookup('e', all);
      for (const slot of all) {
        const want = bySlot.get(slot);
        assert.equal(look.statusOf(slot, want ?? new Uint8Array(16), 0), want ? 'exists' : undefined);
        if (want) {
          const wrong = want.slice();
          wrong[15]! ^= 1;
          assert.equal(look.statusOf(slot, wrong, 0), undefined, 'a ball differing in its last bit is not the minted ball');
        }
      }
      if (store.kind === 'sqlite') {
        const rows = viewRows(store, 'e');
        assert.equal(rows.length, bySlot.size);
        for (const r of rows) {
          assert.equal(hex(r.x), hex(bySlot.get(r.superbin * V + r.subbin)!));
          const s = slotOfBall(p, new Uint8Array(r.x));
          assert.deepEqual([s.fixedOk, s.superbin, s.subbin], [true, r.superbin, r.subbin]);
        }
        assert.equal(
          sqliteOf(store).db.prepare('SELECT count(*) FROM mint_flags').pluck().get(),
          0,
          'no status row before a status is set',
        );
      }
      assert.deepEqual(await store.epochs.countByStatus('e'), { exists: bySlot.size, sold: 0, redeemed: 0, returned: 0, compromised: 0 });
      await store.close();
    });
  }

  test('two epochs keep apart; an unknown epoch holds nothing', async () => {
    const store = await freshStore();
    const a = await mintInto(store, 'a', { t: 2, u: 4, v: 4, k: 2 }, 1024);
    const b = await mintInto(store, 'b', { t: 2, u: 4, v: 4, k: 2 }, 1024);
    const s = a.minted.slots[0]!;
    assert.equal(hex((await store.epochs.ballAt('a', s >> 4, s & 15))!.x), hex(ballOf(a.minted, 0)));
    assert.notEqual(hex(ballOf(a.minted, 0)), hex(ballOf(b.minted, b.minted.slots.indexOf(s))));
    assert.equal(await store.epochs.ballAt('nope', 0, 0), undefined);
    assert.equal(await store.epochs.countIn('nope', 0), 0);
    assert.deepEqual(await store.epochs.ballsIn('nope', 0), []);
    assert.equal((await store.epochs.lookup('nope', [s])).statusOf(s, ballOf(a.minted, 0), 0), undefined);
    const count = async (epoch: string) => {
      let n = 0;
      for (let sb = 0; sb < 2 ** 4; sb++) n += await store.epochs.countIn(epoch, sb);
      return n;
    };
    assert.deepEqual([await count('a'), await count('b')], [a.minted.slots.length, b.minted.slots.length]);
    if (store.kind === 'sqlite')
      assert.deepEqual([viewRows(store, 'a').length, viewRows(store, 'b').length], [a.minted.slots.length, b.minted.slots.length]);
    await store.close();
  });
});

describe('statuses move as the thesis has them', () => {
  test('a sale flags the superbin sold and nothing beside it; redemptions, returns and compromise follow', async () => {
    const store = await freshStore();
    // v = 3: one chunk of 32 slots holds 4 superbins, so a sale must flag only its own 8 slots.
    const { params: p, minted } = await mintInto(store, 'e', { t: 2, u: 6, v: 3, k: 2 }, 4096);
    const V = 2 ** p.v;
    const statusAtSlot = async (slot: number) => (await store.epochs.ballAt('e', Math.floor(slot / V), slot % V))?.status;
    const slotsOf = (sb: number) => [...minted.slots].filter((s) => Math.floor(s / V) === sb);
    const [one, two] = [5, 6].map(slotsOf) as [number[], number[]];
    assert.ok(one.length >= 3 && two.length >= 1);
    await store.transaction(() => store.epochs.sellSuperbin('e', 5));
    for (const s of minted.slots) assert.equal(await statusAtSlot(s), one.includes(s) ? 'sold' : 'exists', `slot ${s}`);
    // Selling again changes nothing; a superbin without balls sells without a flags row.
    await store.transaction(() => store.epochs.sellSuperbin('e', 5));
    assert.equal((await store.epochs.countByStatus('e')).sold, one.length);

    await store.transaction(() => store.epochs.redeemAll('e', [one[0]!, one[1]!]));
    await store.transaction(() => store.epochs.setStatus('e', 5, one[2]! % V, 'returned'));
    await store.transaction(() => store.epochs.setStatus('e', 6, two[0]! % V, 'compromised'));
    assert.deepEqual(await Promise.all(one.slice(0, 3).map(statusAtSlot)), ['redeemed', 'redeemed', 'returned']);
    assert.equal(await statusAtSlot(two[0]!), 'compromised');
    const counts = await store.epochs.countByStatus('e');
    assert.deepEqual(counts, {
      exists: minted.slots.length - one.length - 1,
      sold: one.length - 3,
      redeemed: 2,
      returned: 1,
      compromised: 1,
    });
    // SQLite's view reads the same statuses.
    if (store.kind === 'sqlite') {
      const view = new Map(viewRows(store, 'e').map((r) => [r.superbin * V + r.subbin, r.status]));
      for (const s of minted.slots) assert.equal(view.get(s), await statusAtSlot(s));
    }
    // A compromised ball stays compromised when sold; setting a status on an empty slot does nothing.
    await store.transaction(() => store.epochs.sellSuperbin('e', 6));
    assert.equal(await statusAtSlot(two[0]!), 'compromised');
    const empty = [...Array(2 ** (p.u + p.v)).keys()].find((s) => !minted.slots.includes(s))!;
    await store.transaction(() => store.epochs.setStatus('e', Math.floor(empty / V), empty % V, 'sold'));
    assert.equal(await statusAtSlot(empty), undefined);
    // Back to exists clears every flag but compromise.
    await store.transaction(() => store.epochs.setStatus('e', 5, one[0]! % V, 'exists'));
    assert.equal(await statusAtSlot(one[0]!), 'exists');
    await store.close();
  });

  test('redeemAll marks many slots of many chunks in one call, the lookup sees them', async () => {
    const store = await freshStore();
    const { params: p, minted } = await mintInto(store, 'e', { t: 2, u: 4, v: 6, k: 2 }, 3000);
    for (let sb = 0; sb < 2 ** p.u; sb++) await store.transaction(() => store.epochs.sellSuperbin('e', sb));
    const chosen = [...minted.slots].filter((_, i) => i % 3 === 0);
    await store.transaction(() => store.epochs.redeemAll('e', chosen));
    const look = await store.epochs.lookup('e', [...minted.slots]);
    minted.slots.forEach((s, i) => assert.equal(look.statusOf(s, minted.xs, i * BALL_BYTES), i % 3 === 0 ? 'redeemed' : 'sold'));
    await store.close();
  });
});

describe('the layout', () => {
  test('popcount32 counts bits of any 32-bit value, signed or not', () => {
    const naive = (x: number) => [...(x >>> 0).toString(2)].filter((c) => c === '1').length;
    for (const x of [0, 1, -1, 0x7fffffff, -0x80000000, 0x55555555, 0xaaaaaaaa | 0, 12345678, -987654321])
      assert.equal(popcount32(x), naive(x));
    for (let i = 0; i < 1000; i++) {
      const x = (Math.random() * 2 ** 32) | 0;
      assert.equal(popcount32(x), naive(x));
    }
  });

  test('chunkRanges cuts sorted slots into chunks of 32 and refuses unsorted ones', () => {
    assert.deepEqual(chunkRanges(Uint32Array.of(0, 3, 31, 32, 95)), [
      { chunk: 0, present: (1 << 0) | (1 << 3) | (1 << 31), from: 0, to: 3 },
      { chunk: 1, present: 1, from: 3, to: 4 },
      { chunk: 2, present: 1 << 31, from: 4, to: 5 },
    ]);
    assert.deepEqual(chunkRanges(new Uint32Array(0)), []);
    assert.throws(() => chunkRanges(Uint32Array.of(4, 3)), RangeError);
    assert.throws(() => chunkRanges(Uint32Array.of(4, 4)), RangeError);
  });

  test('superbinChunks: the chunks of a superbin and its slots in them', () => {
    assert.deepEqual(superbinChunks(3, 5), { first: 1, last: 1, mask: 0xff << 8 });
    assert.deepEqual(superbinChunks(4, 1), { first: 0, last: 0, mask: 0xffff0000 | 0 });
    assert.deepEqual(superbinChunks(5, 7), { first: 7, last: 7, mask: -1 });
    assert.deepEqual(superbinChunks(8, 2), { first: 16, last: 23, mask: -1 });
  });

  test('a status is the highest flag; withStatus replaces a status, adds compromise', () => {
    const none: ChunkFlags = { sold: 0, redeemed: 0, returned: 0, compromised: 0 };
    const b = bitOf(33);
    assert.equal(b, 2);
    const order: BallStatus[] = ['exists', 'sold', 'redeemed', 'returned', 'compromised'];
    for (const s of order) assert.equal(statusAt(withStatus(none, b, s), b), s);
    const redeemed = withStatus(withStatus(none, b, 'sold'), b, 'redeemed');
    assert.deepEqual(redeemed, { sold: b, redeemed: b, returned: 0, compromised: 0 });
    assert.deepEqual(withStatus(redeemed, b, 'compromised'), { ...redeemed, compromised: b });
    assert.equal(statusAt(withStatus(redeemed, 1, 'returned'), b), 'redeemed', 'another slot is left alone');
  });

  test('sameBall compares 16 bytes at any offsets, and nothing out of range', () => {
    const a = Uint8Array.from({ length: 48 }, (_, i) => i);
    const b = Uint8Array.from({ length: 20 }, (_, i) => i + 16 - 2);
    assert.ok(sameBall(a, 16, b, 2));
    assert.ok(!sameBall(a, 15, b, 2));
    assert.ok(!sameBall(a, 40, b, 2), 'past the end of a');
    assert.ok(!sameBall(a, -1, b, 0));
    assert.ok(!sameBall(a, 16, b, 5), 'past the end of b');
  });
});
