/**
 * What the paid path keeps so that it reads little: the fixed part of stored sets (never the state
 * of a ball), the settings, the retry book's "no retry here", the DNR rules the retrier wrote, and
 * the badge's total read on its own.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { micromintRequirements } from '@micromint/shared';
import { walletMills } from '../src/background/badge.ts';
import { parseChallenge } from '../src/background/challenges.ts';
import { PaymentStep } from '../src/background/pay-step.ts';
import { RetryBook } from '../src/background/receipts.ts';
import { chromeRetrier } from '../src/background/retrier.ts';
import { micromintScheme } from '../src/background/schemes/micromint.ts';
import type { SchemeRegistry } from '../src/background/schemes/registry.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea, type KeyValueArea } from '../src/background/storage-area.ts';
import {
  balance,
  fundsFor,
  importFunds,
  markRefused,
  markReleased,
  openWallet,
  spend,
  walletSummary,
  type WalletDb,
} from '../src/wallet/index.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const [firstSets, laterSets] = (() => {
  const all = sellSets(epoch, USER, pickFirsts(epoch, USER, 3));
  return [all.slice(0, 1), all.slice(1)];
})();

const pay = (db: WalletDb, price: number, url: string) =>
  spend(db, { url, vendorId: VENDOR, broker: BROKER, epoch: epoch.id, price, requirement: requirementFor(epoch, price, VENDOR) });
const funds = (db: WalletDb) => fundsFor(db, { epoch: epoch.id, broker: BROKER, vendorId: VENDOR });

/** An area that counts its reads. */
function countingArea(): KeyValueArea & { reads: number } {
  const inner = memoryArea();
  const area = {
    reads: 0,
    get: (keys: string | string[] | null) => {
      area.reads++;
      return inner.get(keys);
    },
    set: inner.set,
    remove: inner.remove,
  };
  return area;
}

test('what a spend keeps of the sets never hides what other writers did: sets added, coins given back, coins flagged', async () => {
  const db = await openWallet(freshDbName('fixed'));
  await importFunds(db, fundsText(epoch, firstSets, { withdrawalId: 'w_1' }));
  const first = await pay(db, 3, `${VENDOR}/a`);
  const before = await funds(db);
  // A set bought after the wallet read the first: counted and spent from.
  await importFunds(db, fundsText(epoch, laterSets, { withdrawalId: 'w_2' }));
  const more = await funds(db);
  assert.ok(more.held > before.held && more.makeable > before.makeable);
  const all = await pay(db, more.makeable, `${VENDOR}/all`);
  assert.equal((await funds(db)).makeable, 0);
  // Coins the vendor gave back are spendable again; a coin it refused as already spent never is.
  await markReleased(db, first.id, { reason: 'no_payment_required', released: first.coinIds.slice(0, 2) });
  await markRefused(db, all.id, { error: 'already-spent', refused: [{ coinId: all.coinIds[0]!, reason: 'already-spent' }] });
  const back = await funds(db);
  assert.equal(back.held, await balance(db));
  const again = await pay(db, back.makeable, `${VENDOR}/again`);
  assert.ok(
    first.coinIds.slice(0, 2).every((id) => again.coinIds.includes(id)),
    'the given-back coins pay again',
  );
  assert.equal(again.coinIds.includes(all.coinIds[0]!), false, 'the refused coin is not offered again');
  for (const id of again.coinIds) assert.equal((await db.get('balls', [epoch.id, id]))?.state, 'spent');
  db.close();
});

test('told of changes, the settings are read once and again after every change, through the store or not', async () => {
  const area = countingArea();
  let changed = () => undefined as unknown;
  const settings = new SettingsStore(area, (f) => (changed = f));
  assert.equal((await settings.get()).autopayThreshold, 5);
  await settings.get();
  assert.equal(area.reads, 1);
  // A caller changing its copy changes nothing kept.
  (await settings.get()).autopayThreshold = 900;
  assert.equal((await settings.get()).autopayThreshold, 5);
  await settings.update({ autopayThreshold: 7 });
  assert.equal((await settings.get()).autopayThreshold, 7);
  await area.set({ autopayThreshold: 9 });
  changed();
  assert.equal((await settings.get()).autopayThreshold, 9);
  // Not told of changes, a store reads every time.
  const plain = new SettingsStore(area);
  const before = area.reads;
  await plain.get();
  await plain.get();
  assert.equal(area.reads, before + 2);
});

