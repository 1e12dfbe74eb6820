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
