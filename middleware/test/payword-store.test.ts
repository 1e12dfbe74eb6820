/**
 * The payword bookkeeping: the ledger rule (ranges, gaps, the highest link) on its own, and what
 * only the SQLite store has (a restart, the migration from the schema before chains). The contract
 * every store keeps is in store-contract.test.ts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashForward } from '@micromint/shared';
import { admitRange, MAX_GAPS, releaseRange, SqliteVendorStore, type ChainLedger } from '../src/index.ts';
import { MIGRATIONS } from '../src/sqlite-schema.ts';
import { tempDir } from './harness.ts';
import { chainPayment, testChain } from './store-fixtures.ts';

const tmp = tempDir();
after(() => tmp.cleanup());

describe('the chain ledger (one rule for every store)', () => {
  const ch = testChain(40);
  const fresh = (): ChainLedger => ({ highestIndex: 0, highestLink: ch.c.root, gaps: [] });
  const admit = (l: ChainLedger, first: number, last: number, link = ch.link(last)) => admitRange(l, ch.c.salt, { first, last, link });
  const ok = (r: ReturnType<typeof admit>): ChainLedger => {
    assert.ok(!('reason' in r), JSON.stringify(r));
    return r as ChainLedger;
  };

  it('takes a range above the highest index, leaving the skipped indices as a gap, and fills the gap later', () => {
    let l = ok(admit(fresh(), 4, 5));
    assert.deepEqual([l.highestIndex, l.gaps], [5, [[1, 3]]]);
    assert.deepEqual(l.highestLink, ch.link(5));
    l = ok(admit(l, 2, 2)); // a range below M arriving late, checked by hashing w_M down to it
    assert.deepEqual(
      [l.highestIndex, l.gaps],
      [
        5,
        [
          [1, 1],
          [3, 3],
        ],
      ],
    );
    assert.deepEqual(l.highestLink, ch.link(5), 'a late range does not move the highest link');
    l = ok(admit(l, 1, 1));
    l = ok(admit(l, 3, 3));
    assert.deepEqual(l.gaps, []);
    assert.deepEqual(admit(l, 5, 6), { reason: 'already-spent' }, 'overlaps the top');
    assert.deepEqual(admit(l, 2, 2), { reason: 'already-spent' }, 'claimed below');
  });

  it('refuses a link that is not the chain\u2019s at that index, above or below the highest one', () => {
    const l = ok(admit(fresh(), 3, 3));
    assert.deepEqual(admit(l, 4, 4, ch.link(5)), { reason: 'bad-link' });
    assert.deepEqual(admit(l, 1, 1, ch.link(2)), { reason: 'bad-link' });
    assert.deepEqual(admit(l, 6, 7, new Uint8Array(32)), { reason: 'bad-link' });
  });

  it(`allows at most ${MAX_GAPS} gaps below the highest index`, () => {
    let l = fresh();
    for (let g = 0; g < MAX_GAPS; g++) l = ok(admit(l, 2 * g + 2, 2 * g + 2)); // 1, 3, 5, ... stay unpaid
    assert.equal(l.gaps.length, MAX_GAPS);
    assert.deepEqual(admit(l, 2 * MAX_GAPS + 2, 2 * MAX_GAPS + 2), { reason: 'too-many-gaps' });
    assert.ok(!('reason' in admit(l, 2 * MAX_GAPS + 1, 2 * MAX_GAPS + 1)), 'the next index leaves no new gap');
    assert.ok(!('reason' in admit(l, 1, 1)), 'filling a gap is always possible');
  });

  it('gives back a range: below the top it is a gap again; at the top M goes down to the last claimed index', () => {
    let l = ok(admit(fresh(), 1, 2));
    l = ok(admit(l, 3, 4));
    l = ok(admit(l, 5, 6));
    const mid = releaseRange(l, ch.c.salt, [3, 4], 0)!;
    assert.deepEqual([mid.highestIndex, mid.gaps], [6, [[3, 4]]]);
    const top = releaseRange(mid, ch.c.salt, [5, 6], 0)!;
    assert.deepEqual([top.highestIndex, top.gaps], [2, []], 'the freed gap 3..4 merges into the top and goes with it');
    assert.deepEqual(top.highestLink, ch.link(2));
    assert.deepEqual(top.highestLink, hashForward(ch.c.salt, ch.link(6), 4));
    assert.equal(releaseRange(l, ch.c.salt, [3, 4], 4), undefined, 'at or below what the broker cleared: it stays');
    assert.equal(releaseRange(l, ch.c.salt, [5, 6], 5), undefined, 'partly cleared: it stays');
  });
});

describe('SqliteVendorStore: payword on disk', () => {
  it('a chain recorded before a restart is known after it, with its gaps and highest link', async () => {
    const file = join(tmp.dir, 'pw-restart.db');
    const ch = testChain();
    let s = new SqliteVendorStore(file);
    await s.recordPaywordPayment(chainPayment(ch, 4, 1));
    await s.close();
    s = new SqliteVendorStore(file);
    assert.equal((await s.paywordChain(ch.c.chainId))?.highestIndex, 4);
    assert.equal(
      (await s.recordPaywordPayment(chainPayment(ch, 2, 2))).status,
      'recorded',
      'a late range below M, checked against the kept w_4',
    );
    assert.equal((await s.recordPaywordPayment(chainPayment(ch, 1, 1, { link: ch.link(2) }))).status, 'refused');
    await s.close();
  });

  it('a version-2 database (before chains) is migrated with its payments kept', async () => {
    const file = join(tmp.dir, 'pw-v2.db');
    const old = new Database(file);
    for (const m of MIGRATIONS.slice(0, 2)) old.exec(m as string);
    old.pragma('user_version = 2');
    old
      .prepare(`INSERT INTO refusals (at, epoch, user_id, method, url, reason, coin_ids) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run('2030-01-01T00:00:00.000Z', 'e1', 'u', 'GET', 'http://x/a', 'already-spent', '["ab"]');
    old.close();
    const s = new SqliteVendorStore(file);
    assert.equal(s.db.pragma('user_version', { simple: true }), SqliteVendorStore.schemaVersion);
    assert.equal((await s.stats()).refusals, 1);
    assert.equal(s.db.prepare(`SELECT scheme FROM refusals`).pluck().get(), 'micromint');
    assert.equal((await s.recordPaywordPayment(chainPayment(testChain(), 1, 1))).status, 'recorded');
    await s.close();
  });
});