test('the retry book reads a tab once, then knows it has no retry; a restarted book reads it again', async () => {
  const area = countingArea();
  const book = new RetryBook(area);
  const url = `${VENDOR}/r`;
  assert.equal(await book.get(3), undefined);
  assert.equal(await book.get(3), undefined);
  assert.equal(area.reads, 1);
  await book.expect({ tabId: 3, url, paymentId: 'p', ruleId: 1, startedAt: 1 });
  assert.equal((await book.take(3))?.paymentId, 'p');
  assert.equal(await book.get(3), undefined);
  await book.expect({ tabId: 3, url, paymentId: 'q', ruleId: 2, startedAt: 2 });
  assert.equal(area.reads, 1, 'nor do take and the gets after it');
  assert.equal((await new RetryBook(area).get(3))?.paymentId, 'q');
  assert.equal(area.reads, 2);
});

test('the retrier reads the session rules once and keeps them as it changes them; a failed change reads them again', async () => {
  type Rule = chrome.declarativeNetRequest.Rule;
  let stored: Rule[] = [{ id: 4, priority: 1, action: { type: 'block' as never }, condition: { tabIds: [99] } }];
  const calls: string[] = [];
  let fail = false;
  (globalThis as { chrome?: unknown }).chrome = {
    declarativeNetRequest: {
      getSessionRules: async () => {
        calls.push('get');
        return structuredClone(stored);
      },
      updateSessionRules: async (o: { removeRuleIds?: number[]; addRules?: Rule[] }) => {
        calls.push(`update -${(o.removeRuleIds ?? []).join(',')} +${(o.addRules ?? []).map((r) => r.id).join(',')}`);
        if (fail) throw new Error('quota');
        stored = [...stored.filter((r) => !o.removeRuleIds?.includes(r.id)), ...(o.addRules ?? [])];
      },
    },
    tabs: { update: async () => undefined },
  };
  try {
    const retrier = chromeRetrier();
    const [a, b] = await Promise.all([retrier.install(1, `${VENDOR}/a`, 'H1'), retrier.install(2, `${VENDOR}/b`, 'H2')]);
    assert.deepEqual([a, b], [5, 6], 'ids after the rules already there, never the same twice');
    // A new payment in tab 1 replaces its older rule.
    assert.equal(await retrier.install(1, `${VENDOR}/c`, 'H3'), 7);
    await retrier.release(6);
    assert.deepEqual(calls, ['get', 'update - +5', 'update - +6', 'update -5 +7', 'update -6 +']);
    assert.deepEqual(
      stored.map((r) => r.id),
      [4, 7],
    );
    fail = true;
    await assert.rejects(retrier.install(2, `${VENDOR}/d`, 'H4'));
    fail = false;
    await retrier.releaseTab(1);
    assert.deepEqual(calls.slice(-2), ['get', 'update -7 +']);
    assert.deepEqual(
      stored.map((r) => r.id),
      [4],
    );
  } finally {
    delete (globalThis as { chrome?: unknown }).chrome;
  }
});

test("the badge's total is the summary's: coins and what open chains hold", async () => {
  const db = await openWallet(freshDbName('badge'));
  assert.equal(await walletMills(db), 0);
  await importFunds(db, fundsText(epoch, firstSets));
  await pay(db, 2, `${VENDOR}/b`);
  assert.equal(await walletMills(db), (await walletSummary(db)).totalMills);
  assert.ok((await walletMills(db)) > 0);
  db.close();
});

test('a payment made without asking does not count the coins first; a question or coins short counts them', async () => {
  const db = await openWallet(freshDbName('uncounted'));
  await importFunds(db, fundsText(epoch, firstSets));
  let counted = 0;
  const schemes: SchemeRegistry = new Map([
    [micromintScheme.scheme, { ...micromintScheme, funds: (ctx, q) => (counted++, micromintScheme.funds(ctx, q)) }],
  ]);
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, autopayThreshold: 5 });
  const step = new PaymentStep({ db, settings, schemes });
  const next = (price: number, path: string) => {
    const url = `${VENDOR}${path}`;
    const offer = micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id });
    return step.next(parseChallenge(challengeHeader(url, [offer]), url, 1, schemes), {
      onBrokerPage: false,
      confirmed: false,
      method: 'GET',
    });
  };
  assert.equal((await next(2, '/silent')).kind, 'send');
  assert.equal(counted, 0);
  const asked = await next(8, '/asks');
  assert.ok(asked.kind === 'verdict' && asked.verdict.action === 'confirm');
  assert.equal(counted, 1);
  // More than the wallet holds, under a threshold that would pay it: the spend finds them short, then they are counted.
  await settings.update({ autopayThreshold: 1000 });
  const held = await balance(db);
  const short = await next(held + 1, '/short');
  assert.ok(short.kind === 'verdict' && short.verdict.action === 'insufficient' && short.verdict.held === held);
  assert.equal(counted, 2);
  assert.equal(await balance(db), held, 'nothing spent');
  db.close();
});
