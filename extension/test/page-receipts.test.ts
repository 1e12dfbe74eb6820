/**
 * The receipt on the page after a payment: the worker hands it to the paid page once (a paid
 * navigation) or sends it to the tab (a paid fetch()), never when receipts are off, refused or
 * for another site; the content script shows it as a status toast that fades.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHeader, micromintRequirements } from '@micromint/shared';
import { FetchFlow } from '../src/background/fetch-flow.ts';
import { PageReceipts, receiptOf, RECEIPT_TTL_MS, UNDELIVERED_TTL_MS } from '../src/background/page-receipts.ts';
import { PaymentFlow } from '../src/background/payment-flow.ts';
import { PaymentStep } from '../src/background/pay-step.ts';
import { PaymentWatch } from '../src/background/payment-watch.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { RECEIPT_ID, RECEIPT_SHOWN_MS, receiptText, showReceipt } from '../src/content/receipt.ts';
import type { PaidReceipt } from '../src/messages.ts';
import { installFakeDocument } from './helpers/dom.ts';
import { fundedWallet, testFlow, testSettings } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const TAB = 4;
const offer = (price: number) => micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id });
const challenge402 = (url: string, price: number) => [{ name: 'payment-required', value: challengeHeader(url, [offer(price)]) }];
const paid = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 'pay_1', network: 'micromint:x' }) }];

async function setup(o: { showReceipts?: boolean; noPage?: boolean } = {}) {
  const db = await fundedWallet('receipts', epoch, sets);
  const settings = await testSettings(5, o.showReceipts === false ? { showReceipts: false } : {});
  const session = memoryArea();
  let clock = 1_000_000;
  const delivered: { tabId: number; receipt: PaidReceipt }[] = [];
  const receipts = new PageReceipts({
    db,
    settings,
    area: session,
    deliver: async (tabId, receipt) => {
      // As tabs.sendMessage rejects when the tab's top page has no content script yet.
      if (o.noPage) throw new Error('Could not establish connection. Receiving end does not exist.');
      delivered.push({ tabId, receipt });
    },
    now: () => clock,
  });
  const watch = new PaymentWatch(new PaymentStep({ db, settings, schemes: DEFAULT_SCHEMES }), Date.now, (h) =>
    receipts.paid(h.tabId, h.paymentId, h.via),
  );
  const { flow } = await testFlow(db, { store: settings, session, watch, receipts });
  const fetchFlow = new FetchFlow({ db, settings, schemes: DEFAULT_SCHEMES, watch });
  const tick = (ms: number) => (clock += ms);
  return { db, settings, flow, fetchFlow, delivered, tick };
}

/** Pays `url` (price 2) silently through the navigation flow; resolves with the retry's outcome. */
async function payPage(flow: PaymentFlow, url: string, status = 200, headers = paid) {
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2));
  assert.equal((await flow.pageLoaded(TAB, url)).action, 'paying');
  return flow.onMainFrameResponse(TAB, url, status, headers);
}

test('a paid page gets its receipt once, with the coins and money it cost', async () => {
  const { db, flow } = await setup();
  const url = `${VENDOR}/article/1`;
  assert.equal((await payPage(flow, url))?.kind, 'paid');
  const verdict = await flow.pageLoaded(TAB, url);
  assert.deepEqual(verdict, { action: 'none', broker: false, receipt: { url, vendorId: VENDOR, mills: 2, units: 2, unit: 'coin' } });
  assert.ok(verdict.action === 'none' && verdict.receipt);
  assert.equal(receiptText(verdict.receipt), `Paid 2 coins (0.2¢) to ${new URL(VENDOR).host}`);
  assert.deepEqual(await flow.pageLoaded(TAB, url), { action: 'none', broker: false }, 'taken once: a reload shows none');
  db.close();
});

test('no receipt when receipts are off, when the vendor refused, for another site, or too late', async () => {
  const off = await setup({ showReceipts: false });
  const url = `${VENDOR}/article/2`;
  assert.equal((await payPage(off.flow, url))?.kind, 'paid');
  assert.deepEqual(await off.flow.pageLoaded(TAB, url), { action: 'none', broker: false });
  off.db.close();

  const on = await setup();
  const refused = `${VENDOR}/article/3`;
  assert.equal((await payPage(on.flow, refused, 402, challenge402(refused, 2)))?.kind, 'refused');
  assert.deepEqual(await on.flow.pageLoaded(TAB, `${VENDOR}/free`), { action: 'none', broker: false });

  const elsewhere = `${VENDOR}/article/4`;
  assert.equal((await payPage(on.flow, elsewhere))?.kind, 'paid');
  assert.deepEqual(await on.flow.pageLoaded(TAB, 'http://127.0.0.1:9/other'), { action: 'none', broker: false });

  const late = `${VENDOR}/article/5`;
  assert.equal((await payPage(on.flow, late))?.kind, 'paid');
  on.tick(RECEIPT_TTL_MS + 1);
  assert.deepEqual(await on.flow.pageLoaded(TAB, late), { action: 'none', broker: false });

  // Turned off between the payment and the page: none either.
  const between = `${VENDOR}/article/6`;
  assert.equal((await payPage(on.flow, between))?.kind, 'paid');
  await on.settings.updateFromPage({ showReceipts: false });
  assert.deepEqual(await on.flow.pageLoaded(TAB, between), { action: 'none', broker: false });
  on.db.close();
});

