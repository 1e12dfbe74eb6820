/**
 * Migration 2 on a real version-1 database file: double spends folded into one record per coin and vendor
 * (attempts counted, first attempt kept), refusals counted, stored answers of version 1 still replayed.
 * Migration 3 on a real version-2 file: every ledger line kept (ids, amounts), the new kinds accepted,
 * the PayWord tables there, and a batch of coins stored before chains still replayed under the same digest.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../src/db/migrations.ts';
import { decodeAnswer } from '../src/core/batch-answer.ts';
import { sha256 } from '../src/core/ids.ts';
import { batchDigest, openStore } from '../src/index.ts';

test('a version-1 database migrates without losing a double spend, a refusal or a stored answer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-migrate-'));
  try {
    const path = join(dir, 'broker.db');
    const old = new Database(path);
    MIGRATIONS[0]!(old);
    old.pragma('user_version = 1');
    old
      .prepare(
        "INSERT INTO vendors (id, name, api_key_hash, created_at) VALUES ('http://a.example', 'A', zeroblob(32), '2026-01-01T00:00:00.000Z')",
      )
      .run();
    const ds = old.prepare(
      "INSERT INTO double_spends (epoch, coin_id, user_id, vendor_id, first_vendor_id, batch_id, reason, created_at) VALUES ('e', ?, 'u_0000000000000001', 'http://a.example', 'http://b.example', ?, 'already-spent', ?)",
    );
    ds.run('c1', 'b1', '2026-01-01T00:00:01.000Z');
    ds.run('c1', 'b2', '2026-01-01T00:00:02.000Z');
    ds.run('c1', 'b3', '2026-01-01T00:00:03.000Z');
    ds.run('c2', 'b2', '2026-01-01T00:00:02.000Z');
    const rej = old.prepare(
      "INSERT INTO rejected_coins (vendor_id, batch_id, epoch, user_id, coin, url, reason, created_at) VALUES ('http://a.example', 'b1', 'e', 'u', 'AAAA', 'http://a.example/', ?, ?)",
    );
    rej.run('forged', '2026-01-01T10:00:00.000Z');
    rej.run('forged', '2026-01-01T11:00:00.000Z');
    rej.run('malformed', '2026-01-02T10:00:00.000Z');
    const legacy = { batchId: 'b1', credited: 1, creditedMills: 1, results: [{ coinId: 'c0', status: 'credited' }] };
    old
      .prepare("INSERT INTO redemption_batches VALUES ('http://a.example', 'b1', zeroblob(32), ?, 1, 0, '2026-01-01T00:00:00.000Z')")
      .run(JSON.stringify(legacy));
    old.close();

    const store = openStore(path);
    try {
      assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
      const rows = store.db
        .prepare('SELECT coin_id, batch_id, created_at, attempts, last_batch_id, last_at FROM double_spends ORDER BY coin_id')
        .all();
      assert.deepEqual(rows, [
        {
          coin_id: 'c1',
          batch_id: 'b1',
          created_at: '2026-01-01T00:00:01.000Z',
          attempts: 3,
          last_batch_id: 'b3',
          last_at: '2026-01-01T00:00:03.000Z',
        },
        {
          coin_id: 'c2',
          batch_id: 'b2',
          created_at: '2026-01-01T00:00:02.000Z',
          attempts: 1,
          last_batch_id: 'b2',
          last_at: '2026-01-01T00:00:02.000Z',
        },
      ]);
      assert.equal((await store.vendors.counts('http://a.example')).doubleSpends, 4);
      assert.equal(await store.refusals.total('http://a.example'), 3);
      assert.deepEqual(await store.refusals.byReason('http://a.example'), [
        { reason: 'forged', count: 2 },
        { reason: 'malformed', count: 1 },
      ]);
      // A new attempt on c1 adds to its record.
      await store.vendors.recordDoubleSpend({
        epoch: 'e',
        coinId: 'c1',
        userId: 'u_0000000000000001',
        vendorId: 'http://a.example',
        firstVendorId: 'http://b.example',
        batchId: 'b4',
        reason: 'already-spent',
        createdAt: '2026-01-03T00:00:00.000Z',
      });
      assert.equal(store.db.prepare("SELECT attempts FROM double_spends WHERE coin_id = 'c1'").pluck().get(), 4);
      // The stored answer of version 1 (whole JSON) is still what a replay gets.
      const stored = (await store.vendors.batch('http://a.example', 'b1'))!.answer;
      assert.deepEqual(decodeAnswer(stored, { batchId: 'b1', coins: [], chains: [] }), { ...legacy, chains: [] });
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version-2 database migrates to 3: the ledger is kept line for line, coin batches still replay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-migrate-'));
  try {
    const path = join(dir, 'broker.db');
    const old = new Database(path);
    MIGRATIONS[0]!(old);
    MIGRATIONS[1]!(old);
    old.pragma('user_version = 2');
    old
      .prepare(
        "INSERT INTO users (id, email, password_hash, created_at) VALUES ('u_0000000000000001', 'a@example.com', 'x', '2026-01-01T00:00:00.000Z')",
      )
      .run();
    old
      .prepare(
        "INSERT INTO vendors (id, name, api_key_hash, created_at) VALUES ('http://a.example', 'A', zeroblob(32), '2026-01-01T00:00:00.000Z')",
      )
      .run();
    const line = old.prepare(
      'INSERT INTO ledger (id, owner_kind, owner_id, amount_mills, kind, ref, memo, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    line.run(7, 'user', 'u_0000000000000001', 5000, 'deposit', 'sandbox_1', 'Added funds', '2026-01-01T00:00:01.000Z');
    line.run(9, 'user', 'u_0000000000000001', -37, 'purchase', 'w_1', 'Bought', '2026-01-01T00:00:02.000Z');
    line.run(12, 'vendor', 'http://a.example', 2, 'redemption', 'b1', 'Redeemed', '2026-01-01T00:00:03.000Z');
    // A coin batch stored by version 2: its digest was SHA-256 of [batchId, coins].
    const coins = [
      { epoch: 'e', userId: 'u_0000000000000001', coin: 'AAAA', url: 'http://a.example/x', paidAt: '2026-01-01T00:00:00.000Z' },
    ];
    const v2Digest = sha256(JSON.stringify(['b1', coins.map((c) => [c.epoch, c.userId, c.coin, c.url, c.paidAt])]));
    old
      .prepare("INSERT INTO redemption_batches VALUES ('http://a.example', 'b1', ?, ?, 0, 1, '2026-01-01T00:00:03.000Z')")
      .run(Buffer.from(v2Digest), '{"codes":"m"}');
    old.close();

    const store = openStore(path);
    try {
      assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
      assert.deepEqual(store.db.prepare('SELECT id, amount_mills, kind FROM ledger ORDER BY id').all(), [
        { id: 7, amount_mills: 5000, kind: 'deposit' },
        { id: 9, amount_mills: -37, kind: 'purchase' },
        { id: 12, amount_mills: 2, kind: 'redemption' },
      ]);
      assert.equal(await store.accounts.balance('user', 'u_0000000000000001'), 4963);
      await store.accounts.post('user', 'u_0000000000000001', -10, 'chain-hold', 'c'.repeat(32), 'held', '2026-01-02T00:00:00.000Z');
      await store.accounts.post('user', 'u_0000000000000001', 4, 'chain-release', 'c'.repeat(32), 'released', '2026-01-03T00:00:00.000Z');
      await store.accounts.post('vendor', 'http://a.example', 6, 'clearing', 'b2', 'cleared', '2026-01-03T00:00:00.000Z');
      assert.equal(await store.accounts.balance('user', 'u_0000000000000001'), 4957);
      await assert.rejects(store.accounts.post('user', 'u_0000000000000001', 1, 'gift' as never, null, 'x', '2026-01-03T00:00:00.000Z'));
      for (const t of ['broker_keys', 'wallet_keys', 'vendor_payword_keys', 'payword_chains', 'payword_clearings'])
        assert.equal(store.db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(t), 1, t);
      const req = { batchId: 'b1', coins, chains: [] };
      assert.deepEqual(batchDigest(req), v2Digest, 'a coin batch hashes as it did before chains');
      const stored = (await store.vendors.batch('http://a.example', 'b1'))!.answer;
      assert.deepEqual(decodeAnswer(stored, req), {
        batchId: 'b1',
        credited: 0,
        creditedMills: 0,
        results: [{ coinId: '', status: 'refused', reason: 'malformed' }],
        chains: [],
      });
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
