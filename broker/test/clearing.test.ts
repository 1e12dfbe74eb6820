/**
 * PayWord at the broker, part 2: clearing through the vendor redemption call (beside coins, in one batch),
 * and the release of unspent holds after expiry + grace. Real servers, real SQLite files, a test clock for
 * expiry; chains and links built with shared's functions. Money is checked both ways: what the vendor was
 * paid and what the user got back add up to the hold, and nothing is paid twice.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { coinId, newAgreementKey, newSigningKey, toBase64, type FundsWithdrawn } from '@micromint/shared';
import { MAX_BATCH_LINK_HASHES, releaseDueChains } from '../src/index.ts';
import {
  Browser,
  TestClock,
  chainRequestBody,
  clearEntry,
  coinsFor,
  decodeFundsWithdrawn,
  entry,
  makeChain,
  postJson,
  seconds,
  startBroker,
  type TestBroker,
  type TestChain,
} from './helpers.ts';

const V = 'http://127.0.0.1:4701';
const W = 'http://127.0.0.1:4702';
const GRACE = 60;

describe('PayWord clearing and release', () => {
  let tb: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let fw: FundsWithdrawn;
  const keys: Record<string, string> = {};
  const vendorKeys: Record<string, Uint8Array> = {};
  const clock = new TestClock();
  const wallet = newSigningKey();
  const userBalance = () => tb.broker.store.accounts.balance('user', aliceId);
  const vendorBalance = (v: string) => tb.broker.store.accounts.balance('vendor', v);
  const redeem = (v: string, body: unknown) => postJson(`${tb.base}/api/redeem`, body, { authorization: `Bearer ${keys[v]}` });
  const clear = async (v: string, batchId: string, entries: unknown[]) => {
    const r = await redeem(v, { batchId, chains: entries });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json;
  };
  /** A chain to `vendor` of `length` links worth `value` mills, authorized (201). */
  const open = async (o: { vendor?: string; length: number; value: number; expiresIn?: number }): Promise<TestChain> => {
    const vendor = o.vendor ?? V;
    const c = makeChain({
      broker: tb.base,
      userId: aliceId,
      vendorId: vendor,
      vendorKey: vendorKeys[vendor]!,
      length: o.length,
      value: o.value,
      expiresAt: seconds(clock.now()) + (o.expiresIn ?? 600),
    });
    const r = await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(c, wallet));
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return c;
  };

  before(async () => {
    tb = await startBroker({
      now: clock.now,
      chainGraceSeconds: GRACE,
      maxChainLength: 100_000,
      maxDepositMills: 1_000_000,
      redeemsPerMinute: 10_000,
      chainsPerMinute: 1000,
    });
    alice = new Browser(tb.base);
    aliceId = await alice.signUp('alice@example.com');
    assert.equal((await alice.addFunds('900')).status, 303);
    fw = decodeFundsWithdrawn((await alice.buy(1)).text);
    for (const v of [V, W]) {
      keys[v] = (await postJson(`${tb.base}/api/vendors`, { origin: v, name: v })).json.apiKey;
      vendorKeys[v] = newAgreementKey().publicKey;
      const put = await fetch(`${tb.base}/api/vendors/payword-key`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[v]}` },
        body: JSON.stringify({ key: toBase64(vendorKeys[v]!) }),
      });
      assert.equal(put.status, 200);
    }
    assert.equal((await alice.connectWallet(toBase64(wallet.publicKey))).res.status, 303);
  });
  after(() => tb.stop());

  let c: TestChain;

  test('clearing link j credits exactly j * value; the same link again pays nothing; a higher one pays the difference', async () => {
    c = await open({ length: 20, value: 2 });
    const first = await clear(V, 'c1', [clearEntry(c, 5)]);
    assert.deepEqual(first.chains, [{ chainId: c.chainId, status: 'cleared', clearedIndex: 5, paidUnits: 5, paidMills: 10 }]);
    assert.deepEqual([first.results, first.credited, first.creditedMills], [[], 0, 0]);
    assert.equal(await vendorBalance(V), 10);
    const again = await clear(V, 'c2', [clearEntry(c, 5), clearEntry(c, 3)]);
    assert.deepEqual(
      again.chains.map((r: any) => [r.status, r.clearedIndex, r.paidUnits, r.paidMills]),
      [
        ['cleared', 5, 0, 0],
        ['cleared', 5, 0, 0],
      ],
    );
    assert.equal(await vendorBalance(V), 10, 'nothing paid twice');
    const higher = await clear(V, 'c3', [clearEntry(c, 9)]);
    assert.deepEqual(higher.chains[0], { chainId: c.chainId, status: 'cleared', clearedIndex: 9, paidUnits: 4, paidMills: 8 });
    assert.equal(await vendorBalance(V), 18);
    const me = await (await fetch(`${tb.base}/api/vendors/me`, { headers: { authorization: `Bearer ${keys[V]}` } })).json();
    assert.deepEqual([me.clearedChains, me.clearedLinks, me.clearedMills, me.balanceMills], [1, 9, 18, 18]);
  });

  test('a wrong link is refused and changes nothing; the right link is cleared later', async () => {
    const wrong = await clear(V, 'c4', [
      clearEntry(c, 12, c.link(11)),
      clearEntry(c, 12, new Uint8Array(randomBytes(32))),
      { ...clearEntry(c, 12), link: 'AAAA' },
    ]);
    assert.deepEqual(
      wrong.chains.map((r: any) => [r.status, r.reason, r.clearedIndex, r.paidUnits]),
      [
        ['refused', 'bad-link', 9, 0],
        ['refused', 'bad-link', 9, 0],
        ['refused', 'bad-link', 9, 0],
      ],
    );
    assert.equal(await vendorBalance(V), 18);
    assert.equal((await tb.broker.store.chains.byId(c.chainId))!.clearedIndex, 9);
    const right = await clear(V, 'c5', [clearEntry(c, 12)]);
    assert.deepEqual(right.chains[0], { chainId: c.chainId, status: 'cleared', clearedIndex: 12, paidUnits: 3, paidMills: 6 });
    assert.equal(await vendorBalance(V), 24);
  });

  test('refusals in the contract order: bad-commitment, bad-authorization, wrong-vendor, index-out-of-range', async () => {
    const stranger = makeChain({
      broker: tb.base,
      userId: aliceId,
      vendorId: V,
      vendorKey: vendorKeys[V]!,
      length: 5,
      value: 1,
      expiresAt: seconds(clock.now()) + 60,
    });
    const r = await clear(V, 'c6', [
      { commitment: toBase64(new Uint8Array(50)), index: 1, link: toBase64(new Uint8Array(32)) },
      { commitment: 'not base64!', index: 1, link: 'x' },
      clearEntry(stranger, 1),
      clearEntry(c, 21, new Uint8Array(32)),
      clearEntry(c, 0, new Uint8Array(32)),
    ]);
    assert.deepEqual(
      r.chains.map((x: any) => [x.status, x.reason, x.clearedIndex]),
      [
        ['refused', 'bad-commitment', 0],
        ['refused', 'bad-commitment', 0],
        ['refused', 'bad-authorization', 0],
        ['refused', 'index-out-of-range', 12],
        ['refused', 'index-out-of-range', 12],
      ],
    );
    assert.equal(r.chains[1].chainId, '');
    assert.equal(r.chains[2].chainId, stranger.chainId);
    // Another vendor cannot clear V's chain, even with the right link.
    const w = await clear(W, 'w1', [clearEntry(c, 15)]);
    assert.deepEqual(w.chains[0], {
      chainId: c.chainId,
      status: 'refused',
      reason: 'wrong-vendor',
      clearedIndex: 0,
      paidUnits: 0,
      paidMills: 0,
    });
    assert.equal(await vendorBalance(W), 0);
    assert.equal(await vendorBalance(V), 24);
    // Shape faults are the batch's 400 / 422, as for coins.
    assert.equal((await redeem(V, { batchId: 'c7', chains: [{ commitment: toBase64(c.bytes), index: '3', link: 'x' }] })).status, 400);
    assert.equal((await redeem(V, { batchId: 'c7', chains: Array.from({ length: 1001 }, () => clearEntry(c, 1)) })).status, 422);
    assert.equal((await redeem(V, { batchId: 'c7', coins: [], chains: [] })).status, 422);
  });

  test('coins and chains in one batch; the same batchId replays the stored answer of both, a different body is 409', async () => {
    const coins = coinsFor(fw, V)
      .slice(0, 3)
      .map((coin) => entry(fw, coin, V, { paidAt: clock.now().toISOString() }));
    const body = { batchId: 'mixed-1', coins, chains: [clearEntry(c, 14), clearEntry(c, 13), clearEntry(c, 16, c.link(15))] };
    const before = await vendorBalance(V);
    const first = await redeem(V, body);
    assert.equal(first.status, 200);
    assert.equal(first.json.credited, 3);
    assert.deepEqual(
      first.json.results.map((r: any) => [r.coinId, r.status]),
      coins.map((e) => [coinId(Buffer.from(e.coin, 'base64')), 'credited']),
    );
    assert.deepEqual(
      first.json.chains.map((r: any) => [r.status, r.reason, r.clearedIndex, r.paidUnits, r.paidMills]),
      [
        ['cleared', undefined, 14, 2, 4],
        ['cleared', undefined, 14, 0, 0],
        ['refused', 'bad-link', 14, 0, 0],
      ],
    );
    assert.equal(await vendorBalance(V), before + 3 + 4);
    const replay = await redeem(V, body);
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.json, first.json);
    assert.equal(await vendorBalance(V), before + 7, 'a replay pays nothing');
    const other = await redeem(V, { ...body, chains: [clearEntry(c, 15)] });
    assert.equal(other.status, 409);
    assert.equal(other.json.error, 'batch_mismatch');
    assert.equal((await tb.broker.store.chains.byId(c.chainId))!.clearedIndex, 14);
    // The dashboard shows the chains beside the coins.
    const anon = new Browser(tb.base);
    const dash = (await anon.vendorSignIn(keys[V]!)).text;
    assert.match(dash, /id="vendor-cleared-chains"><div class="n">1</);
    assert.match(dash, /id="vendor-cleared-links" data-mills="28"><div class="n">14</);
    assert.match(dash, /id="vendor-redeemed"><div class="n">3</);
    assert.ok(dash.includes(`<tr data-chain-id="${c.chainId}">`));
  });

  test('a vendor key replaced later: chains authorized before keep theirs and are still cleared', async () => {
    const put = await fetch(`${tb.base}/api/vendors/payword-key`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[V]}` },
      body: JSON.stringify({ key: toBase64(newAgreementKey().publicKey) }),
    });
    assert.equal(put.status, 200);
    const r = await clear(V, 'c8', [clearEntry(c, 15)]);
    assert.deepEqual(r.chains[0].paidUnits, 1);
    assert.equal((await tb.broker.store.chains.byId(c.chainId))!.clearedIndex, 15);
    const restore = await fetch(`${tb.base}/api/vendors/payword-key`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[V]}` },
      body: JSON.stringify({ key: toBase64(vendorKeys[V]!) }),
    });
    assert.equal(restore.status, 200);
  });

  test('after expiry + grace the unspent hold comes back once; later clearings are chain-closed', async () => {
    const chain = (await tb.broker.store.chains.byId(c.chainId))!;
    const heldBefore = await userBalance();
    // At expiresAt + grace exactly the vendor may still clear (now <= clearBy): nothing is released.
    clock.set(chain.clearBy * 1000);
    assert.equal((await releaseDueChains(tb.broker.context)).chains, 0);
    let page = (await alice.get('/account')).text;
    assert.match(page, new RegExp(`data-chain-id="${c.chainId}" data-status="held"`));
    assert.equal((await clear(V, 'c9', [clearEntry(c, 16)])).chains[0].paidUnits, 1);
    // One second later the account page releases it: (20 - 16) * 2 mills back.
    clock.advance(1000);
    page = (await alice.get('/account')).text;
    assert.match(
      page,
      new RegExp(`data-chain-id="${c.chainId}" data-status="released" data-held-mills="40" data-spent-mills="32" data-released-mills="8"`),
    );
    assert.match(page, /Chain released/);
    assert.equal(await userBalance(), heldBefore + 8);
    // Exactly once: the page again, the sweep, an authorization: nothing more.
    await alice.get('/account');
    assert.deepEqual(await releaseDueChains(tb.broker.context), { chains: 0, mills: 0 });
    await open({ length: 1, value: 1 });
    assert.equal(await userBalance(), heldBefore + 8 - 1);
    const lines = await tb.sql.value("SELECT count(*) FROM ledger WHERE kind = 'chain-release' AND ref = ?", c.chainId);
    assert.equal(lines, 1);
    // Closed: even the next right link pays nothing.
    const late = await clear(V, 'c10', [clearEntry(c, 18)]);
    assert.deepEqual(late.chains[0], {
      chainId: c.chainId,
      status: 'refused',
      reason: 'chain-closed',
      clearedIndex: 16,
      paidUnits: 0,
      paidMills: 0,
    });
    // Money: the hold = what V was paid for the chain + what came back.
    const paid = await tb.sql.value('SELECT sum(paid_mills) FROM payword_clearings WHERE chain_id = ?', c.chainId);
    assert.equal(Number(paid) + 8, 40);
  });

  test('the sweep releases chains of users who never come back, and a fully cleared chain gives back nothing', async () => {
    const full = await open({ length: 4, value: 5, expiresIn: 30 });
    const idle = await open({ length: 3, value: 7, expiresIn: 30 });
    assert.equal((await clear(V, 's1', [clearEntry(full, 4)])).chains[0].paidMills, 20);
    const before = await userBalance();
    clock.advance((30 + GRACE + 1) * 1000);
    const swept = await releaseDueChains(tb.broker.context);
    assert.deepEqual(swept, { chains: 2, mills: 21 });
    assert.equal(await userBalance(), before + 21);
    assert.equal((await tb.broker.store.chains.byId(full.chainId))!.status, 'released');
    assert.equal((await tb.broker.store.chains.byId(full.chainId))!.releasedMills, 0);
    assert.equal((await tb.broker.store.chains.byId(idle.chainId))!.releasedMills, 21);
  });

  test(`a batch whose links take more than ${MAX_BATCH_LINK_HASHES} hashes is refused whole; split, it clears`, async () => {
    const long = [
      await open({ length: 100_000, value: 1 }),
      await open({ length: 100_000, value: 1 }),
      await open({ length: 100_000, value: 1 }),
    ];
    const before = await vendorBalance(V);
    const all = await redeem(V, { batchId: 'long-1', chains: long.map((x) => clearEntry(x, 100_000)) });
    assert.equal(all.status, 422);
    assert.equal(all.json.error, 'too_many_links');
    assert.equal(await vendorBalance(V), before);
    assert.equal(await tb.broker.store.vendors.batch(V, 'long-1'), undefined);
    const two = await clear(
      V,
      'long-1',
      long.slice(0, 2).map((x) => clearEntry(x, 100_000)),
    );
    const one = await clear(V, 'long-2', [clearEntry(long[2]!, 100_000)]);
    assert.equal(
      [...two.chains, ...one.chains].reduce((n: number, r: any) => n + r.paidMills, 0),
      300_000,
    );
    assert.equal(await vendorBalance(V), before + 300_000);
  });
});

describe('PayWord clearings count as payments for the complaint rule', () => {
  test('a reader who paid a site only by chain can complain it into disabled; it then gets no new chain', async () => {
    const clock = new TestClock();
    const tb = await startBroker({ mint: false, now: clock.now, complaintThreshold: 1, complaintMinSpendMills: 10 });
    try {
      const b = new Browser(tb.base);
      const userId = await b.signUp('reader@example.com');
      await b.addFunds('1');
      const wallet = newSigningKey();
      await b.connectWallet(toBase64(wallet.publicKey));
      const { json: v } = await postJson(`${tb.base}/api/vendors`, { origin: V, name: 'Chain-only shop' });
      const vendorKey = newAgreementKey().publicKey;
      await fetch(`${tb.base}/api/vendors/payword-key`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${v.apiKey}` },
        body: JSON.stringify({ key: toBase64(vendorKey) }),
      });
      const chain = () =>
        makeChain({ broker: tb.base, userId, vendorId: V, vendorKey, length: 20, value: 1, expiresAt: seconds(clock.now()) + 600 });
      const c = chain();
      assert.equal((await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(c, wallet))).status, 201);
      const complain = async () =>
        b.post('/account/complaints', { vendorId: V, text: 'Nothing behind the paywall' }, { csrf: await b.csrf('/account') });
      assert.equal((await complain()).res.status, 303);
      assert.equal((await tb.broker.store.vendors.byId(V))!.disabled, false, 'a complaint before any payment does not count');
      // 10 links cleared: the reader paid the site 10 mills, all of its takings; the review after the batch disables it.
      const r = await postJson(
        `${tb.base}/api/redeem`,
        { batchId: 'p1', chains: [clearEntry(c, 10)] },
        { authorization: `Bearer ${v.apiKey}` },
      );
      assert.equal(r.json.chains[0].paidMills, 10);
      assert.equal((await tb.broker.store.vendors.byId(V))!.disabled, true);
      const me = await (await fetch(`${tb.base}/api/vendors/me`, { headers: { authorization: `Bearer ${v.apiKey}` } })).json();
      assert.deepEqual([me.complaints.customers, me.complaints.takingsMills, me.complaints.counted], [1, 10, 1]);
      const refused = await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(chain(), wallet));
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error, 'vendor_disabled');
    } finally {
      await tb.stop();
    }
  });
});

