/**
 * The two wallet flows with coins and chains side by side: which scheme pays a site as the reader
 * comes back, the threshold in mills, a chain that cannot be had (fall back to coins, or say why),
 * a page fetch() bound to its method, and two tabs paying one chain at once.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePaymentPayload, encodeHeader, readMicromintPayload } from '@micromint/shared';
import { FetchFlow } from '../src/background/fetch-flow.ts';
import { balance, importFunds, openWallet, recentPayments, recordConnection, walletPublicKey } from '../src/wallet/index.ts';
import { testFlow, testSettings } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, freshDbName, fundsText, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';
import { coinOffer, fakeBroker, paywordOffer, schemesOver, vendorCheck } from './helpers/payword.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;

async function setup(o: { funded?: boolean; connected?: boolean; threshold?: number; balance?: number } = {}) {
  const db = await openWallet(freshDbName('pwflow'));
  if (o.funded !== false) await importFunds(db, fundsText(epoch, sets));
  const settings = await testSettings(o.threshold ?? 5, { userId: USER });
  const broker = fakeBroker(o.balance !== undefined ? { balance: o.balance } : {});
  broker.connect(await walletPublicKey(db));
  if (o.connected !== false) await recordConnection(db, { broker: BROKER, userId: USER, connected: true });
  const schemes = schemesOver(broker.fetch);
  const logs: string[] = [];
  const { flow, fake } = await testFlow(db, { store: settings, schemes, log: (m) => logs.push(m) });
  const fetchFlow = new FetchFlow({ db, settings, schemes });
  return { db, settings, broker, flow, fetchFlow, fake, logs };
}

const both = (url: string, price: number, linkValue = 1) => [
  { name: 'payment-required', value: challengeHeader(url, [coinOffer(price, epoch.id), paywordOffer(price, { linkValue })]) },
];
const chainsOnly = (url: string, price: number, linkValue = 1) => [
  { name: 'payment-required', value: challengeHeader(url, [paywordOffer(price, { linkValue })]) },
];
const paid = (ext: Record<string, unknown>) => [
  { name: 'payment-response', value: encodeHeader({ success: true, transaction: 't', network: 'micromint:x', extensions: ext }) },
];

/** Loads `url` in `tab` behind a 402 and returns the verdict and the header the retry carries. */
async function visit(s: Awaited<ReturnType<typeof setup>>, tab: number, url: string, headers: { name: string; value: string }[]) {
  await s.flow.onMainFrameResponse(tab, url, 402, headers);
  const verdict = await s.flow.pageLoaded(tab, url);
  const rule = [...s.fake.rules.values()].find((r) => r.tabId === tab && r.url === url);
  return { verdict, header: rule?.header };
}

test('a site read once is paid with coins; from the second page a chain is opened; then links pay', async () => {
  const s = await setup();
  const one = await visit(s, 1, `${VENDOR}/one`, both(`${VENDOR}/one`, 2));
  assert.deepEqual(one.verdict, { action: 'paying', broker: false, price: 2, resent: false });
  assert.equal(decodePaymentPayload(one.header!).accepted.scheme, 'micromint');
  assert.equal(readMicromintPayload(epoch, decodePaymentPayload(one.header!)).coins.length, 2);
  await s.flow.onMainFrameResponse(1, `${VENDOR}/one`, 200, paid({ micromint: {} }));
  assert.equal(s.broker.state.calls.length, 0, 'no broker call for a site read once');

  const two = await visit(s, 1, `${VENDOR}/two`, both(`${VENDOR}/two`, 2));
  assert.deepEqual(two.verdict, { action: 'paying', broker: false, price: 2, resent: false });
  const first = vendorCheck(two.header!, { brokerKey: s.broker.key.publicKey });
  assert.equal(decodePaymentPayload(two.header!).accepted.scheme, 'payword');
  assert.deepEqual([first.pay.index, first.pay.units, first.linkOk, first.macOk, first.authorizationOk], [2, 2, true, true, true]);
  assert.equal(s.broker.state.chains.size, 1);
  await s.flow.onMainFrameResponse(1, `${VENDOR}/two`, 200, paid({ payword: { chainId: first.pay.chainId, index: 2, units: 2 } }));
  assert.equal((await recentPayments(s.db))[0]?.state, 'paid');

  const three = await visit(s, 1, `${VENDOR}/three`, both(`${VENDOR}/three`, 1));
  const next = vendorCheck(three.header!, { commitment: first.pay.commitment! });
  assert.deepEqual([next.pay.index, next.pay.commitment, next.linkOk, next.macOk], [3, undefined, true, true]);
  assert.equal(s.broker.state.chains.size, 1, 'one chain for the site');
  assert.equal(await balance(s.db), coins - 2, 'only the first page took coins');
  s.db.close();
});

test('the threshold is in mills: links worth 3 mills for a price of 4 cost 6, above a threshold of 5', async () => {
  const s = await setup({ threshold: 5 });
  const url = `${VENDOR}/dear`;
  await s.flow.onMainFrameResponse(2, url, 402, chainsOnly(url, 4, 3));
  const ask = await s.flow.pageLoaded(2, url);
  assert.deepEqual(ask, { action: 'confirm', broker: false, price: 6, vendorId: VENDOR, threshold: 5, balance: coins, scheme: 'payword' });
  assert.equal(s.broker.state.calls.length, 0, 'nothing is opened before the reader says yes');
  const go = await s.flow.confirm(2, url);
  assert.deepEqual(go, { action: 'paying', broker: false, price: 6, resent: false });
  const [payment] = await recentPayments(s.db);
  assert.deepEqual([payment?.scheme, payment?.price, payment?.link?.units], ['payword', 6, 2]);
  s.db.close();
});

