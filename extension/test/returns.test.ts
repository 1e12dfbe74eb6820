import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRequestCredit, toHex } from '@micromint/shared';
import { balance, finishReturn, importFunds, openWallet, prepareReturn, spend, WalletError, type WalletDb } from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const text = fundsText(epoch, sets);
const coins = sets[0]!.balls[0]!.size;
const sendExpired = { broker: BROKER, userId: USER, epoch: epoch.id, returnUrl: `${BROKER}/api/credit` };

async function wallet(label: string): Promise<WalletDb> {
  const db = await openWallet(freshDbName(label));
  await importFunds(db, text);
  return db;
}

test('a return marks every unspent first ball returned and lists them in a Request-Credit', async () => {
  const db = await wallet('return');
  const p = await spend(db, {
    url: `${VENDOR}/a`,
    vendorId: VENDOR,
    broker: BROKER,
    epoch: epoch.id,
    price: 2,
    requirement: requirementFor(epoch, 2),
  });
  const prepared = await prepareReturn(db, sendExpired);
  assert.ok(prepared);
  const credit = decodeRequestCredit(prepared.message);
  assert.equal(credit.userId, USER);
  assert.equal(credit.epoch, epoch.id);
  assert.equal(credit.balls.length, coins - 2);
  const firstBalls = new Set([...sets[0]!.balls[0]!.values()].map(toHex));
  for (const b of credit.balls) assert.ok(firstBalls.has(toHex(b)));
  assert.equal(
    credit.balls.some((b) => p.coinIds.includes(toHex(b))),
    false,
  );
  assert.equal(await balance(db), 0);
  const done = await finishReturn(db, prepared.record.id, { kind: 'credited', credited: coins - 2, creditedMills: coins - 2 });
  assert.equal(done.state, 'credited');
  assert.equal(await prepareReturn(db, sendExpired), null);
  db.close();
});

test('an unanswered return goes out again; a refused one gives the coins back', async () => {
  const db = await wallet('retry');
  const first = await prepareReturn(db, sendExpired);
  await finishReturn(db, first!.record.id, { kind: 'failed', error: 'network' });
  const second = await prepareReturn(db, sendExpired);
  assert.equal(second!.record.balls.length, coins);
  assert.equal((await db.get('returns', first!.record.id))?.state, 'refused');
  await finishReturn(db, second!.record.id, { kind: 'refused', error: '400 epoch still open' });
  assert.equal(await balance(db), coins);
  db.close();
});

test('a Send-Expired for another user or an unknown epoch is refused', async () => {
  const db = await wallet('who');
  await assert.rejects(
    prepareReturn(db, { ...sendExpired, userId: 'u_fedcba9876543210' }),
    (e: unknown) => e instanceof WalletError && e.code === 'wrong-user',
  );
  await assert.rejects(
    prepareReturn(db, { ...sendExpired, epoch: 'nope' }),
    (e: unknown) => e instanceof WalletError && e.code === 'unknown-epoch',
  );
  assert.equal(await balance(db), coins);
  db.close();
});
