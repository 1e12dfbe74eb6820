import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coinId, decodePaymentPayload, encodeHeader, micromintRequirements, readMicromintPayload, verifyCoin } from '@micromint/shared';
import { decide } from '../src/background/decide.ts';
import { balance, recentPayments } from '../src/wallet/index.ts';
import { fundedWallet, testFlow } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;
const TAB = 9;

async function setup(o: { threshold?: number; failNavigate?: boolean } = {}) {
  const db = await fundedWallet('flow', epoch, sets);
  const logs: string[] = [];
  const { flow, fake, session } = await testFlow(db, {
    threshold: o.threshold ?? 5,
    ...(o.failNavigate ? { failNavigate: true } : {}),
    log: (m) => logs.push(m),
  });
  return { db, flow, fake, session, logs };
}

const offer = (price: number, vendorId = VENDOR) => micromintRequirements({ price, vendorId, broker: BROKER, epoch: epoch.id });
const challenge402 = (url: string, price: number, extra: Parameters<typeof challengeHeader>[2] = {}) => [
  { name: 'payment-required', value: challengeHeader(url, [offer(price)], extra) },
];
const paidReceipt = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 'pay_1', network: 'micromint:x' }) }];

test('the threshold: at or under it pays silently, above it asks, short of coins says so', () => {
  const funds = { held: 50, makeable: 40 };
  assert.deepEqual(decide(1, 5, funds), { kind: 'autopay' });
  assert.deepEqual(decide(5, 5, funds), { kind: 'autopay' });
  assert.deepEqual(decide(6, 5, funds), { kind: 'confirm' });
  assert.deepEqual(decide(1, 0, funds), { kind: 'confirm' });
  assert.deepEqual(decide(41, 100, funds), { kind: 'insufficient', held: 50, makeable: 40 });
});

test('a 402 under the threshold is paid: coins spent, header rule installed, tab reloaded, receipt settles it', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/article/3`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 3));
  const verdict = await flow.pageLoaded(TAB, `${url}#x`);
  assert.deepEqual(verdict, { action: 'paying', broker: false, price: 3, resent: false });
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  const [rule] = [...fake.rules.values()];
  const body = decodePaymentPayload(rule!.header);
  const paid = readMicromintPayload(epoch, body);
  assert.equal(paid.coins.length, 3);
  for (const c of paid.coins) assert.equal(verifyCoin(epoch, c, USER, VENDOR).ok, true);
  assert.equal(await balance(db), coins - 3);
  const [payment] = await recentPayments(db);
  assert.equal(payment?.state, 'pending');
  assert.equal(payment?.header, rule!.header);
  assert.equal(payment?.attempts, 1);

  const outcome = await flow.onMainFrameResponse(TAB, url, 200, paidReceipt);
  assert.deepEqual(outcome, { kind: 'paid', transaction: 'pay_1' });
  assert.equal(fake.rules.size, 0, 'the rule is removed once the answer is in');
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  // The paid page reporting in is nothing to act on.
  assert.deepEqual(await flow.pageLoaded(TAB, url), { action: 'none', broker: false });
  db.close();
});

test('above the threshold the page asks; decline spends nothing, confirm pays', async () => {
  const { db, flow, fake } = await setup({ threshold: 2 });
  const url = `${VENDOR}/article/4`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 4));
  const ask = await flow.pageLoaded(TAB, url);
  assert.deepEqual(ask, { action: 'confirm', broker: false, price: 4, vendorId: VENDOR, threshold: 2, balance: coins });
  assert.deepEqual(await flow.decline(TAB, url), { action: 'none', broker: false });
  assert.equal(await balance(db), coins);
  assert.deepEqual(fake.calls, []);

  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 4));
  assert.equal((await flow.pageLoaded(TAB, url)).action, 'confirm');
  assert.deepEqual(await flow.confirm(TAB, url), { action: 'paying', broker: false, price: 4, resent: false });
  assert.equal(await balance(db), coins - 4);
  // Paid: the challenge is used up, a second yes spends nothing more.
  assert.equal((await flow.confirm(TAB, url)).action, 'refuse');
  assert.equal(await balance(db), coins - 4);
  db.close();
});

test("after declining, the paywall's pay button (pay-confirm) pays that challenge once, at its price", async () => {
  const { db, flow, fake } = await setup({ threshold: 2 });
  const url = `${VENDOR}/article/5`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 4));
  assert.equal((await flow.pageLoaded(TAB, url)).action, 'confirm');
  await flow.decline(TAB, url);
  assert.equal(await balance(db), coins, 'declining spends nothing');
  assert.deepEqual(await flow.confirm(TAB, url), { action: 'paying', broker: false, price: 4, resent: false });
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  assert.equal(await balance(db), coins - 4);
  assert.equal((await flow.confirm(TAB, url)).action, 'refuse', 'a second click pays nothing');
  assert.equal(await balance(db), coins - 4);
  // Another page in the tab: the declined challenge is no longer payable there.
  const other = `${VENDOR}/article/6`;
  await flow.onMainFrameResponse(TAB, other, 402, challenge402(other, 4));
  await flow.decline(TAB, other);
  await flow.onMainFrameResponse(TAB, `${VENDOR}/free`, 200, []);
  assert.equal((await flow.confirm(TAB, other)).action, 'refuse');
  assert.equal(await balance(db), coins - 4);
  db.close();
});

