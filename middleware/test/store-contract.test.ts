/**
 * The VendorStore contract (coins, the PayWord part, redemption batches), run against every store:
 * memory, SQLite and PostgreSQL. A store that can be opened twice on the same data (SQLite on one
 * file, Postgres on one schema) also runs the "two instances" part: the same coin or range sent
 * through both at the same moment is taken once, and both agree on batches and keys.
 *
 * The Postgres part needs a server (MICROMINT_PG_URL, set by `bash scripts/pg.sh`, which the
 * package's `npm test` runs through): without one it fails, saying so.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  MemoryVendorStore,
  SqliteVendorStore,
  type NewPayment,
  type PaywordStore,
  type VendorStore,
  type PostgresVendorStore,
} from '../src/index.ts';
import { tempDir } from './harness.ts';
import { PgSchemas } from './postgres.ts';
import { chainPayment, coinPayment, newCoin, newMac, nextId, testChain } from './store-fixtures.ts';

/** A store with every optional method. */
type Store = Required<VendorStore> & PaywordStore;

/** A kind of store: how to make an empty one, and how to open a second instance on the same data. */
interface StoreKind {
  name: string;
  make(): Store;
  again?(first: Store): Store;
}

const tmp = tempDir();
const schemas = new PgSchemas();
after(async () => {
  tmp.cleanup();
  await schemas.dropAll();
});

const KINDS: StoreKind[] = [
  { name: 'MemoryVendorStore', make: () => new MemoryVendorStore() as Store },
  {
    name: 'SqliteVendorStore',
    make: () => new SqliteVendorStore(join(tmp.dir, `s${nextId()}.db`)) as Store,
    again: (first) => new SqliteVendorStore((first as unknown as SqliteVendorStore).path) as Store,
  },
  {
    name: 'PostgresVendorStore',
    make: () => schemas.store() as unknown as Store,
    again: (first) => schemas.store((first as unknown as PostgresVendorStore).schema) as unknown as Store,
  },
];

