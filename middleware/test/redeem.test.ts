import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { coinId } from '@micromint/shared';
import { main } from '../src/cli.ts';
import { redeemDeadlines, redeemPending, RedeemError, REDEEM_WARNING_SECONDS, SqliteVendorStore } from '../src/index.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { PgSchemas, pgUrl } from './postgres.ts';
import { freePort, paymentHeader, tempDir } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';

const ALICE = userId(0xa11ce);
let mint: Mint;
let broker: TestBroker;

before(async () => {
  mint = mintEpoch();
  broker = await startBroker({ epochs: [mint.epoch] });
});
after(() => broker.close());

/** A vendor registered at the broker, with `payments` paid requests of 1 coin each. */
async function paidVendor(
  payments: number,
  options: Partial<Parameters<typeof startVendor>[0]> = {},
): Promise<{ vendor: Vendor; wallet: Wallet; apiKey: string; coins: Uint8Array[] }> {
  const port = await freePort();
  const apiKey = broker.register(`http://127.0.0.1:${port}`);
  const vendor = await startVendor({ broker: broker.url, apiKey, epoch: mint.epoch, ...options });
  // The key was registered for a reserved port; re-register under the vendor's real origin.
  broker.vendors.set(apiKey, vendor.url);
  const wallet = new Wallet(mint, ALICE, vendor.url);
  const coins: Uint8Array[] = [];
  for (let i = 0; i < payments; i++) {
    const url = `${vendor.url}/api/feeds/f${i}`;
    const c = wallet.take(2);
    coins.push(...c);
    const res = await fetch(url, {
      headers: {
        'payment-signature': paymentHeader({ url, vendorId: vendor.url, broker: broker.url, epoch: mint.epoch, userId: ALICE, coins: c }),
      },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  return { vendor, wallet, apiKey, coins };
}

describe('redeem (MMVendorRedeem)', () => {
  it('sends pending coins in batches and records credited and refused coins', async () => {
    const { vendor, coins } = await paidVendor(3);
    try {
      // One coin was already redeemed at the broker by someone else: a double spend.
      broker.spent.set(`${mint.epoch.id} ${coinId(coins[1]!)}`, 'http://elsewhere.test');
      const report = await vendor.mm.redeem({ batchSize: 4 });
      assert.equal(report.batches.length, 2);
      assert.deepEqual(
        report.batches.map((b) => b.sent),
        [4, 2],
      );
      assert.equal(report.credited, 5);
      assert.equal(report.creditedMills, 5);
      assert.deepEqual(report.refused, [{ coinId: coinId(coins[1]!), reason: 'already-spent' }]);
      const st = await vendor.mm.store.stats();
      assert.deepEqual([st.credited, st.refused, st.pending, st.openBatches], [5, 1, 0, 0]);
      // Nothing left: a second run sends nothing.
      const calls = broker.redeemCalls.length;
      assert.equal((await vendor.mm.redeem()).batches.length, 0);
      assert.equal(broker.redeemCalls.length, calls);
    } finally {
      await vendor.close();
    }
  });

  it('broker down: throws a clear error, drops nothing, and the retry reuses the batch id', async () => {
    const { vendor, apiKey } = await paidVendor(2);
    try {
      const down = `http://127.0.0.1:${await freePort()}`;
      const err = await redeemPending({ store: vendor.mm.store, broker: down, apiKey }).then(
        () => assert.fail('should throw'),
        (e: unknown) => e as RedeemError,
      );
      assert.ok(err instanceof RedeemError);
      assert.match(err.message, /cannot reach the broker/);
      assert.match(err.message, /stays pending/);
      const st = await vendor.mm.store.stats();
      assert.deepEqual([st.pending, st.inOpenBatch, st.openBatches, st.credited], [4, 4, 1, 0]);

      const report = await vendor.mm.redeem();
      assert.equal(report.batches[0]!.batchId, err.batchId);
      assert.equal(report.batches[0]!.retry, true);
      assert.equal(broker.redeemCalls.at(-1), err.batchId);
      assert.equal(report.credited, 4);
    } finally {
      await vendor.close();
    }
  });

  it('a broker error (500) keeps the batch for a retry with the same id', async () => {
    const { vendor } = await paidVendor(1);
    try {
      broker.mode = 'error-500';
      const err = await vendor.mm.redeem().catch((e: RedeemError) => e);
      assert.ok(err instanceof RedeemError);
      assert.match(err.message, /answered 500/);
      broker.mode = 'ok';
      const report = await vendor.mm.redeem();
      assert.equal(report.batches[0]!.batchId, err.batchId);
      assert.equal(report.credited, 2);
    } finally {
      broker.mode = 'ok';
      await vendor.close();
    }
  });

  it('a lost answer: the retry sends the same batch id and gets the stored answer, nothing is credited twice', async () => {
    const { vendor } = await paidVendor(2);
    try {
      broker.mode = 'lose-response';
      const spentBefore = broker.spent.size;
      const err = await vendor.mm.redeem().catch((e: RedeemError) => e);
      assert.ok(err instanceof RedeemError);
      assert.equal(broker.spent.size, spentBefore + 4); // the broker did the work
      broker.mode = 'ok';
      const report = await vendor.mm.redeem();
      assert.equal(report.batches.length, 1);
      assert.equal(report.batches[0]!.batchId, err.batchId);
      assert.equal(report.credited, 4);
      assert.deepEqual(report.refused, []); // not "already-spent": the broker answered from its record
      assert.equal(broker.spent.size, spentBefore + 4);
      assert.equal(broker.redeemCalls.filter((b) => b === err.batchId).length, 2);
    } finally {
      broker.mode = 'ok';
      await vendor.close();
    }
  });

  it('a batch the broker rejects as a whole (413) frees its coins for a new batch', async () => {
    const { vendor } = await paidVendor(1);
    try {
      broker.mode = 'too-large';
      const err = await vendor.mm.redeem().catch((e: RedeemError) => e);
      assert.ok(err instanceof RedeemError);
      assert.match(err.message, /smaller batchSize/);
      assert.deepEqual([(await vendor.mm.store.stats()).pending, (await vendor.mm.store.stats()).openBatches], [2, 0]);
      broker.mode = 'ok';
      const report = await vendor.mm.redeem({ batchSize: 1 });
      assert.notEqual(report.batches[0]!.batchId, err.batchId);
      assert.equal(report.credited, 2);
    } finally {
      broker.mode = 'ok';
      await vendor.close();
    }
  });

  it('a disabled vendor is told so, with why and where to look, never "API key not accepted"; the batch is kept', async () => {
    const { vendor } = await paidVendor(1);
    try {
      broker.mode = 'disabled';
      const err = await vendor.mm.redeem().catch((e: RedeemError) => e);
      assert.ok(err instanceof RedeemError);
      assert.match(err.message, /disabled this vendor \(complaints from paying customers\)/);
      assert.match(err.message, /vendors\/dashboard/);
      assert.doesNotMatch(err.message, /API key/);
      assert.equal((await vendor.mm.store.stats()).inOpenBatch, 2);
      broker.mode = 'ok';
      const report = await vendor.mm.redeem();
      assert.equal(report.batches[0]!.batchId, err.batchId, 'the same batch is sent again');
      assert.equal(report.credited, 2);
    } finally {
      broker.mode = 'ok';
      await vendor.close();
    }
  });

  it('a wrong API key is a clear error and keeps the batch', async () => {
    const { vendor } = await paidVendor(1);
    try {
      const err = await redeemPending({ store: vendor.mm.store, broker: broker.url, apiKey: 'mmk_wrong' }).catch((e: RedeemError) => e);
      assert.ok(err instanceof RedeemError);
      assert.match(err.message, /API key/);
      assert.equal((await vendor.mm.store.stats()).inOpenBatch, 2);
    } finally {
      await vendor.close();
    }
  });
});

describe('redeemBy deadlines', () => {
  it('name the epochs with pending coins whose redeemBy is at most REDEEM_WARNING_SECONDS away, or past', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const at = (s: number) => new Date(now + s * 1000).toISOString();
    const epochs = [
      { id: 'near', redeemBy: at(REDEEM_WARNING_SECONDS) },
      { id: 'far', redeemBy: at(REDEEM_WARNING_SECONDS + 1) },
      { id: 'past', redeemBy: at(-60) },
      { id: 'none' },
      { id: 'done', redeemBy: at(10) },
    ];
    const pending = ['near', 'far', 'past', 'none', 'unknown']
      .map((epoch) => ({ epoch, pending: 3 }))
      .concat([{ epoch: 'done', pending: 0 }]);
    assert.deepEqual(redeemDeadlines(pending, epochs, now), [
      { epoch: 'near', pending: 3, redeemBy: at(REDEEM_WARNING_SECONDS), secondsLeft: REDEEM_WARNING_SECONDS },
      { epoch: 'past', pending: 3, redeemBy: at(-60), secondsLeft: -60 },
    ]);
  });
});

describe('the vendor CLI', () => {
  it('stats and redeem print tables', async () => {
    const { vendor, apiKey } = await paidVendor(2);
    const dbPath = join(vendor.dir, 'vendor.db');
    await vendor.mm.close(); // the CLI opens the same file
    const lines: string[] = [];
    const errors: string[] = [];
    try {
      assert.equal(
        await main(
          ['stats', '--db', dbPath],
          (l) => lines.push(l),
          (l) => errors.push(l),
        ),
        0,
      );
      assert.match(lines.join('\n'), /payments\s+2/);
      assert.match(lines.join('\n'), /pending\s+4/);
      lines.length = 0;
      process.env.MICROMINT_API_KEY = apiKey;
      assert.equal(
        await main(
          ['redeem', '--db', dbPath, '--broker', broker.url],
          (l) => lines.push(l),
          (l) => errors.push(l),
        ),
        0,
      );
      const out = lines.join('\n');
      assert.match(out, /batch\s+coin\s+status\s+reason\s+url/);
      assert.equal((out.match(/ credited /g) ?? []).length, 4);
      assert.match(out, /Credited 4 coins \(4 mills, 0\.4¢\); refused 0\./);
      assert.equal(errors.length, 0, errors.join('\n'));
      assert.equal(
        await main(
          ['redeem', '--db', dbPath],
          () => undefined,
          (l) => errors.push(l),
        ),
        2,
      );
      assert.equal(
        await main(
          ['frobnicate', '--db', dbPath],
          () => undefined,
          (l) => errors.push(l),
        ),
        2,
      );
      assert.equal(
        await main(
          ['stats', '--db', join(vendor.dir, 'missing.db')],
          () => undefined,
          (l) => errors.push(l),
        ),
        1,
      );
    } finally {
      delete process.env.MICROMINT_API_KEY;
      await vendor.close();
    }
  });

  it('stats and redeem a PostgreSQL store, given by --postgres (or "env") and --schema', async () => {
    const schemas = new PgSchemas();
    const schema = schemas.fresh();
    const { vendor, apiKey } = await paidVendor(2, { store: schemas.store(schema) });
    const lines: string[] = [];
    const errors: string[] = [];
    const run = (args: string[]) =>
      main(
        args,
        (l) => lines.push(l),
        (l) => errors.push(l),
      );
    try {
      await vendor.mm.store.close();
      assert.equal(await run(['stats', '--postgres', pgUrl(), '--schema', schema]), 0);
      assert.match(lines.join('\n'), /pending\s+4/);
      lines.length = 0;
      process.env.MICROMINT_POSTGRES_URL = pgUrl();
      assert.equal(await run(['redeem', '--postgres', 'env', '--schema', schema, '--broker', broker.url, '--api-key', apiKey]), 0);
      assert.match(lines.join('\n'), /Credited 4 coins \(4 mills, 0\.4¢\); refused 0\./);
      assert.equal(errors.length, 0, errors.join('\n'));
      // Usage errors: both stores, neither, a schema for SQLite, a URL that is not Postgres's (never echoed).
      for (const args of [
        ['stats', '--db', 'x.db', '--postgres', pgUrl()],
        ['stats'],
        ['stats', '--db', 'x.db', '--schema', schema],
        ['stats', '--postgres', 'http://user:secret@127.0.0.1/db'],
      ]) {
        errors.length = 0;
        assert.equal(await run(args), 2, args.join(' '));
        assert.doesNotMatch(errors.join('\n'), /secret/);
      }
    } finally {
      delete process.env.MICROMINT_API_KEY;
      delete process.env.MICROMINT_POSTGRES_URL;
      await vendor.close();
      await schemas.dropAll();
    }
  });

  it('runs as a program through tsx', async () => {
    const tmp = tempDir();
    try {
      const db = join(tmp.dir, 'v.db');
      await new SqliteVendorStore(db).close();
      const cli = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
      const args = ['--conditions=@micromint/source', '--import', 'tsx', cli, 'stats', '--db', db];
      const { stdout } = await promisify(execFile)(process.execPath, args);
      assert.match(stdout, /payments\s+0/);
    } finally {
      tmp.cleanup();
    }
  });
});
