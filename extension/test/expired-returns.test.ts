/**
 * Coins of an expired epoch offered for return from the popup: the broker is asked once when
 * returns open (its epoch API), nothing is offered before, and one click sends the Request-Credit
 * through the wallet's returns code to the broker's /api/credit. Also the backup service's
 * settings and the words of the popup's notice and of the passphrase hint.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRequestCredit } from '@micromint/shared';
import { BackupService } from '../src/background/backup-service.ts';
import { ExpiredReturns, returnsFromOfEpochAnswer, type EpochFetch } from '../src/background/expired-returns.ts';
import { FundsService, type FetchLike } from '../src/background/funds.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { passphraseProblem, passphraseStrength } from '../src/options/passphrase.ts';
import { claimWords, offerWords } from '../src/popup/returns-notice.ts';
import { MIN_ITERATIONS } from '../src/wallet/backup-file.ts';
import { importFunds, openWallet, spend, type WalletDb } from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const expiresAt = Date.parse('2030-01-01T00:00:00.000Z');
const epoch = testEpoch({ expiresAt: new Date(expiresAt).toISOString() });
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;
const opens = expiresAt + 3_600_000;

/** A wallet holding the epoch's coins (3 spent), a broker epoch API that says when returns open, and its /api/credit. */
async function setup(o: { epochApi?: 'ok' | 'down' } = {}) {
  const db = await openWallet(freshDbName('expired'));
  await importFunds(db, fundsText(epoch, sets), { now: expiresAt - 60_000 });
  await spend(db, {
    url: `${VENDOR}/a`,
    vendorId: VENDOR,
    broker: BROKER,
    epoch: epoch.id,
    price: 3,
    requirement: requirementFor(epoch, 3),
    now: expiresAt - 30_000,
  });
  const lookups: string[] = [];
  const epochFetch: EpochFetch = async (url) => {
    lookups.push(url);
    if (o.epochApi === 'down') throw new TypeError('fetch failed');
    const body = JSON.stringify({
      epoch: { id: epoch.id, expiresAt: epoch.expiresAt, returnsFrom: new Date(opens).toISOString() },
      broker: BROKER,
    });
    return { ok: true, status: 200, text: async () => body };
  };
  const credits: { url: string; body: string }[] = [];
  const creditFetch: FetchLike = async (url, init) => {
    credits.push({ url, body: init.body });
    const n = decodeRequestCredit(init.body).balls.length;
    return { ok: true, status: 200, text: async () => JSON.stringify({ credited: n, creditedMills: n, alreadyReturned: 0, refused: [] }) };
  };
  const funds = new FundsService(db, new SettingsStore(memoryArea()), creditFetch);
  return { db, lookups, credits, returns: new ExpiredReturns(db, funds, epochFetch) };
}

const returnedBalls = async (db: WalletDb) => (await db.getAll('balls')).filter((b) => b.state === 'returned').length;

test('nothing is offered before the epoch expires, nor before its returns open; the broker is asked once', async () => {
  const { db, lookups, returns } = await setup();
  assert.deepEqual(await returns.offer(expiresAt - 1), { epochs: [], coins: 0, mills: 0 });
  assert.equal(lookups.length, 0, 'no question while the coins are good');
  const early = await returns.offer(expiresAt + 1);
  assert.equal(early.coins, 0);
  assert.deepEqual(
    early.epochs.map((e) => [e.coins, e.open, e.returnsFrom]),
    [[coins - 3, false, new Date(opens).toISOString()]],
  );
  assert.deepEqual(lookups, [`${BROKER}/api/epochs/${epoch.id}`]);
  assert.equal((await db.get('epochs', epoch.id))?.returnsFrom, new Date(opens).toISOString(), 'kept with the epoch');
  await returns.offer(expiresAt + 2);
  assert.equal(lookups.length, 1, 'known: not asked again');
  assert.equal((await returns.claim(undefined, expiresAt + 2)).returned, 0, 'too early: nothing goes out');
  assert.equal(await returnedBalls(db), 0);
  db.close();
});

test('once returns open, one claim returns the unspent coins to the broker for credit, and the offer is gone', async () => {
  const { db, credits, returns } = await setup();
  const offer = await returns.offer(opens);
  assert.deepEqual([offer.coins, offer.mills, offer.epochs[0]?.open], [coins - 3, coins - 3, true]);
  const claimed = await returns.claim(undefined, opens);
  assert.deepEqual([claimed.returned, claimed.creditedMills, claimed.results[0]?.state], [coins - 3, coins - 3, 'credited']);
  assert.equal(credits.length, 1);
  assert.equal(credits[0]!.url, `${BROKER}/api/credit`);
  const credit = decodeRequestCredit(credits[0]!.body);
  assert.deepEqual([credit.broker, credit.userId, credit.epoch, credit.balls.length], [BROKER, USER, epoch.id, coins - 3]);
  assert.equal(await returnedBalls(db), coins - 3);
  assert.deepEqual(await returns.offer(opens + 1), { epochs: [], coins: 0, mills: 0 });
  assert.equal((await returns.claim(undefined, opens + 1)).returned, 0, 'a second click sends nothing');
  assert.equal(credits.length, 1);
  db.close();
});

