/**
 * With an API token and no browser: login (the wallet key connected to the account), buying sets
 * through the token API, the token's spending limit, paying with the chain the connected key has
 * authorized, and a purchase whose answer was lost finished with the same request id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PAYWORD_SCHEME } from '@micromint/shared';
import { buy } from '../src/account/buy.ts';
import { login } from '../src/account/login.ts';
import { BrokerError, WalletError } from '../src/errors.ts';
import { paymentOf } from '../src/pay/payment-info.ts';
import { wrapFetch } from '../src/pay/wrap-fetch.ts';
import { openWallet } from '../src/wallet/wallet.ts';
import { startWorld, tempDir, type World } from './world.ts';

describe('buying with an API token', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(() => world.stop());

  it('logs in, buys sets, pays coins then links', async () => {
    const userId = await world.reader('token@example.com', 2000);
    const wallet = openWallet(tempDir('token'));
    try {
      const { me, keyAdded } = await login(wallet, world.brokerUrl, await world.token(userId));
      assert.deepEqual([me.userId, keyAdded, wallet.userId], [userId, true, userId]);
      const bought = await buy(wallet, 2);
      assert.equal(bought.sets, 2);
      assert.equal(wallet.balance().coins, bought.coins);
      assert.equal(bought.balanceMills, 2000 - bought.coins);
      const paidFetch = wrapFetch(fetch, { wallet });
      const schemes = [];
      for (let i = 0; i < 3; i++) {
        const res = await paidFetch(`${world.shop.url}/api/quote`);
        assert.equal(res.status, 200);
        schemes.push(paymentOf(res)?.scheme);
        await res.arrayBuffer();
      }
      assert.deepEqual(schemes.slice(1), [PAYWORD_SCHEME, PAYWORD_SCHEME], 'the key login connected has the chain authorized');
      // The broker holds the chain's value: the account's balance went down by it.
      assert.equal((await wallet.broker().me()).balanceMills, 2000 - bought.coins - wallet.chainList()[0]!.length);
    } finally {
      wallet.close();
    }
  });

  it('refuses a purchase over the token\u2019s spending limit, buying nothing', async () => {
    const userId = await world.reader('limited@example.com');
    const wallet = openWallet(tempDir('limited'));
    try {
      await login(wallet, world.brokerUrl, await world.token(userId, '0.01'));
      await assert.rejects(buy(wallet, 3), (e) => e instanceof BrokerError && e.code === 'spending_limit');
      assert.equal(wallet.balance().coins, 0);
      assert.equal((await wallet.broker().me()).balanceMills, 5000);
    } finally {
      wallet.close();
    }
  });

  it('finishes a purchase whose answer was lost with the same request id: bought once', async () => {
    const userId = await world.reader('lost@example.com');
    const dir = tempDir('lost');
    let wallet = openWallet(dir);
    await login(wallet, world.brokerUrl, await world.token(userId));
    wallet.close();
    // A fetch that delivers the purchase to the broker and loses the answer.
    wallet = openWallet(dir, {
      fetch: async (url, init) => {
        await fetch(url, init);
        throw new TypeError('fetch failed');
      },
    });
    await assert.rejects(buy(wallet, 1), (e) => e instanceof BrokerError && e.code === 'broker-unreachable');
    wallet.close();
    wallet = openWallet(dir);
    try {
      const before = (await wallet.broker().me()).balanceMills;
      const again = await buy(wallet, 1);
      assert.equal(again.imports.length, 2, 'the lost purchase, then the new one');
      assert.equal(again.imports[0]!.imported, true);
      const spent = before - (await wallet.broker().me()).balanceMills;
      assert.equal(spent, again.imports[1]!.coins, 'only the new purchase was paid now');
      assert.equal(wallet.balance().coins, again.coins);
    } finally {
      wallet.close();
    }
  });

  it('refuses a token of another user for a wallet that holds coins', async () => {
    const wallet = openWallet(tempDir('other'));
    try {
      wallet.importFunds(await world.buy(await world.reader('first@example.com'), 1));
      const other = await world.reader('second@example.com');
      await assert.rejects(
        login(wallet, world.brokerUrl, await world.token(other)),
        (e) => e instanceof WalletError && e.code === 'wrong-user',
      );
      await assert.rejects(login(wallet, world.brokerUrl, 'not-a-token'), (e) => e instanceof WalletError && e.code === 'bad-token');
    } finally {
      wallet.close();
    }
  });
});
