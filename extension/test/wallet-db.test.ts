import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIGRATIONS, openWallet, WALLET_DB_VERSION } from '../src/wallet/index.ts';
import { freshDbName } from './helpers/mint.ts';

test('a new wallet has every store and index of the newest version', async () => {
  const db = await openWallet(freshDbName('fresh'));
  assert.equal(db.version, WALLET_DB_VERSION);
  assert.equal(WALLET_DB_VERSION, MIGRATIONS.length);
  assert.deepEqual([...db.objectStoreNames].sort(), ['balls', 'epochs', 'history', 'meta', 'payments', 'returns', 'sets', 'withdrawals']);
  const tx = db.transaction(['balls', 'payments', 'sets', 'returns', 'history']);
  assert.deepEqual([...tx.objectStore('balls').indexNames].sort(), ['by-epoch-role-state', 'by-payment', 'by-return', 'by-set']);
  assert.deepEqual([...tx.objectStore('payments').indexNames].sort(), ['by-created', 'by-state', 'by-url']);
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
    id: 'p1', url: 'http://127.0.0.1:4001/a', vendorId: 'http://127.0.0.1:4001', broker: 'http://127.0.0.1:4000',
    epoch: 'e', scheme: 'micromint', price: 1, coinIds: ['00'], header: 'h', state: 'pending', reasons: [], attempts: 1,
    createdAt: 1, updatedAt: 1,
  });
  v1.close();

  const v2 = await openWallet(name);
  assert.equal(v2.version, WALLET_DB_VERSION);
  assert.equal((await v2.get('meta', 'userId'))?.value, 'u_0123456789abcdef');
  // The index added by migration 2 covers records written before it existed.
  const byUrl = await v2.getAllFromIndex('payments', 'by-url', 'http://127.0.0.1:4001/a');
  assert.deepEqual(byUrl.map((p) => p.id), ['p1']);
  await v2.put('returns', { id: 'r1', epoch: 'e', broker: 'b', userId: 'u', returnUrl: 'x', balls: [], state: 'pending', createdAt: 1, updatedAt: 1 });
  assert.equal((await v2.getAllFromIndex('returns', 'by-epoch', 'e')).length, 1);
  v2.close();
});

test('openWallet refuses a version it does not know', async () => {
  await assert.rejects(openWallet(freshDbName('bad'), WALLET_DB_VERSION + 1), RangeError);
  await assert.rejects(openWallet(freshDbName('bad'), 0), RangeError);
});
