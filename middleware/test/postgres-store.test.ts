/**
 * What only the Postgres store has: options checked before any connection, migrations that several
 * instances start at once, a server that is down or read-only, a payment taken back by another
 * instance while a retry of it waits, and `micromint({ postgres })`. The contract every store
 * keeps is in store-contract.test.ts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { micromint, PostgresVendorStore, type PostgresStoreOptions } from '../src/index.ts';
import { freePort, quietLogger } from './harness.ts';
import { PgSchemas, pgUrl } from './postgres.ts';
import { coinPayment } from './store-fixtures.ts';

const schemas = new PgSchemas();
after(() => schemas.dropAll());

/** The server URL with `-c name=value` settings for every session of a store. */
const withSettings = (settings: string): string => {
  const url = new URL(pgUrl());
  url.searchParams.set('options', settings);
  return url.href;
};

/** Waits until a backend of the server waits for a lock (the call under test is blocked on ours). */
async function lockWaiter(): Promise<void> {
  for (;;) {
    const rows = await schemas.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`);
    if (rows.length) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PostgresVendorStore options (checked before connecting)', () => {
  it('refuses a wrong option at once: TypeError for a type, RangeError for a value', () => {
    const url = 'postgres://u:p@127.0.0.1:5432/shop';
    const wrong: [string, unknown, ErrorConstructor][] = [
      ['no options', undefined, TypeError],
      ['connectionString not a string', { connectionString: 5 }, TypeError],
      ['not a postgres URL', { connectionString: 'mysql://127.0.0.1/shop' }, RangeError],
      ['no URL at all', { connectionString: 'host=127.0.0.1 dbname=shop' }, RangeError],
      ['schema with a quote', { connectionString: url, schema: 'a"b' }, RangeError],
      ['schema in upper case', { connectionString: url, schema: 'Shop' }, RangeError],
      ['poolSize 0', { connectionString: url, poolSize: 0 }, RangeError],
      ['poolSize not an integer', { connectionString: url, poolSize: 1.5 }, TypeError],
      ['unknown option', { connectionString: url, max: 3 }, RangeError],
    ];
    for (const [what, options, type] of wrong) assert.throws(() => new PostgresVendorStore(options as PostgresStoreOptions), type, what);
    assert.throws(
      () => new PostgresVendorStore({ connectionString: 'mysql://root:hunter2@db/shop' }),
      (e: Error) => !e.message.includes('hunter2'),
      'a password is never echoed',
    );
  });

  it('micromint({ postgres }) is checked the same way, and is one of store, postgres and dbPath', () => {
    const base = { vendorId: 'http://127.0.0.1:4001', broker: 'http://127.0.0.1:4000', secret: 'x'.repeat(32), logger: quietLogger() };
    assert.throws(() => micromint({ ...base, postgres: 'sqlite://x.db' }), RangeError);
    assert.throws(() => micromint({ ...base, postgres: 42 as unknown as string }), TypeError);
    assert.throws(() => micromint({ ...base, postgres: 'postgres://127.0.0.1/shop', dbPath: 'x.db' }), /one of store, postgres and dbPath/);
  });
});

describe('PostgresVendorStore on a real server', () => {
  it('migrates a new schema once when four instances start at the same moment', async () => {
    const schema = schemas.fresh();
    const stores = Array.from({ length: 4 }, () => schemas.store(schema));
    try {
      await Promise.all(stores.map((s) => s.ready()));
      const versions = await schemas.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
      assert.deepEqual(
        versions.map((v) => v.version),
        Array.from({ length: PostgresVendorStore.schemaVersion }, (_, i) => i + 1),
      );
      const tables = await schemas.query<{ t: string }>(
        `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      );
      assert.deepEqual(
        tables.map((r) => r.t),
        [
          'coins',
          'epochs',
          'keys',
          'payments',
          'payword_chains',
          'payword_payments',
          'probes',
          'redemption_batches',
          'refusals',
          'schema_migrations',
        ],
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps everything across reopening, and refuses a schema written by newer code', async () => {
    const first = schemas.store();
    const p = coinPayment();
    await first.recordPayment(p);
    const batch = await first.unredeemed(10);
    await first.close();
    await assert.rejects(first.stats(), /closed/);
    const reopened = schemas.store(first.schema);
    const st = await reopened.stats();
    assert.deepEqual([st.payments, st.coins, st.openBatches, st.inOpenBatch], [1, 2, 1, 2]);
    assert.equal((await reopened.unredeemed(10))?.batchId, batch?.batchId);
    await reopened.close();

    await schemas.query(`INSERT INTO "${first.schema}".schema_migrations (version) VALUES (99)`);
    const newer = schemas.store(first.schema);
    await assert.rejects(newer.stats(), /version 99, newer than this code/);
    await assert.rejects(newer.recordPayment(coinPayment()), /version 99/, 'each call tries again, and fails again');
    await newer.close();
  });

  it('a retry that waits while another instance takes its payment back is recorded anew, never served for nothing', async () => {
    const s = schemas.store();
    const p = coinPayment();
    await s.recordPayment(p);
    // Another instance locks the payment to take it back; the retry arrives meanwhile and waits.
    const other = await schemas.client();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM "${s.schema}".payments WHERE id = $1 FOR UPDATE`, [p.id]);
      const retry = s.recordPayment({ ...p, id: 'pay_retry' });
      await lockWaiter();
      await other.query(`DELETE FROM "${s.schema}".coins WHERE payment_id = $1`, [p.id]);
      await other.query(`DELETE FROM "${s.schema}".payments WHERE id = $1`, [p.id]);
      await other.query('COMMIT');
      assert.deepEqual(await retry, { status: 'recorded', paymentId: 'pay_retry' });
    } finally {
      await other.end();
    }
    const st = await s.stats();
    assert.deepEqual([st.payments, st.coins], [1, 2]);
    await s.close();
  });

  it('a server that takes no writes fails probe(); one that would not commit durably is refused', async () => {
    const writable = schemas.store();
    await writable.probe();
    await writable.close();
    const readOnly = new PostgresVendorStore({
      connectionString: withSettings('-c default_transaction_read_only=on'),
      schema: writable.schema,
    });
    await readOnly.ready(); // migrated already: nothing to write
    await assert.rejects(readOnly.probe(), /read-only transaction/);
    await readOnly.close();
    const lax = new PostgresVendorStore({ connectionString: withSettings('-c synchronous_commit=off'), schema: schemas.fresh() });
    await assert.rejects(lax.recordPayment(coinPayment()), /synchronous_commit = off/);
    await lax.close();
  });

  it('micromint({ postgres }) records there, reports a server that is down as unhealthy, and closes its pool', async () => {
    const logger = quietLogger();
    const mm = micromint({
      vendorId: 'http://127.0.0.1:4001',
      broker: 'http://127.0.0.1:4000',
      secret: 'x'.repeat(32),
      logger,
      postgres: pgUrl(),
    });
    assert.ok(mm.store instanceof PostgresVendorStore);
    assert.equal(mm.store.schema, 'micromint');
    await mm.store.probe!();
    await mm.close();
    await assert.rejects(mm.store.stats(), /closed/);
    await schemas.query('DROP SCHEMA IF EXISTS micromint CASCADE');

    const down = micromint({
      vendorId: 'http://127.0.0.1:4001',
      broker: `http://127.0.0.1:${await freePort()}`,
      secret: 'x'.repeat(32),
      logger,
      postgres: `postgres://nobody:secret@127.0.0.1:${await freePort()}/shop`,
    });
    const health = await down.health();
    assert.deepEqual(health.store, { ok: false, error: 'store_unavailable' });
    assert.match(logger.errors.join('\n'), /the payment store failed \(probe\).*ECONNREFUSED/);
    assert.doesNotMatch(logger.errors.join('\n'), /secret/, 'the password is not logged');
    await down.close();
  });
});