test('a broker that cannot be asked: the coins are offered from the expiry, nothing is stored', async () => {
  const { db, returns } = await setup({ epochApi: 'down' });
  const offer = await returns.offer(expiresAt + 1);
  assert.deepEqual([offer.coins, offer.epochs[0]?.returnsFrom], [coins - 3, undefined]);
  assert.equal((await db.get('epochs', epoch.id))?.returnsFrom, undefined);
  db.close();
});

test('the broker epoch answer is read strictly', () => {
  assert.equal(returnsFromOfEpochAnswer('{"epoch":{"returnsFrom":"2030-01-01T01:00:00Z"}}'), '2030-01-01T01:00:00.000Z');
  assert.equal(returnsFromOfEpochAnswer('{"epoch":{"returnsFrom":"soon"}}'), undefined);
  assert.equal(returnsFromOfEpochAnswer('<html>'), undefined);
});

test('the notice says how many coins and how much money, and what the click did', () => {
  const open = { epoch: 'e', broker: BROKER, coins: 59, mills: 59, open: true };
  assert.equal(offerWords({ epochs: [open], coins: 59, mills: 59 }), '59 coins from an expired epoch can be returned for 5.9¢');
  assert.equal(
    offerWords({ epochs: [open, { ...open, epoch: 'f' }], coins: 118, mills: 118 }),
    '118 coins from expired epochs can be returned for 11.8¢',
  );
  assert.equal(offerWords({ epochs: [{ ...open, open: false }], coins: 0, mills: 0 }), undefined);
  const done = { returned: 59, credited: 59, creditedMills: 59, state: 'credited' as const, epoch: 'e', broker: BROKER };
  assert.deepEqual(claimWords({ results: [done], returned: 59, creditedMills: 59 }), {
    state: 'returned',
    words: 'Returned 59 coins: 5.9¢ credited to your account at 127.0.0.1:4000.',
  });
  assert.equal(
    claimWords({ results: [{ ...done, state: 'pending', credited: 0, creditedMills: 0 }], returned: 59, creditedMills: 0 }).state,
    'pending',
  );
  assert.equal(
    claimWords({ results: [{ ...done, state: 'not-open', returnsFrom: '2030-01-01T00:00:00Z' }], returned: 0, creditedMills: 0 }).state,
    'not-open',
  );
});

test('the passphrase hint: too short, weak, strong; the two entries must match', () => {
  assert.equal(passphraseStrength('abc').score, 0);
  assert.equal(passphraseStrength('aaaaaaaaaaaa').score, 1);
  assert.equal(passphraseStrength('correct horse battery staple').score, 4);
  assert.ok(passphraseStrength('Tr0ub4dor&3x').score >= 2);
  assert.equal(passphraseProblem('short', 'short'), 'the passphrase needs at least 10 characters');
  assert.equal(passphraseProblem('correct horse battery staple', 'correct horse battery stapel'), 'the two passphrases differ');
  assert.equal(passphraseProblem('correct horse battery staple', 'correct horse battery staple'), undefined);
});

test('an import fills in the settings this wallet never saved, and takes the user when it has none', async () => {
  const source = await openWallet(freshDbName('svc-a'));
  await importFunds(source, fundsText(testEpoch(), sellSets(testEpoch(), USER, pickFirsts(testEpoch(), USER, 1))));
  const sourceSettings = new SettingsStore(memoryArea());
  await sourceSettings.update({ userId: USER, userIdFrom: BROKER, autopayThreshold: 9, showReceipts: false, brokerUrl: BROKER });
  const made = await new BackupService(source, sourceSettings, memoryArea(), MIN_ITERATIONS).export('correct horse battery staple');

  const target = await openWallet(freshDbName('svc-b'));
  const area = memoryArea();
  const settings = new SettingsStore(area);
  await settings.update({ showReceipts: true, brokerUrl: 'http://127.0.0.1:4999' });
  const restored = await new BackupService(target, settings, area).import(made.file, 'correct horse battery staple');
  assert.deepEqual(restored.settings.sort(), ['autopayThreshold', 'userId', 'userIdFrom'].sort());
  const now = await settings.get();
  assert.deepEqual(
    [now.autopayThreshold, now.showReceipts, now.brokerUrl, now.userId, now.userIdFrom],
    [9, true, 'http://127.0.0.1:4999', USER, BROKER],
  );
  // A wallet of another user refuses the file before anything is written.
  const other = await openWallet(freshDbName('svc-c'));
  const otherSettings = new SettingsStore(memoryArea());
  await otherSettings.update({ userId: 'u_fedcba9876543210' });
  await assert.rejects(
    new BackupService(other, otherSettings, memoryArea()).import(made.file, 'correct horse battery staple'),
    /belongs to u_fedcba9876543210/,
  );
  assert.equal((await other.getAll('sets')).length, 0);
  for (const db of [source, target, other]) db.close();
});
