/**
 * The payword bookkeeping: the ledger rule (ranges, gaps, the highest link) on its own, then the
 * same contract for both stores (record, retry, refusals, take-back, clearing batches, keys), and
 * the SQLite migration from the schema before chains.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildChain, chainIdOf, encodeCommitment, hashForward, linkAt, type BuiltChain } from '@micromint/shared';
import {
  admitRange,
  MAX_GAPS,
  MemoryVendorStore,
  releaseRange,
  SqliteVendorStore,
  type ChainLedger,
  type NewChain,
  type NewPaywordPayment,
  type PaywordStore,
  type VendorStore,
} from '../src/index.ts';
import { tempDir } from './harness.ts';

const tmp = tempDir();
after(() => tmp.cleanup());

/** A chain of `length` links, its commitment, and its links. */
function chain(length = 64): { c: NewChain; built: BuiltChain; link: (i: number) => Uint8Array } {
  const salt = new Uint8Array(randomBytes(16));
  const built = buildChain(new Uint8Array(randomBytes(32)), salt, length);
  const fields = {
    broker: 'http://127.0.0.1:4000',
    userId: 'u_0000000000000001',
    vendorId: 'http://127.0.0.1:4001',
    vendorKey: new Uint8Array(32).fill(9),
    walletKey: new Uint8Array(32).fill(7),
    root: built.root,
    salt,
    length,
    value: 2,
    expiresAt: 2_000_000_000,
  };
  const commitment = encodeCommitment(fields);
  const c: NewChain = {
    chainId: chainIdOf(commitment),
    commitment,
    userId: fields.userId,
    length,
    value: 2,
    expiresAt: fields.expiresAt,
    root: built.root,
    salt,
  };
  return { c, built, link: (i) => linkAt(salt, built.checkpoints, i) };
}

let n = 0;
const mac = () => new Uint8Array(randomBytes(32));
/** A payment of the range `index - units + 1 .. index` of `ch`. */
function payment(ch: ReturnType<typeof chain>, index: number, units: number, patch: Partial<NewPaywordPayment> = {}): NewPaywordPayment {
  return {
    id: `pay_pw${++n}`,
    chain: ch.c,
    index,
    units,
    link: ch.link(index),
    method: 'GET',
    url: `http://127.0.0.1:4001/a${index}`,
    mac: mac(),
    paidAt: '2030-01-01T00:00:00.000Z',
    ...patch,
  };
}

