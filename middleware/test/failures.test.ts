/**
 * Failures a site owner can act on: a store that cannot record answers 503 store_unavailable
 * (no internals, the cause logged once), the health check tells the truth, and a vendor
 * restarted while the broker is down verifies coins with the epochs it kept in its store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readMicromintRequirements } from '@micromint/shared';
import { createShop } from '../examples/shop/server.ts';
import { MemoryVendorStore, RedeemError, SqliteVendorStore, type VendorHealth } from '../src/index.ts';
import { startBroker } from './broker.ts';
import { challengeOf, paymentHeader, quietLogger, receiptOf, tempDir } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';

const BROKER = 'http://127.0.0.1:9';
const ALICE = userId(0xa11ce);

let mint: Mint;
const tmp = tempDir();
before(() => {
  mint = mintEpoch();
});
after(() => tmp.cleanup());

const pay = (v: Vendor, path: string, coins: Uint8Array[], broker = BROKER, epoch = mint.epoch) =>
  fetch(v.url + path, {
    headers: { 'payment-signature': paymentHeader({ url: v.url + path, vendorId: v.url, broker, epoch, userId: ALICE, coins }) },
  });

/** Nothing of the store's own error reaches the client. */
function assertNoInternals(text: string): void {
  for (const leak of [/sqlite/i, /readonly/i, /\bat \S+:\d+/, /\.ts\b/, /secret/i]) assert.doesNotMatch(text, leak);
}

describe('a store that cannot record', () => {
  it('a read-only SQLite file: 503 store_unavailable with Retry-After and no internals, logged once; free URLs work; paying works again after', async () => {
    const v = await startVendor({ broker: BROKER, epoch: mint.epoch });
    try {
      const db = (v.mm.store as SqliteVendorStore).db;
      const wallet = new Wallet(mint, ALICE, v.url);
      db.pragma('query_only = ON'); // writes now fail as on a read-only file: SQLITE_READONLY
      const coins = wallet.take(1);
      for (let i = 0; i < 2; i++) {
        const res = await pay(v, '/api/quote', coins);
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('retry-after'), '30');
        assert.equal(res.headers.get('payment-response'), null, 'no receipt: nothing was taken');
        const text = await res.text();
        assertNoInternals(text);
        assert.equal((JSON.parse(text) as { error: string }).error, 'store_unavailable');
      }
      assert.equal(v.logger.errors.length, 1, v.logger.errors.join('\n'));
      assert.match(v.logger.errors[0]!, /SQLITE_READONLY/);
      assert.equal((await fetch(`${v.url}/free.html`)).status, 200);
      assert.equal((await v.mm.health()).store.ok, false);

      db.pragma('query_only = OFF');
      const res = await pay(v, '/api/quote', coins);
      assert.equal(res.status, 200, 'the same coins pay: the failed attempts took nothing');
      assert.equal(receiptOf(res).success, true);
      assert.ok(v.logger.warnings.some((w) => /records again/.test(w)));
      assert.equal((await v.mm.health()).store.ok, true);
    } finally {
      await v.close();
    }
  });

  it('a store that throws (with a stack and a path in its error) is a 503 that shows none of it', async () => {
    const store = new MemoryVendorStore();
    store.recordPayment = async () => {
      throw new Error('EIO: write failed at /srv/shop/secret/vendor.db');
    };
    const v = await startVendor({ broker: BROKER, epoch: mint.epoch, store });
    try {
      const res = await pay(v, '/articles/cheap.html', new Wallet(mint, ALICE, v.url).take(1));
      assert.equal(res.status, 503);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const text = await res.text();
      assertNoInternals(text);
      assert.deepEqual(Object.keys(JSON.parse(text) as object), ['error', 'message']);
      assert.match(v.logger.errors.join('\n'), /EIO: write failed/);
    } finally {
      await v.close();
    }
  });
});

