import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  balance,
  importFunds,
  markPaid,
  markRefused,
  markSent,
  openWallet,
  pendingPaymentFor,
  recentPayments,
  spend,
  walletSummary,
  type WalletDb,
} from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const text = fundsText(epoch, sets);
const coins = sets[0]!.balls[0]!.size;

async function wallet(label: string): Promise<WalletDb> {
  const db = await openWallet(freshDbName(label));
  await importFunds(db, text);
  return db;
}
const pay = (db: WalletDb, price: number, url = `${VENDOR}/a`) =>
  spend(db, { url, vendorId: VENDOR, broker: BROKER, epoch: epoch.id, price, requirement: requirementFor(epoch, price) });

test('a receipt marks the payment paid, once', async () => {
  const db = await wallet('paid');
  const p = await pay(db, 2);
  assert.equal((await markSent(db, p.id)).attempts, 1);
  const paid = await markPaid(db, p.id, { transaction: 'pay_1' });
  assert.equal(paid.state, 'paid');
  assert.equal(paid.transaction, 'pay_1');
  assert.equal((await markPaid(db, p.id, { transaction: 'pay_2' })).transaction, 'pay_1');
  // A refusal arriving after the receipt changes nothing.
  assert.equal((await markRefused(db, p.id, { error: 'forged' })).released, 0);
  assert.equal(await balance(db), coins - 2);
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  db.close();
});

test('a refusal releases the coins, except those refused as already spent, which are flagged', async () => {
  const db = await wallet('refused');
  const p = await pay(db, 3);
  const [a, b] = p.coinIds;
  const out = await markRefused(db, p.id, {
    error: 'already-spent',
    refused: [
      { coinId: a!, reason: 'already-spent' },
      { coinId: b!, reason: 'wrong-vendor' },
      { coinId: 'ff'.repeat(16), reason: 'already-spent' }, // not ours: ignored
    ],
  });
  assert.equal(out.released, 2); // b and the coin the vendor did not name
  assert.equal(out.kept, 1);
  assert.equal(out.payment.state, 'refused');
  assert.equal(out.payment.error, 'already-spent');
  assert.deepEqual(out.payment.reasons, [
    { coinId: a, reason: 'already-spent' },
    { coinId: b, reason: 'wrong-vendor' },
  ]);
  const kept = await db.get('balls', [epoch.id, a!]);
  assert.equal(kept?.state, 'spent');
  assert.equal(kept?.flag, 'double-spend');
  assert.equal((await db.get('balls', [epoch.id, b!]))?.state, 'unspent');
  assert.equal((await db.get('balls', [epoch.id, b!]))?.paymentId, undefined);
  assert.equal(await balance(db), coins - 1);
  // The flagged ball is never offered again; released ones may be.
  const later = await pay(db, 5, `${VENDOR}/b`);
  assert.equal(later.coinIds.includes(a!), false);
  const summary = await walletSummary(db);
  assert.equal(summary.sets[0]!.spent, 1 + later.price);
  db.close();
});

test('the pending payment for a URL is found for a resend, and not once settled', async () => {
  const db = await wallet('pending');
  const p = await pay(db, 1, `${VENDOR}/x`);
  assert.equal((await pendingPaymentFor(db, `${VENDOR}/x`, VENDOR))?.id, p.id);
  assert.equal(await pendingPaymentFor(db, `${VENDOR}/x`, 'http://127.0.0.1:4002'), undefined);
  assert.equal(await pendingPaymentFor(db, `${VENDOR}/y`, VENDOR), undefined);
  await markPaid(db, p.id);
  assert.equal(await pendingPaymentFor(db, `${VENDOR}/x`, VENDOR), undefined);
  await assert.rejects(markPaid(db, 'nope'), /no payment/);
  db.close();
});