describe('PayWord money under concurrency', () => {
  test('requests at once: one hold per chain, never an overdraft, each link paid once', async () => {
    const clock = new TestClock();
    const tb = await startBroker({ mint: false, now: clock.now, chainsPerMinute: 1000 });
    try {
      const b = new Browser(tb.base);
      const userId = await b.signUp('tabs@example.com');
      await b.addFunds('0.1'); // 100 mills
      const wallet = newSigningKey();
      await b.connectWallet(toBase64(wallet.publicKey));
      const { json: v } = await postJson(`${tb.base}/api/vendors`, { origin: V, name: 'Shop' });
      const vendorKey = newAgreementKey().publicKey;
      await fetch(`${tb.base}/api/vendors/payword-key`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${v.apiKey}` },
        body: JSON.stringify({ key: toBase64(vendorKey) }),
      });
      const chain = (length: number) =>
        makeChain({ broker: tb.base, userId, vendorId: V, vendorKey, length, value: 1, expiresAt: seconds(clock.now()) + 600 });
      const authorize = (x: TestChain) => postJson(`${tb.base}/api/payword/chains`, chainRequestBody(x, wallet));
      const balance = () => tb.broker.store.accounts.balance('user', userId);

      // The same commitment five times at once: one 201, four 200 with the same authorization, one hold.
      const c = chain(30);
      const same = await Promise.all(Array.from({ length: 5 }, () => authorize(c)));
      assert.deepEqual(same.map((r) => r.status).sort(), [200, 200, 200, 200, 201]);
      assert.equal(new Set(same.map((r) => r.json.authorization)).size, 1);
      assert.equal(await balance(), 70);
      // Four chains of 30 at once against 70 mills: two fit, two are refused, the balance never goes below 0.
      const many = await Promise.all(Array.from({ length: 4 }, () => authorize(chain(30))));
      assert.deepEqual(many.map((r) => r.status).sort(), [201, 201, 409, 409]);
      assert.equal(await balance(), 10);
      // Five batches clearing links of one chain at once: the vendor is paid the highest index once.
      const answers = await Promise.all(
        [3, 9, 9, 5, 7].map((j, i) =>
          postJson(`${tb.base}/api/redeem`, { batchId: `t${i}`, chains: [clearEntry(c, j)] }, { authorization: `Bearer ${v.apiKey}` }),
        ),
      );
      assert.ok(answers.every((a) => a.status === 200));
      assert.equal(
        answers.reduce((n, a) => n + a.json.chains[0].paidMills, 0),
        9,
      );
      assert.equal(await tb.broker.store.accounts.balance('vendor', V), 9);
      assert.equal((await tb.broker.store.chains.byId(c.chainId))!.clearedIndex, 9);
    } finally {
      await tb.stop();
    }
  });
});
