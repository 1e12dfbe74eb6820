/**
 * What only the SQLite store has: its file, journal and migrations. The contract every store keeps
 * (memory, SQLite, Postgres) is in store-contract.test.ts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteVendorStore } from '../src/index.ts';
import { MIGRATIONS } from '../src/sqlite-schema.ts';
import { tempDir } from './harness.ts';
import { coinPayment } from './store-fixtures.ts';

const tmp = tempDir();
after(() => tmp.cleanup());

describe('SqliteVendorStore on disk', () => {
  it('uses WAL (synced by its group commit: synchronous=NORMAL), versions its schema, and keeps everything across reopening', async () => {
    const file = join(tmp.dir, 'durable.db');
    const s = new SqliteVendorStore(file);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 1);
    assert.equal(s.db.pragma('user_version', { simple: true }), SqliteVendorStore.schemaVersion);
    const p = coinPayment();
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
      [
        'coin_states',
        'epochs',
        'keys',
        'payers',
        'payments',
        'payword_chains',
        'payword_payments',
        'probes',
        'redeem_cursor',
        'redeem_queue',
        'redemption_batches',
        'refusals',
        'replays',
        'resources',
        'spent',
      ],
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
    const old = new Database(v1);
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    const p = coinPayment();
    old
      .prepare(`INSERT INTO payments (id, epoch, user_id, method, url, price, coin_count, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(p.id, p.epoch, p.userId, p.method, p.url, p.price, p.coins.length, p.paidAt);
    for (const c of p.coins)
      old
        .prepare(`INSERT INTO coins (epoch, coin_id, coin, user_id, url, payment_id, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(p.epoch, c.id, c.coin, p.userId, p.url, p.id, p.paidAt);
    old.close();
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
