/**
 * Nobody pays for nothing: a payment sent to a URL that is free by then, or for content the site
 * then fails to serve (5xx), is answered with a receipt that takes nothing and releases every
 * coin, and the store keeps nothing of it. A payment stays when someone else has a claim on it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { coinId, encodeHeader, micromintRequirements, micromintNetwork, type SettlementResponse } from '@micromint/shared';
import { MemoryVendorStore, type VendorStore } from '../src/index.ts';
import { paymentHeader, paymentMessage, payInBody, receiptOf } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';

const BROKER = 'http://127.0.0.1:9';
const ALICE = userId(0xa11ce);

let mint: Mint;
before(() => {
  mint = mintEpoch();
});

/** The test site's own routes: handlers that fail in each way there is. */
interface Site {
  maybePrice: number | undefined;
  flaky: boolean;
  vendor?: Vendor;
}

const PRICES = { '/api/quote': 1, '/boom': 1, '/busy': 1, '/late': 1, '/batch-then-boom': 1, '/flaky': 1 };

async function startSite(
  flavor: 'express5' | 'express4' = 'express5',
  store?: VendorStore,
): Promise<{ v: Vendor; site: Site; wallet: Wallet }> {
  const site: Site = { maybePrice: 1, flaky: false };
  const v = await startVendor({
    broker: BROKER,
    epoch: mint.epoch,
    flavor,
    ...(store ? { store } : {}),
    prices: [PRICES, (req) => (req.path === '/maybe' ? site.maybePrice : undefined)],
    routes: (app) => {
      app.get('/maybe', (_req, res) => res.send('free now'));
      app.get('/boom', () => {
        throw new Error('a bug in the handler');
      });
      app.get('/busy', (_req, res) => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('busy');
      });
      app.get('/late', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        throw new Error('failed after the headers went out');
      });
      app.get('/batch-then-boom', (_req, _res, next) => {
        // A redemption run takes the coins into a batch while the handler is still working.
        site.vendor!.mm.store.unredeemed(1000).then(() => next(new Error('failed after the batch')), next);
      });
      app.get('/flaky', (_req, res) => {
        if (site.flaky) throw new Error('flaky');
        res.send('ok');
      });
    },
  });
  site.vendor = v;
  return { v, site, wallet: new Wallet(mint, ALICE, v.url) };
}

/** The PAYMENT-SIGNATURE of `coins` for `path` at vendor `v`. */
const headerFor = (v: Vendor, path: string, coins: Uint8Array[]) =>
  paymentHeader({ url: v.url + path, vendorId: v.url, broker: BROKER, epoch: mint.epoch, userId: ALICE, coins });

const released = (r: SettlementResponse) => (r.extensions as { micromint: { coins: string[]; released?: string[] } }).micromint;

