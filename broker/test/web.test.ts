import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MICROMINT_MIME } from '@micromint/shared';
import { createBroker, SandboxFunding, type BrokerOptions } from '../src/index.ts';
import { Browser, coinsFor, decodeFundsWithdrawn, entry, postJson, startBroker, type TestBroker } from './helpers.ts';

describe('web pages', () => {
  let tb: TestBroker;

  before(async () => {
    tb = await startBroker({ complaintThreshold: 2 });
  });
  after(() => tb.stop());

  test('the home page shows the epoch and public figures; security headers are set', async () => {
    const res = await fetch(`${tb.base}/`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(text, new RegExp(`id="epoch-id">${tb.mint!.epoch.id}<`));
    assert.match(text, /id="stat-balls"><div class="n">[\d,]+</);
    assert.match(res.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-powered-by'), null);
    const stats = await (await fetch(`${tb.base}/api/stats`)).json();
    assert.equal(stats.ballsMinted, tb.mint!.filledSlots);
  });

  test('sign up, log out, log in; sessions are stored hashed; bad passwords refused', async () => {
    const b = new Browser(tb.base);
    const csrf = await b.csrf('/signup');
    const short = await b.post('/signup', { email: 'carol@example.com', password: 'short' }, { csrf });
    assert.equal(short.res.status, 422);
    assert.match(short.text, /at least 8 characters/);
    const id = await b.signUp('carol@example.com');
    assert.match(id, /^u_[0-9a-f]{16}$/);
    const cookie = b.cookies.get('mm_session')!;
    const setCookie = (await b.post('/logout', {}, { csrf: await b.csrf('/account') })).res;
    assert.equal(setCookie.status, 303);
    assert.equal((await b.get('/account')).res.status, 303, 'logged out');
    // The token is never stored, only its SHA-256.
    const rows = await tb.sql.column<Buffer>('SELECT token_hash FROM sessions');
    assert.ok(rows.every((h) => h.length === 32 && !h.toString('latin1').includes(cookie)));
    const wrong = await b.post('/login', { email: 'carol@example.com', password: 'wrong password' }, { csrf: await b.csrf('/login') });
    assert.equal(wrong.res.status, 401);
    const ok = await b.post('/login', { email: 'CAROL@example.com', password: 'correct horse battery' }, { csrf: await b.csrf('/login') });
    assert.equal(ok.res.status, 303);
    const { res, text } = await b.get('/account');
    assert.equal(res.status, 200);
    assert.match(text, new RegExp(`id="user-id">${id}<`));
    const dup = new Browser(tb.base);
    const again = await dup.post(
      '/signup',
      { email: 'carol@example.com', password: 'another password' },
      { csrf: await dup.csrf('/signup') },
    );
    assert.equal(again.res.status, 409);
  });

  test('forms without the CSRF token, or from another origin, are refused and change nothing', async () => {
    const b = new Browser(tb.base);
    const id = await b.signUp('dave@example.com');
    const csrf = await b.csrf('/account');
    const balance = () => tb.broker.store.accounts.balance('user', id);
    assert.equal((await b.post('/account/funds', { provider: 'sandbox', amount: '5' })).res.status, 403);
    assert.equal((await b.post('/account/funds', { provider: 'sandbox', amount: '5' }, { csrf: 'x'.repeat(43) })).res.status, 403);
    assert.equal(
      (await b.post('/account/funds', { provider: 'sandbox', amount: '5' }, { csrf, origin: 'http://evil.example' })).res.status,
      403,
    );
    assert.equal((await b.post('/account/funds', { provider: 'sandbox', amount: '5' }, { csrf, origin: null })).res.status, 403);
    // A logged-out form token is not the session's.
    const anon = new Browser(tb.base);
    const anonToken = await anon.csrf('/login');
    assert.equal((await b.post('/account/funds', { provider: 'sandbox', amount: '5' }, { csrf: anonToken })).res.status, 403);
    const signupNoToken = await new Browser(tb.base).post('/signup', { email: 'eve@example.com', password: 'long enough pw' });
    assert.equal(signupNoToken.res.status, 403);
    assert.equal(await tb.broker.store.accounts.userByEmail('eve@example.com'), undefined);
    assert.equal(await balance(), 0);
    assert.equal((await b.post('/account/funds', { provider: 'sandbox', amount: '5' }, { csrf })).res.status, 303);
    assert.equal(await balance(), 5000);
  });

  test('add funds (sandbox, clearly labelled), buy sets, delivery page DOM, .mm download for the owner only', async () => {
    const b = new Browser(tb.base);
    const id = await b.signUp('frank@example.com');
    let page = (await b.get('/account')).text;
    assert.match(page, /Sandbox: no real money moves/);
    assert.equal((await b.addFunds('0.0005')).status, 422);
    assert.equal((await b.addFunds('1000')).status, 422);
    assert.equal((await b.addFunds('0.5')).status, 303);
    page = (await b.get('/account')).text;
    assert.match(page, /id="balance" data-mills="500">50¢/);
    assert.match(page, /500 coins/);
    const tooMany = await b.post('/account/buy', { count: '20' }, { csrf: await b.csrf('/account') });
    assert.equal(tooMany.res.status, 409);
    assert.match(tooMany.text, /Add funds first/);
    assert.equal(await tb.broker.store.accounts.balance('user', id), 500);
    const bought = await b.buy(1);
    assert.match(
      bought.page,
      new RegExp(`<p class="micromint-status" data-withdrawal-id="${bought.withdrawalId}">Waiting for your MicroMint wallet\\.\\.\\.</p>`),
    );
    const fw = decodeFundsWithdrawn(bought.text);
    assert.equal(fw.withdrawalId, bought.withdrawalId);
    assert.equal(fw.userId, id);
    assert.equal(await tb.broker.store.accounts.balance('user', id), 500 - fw.coins);
    // History links to "send again" and the .mm file, which is the same message.
    page = (await b.get('/account')).text;
    assert.match(page, new RegExp(`href="/withdrawals/${bought.withdrawalId}">Send to wallet again`));
    const again = await b.get(`/withdrawals/${bought.withdrawalId}`);
    assert.ok(again.text.includes(bought.text));
    const mm = await b.get(`/withdrawals/${bought.withdrawalId}.mm`);
    assert.equal(mm.res.headers.get('content-type'), `${MICROMINT_MIME}; charset=utf-8`);
    assert.equal(mm.text, bought.text);
    const other = new Browser(tb.base);
    await other.signUp('grace@example.com');
    assert.equal((await other.get(`/withdrawals/${bought.withdrawalId}.mm`)).res.status, 404);
    assert.equal((await new Browser(tb.base).get(`/withdrawals/${bought.withdrawalId}.mm`)).res.status, 303);
    // Return unspent coins: not before the sites' redemption period ends. The pages give the date instead
    // of a Send-Expired the broker would refuse (the delivery once returns open is in returns.test.ts).
    const { returnsFrom } = (await (await fetch(`${tb.base}/api/epochs/${fw.epoch.id}`)).json()).epoch;
    assert.match(page, new RegExp(`data-epoch="${fw.epoch.id}" data-returns-from="${returnsFrom}"`));
    assert.doesNotMatch(page, /action="\/account\/return"/);
    const ret = (await b.post('/account/return', {}, { csrf: await b.csrf('/account/return') })).text;
    assert.doesNotMatch(ret, /micromint-send-expired/);
    assert.match(ret, /No coins can be returned yet/);
    assert.ok(ret.includes(`${returnsFrom.slice(0, 10)} ${returnsFrom.slice(11, 16)} UTC`));
  });

  test('vendors register from a form (key shown once), log in to the dashboard with it; output is escaped', async () => {
    const b = new Browser(tb.base);
    await b.signUp('henry@example.com');
    const reg = await b.post(
      '/vendors',
      { origin: 'http://127.0.0.1:4201', name: '<script>alert(1)</script> Shop' },
      { csrf: await b.csrf('/vendors') },
    );
    assert.equal(reg.res.status, 201);
    const apiKey = /id="api-key">(mmk_[A-Za-z0-9_-]+)</.exec(reg.text)![1]!;
    const list = (await b.get('/vendors')).text;
    assert.ok(!list.includes('<script>alert(1)'));
    assert.ok(list.includes('&lt;script&gt;alert(1)&lt;/script&gt; Shop'));
    assert.ok(!list.includes(apiKey), 'the key is shown only once');
    const anon = new Browser(tb.base);
    const bad = await anon.post('/vendors/dashboard', { apiKey: 'mmk_nope-nope-nope' }, { csrf: await anon.csrf('/vendors/dashboard') });
    assert.equal(bad.res.status, 401);
    const dash = await anon.vendorSignIn(apiKey);
    assert.equal(dash.res.status, 200);
    assert.match(dash.text, /id="vendor-balance" data-mills="0">\$0\.00/);
    assert.match(dash.text, /id="vendor-refused"><div class="n">0</);
    const me = await (await fetch(`${tb.base}/api/vendors/me`, { headers: { authorization: `Bearer ${apiKey}` } })).json();
    assert.equal(me.vendorId, 'http://127.0.0.1:4201');
    const loggedOut = new Browser(tb.base);
    const refused = await loggedOut.post('/vendors', { origin: 'http://x.example', name: 'x' }, { csrf: await loggedOut.csrf('/login') });
    assert.equal(refused.res.status, 401);
    assert.equal(await tb.broker.store.vendors.byId('http://x.example'), undefined);
  });

  test('complaints from enough paying customers disable a vendor, which then gets 403 at redemption', async () => {
    const { json: v } = await postJson(`${tb.base}/api/vendors`, { origin: 'http://127.0.0.1:4301', name: 'Bad shop' });
    const complain = async (b: Browser) =>
      b.post('/account/complaints', { vendorId: v.vendorId, text: 'Took my coins, showed nothing' }, { csrf: await b.csrf('/account') });
    const customer = async (email: string) => {
      const b = new Browser(tb.base);
      await b.signUp(email);
      await b.addFunds('2');
      const fw = decodeFundsWithdrawn((await b.buy(2)).text);
      return { b, fw, coins: coinsFor(fw, v.vendorId) };
    };
    const jack = await customer('jack@example.com');
    const kate = await customer('kate@example.com');
    // Free sign-ups who never paid this vendor cannot disable it, however many they are.
    const stranger = new Browser(tb.base);
    await stranger.signUp('mallory@example.com');
    assert.equal((await complain(stranger)).res.status, 303);
    // Customers complain before the vendor has redeemed their coins (the usual order).
    assert.equal((await complain(jack.b)).res.status, 303);
    assert.equal((await complain(jack.b)).res.status, 303); // the same user twice counts once
    assert.equal((await complain(kate.b)).res.status, 303);
    assert.equal((await tb.broker.store.vendors.byId(v.vendorId))!.disabled, false);
    assert.match((await jack.b.get('/account')).text, /Took my coins, showed nothing/);
    // Redeeming their coins (at least the minimum spend, 10 mills each) makes them paying customers: their
    // complaints now count, and they are all of the site's customers and takings.
    const ten = (c: typeof jack) => c.coins.slice(0, 10).map((coin) => entry(c.fw, coin, v.vendorId));
    const paid = await postJson(
      `${tb.base}/api/redeem`,
      { batchId: 'd0', coins: [...ten(jack), ...ten(kate)] },
      { authorization: `Bearer ${v.apiKey}` },
    );
    assert.equal(paid.status, 200);
    assert.equal(paid.json.credited, 20);
    assert.equal((await tb.broker.store.vendors.byId(v.vendorId))!.disabled, true);
    const r = await postJson(
      `${tb.base}/api/redeem`,
      { batchId: 'd1', coins: [entry(jack.fw, jack.coins[10]!, v.vendorId)] },
      { authorization: `Bearer ${v.apiKey}` },
    );
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'vendor_disabled');
    assert.match(r.json.reason, /2 paying customers complained/);
    assert.equal(await tb.sql.value("SELECT count(*) FROM redemption_batches WHERE batch_id = 'd1'"), 0);
    const unknown = await kate.b.post(
      '/account/complaints',
      { vendorId: 'http://nobody.example', text: 'x' },
      { csrf: await kate.b.csrf('/account') },
    );
    assert.equal(unknown.res.status, 404);
  });
});

describe('createBroker options', () => {
  test('wrong options throw at construction', async () => {
    const dbPath = ':memory:';
    await assert.rejects(async () => createBroker({ dbPath, publicUrl: 'not a url' }), RangeError);
    await assert.rejects(async () => createBroker({ dbPath, publicUrl: 'ftp://x.example' }), RangeError);
    await assert.rejects(async () => createBroker({ dbPath: 42 as unknown as string, publicUrl: 'http://127.0.0.1:4000' }), TypeError);
    await assert.rejects(async () => createBroker({ dbPath, publicUrl: 'http://127.0.0.1:4000', complaintThreshold: 0 }), RangeError);
    await assert.rejects(async () => createBroker({ dbPath, publicUrl: 'http://127.0.0.1:4000', sessionTtl: 1.5 }), TypeError);
    await assert.rejects(async () => createBroker({ dbPath, publicUrl: 'http://127.0.0.1:4000', fundingProviders: [] }), RangeError);
    await assert.rejects(
      async () =>
        createBroker({ dbPath, publicUrl: 'http://127.0.0.1:4000', fundingProviders: [new SandboxFunding(), new SandboxFunding()] }),
      RangeError,
    );
    // Exactly one store: a SQLite file or a PostgreSQL database, its URL never echoed in the error.
    const publicUrl = 'http://127.0.0.1:4000';
    const postgres = { connectionString: 'postgres://broker:hunter2@127.0.0.1:1/broker' };
    await assert.rejects(async () => createBroker({ publicUrl } as BrokerOptions), /dbPath|postgres/);
    await assert.rejects(async () => createBroker({ dbPath, postgres, publicUrl }), RangeError);
    await assert.rejects(async () => createBroker({ postgres: { connectionString: 'mysql://x' }, publicUrl }), RangeError);
    await assert.rejects(
      async () => createBroker({ postgres: { ...postgres, schema: 'Broker' }, publicUrl }),
      (e: Error) => e instanceof RangeError && !e.message.includes('hunter2'),
    );
    await assert.rejects(async () => createBroker({ postgres: { ...postgres, poolSize: 0 }, publicUrl }), RangeError);
    await assert.rejects(async () => createBroker({ postgres: { ...postgres, ssl: true } as never, publicUrl }), /unknown option "ssl"/);
    // A server that is not there: the promise rejects, nothing is left open.
    await assert.rejects(
      async () => createBroker({ postgres, publicUrl }),
      (e: Error) => !e.message.includes('hunter2'),
    );
    const ok = await createBroker({ dbPath, publicUrl: 'http://127.0.0.1:4000/' });
    assert.equal(ok.options.publicUrl, 'http://127.0.0.1:4000');
    assert.equal(ok.options.complaintThreshold, 5);
    await ok.close();
  });
});

describe('log-in and sign-up attempts are limited per address', () => {
  test('past the budget: 429 with the form, no account made, RateLimit headers', async () => {
    const tb = await startBroker({ mint: false, authAttemptsPerMinute: 3 });
    try {
      const b = new Browser(tb.base);
      for (let i = 0; i < 3; i++) {
        const r = await b.post('/login', { email: 'nobody@example.com', password: 'wrong password' }, { csrf: await b.csrf('/login') });
        assert.equal(r.res.status, 401);
      }
      const limited = await b.post(
        '/signup',
        { email: 'late@example.com', password: 'correct horse battery' },
        { csrf: await b.csrf('/signup') },
      );
      assert.equal(limited.res.status, 429);
      assert.match(limited.text, /Too many attempts/);
      assert.match(limited.text, /id="signup-form"/);
      assert.ok(limited.res.headers.get('ratelimit-policy'));
      assert.equal(await tb.sql.value('SELECT count(*) FROM users'), 0);
    } finally {
      await tb.stop();
    }
  });
});
