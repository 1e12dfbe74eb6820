/**
 * Clearing chains through `mm.redeem()` and the CLI, in the same batches as coins (the broker's
 * `chains` in `POST /api/redeem`): the broker credits exactly the links revealed, a second run
 * pays nothing, a chain paid further is cleared for the difference, a lost answer is resent under
 * its batch id, and a payment the broker may have paid for is never taken back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../src/cli.ts';
import { chainDeadlines, parseRedeemResponse, RedeemError, REDEEM_WARNING_SECONDS } from '../src/index.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { ChainWallet, offerOf, type TestChain } from './chains.ts';
import { paymentHeader, receiptOf } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startRegisteredVendor, type Vendor } from './vendor.ts';

const ALICE = userId(0xa11ce);

let mint: Mint;
let broker: TestBroker;
let wallet: ChainWallet;

before(async () => {
  mint = mintEpoch({ balls: 4000 });
  broker = await startBroker({ epochs: [mint.epoch] });
  wallet = new ChainWallet(broker, ALICE);
});
after(() => broker.close());

/** Pays `path` at `v` with the chain's next links (as many as the price asks). */
async function payLinks(v: Vendor, chain: TestChain, path: string, units = 1): Promise<Response> {
  const res = await fetch(v.url + path, { headers: { 'payment-signature': chain.pay(v.url + path, { units }).header } });
  await res.body?.cancel();
  return res;
}

const held = (chain: TestChain) => broker.payword.chains.get(chain.chainId)!;

