import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balance, importFunds, openWallet, walletSummary, WalletError } from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, sellSets, testEpoch, USER } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 2));
const coins = sets.reduce((n, s) => n + s.balls[0]!.size, 0);
const text = fundsText(epoch, sets);

const code = (c: string) => (e: unknown) => e instanceof WalletError && e.code === c;

test('importing a Funds-Withdrawn stores every set and counts its first-superbin balls as coins', async () => {
  const db = await openWallet(freshDbName('import'));
  const result = await importFunds(db, text, { brokerOrigin: BROKER });
  assert.equal(result.imported, true);
  assert.equal(result.coins, coins);
  assert.equal(result.userId, USER);
  assert.equal(await balance(db), coins);
  const summary = await walletSummary(db);
  assert.equal(summary.userId, USER);
  assert.equal(summary.sets.length, 2);
  assert.deepEqual(
    summary.sets.map((s) => s.unspent),
    sets.map((s) => s.balls[0]!.size),
  );
  assert.equal(summary.epochs[0]!.id, epoch.id);
  const allBalls = sets.reduce((n, s) => n + s.balls.reduce((m, b) => m + b.size, 0), 0);
  assert.equal(await db.count('balls'), allBalls);
  db.close();
});

test('the same withdrawal imported twice changes nothing', async () => {
  const db = await openWallet(freshDbName('idem'));
  await importFunds(db, text);
  const again = await importFunds(db, text);
  assert.equal(again.imported, false);
  assert.equal(await balance(db), coins);
  assert.equal(await db.count('withdrawals'), 1);
  assert.equal(await db.count('history'), 1);
  db.close();
});

test('the same sets under a new withdrawal id keep the states of their balls', async () => {
  const db = await openWallet(freshDbName('resend'));
  await importFunds(db, text);
  const [first] = await db.getAllFromIndex('balls', 'by-epoch-role-state', [epoch.id, 0, 'unspent']);
  await db.put('balls', { ...first!, state: 'spent', paymentId: 'p' });
  const again = await importFunds(db, fundsText(epoch, sets, { withdrawalId: 'w_other' }));
  assert.equal(again.imported, true);
  assert.equal(await balance(db), coins - 1);
  db.close();
});

test('a wallet bound to one user refuses sets for another', async () => {
  const db = await openWallet(freshDbName('user'));
  await importFunds(db, text);
  const other = 'u_fedcba9876543210';
  const theirs = sellSets(epoch, other, pickFirsts(epoch, other, 1));
  await assert.rejects(importFunds(db, fundsText(epoch, theirs, { userId: other, withdrawalId: 'w_2' })), code('wrong-user'));
  await assert.rejects(importFunds(db, text, { expectedUserId: other }), code('wrong-user'));
  assert.equal(await db.count('withdrawals'), 1);
  db.close();
});

test('a message from another broker, an expired epoch or a tampered ball is refused', async () => {
  const db = await openWallet(freshDbName('refuse'));
  await assert.rejects(importFunds(db, text, { brokerOrigin: 'http://127.0.0.1:9999' }), code('wrong-broker'));
  await assert.rejects(importFunds(db, text, { now: Date.parse('2100-01-02T00:00:00Z') }), code('expired'));
  // Flip one base64 character of the data: some ball no longer hashes into its slot.
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Data-Size')) + 3;
  lines[at] = (lines[at]![0] === 'A' ? 'B' : 'A') + lines[at]!.slice(1);
  await assert.rejects(importFunds(db, lines.join('\n')), code('invalid-message'));
  await assert.rejects(importFunds(db, 'hello'), code('invalid-message'));
  assert.equal(await db.count('balls'), 0);
  assert.equal(await db.get('meta', 'userId'), undefined);
  db.close();
});

test('an epoch id reused with another key is refused', async () => {
  const db = await openWallet(freshDbName('epoch'));
  await importFunds(db, text);
  const twin = testEpoch({ key: new Uint8Array(32).fill(1) });
  const twinSets = sellSets(twin, USER, pickFirsts(twin, USER, 1));
  await assert.rejects(importFunds(db, fundsText(twin, twinSets, { withdrawalId: 'w_twin' })), code('epoch-mismatch'));
  db.close();
});