describe('the chain ledger (one rule for both stores)', () => {
  const ch = chain(40);
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

const stores: [string, () => VendorStore & PaywordStore][] = [
  ['MemoryVendorStore', () => new MemoryVendorStore() as VendorStore & PaywordStore],
  ['SqliteVendorStore', () => new SqliteVendorStore(join(tmp.dir, `pw${++n}.db`)) as VendorStore & PaywordStore],
];

for (const [name, make] of stores) {
  describe(`${name}: payword payments`, () => {
    it('records the chain with its first payment, then each range; the same request again is a replay that changes nothing', async () => {
      const s = make();
      const ch = chain();
      const first = payment(ch, 2, 2);
      assert.deepEqual(await s.recordPaywordPayment(first), { status: 'recorded', paymentId: first.id, highestIndex: 2 });
      const stored = await s.paywordChain(ch.c.chainId);
      assert.deepEqual(
        { ...stored, commitment: undefined },
        {
          chainId: ch.c.chainId,
          commitment: undefined,
          length: 64,
          value: 2,
          expiresAt: ch.c.expiresAt,
          highestIndex: 2,
          clearedIndex: 0,
          paidUnits: 0,
          paidMills: 0,
        },
      );
      assert.deepEqual(stored?.commitment, ch.c.commitment);
      const before = await s.stats();
      assert.deepEqual(await s.recordPaywordPayment({ ...first, id: 'pay_again', paidAt: '2030-01-01T00:01:00.000Z' }), {
        status: 'replay',
        paymentId: first.id,
        paidAt: first.paidAt,
        highestIndex: 2,
      });
      assert.deepEqual(await s.stats(), before);
      assert.deepEqual(
        await s.findPaywordReplay({ chainId: ch.c.chainId, index: 2, units: 2, method: 'GET', url: first.url, mac: first.mac }),
        {
          paymentId: first.id,
          paidAt: first.paidAt,
        },
      );
      for (const other of [{ url: 'http://127.0.0.1:4001/b' }, { method: 'POST' }, { mac: mac() }, { units: 1 }])
        assert.equal(
          await s.findPaywordReplay({ chainId: ch.c.chainId, index: 2, units: 2, method: 'GET', url: first.url, mac: first.mac, ...other }),
          undefined,
        );
      await s.close();
    });

    it('refuses in the transaction, logs it, and records nothing, not even a new chain', async () => {
      const s = make();
      const ch = chain();
      const p = payment(ch, 3, 1);
      await s.recordPaywordPayment(p);
      // The same range for another URL (a second request for one link): refused.
      const spent = await s.recordPaywordPayment(payment(ch, 3, 1, { url: 'http://127.0.0.1:4001/other' }));
      assert.deepEqual(spent, { status: 'refused', reason: 'already-spent', highestIndex: 3 });
      const other = chain();
      const forged = await s.recordPaywordPayment(payment(other, 1, 1, { link: new Uint8Array(32) }));
      assert.deepEqual(forged, { status: 'refused', reason: 'bad-link', highestIndex: 0 });
      assert.equal(await s.paywordChain(other.c.chainId), undefined, 'a chain is recorded only with a payment taken');
      const st = await s.stats();
      assert.deepEqual([st.chains, st.chainPayments, st.refusals], [1, 1, 2]);
      await s.close();
    });

    it('takes a payment back only when nothing else claims it', async () => {
      const s = make();
      const ch = chain();
      const a = payment(ch, 2, 2);
      const b = payment(ch, 4, 2);
      await s.recordPaywordPayment(a);
      await s.recordPaywordPayment(b);
      assert.equal(await s.unrecordPaywordPayment(b.id), true);
      assert.equal((await s.paywordChain(ch.c.chainId))?.highestIndex, 2, 'the top range went: M is back at 2');
      assert.equal(
        (await s.recordPaywordPayment(payment(ch, 4, 2, { url: 'http://127.0.0.1:4001/again' }))).status,
        'recorded',
        'the range is free again',
      );
      assert.equal(await s.unrecordPaywordPayment(b.id), false, 'gone already');
      // Served again as a replay: it stays.
      await s.recordPaywordPayment({ ...a, id: 'pay_retry' });
      assert.equal(await s.unrecordPaywordPayment(a.id), false);
      // In a clearing batch: the broker may pay for it, it stays.
      const c = payment(ch, 5, 1);
      await s.recordPaywordPayment(c);
      const batch = await s.unredeemed(10);
      assert.deepEqual(
        batch?.chains.map((x) => [x.chainId, x.index]),
        [[ch.c.chainId, 5]],
      );
      assert.equal(await s.unrecordPaywordPayment(c.id), false);
      await s.close();
    });

    it('clearing batches: the chain goes at its highest index; a resend is the same; results are kept; growth is cleared next', async () => {
      const s = make();
      const ch = chain();
      await s.recordPaywordPayment(payment(ch, 3, 3));
      const b1 = (await s.unredeemed(10))!;
      assert.deepEqual(b1.coins, []);
      assert.deepEqual(
        b1.chains.map((c) => ({ ...c, link: [...c.link] })),
        [{ chainId: ch.c.chainId, commitment: ch.c.commitment, index: 3, link: [...ch.link(3)] }],
      );
      await s.recordPaywordPayment(payment(ch, 5, 2)); // paid further while the batch is out
      const again = (await s.unredeemed(10))!;
      assert.equal(again.batchId, b1.batchId);
      assert.equal(again.retry, true);
      assert.deepEqual(
        again.chains.map((c) => c.index),
        [3],
        'the batch carries what it carried',
      );
      const result = { chainId: ch.c.chainId, status: 'cleared' as const, clearedIndex: 3, paidUnits: 3, paidMills: 6 };
      await s.markRedeemed({
        batchId: b1.batchId,
        answeredAt: '2030-01-02T00:00:00.000Z',
        response: { batchId: b1.batchId, credited: 0, creditedMills: 0, results: [], chains: [result] },
      });
      const after = await s.paywordChain(ch.c.chainId);
      assert.deepEqual([after?.clearedIndex, after?.paidUnits, after?.paidMills, after?.highestIndex], [3, 3, 6, 5]);
      assert.deepEqual(await s.unclearedChains(), [
        { chainId: ch.c.chainId, expiresAt: ch.c.expiresAt, highestIndex: 5, clearedIndex: 3, value: 2 },
      ]);
      const b2 = (await s.unredeemed(10))!;
      assert.notEqual(b2.batchId, b1.batchId);
      assert.deepEqual(
        b2.chains.map((c) => c.index),
        [5],
        'the difference goes in the next batch',
      );
      // A failed batch (413) frees the chain; a refused clearing is not sent again until M grows.
      await s.markRedeemed({ batchId: b2.batchId, answeredAt: '2030-01-02T00:00:00.000Z', failed: '413' });
      const b3 = (await s.unredeemed(10))!;
      assert.deepEqual(
        b3.chains.map((c) => c.index),
        [5],
      );
      const refused = {
        chainId: ch.c.chainId,
        status: 'refused' as const,
        reason: 'bad-link',
        clearedIndex: 3,
        paidUnits: 0,
        paidMills: 0,
      };
      await s.markRedeemed({
        batchId: b3.batchId,
        answeredAt: '2030-01-02T00:00:00.000Z',
        response: { batchId: b3.batchId, credited: 0, creditedMills: 0, results: [], chains: [refused] },
      });
      assert.deepEqual((await s.paywordChain(ch.c.chainId))?.refused, { index: 5, reason: 'bad-link' });
      assert.equal(await s.unredeemed(10), null);
      await s.recordPaywordPayment(payment(ch, 6, 1));
      assert.deepEqual(
        (await s.unredeemed(10))?.chains.map((c) => c.index),
        [6],
      );
      await s.close();
    });

    it('a chain cleared up to its highest index is not sent again', async () => {
      const s = make();
      const ch = chain();
      await s.recordPaywordPayment(payment(ch, 2, 2));
      const b = (await s.unredeemed(10))!;
      const cleared = { chainId: ch.c.chainId, status: 'cleared' as const, clearedIndex: 2, paidUnits: 2, paidMills: 4 };
      await s.markRedeemed({
        batchId: b.batchId,
        answeredAt: '2030-01-02T00:00:00.000Z',
        response: { batchId: b.batchId, credited: 0, creditedMills: 0, results: [], chains: [cleared] },
      });
      assert.equal(await s.unredeemed(10), null);
      assert.deepEqual(await s.unclearedChains(), []);
      assert.equal((await s.stats()).chainsToClear, 0);
      await s.close();
    });

    it('keeps a key once: a second save returns the first value', async () => {
      const s = make();
      assert.equal(await s.loadKey('k'), undefined);
      assert.equal(await s.saveKey('k', 'one'), 'one');
      assert.equal(await s.saveKey('k', 'two'), 'one');
      assert.equal(await s.loadKey('k'), 'one');
      await s.close();
    });
  });
}

describe('SqliteVendorStore: payword on disk', () => {
  it('a chain recorded before a restart is known after it, with its gaps and highest link', async () => {
    const file = join(tmp.dir, 'pw-restart.db');
    const ch = chain();
    let s = new SqliteVendorStore(file);
    await s.recordPaywordPayment(payment(ch, 4, 1));
    await s.close();
    s = new SqliteVendorStore(file);
    assert.equal((await s.paywordChain(ch.c.chainId))?.highestIndex, 4);
    assert.equal(
      (await s.recordPaywordPayment(payment(ch, 2, 2))).status,
      'recorded',
      'a late range below M, checked against the kept w_4',
    );
    assert.equal((await s.recordPaywordPayment(payment(ch, 1, 1, { link: ch.link(2) }))).status, 'refused');
    await s.close();
  });

  it('a version-2 database (before chains) is migrated with its payments kept', async () => {
    const file = join(tmp.dir, 'pw-v2.db');
    const old = new SqliteVendorStore(file);
    await old.recordRefusal({
      at: '2030-01-01T00:00:00.000Z',
      epoch: 'e1',
      userId: 'u',
      method: 'GET',
      url: 'http://x/a',
      reason: 'already-spent',
      coinIds: ['ab'],
    });
    old.db.exec(`DROP TABLE payword_payments; DROP TABLE payword_chains; DROP TABLE keys;
      ALTER TABLE refusals DROP COLUMN scheme; ALTER TABLE refusals DROP COLUMN chain_id;
      ALTER TABLE refusals DROP COLUMN link_index; ALTER TABLE refusals DROP COLUMN units;`);
    old.db.pragma('user_version = 2');
    await old.close();
    const s = new SqliteVendorStore(file);
    assert.equal(s.db.pragma('user_version', { simple: true }), SqliteVendorStore.schemaVersion);
    assert.equal((await s.stats()).refusals, 1);
    assert.equal(s.db.prepare(`SELECT scheme FROM refusals`).pluck().get(), 'micromint');
    assert.equal((await s.recordPaywordPayment(payment(chain(), 1, 1))).status, 'recorded');
    await s.close();
  });
});