test('a paid page fetch() sends its receipt to the tab; none when receipts are off', async () => {
  for (const showReceipts of [true, false]) {
    const { db, fetchFlow, delivered } = await setup({ showReceipts });
    const url = `${VENDOR}/api/quote`;
    await fetchFlow.onResponse('r1', TAB, url, 402, challenge402(url, 1), 'GET');
    const v = await fetchFlow.request(TAB, VENDOR, url, false);
    assert.ok(v.action === 'pay');
    fetchFlow.onSendHeaders('r2', TAB, [{ name: 'PAYMENT-SIGNATURE', value: v.header }]);
    assert.equal((await fetchFlow.onResponse('r2', TAB, url, 200, paid))?.kind, 'paid');
    assert.deepEqual(delivered, showReceipts ? [{ tabId: TAB, receipt: { url, vendorId: VENDOR, mills: 1, units: 1, unit: 'coin' } }] : []);
    db.close();
  }
});

test('a receipt that found no top page (its script not run yet) goes to the top page that reports in next, of any site, once and soon', async () => {
  /** Pays a fetch() of `url` from the tab; nothing takes the receipt. */
  const payFetch = async (fetchFlow: FetchFlow, url: string, n: number) => {
    await fetchFlow.onResponse(`a${n}`, TAB, url, 402, challenge402(url, 1), 'GET');
    const v = await fetchFlow.request(TAB, VENDOR, url, false);
    assert.ok(v.action === 'pay');
    fetchFlow.onSendHeaders(`b${n}`, TAB, [{ name: 'PAYMENT-SIGNATURE', value: v.header }]);
    assert.equal((await fetchFlow.onResponse(`b${n}`, TAB, url, 200, paid))?.kind, 'paid');
  };
  const { db, flow, fetchFlow, delivered, tick } = await setup({ noPage: true });
  const url = `${VENDOR}/framed/one.html`;
  await payFetch(fetchFlow, url, 1);
  assert.deepEqual(delivered, []);
  // The top page is of another site (a vendor's page in a frame): it still gets the receipt.
  const top = 'http://localhost:9/frame.html';
  const verdict = await flow.pageLoaded(TAB, top);
  assert.deepEqual(verdict, { action: 'none', broker: false, receipt: { url, vendorId: VENDOR, mills: 1, units: 1, unit: 'coin' } });
  assert.deepEqual(await flow.pageLoaded(TAB, top), { action: 'none', broker: false }, 'taken once');

  // A page that reports in too late gets none.
  await payFetch(fetchFlow, `${url}?late`, 2);
  tick(UNDELIVERED_TTL_MS + 1);
  assert.deepEqual(await flow.pageLoaded(TAB, top), { action: 'none', broker: false });
  db.close();
});

test('a PayWord payment reads as links, with their money', () => {
  const r = receiptOf({
    url: `${VENDOR}/n`,
    vendorId: VENDOR,
    price: 6,
    coinIds: [],
    link: { chainId: 'c', index: 3, units: 3, method: 'GET', withCommitment: false },
  });
  assert.deepEqual(r, { url: `${VENDOR}/n`, vendorId: VENDOR, mills: 6, units: 3, unit: 'link' });
  assert.equal(receiptText({ ...r, vendorId: 'https://shop.example' }), 'Paid 3 links (0.6¢) to shop.example');
  assert.equal(receiptText({ ...r, units: 1, mills: 1, vendorId: 'https://shop.example' }), 'Paid 1 link (0.1¢) to shop.example');
});

test('the toast is a status message that says what was paid, then fades, one at a time', () => {
  const dom = installFakeDocument();
  const timers: { f: () => void; ms: number }[] = [];
  try {
    const host = showReceipt(
      { url: 'https://shop.example/a', vendorId: 'https://shop.example', mills: 2, units: 2, unit: 'coin' },
      document,
      {
        setTimeout: (f, ms) => timers.push({ f, ms }),
      },
    );
    assert.equal(dom.getElementById(RECEIPT_ID), host);
    assert.equal(host.dataset.state, 'shown');
    assert.equal(host.dataset.mills, '2');
    const toast = host.shadowRoot!.querySelector('div')!;
    assert.equal(toast.getAttribute('role'), 'status');
    // The words go in after the live region is in the page (screen readers announce a change).
    const words = () => [...toast.children].map((c) => c.textContent).join('');
    assert.equal(words(), '');
    for (const t of [...timers].sort((a, b) => a.ms - b.ms)) {
      t.f();
      if (t.ms < RECEIPT_SHOWN_MS) assert.equal(words(), 'Paid 2 coins (0.2¢) to shop.example');
    }
    assert.equal(host.dataset.state, 'faded');
    assert.ok(Math.max(...timers.map((t) => t.ms)) > RECEIPT_SHOWN_MS);
    // A second receipt replaces the first: one toast at a time.
    const next = showReceipt(
      { url: 'https://shop.example/b', vendorId: 'https://shop.example', mills: 1, units: 1, unit: 'link' },
      document,
      {
        setTimeout: () => undefined,
      },
    );
    assert.equal(dom.getElementById(RECEIPT_ID), next);
    assert.equal(dom.body.children.filter((c) => c.id === RECEIPT_ID).length, 1);
  } finally {
    dom.uninstall();
  }
});
