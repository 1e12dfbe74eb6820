/**
 * Complaints are weighed by what the complainers paid the vendor and by the vendor's volume; a disabled
 * vendor is told why and what to do, never that its key is bad. Default options (5 customers, 10 mills
 * each, 25% of customers and of takings, 30 days), real servers and SQLite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FundsWithdrawn } from '@micromint/shared';
import { MAX_COMPLAINTS_PER_DAY, complaintState, enableVendor } from '../src/index.ts';
import { Browser, TestClock, coinsFor, decodeFundsWithdrawn, entry, postJson, startBroker, type TestBroker } from './helpers.ts';

const SHOP = 'http://127.0.0.1:4701';

interface Customer {
  b: Browser;
  id: string;
  fw: FundsWithdrawn;
  coins: Uint8Array[];
  next: number;
}

describe('complaints cannot cheaply switch a shop off', () => {
  const clock = new TestClock();
  let tb: TestBroker;
  let key: string;
  let batch = 0;
  let people = 0;
  const shop = async () => (await tb.broker.store.vendors.byId(SHOP))!;
  const state = () => complaintState(tb.broker.context, SHOP, clock.now().toISOString());
  const redeem = (coins: unknown[]) =>
    postJson(`${tb.base}/api/redeem`, { batchId: `b${batch++}`, coins }, { authorization: `Bearer ${key}` });

  async function customer(sets: number): Promise<Customer> {
    const b = new Browser(tb.base);
    const id = await b.signUp(`reader${people++}@example.com`);
    await b.addFunds('2');
    const fw = decodeFundsWithdrawn((await b.buy(sets)).text);
    return { b, id, fw, coins: coinsFor(fw, SHOP), next: 0 };
  }
  /** The shop is paid `n` coins by `c` and redeems them (n = all: every coin c has for the shop). */
  async function pays(c: Customer, n = c.coins.length - c.next): Promise<number> {
    const coins = c.coins.slice(c.next, c.next + n).map((coin) => entry(c.fw, coin, SHOP));
    assert.equal(coins.length, n, 'enough coins');
    c.next += n;
    const r = await redeem(coins);
    assert.equal(r.status, 200);
    assert.equal(r.json.credited, n);
    return n;
  }
  const complains = async (c: Customer) =>
    (await c.b.post('/account/complaints', { vendorId: SHOP, text: 'Paid, got nothing' }, { csrf: await c.b.csrf('/account') })).res.status;

  before(async () => {
    tb = await startBroker({ now: clock.now });
    key = (await postJson(`${tb.base}/api/vendors`, { origin: SHOP, name: 'Demo shop' })).json.apiKey;
  });
  after(() => tb.stop());

  test('the attack: five fresh accounts paying one mill each complain; the shop stays enabled and redeems', async () => {
    const attackers: Customer[] = [];
    for (let i = 0; i < 5; i++) {
      const a = await customer(1);
      await pays(a, 1);
      assert.equal(await complains(a), 303);
      attackers.push(a);
    }
    assert.equal((await shop()).disabled, false);
    const s = await state();
    assert.deepEqual([s.complainers, s.counted, s.customers, s.takingsMills, s.met], [5, 0, 5, 5, false]);
    // The next honest redemption goes through.
    const honest = await customer(1);
    await pays(honest, 3);
    assert.equal((await shop()).disabled, false);
    // The dashboard shows where the shop stands.
    const anon = new Browser(tb.base);
    const dash = await anon.vendorSignIn(key);
    assert.match(dash.text, /id="vendor-complaints" data-complainers="5" data-counted="0" data-met="false"/);
    assert.match(dash.text, /at least 1¢/);
  });

  let honest: Customer[] = [];

  test('five accounts paying the minimum each are too small a share of a busy shop', async () => {
    honest = [await customer(4), await customer(4), await customer(4)];
    let honestMills = 0;
    for (const h of honest) honestMills += await pays(h);
    assert.ok(honestMills >= 160, `honest customers paid ${honestMills} mills`);
    for (let i = 0; i < 5; i++) {
      const a = await customer(1);
      await pays(a, 10);
      assert.equal(await complains(a), 303);
    }
    const s = await state();
    assert.equal(s.counted, 5, 'five complaints count');
    assert.equal(s.countedMills, 50);
    assert.ok(s.countedMills < s.needed.mills, `${s.countedMills} of ${s.needed.mills} mills needed`);
    assert.equal(s.met, false);
    assert.equal((await shop()).disabled, false);
  });

  test('when a customer who pays the shop much complains too, it is disabled; it gets vendor_disabled with why and what to do', async () => {
    // The five small complaints weigh 50 mills; one big customer's makes them a quarter of the takings.
    assert.equal(await complains(honest[0]!), 303);
    const v = await shop();
    assert.equal(v.disabled, true);
    assert.match(v.disabledReason!, /^6 paying customers complained in the last 30 days; they are 6 of the 14 users who paid the site/);
    const batches = () => tb.sql.value<number>('SELECT count(*) FROM redemption_batches');
    const before = await batches();
    const r = await redeem([entry(honest[0]!.fw, honest[0]!.coins[0]!, SHOP)]);
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'vendor_disabled');
    assert.equal(r.json.reason, v.disabledReason);
    assert.equal(r.json.disabledAt, v.disabledAt);
    assert.equal(r.json.dashboard, `${tb.base}/vendors/dashboard`);
    assert.match(r.json.message, /API key is valid/);
    assert.match(r.json.message, /same batchId/);
    assert.equal(await batches(), before, 'nothing recorded');
    // The key still works for everything else: the vendor can see why.
    const me = await fetch(`${tb.base}/api/vendors/me`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(me.status, 200);
    const summary = await me.json();
    assert.equal(summary.disabled, true);
    assert.equal(summary.disabledReason, v.disabledReason);
    assert.equal(summary.complaints.met, true);
    const anon = new Browser(tb.base);
    const dash = await anon.vendorSignIn(key);
    assert.match(dash.text, /id="vendor-disabled"/);
    assert.match(dash.text, /6 paying customers complained/);
  });

  test('enabled again by the operator, the shop redeems, and the old complaints no longer count', async () => {
    clock.advance(1000);
    assert.equal(await enableVendor(tb.broker.context, SHOP), true);
    assert.equal((await shop()).disabled, false);
    clock.advance(1000);
    const late = await customer(1);
    await pays(late, 12);
    assert.equal((await shop()).disabled, false, 'the review after this redemption does not count complaints from before');
    assert.equal((await state()).complainers, 0);
    assert.equal(await complains(late), 303);
    assert.equal((await shop()).disabled, false);
    assert.equal((await state()).counted, 1);
  });

  test(`a user may file ${MAX_COMPLAINTS_PER_DAY} complaints a day`, async () => {
    const c = await customer(1);
    for (let i = 0; i < MAX_COMPLAINTS_PER_DAY; i++) assert.equal(await complains(c), 303);
    const csrf = await c.b.csrf('/account');
    const refused = await c.b.post('/account/complaints', { vendorId: SHOP, text: 'once more' }, { csrf });
    assert.equal(refused.res.status, 429);
    assert.match(refused.text, /complaints in the last 24 hours/);
    clock.advance(86_400_000 + 1000);
    assert.equal(await complains(c), 303);
  });
});
