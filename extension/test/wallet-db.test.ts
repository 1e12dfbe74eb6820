import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIGRATIONS, openWallet, paidPagesSince, WALLET_DB_VERSION } from '../src/wallet/index.ts';
import { freshDbName } from './helpers/mint.ts';

test('a new wallet has every store and index of the newest version', async () => {
  const db = await openWallet(freshDbName('fresh'));
  assert.equal(db.version, WALLET_DB_VERSION);
  assert.equal(WALLET_DB_VERSION, MIGRATIONS.length);
  assert.deepEqual([...db.objectStoreNames].sort(), [
    'balls',
    'brokers',
    'budgets',
    'chains',
    'epochs',
    'history',
    'keys',
    'meta',
    'payments',
    'returns',
    'sets',
    'spending',
    'withdrawals',
  ]);
  const tx = db.transaction(['balls', 'payments', 'sets', 'returns', 'history', 'chains']);
  assert.deepEqual([...tx.objectStore('balls').indexNames].sort(), ['by-epoch-role-state', 'by-payment', 'by-return', 'by-set']);
  assert.deepEqual([...tx.objectStore('payments').indexNames].sort(), ['by-created', 'by-state', 'by-url', 'by-vendor-created']);
  assert.deepEqual([...tx.objectStore('chains').indexNames].sort(), ['by-status', 'by-vendor']);
  assert.deepEqual([...tx.objectStore('sets').indexNames], ['by-epoch']);
  assert.deepEqual([...tx.objectStore('returns').indexNames], ['by-epoch']);
  await tx.done;
  db.close();
});

test('upgrading a version-1 wallet keeps its records and indexes them', async () => {
  const name = freshDbName('upgrade');
  const v1 = await openWallet(name, 1);
  assert.equal(v1.objectStoreNames.contains('returns'), false);
  await v1.put('meta', { key: 'userId', value: 'u_0123456789abcdef' });
  await v1.put('payments', {
    id: 'p1',
    url: 'http://127.0.0.1:4001/a',
    vendorId: 'http://127.0.0.1:4001',
    broker: 'http://127.0.0.1:4000',
    epoch: 'e',
    scheme: 'micromint',
    price: 1,
    coinIds: ['00'],
    header: 'h',
    state: 'pending',
    reasons: [],
    attempts: 1,
    createdAt: 1,
    updatedAt: 1,
  });
  v1.close();

  const v2 = await openWallet(name);
  assert.equal(v2.version, WALLET_DB_VERSION);
  assert.equal((await v2.get('meta', 'userId'))?.value, 'u_0123456789abcdef');
  // The index added by migration 2 covers records written before it existed.
  const byUrl = await v2.getAllFromIndex('payments', 'by-url', 'http://127.0.0.1:4001/a');
  assert.deepEqual(
    byUrl.map((p) => p.id),
    ['p1'],
  );
  await v2.put('returns', {
    id: 'r1',
    epoch: 'e',
    broker: 'b',
    userId: 'u',
    returnUrl: 'x',
    balls: [],
    state: 'pending',
    createdAt: 1,
    updatedAt: 1,
  });
  assert.equal((await v2.getAllFromIndex('returns', 'by-epoch', 'e')).length, 1);
  v2.close();
});

test('openWallet refuses a version it does not know', async () => {
  await assert.rejects(openWallet(freshDbName('bad'), WALLET_DB_VERSION + 1), RangeError);
  await assert.rejects(openWallet(freshDbName('bad'), 0), RangeError);
});

test('upgrading a version-2 wallet adds the chain stores and indexes its payments by vendor', async () => {
  const name = freshDbName('upgrade-v2');
  const v2 = await openWallet(name, 2);
  assert.equal(v2.objectStoreNames.contains('chains'), false);
  const vendorId = 'http://127.0.0.1:4001';
  for (const [id, createdAt, state] of [
    ['p1', 10, 'paid'],
    ['p2', 20, 'refused'],
    ['p3', 30, 'pending'],
  ] as const)
    await v2.put('payments', {
      id,
      url: `${vendorId}/${id}`,
      vendorId,
      broker: 'http://127.0.0.1:4000',
      epoch: 'e',
      scheme: 'micromint',
      price: 1,
      coinIds: [id],
      header: 'h',
      state,
      reasons: [],
      attempts: 1,
      createdAt,
      updatedAt: createdAt,
    });
  await v2.put('returns', {
    id: 'r1',
    epoch: 'e',
    broker: 'b',
    userId: 'u',
    returnUrl: 'x',
    balls: [],
    state: 'pending',
    createdAt: 1,
    updatedAt: 1,
  });
  v2.close();

  const v3 = await openWallet(name, 3);
  assert.equal(v3.version, 3);
  for (const store of ['keys', 'brokers', 'chains'] as const) assert.equal(v3.objectStoreNames.contains(store), true, store);
  // Earlier records stay, and the new index covers payments written before it existed.
  assert.equal((await v3.get('returns', 'r1'))?.state, 'pending');
  const byVendor = await v3.getAllFromIndex('payments', 'by-vendor-created', IDBKeyRange.bound([vendorId, 15], [vendorId, Infinity]));
  assert.deepEqual(
    byVendor.map((p) => p.id),
    ['p2', 'p3'],
  );
  assert.equal(await paidPagesSince(v3, vendorId, 0), 2, 'paid and pending payments count as pages paid; refused ones do not');
  assert.deepEqual(await v3.getAll('chains'), []);
  v3.close();
});