describe('a vendor restarted while the broker is down', () => {
  it('keeps the epochs it fetched (with the broker’s redeemBy) and verifies coins offline; redeem() warns before redeemBy', async () => {
    // An epoch that ends within the hour, whose coins the broker redeems for two hours more.
    const soon = mintEpoch({ id: 'ending-soon', expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    const broker = await startBroker({ epochs: [soon.epoch] });
    const redeemBy = new Date(Date.now() + 3 * 3600_000).toISOString();
    // A bad returnsFrom and a field this code does not know must not cost the epoch.
    broker.epochExtra = { redeemBy, returnsFrom: 'not a date', futureField: { x: 1 } };
    const dbPath = join(tmp.dir, 'offline.db');
    let v = await startVendor({ broker: broker.url, dbPath, apiKey: 'mmk_test' });
    try {
      const wallet = new Wallet(soon, ALICE, v.url);
      const first = await pay(v, '/api/quote', wallet.take(1), broker.url, soon.epoch);
      assert.equal(first.status, 200, (await first.clone().text()) + v.logger.errors.join());
      const port = Number(new URL(v.url).port);
      await v.close();
      await broker.close(); // the broker is gone, then the vendor restarts

      v = await startVendor({ broker: broker.url, dbPath, apiKey: 'mmk_test', port });
      const challenge = await fetch(`${v.url}/articles/cheap.html`, { headers: { accept: 'application/json' } });
      assert.equal(challenge.status, 402, 'payment is asked in the kept epoch, not 503');
      assert.equal(readMicromintRequirements(challengeOf(challenge).accepts[0]!).epoch, soon.epoch.id);
      const paid = await pay(v, '/articles/cheap.html', wallet.take(1), broker.url, soon.epoch);
      assert.equal(paid.status, 200, 'a fresh coin is verified without the broker');
      assert.equal(receiptOf(paid).success, true);

      const health: VendorHealth = await v.mm.health();
      assert.deepEqual(health, {
        ok: true,
        store: { ok: true },
        epoch: { ok: true, id: soon.epoch.id, expiresAt: soon.epoch.expiresAt, redeemBy },
      });

      await assert.rejects(v.mm.redeem(), RedeemError);
      const warning = v.logger.warnings.find((w) => w.includes('must reach the broker by'));
      assert.ok(warning, v.logger.warnings.join('\n'));
      assert.match(
        warning,
        new RegExp(`2 coins of epoch ${soon.epoch.id} are not redeemed yet .* by ${redeemBy.replace(/[.]/g, '\\.')} \\(in 2 h\\)`),
      );
    } finally {
      await v.close();
    }
  });

  it('without a kept epoch it still answers 503 broker_unavailable, and the health check says so', async () => {
    const v = await startVendor({ broker: 'http://127.0.0.1:9' });
    try {
      const res = await fetch(`${v.url}/articles/cheap.html`);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: string }).error, 'broker_unavailable');
      assert.deepEqual(await v.mm.health(), { ok: false, store: { ok: true }, epoch: { ok: false, error: 'broker_unavailable' } });
    } finally {
      await v.close();
    }
  });
});

describe('the demo shop’s health check', () => {
  it('is ok only while the store records and an epoch is known', async () => {
    const broker = await startBroker({ epochs: [mint.epoch] });
    const shop = await createShop({ brokerUrl: broker.url, dataDir: join(tmp.dir, 'shop'), logger: quietLogger() });
    try {
      const ok = await fetch(`${shop.url}/api/health`);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), {
        ok: true,
        store: { ok: true },
        epoch: { ok: true, id: mint.epoch.id, expiresAt: mint.epoch.expiresAt },
        vendorId: shop.url,
      });
      const db = (shop.middleware.store as SqliteVendorStore).db;
      db.pragma('query_only = ON');
      const down = await fetch(`${shop.url}/api/health`);
      assert.equal(down.status, 503);
      const body = (await down.json()) as VendorHealth;
      assert.deepEqual([body.ok, body.store], [false, { ok: false, error: 'store_unavailable' }]);
      db.pragma('query_only = OFF');
      assert.equal((await fetch(`${shop.url}/api/health`)).status, 200);
    } finally {
      await shop.close();
      await broker.close();
    }
  });
});
