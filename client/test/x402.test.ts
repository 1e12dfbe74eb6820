/**
 * A stock x402 user pays our sites: `@x402/fetch`'s `wrapFetchWithPayment` over an `x402Client`
 * with the client's `micromint` and `payword` scheme plugins, backed by the same wallet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { x402Client } from '@x402/core/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import { micromintNetwork, PAYMENT_RESPONSE_HEADER } from '@micromint/shared';
import { openWallet, type Wallet } from '../src/wallet/wallet.ts';
import { micromintScheme, paywordScheme } from '../src/x402/scheme-client.ts';
import { registerMicroMint } from '../src/x402/register.ts';
import { startWorld, tempDir, type World } from './world.ts';

describe('x402 client plugins', () => {
  let world: World;
  let wallet: Wallet;
  let userId: string;
  before(async () => {
    world = await startWorld();
    wallet = openWallet(tempDir('x402'));
    userId = await world.reader('x402@example.com');
    wallet.importFunds(await world.buy(userId, 1));
  });
  after(async () => {
    wallet.close();
    await world.stop();
  });

  it('pays an article with coins through wrapFetchWithPayment, settling the wallet from the receipt', async () => {
    const client = new x402Client().register(micromintNetwork(world.brokerUrl) as `${string}:${string}`, micromintScheme(wallet));
    const paidFetch = wrapFetchWithPayment(fetch, client);
    const before = wallet.balance().coins;
    const res = await paidFetch(`${world.shop.url}/articles/sourdough-at-altitude.html`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /sourdough/i);
    assert.equal(decodePaymentResponseHeader(res.headers.get(PAYMENT_RESPONSE_HEADER)!).success, true);
    assert.equal(wallet.balance().coins, before - 2);
    assert.equal(wallet.payments(1)[0]?.state, 'paid');
  });

  it('pays the per-call API with links once the wallet key is connected', async () => {
    await world.connect(wallet, userId);
    const client = new x402Client().register(micromintNetwork(world.brokerUrl) as `${string}:${string}`, paywordScheme(wallet));
    const paidFetch = wrapFetchWithPayment(fetch, client);
    for (let i = 0; i < 3; i++) {
      const res = await paidFetch(`${world.shop.url}/api/quote`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const [chain] = wallet.chainList();
    assert.equal(chain?.next, 4);
    assert.deepEqual(
      wallet.payments(3).map((p) => [p.scheme, p.state]),
      [
        ['payword', 'paid'],
        ['payword', 'paid'],
        ['payword', 'paid'],
      ],
    );
  });

  it('registers both schemes for the wallet\u2019s broker in one call; a stock client picks the site\u2019s first', async () => {
    const paidFetch = wrapFetchWithPayment(fetch, registerMicroMint(new x402Client(), wallet));
    const res = await paidFetch(`${world.shop.url}/articles/the-lighthouse-keepers-ledger.html`);
    assert.equal(res.status, 200);
    assert.equal(wallet.payments(1)[0]?.scheme, 'micromint');
  });

  it('never pays over the wallet\u2019s caps: the x402 client fails to create the payment, nothing is spent', async () => {
    const client = new x402Client().register(
      micromintNetwork(world.brokerUrl) as `${string}:${string}`,
      micromintScheme(wallet, { caps: { perRequest: 1 } }),
    );
    const before = wallet.balance().coins;
    await assert.rejects(wrapFetchWithPayment(fetch, client)(`${world.shop.url}/articles/the-cartographers-last-map.html`), /per request/);
    assert.equal(wallet.balance().coins, before);
  });
});
