import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePaymentPayload, encodeHeader, micromintRequirements, readMicromintPayload, verifyCoin } from '@micromint/shared';
import { FRAME_AUTOPAY_PER_MINUTE, FrameFlow } from '../src/background/frame-flow.ts';
import { FrameRecords } from '../src/background/frame-records.ts';
import { PaymentStep } from '../src/background/pay-step.ts';
import { PaymentWatch } from '../src/background/payment-watch.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { balance, importFunds, openWallet, recentPayments } from '../src/wallet/index.ts';
import { challengeHeader, fakeRetrier } from './helpers/fakes.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 2));
const coins = sets.reduce((n, s) => n + s.balls[0]!.size, 0);
const TAB = 6;
const FRAME = 11;

async function setup(o: { threshold?: number; probe?: (url: string) => Promise<string | undefined> } = {}) {
  const db = await openWallet(freshDbName('frames'));
  await importFunds(db, fundsText(epoch, sets));
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, autopayThreshold: o.threshold ?? 5 });
  const fake = fakeRetrier();
  const reloads: string[] = [];
  const session = memoryArea();
  const deps = { db, settings, schemes: DEFAULT_SCHEMES };
  const frames = new FrameFlow({
    ...deps,
    records: new FrameRecords(session),
    retrier: fake.retrier,
    reload: async (tabId, frameId, url) => {
      reloads.push(`${tabId}/${frameId} ${url}`);
    },
    watch: new PaymentWatch(new PaymentStep(deps)),
    ...(o.probe ? { probe: o.probe } : {}),
  });
  return { db, frames, fake, reloads, session };
}

const required = (url: string, price: number) => [
  {
    name: 'PAYMENT-REQUIRED',
    value: challengeHeader(url, [micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id })]),
  },
];
const receipt = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 't', network: 'n' }) }];

test('a paid page in a frame is paid: a sub_frame rule, the frame loaded again, its answer settles the payment', async () => {
  const { db, frames, fake, reloads } = await setup();
  const url = `${VENDOR}/framed/one.html`;
  await frames.onSubFrameResponse(TAB, FRAME, url, 402, required(url, 3));
  const verdict = await frames.pageLoaded(TAB, FRAME, url, 402);
  assert.equal(verdict.action, 'paying');
  assert.deepEqual(fake.calls, [`install ${TAB} ${url} sub_frame`]);
  assert.deepEqual(reloads, [`${TAB}/${FRAME} ${url}`]);
  const rule = [...fake.rules.values()][0]!;
  for (const c of readMicromintPayload(epoch, decodePaymentPayload(rule.header)).coins)
    assert.equal(verifyCoin(epoch, c, USER, VENDOR).ok, true);
  assert.equal(await balance(db), coins - 3);
  assert.deepEqual(await frames.onSubFrameResponse(TAB, FRAME, url, 200, receipt), { kind: 'paid', transaction: 't' });
  assert.equal(fake.rules.size, 0, 'the rule is gone');
  assert.equal((await recentPayments(db))[0]?.state, 'paid');
  // Reported again (the paid page), nothing more is paid.
  assert.equal((await frames.pageLoaded(TAB, FRAME, url, 200)).action, 'none');
  db.close();
});

test('only the frame that got the 402 can have it paid, and only for its own URL', async () => {
  const { db, frames } = await setup();
  const url = `${VENDOR}/framed/two.html`;
  await frames.onSubFrameResponse(TAB, FRAME, url, 402, required(url, 1));
  assert.equal((await frames.pageLoaded(TAB, FRAME + 1, url, 402)).action, 'none', 'another frame');
  assert.equal((await frames.pageLoaded(TAB + 1, FRAME, url, 402)).action, 'none', 'another tab');
  assert.equal((await frames.confirm(TAB, FRAME, `${VENDOR}/framed/other.html`)).action, 'refuse', 'another URL');
  assert.equal(await balance(db), coins);
  db.close();
});

test('above the threshold the frame asks; the reader\u2019s yes in that frame pays', async () => {
  const { db, frames, reloads } = await setup({ threshold: 2 });
  const url = `${VENDOR}/framed/dear.html`;
  await frames.onSubFrameResponse(TAB, FRAME, url, 402, required(url, 3));
  const ask = await frames.pageLoaded(TAB, FRAME, url, 402);
  assert.equal(ask.action, 'confirm');
  assert.equal(await balance(db), coins);
  assert.equal((await frames.confirm(TAB, FRAME, url)).action, 'paying');
  assert.equal(reloads.length, 1);
  assert.equal(await balance(db), coins - 3);
  db.close();
});

test(`silent frame payments are limited to ${FRAME_AUTOPAY_PER_MINUTE} a minute per tab; then the wallet asks`, async () => {
  const { db, frames } = await setup();
  for (let i = 0; i < FRAME_AUTOPAY_PER_MINUTE; i++) {
    const url = `${VENDOR}/framed/${i}.html`;
    await frames.onSubFrameResponse(TAB, FRAME + i, url, 402, required(url, 1));
    assert.equal((await frames.pageLoaded(TAB, FRAME + i, url, 402)).action, 'paying');
  }
  const url = `${VENDOR}/framed/last.html`;
  await frames.onSubFrameResponse(TAB, 99, url, 402, required(url, 1));
  assert.equal((await frames.pageLoaded(TAB, 99, url, 402)).action, 'confirm');
  db.close();
});

test('ordinary frames cost nothing to watch; a frame\u2019s 402 the worker missed is fetched once; a reload gone wrong stays pending', async () => {
  const probed: string[] = [];
  const url = `${VENDOR}/framed/missed.html`;
  const { db, frames, session, fake } = await setup({
    probe: async (u) => {
      probed.push(u);
      return required(url, 2)[0]!.value;
    },
  });
  await frames.onSubFrameResponse(TAB, 3, 'https://ads.example/frame', 200, []);
  assert.equal((await frames.pageLoaded(TAB, 3, 'https://ads.example/frame', 200)).action, 'none');
  assert.equal(session.data.size, 0, 'nothing written for a frame that asks nothing');
  assert.equal((await frames.pageLoaded(TAB, FRAME, url, 402)).action, 'paying');
  assert.deepEqual(probed, [url]);
  // The reload lands elsewhere: the payment stays pending, the rule is removed.
  assert.equal(await frames.onSubFrameResponse(TAB, FRAME, `${VENDOR}/elsewhere.html`, 200, []), undefined);
  assert.equal(fake.rules.size, 0);
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  await frames.tabClosed(TAB);
  assert.equal([...session.data.keys()].filter((k) => k.startsWith(`frame:${TAB}:`)).length, 0);
  db.close();
});
