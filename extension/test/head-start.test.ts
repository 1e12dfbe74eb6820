/**
 * The navigation flow with `payOnHeaders`, as the worker runs it: a 402 is acted on when its
 * headers are seen; the tab is loaded again only once that 402's document is committed (or its
 * page reports); what was decided waits for the page's report.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHeader, micromintRequirements } from '@micromint/shared';
import { PageReceipts } from '../src/background/page-receipts.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { balance, fundsFor, importFunds, openWallet, recentPayments, type WalletDb } from '../src/wallet/index.ts';
import { fundedWallet, testFlow, testSettings } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 4));
const TAB = 5;
/** When the 402's headers were seen: a little while ago, so later events can be dated after it. */
let T402 = 0;
/** Now, for events after the retry began (older ones are ignored as queued from before it). */
const later = () => Date.now() + 1;
const offer = (price: number) => micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id });
const challenge402 = (url: string, price: number) => [{ name: 'payment-required', value: challengeHeader(url, [offer(price)]) }];
const paidReceipt = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 'pay_h', network: 'micromint:x' }) }];

async function setup(o: { threshold?: number; db?: WalletDb; session?: ReturnType<typeof memoryArea> } = {}) {
  T402 = Date.now() - 1000;
  const db = o.db ?? (await fundedWallet('head', epoch, sets));
  const settings = await testSettings(o.threshold ?? 5);
  const session = o.session ?? memoryArea();
  const receipts = new PageReceipts({ db, settings, area: session });
  const { flow, fake } = await testFlow(db, { store: settings, session, receipts, payOnHeaders: true });
  return { db, flow, fake, session, coins: await balance(db) };
}

test('a 402 is paid on its headers; the tab is loaded again only once that 402 is committed', async () => {
  const { db, flow, fake, coins } = await setup();
  const url = `${VENDOR}/early`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2), T402, 'r1');
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`], 'paid and the rule is in, before the page exists');
  assert.equal(await balance(db), coins - 2);
  assert.equal((await recentPayments(db))[0]?.attempts, 1);
  // Commits that are not the 402's start nothing: an older one of the URL, another URL, another tab.
  await flow.onMainFrameCommitted(TAB, url, T402 - 5);
  await flow.onMainFrameCommitted(TAB, `${VENDOR}/other`, T402 + 5);
  await flow.onMainFrameCommitted(TAB + 1, url, T402 + 5);
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`]);
  await flow.onMainFrameCommitted(TAB, `${url}#top`, T402 + 3);
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  // Once only: the 402's page reporting after that, or a second commit, loads nothing more.
  await flow.onMainFrameCommitted(TAB, url, T402 + 4);
  assert.deepEqual(await flow.pageLoaded(TAB, url, 402), { action: 'paying', broker: false, price: 2, resent: false });
  assert.equal(fake.calls.length, 2);
  assert.equal((await flow.onMainFrameResponse(TAB, url, 200, paidReceipt, later(), 'r2'))?.kind, 'paid');
  assert.equal(fake.rules.size, 0);
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  db.close();
});

test('a commit seen before the payment is made starts the reload as soon as it is', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/committed-first`;
  // The commit event is handled while the headers are still being acted on.
  await Promise.all([
    flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), T402, 'r1'),
    flow.onMainFrameCommitted(TAB, url, T402 + 2),
  ]);
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  db.close();
});

test("without a commit event the page's own report starts the reload", async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/report`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), T402, 'r1');
  assert.deepEqual(await flow.pageLoaded(TAB, `${url}#a`, 402), { action: 'paying', broker: false, price: 1, resent: false });
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  db.close();
});

test('a price that asks: nothing is spent on the headers, the page gets the question, yes pays it', async () => {
  const { db, flow, fake, coins } = await setup({ threshold: 2 });
  const url = `${VENDOR}/ask`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 4), T402, 'r1');
  await flow.onMainFrameCommitted(TAB, url, T402 + 1);
  assert.deepEqual(fake.calls, []);
  assert.equal(await balance(db), coins);
  assert.deepEqual(await flow.pageLoaded(TAB, url, 402), {
    action: 'confirm',
    broker: false,
    price: 4,
    vendorId: VENDOR,
    threshold: 2,
    balance: coins,
  });
  assert.deepEqual(await flow.confirm(TAB, url), { action: 'paying', broker: false, price: 4, resent: false });
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  assert.equal(await balance(db), coins - 4);
  db.close();
});