test('not enough coins for this vendor: a notice with needed, held and makeable; nothing spent', async () => {
  const { db, flow, fake } = await setup({ threshold: 1000 });
  const url = `${VENDOR}/big`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, coins + 1));
  const v = await flow.pageLoaded(TAB, url);
  assert.equal(v.action, 'insufficient');
  assert.ok(v.action === 'insufficient' && v.held === coins && v.makeable < coins + 1 && v.price === coins + 1);
  assert.deepEqual(fake.calls, []);
  assert.equal(await balance(db), coins);
  db.close();
});

test('a challenge for another vendor than the page, or over plain http, is refused', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/a`;
  await flow.onMainFrameResponse(TAB, url, 402, [
    { name: 'payment-required', value: challengeHeader(url, [offer(1, 'http://127.0.0.1:9999')]) },
  ]);
  const v = await flow.pageLoaded(TAB, url);
  assert.equal(v.action, 'refuse');
  const far = 'http://shop.example/a';
  await flow.onMainFrameResponse(TAB, far, 402, [
    { name: 'payment-required', value: challengeHeader(far, [offer(1, 'http://shop.example')]) },
  ]);
  assert.equal((await flow.pageLoaded(TAB, far)).action, 'refuse');
  assert.deepEqual(fake.calls, []);
  assert.equal(await balance(db), coins);
  db.close();
});

test('a refused retry releases coins (except already-spent), and the page then asks instead of looping', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/r`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2));
  await flow.pageLoaded(TAB, url);
  const [payment] = await recentPayments(db);
  const [gone] = payment!.coinIds;
  const outcome = await flow.onMainFrameResponse(
    TAB,
    url,
    402,
    challenge402(url, 2, {
      error: 'already-spent',
      extensions: { micromint: { refused: [{ coinId: gone, reason: 'already-spent' }] } },
    }),
  );
  assert.equal(outcome?.kind, 'refused');
  assert.equal(fake.rules.size, 0);
  assert.equal(await balance(db), coins - 1, 'one coin came back, the already-spent one did not');
  const v = await flow.pageLoaded(TAB, url);
  assert.equal(v.action, 'confirm');
  assert.ok(v.action === 'confirm' && v.refusal === 'already-spent');
  // Paying again after the refusal never reuses the flagged coin.
  await flow.confirm(TAB, url);
  const [again] = await recentPayments(db);
  assert.equal(again!.coinIds.includes(gone!), false);
  db.close();
});

test('a lost response leaves the payment pending; the next 402 of the URL resends the same payload', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/lost`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2));
  await flow.pageLoaded(TAB, url);
  const first = [...fake.rules.values()][0]!.header;
  await flow.onMainFrameError(TAB, url, 'net::ERR_EMPTY_RESPONSE');
  assert.equal(fake.rules.size, 0);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  assert.equal(await balance(db), coins - 2);

  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2));
  assert.deepEqual(await flow.pageLoaded(TAB, url), { action: 'paying', broker: false, price: 2, resent: true });
  assert.equal([...fake.rules.values()][0]!.header, first, 'byte for byte the same payment');
  assert.equal(await balance(db), coins - 2, 'no new coins');
  const payments = await recentPayments(db);
  assert.equal(payments.length, 1);
  assert.equal(payments[0]!.attempts, 2);
  assert.deepEqual(readMicromintPayload(epoch, decodePaymentPayload(first)).coins.map(coinId), payments[0]!.coinIds);
  await flow.onMainFrameResponse(TAB, url, 200, paidReceipt);
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  db.close();
});

test('navigating elsewhere during a retry keeps the payment pending; a closed tab loses its rules', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/away`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1));
  await flow.pageLoaded(TAB, url);
  await flow.onMainFrameResponse(TAB, `${VENDOR}/elsewhere`, 200, []);
  assert.equal(fake.rules.size, 0);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1));
  await flow.tabClosed(TAB);
  assert.deepEqual(await flow.pageLoaded(TAB, url), { action: 'none', broker: false });
  db.close();
});

test('if the tab is gone before the retry, the rule is removed and the payment stays pending', async () => {
  const { db, flow, fake, logs } = await setup({ failNavigate: true });
  const url = `${VENDOR}/closed`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1));
  assert.equal((await flow.pageLoaded(TAB, url)).action, 'paying');
  assert.equal(fake.rules.size, 0);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  assert.match(logs.join('\n'), /could not load/);
  db.close();
});

test('pages of the broker are flagged so the content script looks for funds', async () => {
  const { db, flow } = await setup();
  assert.deepEqual(await flow.pageLoaded(TAB, `${BROKER}/account`), { action: 'none', broker: true });
  db.close();
});
