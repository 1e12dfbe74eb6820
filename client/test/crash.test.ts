/**
 * kill -9 between spend and answer, then run again: nothing spent twice, nothing lost. The payment
 * written before the request left is sent again byte for byte for the same URL (the vendor answers
 * it as paid), and its coins or links never pay another request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { paymentOf } from '../src/pay/payment-info.ts';
import { wrapFetch } from '../src/pay/wrap-fetch.ts';
import { openWallet, type Wallet } from '../src/wallet/wallet.ts';
import { run, runToEnd } from './child.ts';
import { startWorld, tempDir, type World } from './world.ts';

const PAY = new URL('./fixtures/pay.ts', import.meta.url);

describe('a crash between spend and answer', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(() => world.stop());

  /** Runs the paying script in `mode` until it prints `marker`, then kills it with SIGKILL. */
  async function crash(dir: string, url: string, mode: string, marker: RegExp): Promise<void> {
    const child = run(PAY, [dir, url, '1', mode]);
    await child.line(marker);
    child.process.kill('SIGKILL');
    const { signal } = await child.exit;
    assert.equal(signal, 'SIGKILL');
  }

  /** The same script run to the end: its one result line. */
  async function rerun(
    dir: string,
    url: string,
  ): Promise<{ status: number; payment: { status: string; resent: boolean; paymentId: string } }> {
    const r = await runToEnd(PAY, [dir, url, '1']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim()) as { status: number; payment: { status: string; resent: boolean; paymentId: string } };
  }

  for (const [mode, marker] of [
    ['hang-after-answer', /^ANSWERED 200/],
    ['hang-after-spend', /^SPENT/],
  ] as const) {
    it(`coins (${mode}): the rerun resends the same payment; another URL gets other coins`, async () => {
      const dir = tempDir(`crash-coins-${mode}`);
      let wallet: Wallet = openWallet(dir);
      wallet.importFunds(await world.buy(await world.reader(`crash-${mode}@example.com`), 1));
      const before = wallet.balance().coins;
      wallet.close();
      const url = `${world.shop.url}/articles/sourdough-at-altitude.html`;
      await crash(dir, url, mode, marker);

      wallet = openWallet(dir);
      try {
        const [pending] = wallet.pending();
        assert.equal(pending?.url, url);
        assert.equal(wallet.balance().coins, before - 2, 'the coins stay spent');
        // Another request meanwhile is paid with other coins.
        const other = await wrapFetch(fetch, { wallet })(`${world.shop.url}/api/quote`);
        assert.equal(paymentOf(other)?.status, 'paid');
        const otherCoins = wallet.payments(10).find((p) => p.id === paymentOf(other)!.paymentId)!.coinIds;
        assert.equal(
          otherCoins.some((c) => pending!.coinIds.includes(c)),
          false,
        );

        const again = await rerun(dir, url);
        assert.deepEqual(
          [again.status, again.payment.status, again.payment.resent, again.payment.paymentId],
          [200, 'paid', true, pending!.id],
        );
        const settled = wallet.payments(10).find((p) => p.id === pending!.id)!;
        assert.equal(settled.header, pending!.header, 'sent again byte for byte');
        assert.equal(settled.attempts, 2);
        assert.equal(wallet.balance().coins, before - 3);
        const report = await world.shop.middleware.redeem();
        assert.equal(report.credited, 3, 'the shop was paid each coin once');
        assert.deepEqual(report.refused, []);
      } finally {
        wallet.close();
      }
    });
  }

  it('links (hang-after-answer): the rerun resends the same range; the chain never reveals it again', async () => {
    const dir = tempDir('crash-links');
    let wallet = openWallet(dir);
    const userId = await world.reader('crash-links@example.com');
    wallet.importFunds(await world.buy(userId, 1));
    await world.connect(wallet, userId);
    wallet.configure({ policy: { openChainAfter: 1 } });
    wallet.close();
    const url = `${world.shop.url}/articles/sourdough-at-altitude.html`;
    await crash(dir, url, 'hang-after-answer', /^ANSWERED 200/);

    wallet = openWallet(dir);
    try {
      const [pending] = wallet.pending();
      assert.deepEqual([pending?.link?.index, wallet.chainList()[0]?.next], [2, 3]);
      const other = await wrapFetch(fetch, { wallet })(`${world.shop.url}/api/quote`);
      assert.equal(paymentOf(other)?.status, 'paid');
      assert.equal(wallet.chainList()[0]?.next, 4, 'the next request got link 3');
      const again = await rerun(dir, url);
      assert.deepEqual([again.status, again.payment.status, again.payment.resent], [200, 'paid', true]);
      assert.equal(wallet.chainList()[0]?.next, 4, 'the resend revealed nothing new');
      const report = await world.shop.middleware.redeem();
      assert.equal(report.chainMills, 3, 'the shop clears links 1..3 once');
    } finally {
      wallet.close();
    }
  });
});
