/**
 * Caps refuse: a 402 over the most per request, per host in 24 hours or in all in 24 hours comes back
 * to the caller unpaid, with a `CapExceededError` as `paymentOf(res).error`, and nothing is spent.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CapExceededError } from '../src/errors.ts';
import { paymentOf } from '../src/pay/payment-info.ts';
import { wrapFetch } from '../src/pay/wrap-fetch.ts';
import { openWallet, type Wallet } from '../src/wallet/wallet.ts';
import { startWorld, tempDir, type World } from './world.ts';

describe('spending caps', () => {
  let world: World;
  let wallet: Wallet;
  before(async () => {
    world = await startWorld();
  });
  beforeEach(async () => {
    wallet?.close();
    wallet = openWallet(tempDir('caps'));
    wallet.importFunds(await world.buy(await world.reader(`caps-${Date.now()}-${Math.random()}@example.com`), 1));
  });
  after(async () => {
    wallet.close();
    await world.stop();
  });

  /** Asserts `res` is the vendor's 402, unpaid, refused by the cap `cap`. */
  async function refusedBy(res: Response, cap: CapExceededError['cap'], coinsBefore: number): Promise<void> {
    assert.equal(res.status, 402);
    const info = paymentOf(res);
    assert.equal(info?.status, 'declined');
    assert.ok(info?.error instanceof CapExceededError, String(info?.error));
    assert.equal(info.error.cap, cap);
    assert.match(info.error.message, /over/);
    assert.equal(wallet.balance().coins, coinsBefore, 'nothing was spent');
    await res.arrayBuffer();
  }

  it('refuses a price over the per-request cap', async () => {
    const coins = wallet.balance().coins;
    const res = await wrapFetch(fetch, { wallet, caps: { perRequest: 1 } })(`${world.shop.url}/articles/sourdough-at-altitude.html`);
    await refusedBy(res, 'per-request', coins);
    assert.equal(wallet.payments().length, 0);
  });

  it('refuses once a host took its daily most', async () => {
    const paidFetch = wrapFetch(fetch, { wallet, caps: { perRequest: 10, perHostPerDay: 3, perDay: 100 } });
    for (let i = 0; i < 3; i++) assert.equal(paymentOf(await paidFetch(`${world.shop.url}/api/quote`))?.status, 'paid');
    await refusedBy(await paidFetch(`${world.shop.url}/api/quote`), 'per-host-per-day', wallet.balance().coins);
  });

  it('refuses once the day\u2019s most is spent, whatever the host', async () => {
    const other = (await world.anotherShop()).url;
    const paidFetch = wrapFetch(fetch, { wallet, caps: { perRequest: 10, perHostPerDay: 100, perDay: 3 } });
    assert.equal(paymentOf(await paidFetch(`${world.shop.url}/api/quote`))?.status, 'paid');
    assert.equal(paymentOf(await paidFetch(`${world.shop.url}/articles/sourdough-at-altitude.html`))?.status, 'paid');
    const res = await paidFetch(`${other}/api/quote`);
    await refusedBy(res, 'per-day', wallet.balance().coins);
  });

  it('50 parallel calls under a daily cap of 10 pay exactly 10', async () => {
    const paidFetch = wrapFetch(fetch, { wallet, caps: { perRequest: 10, perHostPerDay: 10, perDay: 10 } });
    const responses = await Promise.all(Array.from({ length: 50 }, () => paidFetch(`${world.shop.url}/api/quote`)));
    const statuses = responses.map((r) => paymentOf(r)?.status);
    assert.equal(statuses.filter((s) => s === 'paid').length, 10);
    assert.equal(statuses.filter((s) => s === 'declined').length, 40);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
  });

  it('checks caps eagerly', () => {
    assert.throws(() => wrapFetch(fetch, { wallet, caps: { perRequest: -1 } }), RangeError);
    assert.throws(() => wrapFetch(fetch, { wallet, caps: { perDay: 1.5 } }), TypeError);
  });
});
