import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryVendorStore, SqliteVendorStore, type NewPayment, type VendorStore } from '../src/index.ts';
import { tempDir } from './harness.ts';

const tmp = tempDir();
after(() => tmp.cleanup());

let n = 0;
const coin = () => {
  const bytes = new Uint8Array(randomBytes(64));
  return { id: Buffer.from(bytes.subarray(0, 16)).toString('hex'), coin: bytes };
};
const payment = (patch: Partial<NewPayment> = {}): NewPayment => ({
  id: `pay_${++n}`,
  epoch: 'e1',
  userId: 'u_0000000000000001',
  method: 'GET',
  url: 'http://127.0.0.1:4001/a.html',
  price: 2,
  paidAt: new Date().toISOString(),
  coins: [coin(), coin()],
  ...patch,
});

const stores: [string, () => VendorStore][] = [
  ['MemoryVendorStore', () => new MemoryVendorStore()],
  ['SqliteVendorStore', () => new SqliteVendorStore(join(tmp.dir, `s${++n}.db`))],
];

for (const [name, make] of stores) {
  describe(`${name} (VendorStore contract)`, () => {
    it('records a payment with its coins as pending', async () => {
      const s = make();
      const p = payment();
      assert.deepEqual(await s.recordPayment(p), { status: 'recorded', paymentId: p.id });
      const stored = await s.payment(p.id);
      assert.equal(stored?.url, p.url);
      assert.equal(stored?.method, 'GET');
      assert.deepEqual(
        stored?.coins.map((c) => [c.id, c.status]),
        p.coins.map((c) => [c.id, 'pending']),
      );
      assert.equal(await s.payment('nope'), undefined);
      await s.close();
    });

    it('the same coins, method, URL and user again are a replay: nothing changes', async () => {
      const s = make();
      const p = payment();
      await s.recordPayment(p);
      const before = await s.stats();
      const again = await s.recordPayment({ ...p, id: 'pay_other', coins: [...p.coins].reverse() });
      assert.deepEqual(again, { status: 'replay', paymentId: p.id, paidAt: p.paidAt });
      assert.deepEqual(await s.stats(), before);
      await s.close();
    });

    it('a coin seen before for another URL, user or method, or partly reused, is already-spent and logged', async () => {
      const s = make();
      const p = payment();
      await s.recordPayment(p);
      const variants: Partial<NewPayment>[] = [
        { url: 'http://127.0.0.1:4001/b.html' },
        { userId: 'u_0000000000000002' },
        { method: 'POST' },
        { coins: [p.coins[0]!, coin()] },
        { coins: [p.coins[0]!], price: 1 },
      ];
      for (const [i, v] of variants.entries()) {
        const out = await s.recordPayment(payment({ ...v, coins: v.coins ?? p.coins }));
        assert.equal(out.status, 'already-spent', String(i));
      }
      const stats = await s.stats();
      assert.equal(stats.payments, 1);
      assert.equal(stats.coins, 2);
      assert.equal(stats.refusals, variants.length);
      await s.close();
    });

    it('a coin repeated inside a payment is already-spent; the same coin id in another epoch is a different coin', async () => {
      const s = make();
      const c = coin();
      const out = await s.recordPayment(payment({ coins: [c, c] }));
      assert.deepEqual(out, { status: 'already-spent', coinIds: [c.id] });
      assert.equal((await s.recordPayment(payment({ coins: [c], price: 1 }))).status, 'recorded');
      assert.equal((await s.recordPayment(payment({ coins: [c], price: 1, epoch: 'e2' }))).status, 'recorded');
      await s.close();
    });

    it('unrecordPayment takes back a payment only when nothing else claims it, in full', async () => {
      const s = make();
      const p = payment();
      await s.recordPayment(p);
      const before = await s.stats();
      const other = payment();
      await s.recordPayment(other);
      assert.equal(await s.unrecordPayment!(other.id), true);
      assert.equal(await s.payment(other.id), undefined);
      assert.deepEqual(await s.stats(), before, 'the payment and its coins are gone, nothing else');
      assert.equal(
        (await s.recordPayment(payment({ coins: other.coins, url: 'http://127.0.0.1:4001/b.html' }))).status,
        'recorded',
        'its coins are free again',
      );
      assert.equal(await s.unrecordPayment!(other.id), false, 'gone already');
      assert.equal(await s.unrecordPayment!('pay_nope'), false);

      // Served again as a replay (by recordPayment or findReplay): it stays.
      const r1 = payment();
      await s.recordPayment(r1);
      assert.equal((await s.recordPayment({ ...r1, id: 'pay_retry' })).status, 'replay');
      assert.equal(await s.unrecordPayment!(r1.id), false);
      const r2 = payment();
      await s.recordPayment(r2);
      assert.ok(await s.findReplay!({ epoch: r2.epoch, userId: r2.userId, method: r2.method, url: r2.url, coins: r2.coins }));
      assert.equal(await s.unrecordPayment!(r2.id), false);
      // Taken into a redemption batch: it stays.
      const batch = await s.unredeemed(1000);
      const b = payment();
      await s.recordPayment(b);
      assert.ok(batch);
      await s.unredeemed(1000); // the open batch comes back; b is not in it
      assert.equal(await s.unrecordPayment!(b.id), true, 'a coin outside every batch can still be taken back');
      assert.equal(await s.unrecordPayment!(p.id), false, 'its coins are in the open batch');
      assert.ok(await s.payment(p.id));
      await s.close();
    });

    it('keeps epochs (replacing by id, with their extra fields), counts pending coins by epoch, and probes', async () => {
      const s = make();
      const e1 = { id: 'e1', key: '00'.repeat(32), t: 4, u: 8, v: 6, k: 4, fixed: 0, expiresAt: '2030-01-01T00:00:00Z' };
      await s.saveEpoch!(e1);
      await s.saveEpoch!({ ...e1, id: 'e2' });
      await s.saveEpoch!({ ...e1, redeemBy: '2030-01-08T00:00:00Z' });
      const kept = await s.epochs!();
      assert.deepEqual(kept.map((e) => e.id).sort(), ['e1', 'e2']);
      assert.equal(kept.find((e) => e.id === 'e1')?.redeemBy, '2030-01-08T00:00:00Z');
      await s.recordPayment(payment());
      await s.recordPayment(payment({ epoch: 'e2', coins: [coin()], price: 1 }));
      assert.deepEqual(await s.pendingByEpoch!(), [
        { epoch: 'e1', pending: 2 },
        { epoch: 'e2', pending: 1 },
      ]);
      await s.probe!();
      await s.close();
      await assert.rejects(s.probe!());
    });

    it('batches: the id is stored before sending, an unanswered batch comes back unchanged, answers mark coins', async () => {
      const s = make();
      const p1 = payment();
      const p2 = payment();
      await s.recordPayment(p1);
      await s.recordPayment(p2);
      const b1 = await s.unredeemed(3);
      assert.ok(b1);
      assert.equal(b1.coins.length, 3);
      assert.equal(b1.retry, false);
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
      await s.close();
    });
  });
}