describe('clearing chains with redeem()', () => {
  let v: Vendor;
  before(async () => {
    v = await startRegisteredVendor(broker, {
      epoch: mint.epoch,
      prices: { '/api/quote': 1, '/api/feeds/*': 2, '/boom': 1 },
      routes: (app) =>
        app.get('/boom', () => {
          throw new Error('a bug in the handler');
        }),
    });
  });
  after(() => v.close());

  it('credits exactly the links revealed, in the same batch as the coins; a second run pays nothing', async () => {
    const chain = await wallet.open(await offerOf(`${v.url}/api/quote`));
    assert.equal((await payLinks(v, chain, '/api/quote')).status, 200);
    assert.equal((await payLinks(v, chain, '/api/feeds/a', 2)).status, 200);
    const quote = `${v.url}/articles/cheap.html`;
    const coins = new Wallet(mint, ALICE, v.url).take(1);
    assert.equal(
      (
        await fetch(quote, {
          headers: {
            'payment-signature': paymentHeader({
              url: quote,
              vendorId: v.url,
              broker: broker.url,
              epoch: mint.epoch,
              userId: ALICE,
              coins,
            }),
          },
        })
      ).status,
      200,
    );

    const calls = broker.redeemCalls.length;
    const report = await v.mm.redeem();
    assert.equal(broker.redeemCalls.length, calls + 1, 'one batch for coins and chains');
    assert.deepEqual([report.batches[0]!.sent, report.batches[0]!.chainsSent, report.credited], [1, 1, 1]);
    assert.deepEqual(report.chains, [{ chainId: chain.chainId, status: 'cleared', clearedIndex: 3, paidUnits: 3, paidMills: 3 }]);
    assert.equal(report.chainMills, 3);
    assert.equal(broker.payword.credits.get(v.url), 3, 'the broker credited 3 links of 1 mill');
    assert.equal(held(chain).clearedIndex, 3);
    const stored = await v.mm.store.paywordChain!(chain.chainId);
    assert.deepEqual([stored?.clearedIndex, stored?.paidUnits, stored?.paidMills], [3, 3, 3]);

    const again = await v.mm.redeem();
    assert.deepEqual(again.batches, []);
    assert.equal(broker.redeemCalls.length, calls + 1, 'nothing to send');
    assert.equal(broker.payword.credits.get(v.url), 3);
  });

  it('a chain cleared, then paid further, is cleared for the difference', async () => {
    const before = broker.payword.credits.get(v.url) ?? 0;
    const chain = await wallet.open(await offerOf(`${v.url}/api/quote`));
    await payLinks(v, chain, '/api/quote');
    await v.mm.redeem();
    await payLinks(v, chain, '/api/feeds/b', 2);
    const report = await v.mm.redeem();
    assert.deepEqual(report.chains, [{ chainId: chain.chainId, status: 'cleared', clearedIndex: 3, paidUnits: 2, paidMills: 2 }]);
    assert.equal(broker.payword.credits.get(v.url), before + 3);
  });

  it('a lost answer: the next run resends the batch under its id (nothing paid twice), then clears what was paid meanwhile', async () => {
    const before = broker.payword.credits.get(v.url) ?? 0;
    const chain = await wallet.open(await offerOf(`${v.url}/api/quote`));
    await payLinks(v, chain, '/api/feeds/c', 2);
    broker.mode = 'lose-response';
    try {
      const err = await v.mm.redeem().catch((e: unknown) => e as RedeemError);
      assert.ok(err instanceof RedeemError);
      assert.equal(held(chain).clearedIndex, 2, 'the broker did the work');
      await payLinks(v, chain, '/api/quote'); // paid further while the answer was lost
      broker.mode = 'ok';
      const report = await v.mm.redeem();
      assert.deepEqual(
        report.batches.map((b) => [b.batchId === err.batchId, b.retry]),
        [
          [true, true],
          [false, false],
        ],
      );
      assert.deepEqual(
        report.chains.map((c) => [c.clearedIndex, c.paidUnits]),
        [
          [2, 2],
          [3, 1],
        ],
        'the stored answer, then the difference',
      );
      assert.equal(broker.payword.credits.get(v.url), before + 3);
    } finally {
      broker.mode = 'ok';
    }
  });

  it('a broker that answers no chains: the coins are closed, the chains stay due for the next run', async () => {
    const chain = await wallet.open(await offerOf(`${v.url}/api/quote`));
    await payLinks(v, chain, '/api/quote');
    broker.mode = 'no-chains';
    try {
      const report = await v.mm.redeem();
      assert.deepEqual([report.batches.length, report.chains], [1, []]);
      assert.equal((await v.mm.store.paywordChain!(chain.chainId))?.clearedIndex, 0);
      broker.mode = 'ok';
      assert.deepEqual(
        (await v.mm.redeem()).chains.map((c) => c.paidUnits),
        [1],
      );
    } finally {
      broker.mode = 'ok';
    }
  });

  it('a payment the broker may have paid for is never taken back; one above what was cleared is', async () => {
    const chain = await wallet.open(await offerOf(`${v.url}/api/quote`));
    // Index 2 first (a tab), leaving 1 unpaid; then clear at 2.
    const tab = chain.pay(`${v.url}/api/quote`, { index: 2, units: 1 });
    assert.equal((await fetch(`${v.url}/api/quote`, { headers: { 'payment-signature': tab.header } })).status, 200);
    await v.mm.redeem();
    // The other tab's range 1..1 arrives late, for a page that fails: the broker paid for index 1 already.
    const late = chain.pay(`${v.url}/boom`, { index: 1, units: 1, keepIndex: true });
    const boom = await fetch(`${v.url}/boom`, { headers: { 'payment-signature': late.header } });
    assert.equal(boom.status, 500);
    assert.equal(receiptOf(boom).success, true, 'it stays paid');
    assert.ok(v.logger.warnings.some((w) => w.includes('the payment stands')));
    // Above the cleared index it is taken back.
    const above = await fetch(`${v.url}/boom`, { headers: { 'payment-signature': chain.pay(`${v.url}/boom`, { units: 1 }).header } });
    assert.equal(above.status, 500);
    assert.equal(receiptOf(above).errorReason, 'not_served');
  });
});

describe('clearing with a link value', () => {
  it('credits units times the link value: 4 mills at 2 a link are 2 links, 4 mills', async () => {
    const v = await startRegisteredVendor(broker, { epoch: mint.epoch, linkValue: 2 });
    try {
      const chain = await wallet.open(await offerOf(`${v.url}/club/`));
      assert.equal(chain.commitment.value, 2);
      assert.equal((await payLinks(v, chain, '/club/', 2)).status, 200);
      assert.equal((await payLinks(v, chain, '/articles/cheap.html', 1)).status, 200, '1 mill at 2 a link: 1 link');
      const report = await v.mm.redeem();
      assert.deepEqual(
        report.chains.map((c) => [c.paidUnits, c.paidMills]),
        [[3, 6]],
      );
    } finally {
      await v.close();
    }
  });
});

