import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePaymentPayload, encodeHeader, micromintRequirements, readMicromintPayload, verifyCoin } from '@micromint/shared';
import { FETCH_AUTOPAY_PER_MINUTE, FetchFlow } from '../src/background/fetch-flow.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { balance, importFunds, openWallet, recentPayments } from '../src/wallet/index.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 2));
const coins = sets.reduce((n, s) => n + s.balls[0]!.size, 0);
const TAB = 5;

async function setup(threshold = 5) {
  const db = await openWallet(freshDbName('fetch'));
  await importFunds(db, fundsText(epoch, sets));
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, autopayThreshold: threshold });
  let now = 1_000_000;
  const flow = new FetchFlow({ db, settings, schemes: DEFAULT_SCHEMES, now: () => now });
  return { db, flow, tick: (ms: number) => (now += ms) };
}

const required = (url: string, price: number) => [
  {
    name: 'PAYMENT-REQUIRED',
    value: challengeHeader(url, [micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id })]),
  },
];
const receipt = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 't', network: 'n' }) }];

test('a fetch 402 seen on the network is paid; the request carrying the header is settled from the network', async () => {
  const { db, flow } = await setup();
  const url = `${VENDOR}/api/data`;
  // The page cannot ask about a 402 the worker did not see.
  assert.equal((await flow.request(TAB, VENDOR, url, false)).action, 'none');
  await flow.onResponse('r1', TAB, url, 402, required(url, 2));
  const v = await flow.request(TAB, VENDOR, '/api/data', false);
  assert.equal(v.action, 'pay');
  assert.ok(v.action === 'pay');
  for (const c of readMicromintPayload(epoch, decodePaymentPayload(v.header)).coins)
    assert.equal(verifyCoin(epoch, c, USER, VENDOR).ok, true);
  assert.equal(await balance(db), coins - 2);
  flow.onSendHeaders('r2', TAB, [{ name: 'payment-signature', value: v.header }]);
  assert.deepEqual(await flow.onResponse('r2', TAB, url, 200, receipt), { kind: 'paid', transaction: 't' });
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  db.close();
});

test('only same-origin requests are paid, and a page cannot settle its own payment', async () => {
  const { db, flow } = await setup();
  const url = `${VENDOR}/api/data`;
  await flow.onResponse('r1', TAB, url, 402, required(url, 1));
  assert.equal((await flow.request(TAB, 'http://127.0.0.1:9999', url, false)).action, 'refuse');
  const v = await flow.request(TAB, VENDOR, url, false);
  assert.ok(v.action === 'pay');
  // A response on some other request id (the page claiming a refusal) changes nothing.
  assert.equal(await flow.onResponse('other', TAB, url, 402, required(url, 1)), undefined);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  db.close();
});

test('above the threshold a fetch asks first; a network error leaves the payment to be resent', async () => {
  const { db, flow } = await setup(1);
  const url = `${VENDOR}/api/big`;
  await flow.onResponse('r1', TAB, url, 402, required(url, 3));
  const ask = await flow.request(TAB, VENDOR, url, false);
  assert.equal(ask.action, 'confirm');
  assert.equal(await balance(db), coins);
  const v = await flow.request(TAB, VENDOR, url, true);
  assert.ok(v.action === 'pay');
  flow.onSendHeaders('r2', TAB, [{ name: 'payment-signature', value: v.header }]);
  flow.onError('r2');
  await flow.onResponse('r3', TAB, url, 402, required(url, 3));
  const again = await flow.request(TAB, VENDOR, url, false);
  assert.ok(again.action === 'pay' && again.resent && again.header === v.header);
  assert.equal(await balance(db), coins - 3);
  db.close();
});

test(`silent fetch payments are limited to ${FETCH_AUTOPAY_PER_MINUTE} a minute per origin`, async () => {
  const { db, flow, tick } = await setup();
  for (let i = 0; i <= FETCH_AUTOPAY_PER_MINUTE; i++) {
    const url = `${VENDOR}/api/item/${i}`;
    await flow.onResponse(`q${i}`, TAB, url, 402, required(url, 1));
    const v = await flow.request(TAB, VENDOR, url, false);
    assert.equal(v.action, i < FETCH_AUTOPAY_PER_MINUTE ? 'pay' : 'confirm', `request ${i}`);
  }
  tick(61_000);
  const url = `${VENDOR}/api/item/later`;
  await flow.onResponse('later', TAB, url, 402, required(url, 1));
  assert.equal((await flow.request(TAB, VENDOR, url, false)).action, 'pay');
  db.close();
});

// Requests (issue 10): cross-origin requests, frames, the page API's price.
const PAGE = 'http://localhost:4100';

test('a cross-origin request is paid to the URL\u2019s own site when the asking page made it', async () => {
  const { db, flow } = await setup();
  const url = `${VENDOR}/api/data`;
  await flow.onResponse('r1', TAB, url, 402, required(url, 2), 'GET', { frameId: 0, initiator: PAGE });
  // Another page (or a frame) cannot have it paid on its word.
  assert.equal((await flow.request(TAB, 'http://127.0.0.1:9999', url, false)).action, 'refuse');
  assert.equal((await flow.request(TAB, PAGE, url, false, undefined, 3)).action, 'none', 'a frame asks about its own requests only');
  const v = await flow.request(TAB, PAGE, url, false);
  assert.ok(v.action === 'pay');
  for (const c of readMicromintPayload(epoch, decodePaymentPayload(v.header)).coins)
    assert.equal(verifyCoin(epoch, c, USER, VENDOR).ok, true);
  flow.onSendHeaders('r2', TAB, [{ name: 'payment-signature', value: v.header }]);
  assert.deepEqual(await flow.onResponse('r2', TAB, url, 200, receipt), { kind: 'paid', transaction: 't' });
  assert.equal(await balance(db), coins - 2);
  db.close();
});

test('a frame\u2019s request is paid on the frame\u2019s own ask; the top page cannot use it', async () => {
  const { db, flow } = await setup();
  const url = `${VENDOR}/api/data`;
  await flow.onResponse('r1', TAB, url, 402, required(url, 1), 'GET', { frameId: 7, initiator: VENDOR });
  assert.equal((await flow.request(TAB, VENDOR, url, false)).action, 'none');
  assert.equal((await flow.request(TAB, VENDOR, url, false, undefined, 7)).action, 'pay');
  db.close();
});

test('the page API prices only the page\u2019s own URLs, from the 402 its own request got', async () => {
  const { db, flow } = await setup();
  const url = `${VENDOR}/embedded/a.html`;
  assert.deepEqual(await flow.quote(TAB, 0, VENDOR, url), { url, none: 'no payment asked' });
  await flow.onResponse('r1', TAB, url, 402, required(url, 8), 'HEAD', { frameId: 0, initiator: VENDOR });
  assert.deepEqual(await flow.quote(TAB, 0, VENDOR, '/embedded/a.html#x'), { url, mills: 8 });
  assert.equal('none' in (await flow.quote(TAB, 0, PAGE, url)), true, 'another origin is refused');
  assert.equal('none' in (await flow.quote(TAB, 2, VENDOR, url)), true, 'another frame did not ask');
  // Asking the price spends nothing.
  assert.equal(await balance(db), coins);
  db.close();
});