/** Takes a database of this code back to schema version 2 (before payword). */
const V3_DOWN = `
  DROP TABLE payword_payments; DROP TABLE payword_chains; DROP TABLE keys;
  ALTER TABLE refusals DROP COLUMN scheme; ALTER TABLE refusals DROP COLUMN chain_id;
  ALTER TABLE refusals DROP COLUMN link_index; ALTER TABLE refusals DROP COLUMN units;`;

describe('SqliteVendorStore on disk', () => {
  it('uses WAL with synchronous=FULL, versions its schema, and keeps everything across reopening', async () => {
    const file = join(tmp.dir, 'durable.db');
    const s = new SqliteVendorStore(file);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 2);
    assert.equal(s.db.pragma('user_version', { simple: true }), SqliteVendorStore.schemaVersion);
    const p = payment();
    await s.recordPayment(p);
    await s.recordRefusal({
      at: p.paidAt,
      epoch: 'e1',
      userId: p.userId,
      method: 'GET',
      url: p.url,
      reason: 'already-spent',
      coinIds: [p.coins[0]!.id],
    });
    const batch = await s.unredeemed(10);
    await s.close();

    const reopened = new SqliteVendorStore(file);
    const st = await reopened.stats();
    assert.deepEqual([st.payments, st.coins, st.refusals, st.openBatches, st.inOpenBatch], [1, 2, 1, 1, 2]);
    assert.equal((await reopened.unredeemed(10))?.batchId, batch?.batchId);
    const tables = reopened.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    assert.deepEqual(
      tables.filter((t) => !String(t).startsWith('sqlite_')),
      ['coins', 'epochs', 'keys', 'payments', 'payword_chains', 'payword_payments', 'probes', 'redemption_batches', 'refusals'],
    );
    await reopened.close();
  });

  it('probe() fails on a file that takes no writes, and the migration keeps older databases', async () => {
    const file = join(tmp.dir, 'probe.db');
    const s = new SqliteVendorStore(file);
    s.db.pragma('query_only = ON');
    await assert.rejects(s.probe(), /readonly/);
    await s.close();
    // A version-1 database (before epochs and un-recording) is migrated with its payments kept.
    const v1 = join(tmp.dir, 'v1.db');
    const old = new SqliteVendorStore(v1);
    const p = payment();
    await old.recordPayment(p);
    old.db.exec(V3_DOWN);
    old.db.exec('DROP TABLE epochs; DROP TABLE probes; ALTER TABLE payments DROP COLUMN replayed_at');
    old.db.pragma('user_version = 1');
    await old.close();
    const migrated = new SqliteVendorStore(v1);
    assert.equal(migrated.db.pragma('user_version', { simple: true }), SqliteVendorStore.schemaVersion);
    assert.equal((await migrated.payment(p.id))?.coins.length, 2);
    assert.equal(await migrated.unrecordPayment(p.id), true);
    await migrated.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const file = join(tmp.dir, 'future.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => new SqliteVendorStore(file), /schema version 99/);
  });
});
