import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePaymentPayload, readMicromintPayload, verifyCoin, coinId } from '@micromint/shared';
import { balance, fundsFor, importFunds, InsufficientFundsError, openWallet, spend, type WalletDb } from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 2));
const text = fundsText(epoch, sets);
const coins = sets.reduce((n, s) => n + s.balls[0]!.size, 0);

async function wallet(label: string): Promise<{ db: WalletDb; name: string }> {
  const name = freshDbName(label);
  const db = await openWallet(name);
  await importFunds(db, text);
  return { db, name };
}

const pay = (db: WalletDb, price: number, url = `${VENDOR}/article/${price}`, vendorId = VENDOR) =>
  spend(db, { url, vendorId, broker: BROKER, epoch: epoch.id, price, requirement: requirementFor(epoch, price, vendorId) });

test('a spend makes coins that verify for the vendor and marks their first balls spent', async () => {
  const { db } = await wallet('spend');
  const payment = await pay(db, 3);
  assert.equal(payment.state, 'pending');
  assert.equal(payment.coinIds.length, 3);
  const body = decodePaymentPayload(payment.header);
  assert.equal(body.resource?.url, `${VENDOR}/article/3`);
  assert.deepEqual(body.accepted, requirementFor(epoch, 3));
  const paid = readMicromintPayload(epoch, body);
  assert.equal(paid.userId, USER);
  assert.equal(paid.epoch, epoch.id);
  for (const c of paid.coins) {
    const check = verifyCoin(epoch, c, USER, VENDOR);
    assert.equal(check.ok, true, JSON.stringify(check));
  }
  assert.deepEqual(paid.coins.map(coinId), payment.coinIds);
  for (const id of payment.coinIds) {
    const ball = await db.get('balls', [epoch.id, id]);
    assert.equal(ball?.state, 'spent');
    assert.equal(ball?.role, 0);
    assert.equal(ball?.paymentId, payment.id);
  }
  assert.equal(await balance(db), coins - 3);
  assert.equal((await db.get('payments', payment.id))?.header, payment.header);
  db.close();
});

test('many payments, also concurrent and for different vendors, never reuse a first ball', async () => {
  const { db } = await wallet('many');
  const vendors = [VENDOR, 'http://127.0.0.1:4002', 'https://shop.example'];
  const seen = new Set<string>();
  let spent = 0;
  for (let round = 0; round < 6; round++) {
    const batch = await Promise.all(vendors.map((v, i) => pay(db, 1 + ((round + i) % 3), `${v}/r${round}`, v)));
    for (const p of batch) {
      for (const id of p.coinIds) {
        assert.equal(seen.has(id), false, `coin ${id} spent twice`);
        seen.add(id);
      }
      spent += p.price;
      const body = readMicromintPayload(epoch, decodePaymentPayload(p.header));
      for (const c of body.coins) assert.equal(verifyCoin(epoch, c, USER, p.vendorId).ok, true);
    }
  }
  assert.equal(await balance(db), coins - spent);
  db.close();
});

test('coins stay spent across a crash (the database closed and opened again)', async () => {
  const { db, name } = await wallet('crash');
  const payment = await pay(db, 4);
  db.close(); // the service worker dies right after the spend, before any answer
  const again = await openWallet(name);
  assert.equal(await balance(again), coins - 4);
  const stored = await again.get('payments', payment.id);
  assert.equal(stored?.state, 'pending');
  for (const id of payment.coinIds) assert.equal((await again.get('balls', [epoch.id, id]))?.state, 'spent');
  const next = await pay(again, 4, `${VENDOR}/next`);
  assert.equal(
    next.coinIds.some((id) => payment.coinIds.includes(id)),
    false,
  );
  again.close();
});

test('insufficient funds writes nothing and says how many coins are needed, held and makeable', async () => {
  const { db } = await wallet('poor');
  const funds = await fundsFor(db, { epoch: epoch.id, broker: BROKER, vendorId: VENDOR });
  assert.equal(funds.held, coins);
  assert.ok(funds.makeable > 0 && funds.makeable <= coins);
  const err = await pay(db, funds.makeable + 1).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof InsufficientFundsError);
  assert.equal(err.needed, funds.makeable + 1);
  assert.equal(err.held, coins);
  assert.equal(err.makeable, funds.makeable);
  assert.equal(await db.count('payments'), 0);
  assert.equal(await balance(db), coins);
  // All that can be made, in one payment, works; then nothing is left for this vendor.
  await pay(db, funds.makeable);
  assert.equal((await fundsFor(db, { epoch: epoch.id, broker: BROKER, vendorId: VENDOR })).makeable, 0);
  db.close();
});

test('coins of an unknown epoch, another broker or an expired epoch are not there to spend', async () => {
  const { db } = await wallet('elsewhere');
  await assert.rejects(
    spend(db, { url: `${VENDOR}/a`, vendorId: VENDOR, broker: BROKER, epoch: 'other', price: 1, requirement: requirementFor(epoch, 1) }),
    (e: unknown) => e instanceof InsufficientFundsError && e.held === 0,
  );
  await assert.rejects(
    spend(db, {
      url: `${VENDOR}/a`,
      vendorId: VENDOR,
      broker: 'http://127.0.0.1:5000',
      epoch: epoch.id,
      price: 1,
      requirement: requirementFor(epoch, 1),
    }),
    InsufficientFundsError,
  );
  await assert.rejects(
    spend(db, {
      url: `${VENDOR}/a`,
      vendorId: VENDOR,
      broker: BROKER,
      epoch: epoch.id,
      price: 1,
      requirement: requirementFor(epoch, 1),
      now: Date.parse('2100-06-01T00:00:00Z'),
    }),
    InsufficientFundsError,
  );
  await assert.rejects(pay(db, 0), RangeError);
  db.close();
});
