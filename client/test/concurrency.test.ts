/**
 * Many payments at once never spend a coin or a link twice: 50 parallel calls in one process (coins,
 * then links), and two processes paying from one wallet file. The shop's redemption at the broker
 * is the judge: every coin it took is credited, none is a double spend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MICROMINT_SCHEME, PAYWORD_SCHEME } from '@micromint/shared';
import { paymentOf } from '../src/pay/payment-info.ts';
import { wrapFetch } from '../src/pay/wrap-fetch.ts';
import { openWallet } from '../src/wallet/wallet.ts';
import { runToEnd } from './child.ts';
import { startWorld, tempDir, type World } from './world.ts';

const PAY = new URL('./fixtures/pay.ts', import.meta.url);
const wide = { perRequest: 100, perHostPerDay: 100_000, perDay: 100_000 };

describe('concurrent payments', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(() => world.stop());

  it('50 parallel calls in one process pay 50 different coins', async () => {
    const wallet = openWallet(tempDir('parallel-coins'));
    try {
      wallet.importFunds(await world.buy(await world.reader('parallel@example.com'), 3));
      const before = wallet.balance().coins;
      const paidFetch = wrapFetch(fetch, { wallet, caps: wide });
      const responses = await Promise.all(Array.from({ length: 50 }, () => paidFetch(`${world.shop.url}/api/quote`)));
      for (const res of responses) {
        assert.equal(res.status, 200);
        assert.equal(paymentOf(res)?.status, 'paid');
        assert.equal(paymentOf(res)?.scheme, MICROMINT_SCHEME);
        await res.arrayBuffer();
      }
      const coins = wallet.payments(100).flatMap((p) => p.coinIds);
      assert.equal(coins.length, 50);
      assert.equal(new Set(coins).size, 50);
      assert.equal(wallet.balance().coins, before - 50);
      const report = await world.shop.middleware.redeem();
      assert.equal(report.credited, 50);
      assert.deepEqual(report.refused, []);
    } finally {
      wallet.close();
    }
  });

  it('50 parallel calls open one chain and reveal each link once', async () => {
    const wallet = openWallet(tempDir('parallel-links'));
    try {
      const userId = await world.reader('parallel-links@example.com');
      wallet.importFunds(await world.buy(userId, 1));
      await world.connect(wallet, userId);
      wallet.configure({ policy: { openChainAfter: 1 } });
      const paidFetch = wrapFetch(fetch, { wallet, caps: wide });
      const responses = await Promise.all(Array.from({ length: 50 }, () => paidFetch(`${world.shop.url}/api/quote`)));
      for (const res of responses) {
        assert.equal(res.status, 200);
        assert.equal(paymentOf(res)?.scheme, PAYWORD_SCHEME);
        await res.arrayBuffer();
      }
      const chains = wallet.chainList();
      assert.equal(chains.length, 1);
      assert.equal(chains[0]!.next, 51);
      const indices = wallet.payments(100).map((p) => p.link!.index);
      assert.deepEqual(
        [...indices].sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const report = await world.shop.middleware.redeem();
      assert.equal(report.chainMills, 50);
    } finally {
      wallet.close();
    }
  });

  it('two processes on one wallet file pay 50 different coins', async () => {
    const dir = tempDir('two-processes');
    const wallet = openWallet(dir);
    wallet.importFunds(await world.buy(await world.reader('two@example.com'), 3));
    const before = wallet.balance().coins;
    wallet.close();
    const url = `${world.shop.url}/api/quote`;
    const runs = await Promise.all([runToEnd(PAY, [dir, url, '25']), runToEnd(PAY, [dir, url, '25'])]);
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { status: number; payment: { status: string } });
      assert.equal(lines.length, 25);
      for (const l of lines) assert.deepEqual([l.status, l.payment.status], [200, 'paid']);
    }
    const after = openWallet(dir);
    try {
      const coins = after.payments(100).flatMap((p) => p.coinIds);
      assert.equal(new Set(coins).size, 50);
      assert.equal(after.balance().coins, before - 50);
      const report = await world.shop.middleware.redeem();
      assert.equal(report.credited, 50);
      assert.deepEqual(report.refused, []);
    } finally {
      after.close();
    }
  });
});
