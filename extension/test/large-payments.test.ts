/**
 * Payments too large for a header (prices go to 1,000 coins; servers answer a header section over
 * 16 KiB with 431): above MAX_PAYMENT_HEADER_BYTES the payment travels as a MicroMint-1.0 Payment
 * message in the body of a POST to the same URL.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  coinId,
  decodePayment,
  decodePaymentPayload,
  encodeHeader,
  fromBase64,
  fromUtf8,
  MAX_PAYMENT_HEADER_BYTES,
  MICROMINT_MIME,
  micromintRequirements,
  readMicromintPayload,
} from '@micromint/shared';
import { FetchFlow } from '../src/background/fetch-flow.ts';
import { PaymentStep } from '../src/background/pay-step.ts';
import { bodyText, PaymentWatch } from '../src/background/payment-watch.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { postPayment } from '../src/content/verdicts.ts';
import type { PageVerdict } from '../src/messages.ts';
import { balance, fundsFor, headerTooLarge, recentPayments, spend, type WalletDb } from '../src/wallet/index.ts';
import { installFakeDocument } from './helpers/dom.ts';
import { fundedWallet, testFlow, testSettings } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, pickFirsts, requirementFor, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 4));
const TAB = 8;
const offer = (price: number) => micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id });
const challenge402 = (url: string, price: number) => [{ name: 'payment-required', value: challengeHeader(url, [offer(price)]) }];
const receipt = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 'pay_big', network: 'micromint:x' }) }];
const raw = (text: string) => ({ raw: [{ bytes: new TextEncoder().encode(text).buffer as ArrayBuffer }] });

let big = 0;
async function wallet(label: string): Promise<WalletDb> {
  const db = await fundedWallet(label, epoch, sets);
  big = (await fundsFor(db, { epoch: epoch.id, broker: BROKER, vendorId: VENDOR })).makeable;
  return db;
}

async function flows(db: WalletDb, threshold = 1000) {
  const settings = await testSettings(threshold);
  const watch = new PaymentWatch(new PaymentStep({ db, settings, schemes: DEFAULT_SCHEMES }));
  const { flow, fake } = await testFlow(db, { store: settings, watch });
  const fetchFlow = new FetchFlow({ db, settings, schemes: DEFAULT_SCHEMES, watch });
  return { flow, fetchFlow, fake };
}

test('a payment whose header would pass 8 KiB also carries the same coins as a Payment message body', async () => {
  const db = await wallet('body');
  assert.ok(big >= 80, `the test wallet makes ${big} coins for the vendor`);
  const small = await spend(db, {
    url: `${VENDOR}/small`,
    vendorId: VENDOR,
    broker: BROKER,
    epoch: epoch.id,
    price: 2,
    requirement: requirementFor(epoch, 2),
  });
  assert.equal(small.body, undefined);
  assert.equal(headerTooLarge(small.header), false);
  const price = 80;
  const url = `${VENDOR}/big`;
  const p = await spend(db, { url, vendorId: VENDOR, broker: BROKER, epoch: epoch.id, price, requirement: requirementFor(epoch, price) });
  assert.ok(p.header.length > MAX_PAYMENT_HEADER_BYTES);
  assert.equal(p.body?.contentType, MICROMINT_MIME);
  const message = decodePayment(epoch, p.body!.text);
  assert.deepEqual(
    { url: message.url, vendorId: message.vendorId, userId: message.userId, epoch: message.epoch },
    { url, vendorId: VENDOR, userId: USER, epoch: epoch.id },
  );
  assert.deepEqual(message.coins.map(coinId), p.coinIds, 'exactly the coins marked spent, in order');
  // The header form (kept, never sent) names the same coins; vendors refuse it for its length.
  assert.throws(() => decodePaymentPayload(p.header), /send a payment this large as the body/);
  assert.deepEqual(readMicromintPayload(epoch, JSON.parse(fromUtf8(fromBase64(p.header)))).coins.map(coinId), p.coinIds);
  assert.equal(headerTooLarge('A'.repeat(MAX_PAYMENT_HEADER_BYTES)), false);
  assert.equal(headerTooLarge('A'.repeat(MAX_PAYMENT_HEADER_BYTES + 1)), true);
  db.close();
});

test('a large navigation payment goes to the content script to POST; the POST seen on the network settles it', async () => {
  const db = await wallet('nav-body');
  const { flow, fetchFlow, fake } = await flows(db);
  const url = `${VENDOR}/long-read`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 80));
  const v = await flow.pageLoaded(TAB, url);
  assert.equal(v.action, 'post');
  assert.ok(v.action === 'post' && v.contentType === MICROMINT_MIME && v.price === 80 && !v.resent);
  assert.deepEqual(fake.calls, [], 'no header rule, no navigation by the worker');
  const [payment] = await recentPayments(db);
  assert.equal(v.body, payment!.body!.text);

  // The page's own POST to that URL, with another body, is not the payment.
  fetchFlow.onBeforeRequest('page', TAB, 'POST', url, raw('something else'));
  assert.equal(await fetchFlow.onResponse('page', TAB, url, 400, []), undefined);
  // Nor is the right body from another tab, or a GET.
  fetchFlow.onBeforeRequest('other-tab', TAB + 1, 'POST', url, raw(v.body));
  fetchFlow.onBeforeRequest('get', TAB, 'GET', url, undefined);
  assert.equal(await fetchFlow.onResponse('other-tab', TAB + 1, url, 400, []), undefined);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');

  fetchFlow.onBeforeRequest('post', TAB, 'POST', `${url}#x`, raw(v.body));
  assert.deepEqual(await fetchFlow.onResponse('post', TAB, url, 200, receipt), { kind: 'paid', transaction: 'pay_big' });
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  assert.equal(await balance(db), sets.reduce((n, s) => n + s.balls[0]!.size, 0) - 80);
  db.close();
});

test('an unanswered large payment is POSTed again byte for byte, never with new coins', async () => {
  const db = await wallet('nav-body-lost');
  const { flow, fetchFlow } = await flows(db);
  const url = `${VENDOR}/long-read-2`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 80));
  const first = await flow.pageLoaded(TAB, url);
  assert.ok(first.action === 'post');
  fetchFlow.onBeforeRequest('p1', TAB, 'POST', url, raw(first.body));
  fetchFlow.onError('p1');
  const left = await balance(db);
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 80));
  const again = await flow.pageLoaded(TAB, url);
  assert.ok(again.action === 'post' && again.resent && again.body === first.body);
  assert.equal(await balance(db), left);
  assert.equal((await recentPayments(db)).length, 1);
  db.close();
});

test('a refused large payment asks before paying the URL again (no POST loop)', async () => {
  const db = await wallet('nav-body-refused');
  const { flow, fetchFlow } = await flows(db);
  const url = `${VENDOR}/long-read-3`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 80));
  const v = await flow.pageLoaded(TAB, url);
  assert.ok(v.action === 'post');
  fetchFlow.onBeforeRequest('p', TAB, 'POST', url, raw(v.body));
  assert.equal(
    (
      await fetchFlow.onResponse('p', TAB, url, 402, [
        { name: 'payment-required', value: challengeHeader(url, [offer(80)], { error: 'wrong-amount' }) },
      ])
    )?.kind,
    'refused',
  );
  // The content script loads the URL again; its fresh 402 carries no error, the wallet asks all the same.
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 80));
  const next = await flow.pageLoaded(TAB, url);
  assert.equal(next.action, 'confirm');
  assert.ok(next.action === 'confirm' && next.refusal === 'wrong-amount');
  db.close();
});

test('a large fetch() payment is handed to the page as a POST body and settled from the network', async () => {
  const db = await wallet('fetch-body');
  const { fetchFlow } = await flows(db);
  const url = `${VENDOR}/api/bulk`;
  await fetchFlow.onResponse('r1', TAB, url, 402, challenge402(url, 80));
  const v = await fetchFlow.request(TAB, VENDOR, url, true);
  assert.ok(v.action === 'pay' && v.body !== undefined && v.contentType === MICROMINT_MIME);
  // A request carrying only the header is not how this payment travels.
  fetchFlow.onSendHeaders('h', TAB, [{ name: 'PAYMENT-SIGNATURE', value: v.header }]);
  assert.equal(await fetchFlow.onResponse('h', TAB, url, 402, challenge402(url, 80)), undefined);
  fetchFlow.onBeforeRequest('b', TAB, 'post', url, raw(v.body!));
  assert.equal((await fetchFlow.onResponse('b', TAB, url, 200, receipt))?.kind, 'paid');
  db.close();
});

test('the request body of webRequest is read as text only when it is all bytes', () => {
  const enc = new TextEncoder();
  assert.equal(
    bodyText({
      raw: [{ bytes: enc.encode('MicroMint-1.0\n').buffer as ArrayBuffer }, { bytes: enc.encode('Payment\n').buffer as ArrayBuffer }],
    }),
    'MicroMint-1.0\nPayment\n',
  );
  assert.equal(bodyText({ raw: [{}] }), undefined);
  assert.equal(bodyText(undefined), undefined);
});

test('the content script POSTs the body, then loads the page again only when the vendor answered', async () => {
  const dom = installFakeDocument();
  try {
    const verdict: Extract<PageVerdict, { action: 'post' }> = {
      action: 'post',
      broker: false,
      price: 80,
      resent: false,
      contentType: MICROMINT_MIME,
      body: 'BODY',
    };
    const url = `${VENDOR}/long-read`;
    const sent: RequestInit[] = [];
    const gone: string[] = [];
    const answering = (res: Partial<Response>) =>
      (async (_u: RequestInfo | URL, init?: RequestInit) => (
        sent.push(init!),
        { type: 'basic', status: 200, headers: new Headers(), ...res }
      )) as typeof fetch;
    await postPayment(verdict, url, answering({ headers: new Headers({ 'PAYMENT-RESPONSE': 'x' }) }), (u) => gone.push(u));
    assert.deepEqual(gone, [url]);
    assert.equal(sent[0]?.method, 'POST');
    assert.equal(sent[0]?.body, 'BODY');
    assert.equal(sent[0]?.credentials, 'same-origin');
    assert.deepEqual(sent[0]?.headers, { 'Content-Type': MICROMINT_MIME });
    await postPayment(verdict, url, answering({ status: 402 }), (u) => gone.push(u));
    assert.equal(gone.length, 2, 'refused: the reload shows the 402, where the wallet asks');
    // No answer: stay, say so; the payment stays pending and a reload sends it again.
    await postPayment(verdict, url, (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch, (u) => gone.push(u));
    await postPayment(verdict, url, answering({ status: 502 }), (u) => gone.push(u));
    assert.equal(gone.length, 2);
    assert.equal(dom.getElementById('micromint-notice')?.dataset.kind, 'error');
  } finally {
    dom.uninstall();
  }
});
