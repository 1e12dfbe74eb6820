/**
 * The SQLite store's lean coin log (schema version 4), on real files: a version-3 file with coins
 * in every state is migrated with nothing lost (states, batches, times, replays, chains, the old
 * `coins` rows as a view); payment ids of `newPaymentId` name their rows, other ids are kept as
 * text; and redemption finds every pending coin, also one recorded behind the cursor or given
 * back by a batch.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newPaymentId, SqliteVendorStore } from '../src/index.ts';
import { MIGRATIONS } from '../src/sqlite-schema.ts';
import { tempDir } from './harness.ts';
import { chainPayment, coinPayment, newCoin, testChain } from './store-fixtures.ts';

const tmp = tempDir();
after(() => tmp.cleanup());
let files = 0;
const file = (): string => join(tmp.dir, `lean${++files}.db`);

interface OldCoin {
  epoch: string;
  coin_id: string;
  coin: Buffer;
  user_id: string;
  url: string;
  payment_id: string;
  paid_at: string;
  status: string;
  reason: string | null;
  batch_id: string | null;
}

/** A version-3 file (before the lean log) holding payments and coins in every state, and the coins as it has them. */
function versionThree(path: string): OldCoin[] {
  const db = new Database(path);
  for (const m of MIGRATIONS.slice(0, 3)) db.exec(m as string);
  db.pragma('user_version = 3');
  const pay = db.prepare(
    `INSERT INTO payments (id, epoch, user_id, method, url, price, coin_count, paid_at, replayed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const coin = db.prepare(
    `INSERT INTO coins (epoch, coin_id, coin, user_id, url, payment_id, paid_at, status, reason, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.prepare(`INSERT INTO redemption_batches (id, sent_at, answered_at, response) VALUES (?, ?, ?, ?)`).run(
    'rb_answered',
    '2030-01-02T00:00:00.000Z',
    '2030-01-02T00:00:01.000Z',
    '{"batchId":"rb_answered"}',
  );
  db.prepare(`INSERT INTO redemption_batches (id, sent_at) VALUES (?, ?)`).run('rb_open', '2030-01-03T00:00:00.000Z');
  const add = (
    id: string,
    o: { paidAt?: string; replayed?: boolean; url?: string; coins: [status: string, reason: string | null, batch: string | null][] },
  ): void => {
    const paidAt = o.paidAt ?? '2030-01-01T00:00:00.000Z';
    const url = o.url ?? `http://127.0.0.1:4001/${id}`;
    pay.run(id, 'e1', 'u_0000000000000001', 'GET', url, o.coins.length, o.coins.length, paidAt, o.replayed ? paidAt : null);
    for (const [status, reason, batch] of o.coins) {
      const c = newCoin();
      coin.run('e1', c.id, c.coin, 'u_0000000000000001', url, id, paidAt, status, reason, batch);
    }
  };
  add('pay_pending', {
    coins: [
      ['pending', null, null],
      ['pending', null, null],
    ],
    paidAt: '2030-01-01T00:00:00Z',
  });
  add('pay_in_open_batch', { coins: [['pending', null, 'rb_open']] });
  add('pay_credited', {
    coins: [
      ['credited', null, 'rb_answered'],
      ['credited', null, 'rb_answered'],
    ],
  });
  add('pay_mixed', {
    coins: [
      ['credited', null, 'rb_answered'],
      ['refused', 'already-spent', 'rb_answered'],
    ],
  });
  add('pay_replayed', { coins: [['pending', null, null]], replayed: true });
  db.prepare(`INSERT INTO refusals (at, epoch, user_id, method, url, reason, coin_ids) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    '2030-01-01T00:00:00.000Z',
    'e1',
    'u_0000000000000001',
    'GET',
    'http://127.0.0.1:4001/x',
    'already-spent',
    '[]',
  );
  db.prepare(`INSERT INTO keys (name, value, saved_at) VALUES ('vendor-key', 'secret', '2030-01-01T00:00:00.000Z')`).run();
  const old = db.prepare(`SELECT * FROM coins ORDER BY coin_id`).all() as OldCoin[];
  db.close();
  return old;
}

describe('SqliteVendorStore: the lean coin log', () => {
  it('migrates a version-3 file with coins in every state and loses nothing', async () => {
    const path = file();
    const old = versionThree(path);
    const s = new SqliteVendorStore(path);
    assert.equal(s.db.pragma('user_version', { simple: true }), SqliteVendorStore.schemaVersion);
    assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
    // The old table, as a view over the new ones: the same rows.
    const view = s.db.prepare(`SELECT * FROM coins ORDER BY coin_id`).all() as OldCoin[];
    assert.deepEqual(view, old);
    const st = await s.stats();
    assert.deepEqual(
      [st.payments, st.coins, st.pending, st.inOpenBatch, st.credited, st.refused, st.refusals, st.batches, st.openBatches],
      [5, 8, 4, 1, 3, 1, 1, 2, 1],
    );
    const mixed = await s.payment('pay_mixed');
    assert.deepEqual(
      mixed?.coins.map((c) => [c.status, c.reason, c.batchId]),
      [
        ['credited', undefined, 'rb_answered'],
        ['refused', 'already-spent', 'rb_answered'],
      ],
    );
    assert.equal((await s.payment('pay_pending'))?.paidAt, '2030-01-01T00:00:00Z', 'a time not in toISOString form is kept as written');
    assert.equal(await s.loadKey('vendor-key'), 'secret');
    // The open batch comes back as it was; then the pending coins go, oldest payment first.
    const open = await s.unredeemed(10);
    assert.equal(open?.batchId, 'rb_open');
    assert.equal(open?.retry, true);
    assert.deepEqual(
      open?.coins.map((c) => c.coinId),
      old.filter((c) => c.payment_id === 'pay_in_open_batch').map((c) => c.coin_id),
    );
    await s.markRedeemed({
      batchId: 'rb_open',
      answeredAt: '2030-01-04T00:00:00.000Z',
      response: { batchId: 'rb_open', credited: 1, creditedMills: 1, results: [{ coinId: open!.coins[0]!.coinId, status: 'credited' }] },
    });
    const next = await s.unredeemed(10);
    assert.deepEqual(
      next?.coins.map((c) => c.url),
      ['http://127.0.0.1:4001/pay_pending', 'http://127.0.0.1:4001/pay_pending', 'http://127.0.0.1:4001/pay_replayed'],
    );
    assert.equal(await s.unrecordPayment('pay_replayed'), false, 'served again as a replay: it stays');
    const reused = old.find((c) => c.payment_id === 'pay_credited')!;
    const spent = await s.recordPayment(
      coinPayment({ coins: [{ id: reused.coin_id, coin: new Uint8Array(reused.coin) }], price: 1, url: 'http://127.0.0.1:4001/other' }),
    );
    assert.equal(spent.status, 'already-spent', 'a migrated coin is still known');
    await s.close();
  });

  it('files payments of newPaymentId under their time, keeps any other id as text, and refuses an id twice', async () => {
    const s = new SqliteVendorStore(file());
    const ids = Array.from({ length: 20 }, () => newPaymentId());
    for (const id of ids) await s.recordPayment(coinPayment({ id, coins: [newCoin()], price: 1 }));
    await s.recordPayment(coinPayment({ id: 'pay_1st-of-its-kind', coins: [newCoin()], price: 1 }));
    const rows = s.db.prepare(`SELECT id, typeof(tag) AS kind FROM payments ORDER BY id`).all() as { id: number; kind: string }[];
    assert.deepEqual(
      rows.map((r) => r.kind),
      [...ids.map(() => 'blob'), 'text'],
      'in the order they were made, the other id last',
    );
    for (const id of [...ids, 'pay_1st-of-its-kind']) assert.equal((await s.payment(id))?.id, id);
    // The same row, another tag: the last hex digit changed (to one it is not).
    const other = `${ids[0]!.slice(0, -1)}${ids[0]!.endsWith('0') ? '1' : '0'}`;
    assert.equal(await s.payment(other), undefined, 'another id of the same row is not it');
    await assert.rejects(s.recordPayment(coinPayment({ id: ids[3]!, coins: [newCoin()], price: 1 })), /recorded already/);
    await assert.rejects(s.recordPayment(coinPayment({ id: 'pay_1st-of-its-kind', coins: [newCoin()], price: 1 })), /recorded already/);
    await assert.rejects(
      s.recordPayment(coinPayment({ coins: [{ id: 'ab'.repeat(16), coin: newCoin().coin }], price: 1 })),
      /not the hex of its first ball/,
    );
    await s.close();
  });

  it('redeems a payment recorded behind the cursor, and coins a batch gave back', async () => {
    const s = new SqliteVendorStore(file());
    const early = newPaymentId(); // made first, recorded last (another request was quicker)
    await new Promise((r) => setTimeout(r, 2));
    const late = coinPayment({ id: newPaymentId() });
    await s.recordPayment(late);
    const b1 = (await s.unredeemed(10))!;
    assert.equal(b1.coins.length, 2);
    const straggler = coinPayment({ id: early, url: 'http://127.0.0.1:4001/early' });
    await s.recordPayment(straggler);
    // The broker answers one coin of the batch and not the other: that one is pending again.
    await s.markRedeemed({
      batchId: b1.batchId,
      answeredAt: new Date().toISOString(),
      response: { batchId: b1.batchId, credited: 1, creditedMills: 1, results: [{ coinId: b1.coins[0]!.coinId, status: 'credited' }] },
    });
    const b2 = (await s.unredeemed(10))!;
    assert.deepEqual(b2.coins.map((c) => c.coinId).sort(), [...straggler.coins.map((c) => c.id), b1.coins[1]!.coinId].sort());
    await s.markRedeemed({
      batchId: b2.batchId,
      answeredAt: new Date().toISOString(),
      response: {
        batchId: b2.batchId,
        credited: 3,
        creditedMills: 3,
        results: b2.coins.map((c) => ({ coinId: c.coinId, status: 'credited' as const })),
      },
    });
    assert.equal(await s.unredeemed(10), null);
    const st = await s.stats();
    assert.deepEqual([st.credited, st.pending, st.coins], [4, 0, 4]);
    // Every coin of the straggler was credited in one batch: one number on the payment, no state per coin.
    assert.deepEqual(
      (await s.payment(early))?.coins.map((c) => [c.status, c.batchId]),
      straggler.coins.map(() => ['credited', b2.batchId]),
    );
    assert.equal(s.db.prepare(`SELECT COUNT(*) FROM coin_states`).pluck().get(), 2, 'the split payment keeps its two coin states');
    await s.close();
  });

  it('PayWord payments on one chain in one turn share a transaction, each checked against the one before', async () => {
    const s = new SqliteVendorStore(file());
    const ch = testChain(64);
    await s.recordPaywordPayment(chainPayment(ch, 1, 1));
    const commits = s.commits.commits;
    const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => s.recordPaywordPayment(chainPayment(ch, 2 + i, 1))));
    assert.ok(outs.every((o) => o.status === 'recorded'));
    assert.equal(s.commits.commits - commits, 1);
    const again = await Promise.all([
      s.recordPaywordPayment(chainPayment(ch, 11, 1, { url: 'http://127.0.0.1:4001/one' })),
      s.recordPaywordPayment(chainPayment(ch, 11, 1, { url: 'http://127.0.0.1:4001/two' })),
    ]);
    assert.deepEqual(
      again.map((o) => o.status),
      ['refused', 'refused'],
      'index 11 was taken by the group before',
    );
    assert.equal((await s.paywordChain(ch.c.chainId))?.highestIndex, 11);
    await s.close();
  });
});
