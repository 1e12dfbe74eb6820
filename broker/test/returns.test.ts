/**
 * Returns never refund a coin a vendor took in good time: Request-Credit opens at the epoch's returnsFrom,
 * after the redemption period (expiresAt + grace) during which vendors redeem. Real servers, a real SQLite
 * file, the broker's clock moved by the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  MICROMINT_MIME,
  coinId,
  decodeSendExpired,
  encodeRequestCredit,
  epochFromJson,
  slotOfBall,
  toHex,
  type FundsWithdrawn,
} from '@micromint/shared';
import { createBroker, publishedParams } from '../src/index.ts';
import { Browser, TestClock, coinsFor, decodeFundsWithdrawn, entry, postJson, startBroker, type TestBroker } from './helpers.ts';

const A = 'http://127.0.0.1:4601';
const GRACE_SECONDS = 600;

describe('returns open only after the redemption period', () => {
  const clock = new TestClock();
  let tb: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let fw: FundsWithdrawn;
  let key: string;
  let coins: Uint8Array[];
  let epochJson: { expiresAt: string; redeemBy: string; returnsFrom: string };
  const balance = (kind: 'user' | 'vendor', id: string) => tb.broker.store.accounts.balance(kind, id);
  const redeem = (body: unknown) => postJson(`${tb.base}/api/redeem`, body, { authorization: `Bearer ${key}` });
  const credit = async (balls: Uint8Array[]) => {
    const res = await fetch(`${tb.base}/api/credit`, {
      method: 'POST',
      headers: { 'content-type': MICROMINT_MIME },
      body: encodeRequestCredit({ broker: tb.base, userId: aliceId, epoch: fw.epoch.id, balls }),
    });
    return { status: res.status, json: await res.json() };
  };
  /** The mint's status of the coin's first ball. */
  const ballStatus = async (coin: Uint8Array) => {
    const x = coin.subarray(0, 16);
    const { superbin, subbin } = slotOfBall(fw.epoch, x);
    const ball = (await tb.broker.store.epochs.ballAt(fw.epoch.id, superbin, subbin))!;
    assert.deepEqual(new Uint8Array(ball.x), x);
    return ball.status;
  };

  before(async () => {
    tb = await startBroker({ now: clock.now, validSeconds: 3600, redeemGraceSeconds: GRACE_SECONDS });
    alice = new Browser(tb.base);
    aliceId = await alice.signUp('alice@example.com');
    await alice.addFunds('2');
    fw = decodeFundsWithdrawn((await alice.buy(1)).text);
    key = (await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'Shop A' })).json.apiKey;
    coins = coinsFor(fw, A);
    assert.ok(coins.length >= 6, `${coins.length} coins for A`);
  });
  after(() => tb.stop());

  test('the epoch JSON announces redeemBy = expiresAt + grace and returnsFrom = redeemBy; a restart cannot shorten them', async () => {
    const cur = await (await fetch(`${tb.base}/api/epochs/current`)).json();
    epochJson = cur.epoch;
    assert.equal(Date.parse(epochJson.redeemBy) - Date.parse(epochJson.expiresAt), GRACE_SECONDS * 1000);
    assert.equal(epochJson.returnsFrom, epochJson.redeemBy);
    assert.deepEqual(await (await fetch(`${tb.base}/api/epochs/${fw.epoch.id}`)).json(), cur);
    const p = epochFromJson(cur.epoch);
    assert.equal(p.redeemBy, epochJson.redeemBy);
    assert.equal(p.returnsFrom, epochJson.returnsFrom);
    // The shared parser refuses an epoch that would open returns before redemption closes.
    assert.throws(() => epochFromJson({ ...cur.epoch, returnsFrom: epochJson.expiresAt }), RangeError);
    assert.throws(() => epochFromJson({ ...cur.epoch, redeemBy: 'soon' }), RangeError);
    // Older brokers' epochs (no such fields) still parse.
    const { redeemBy: _r, returnsFrom: _f, ...old } = cur.epoch;
    assert.equal(epochFromJson(old).redeemBy, undefined);
    // The deadline was pinned when first published: a broker opened on the same file with a 1 s grace keeps it.
    const restarted = await createBroker({ ...tb.storeOptions, publicUrl: tb.base, redeemGraceSeconds: 1 });
    try {
      const epoch = (await restarted.store.epochs.get(fw.epoch.id))!;
      assert.equal((await publishedParams(restarted.context, epoch)).redeemBy, epochJson.redeemBy);
    } finally {
      await restarted.close();
    }
    // The home page gives the dates.
    const home = await (await fetch(`${tb.base}/`)).text();
    assert.match(home, /id="epoch-redeem-by">/);
    assert.match(home, /id="epoch-returns-from">/);
  });

  test('pay, return the same ball at once: 409 returns_not_open, nothing changes; the vendor redeems and is credited', async () => {
    const coin = coins[0]!;
    const userBefore = await balance('user', aliceId);
    const ret = await credit([coin.subarray(0, 16)]);
    assert.equal(ret.status, 409);
    assert.equal(ret.json.error, 'returns_not_open');
    assert.equal(ret.json.returnsFrom, epochJson.returnsFrom);
    assert.equal(typeof ret.json.message, 'string');
    assert.equal(await ballStatus(coin), 'sold', 'the return changed nothing');
    assert.equal(await tb.sql.value('SELECT count(*) FROM credit_returns'), 0);
    const r = await redeem({ batchId: 'paid-then-returned', coins: [entry(fw, coin, A)] });
    assert.deepEqual(r.json.results, [{ coinId: coinId(coin), status: 'credited' }]);
    assert.equal(await balance('vendor', A), 1);
    assert.equal(await balance('user', aliceId), userBefore, 'the payer was not refunded');
  });

  test('after expiry, vendors still redeem coins paid in time until redeemBy; a coin paid after expiry is refused', async () => {
    clock.set(Date.parse(epochJson.redeemBy) - 1000);
    const inTime = entry(fw, coins[1]!, A, { paidAt: new Date(Date.parse(epochJson.expiresAt) - 1000).toISOString() });
    const tooLate = entry(fw, coins[2]!, A, { paidAt: epochJson.expiresAt });
    const r = await redeem({ batchId: 'grace', coins: [inTime, tooLate] });
    assert.deepEqual(
      r.json.results.map((x: { status: string; reason?: string }) => x.reason ?? x.status),
      ['credited', 'expired'],
    );
    assert.equal(await balance('vendor', A), 2);
    // Returns are still closed one second before returnsFrom.
    assert.equal((await credit([coins[3]!.subarray(0, 16)])).status, 409);
  });

  test('before returnsFrom the pages give the date and no Send-Expired', async () => {
    const account = (await alice.get('/account')).text;
    assert.match(account, new RegExp(`data-epoch="${fw.epoch.id}" data-returns-from="${epochJson.returnsFrom}"`));
    assert.doesNotMatch(account, /action="\/account\/return"/);
    assert.doesNotMatch((await alice.get('/account/return')).text, /<form method="post" action="\/account\/return"/);
    const posted = await alice.post('/account/return', {}, { csrf: await alice.csrf('/account/return') });
    assert.equal(posted.res.status, 200);
    assert.doesNotMatch(posted.text, /micromint-send-expired/);
  });

  test('from returnsFrom: an unspent ball is credited, a spent one is not; redemption is closed', async () => {
    clock.set(epochJson.returnsFrom);
    const spent = coins[0]!.subarray(0, 16);
    const unspent = coins[3]!.subarray(0, 16);
    const userBefore = await balance('user', aliceId);
    const vendorBefore = await balance('vendor', A);
    const ret = await credit([spent, unspent]);
    assert.equal(ret.status, 200);
    assert.equal(ret.json.credited, 1);
    assert.deepEqual(ret.json.refused, [{ ball: toHex(spent), reason: 'already-spent' }]);
    assert.equal(await balance('user', aliceId), userBefore + 1);
    assert.equal(await balance('vendor', A), vendorBefore);
    assert.equal(await ballStatus(coins[0]!), 'redeemed');
    assert.equal(await ballStatus(coins[3]!), 'returned');
    // A vendor that waited past redeemBy is told why; nothing is redeemed.
    const late = await redeem({ batchId: 'late', coins: [entry(fw, coins[4]!, A)] });
    assert.deepEqual(late.json.results, [{ coinId: coinId(coins[4]!), status: 'refused', reason: 'redemption-closed' }]);
    assert.equal(await balance('vendor', A), vendorBefore);
  });

  test('from returnsFrom the account page offers the return, and the POST delivers Send-Expired as before', async () => {
    const account = (await alice.get('/account')).text;
    assert.match(account, /<form method="post" action="\/account\/return">/);
    assert.doesNotMatch(account, /data-returns-from=/);
    const posted = await alice.post('/account/return', {}, { csrf: await alice.csrf('/account/return') });
    const m = /<script type="application\/x-micromint" class="micromint-send-expired" data-epoch="[^"]+">([\s\S]*?)<\/script>/.exec(
      posted.text,
    );
    assert.ok(m, 'a Send-Expired message for the wallet');
    assert.deepEqual(decodeSendExpired(m[1]!), {
      broker: tb.base,
      userId: aliceId,
      epoch: fw.epoch.id,
      returnUrl: `${tb.base}/api/credit`,
    });
  });
});