/** Runs `body` on a new store of `kind`, closing it afterwards. */
async function withStore(kind: StoreKind, body: (s: Store) => Promise<void>): Promise<void> {
  const s = kind.make();
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

for (const kind of KINDS) {
  describe(`${kind.name}: coins`, () => {
    coinContract(kind);
  });
  describe(`${kind.name}: batches`, () => {
    batchContract(kind);
  });
  describe(`${kind.name}: payword payments`, () => {
    paywordContract(kind);
  });
  if (kind.again)
    describe(`${kind.name}: two instances on the same data`, () => {
      instancesContract(kind, kind.again!);
    });
}

function coinContract(kind: StoreKind): void {
  it('records a payment with its coins as pending', () =>
    withStore(kind, async (s) => {
      const p = coinPayment();
      assert.deepEqual(await s.recordPayment(p), { status: 'recorded', paymentId: p.id });
      const stored = await s.payment(p.id);
      assert.equal(stored?.url, p.url);
      assert.equal(stored?.method, 'GET');
      assert.deepEqual(
        stored?.coins.map((c) => [c.id, c.status]),
        p.coins.map((c) => [c.id, 'pending']),
      );
      assert.equal(await s.payment('nope'), undefined);
    }));

  it('the same coins, method, URL and user again are a replay: nothing changes', () =>
    withStore(kind, async (s) => {
      const p = coinPayment();
      await s.recordPayment(p);
      const before = await s.stats();
      const again = await s.recordPayment({ ...p, id: 'pay_other', coins: [...p.coins].reverse() });
      assert.deepEqual(again, { status: 'replay', paymentId: p.id, paidAt: p.paidAt });
      assert.deepEqual(await s.stats(), before);
    }));

  it('a coin seen before for another URL, user or method, or partly reused, is already-spent and logged', () =>
    withStore(kind, async (s) => {
      const p = coinPayment();
      await s.recordPayment(p);
      const variants: Partial<NewPayment>[] = [
        { url: 'http://127.0.0.1:4001/b.html' },
        { userId: 'u_0000000000000002' },
        { method: 'POST' },
        { coins: [p.coins[0]!, newCoin()] },
        { coins: [p.coins[0]!], price: 1 },
      ];
      for (const [i, v] of variants.entries()) {
        const out = await s.recordPayment(coinPayment({ ...v, coins: v.coins ?? p.coins }));
        assert.equal(out.status, 'already-spent', String(i));
      }
      assert.deepEqual(await s.recordPayment(coinPayment({ coins: [newCoin(), p.coins[1]!] })), {
        status: 'already-spent',
        coinIds: [p.coins[1]!.id],
      });
      const stats = await s.stats();
      assert.equal(stats.payments, 1);
      assert.equal(stats.coins, 2);
      assert.equal(stats.refusals, variants.length + 1);
    }));

  it('a coin repeated inside a payment is already-spent; the same coin id in another epoch is a different coin', () =>
    withStore(kind, async (s) => {
      const c = newCoin();
      const out = await s.recordPayment(coinPayment({ coins: [c, c] }));
      assert.deepEqual(out, { status: 'already-spent', coinIds: [c.id] });
      assert.equal((await s.recordPayment(coinPayment({ coins: [c], price: 1 }))).status, 'recorded');
      assert.equal((await s.recordPayment(coinPayment({ coins: [c], price: 1, epoch: 'e2' }))).status, 'recorded');
      assert.equal((await s.stats()).refusals, 1);
    }));

  it('findReplay follows the replay rule, with the coins byte for byte, and changes nothing', () =>
    withStore(kind, async (s) => {
      const paid = [newCoin(), newCoin()];
      const base = { epoch: 'e1', userId: 'u_0000000000000001', method: 'GET', url: 'http://127.0.0.1:4001/a' };
      await s.recordPayment({ ...base, id: 'pay_r', price: 2, paidAt: '2030-01-01T00:00:00.000Z', coins: paid });
      const before = await s.stats();
      assert.deepEqual(await s.findReplay({ ...base, coins: [paid[1]!, paid[0]!] }), {
        paymentId: 'pay_r',
        paidAt: '2030-01-01T00:00:00.000Z',
      });
      assert.equal(await s.findReplay({ ...base, coins: [paid[0]!] }), undefined);
      assert.equal(await s.findReplay({ ...base, coins: [paid[0]!, paid[0]!] }), undefined);
      assert.equal(await s.findReplay({ ...base, url: 'http://127.0.0.1:4001/b', coins: paid }), undefined);
      assert.equal(await s.findReplay({ ...base, userId: 'u_0000000000000002', coins: paid }), undefined);
      assert.equal(await s.findReplay({ ...base, method: 'POST', coins: paid }), undefined);
      assert.equal(await s.findReplay({ ...base, epoch: 'other', coins: paid }), undefined);
      // The ids alone (first balls, which receipts and refusals name) are not the coins.
      const forged = paid.map((c) => ({ id: c.id, coin: Uint8Array.from([...c.coin.subarray(0, 16), ...randomBytes(48)]) }));
      assert.equal(await s.findReplay({ ...base, coins: forged }), undefined);
      assert.equal(await s.findReplay({ ...base, coins: paid.map((c) => ({ id: c.id, coin: c.coin.subarray(0, 16) })) }), undefined);
      assert.deepEqual(await s.stats(), before, 'a lookup changes nothing');
    }));

  it('unrecordPayment takes back a payment only when nothing else claims it, in full', () =>
    withStore(kind, async (s) => {
      const p = coinPayment();
      await s.recordPayment(p);
      const before = await s.stats();
      const other = coinPayment();
      await s.recordPayment(other);
      assert.equal(await s.unrecordPayment(other.id), true);
      assert.equal(await s.payment(other.id), undefined);
      assert.deepEqual(await s.stats(), before, 'the payment and its coins are gone, nothing else');
      assert.equal(
        (await s.recordPayment(coinPayment({ coins: other.coins, url: 'http://127.0.0.1:4001/b.html' }))).status,
        'recorded',
        'its coins are free again',
      );
      assert.equal(await s.unrecordPayment(other.id), false, 'gone already');
      assert.equal(await s.unrecordPayment('pay_nope'), false);

      // Served again as a replay (by recordPayment or findReplay): it stays.
      const r1 = coinPayment();
      await s.recordPayment(r1);
      assert.equal((await s.recordPayment({ ...r1, id: 'pay_retry' })).status, 'replay');
      assert.equal(await s.unrecordPayment(r1.id), false);
      const r2 = coinPayment();
      await s.recordPayment(r2);
      assert.ok(await s.findReplay({ epoch: r2.epoch, userId: r2.userId, method: r2.method, url: r2.url, coins: r2.coins }));
      assert.equal(await s.unrecordPayment(r2.id), false);
      // Taken into a redemption batch: it stays.
      const batch = await s.unredeemed(1000);
      const b = coinPayment();
      await s.recordPayment(b);
      assert.ok(batch);
      await s.unredeemed(1000); // the open batch comes back; b is not in it
      assert.equal(await s.unrecordPayment(b.id), true, 'a coin outside every batch can still be taken back');
      assert.equal(await s.unrecordPayment(p.id), false, 'its coins are in the open batch');
      assert.ok(await s.payment(p.id));
    }));

  it('keeps epochs (replacing by id, with their extra fields), counts pending coins by epoch, and probes', async () => {
    const s = kind.make();
    const e1 = { id: 'e1', key: '00'.repeat(32), t: 4, u: 8, v: 6, k: 4, fixed: 0, expiresAt: '2030-01-01T00:00:00Z' };
    await s.saveEpoch(e1);
    await s.saveEpoch({ ...e1, id: 'e2' });
    await s.saveEpoch({ ...e1, redeemBy: '2030-01-08T00:00:00Z' });
    const kept = await s.epochs();
    assert.deepEqual(kept.map((e) => e.id).sort(), ['e1', 'e2']);
    assert.equal(kept.find((e) => e.id === 'e1')?.redeemBy, '2030-01-08T00:00:00Z');
    await s.recordPayment(coinPayment());
    await s.recordPayment(coinPayment({ epoch: 'e2', coins: [newCoin()], price: 1 }));
    assert.deepEqual(await s.pendingByEpoch(), [
      { epoch: 'e1', pending: 2 },
      { epoch: 'e2', pending: 1 },
    ]);
    await s.probe();
    await s.close();
    await assert.rejects(s.probe());
  });
}

function batchContract(kind: StoreKind): void {
  it('the id is stored before sending, an unanswered batch comes back unchanged, answers mark coins', () =>
    withStore(kind, async (s) => {
      const p1 = coinPayment();
      const p2 = coinPayment();
      await s.recordPayment(p1);
      await s.recordPayment(p2);
      const b1 = await s.unredeemed(3);
      assert.ok(b1);
      assert.equal(b1.coins.length, 3);
      assert.equal(b1.retry, false);
      assert.deepEqual(
        b1.coins.map((c) => [c.coinId, c.url, c.userId, c.paidAt]),
        [...p1.coins, p2.coins[0]!].map((c, i) => [c.id, p1.url, p1.userId, i < 2 ? p1.paidAt : p2.paidAt]),
        'the oldest coins first, each with its payment',
      );
      assert.equal((await s.stats()).openBatches, 1);
      // Not answered: the same batch again, whatever the limit.
      const again = await s.unredeemed(1);
      assert.equal(again?.batchId, b1.batchId);
      assert.equal(again?.retry, true);
      assert.deepEqual(
        again?.coins.map((c) => c.coinId),
        b1.coins.map((c) => c.coinId),
      );
      assert.deepEqual(again?.coins[0]?.coin, b1.coins[0]?.coin);
      const [c0, c1] = b1.coins;
      await s.markRedeemed({
        batchId: b1.batchId,
        answeredAt: new Date().toISOString(),
        response: {
          batchId: b1.batchId,
          credited: 1,
          creditedMills: 1,
          results: [
            { coinId: c0!.coinId, status: 'credited' },
            { coinId: c1!.coinId, status: 'refused', reason: 'already-spent' },
          ],
        },
      });
      let st = await s.stats();
      assert.equal(st.credited, 1);
      assert.equal(st.refused, 1);
      assert.equal(st.pending, 2); // the unmentioned coin went back to pending, plus the fourth
      assert.equal(st.openBatches, 0);
      const refused =
        (await s.payment(p1.id))!.coins.find((c) => c.id === c1!.coinId) ??
        (await s.payment(p2.id))!.coins.find((c) => c.id === c1!.coinId);
      assert.equal(refused?.status, 'refused');
      assert.equal(refused?.reason, 'already-spent');
      const b2 = await s.unredeemed(10);
      assert.notEqual(b2?.batchId, b1.batchId);
      assert.equal(b2?.coins.length, 2);
      await s.markRedeemed({ batchId: b2!.batchId, answeredAt: new Date().toISOString(), failed: '413 too large' });
      st = await s.stats();
      assert.equal(st.pending, 2);
      assert.equal(st.inOpenBatch, 0);
      const b3 = await s.unredeemed(10);
      assert.equal(b3?.coins.length, 2);
      await s.markRedeemed({
        batchId: b3!.batchId,
        answeredAt: new Date().toISOString(),
        response: {
          batchId: b3!.batchId,
          credited: 2,
          creditedMills: 2,
          results: b3!.coins.map((c) => ({ coinId: c.coinId, status: 'credited' as const })),
        },
      });
      assert.equal(await s.unredeemed(10), null);
      st = await s.stats();
      assert.deepEqual([st.credited, st.refused, st.pending, st.batches], [3, 1, 0, 3]);
      await assert.rejects(s.markRedeemed({ batchId: 'rb_missing', answeredAt: '', failed: 'x' }), RangeError);
      await assert.rejects(s.unredeemed(0), RangeError);
    }));
}

function paywordContract(kind: StoreKind): void {
  it('records the chain with its first payment, then each range; the same request again is a replay that changes nothing', () =>
    withStore(kind, async (s) => {
      const ch = testChain();
      const first = chainPayment(ch, 2, 2);
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
      const query = { chainId: ch.c.chainId, index: 2, units: 2, method: 'GET', url: first.url, mac: first.mac };
      assert.deepEqual(await s.findPaywordReplay(query), { paymentId: first.id, paidAt: first.paidAt });
      for (const other of [{ url: 'http://127.0.0.1:4001/b' }, { method: 'POST' }, { mac: newMac() }, { units: 1 }])
        assert.equal(await s.findPaywordReplay({ ...query, ...other }), undefined);
    }));

  it('refuses in the transaction, logs it, and records nothing, not even a new chain', () =>
    withStore(kind, async (s) => {
      const ch = testChain();
      const p = chainPayment(ch, 3, 1);
      await s.recordPaywordPayment(p);
      // The same range for another URL (a second request for one link): refused.
      const spent = await s.recordPaywordPayment(chainPayment(ch, 3, 1, { url: 'http://127.0.0.1:4001/other' }));
      assert.deepEqual(spent, { status: 'refused', reason: 'already-spent', highestIndex: 3 });
      const other = testChain();
      const forged = await s.recordPaywordPayment(chainPayment(other, 1, 1, { link: new Uint8Array(32) }));
      assert.deepEqual(forged, { status: 'refused', reason: 'bad-link', highestIndex: 0 });
      assert.equal(await s.paywordChain(other.c.chainId), undefined, 'a chain is recorded only with a payment taken');
      const st = await s.stats();
      assert.deepEqual([st.chains, st.chainPayments, st.refusals], [1, 1, 2]);
    }));

  it('a late range below the highest index fills its gap; a chain is known across reopening with its highest link', () =>
    withStore(kind, async (s) => {
      const ch = testChain();
      await s.recordPaywordPayment(chainPayment(ch, 4, 1));
      assert.equal((await s.recordPaywordPayment(chainPayment(ch, 2, 2))).status, 'recorded', 'checked against the kept w_4');
      assert.equal((await s.recordPaywordPayment(chainPayment(ch, 1, 1, { link: ch.link(2) }))).status, 'refused');
      assert.equal((await s.paywordChain(ch.c.chainId))?.highestIndex, 4);
    }));

  it('takes a payment back only when nothing else claims it', () =>
    withStore(kind, async (s) => {
      const ch = testChain();
      const a = chainPayment(ch, 2, 2);
      const b = chainPayment(ch, 4, 2);
      await s.recordPaywordPayment(a);
      await s.recordPaywordPayment(b);
      assert.equal(await s.unrecordPaywordPayment(b.id), true);
      assert.equal((await s.paywordChain(ch.c.chainId))?.highestIndex, 2, 'the top range went: M is back at 2');
      assert.equal(
        (await s.recordPaywordPayment(chainPayment(ch, 4, 2, { url: 'http://127.0.0.1:4001/again' }))).status,
        'recorded',
        'the range is free again',
      );
      assert.equal(await s.unrecordPaywordPayment(b.id), false, 'gone already');
      // Served again as a replay: it stays.
      await s.recordPaywordPayment({ ...a, id: 'pay_retry' });
      assert.equal(await s.unrecordPaywordPayment(a.id), false);
      // In a clearing batch: the broker may pay for it, it stays.
      const c = chainPayment(ch, 5, 1);
      await s.recordPaywordPayment(c);
      const batch = await s.unredeemed(10);
      assert.deepEqual(
        batch?.chains.map((x) => [x.chainId, x.index]),
        [[ch.c.chainId, 5]],
      );
      assert.equal(await s.unrecordPaywordPayment(c.id), false);
    }));

  it('clearing batches: the chain goes at its highest index; a resend is the same; results are kept; growth is cleared next', () =>
    withStore(kind, async (s) => {
      const ch = testChain();
      await s.recordPaywordPayment(chainPayment(ch, 3, 3));
      const b1 = (await s.unredeemed(10))!;
      assert.deepEqual(b1.coins, []);
      assert.deepEqual(
        b1.chains.map((c) => ({ ...c, link: [...c.link] })),
        [{ chainId: ch.c.chainId, commitment: ch.c.commitment, index: 3, link: [...ch.link(3)] }],
      );
      await s.recordPaywordPayment(chainPayment(ch, 5, 2)); // paid further while the batch is out
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
      await s.recordPaywordPayment(chainPayment(ch, 6, 1));
      assert.deepEqual(
        (await s.unredeemed(10))?.chains.map((c) => c.index),
        [6],
      );
    }));

  it('a chain cleared up to its highest index is not sent again', () =>
    withStore(kind, async (s) => {
      const ch = testChain();
      await s.recordPaywordPayment(chainPayment(ch, 2, 2));
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
    }));

  it('keeps a key once: a second save returns the first value', () =>
    withStore(kind, async (s) => {
      assert.equal(await s.loadKey('k'), undefined);
      assert.equal(await s.saveKey('k', 'one'), 'one');
      assert.equal(await s.saveKey('k', 'two'), 'one');
      assert.equal(await s.loadKey('k'), 'one');
    }));
}

/**
 * Two instances on the same data, called at the same moment. For Postgres these are two pools, so
 * the calls really overlap in the server; for SQLite two connections to one file, taking turns.
 */
function instancesContract(kind: StoreKind, again: (first: Store) => Store): void {
  /** Runs `body` with two instances on one new store's data. */
  async function withTwo(body: (a: Store, b: Store) => Promise<void>): Promise<void> {
    const a = kind.make();
    await a.stats(); // created and migrated first, as a deployed database is
    const b = again(a);
    try {
      await body(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }

  it('the same coins for two URLs at once through both: accepted once, the other refused and logged', () =>
    withTwo(async (a, b) => {
      for (let round = 0; round < 10; round++) {
        const coins = [newCoin(), newCoin()];
        const outs = await Promise.all([
          a.recordPayment(coinPayment({ coins, url: 'http://127.0.0.1:4001/one.html' })),
          b.recordPayment(coinPayment({ coins, url: 'http://127.0.0.1:4001/two.html' })),
        ]);
        assert.deepEqual(outs.map((o) => o.status).sort(), ['already-spent', 'recorded'], `round ${round}`);
      }
      const [sa, sb] = await Promise.all([a.stats(), b.stats()]);
      assert.deepEqual(sa, sb, 'both instances see the same store');
      assert.deepEqual([sa.payments, sa.coins, sa.refusals], [10, 20, 10]);
    }));

  it('the same payment at once through both: recorded once, the other is its replay', () =>
    withTwo(async (a, b) => {
      for (let round = 0; round < 10; round++) {
        const p = coinPayment();
        const outs = await Promise.all([a.recordPayment(p), b.recordPayment({ ...p, id: `${p.id}_b` })]);
        assert.deepEqual(outs.map((o) => o.status).sort(), ['recorded', 'replay'], `round ${round}`);
        const ids = new Set(outs.map((o) => (o.status === 'already-spent' ? '' : o.paymentId)));
        assert.equal(ids.size, 1, 'the replay names the recorded payment');
      }
      const st = await a.stats();
      assert.deepEqual([st.payments, st.coins, st.refusals], [10, 20, 0]);
    }));

  it('a replay and a take-back at once: either the payment stays (served again) or it is gone and recorded anew', () =>
    withTwo(async (a, b) => {
      for (let round = 0; round < 10; round++) {
        const p = coinPayment();
        await a.recordPayment(p);
        const [retry, gone] = await Promise.all([b.recordPayment({ ...p, id: `${p.id}_again` }), a.unrecordPayment(p.id)]);
        if (gone) assert.deepEqual(retry, { status: 'recorded', paymentId: `${p.id}_again` }, `round ${round}`);
        else assert.equal(retry.status, 'replay', `round ${round}`);
        assert.equal((await a.stats()).coins, 2 * (round + 1), 'the coins are recorded exactly once');
      }
    }));

  it('PayWord: the same range for two URLs at once is taken once; ranges paid at once through both all fit the chain', () =>
    withTwo(async (a, b) => {
      const ch = testChain(64);
      // The chain's first payment at both instances: one makes the chain, the other finds it.
      const firsts = await Promise.all([a.recordPaywordPayment(chainPayment(ch, 1, 1)), b.recordPaywordPayment(chainPayment(ch, 2, 1))]);
      assert.deepEqual(
        firsts.map((o) => o.status),
        ['recorded', 'recorded'],
      );
      for (let index = 3; index <= 12; index++) {
        const outs = await Promise.all([
          a.recordPaywordPayment(chainPayment(ch, index, 1, { url: 'http://127.0.0.1:4001/one' })),
          b.recordPaywordPayment(chainPayment(ch, index, 1, { url: 'http://127.0.0.1:4001/two' })),
        ]);
        assert.deepEqual(outs.map((o) => o.status).sort(), ['recorded', 'refused'], `index ${index}`);
      }
      // Twenty payments of the next links, ten through each instance, all at once.
      const outs = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).recordPaywordPayment(chainPayment(ch, 13 + i, 1))),
      );
      assert.ok(
        outs.every((o) => o.status === 'recorded'),
        JSON.stringify(outs.filter((o) => o.status !== 'recorded')),
      );
      const chain = await b.paywordChain(ch.c.chainId);
      assert.equal(chain?.highestIndex, 32);
      const st = await a.stats();
      assert.deepEqual([st.chains, st.chainPayments, st.refusals], [1, 32, 10]);
      // No unclaimed gap is left: every index up to 32 is taken.
      assert.equal((await a.recordPaywordPayment(chainPayment(ch, 20, 1, { url: 'http://127.0.0.1:4001/late' }))).status, 'refused');
    }));

  it('keys and batches: both instances keep one key, and redeeming at once sends one batch', () =>
    withTwo(async (a, b) => {
      const [ka, kb] = await Promise.all([a.saveKey('vendor-key', 'from-a'), b.saveKey('vendor-key', 'from-b')]);
      assert.equal(ka, kb);
      for (let i = 0; i < 5; i++) await (i % 2 ? a : b).recordPayment(coinPayment());
      const [ba, bb] = await Promise.all([a.unredeemed(100), b.unredeemed(100)]);
      assert.equal(ba?.batchId, bb?.batchId, 'the second caller gets the open batch');
      assert.equal(ba?.coins.length, 10);
      const st = await b.stats();
      assert.deepEqual([st.batches, st.inOpenBatch], [1, 10]);
    }));
}
