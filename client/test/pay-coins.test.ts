/**
 * The vertical slice: a wallet bought through the broker pays the real shop's articles and its
 * per-call API with MicroMint coins, through `wrapFetch`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MICROMINT_SCHEME } from '@micromint/shared';
import { openWallet, type Wallet } from '../src/wallet/wallet.ts';
import { paymentOf } from '../src/pay/payment-info.ts';
import { wrapFetch } from '../src/pay/wrap-fetch.ts';
import { startWorld, tempDir, type World } from './world.ts';

describe('paying the shop with coins', () => {
  let world: World;
  let wallet: Wallet;
  let userId: string;

  before(async () => {
    world = await startWorld();
    wallet = openWallet(tempDir('wallet'));
    userId = await world.reader('coins@example.com');
    const result = wallet.importFunds(await world.buy(userId, 2));
    assert.equal(result.imported, true);
    assert.ok(result.coins > 20, `bought ${result.coins} coins`);
  });
  after(async () => {
    wallet.close();
    await world.stop();
  });

  it('pays an article once and gets the article, the receipt readable from the response', async () => {
    const before = wallet.balance().coins;
    const paidFetch = wrapFetch(fetch, { wallet });
    const res = await paidFetch(`${world.shop.url}/articles/sourdough-at-altitude.html`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /sourdough/i);
    const info = paymentOf(res);
    assert.equal(info?.status, 'paid');
    assert.equal(info?.scheme, MICROMINT_SCHEME);
    assert.equal(info?.priceMills, 2);
    assert.equal(info?.receipt?.success, true);
    assert.equal(wallet.balance().coins, before - 2);
  });

  it('pays the per-call API on every call', async () => {
    const paidFetch = wrapFetch(fetch, { wallet });
    const before = wallet.balance().coins;
    for (let i = 0; i < 3; i++) {
      const res = await paidFetch(`${world.shop.url}/api/quote`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { text: string };
      assert.equal(typeof body.text, 'string');
      assert.equal(paymentOf(res)?.status, 'paid');
    }
    assert.equal(wallet.balance().coins, before - 3);
  });

  it('pays a price too large for a header in the body of a POST', async () => {
    const big = await world.bigVendor(100);
    wallet.importFunds(await world.buy(userId, 8));
    const res = await wrapFetch(fetch, { wallet, caps: { perRequest: 100 } })(`${big}/long-read.html`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /long read/);
    assert.equal(paymentOf(res)?.status, 'paid');
    assert.equal(wallet.payments(1)[0]?.body?.contentType, 'application/x-micromint');
    assert.equal(wallet.payments(1)[0]?.coinIds.length, 100);
  });

  it('leaves a free page alone', async () => {
    const res = await wrapFetch(fetch, { wallet })(`${world.shop.url}/`);
    assert.equal(res.status, 200);
    assert.equal(paymentOf(res), undefined);
  });
});