test('a site taking only chains: opened regardless of the page count when connected; else the reason, nothing spent', async () => {
  const s = await setup({ funded: false });
  const url = `${VENDOR}/only`;
  const { verdict, header } = await visit(s, 3, url, chainsOnly(url, 1));
  assert.equal(verdict.action, 'paying');
  assert.equal(vendorCheck(header!).linkOk, true);

  const off = await setup({ funded: false, connected: false });
  const no = await visit(off, 3, url, chainsOnly(url, 1));
  assert.equal(no.verdict.action, 'insufficient');
  assert.ok(
    no.verdict.action === 'insufficient' &&
      no.verdict.code === 'not-connected' &&
      /Connect this browser/.test(no.verdict.reason!) &&
      no.verdict.scheme === 'payword',
  );
  assert.deepEqual(await off.db.getAll('chains'), []);
  assert.deepEqual(off.broker.state.calls, []);

  await off.settings.update({ chainsEnabled: false });
  await recordConnection(off.db, { broker: BROKER, userId: USER, connected: true });
  const disabled = await visit(off, 4, url, chainsOnly(url, 1));
  assert.ok(disabled.verdict.action === 'insufficient' && disabled.verdict.code === 'chains-disabled');
  s.db.close();
  off.db.close();
});

test('a chain the broker refuses falls back to coins when the site takes them, and is the notice when it does not', async () => {
  const s = await setup({ balance: 10 });
  await s.settings.update({ openChainAfterPages: 1 });
  const url = `${VENDOR}/poor`;
  const { verdict, header } = await visit(s, 5, url, both(url, 1));
  assert.equal(verdict.action, 'paying');
  assert.equal(decodePaymentPayload(header!).accepted.scheme, 'micromint', 'insufficient_funds at the broker: coins pay');
  assert.ok(s.logs.some((l) => /insufficient_funds/.test(l)));
  assert.deepEqual(await s.db.getAll('chains'), [], 'nothing was held, nothing is kept');

  const only = `${VENDOR}/poor-only`;
  const refused = await visit(s, 6, only, chainsOnly(only, 1));
  assert.ok(
    refused.verdict.action === 'insufficient' && refused.verdict.code === 'insufficient_funds' && /Add funds/.test(refused.verdict.reason!),
  );
  s.db.close();
});

test('a page fetch() is paid with a link bound to the method the worker saw; without it, with coins', async () => {
  const s = await setup();
  await s.settings.update({ openChainAfterPages: 1 });
  const url = `${VENDOR}/api/post`;
  await s.fetchFlow.onResponse('r1', 7, url, 402, both(url, 1), 'post');
  const v = await s.fetchFlow.request(7, VENDOR, url, false);
  assert.ok(v.action === 'pay');
  const check = vendorCheck(v.header, { method: 'POST' });
  assert.deepEqual([check.linkOk, check.macOk], [true, true]);
  assert.equal(vendorCheck(v.header, { method: 'GET' }).macOk, false);

  const blind = `${VENDOR}/api/blind`;
  await s.fetchFlow.onResponse('r2', 7, blind, 402, both(blind, 1));
  const w = await s.fetchFlow.request(7, VENDOR, blind, false);
  assert.ok(w.action === 'pay');
  assert.equal(decodePaymentPayload(w.header).accepted.scheme, 'micromint', 'a link cannot be bound to a method the worker did not see');
  s.db.close();
});

test('two tabs paying one site at once get distinct ranges of one chain, and both are paid', async () => {
  const s = await setup({ funded: false });
  // The first page opens the chain; then two tabs at the same moment.
  await visit(s, 1, `${VENDOR}/p0`, chainsOnly(`${VENDOR}/p0`, 1));
  const urls = [`${VENDOR}/p1`, `${VENDOR}/p2`];
  await Promise.all(urls.map((u, i) => s.flow.onMainFrameResponse(10 + i, u, 402, chainsOnly(u, 2))));
  const verdicts = await Promise.all(urls.map((u, i) => s.flow.pageLoaded(10 + i, u)));
  assert.deepEqual(
    verdicts.map((v) => v.action),
    ['paying', 'paying'],
  );
  const headers = urls.map((u, i) => [...s.fake.rules.values()].find((r) => r.tabId === 10 + i && r.url === u)!.header);
  const checks = headers.map((h) => vendorCheck(h));
  assert.deepEqual(checks.map((c) => c.pay.index).sort(), [3, 5]);
  assert.ok(checks.every((c) => c.linkOk && c.macOk));
  assert.equal(s.broker.state.chains.size, 1, 'one chain, not one per tab');
  for (const [i, u] of urls.entries())
    await s.flow.onMainFrameResponse(
      10 + i,
      u,
      200,
      paid({ payword: { chainId: checks[i]!.pay.chainId, index: checks[i]!.pay.index, units: 2 } }),
    );
  assert.deepEqual(
    (await recentPayments(s.db)).filter((p) => p.url !== `${VENDOR}/p0`).map((p) => p.state),
    ['paid', 'paid'],
  );
  s.db.close();
});

test('two tabs needing a new chain at once open one', async () => {
  const s = await setup({ funded: false });
  const urls = [`${VENDOR}/q1`, `${VENDOR}/q2`];
  await Promise.all(urls.map((u, i) => s.flow.onMainFrameResponse(20 + i, u, 402, chainsOnly(u, 1))));
  const verdicts = await Promise.all(urls.map((u, i) => s.flow.pageLoaded(20 + i, u)));
  assert.deepEqual(
    verdicts.map((v) => v.action),
    ['paying', 'paying'],
  );
  assert.equal(s.broker.state.chains.size, 1);
  assert.equal((await s.db.getAll('chains')).length, 1);
  s.db.close();
});
