import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PARAMETER_SETS, slotOfBall } from '@micromint/shared';
import { openStore, type Store } from '../src/db/store.ts';
import { MIGRATIONS } from '../src/db/migrations.ts';
import {
  ballOfCounter,
  ballsOfCounters,
  estimateCoins,
  hashBudget,
  measureMint,
  mintBalls,
  mintEpoch,
  type MintSummary,
} from '../src/index.ts';
import { openTestStore, testStoreOptions } from './helpers.ts';

const p = PARAMETER_SETS.test;
const slots = 2 ** (p.u + p.v);

describe('CoinMint', () => {
  let dir: string;
  let store: Store;
  let summary: MintSummary;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mm-mint-'));
    store = await openTestStore(testStoreOptions(dir, { name: 'mint.db' }));
    summary = await mintEpoch({ store, params: p, epochId: 'e1', workers: 2 });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the hash budget is ceil(-ln(1-f) * 2^(u+v) * 2^t)', () => {
    assert.equal(hashBudget(p, 0.9), Math.ceil(-Math.log(0.1) * slots * 2 ** p.t));
    assert.equal(summary.hashes, hashBudget(p, 0.9));
    assert.throws(() => hashBudget(p, 1), RangeError);
    assert.throws(() => hashBudget(p, 0), RangeError);
  });

  test('statistics are sane: about 90% of the slots filled, one ball per 2^t hashes counted', () => {
    assert.equal(summary.slots, slots);
    // Standard deviation of the filled fraction is about 0.0023 here: 0.02 is a wide margin.
    assert.ok(Math.abs(summary.filledFraction - 0.9) < 0.02, `filled ${summary.filledFraction}`);
    const expectedCounted = summary.hashes / 2 ** p.t;
    assert.ok(Math.abs(summary.ballsCounted / expectedCounted - 1) < 0.05, `counted ${summary.ballsCounted} vs ${expectedCounted}`);
    assert.ok(summary.ballsCounted >= summary.filledSlots);
    assert.ok(summary.hashesPerSecond > 0);
    assert.equal(summary.sets, 2 ** p.u / p.k);
  });

  test('the database holds every filled slot, each ball hashing into its own slot', async () => {
    const rec = (await store.epochs.get('e1'))!;
    assert.equal(rec.filledSlots, summary.filledSlots);
    const rows = [];
    for (let superbin = 0; superbin < 2 ** p.u; superbin++) rows.push(...(await store.epochs.ballsIn('e1', superbin)));
    assert.equal(rows.length, summary.filledSlots);
    for (const r of rows.slice(0, 500)) {
      const slot = slotOfBall(rec.params, new Uint8Array(r.x));
      assert.ok(slot.fixedOk);
      assert.deepEqual([slot.superbin, slot.subbin], [r.superbin, r.subbin]);
      assert.equal(r.status, 'exists');
    }
    assert.deepEqual(await store.epochs.countByStatus('e1'), {
      exists: summary.filledSlots,
      sold: 0,
      redeemed: 0,
      returned: 0,
      compromised: 0,
    });
    assert.ok(await store.epochs.current(new Date()));
  });

  test('the result does not depend on the number of threads, and keeps the smallest counter per slot', async () => {
    const key = new Uint8Array(32).fill(9);
    const seed = new Uint8Array(16).fill(3);
    const shape = { ...p, fixed: 5 };
    const hashes = 200_000;
    const one = await mintBalls({ params: shape, key, seed, hashes, workers: 1 });
    const three = await mintBalls({ params: shape, key, seed, hashes, workers: 3 });
    assert.deepEqual(three.slots, one.slots);
    assert.deepEqual(three.xs, one.xs);
    assert.equal(three.ballsCounted, one.ballsCounted);
    // Ball x_c = AES_seed(c): find the counter of the first slot's ball; no smaller counter reaches that slot.
    const params = { id: 'x', key, ...shape, expiresAt: '2100-01-01T00:00:00Z' };
    const slot0 = one.slots[0]!;
    const all = ballsOfCounters(
      seed,
      Array.from({ length: hashes }, (_, c) => c),
    );
    const first = one.xs.subarray(0, 16);
    let counter = -1;
    for (let c = 0; c < hashes && counter < 0; c++) if (Buffer.from(all.subarray(c * 16, c * 16 + 16)).equals(first)) counter = c;
    assert.ok(counter >= 0);
    for (let c = 0; c <= counter; c++) {
      const s = slotOfBall(params, all.subarray(c * 16, c * 16 + 16));
      const here = s.fixedOk && s.superbin * 2 ** p.v + s.subbin === slot0;
      assert.equal(here, c === counter, `counter ${c}`);
    }
    assert.deepEqual(ballOfCounter(seed, counter), first);
    // Another seed gives other balls in the same slots: copies of the broker's run are told apart.
    const other = await mintBalls({ params: shape, key, seed: new Uint8Array(16).fill(4), hashes: 50_000, workers: 1 });
    const mine = new Set(
      Array.from({ length: one.slots.length }, (_, i) => Buffer.from(one.xs.subarray(i * 16, i * 16 + 16)).toString('hex')),
    );
    for (let i = 0; i < other.slots.length; i++) assert.ok(!mine.has(Buffer.from(other.xs.subarray(i * 16, i * 16 + 16)).toString('hex')));
  });

  test('a second epoch gets its own id and key; an existing id is refused', async () => {
    const again = await mintEpoch({ store, params: p, workers: 1, fill: 0.5 });
    assert.notEqual(again.epoch.id, 'e1');
    assert.notDeepEqual(again.epoch.key, (await store.epochs.get('e1'))!.params.key);
    assert.ok(Math.abs(again.filledFraction - 0.5) < 0.03);
    await assert.rejects(mintEpoch({ store, params: p, epochId: 'e1' }), RangeError);
    await assert.rejects(mintEpoch({ store, params: { ...p, u: 20, v: 10 } }), RangeError);
  });

  test('expected coins follow 2^v * f^k per set (demo: about 43,000 at one vendor)', () => {
    const demo = estimateCoins(PARAMETER_SETS.demo, 0.9);
    assert.ok(Math.abs(demo.vendorCoins - 43_000) < 500);
    assert.equal(demo.sets, 256);
  });

  test('measureMint reports hashes per second on one and on all threads', async () => {
    const speed = await measureMint({ params: p, workers: 2, hashes: 100_000 });
    assert.ok(speed.singleCore > 10_000, `single ${speed.singleCore}`);
    assert.ok(speed.allCores > 10_000, `all ${speed.allCores}`);
    assert.equal(speed.workers, 2);
    assert.ok(speed.kernel === 'native' || speed.kernel === 'js');
  });
});

describe('storage', () => {
  test('WAL, synchronous FULL, foreign keys, and versioned migrations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-db-'));
    try {
      const path = join(dir, 'a.db');
      const store = openStore(path);
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
      assert.throws(
        () => store.db.prepare("INSERT INTO sessions VALUES (zeroblob(32), 'u_0000000000000000', 'c', 'a', 'b')").run(),
        /FOREIGN KEY/,
      );
      store.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      await store.close();
      assert.throws(() => openStore(path), /newer than this broker/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
