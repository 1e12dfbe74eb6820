/**
 * The vendor dashboard: signing in once with the API key (a vendor session: HttpOnly cookie, the token and
 * the key never stored in the clear, CSRF-checked POSTs, sign-out, at most 20 sessions a vendor), the key
 * shown masked with a copy button allowed by its script hash, coins per page with pagination, and earnings
 * per day over the last 30 days (real coins and a real PayWord clearing, a test clock for the days).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newAgreementKey, newSigningKey, toBase64, type FundsWithdrawn } from '@micromint/shared';
import { MAX_VENDOR_SESSIONS } from '../src/core/vendor-sessions.ts';
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
} from './helpers.ts';

const V = 'http://127.0.0.1:4801';
const DAY = 86_400_000;

describe('vendor dashboard', () => {
  let tb: TestBroker;
  let apiKey: string;
  let fw: FundsWithdrawn;
  let coins: Uint8Array[];
  let used = 0;
  const clock = new TestClock(Date.parse('2026-03-01T12:00:00.000Z'));
  const start = clock.now().getTime();
  const sessionRows = () =>
    tb.sql.rows<{ token_hash: Buffer; sealed_key: Buffer }>('SELECT token_hash, sealed_key FROM vendor_sessions WHERE vendor_id = ?', V);
  /** Redeems the next `n` unused coins, paid for `path`. */
  const redeem = async (batchId: string, path: string, n: number) => {
    const batch = coins.slice(used, used + n).map((c) => entry(fw, c, V, { url: `${V}${path}`, paidAt: clock.now().toISOString() }));
    used += n;
    const r = await postJson(`${tb.base}/api/redeem`, { batchId, coins: batch }, { authorization: `Bearer ${apiKey}` });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.credited, n);
  };

  before(async () => {
    tb = await startBroker({ now: clock.now, redeemsPerMinute: 10_000 });
    apiKey = (await postJson(`${tb.base}/api/vendors`, { origin: V, name: 'Dashboard shop' })).json.apiKey;
    const alice = new Browser(tb.base);
    await alice.signUp('alice@example.com');
    assert.equal((await alice.addFunds('5')).status, 303);
    fw = decodeFundsWithdrawn((await alice.buy(2)).text);
    coins = coinsFor(fw, V);
    assert.ok(coins.length >= 40, `${coins.length} coins at the vendor`);
  });
  after(() => tb.stop());

  test('signing in once: a 303 and an HttpOnly SameSite cookie; the token and the key are not stored in the clear', async () => {
    const b = new Browser(tb.base);
    let page = await b.get('/vendors/dashboard');
    assert.match(page.text, /id="dashboard-form"/);
    const bad = await b.post('/vendors/dashboard', { apiKey: 'mmk_not-a-key-at-all' }, { csrf: await b.csrf('/vendors/dashboard') });
    assert.equal(bad.res.status, 401);
    assert.match(bad.text, /That API key is not valid/);
    assert.equal(b.cookies.get('mm_vendor'), undefined);
    assert.equal((await sessionRows()).length, 0);

    const ok = await b.post('/vendors/dashboard', { apiKey }, { csrf: await b.csrf('/vendors/dashboard') });
    assert.equal(ok.res.status, 303);
    assert.equal(ok.res.headers.get('location'), '/vendors/dashboard');
    const cookie = ok.res.headers.getSetCookie().find((c) => c.startsWith('mm_vendor='))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.match(cookie, /Path=\/vendors/);
    const token = b.cookies.get('mm_vendor')!;
    const [row] = await sessionRows();
    assert.deepEqual(row!.token_hash, createHash('sha256').update(token).digest());
    assert.ok(!row!.sealed_key.includes(Buffer.from(apiKey)), 'the key is sealed');

    // Every later visit is the dashboard, with no key asked for; it is never cached.
    page = await b.get('/vendors/dashboard');
    assert.equal(page.res.status, 200);
    assert.match(page.text, /<h1>Dashboard shop/);
    assert.equal(page.res.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(page.text, /id="dashboard-form"/);
    // Another browser without the cookie gets the form.
    assert.match((await new Browser(tb.base).get('/vendors/dashboard')).text, /id="dashboard-form"/);
  });

  test('the key: masked until shown, the full key for the copy button, whose script is the only one the CSP allows', async () => {
    const b = new Browser(tb.base);
    const { res, text } = await b.vendorSignIn(apiKey);
    assert.ok(text.includes(`<code class="full" id="vendor-api-key">${apiKey}</code>`));
    assert.ok(text.includes(`${apiKey.slice(0, 4)}${'•'.repeat(16)}${apiKey.slice(-4)}</code>`));
    assert.match(text, /<button type="button" class="secondary" data-copy="vendor-api-key" hidden>Copy<\/button>/);
    const scripts = [...text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    assert.equal(scripts.length, 1);
    const hash = `'sha256-${createHash('sha256').update(scripts[0]!).digest('base64')}'`;
    assert.match(res.headers.get('content-security-policy')!, new RegExp(`script-src ${hash.replace(/[+/]/g, '\\$&')}$`));
    // Pages without the key run no script at all.
    const home = await fetch(`${tb.base}/`);
    assert.doesNotMatch(home.headers.get('content-security-policy')!, /script-src/);
  });

  test('signing out is a CSRF-checked POST: refused without the token or from another origin, then the session is gone', async () => {
    const b = new Browser(tb.base);
    await b.vendorSignIn(apiKey);
    const csrf = await b.csrf('/vendors/dashboard');
    const before = (await sessionRows()).length;
    assert.equal((await b.post('/vendors/dashboard/sign-out', {})).res.status, 403);
    assert.equal((await b.post('/vendors/dashboard/sign-out', {}, { csrf, origin: 'http://evil.example' })).res.status, 403);
    assert.equal((await b.post('/vendors/dashboard', { apiKey }, { csrf, origin: 'http://evil.example' })).res.status, 403);
    assert.equal((await sessionRows()).length, before, 'nothing changed');
    assert.doesNotMatch((await b.get('/vendors/dashboard')).text, /id="dashboard-form"/);

    const out = await b.post('/vendors/dashboard/sign-out', {}, { csrf });
    assert.equal(out.res.status, 303);
    assert.equal((await sessionRows()).length, before - 1);
    assert.equal(b.cookies.get('mm_vendor'), undefined);
    const page = await b.get(out.res.headers.get('location')!);
    assert.match(page.text, /You are signed out/);
    assert.match(page.text, /id="dashboard-form"/);
  });

  test('sessions are bounded: at most 20 per vendor, the oldest ends; an expired one shows the form', async () => {
    const first = new Browser(tb.base);
    await first.vendorSignIn(apiKey);
    for (let i = 0; i < MAX_VENDOR_SESSIONS; i++) await new Browser(tb.base).vendorSignIn(apiKey);
    assert.equal((await sessionRows()).length, MAX_VENDOR_SESSIONS);
    assert.match((await first.get('/vendors/dashboard')).text, /id="dashboard-form"/);

    const late = new Browser(tb.base);
    await late.vendorSignIn(apiKey);
    clock.advance(tb.broker.options.sessionTtl + 1000);
    assert.match((await late.get('/vendors/dashboard')).text, /id="dashboard-form"/);
    clock.set(start);
  });

  test('registering a site on the page signs its browser in to the dashboard', async () => {
    const b = new Browser(tb.base);
    await b.signUp('owner@example.com');
    const reg = await b.post('/vendors', { origin: 'http://127.0.0.1:4802', name: 'New shop' }, { csrf: await b.csrf('/vendors') });
    assert.equal(reg.res.status, 201);
    assert.match(reg.text, /data-copy="api-key"/);
    assert.match((await b.get('/vendors/dashboard')).text, /<h1>New shop/);
  });

  test('earnings per page: coins, money and last paid per URL, most paid first, 20 pages a view', async () => {
    await redeem('p1', '/articles/a', 5);
    await redeem('p2', '/articles/b', 3);
    await redeem('p3', '/articles/a', 2);
    const b = new Browser(tb.base);
    let { text } = await b.vendorSignIn(apiKey);
    const rows = () => [
      ...text.matchAll(/<tr data-url="([^"]+)">[\s\S]*?<td class="r">(\d+)<\/td><td class="r">([^<]+)<\/td><td>([^<]+)<\/td>/g),
    ];
    assert.deepEqual(
      rows().map((m) => [m[1], m[2], m[3]]),
      [
        [`${V}/articles/a`, '7', '0.7¢'],
        [`${V}/articles/b`, '3', '0.3¢'],
      ],
    );
    assert.equal(rows()[0]![4], `${clock.now().toISOString().slice(0, 10)} ${clock.now().toISOString().slice(11, 16)} UTC`);
    assert.match(text, /id="pages" data-pages="2"/);
    assert.doesNotMatch(text, /class="pager"/);

    // 23 more pages of one coin each: 25 pages, two views.
    for (let i = 0; i < 23; i++) await redeem(`q${i}`, `/more/${String(i).padStart(2, '0')}`, 1);
    text = (await b.get('/vendors/dashboard')).text;
    assert.equal(rows().length, 20);
    assert.match(text, /1–20 of 25 pages/);
    assert.match(text, /href="\/vendors\/dashboard\?p=2#pages" rel="next"/);
    text = (await b.get('/vendors/dashboard?p=2')).text;
    assert.equal(rows().length, 5);
    assert.match(text, /21–25 of 25 pages/);
    // Out of range or not a number: the nearest view.
    text = (await b.get('/vendors/dashboard?p=999')).text;
    assert.equal(rows().length, 5);
    text = (await b.get('/vendors/dashboard?p=abc')).text;
    assert.equal(rows()[0]![1], `${V}/articles/a`);
  });

  test('earnings per day: 30 bars of coins and cleared chains, a table with the same figures; older days drop out', async () => {
    // Day 0 so far: 10 + 23 coins. Two days later: 4 coins and a PayWord chain cleared for 6 links of 2 mills.
    clock.set(start + 2 * DAY);
    await redeem('d2', '/articles/c', 4);
    const vendorKey = newAgreementKey().publicKey;
    const put = await fetch(`${tb.base}/api/vendors/payword-key`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ key: toBase64(vendorKey) }),
    });
    assert.equal(put.status, 200);
    const wallet = newSigningKey();
    const bob = new Browser(tb.base);
    const bobId = await bob.signUp('bob@example.com');
    assert.equal((await bob.addFunds('1')).status, 303);
    assert.equal((await bob.connectWallet(toBase64(wallet.publicKey))).res.status, 303);
    const chain = makeChain({
      broker: tb.base,
      userId: bobId,
      vendorId: V,
      vendorKey,
      length: 10,
      value: 2,
      expiresAt: seconds(clock.now()) + 600,
    });
    assert.equal((await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(chain, wallet))).status, 201);
    const cleared = await postJson(
      `${tb.base}/api/redeem`,
      { batchId: 'c1', chains: [clearEntry(chain, 6)] },
      { authorization: `Bearer ${apiKey}` },
    );
    assert.equal(cleared.json.chains[0].paidMills, 12);

    const b = new Browser(tb.base);
    let { text } = await b.vendorSignIn(apiKey);
    const bars = () =>
      [...text.matchAll(/<g class="day" data-day="([0-9-]{10})" data-mills="(\d+)">/g)].map((m) => [m[1]!, Number(m[2])] as const);
    const day = (offset: number) => new Date(start + offset * DAY).toISOString().slice(0, 10);
    assert.equal(bars().length, 30);
    assert.deepEqual(bars()[29], [day(2), 16]);
    assert.deepEqual(bars()[27], [day(0), 33]);
    assert.equal(bars().filter(([, m]) => m > 0).length, 2);
    assert.match(text, /id="earnings-chart" data-total-mills="49"/);
    const row = (d: string) =>
      new RegExp(`<tr data-day="${d}"><td>[^<]+</td><td class="r">([^<]+)</td><td class="r">([^<]+)</td><td class="r">([^<]+)</td></tr>`)
        .exec(text)
        ?.slice(1);
    assert.deepEqual(row(day(2)), ['0.4¢', '1.2¢', '1.6¢']);
    assert.deepEqual(row(day(0)), ['3.3¢', '$0.00', '3.3¢']);
    assert.match(text, /<desc id="earnings-desc">4\.9¢ in 30 days; the best day was/);

    // 31 days on (signed in again: a session lasts 7 days), day 0 is out of the window and day 2 is its first day.
    clock.set(start + 31 * DAY);
    text = (await b.vendorSignIn(apiKey)).text;
    assert.deepEqual(bars()[0], [day(2), 16]);
    assert.equal(bars().filter(([, m]) => m > 0).length, 1);
    // What the dashboard showed before is kept: balance, counts, chains, complaints.
    assert.match(text, /id="vendor-balance" data-mills="49">4\.9¢/);
    assert.match(text, /id="vendor-redeemed"><div class="n">37</);
    assert.match(text, /id="vendor-cleared-links" data-mills="12"><div class="n">6</);
    assert.ok(text.includes(`<tr data-chain-id="${chain.chainId}">`));
    assert.match(text, /id="vendor-complaints"/);
    clock.set(start);
  });
});
