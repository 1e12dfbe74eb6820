/**
 * Budgets in the wallet: the v4 migration, spending charged in the payment's own transaction
 * (coins and links), a budget refusing a payment made without asking with nothing written, two
 * tabs racing for a budget that holds one more payment, coins given back lowering the spending,
 * the reader's "allow up to" set with the payment, pruning, the overview, and bad input refused.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64 } from '@micromint/shared';
import { ChainOpener } from '../src/background/chain-opener.ts';
import { PaywordBrokerClient } from '../src/background/payword-broker.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import {
  balance,
  BudgetExceededError,
  budgetOver,
  budgetsOverview,
  chargeBudgets,
  CHART_DAYS,
  dayKey,
  daysBefore,
  importFunds,
  markRefused,
  markReleased,
  openWallet,
  payLink,
  readBudgetAllow,
  readForCharge,
  readBudgetChange,
  recordConnection,
  removeBudget,
  setBudget,
  spend,
  SPENDING_KEEP_DAYS,
  suggestLimit,
  walletPublicKey,
  WALLET_BUDGET,
  WALLET_DB_VERSION,
  type WalletDb,
} from '../src/wallet/index.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';
import { fakeBroker, paywordOffer, VENDOR_KEY } from './helpers/payword.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;
const OTHER = 'https://news.example';
const NOW = new Date(2026, 4, 20, 15, 0).getTime();

async function wallet(label: string): Promise<WalletDb> {
  const db = await openWallet(freshDbName(label));
  await importFunds(db, fundsText(epoch, sets));
  return db;
}

const pay = (db: WalletDb, price: number, path: string, o: { enforce?: boolean; now?: number; vendorId?: string } = {}) =>
  spend(db, {
    url: `${o.vendorId ?? VENDOR}${path}`,
    vendorId: o.vendorId ?? VENDOR,
    broker: BROKER,
    epoch: epoch.id,
    price,
    requirement: requirementFor(epoch, price, o.vendorId ?? VENDOR),
    budget: { enforce: o.enforce ?? true },
    now: o.now ?? NOW,
  });

const spentOn = async (db: WalletDb, site: string, day = dayKey(NOW)) => (await db.get('spending', [site, day]))?.mills ?? 0;

test('version 4 adds budgets and spending to a version-3 wallet, keeping what it held', async () => {
  const name = freshDbName('upgrade-v3');
  const v3 = await openWallet(name, 3);
  assert.equal(v3.objectStoreNames.contains('budgets'), false);
  await importFunds(v3, fundsText(epoch, sets));
  await v3.put('brokers', { broker: BROKER, userId: USER, connected: true, updatedAt: 1 });
  v3.close();

  const v4 = await openWallet(name);
  assert.equal(v4.version, 4);
  assert.equal(WALLET_DB_VERSION, 4);
  const tx = v4.transaction(['budgets', 'spending']);
  assert.equal(tx.objectStore('budgets').keyPath, 'site');
  assert.deepEqual(tx.objectStore('spending').keyPath, ['site', 'day']);
  assert.deepEqual([...tx.objectStore('spending').indexNames], ['by-day']);
  await tx.done;
  assert.equal(await balance(v4), coins, 'the coins are all there');
  assert.equal((await v4.get('brokers', BROKER))?.connected, true);
  // No budget after the upgrade: the wallet pays as it did, and now counts what it pays.
  assert.deepEqual(await v4.getAll('budgets'), []);
  await pay(v4, 3, '/after-upgrade');
  assert.equal(await spentOn(v4, VENDOR), 3);
  v4.close();
});

test('round figures for "allow up to": the next of 1¢, 2¢, 5¢ … that holds the need and is above the budget', () => {
  assert.equal(suggestLimit(4, 3), 10);
  assert.equal(suggestLimit(10, 3), 10);
  assert.equal(suggestLimit(11, 10), 20);
  assert.equal(suggestLimit(3, 10), 20, 'always above the budget now');
  assert.equal(suggestLimit(1003, 1000), 2000);
  assert.equal(suggestLimit(60_000_000, 0), 10_000_000, 'at most the largest budget');
});

test('days are calendar days of the browser, counted back without daylight saving slips', () => {
  assert.equal(dayKey(new Date(2026, 0, 1, 0, 0).getTime()), '2026-01-01');
  assert.equal(dayKey(new Date(2026, 11, 31, 23, 59).getTime()), '2026-12-31');
  assert.equal(daysBefore(new Date(2026, 2, 1, 0, 30).getTime(), 1), '2026-02-28');
  assert.equal(daysBefore(NOW, 0), '2026-05-20');
  assert.equal(daysBefore(NOW, 400), '2025-04-15');
});

test('every payment is charged to its site per day, with or without a budget', async () => {
  const db = await wallet('charge');
  await pay(db, 2, '/a');
  await pay(db, 3, '/b', { enforce: false });
  await pay(db, 1, '/c', { now: NOW + 86_400_000 });
  assert.equal(await spentOn(db, VENDOR), 5);
  assert.equal((await db.get('spending', [VENDOR, dayKey(NOW)]))?.payments, 2);
  assert.equal(await spentOn(db, VENDOR, dayKey(NOW + 86_400_000)), 1);
  db.close();
});

test("a payment made without asking that would pass the site's budget is refused, with nothing written", async () => {
  const db = await wallet('site-budget');
  await setBudget(db, VENDOR, { period: 'day', limit: 5 }, NOW);
  await pay(db, 2, '/a');
  await pay(db, 3, '/b');
  const before = {
    balance: await balance(db),
    payments: (await db.getAll('payments')).length,
    history: (await db.getAll('history')).length,
  };
  const err = await pay(db, 1, '/c').then(
    () => assert.fail('paid past the budget'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BudgetExceededError);
  assert.equal(err.code, 'over-budget');
  assert.deepEqual(err.over, { scope: 'site', site: VENDOR, period: 'day', limit: 5, spent: 5, price: 1, suggested: 10 });
  assert.deepEqual(
    { balance: await balance(db), payments: (await db.getAll('payments')).length, history: (await db.getAll('history')).length },
    before,
    'no coin spent, no payment, no history',
  );
  assert.equal(await spentOn(db, VENDOR), 5);
  // Another site has no budget; tomorrow the day's budget starts again; a payment the reader approved passes.
  await pay(db, 4, '/x', { vendorId: OTHER });
  await pay(db, 5, '/tomorrow', { now: NOW + 86_400_000 });
  await pay(db, 1, '/approved', { enforce: false });
  assert.equal(await spentOn(db, VENDOR), 6);
  db.close();
});

test("the wallet's monthly budget covers every site; a month's budget counts the whole month", async () => {
  const db = await wallet('wallet-budget');
  await setBudget(db, WALLET_BUDGET, { period: 'month', limit: 10 }, NOW);
  await setBudget(db, OTHER, { period: 'month', limit: 4 }, NOW);
  await pay(db, 3, '/early', { now: new Date(2026, 4, 1, 9).getTime() });
  await pay(db, 3, '/n1', { vendorId: OTHER, now: new Date(2026, 4, 2).getTime() });
  await assert.rejects(pay(db, 2, '/n2', { vendorId: OTHER }), (e: BudgetExceededError) => e.over.scope === 'site' && e.over.spent === 3);
  await pay(db, 4, '/b');
  await assert.rejects(pay(db, 1, '/c'), (e: BudgetExceededError) => {
    assert.deepEqual(e.over, { scope: 'wallet', site: VENDOR, period: 'month', limit: 10, spent: 10, price: 1, suggested: 20 });
    return true;
  });
  // Last month's spending is not this month's.
  await pay(db, 9, '/june', { now: new Date(2026, 5, 1, 9).getTime() });
  assert.equal(await budgetOver(db, { site: VENDOR, mills: 1, now: NOW }).then((o) => o?.scope), 'wallet');
  db.close();
});

test('two tabs at once against a budget that holds one more payment: exactly one pays', async () => {
  for (let round = 0; round < 5; round++) {
    const db = await wallet(`race-${round}`);
    await setBudget(db, VENDOR, { period: 'day', limit: 4 }, NOW);
    await pay(db, 2, '/first');
    // Both tabs checked beforehand would see room for one; the payments' transactions decide.
    assert.equal(await budgetOver(db, { site: VENDOR, mills: 2, now: NOW }), undefined);
    const results = await Promise.allSettled([pay(db, 2, '/tab-1'), pay(db, 2, '/tab-2')]);
    const paid = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(paid.length, 1, `round ${round}: one tab pays`);
    assert.equal(refused.length, 1);
    assert.ok(refused[0]!.reason instanceof BudgetExceededError);
    assert.equal(await spentOn(db, VENDOR), 4);
    assert.equal(await balance(db), coins - 4);
    assert.equal((await db.getAll('payments')).length, 2);
    db.close();
  }
});

async function chainWallet(label: string) {
  const db = await openWallet(freshDbName(label));
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, userId: USER });
  const broker = fakeBroker();
  broker.connect(await walletPublicKey(db));
  await recordConnection(db, { broker: BROKER, userId: USER, connected: true });
  const want = { broker: BROKER, vendorId: VENDOR, vendorKey: toBase64(VENDOR_KEY.publicKey), value: 1, units: 1 };
  const ctx = { db, settings: await settings.get(), now: NOW, log: () => undefined };
  await new ChainOpener(new PaywordBrokerClient(broker.fetch)).ensure({ ...ctx, now: Date.now() }, { ...want, length: 50 });
  const payWith = (path: string, units: number) =>
    payLink(db, {
      url: `${VENDOR}${path}`,
      method: 'GET',
      want: { ...want, units },
      requirement: paywordOffer(units),
      budget: { enforce: true },
      now: NOW,
    });
  return { db, payWith };
}

test('links are charged in the transaction that reveals them: two tabs racing reveal only what the budget holds', async () => {
  const { db, payWith } = await chainWallet('race-links');
  await setBudget(db, VENDOR, { period: 'month', limit: 3 }, NOW);
  await payWith('/one', 1);
  const results = await Promise.allSettled([payWith('/tab-1', 2), payWith('/tab-2', 2)]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.ok(refused?.reason instanceof BudgetExceededError);
  const [chain] = await db.getAll('chains');
  assert.equal(chain?.next, 4, 'links 1..3 revealed, none for the refused tab');
  assert.equal(await spentOn(db, VENDOR), 3);
  db.close();
});

test('coins the vendor gives back or refuses come off the spending of the day they were paid', async () => {
  const db = await wallet('refund');
  await setBudget(db, VENDOR, { period: 'day', limit: 6 }, NOW);
  const released = await pay(db, 3, '/released');
  const refused = await pay(db, 3, '/refused');
  await assert.rejects(pay(db, 1, '/full'), BudgetExceededError);
  await markReleased(db, released.id, { reason: 'not_served', released: released.coinIds.slice(0, 2) }, NOW + 5);
  assert.equal(await spentOn(db, VENDOR), 4, 'two coins given back, one kept by the vendor');
  const [kept, ...back] = refused.coinIds;
  await markRefused(
    db,
    refused.id,
    {
      error: 'already-spent',
      refused: [{ coinId: kept!, reason: 'already-spent' }, ...back.map((coinId) => ({ coinId, reason: 'bad-coin' }))],
    },
    NOW + 6,
  );
  assert.equal(await spentOn(db, VENDOR), 2, 'a coin refused as already spent stays spent');
  await pay(db, 4, '/room-again');
  assert.equal(await balance(db), coins - 1 - 1 - 4);
  db.close();
});

test('"allow up to" sets the budget in the payment\'s transaction; a budget is changed and removed', async () => {
  const db = await wallet('allow');
  await setBudget(db, VENDOR, { period: 'day', limit: 2 }, NOW - 1000);
  await pay(db, 2, '/a');
  const allow = readBudgetAllow({ scope: 'site', period: 'day', limit: 10 });
  await spend(db, {
    url: `${VENDOR}/b`,
    vendorId: VENDOR,
    broker: BROKER,
    epoch: epoch.id,
    price: 2,
    requirement: requirementFor(epoch, 2),
    budget: { allow },
    now: NOW,
  });
  assert.deepEqual(await db.get('budgets', VENDOR), { site: VENDOR, period: 'day', limit: 10, createdAt: NOW - 1000, updatedAt: NOW });
  await pay(db, 6, '/c');
  await assert.rejects(pay(db, 1, '/d'), BudgetExceededError);
  assert.equal(await removeBudget(db, VENDOR), true);
  assert.equal(await removeBudget(db, VENDOR), false);
  await pay(db, 1, '/d');
  db.close();
});

test('reads issued ahead of a charge check as reads in its place would; with "allow up to" the new budget is read', async () => {
  const db = await wallet('ahead');
  await setBudget(db, VENDOR, { period: 'month', limit: 4 }, NOW);
  await db.put('spending', { site: VENDOR, day: daysBefore(NOW, 3), mills: 2, payments: 1, updatedAt: 0 });
  const charge = async (mills: number, allow?: { scope: 'site'; period: 'day'; limit: number }) => {
    const tx = db.transaction(['budgets', 'spending'], 'readwrite');
    const c = { site: VENDOR, mills, now: NOW, enforce: true, ...(allow ? { allow } : {}) };
    try {
      await chargeBudgets(tx, c, readForCharge(tx, c));
      await tx.done;
    } catch (e) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw e;
    }
  };
  // Earlier days of the month count for a month's budget: 2 + 3 passes 4.
  await assert.rejects(charge(3), (e: BudgetExceededError) => e.over.spent === 2 && e.over.limit === 4);
  await charge(2);
  assert.equal(await spentOn(db, VENDOR), 2);
  // The reads went out before the allow was written, and are not what the charge checks.
  await charge(5, { scope: 'site', period: 'day', limit: 10 });
  assert.equal(await spentOn(db, VENDOR), 7);
  await assert.rejects(charge(4), (e: BudgetExceededError) => e.over.period === 'day' && e.over.spent === 7);
  db.close();
});

test('spending older than the days kept is pruned by the next payment', async () => {
  const db = await wallet('prune');
  const day = (n: number) => daysBefore(NOW, n);
  for (const n of [SPENDING_KEEP_DAYS + 30, SPENDING_KEEP_DAYS + 1, SPENDING_KEEP_DAYS, 3])
    await db.put('spending', { site: OTHER, day: day(n), mills: 7, payments: 1, updatedAt: 0 });
  await pay(db, 1, '/now');
  const left = (await db.getAll('spending')).map((r) => r.day).sort();
  assert.deepEqual(left, [day(SPENDING_KEEP_DAYS), day(3), dayKey(NOW)].sort());
  db.close();
});

test('the overview: budgets against this period, sites paid this month, and spending per day for the chart', async () => {
  const db = await wallet('overview');
  await setBudget(db, VENDOR, { period: 'day', limit: 10 }, NOW);
  await setBudget(db, 'https://quiet.example', { period: 'month', limit: 500 }, NOW);
  await setBudget(db, WALLET_BUDGET, { period: 'month', limit: 2000 }, NOW);
  await pay(db, 3, '/yesterday', { now: NOW - 86_400_000 });
  await pay(db, 2, '/today');
  await pay(db, 7, '/n', { vendorId: OTHER });
  await db.put('spending', { site: OTHER, day: daysBefore(NOW, 40), mills: 50, payments: 1, updatedAt: 0 });
  const o = await budgetsOverview(db, NOW);
  assert.equal(o.today, '2026-05-20');
  assert.deepEqual(o.wallet, { limit: 2000, spent: 12 });
  assert.deepEqual(o.sites, [
    { site: OTHER, spent: 7, today: 7, month: 7 },
    { site: VENDOR, budget: { period: 'day', limit: 10 }, spent: 2, today: 2, month: 5 },
    { site: 'https://quiet.example', budget: { period: 'month', limit: 500 }, spent: 0, today: 0, month: 0 },
  ]);
  assert.equal(o.days.length, CHART_DAYS);
  assert.deepEqual(o.days.at(-1), { day: '2026-05-20', mills: 9 });
  assert.deepEqual(o.days.at(-2), { day: '2026-05-19', mills: 3 });
  assert.equal(
    o.days.reduce((n, d) => n + d.mills, 0),
    12,
  );
  db.close();
});

test('bad budgets are refused with a clear error and change nothing', async () => {
  const db = await wallet('bad');
  for (const [site, budget, error] of [
    ['news.example', { period: 'day', limit: 5 }, RangeError],
    ['https://news.example/path', { period: 'day', limit: 5 }, RangeError],
    ['ftp://news.example', { period: 'day', limit: 5 }, RangeError],
    [42, { period: 'day', limit: 5 }, TypeError],
    [OTHER, { period: 'week', limit: 5 }, RangeError],
    [OTHER, { period: 'day', limit: -1 }, RangeError],
    [OTHER, { period: 'day', limit: 1.5 }, TypeError],
    [OTHER, { period: 'day', limit: 10_000_001 }, RangeError],
    [WALLET_BUDGET, { period: 'day', limit: 5 }, RangeError],
  ] as const)
    assert.throws(() => readBudgetChange({ site, ...budget }), error, `${String(site)} ${JSON.stringify(budget)}`);
  assert.throws(() => readBudgetAllow({ scope: 'everything', period: 'day', limit: 5 }), RangeError);
  assert.throws(() => readBudgetAllow({ scope: 'wallet', period: 'day', limit: 5 }), RangeError);
  assert.throws(() => readBudgetAllow(null), TypeError);
  await assert.rejects(setBudget(db, 'not a site', { period: 'day', limit: 5 }), RangeError);
  assert.deepEqual(await db.getAll('budgets'), []);
  db.close();
});