test("the 402's own request failing (its page cut short) is no answer to the payment; the retry's failure is", async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/cut`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), T402, 'r1');
  await flow.onMainFrameCommitted(TAB, url, T402 + 1);
  await flow.onMainFrameError(TAB, url, 'net::ERR_ABORTED', later(), 'r1');
  assert.equal(fake.rules.size, 1, 'the rule stays for the retry');
  await flow.onMainFrameError(TAB, url, 'net::ERR_CONNECTION_RESET', later(), 'r2');
  assert.equal(fake.rules.size, 0);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  db.close();
});

test('a 402 stopped before its page came is not loaded again on its own; the next load of the URL carries the payment', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/stopped`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), T402, 'r1');
  await flow.onMainFrameError(TAB, url, 'net::ERR_ABORTED', later(), 'r1');
  await flow.onMainFrameCommitted(TAB, url, T402 + 3);
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`]);
  assert.equal(fake.rules.size, 1);
  // The reader loads it again: the rule adds the payment, the answer settles it.
  assert.equal((await flow.onMainFrameResponse(TAB, url, 200, paidReceipt, later(), 'r3'))?.kind, 'paid');
  assert.equal(fake.rules.size, 0);
  db.close();
});

test('the tab going elsewhere before the 402 is committed: no reload, the rule goes, the payment stays pending', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/left`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), T402, 'r1');
  await flow.onMainFrameResponse(TAB, `${VENDOR}/free`, 200, [], later(), 'r2');
  await flow.onMainFrameCommitted(TAB, url, T402 + 11);
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, 'release 1']);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  db.close();
});

test("a payment too large for a header is the page's to POST: it gets the body, also from a worker that restarted meanwhile", async () => {
  const db = await openWallet(freshDbName('head-big'));
  await importFunds(db, fundsText(epoch, sets));
  const big = (await fundsFor(db, { epoch: epoch.id, broker: BROKER, vendorId: VENDOR })).makeable;
  const session = memoryArea();
  const first = await setup({ db, session, threshold: 1000 });
  const url = `${VENDOR}/big`;
  await first.flow.onMainFrameResponse(TAB, url, 402, challenge402(url, big), T402, 'r1');
  assert.deepEqual(first.fake.calls, [], 'no rule: the body goes in a POST');
  const [payment] = await recentPayments(db);
  assert.ok(payment?.body);
  const posted = await first.flow.pageLoaded(TAB, url, 402);
  assert.ok(posted.action === 'post' && posted.body === payment.body.text && !posted.resent);

  // Another 402 of it, and the worker stops before the page reports: the page gets the same body again.
  await first.flow.onMainFrameResponse(TAB, url, 402, challenge402(url, big), later(), 'r2');
  const restarted = await setup({ db, session, threshold: 1000 });
  const again = await restarted.flow.pageLoaded(TAB, url, 402);
  assert.ok(again.action === 'post' && again.body === payment.body.text && again.resent);
  assert.equal((await recentPayments(db)).length, 1, 'one payment, sent again');
  db.close();
});

test('the retry is in storage.session once its 402 is handled: a worker that restarts settles its answer', async () => {
  const db = await openWallet(freshDbName('head-book'));
  await importFunds(db, fundsText(epoch, sets));
  const session = memoryArea();
  const first = await setup({ db, session });
  const url = `${VENDOR}/booked`;
  await first.flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), T402, 'r1');
  await first.flow.onMainFrameCommitted(TAB, url, T402 + 3);
  assert.deepEqual(first.fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  // The worker stops while the retry is on its way; the next one reads the retry from storage.session.
  const restarted = await setup({ db, session });
  assert.equal((await restarted.flow.onMainFrameResponse(TAB, url, 200, paidReceipt, later(), 'r2'))?.kind, 'paid');
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  db.close();
});

test('a 402 page reporting after its retry was answered gets no receipt; the paid page does', async () => {
  const { db, flow } = await setup();
  const url = `${VENDOR}/late`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2), T402, 'r1');
  await flow.onMainFrameCommitted(TAB, url, T402 + 1);
  await flow.onMainFrameResponse(TAB, url, 200, paidReceipt, later(), 'r2');
  assert.deepEqual(await flow.pageLoaded(TAB, url, 402), { action: 'none', broker: false });
  const paid = await flow.pageLoaded(TAB, url, 200);
  assert.ok(paid.action === 'none' && paid.receipt?.mills === 2);
  db.close();
});

test('after a refusal the wallet asks before paying the URL again, until a later payment of it was taken', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/refused`;
  const refusal = [
    {
      name: 'payment-required',
      value: challengeHeader(url, [offer(1)], { error: 'already-spent' }),
    },
  ];
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), T402, 'r1');
  await flow.onMainFrameCommitted(TAB, url, T402 + 1);
  assert.equal((await flow.onMainFrameResponse(TAB, url, 402, refusal, later(), 'r2'))?.kind, 'refused');
  // The next 402 of the URL carries no error: the wallet asks all the same, on the headers already.
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), later(), 'r3');
  const asked = await flow.pageLoaded(TAB, url, 402);
  assert.ok(asked.action === 'confirm' && asked.refusal === 'already-spent');
  assert.equal((await flow.confirm(TAB, url)).action, 'paying');
  assert.equal((await flow.onMainFrameResponse(TAB, url, 200, paidReceipt, later(), 'r4'))?.kind, 'paid');
  // Paid since: the refusal no longer counts, the next 402 is paid without asking.
  const calls = fake.calls.length;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 1), later(), 'r5');
  assert.deepEqual(fake.calls.slice(calls), [`install ${TAB} ${url}`]);
  assert.equal((await recentPayments(db)).filter((p) => p.url === url).length, 3);
  db.close();
});
