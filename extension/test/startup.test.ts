/**
 * The first paid page after the browser starts: a 402 whose response the worker never saw (it was
 * not running yet), reported by the page's content script, which asks until the worker answers.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHeader, micromintRequirements } from '@micromint/shared';
import { type ChallengeProbe } from '../src/background/payment-flow.ts';
import { fetchProbe } from '../src/background/probe.ts';
import { resumeStalledTabs, stalledTabs, type TabLike, type TabsLike } from '../src/background/startup-tabs.ts';
import { ReplyError, sendUntilAnswered, type Message } from '../src/messages.ts';
import { balance, openWallet, recentPayments } from '../src/wallet/index.ts';
import { fundedWallet, testFlow } from './helpers/flow.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, freshDbName, pickFirsts, sellSets, testEpoch, USER, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 1));
const coins = sets[0]!.balls[0]!.size;
const TAB = 4;
const offer = (price: number) => micromintRequirements({ price, vendorId: VENDOR, broker: BROKER, epoch: epoch.id });
const challenge402 = (url: string, price: number) => [{ name: 'payment-required', value: challengeHeader(url, [offer(price)]) }];
const receipt = [{ name: 'payment-response', value: encodeHeader({ success: true, transaction: 'pay_s', network: 'micromint:x' }) }];

async function setup(o: { funded?: boolean; probe?: ChallengeProbe } = {}) {
  const db = o.funded !== false ? await fundedWallet('startup', epoch, sets) : await openWallet(freshDbName('startup'));
  const probed: string[] = [];
  const probe: ChallengeProbe = o.probe ?? (async (url) => (probed.push(url), challengeHeader(url, [offer(2)])));
  const { flow, fake } = await testFlow(db, { probe: (url) => probe(url) });
  return { db, flow, fake, probed };
}

test('a 402 page the worker did not see is paid from terms the worker fetched itself', async () => {
  const { db, flow, fake, probed } = await setup();
  const url = `${VENDOR}/first`;
  // No onHeadersReceived: the worker was not running when the 402 arrived.
  const v = await flow.pageLoaded(TAB, `${url}#top`, 402);
  assert.deepEqual(v, { action: 'paying', broker: false, price: 2, resent: false });
  assert.deepEqual(probed, [url]);
  assert.deepEqual(fake.calls, [`install ${TAB} ${url}`, `navigate ${TAB} ${url}`]);
  assert.equal(await balance(db), coins - 2);
  assert.deepEqual(await flow.onMainFrameResponse(TAB, url, 200, receipt), { kind: 'paid', transaction: 'pay_s' });
  db.close();
});

test('an empty wallet launched onto a paid page is told the coins are short', async () => {
  const { db, flow, fake } = await setup({ funded: false });
  const v = await flow.pageLoaded(TAB, `${VENDOR}/first`, 402);
  assert.equal(v.action, 'insufficient');
  assert.ok(v.action === 'insufficient' && v.price === 2 && v.held === 0 && v.makeable === 0);
  assert.deepEqual(fake.calls, []);
  db.close();
});

test('a 402 the worker saw is never fetched again, and a page asking twice pays once', async () => {
  const { db, flow, probed } = await setup();
  const url = `${VENDOR}/seen`;
  await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2));
  assert.equal((await flow.pageLoaded(TAB, url, 402)).action, 'paying');
  // The content script's answer got lost and it asks again: the challenge was consumed, and the
  // worker saw that response, so there is nothing to fetch and nothing to pay.
  assert.deepEqual(await flow.pageLoaded(TAB, url, 402), { action: 'none', broker: false });
  assert.deepEqual(probed, []);
  assert.equal((await recentPayments(db)).length, 1);
  assert.equal(await balance(db), coins - 2);
  db.close();
});

test('a missed 402 is fetched once: no terms (not a MicroMint page) or a failed fetch leaves the page alone', async () => {
  let calls = 0;
  const { db, flow, fake } = await setup({ probe: async () => (calls++, undefined) });
  const url = `${VENDOR}/not-micromint`;
  assert.deepEqual(await flow.pageLoaded(TAB, url, 402), { action: 'none', broker: false });
  assert.deepEqual(await flow.pageLoaded(TAB, url, 402), { action: 'none', broker: false });
  assert.equal(calls, 1);
  // Pages that are not 402s are never fetched.
  assert.deepEqual(await flow.pageLoaded(TAB, `${VENDOR}/free`, 200), { action: 'none', broker: false });
  assert.deepEqual(await flow.pageLoaded(TAB, `${VENDOR}/free2`), { action: 'none', broker: false });
  assert.equal(calls, 1);
  const failing = await setup({ probe: async () => Promise.reject(new Error('connection refused')) });
  assert.deepEqual(await failing.flow.pageLoaded(TAB, url, 402), { action: 'none', broker: false });
  assert.deepEqual([...fake.calls, ...failing.fake.calls], []);
  db.close();
  failing.db.close();
});

test('fetched terms are checked like seen ones: another vendor is refused', async () => {
  const { db, flow, fake } = await setup({
    probe: async (url) =>
      challengeHeader(url, [micromintRequirements({ price: 1, vendorId: 'http://127.0.0.1:9999', broker: BROKER, epoch: epoch.id })]),
  });
  assert.equal((await flow.pageLoaded(TAB, `${VENDOR}/x`, 402)).action, 'refuse');
  assert.deepEqual(fake.calls, []);
  assert.equal(await balance(db), coins);
  db.close();
});

test('an event about the old 402, delivered late, does not settle the retry', async () => {
  const { db, flow, fake } = await setup();
  const url = `${VENDOR}/late`;
  const longAgo = Date.now() - 10_000;
  assert.equal((await flow.pageLoaded(TAB, url, 402)).action, 'paying');
  // The worker's start queued the original 402's onHeadersReceived; it arrives now.
  assert.equal(await flow.onMainFrameResponse(TAB, url, 402, challenge402(url, 2), longAgo), undefined);
  assert.equal(fake.rules.size, 1, 'the retry is still on its way');
  assert.equal((await recentPayments(db))[0]?.state, 'pending');
  assert.equal(await balance(db), coins - 2, 'the coins were not released while the retry may still be paid');
  assert.equal((await flow.onMainFrameResponse(TAB, url, 200, receipt))?.kind, 'paid');
  db.close();
});

test('the content script asks again until the worker answers, and stops at an answer', async () => {
  const sleeps: number[] = [];
  const sleep = async (ms: number) => void sleeps.push(ms);
  let attempts = 0;
  const late = async (_m: Message): Promise<unknown> => {
    attempts++;
    if (attempts === 1) throw new Error('Could not establish connection. Receiving end does not exist.');
    if (attempts === 2) return undefined; // a worker that is starting and answers nothing
    return { ok: true, value: { action: 'none', broker: false } };
  };
  assert.deepEqual(await sendUntilAnswered(late, 'page-loaded', { url: `${VENDOR}/a`, status: 402 }, [5, 10, 20], sleep), {
    action: 'none',
    broker: false,
  });
  assert.equal(attempts, 3);
  assert.deepEqual(sleeps, [5, 10]);

  // A refusal is an answer: no retry.
  let refusals = 0;
  const refusing = async () => (refusals++, { ok: false, error: 'forbidden', code: 'forbidden-sender' });
  await assert.rejects(
    sendUntilAnswered(refusing, 'page-loaded', { url: `${VENDOR}/a` }, [1, 1], sleep),
    (e: unknown) => e instanceof ReplyError && e.code === 'forbidden-sender',
  );
  assert.equal(refusals, 1);

  // No worker at all: it gives up after the last delay, with the transport's error.
  let tries = 0;
  const absent = async () => {
    tries++;
    throw new Error('Receiving end does not exist.');
  };
  await assert.rejects(sendUntilAnswered(absent, 'page-loaded', { url: `${VENDOR}/a` }, [1, 1, 1], sleep), /Receiving end/);
  assert.equal(tries, 4);
});

test('the probe reads PAYMENT-REQUIRED of a 402 only: a GET, not cached, no redirect followed, body not read', async () => {
  const seen: RequestInit[] = [];
  let cancelled = 0;
  const answer = (status: number, header?: string) =>
    fetchProbe(async (_url, init) => {
      seen.push(init);
      return { status, headers: new Headers(header ? { 'PAYMENT-REQUIRED': header } : {}), body: { cancel: async () => void cancelled++ } };
    });
  assert.equal(await answer(402, 'H')(`${VENDOR}/a`), 'H');
  assert.equal(await answer(200, 'H')(`${VENDOR}/a`), undefined);
  assert.equal(await answer(402)(`${VENDOR}/a`), undefined);
  assert.equal(seen[0]?.method, 'GET');
  assert.equal(seen[0]?.redirect, 'manual');
  assert.equal(seen[0]?.cache, 'no-store');
  assert.equal(cancelled, 3);
});

test('a start-up tab Chromium never started loading is started again, once; other tabs are left alone', async () => {
  const tabs: TabLike[] = [
    { id: 1, status: 'complete', url: '', pendingUrl: `${VENDOR}/first` }, // stalled
    { id: 2, status: 'loading', url: '', pendingUrl: `${VENDOR}/loading` }, // under way
    { id: 3, status: 'complete', url: `${VENDOR}/shown`, pendingUrl: `${VENDOR}/next` }, // shows a page
    { id: 4, status: 'complete', url: 'about:blank' }, // a blank tab
    { id: 5, status: 'complete', url: '', pendingUrl: 'chrome://settings/' }, // not the web
  ];
  assert.deepEqual(stalledTabs(tabs), [{ tabId: 1, url: `${VENDOR}/first` }]);
  const updates: string[] = [];
  const slept: number[] = [];
  // Look 1: tab 1 stalled and tab 6 about to start; look 2: tab 6 has started; looks 3 and 4: tab 1 still stalled.
  const looks: TabLike[][] = [
    [...tabs, { id: 6, status: 'complete', url: '', pendingUrl: `${VENDOR}/starting` }],
    [...tabs, { id: 6, status: 'loading', url: '', pendingUrl: `${VENDOR}/starting` }],
    tabs,
    tabs,
  ];
  let look = 0;
  const api: TabsLike = {
    query: async () => looks[look++]!,
    update: async (tabId, { url }) => void updates.push(`${tabId} ${url}`),
  };
  assert.equal(await resumeStalledTabs(api, undefined, [1000, 2000, 3000, 5000], async (ms) => void slept.push(ms)), 1);
  assert.deepEqual(updates, [`1 ${VENDOR}/first`], 'the stalled tab once; the one that was only about to start not at all');
  assert.deepEqual(slept, [1000, 1000, 1000, 2000]);
  // Seen stalled only once: not touched (it may have been about to start).
  const once: TabsLike = { query: async () => (look++ === 0 ? tabs : []), update: async (tabId) => void updates.push(`again ${tabId}`) };
  look = 0;
  assert.equal(await resumeStalledTabs(once, undefined, [1000, 2000], async () => undefined), 0);
  assert.equal(updates.length, 1);
});