describe('a payment for a URL that is free by the time it arrives', () => {
  let v: Vendor;
  let site: Site;
  let wallet: Wallet;
  before(async () => ({ v, site, wallet } = await startSite()));
  after(() => v.close());

  it('is answered no_payment_required, releasing every coin; the content is served; nothing is recorded', async () => {
    site.maybePrice = 1;
    const url = `${v.url}/maybe`;
    assert.equal((await fetch(url)).status, 402);
    site.maybePrice = undefined; // the price was removed between challenge and retry
    const coins = wallet.take(1);
    const before = await v.mm.store.stats();
    const res = await fetch(url, { headers: { 'payment-signature': headerFor(v, new URL(url).pathname, coins) } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'free now');
    const receipt = receiptOf(res);
    assert.deepEqual(receipt, {
      success: false,
      errorReason: 'no_payment_required',
      transaction: '',
      network: micromintNetwork(BROKER),
      payer: ALICE,
      extensions: { micromint: { coins: [], released: [coinId(coins[0]!)] } },
    });
    assert.deepEqual(await v.mm.store.stats(), before);
    // The coin is the wallet's again: it pays for something else.
    const quote = `${v.url}/api/quote`;
    const again = await fetch(quote, { headers: { 'payment-signature': headerFor(v, '/api/quote', coins) } });
    assert.equal(again.status, 200);
    assert.equal(receiptOf(again).success, true);
  });

  it("a payment recorded while the URL was priced (its answer lost) stays the vendor's: sent again once the URL is free, it is answered as paid, never given back", async () => {
    site.maybePrice = 1;
    const url = `${v.url}/maybe`;
    const coins = wallet.take(1);
    const header = headerFor(v, '/maybe', coins);
    const first = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(first.status, 200);
    const paid = receiptOf(first);
    assert.equal(paid.success, true);
    await first.body?.cancel(); // the wallet never read this answer
    site.maybePrice = undefined;
    const before = await v.mm.store.stats();
    const again = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(again.status, 200);
    assert.equal(await again.text(), 'free now');
    const receipt = receiptOf(again);
    assert.equal(receipt.success, true, "the vendor keeps the coin it recorded: it is redeemed as the vendor's");
    assert.equal(receipt.transaction, paid.transaction);
    assert.equal(released(receipt).released, undefined);
    assert.deepEqual(await v.mm.store.stats(), before);
    // The redemption batch still holds the coin once: it was not given back to be spent again.
    const batch = await v.mm.store.unredeemed(100);
    assert.equal(batch?.coins.filter((c) => c.coinId === coinId(coins[0]!)).length, 1);
  });

  it('the same for a payment in the body: the free GET is served with the receipt', async () => {
    site.maybePrice = undefined;
    const url = `${v.url}/maybe`;
    const coins = wallet.take(2);
    const res = await payInBody(url, paymentMessage({ url, vendorId: v.url, epoch: mint.epoch, userId: ALICE, coins }));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'free now');
    assert.equal(receiptOf(res).errorReason, 'no_payment_required');
    assert.deepEqual(released(receiptOf(res)).released, coins.map(coinId));
  });

  it('a header this vendor cannot read, or of a scheme it does not take, passes a free URL untouched', async () => {
    const exact = { ...micromintRequirements({ price: 1, vendorId: v.url, broker: BROKER, epoch: 'e' }), scheme: 'exact' };
    for (const header of ['garbage', encodeHeader({ x402Version: 2, accepted: exact, payload: {} })]) {
      const res = await fetch(`${v.url}/free.html`, { headers: { 'payment-signature': header } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('payment-response'), null);
      await res.body?.cancel();
    }
  });
});

describe('a payment for content the site then fails to serve (5xx)', () => {
  for (const flavor of ['express5', 'express4'] as const) {
    it(`${flavor}: a handler that throws: 500, the payment is taken back, the receipt releases every coin, no access cookie`, async () => {
      const { v } = await startSite(flavor);
      try {
        const wallet = new Wallet(mint, ALICE, v.url);
        const url = `${v.url}/boom`;
        const coins = wallet.take(1);
        const before = await v.mm.store.stats();
        const res = await fetch(url, { headers: { 'payment-signature': headerFor(v, new URL(url).pathname, coins) } });
        assert.equal(res.status, 500);
        await res.body?.cancel();
        const receipt = receiptOf(res);
        assert.equal(receipt.success, false);
        assert.equal(receipt.errorReason, 'not_served');
        assert.equal(receipt.transaction, '');
        assert.deepEqual(released(receipt), { coins: [], released: [coinId(coins[0]!)] });
        assert.deepEqual(res.headers.getSetCookie(), [], 'no access window for a payment taken back');
        assert.deepEqual(await v.mm.store.stats(), before, 'nothing of the payment is left');
        assert.ok(v.logger.warnings.some((w) => /answered 500: payment pay_\w+ taken back/.test(w)));
        // Released for real: the same coin pays for another URL (not a double spend).
        const quote = `${v.url}/api/quote`;
        const again = await fetch(quote, { headers: { 'payment-signature': headerFor(v, '/api/quote', coins) } });
        assert.equal(again.status, 200);
      } finally {
        await v.close();
      }
    });
  }

  describe('and the cases where the payment stays', () => {
    let v: Vendor;
    let site: Site;
    let wallet: Wallet;
    before(async () => ({ v, site, wallet } = await startSite()));
    after(() => v.close());
    const pay = (path: string, coins: Uint8Array[]) => fetch(v.url + path, { headers: { 'payment-signature': headerFor(v, path, coins) } });

    it('a 503 the handler writes itself (writeHead) is not served either: taken back', async () => {
      const before = await v.mm.store.stats();
      const res = await pay('/busy', wallet.take(1));
      assert.equal(res.status, 503);
      assert.equal(await res.text(), 'busy');
      assert.equal(receiptOf(res).errorReason, 'not_served');
      assert.deepEqual(await v.mm.store.stats(), before);
    });

    it('a replay of a payment served before stays when the handler now fails (only what this request recorded is taken back)', async () => {
      site.flaky = false;
      const coins = wallet.take(1);
      const first = await pay('/flaky', coins);
      assert.equal(first.status, 200);
      const mid = await v.mm.store.stats();
      site.flaky = true;
      const again = await pay('/flaky', coins);
      assert.equal(again.status, 500);
      await again.body?.cancel();
      assert.equal(receiptOf(again).success, true);
      assert.equal(receiptOf(again).transaction, receiptOf(first).transaction);
      assert.deepEqual(await v.mm.store.stats(), mid);
    });

    it('a payment whose coins a redemption batch took meanwhile stays', async () => {
      const before = await v.mm.store.stats();
      const res = await pay('/batch-then-boom', wallet.take(1));
      assert.equal(res.status, 500);
      await res.body?.cancel();
      assert.equal(receiptOf(res).success, true);
      const now = await v.mm.store.stats();
      assert.equal(now.payments, before.payments + 1);
      assert.ok(now.inOpenBatch > 0);
      assert.ok(v.logger.warnings.some((w) => /answered 500 after payment .* the payment stands/.test(w)));
    });

    it('a payment whose 2xx headers went out before the handler failed stays', async () => {
      const before = await v.mm.store.stats();
      const res = await pay('/late', wallet.take(1));
      assert.equal(res.status, 200);
      assert.equal(receiptOf(res).success, true);
      await res.text().catch(() => undefined); // the connection is cut after the partial body
      assert.equal((await v.mm.store.stats()).payments, before.payments + 1);
    });
  });

  it('a store that cannot un-record keeps the payment and says it was paid', async () => {
    const store = new MemoryVendorStore();
    Object.defineProperty(store, 'unrecordPayment', { value: undefined }); // a store written before the method
    const { v } = await startSite('express5', store);
    try {
      const url = `${v.url}/boom`;
      const res = await fetch(url, { headers: { 'payment-signature': headerFor(v, '/boom', new Wallet(mint, ALICE, v.url).take(1)) } });
      assert.equal(res.status, 500);
      await res.body?.cancel();
      assert.equal(receiptOf(res).success, true);
      assert.equal((await store.stats()).payments, 1);
    } finally {
      await v.close();
    }
  });
});
