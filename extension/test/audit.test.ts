/**
 * Audit: attempts to make the wallet lose or double-spend coins, or pay for a hostile page.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  coinId,
  decodePaymentPayload,
  decodeRequestCredit,
  encodeHeader,
  encodeSendExpired,
  micromintRequirements,
  readMicromintPayload,
} from '@micromint/shared';
import { FetchFlow } from '../src/background/fetch-flow.ts';
import { FundsService, interpretCreditAnswer, type FetchLike } from '../src/background/funds.ts';
import { classifyRetryResponse } from '../src/background/receipts.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea, type KeyValueArea } from '../src/background/storage-area.ts';
import { askToPay, PROMPT_ID } from '../src/content/ui.ts';
import { balance, importFunds, markRefused, openWallet, recentPayments, type WalletDb } from '../src/wallet/index.ts';
import { installFakeDocument } from './helpers/dom.ts';
import { fundedWallet, testFlow } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;
const TAB = 3;

const offer = (price: number, vendorId = VENDOR) => micromintRequirements({ price, vendorId, broker: BROKER, epoch: epoch.id });
const challenge402 = (url: string, price: number) => [{ name: 'payment-required', value: challengeHeader(url, [offer(price)]) }];
const receipt = (transaction = 'pay_1') => ({
  name: 'payment-response',
  value: encodeHeader({ success: true, transaction, network: 'micromint:x' }),
});

const flowOver = (db: WalletDb, session: KeyValueArea, threshold = 5) => testFlow(db, { session, threshold });
const wallet = (label: string): Promise<WalletDb> => fundedWallet(label, epoch, sets);

// --- Defect: a receipt on a non-2xx answer was ignored -----------------------------------------
// The middleware records the coins and sets PAYMENT-RESPONSE before the site's handler runs; the
// handler may still answer 400 (a bad query parameter), 404 or 500, or redirect. A 400 used to be
// read as "nothing consumed" and the coins released, although the vendor holds them: the wallet
// would then spend them again elsewhere, a double spend the next vendor pays for.

test('a successful receipt settles the payment as paid whatever the status', () => {
  for (const status of [200, 204, 301, 302, 400, 402, 404, 500, 503])
    assert.deepEqual(classifyRetryResponse(status, [receipt()]), { kind: 'paid', transaction: 'pay_1' }, `HTTP ${status}`);
  // Without a receipt nothing changes: 400 is the middleware's "unreadable header, nothing taken".
  assert.equal(classifyRetryResponse(400, []).kind, 'refused');
  assert.equal(classifyRetryResponse(404, []).kind, 'unsettled');
  assert.equal(classifyRetryResponse(500, [{ name: 'payment-response', value: '%%%' }]).kind, 'unsettled');
});

test('a paid navigation answered 400 with a receipt keeps its coins spent', async () => {
  const db = await wallet('receipt-400');
  const { flow } = await flowOver(db, memoryArea());
  const url = `${VENDOR}/api/report?month=13`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2));
  assert.equal((await flow.pageLoaded(TAB, url)).action, 'paying');
  const outcome = await flow.onMainFrameResponse(TAB, url, 400, [receipt('pay_400')]);
  assert.deepEqual(outcome, { kind: 'paid', transaction: 'pay_400' });
  const [payment] = await recentPayments(db);
  assert.equal(payment?.state, 'paid');
  assert.equal(await balance(db), coins - 2, 'the vendor holds those coins: they must not come back');
  db.close();
});

test('a paid fetch answered 400 with a receipt keeps its coins spent', async () => {
  const db = await wallet('fetch-400');
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER });
  const flow = new FetchFlow({ db, settings, schemes: DEFAULT_SCHEMES });
  const url = `${VENDOR}/api/data?x=bad`;
  await flow.onResponse('r1', TAB, url, 402, challenge402(url, 1));
  const v = await flow.request(TAB, VENDOR, url, false);
  assert.ok(v.action === 'pay');
  flow.onSendHeaders('r2', TAB, [{ name: 'PAYMENT-SIGNATURE', value: v.header }]);
  assert.equal((await flow.onResponse('r2', TAB, url, 400, [receipt()]))?.kind, 'paid');
  assert.equal(await balance(db), coins - 1);
  db.close();
});

// --- Defect: the page could press "Pay" itself -------------------------------------------------

test('the prompt ignores a click made by the page’s script; only a person’s click pays', async () => {
  const dom = installFakeDocument();
  try {
    let answer: string | undefined;
    void askToPay({ price: 1000, vendorId: VENDOR, threshold: 5, balance: 2000 }).then((a) => (answer = a));
    const pay = dom.getElementById(PROMPT_ID)!.shadowRoot!.querySelector('[data-action="pay"]')!;
    pay.click(); // what a hostile page does: the shadow root is open
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(answer, undefined, 'a scripted click must not pay');
    pay.userClick();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(answer, 'pay');
  } finally {
    dom.uninstall();
  }
});

// --- Sound: what held up ---------------------------------------------------------------------

test('a worker restart mid-payment resends the very same payload, never new coins', async () => {
  const name = freshDbName('restart');
  let db = await openWallet(name);
  await importFunds(db, fundsText(epoch, sets));
  const session = memoryArea(); // storage.session outlives the worker
  const first = await flowOver(db, session);
  const url = `${VENDOR}/story`;
  await first.flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 3));
  await first.flow.pageLoaded(TAB, url);
  const header = [...first.fake.rules.values()][0]!.header;
  // The worker dies before the answer; the database is closed under it and reopened.
  db.close();
  db = await openWallet(name);
  const second = await flowOver(db, session);
  await second.flow.onMainFrameError(TAB, url, 'net::ERR_CONNECTION_RESET');
  await second.flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 3));
  assert.equal((await second.flow.pageLoaded(TAB, url)).action, 'paying');
  assert.equal([...second.fake.rules.values()][0]!.header, header);
  assert.equal(await balance(db), coins - 3);
  assert.equal((await recentPayments(db)).length, 1);
  db.close();
});

test('two tabs paying at once never share a coin, and the poorer one spends nothing', async () => {
  const db = await wallet('two-tabs');
  const { flow } = await flowOver(db, memoryArea(), 1000);
  const makeable = (await (await import('../src/wallet/index.ts')).fundsFor(db, { epoch: epoch.id, broker: BROKER, vendorId: VENDOR }))
    .makeable;
  const price = Math.floor(makeable / 2) + 1;
  const urls = [`${VENDOR}/a`, `${VENDOR}/b`];
  await Promise.all(urls.map((u, i) => flow.onMainFrameResponse(TAB + i, u, 402, challenge402(u, price))));
  const verdicts = await Promise.all(urls.map((u, i) => flow.confirm(TAB + i, u)));
  assert.deepEqual(verdicts.map((v) => v.action).sort(), ['insufficient', 'paying']);
  const payments = await recentPayments(db);
  assert.equal(payments.length, 1);
  assert.equal(await balance(db), coins - price);
  db.close();
});

test('hostile challenges spend nothing', async () => {
  const db = await wallet('hostile');
  const { flow, fake } = await flowOver(db, memoryArea(), 1000);
  const url = `${VENDOR}/x`;
  const cases: [string, string][] = [
    ['payTo another origin', challengeHeader(url, [offer(1, 'http://127.0.0.1:4002')])],
    [
      'extra.vendorId differs from payTo',
      challengeHeader(url, [{ ...offer(1), extra: { ...offer(1).extra, vendorId: 'http://127.0.0.1:4002' } }]),
    ],
    ['resource on another origin', challengeHeader('http://127.0.0.1:4002/x', [offer(1)])],
    ['an absurd price', challengeHeader(url, [{ ...offer(1), amount: '1000000' }])],
    ['a zero price', challengeHeader(url, [{ ...offer(1), amount: '0' }])],
    ['a negative price', challengeHeader(url, [{ ...offer(1), amount: '-5' }])],
    ['not base64', '%%%'],
    ['JSON without accepts', encodeHeader({ x402Version: 2, resource: { url } })],
    [
      'another broker',
      challengeHeader(url, [micromintRequirements({ price: 1, vendorId: VENDOR, broker: 'http://127.0.0.1:4999', epoch: epoch.id })]),
    ],
  ];
  for (const [what, header] of cases) {
    await flow.onMainFrameResponse(TAB, url, 402, [{ name: 'payment-required', value: header }]);
    const v = await flow.pageLoaded(TAB, url);
    assert.ok(['refuse', 'insufficient', 'none'].includes(v.action), `${what}: ${v.action}`);
    const c = await flow.confirm(TAB, url);
    assert.ok(c.action !== 'paying', `${what}: confirm paid`);
  }
  // A plain-http vendor that is not this computer.
  const far = 'http://shop.example/x';
  await flow.onMainFrameResponse(TAB, far, 402, [
    { name: 'payment-required', value: challengeHeader(far, [offer(1, 'http://shop.example')]) },
  ]);
  assert.equal((await flow.pageLoaded(TAB, far)).action, 'refuse');
  assert.deepEqual(fake.calls, []);
  assert.equal(await db.count('payments'), 0);
  assert.equal(await balance(db), coins);
  db.close();
});

test('a refusal naming coins of another payment, or repeating one, releases only this payment’s untaken coins', async () => {
  const db = await wallet('refusal');
  const { flow } = await flowOver(db, memoryArea());
  const urls = [`${VENDOR}/p1`, `${VENDOR}/p2`];
  for (const u of urls) {
    await flow.onMainFrameResponse(TAB, u, 402, challenge402(u, 2));
    await flow.pageLoaded(TAB, u);
    await flow.onMainFrameError(TAB, u, 'net::ERR_ABORTED');
  }
  const [p2, p1] = await recentPayments(db);
  // The vendor of p1 claims p2's coins and one of p1's as already spent.
  const out = await markRefused(db, p1!.id, {
    error: 'already-spent',
    refused: [...p2!.coinIds, p1!.coinIds[0]!].map((id) => ({ coinId: id, reason: 'already-spent' })),
  });
  assert.deepEqual([out.released, out.kept], [1, 1]);
  for (const id of p2!.coinIds) assert.equal((await db.get('balls', [epoch.id, id]))?.state, 'spent');
  assert.equal(await balance(db), coins - 3);
  // A second refusal of the same payment changes nothing.
  assert.deepEqual((await markRefused(db, p1!.id, { error: 'wrong-amount' })).released, 0);
  assert.equal(await balance(db), coins - 3);
  db.close();
});

test('the payload of a payment names exactly the coins marked spent', async () => {
  const db = await wallet('payload');
  const { flow, fake } = await flowOver(db, memoryArea());
  const url = `${VENDOR}/exact`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 4));
  await flow.pageLoaded(TAB, url);
  const header = [...fake.rules.values()][0]!.header;
  const ids = readMicromintPayload(epoch, decodePaymentPayload(header)).coins.map(coinId);
  const [payment] = await recentPayments(db);
  assert.deepEqual(ids, payment!.coinIds);
  for (const id of ids) assert.equal((await db.get('balls', [epoch.id, id]))?.paymentId, payment!.id);
  db.close();
});

// --- Defect: one URL paid twice when two asks race -----------------------------------------------
// The "pending payment -> resend it" check and the spend were two transactions: two tabs opening
// the same paid page, or a page firing the same paid fetch() twice, both found nothing pending and
// both spent new coins. The vendor records both, so the user paid twice for one URL.

test('two tabs paying the same URL at once spend once and send the same payload', async () => {
  const db = await wallet('same-url-tabs');
  const { flow, fake } = await flowOver(db, memoryArea());
  const url = `${VENDOR}/popular`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2));
  await flow.onMainFrameResponse(TAB + 1, url, 402, challenge402(url, 2));
  const verdicts = await Promise.all([flow.pageLoaded(TAB, url), flow.pageLoaded(TAB + 1, url)]);
  assert.deepEqual(
    verdicts.map((v) => v.action),
    ['paying', 'paying'],
  );
  assert.equal((await recentPayments(db)).length, 1);
  assert.equal(await balance(db), coins - 2);
  const headers = [...fake.rules.values()].map((r) => r.header);
  assert.equal(headers.length, 2);
  assert.equal(headers[0], headers[1]);
  db.close();
});

test('the same paid fetch() fired twice at once spends once; both requests carry the same payload', async () => {
  const db = await wallet('same-url-fetch');
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER });
  const flow = new FetchFlow({ db, settings, schemes: DEFAULT_SCHEMES });
  const url = `${VENDOR}/api/feed`;
  await flow.onResponse('r1', TAB, url, 402, challenge402(url, 1));
  await flow.onResponse('r2', TAB, url, 402, challenge402(url, 1));
  const [a, b] = await Promise.all([flow.request(TAB, VENDOR, url, false), flow.request(TAB, VENDOR, url, false)]);
  assert.ok(a.action === 'pay' && b.action === 'pay');
  assert.equal(a.header, b.header);
  assert.equal((await recentPayments(db)).length, 1);
  assert.equal(await balance(db), coins - 1);
  db.close();
});

// --- Defect: a 2xx that is not the broker's answer closed a return as credited -------------------
// Returned balls are marked `returned` before the Request-Credit leaves; only the broker's answer
// may close the return. A 200 that is not that answer (a captive portal, a proxy's page) used to
// mark it credited with 0 coins: the balls stayed `returned`, never sent again, their credit lost.

test('a 2xx without the broker’s JSON answer leaves the return pending, to be sent again', async () => {
  assert.equal(interpretCreditAnswer(200, '<html>Sign in to the Wi-Fi</html>').kind, 'failed');
  assert.equal(interpretCreditAnswer(200, '{"credited":"lots"}').kind, 'failed');
  assert.equal(interpretCreditAnswer(204, '').kind, 'failed');
  assert.deepEqual(interpretCreditAnswer(200, '{"credited":3,"creditedMills":3,"alreadyReturned":0,"refused":[]}'), {
    kind: 'credited',
    credited: 3,
    creditedMills: 3,
  });

  let portal = true;
  const posted: number[] = [];
  const fetchFn: FetchLike = async (_url, init) => {
    const n = decodeRequestCredit(init.body).balls.length;
    posted.push(n);
    return portal
      ? { ok: true, status: 200, text: async () => '<html>portal</html>' }
      : { ok: true, status: 200, text: async () => JSON.stringify({ credited: n, creditedMills: n, alreadyReturned: 0, refused: [] }) };
  };
  const db = await openWallet(freshDbName('portal'));
  const settings = new SettingsStore(memoryArea());
  const funds = new FundsService(db, settings, fetchFn);
  await funds.importFromPage(fundsText(epoch, sets), BROKER);
  const msg = encodeSendExpired({ broker: BROKER, userId: USER, epoch: epoch.id, returnUrl: `${BROKER}/api/credit` });
  assert.equal((await funds.returnFromPage(msg, BROKER)).state, 'pending');
  portal = false;
  const done = await funds.returnFromPage(msg, BROKER);
  assert.deepEqual(done, { returned: coins, credited: coins, creditedMills: coins, state: 'credited' });
  assert.deepEqual(posted, [coins, coins], 'the unanswered balls went out again');
  db.close();
});
