/**
 * A payment header is not a key for ever: the same payment is served again for
 * `replayWindowSeconds` after it was recorded (the wallet's retry), and refused as
 * `already-spent` after that, whatever process or path finds it. The clock is the `now` option.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { coinId, decodeInvalidPayment, MICROMINT_MIME } from '@micromint/shared';
import { DEFAULTS } from '../src/index.ts';
import { challengeOf, paymentHeader, receiptOf, tempDir } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';

const BROKER = 'http://127.0.0.1:9';
const ALICE = userId(0xa11ce);
const WINDOW_MS = DEFAULTS.replayWindowSeconds * 1000;

let mint: Mint;
const tmp = tempDir();
before(() => {
  mint = mintEpoch();
});
after(() => tmp.cleanup());

/** A test clock, moved by hand. */
const clock = () => {
  let t = Date.parse('2030-01-01T00:00:00.000Z');
  return { now: () => t, set: (ms: number) => (t = ms), start: t };
};

describe('the replay window', () => {
  it('is one hour by default', () => {
    assert.equal(DEFAULTS.replayWindowSeconds, 3600);
  });

  it('the same header is served until the window ends and refused just after, also after a restart and without a cookie', async () => {
    const c = clock();
    mint = mintEpoch({ expiresAt: '2030-02-01T00:00:00.000Z' });
    const dbPath = join(tmp.dir, 'restart.db');
    let v: Vendor = await startVendor({ broker: BROKER, epoch: mint.epoch, dbPath, now: c.now });
    const url = `${v.url}/api/quote`;
    const coins = new Wallet(mint, ALICE, v.url).take(1);
    const header = paymentHeader({ url, vendorId: v.url, broker: BROKER, epoch: mint.epoch, userId: ALICE, coins });
    try {
      const first = await fetch(url, { headers: { 'payment-signature': header } });
      assert.equal(first.status, 200);
      const paymentId = receiptOf(first).transaction;

      // The vendor restarts (same origin, same database): a new process, no cookie, the same header.
      const restart = async () => {
        const port = Number(new URL(v.url).port);
        await v.close();
        v = await startVendor({ broker: BROKER, epoch: mint.epoch, dbPath, now: c.now, port });
      };
      await restart();
      c.set(c.start + WINDOW_MS);
      const inside = await fetch(url, { headers: { 'payment-signature': header } });
      assert.equal(inside.status, 200, 'at exactly the window the retry is still served');
      assert.equal(receiptOf(inside).transaction, paymentId);
      assert.equal(((await inside.json()) as { paid: { replay: boolean } }).paid.replay, true);

      await restart();
      const before = await v.mm.store.stats();
      c.set(c.start + WINDOW_MS + 1);
      const late = await fetch(url, { headers: { 'payment-signature': header, accept: 'application/json' } });
      assert.equal(late.status, 402, 'one millisecond later it is refused');
      const challenge = challengeOf(late);
      assert.equal(challenge.error, 'already-spent');
      assert.deepEqual((challenge.extensions as { micromint: { refused: unknown } }).micromint.refused, [
        { coinId: coinId(coins[0]!), reason: 'already-spent' },
      ]);
      const invalid = await fetch(url, { headers: { 'payment-signature': header, accept: MICROMINT_MIME } });
      assert.equal(invalid.status, 402);
      assert.deepEqual(
        decodeInvalidPayment(mint.epoch, await invalid.text()).refused.map((r) => r.reason),
        ['already-spent'],
      );
      const after = await v.mm.store.stats();
      assert.deepEqual([after.payments, after.coins], [before.payments, before.coins], 'nothing recorded again');
      assert.equal(after.refusals, before.refusals + 2, 'each late replay is in the refusal log');
      assert.ok(v.logger.warnings.some((w) => w.includes(paymentId) && w.includes('replay window')));
    } finally {
      await v.close();
    }
  });

  it('a retry found after the terms moved on (price change) follows the same window', async () => {
    const c = clock();
    mint = mintEpoch({ expiresAt: '2030-02-01T00:00:00.000Z' });
    let price = 1;
    const v = await startVendor({
      broker: BROKER,
      epoch: mint.epoch,
      now: c.now,
      replayWindowSeconds: 60,
      prices: (req) => (req.path === '/priced' ? price : undefined),
    });
    try {
      const url = `${v.url}/priced`;
      const header = paymentHeader({
        url,
        vendorId: v.url,
        broker: BROKER,
        epoch: mint.epoch,
        userId: ALICE,
        coins: new Wallet(mint, ALICE, v.url).take(1),
      });
      assert.equal((await fetch(url, { headers: { 'payment-signature': header } })).status, 404); // recorded, no handler
      price = 2;
      c.set(c.start + 60_000);
      const inside = await fetch(url, { headers: { 'payment-signature': header, accept: 'application/json' } });
      assert.equal(inside.status, 404, 'served as paid (the handler 404s), not refused');
      assert.equal(receiptOf(inside).success, true);
      c.set(c.start + 60_001);
      const late = await fetch(url, { headers: { 'payment-signature': header, accept: 'application/json' } });
      assert.equal(late.status, 402);
      assert.equal(challengeOf(late).error, 'already-spent');
    } finally {
      await v.close();
    }
  });
});