describe('clearing deadlines and the CLI', () => {
  it('redeem() warns about chains whose expiresAt + clearGraceSeconds is near while they are not cleared', async () => {
    const b = await startBroker({ epochs: [mint.epoch] });
    b.payword.clearGraceSeconds = 3600;
    const v = await startRegisteredVendor(b, { epoch: mint.epoch });
    try {
      const chain = await new ChainWallet(b, ALICE).open(await offerOf(`${v.url}/api/quote`), {
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      });
      await payLinks(v, chain, '/api/quote');
      b.mode = 'error-500';
      await assert.rejects(v.mm.redeem(), RedeemError);
      const warning = v.logger.warnings.find((w) => w.includes(chain.chainId) && w.includes('not cleared yet'));
      assert.ok(warning, v.logger.warnings.join('\n'));
      assert.match(warning, /1 unit \(1 mills\) .* \(in 1 h\)/);
    } finally {
      await v.close();
      await b.close();
    }
  });

  it('chainDeadlines: within REDEEM_WARNING_SECONDS of expiresAt + grace, or past; cleared chains never', () => {
    const now = 2_000_000_000_000;
    const base = { value: 3, clearedIndex: 1, highestIndex: 4 };
    const near = { ...base, chainId: 'a'.repeat(32), expiresAt: now / 1000 + REDEEM_WARNING_SECONDS - 60 };
    const far = { ...base, chainId: 'b'.repeat(32), expiresAt: now / 1000 + REDEEM_WARNING_SECONDS + 1 };
    const done = { ...base, chainId: 'c'.repeat(32), expiresAt: now / 1000, clearedIndex: 4 };
    assert.deepEqual(chainDeadlines([near, far, done], 60, now), [
      {
        chainId: near.chainId,
        units: 3,
        mills: 9,
        clearBy: new Date(now + REDEEM_WARNING_SECONDS * 1000).toISOString(),
        secondsLeft: REDEEM_WARNING_SECONDS,
      },
    ]);
    assert.equal(chainDeadlines([far], undefined, now).length, 0);
  });

  it('an answer whose chains are not the batch\u2019s, in order, is not valid', () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const r = (chainId: string) => ({ chainId, status: 'cleared', clearedIndex: 1, paidUnits: 1, paidMills: 1 });
    const answer = (chains: unknown) => ({ batchId: 'rb_1', credited: 0, creditedMills: 0, results: [], chains });
    assert.deepEqual(parseRedeemResponse(answer([r(a), r(b)]), 'rb_1', [], [a, b]).chains?.length, 2);
    assert.throws(() => parseRedeemResponse(answer([r(b), r(a)]), 'rb_1', [], [a, b]), RangeError);
    assert.throws(() => parseRedeemResponse(answer([r(a)]), 'rb_1', [], [a, b]), RangeError);
    assert.throws(() => parseRedeemResponse(answer([{ ...r(a), paidMills: -1 }]), 'rb_1', [], [a]), TypeError);
    assert.equal(parseRedeemResponse({ ...answer(undefined), chains: undefined }, 'rb_1', [], [a]).chains, undefined);
  });

  it('the CLI clears chains with the coins and prints them', async () => {
    const v = await startRegisteredVendor(broker, { epoch: mint.epoch });
    const dbPath = join(v.dir, 'vendor.db');
    const chain = await wallet.open(await offerOf(`${v.url}/api/quote`));
    await payLinks(v, chain, '/api/feeds/x', 2);
    await v.mm.close();
    const lines: string[] = [];
    const errors: string[] = [];
    try {
      assert.equal(await main(['stats', '--db', dbPath], (l) => lines.push(l)), 0);
      assert.match(lines.join('\n'), /chains\s+1/);
      assert.match(lines.join('\n'), /to clear\s+1/);
      lines.length = 0;
      assert.equal(
        await main(
          ['redeem', '--db', dbPath, '--broker', broker.url, '--api-key', v.apiKey],
          (l) => lines.push(l),
          (l) => errors.push(l),
        ),
        0,
      );
      const out = lines.join('\n');
      assert.match(out, new RegExp(`${chain.chainId.slice(0, 16)}\\s+cleared\\s+2\\s+2\\s+2`));
      assert.match(out, /Cleared 1 chain: 2 links, 2 mills \(0\.2¢\)\./);
      assert.deepEqual(errors, []);
    } finally {
      await v.close();
    }
  });
});
