/**
 * PayWord from a script: the shop offers coins and chains; a wallet whose key is connected to the
 * reader's account opens a chain for a site it comes back to (the extension's rule) and pays with
 * links after that; a wallet without coins opens one at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MICROMINT_SCHEME, PAYWORD_SCHEME } from '@micromint/shared';
import { login } from '../src/account/login.ts';
import { paymentOf } from '../src/pay/payment-info.ts';
import { wrapFetch } from '../src/pay/wrap-fetch.ts';
import { openWallet, type Wallet } from '../src/wallet/wallet.ts';
import { startWorld, tempDir, type World } from './world.ts';

describe('paying the shop with links', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(() => world.stop());

  it('pays the first request with coins, opens a chain on the second and pays links from then on', async () => {
    const wallet: Wallet = openWallet(tempDir('links'));
    try {
      const userId = await world.reader('links@example.com');
      wallet.importFunds(await world.buy(userId, 1));
      await world.connect(wallet, userId);
      const paidFetch = wrapFetch(fetch, { wallet });
      const schemes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await paidFetch(`${world.shop.url}/api/quote`);
        assert.equal(res.status, 200, await res.clone().text());
        const info = paymentOf(res);
        assert.equal(info?.status, 'paid', JSON.stringify(info));
        schemes.push(info!.scheme!);
        await res.text();
      }
      assert.deepEqual(schemes, [MICROMINT_SCHEME, PAYWORD_SCHEME, PAYWORD_SCHEME, PAYWORD_SCHEME]);
      const [chain] = wallet.chainList();
      assert.equal(chain?.status, 'open');
      assert.equal(chain?.next, 4, 'three links revealed, one a request');
      assert.equal(wallet.balance().chains, (chain!.length - 3) * chain!.value);
      const article = await paidFetch(`${world.shop.url}/articles/sourdough-at-altitude.html`);
      assert.equal(article.status, 200);
      assert.equal(paymentOf(article)?.scheme, PAYWORD_SCHEME);
      assert.equal(wallet.chainList()[0]?.next, 6, 'an article of 2 mills is two links');
    } finally {
      wallet.close();
    }
  });

  it('opens a chain at once when the wallet holds no coins: the hold comes from the account balance', async () => {
    const wallet = openWallet(tempDir('links-only'));
    try {
      const userId = await world.reader('chains-only@example.com', 1000);
      await login(wallet, world.brokerUrl, await world.token(userId));
      const res = await wrapFetch(fetch, { wallet })(`${world.shop.url}/articles/the-lighthouse-keepers-ledger.html`);
      assert.equal(res.status, 200);
      assert.equal(paymentOf(res)?.scheme, PAYWORD_SCHEME);
      const [chain] = wallet.chainList();
      assert.equal((await wallet.broker().me()).balanceMills, 1000 - chain!.length * chain!.value);
    } finally {
      wallet.close();
    }
  });
});
