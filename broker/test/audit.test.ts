/**
 * Audit: trying to break the broker with real requests. Money under concurrency, hostile input, and the
 * web-security rules (CSRF, caching of coins, escaping, cookies). Each test names the rule it holds to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MICROMINT_MIME, coinId, decodeSendExpired, encodeRequestCredit, type FundsWithdrawn } from '@micromint/shared';
import { Browser, TestClock, coinsFor, decodeFundsWithdrawn, entry, postJson, startBroker, type TestBroker } from './helpers.ts';

const A = 'http://127.0.0.1:4501';
const B = 'http://127.0.0.1:4502';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('audit: money under concurrency', () => {
  let tb: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let fw: FundsWithdrawn;
  let keyA: string;
  let keyB: string;
  let coinsA: Uint8Array[];
  const clock = new TestClock();
  const count = (sql: string, ...args: unknown[]): Promise<number> => tb.sql.value<number>(sql, ...args);
  const redeem = (key: string, body: unknown) => postJson(`${tb.base}/api/redeem`, body, auth(key));

  before(async () => {
    tb = await startBroker({ now: clock.now, validSeconds: 3600, redeemGraceSeconds: 600 });
    alice = new Browser(tb.base);
    aliceId = await alice.signUp('alice@example.com');
    await alice.addFunds('5');
    fw = decodeFundsWithdrawn((await alice.buy(3)).text);
    keyA = (await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'Shop A' })).json.apiKey;
    keyB = (await postJson(`${tb.base}/api/vendors`, { origin: B, name: 'Shop B' })).json.apiKey;
    coinsA = coinsFor(fw, A);
    assert.ok(coinsA.length >= 40, `${coinsA.length} coins for A`);
  });
  after(() => tb.stop());

  test('two tabs buying at once never overdraw, debit exactly the sets sold, and never share a superbin', async () => {
    const bob = new Browser(tb.base);
    const bobId = await bob.signUp('bob@example.com');
    await bob.addFunds('0.15'); // about two sets of the test epoch (~58 coins each), never six
    const csrf = await bob.csrf('/account');
    const answers = await Promise.all(Array.from({ length: 6 }, () => bob.post('/account/buy', { count: '1' }, { csrf })));
    const sold = answers.filter((a) => a.res.status === 303).length;
    assert.ok(sold >= 1 && sold < 6, `${sold} purchases went through`);
    assert.ok(answers.every((a) => a.res.status === 303 || a.res.status === 409));
    const price = await count('SELECT coalesce(sum(price_mills), 0) FROM sets WHERE user_id = ?', bobId);
    assert.equal(await count('SELECT count(*) FROM sets WHERE user_id = ?', bobId), sold);
    assert.equal(await tb.broker.store.accounts.balance('user', bobId), 150 - price);
    assert.ok((await tb.broker.store.accounts.balance('user', bobId)) >= 0);
    assert.equal(await count("SELECT -sum(amount_mills) FROM ledger WHERE owner_id = ? AND kind = 'purchase'", bobId), price);
    const superbins = await tb.sql.column<number>('SELECT superbin FROM set_superbins');
    assert.equal(new Set(superbins).size, superbins.length);
  });

  test('the same coins in five batches at once are credited once; the rest are recorded double spends', async () => {
    const coins = coinsA.slice(0, 20).map((c) => entry(fw, c, A));
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => redeem(keyA, { batchId: `c${i}`, coins })));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(
      answers.reduce((n, a) => n + a.json.credited, 0),
      20,
    );
    assert.equal(await tb.broker.store.accounts.balance('vendor', A), 20);
    // 80 attempts, recorded as one row per coin and vendor with its count (resending a coin grows nothing).
    assert.equal(await count('SELECT sum(attempts) FROM double_spends WHERE vendor_id = ?', A), 80);
    assert.equal(await count('SELECT count(*) FROM double_spends WHERE vendor_id = ?', A), 20);
    assert.equal(await count('SELECT sum(coins) FROM redeemed_batches WHERE vendor_id = ?', A), 20);
  });

  test('one batchId sent twice at once gets one answer, paid once', async () => {
    const coins = coinsA.slice(20, 25).map((c) => entry(fw, c, A));
    const before = await tb.broker.store.accounts.balance('vendor', A);
    const [x, y] = await Promise.all([redeem(keyA, { batchId: 'twice', coins }), redeem(keyA, { batchId: 'twice', coins })]);
    assert.equal(x.status, 200);
    assert.deepEqual(x.json, y.json);
    assert.equal(x.json.credited, 5);
    assert.equal(await tb.broker.store.accounts.balance('vendor', A), before + 5);
  });

  test('a coin paid to A is a double spend at B even when both redeem at once', async () => {
    const paid = new Set(coinsA.map(coinId));
    const twins: Uint8Array[] = [];
    for (const c of coinsFor(fw, B))
      if (paid.has(coinId(c)) && !(await tb.broker.store.vendors.redeemedBy(fw.epoch.id, coinId(c)))) twins.push(c);
    assert.ok(twins.length > 0);
    const twin = twins[0]!;
    const forA = coinsA.find((c) => coinId(c) === coinId(twin))!;
    const [a, b] = await Promise.all([
      redeem(keyA, { batchId: 'twinA', coins: [entry(fw, forA, A)] }),
      redeem(keyB, { batchId: 'twinB', coins: [entry(fw, twin, B)] }),
    ]);
    assert.equal(a.json.credited + b.json.credited, 1);
  });
  test('a coin redeemed and returned at the same moment pays exactly once, and a vendor that redeemed in time is the one paid', async () => {
    const credit = (coin: Uint8Array) =>
      fetch(`${tb.base}/api/credit`, {
        method: 'POST',
        headers: { 'content-type': MICROMINT_MIME },
        body: encodeRequestCredit({ broker: tb.base, userId: aliceId, epoch: fw.epoch.id, balls: [coin.slice(0, 16)] }),
      }).then(async (res) => ({ status: res.status, json: await res.json() }));
    const money = async () =>
      (await tb.broker.store.accounts.balance('user', aliceId)) + (await tb.broker.store.accounts.balance('vendor', A));
    const { returnsFrom } = (await (await fetch(`${tb.base}/api/epochs/${fw.epoch.id}`)).json()).epoch as { returnsFrom: string };
    // During the redemption period: the vendor is paid, the return is refused and changes nothing.
    const early = coinsA[30]!;
    const vendorBefore = await tb.broker.store.accounts.balance('vendor', A);
    const userBefore = await tb.broker.store.accounts.balance('user', aliceId);
    const [r, c] = await Promise.all([redeem(keyA, { batchId: 'race', coins: [entry(fw, early, A)] }), credit(early)]);
    assert.equal(r.json.credited, 1);
    assert.equal(c.status, 409);
    assert.equal(c.json.error, 'returns_not_open');
    assert.equal(await tb.broker.store.accounts.balance('vendor', A), vendorBefore + 1);
    assert.equal(await tb.broker.store.accounts.balance('user', aliceId), userBefore);
    // Once returns are open, redemption is closed: the ball goes back to its buyer, exactly once.
    const late = coinsA[31]!;
    const before = await money();
    clock.set(returnsFrom);
    try {
      const [r2, c2] = await Promise.all([redeem(keyA, { batchId: 'race-late', coins: [entry(fw, late, A)] }), credit(late)]);
      assert.equal(r2.json.credited, 0);
      assert.equal(r2.json.results[0].reason, 'redemption-closed');
      assert.equal(c2.status, 200);
      assert.equal(c2.json.credited, 1);
      assert.equal(await money(), before + 1);
    } finally {
      clock.set(Date.now());
    }
  });
});

describe('audit: web', () => {
  let tb: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let withdrawalId: string;
  const clock = new TestClock();

  before(async () => {
    tb = await startBroker({ now: clock.now, validSeconds: 3600, redeemGraceSeconds: 600 });
    alice = new Browser(tb.base);
    aliceId = await alice.signUp('alice@example.com');
    await alice.addFunds('2');
    withdrawalId = (await alice.buy(1)).withdrawalId;
  });
  after(() => tb.stop());

  test('?msg= shows only its fixed notices: inherited object keys show nothing', async () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const { res, text } = await alice.get(`/account?msg=${key}`);
      assert.equal(res.status, 200);
      assert.doesNotMatch(text, /class="notice/, `?msg=${key} showed a notice`);
      assert.doesNotMatch(text, /\[object Object\]|native code/);
    }
    assert.match((await alice.get('/account?msg=funds')).text, /class="notice ok"[^>]*>Funds added\./);
  });

  test('an absurdly padded amount is refused at once (no regular-expression backtracking) and changes nothing', async () => {
    const csrf = await alice.csrf('/account');
    const before = await tb.broker.store.accounts.balance('user', aliceId);
    const began = performance.now();
    const { res } = await alice.post('/account/funds', { provider: 'sandbox', amount: `${' '.repeat(32_000)}x` }, { csrf });
    const ms = performance.now() - began;
    assert.equal(res.status, 422);
    assert.ok(ms < 300, `the request took ${ms.toFixed(0)} ms`);
    assert.equal(await tb.broker.store.accounts.balance('user', aliceId), before);
    // Ordinary amounts with spaces and a dollar sign still work.
    assert.equal((await alice.post('/account/funds', { provider: 'sandbox', amount: ' $0.25 ' }, { csrf })).res.status, 303);
    assert.equal(await tb.broker.store.accounts.balance('user', aliceId), before + 250);
  });

  test('a complaint of several lines (a textarea) is accepted and shown escaped', async () => {
    await postJson(`${tb.base}/api/vendors`, { origin: A, name: '"><img src=x onerror=alert(1)> Shop' });
    const text = 'They took my coins.\r\nThen the page said </td><script>alert(1)</script>';
    const { res } = await alice.post('/account/complaints', { vendorId: A, text }, { csrf: await alice.csrf('/account') });
    assert.equal(res.status, 303);
    const stored = (await tb.broker.store.complaints.ofUser(aliceId))[0]!;
    assert.equal(stored.text, 'They took my coins.\nThen the page said </td><script>alert(1)</script>');
    const page = (await alice.get('/account')).text;
    assert.ok(!page.includes('<script>alert(1)'));
    assert.ok(!page.includes('<img src=x'));
    assert.ok(page.includes('&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(page.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt; Shop'));
    // Other control characters are still refused.
    const bell = await alice.post('/account/complaints', { vendorId: A, text: 'ring\u0007' }, { csrf: await alice.csrf('/account') });
    assert.equal(bell.res.status, 422);
  });

  test('returning coins is not triggered by a cross-site GET: the Send-Expired page needs a CSRF-checked POST', async (t) => {
    // Returns open after the redemption period (returns.test.ts): move the clock there for this test.
    const { returnsFrom } = (await (await fetch(`${tb.base}/api/epochs/current`)).json()).epoch as { returnsFrom: string };
    clock.set(returnsFrom);
    t.after(() => clock.set(Date.now()));
    // A link or redirect from another site is a top-level GET, which carries the SameSite=Lax session cookie;
    // the wallet extension returns every unspent coin as soon as a Send-Expired script is on the page.
    const get = await alice.get('/account/return');
    assert.equal(get.res.status, 200);
    assert.doesNotMatch(get.text, /micromint-send-expired/);
    assert.match(get.text, /<form[^>]*method="post"[^>]*action="\/account\/return"/);
    const noToken = await alice.post('/account/return', {});
    assert.equal(noToken.res.status, 403);
    assert.doesNotMatch(noToken.text, /micromint-send-expired/);
    const csrf = await alice.csrf('/account/return');
    const evil = await alice.post('/account/return', {}, { csrf, origin: 'http://evil.example' });
    assert.equal(evil.res.status, 403);
    const ok = await alice.post('/account/return', {}, { csrf });
    assert.equal(ok.res.status, 200);
    const m = /<script type="application\/x-micromint" class="micromint-send-expired" data-epoch="[^"]+">([\s\S]*?)<\/script>/.exec(
      ok.text,
    );
    assert.ok(m);
    assert.equal(decodeSendExpired(m[1]!).userId, aliceId);
    // The account page's button is that POST form.
    assert.match((await alice.get('/account')).text, /<form method="post" action="\/account\/return">\s*<input type="hidden" name="_csrf"/);
    assert.equal((await new Browser(tb.base).get('/account/return')).res.status, 303, 'logged out: to the log-in page');
  });

  test('pages holding coins or account data are never stored by caches', async () => {
    for (const path of [`/withdrawals/${withdrawalId}`, `/withdrawals/${withdrawalId}.mm`, '/account', '/account/return']) {
      const { res } = await alice.get(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('cache-control') ?? '', /no-store/, path);
    }
  });

  test('cookies are HttpOnly and SameSite; the session token is stored only hashed', async () => {
    const first = await fetch(`${tb.base}/signup`);
    const csrfCookie = first.headers.getSetCookie().find((c) => c.startsWith('mm_csrf='))!;
    assert.match(csrfCookie, /HttpOnly/i);
    assert.match(csrfCookie, /SameSite=Lax/i);
    const b = new Browser(tb.base);
    await b.signUp('cookie@example.com');
    const csrf = await b.csrf('/login');
    const res = await fetch(`${tb.base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: tb.base,
        cookie: `mm_csrf=${b.cookies.get('mm_csrf')}; mm_session=${b.cookies.get('mm_session')}`,
      },
      body: new URLSearchParams({ _csrf: csrf, email: 'cookie@example.com', password: 'correct horse battery' }),
    });
    assert.equal(res.status, 303);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('mm_session='))!;
    assert.match(session, /HttpOnly/i);
    assert.match(session, /SameSite=Lax/i);
    assert.match(session, /Path=\//);
    const token = /^mm_session=([^;]+)/.exec(session)![1]!;
    const rows = await tb.sql.column<Buffer>('SELECT token_hash FROM sessions');
    assert.ok(rows.every((h) => h.length === 32 && !h.toString('latin1').includes(token)));
  });

  test('a hostile e-mail is shown escaped; a user sees only their own purchases', async () => {
    const mallory = new Browser(tb.base);
    await mallory.signUp('m&amp;<b>@evil.example').catch(() => undefined); // "<" is not in an e-mail address
    assert.equal(await tb.broker.store.accounts.userByEmail('m&amp;<b>@evil.example'), undefined);
    await mallory.signUp('m&amp;x@evil.example');
    const page = (await mallory.get('/account')).text;
    assert.ok(page.includes('m&amp;amp;x@evil.example'));
    assert.equal((await mallory.get(`/withdrawals/${withdrawalId}`)).res.status, 404);
    assert.equal((await mallory.get(`/withdrawals/${withdrawalId}.mm`)).res.status, 404);
    assert.doesNotMatch(page, new RegExp(withdrawalId));
  });
});

describe('audit: vendors and hostile requests', () => {
  let tb: TestBroker;
  let fw: FundsWithdrawn;
  let key: string;
  let coins: Uint8Array[];
  const redeem = (body: unknown) => postJson(`${tb.base}/api/redeem`, body, auth(key));

  before(async () => {
    tb = await startBroker();
    const u = new Browser(tb.base);
    await u.signUp('u@example.com');
    await u.addFunds('2');
    fw = decodeFundsWithdrawn((await u.buy(1)).text);
    key = (await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'Shop A' })).json.apiKey;
    coins = coinsFor(fw, A);
  });
  after(() => tb.stop());

  test('API keys are stored only as their SHA-256; registering an existing origin in another spelling is refused', async () => {
    const rows = await tb.sql.column<Buffer>('SELECT api_key_hash FROM vendors');
    assert.ok(rows.every((h) => h.length === 32 && !h.toString('latin1').includes(key)));
    for (const origin of [
      A,
      `${A}/`,
      A.toUpperCase(),
      'http://127.0.0.1:4501/.',
      'http://user@127.0.0.1:4501',
      'http://127.0.0.1:4501/?x',
    ]) {
      const { status } = await postJson(`${tb.base}/api/vendors`, { origin, name: 'Impostor' });
      assert.ok(status === 409 || status === 422, `${origin}: ${status}`);
    }
    assert.equal((await tb.broker.store.vendors.byId(A))!.name, 'Shop A');
  });

  test('a disabled vendor retrying a batch it redeemed gets the stored answer; a new batch is refused', async () => {
    const batch = { batchId: 'before-disable', coins: coins.slice(0, 3).map((c) => entry(fw, c, A)) };
    const first = await redeem(batch);
    assert.equal(first.json.credited, 3);
    await tb.broker.store.vendors.disable(A, 'test', new Date().toISOString());
    const retry = await redeem(batch);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.json, first.json);
    const fresh = await redeem({ batchId: 'after-disable', coins: coins.slice(3, 4).map((c) => entry(fw, c, A)) });
    assert.equal(fresh.status, 403);
    assert.equal(fresh.json.error, 'vendor_disabled');
    const other = await redeem({ ...batch, coins: coins.slice(3, 4).map((c) => entry(fw, c, A)) });
    assert.equal(other.status, 403, 'the same batchId with other coins is not a retry');
    assert.equal(await tb.broker.store.accounts.balance('vendor', A), 3);
    assert.equal(await tb.sql.value('SELECT count(*) FROM redemption_batches'), 1);
  });

  test('nothing a client sends produces a 500', async () => {
    const { json: v } = await postJson(`${tb.base}/api/vendors`, { origin: B, name: 'Shop B' });
    const e = entry(fw, coins[0]!, B);
    const requests: [string, RequestInit][] = [
      ['/api/epochs/%E0', {}],
      ['/withdrawals/%E0', {}],
      ['/', { headers: { cookie: 'mm_session=%E0; mm_csrf=%' } }],
      ['/api/redeem', { method: 'POST', headers: { ...auth(v.apiKey), 'content-type': 'application/json' }, body: '' }],
      ['/api/redeem', { method: 'POST', headers: { ...auth(v.apiKey), 'content-type': 'application/json' }, body: 'null' }],
      ['/api/redeem', { method: 'POST', headers: { ...auth(v.apiKey), 'content-type': 'application/json; charset=latin1' }, body: '{}' }],
      [
        '/api/redeem',
        { method: 'POST', headers: { ...auth(v.apiKey), 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{}' },
      ],
      [
        '/api/redeem',
        { method: 'POST', headers: { ...auth(v.apiKey), 'content-type': 'application/json', 'content-encoding': 'br' }, body: '{}' },
      ],
      [
        '/api/redeem',
        {
          method: 'POST',
          headers: { ...auth(v.apiKey), 'content-type': 'application/json' },
          body: JSON.stringify({ batchId: 'h', coins: [null] }),
        },
      ],
      [
        '/api/redeem',
        {
          method: 'POST',
          headers: { ...auth(v.apiKey), 'content-type': 'application/json' },
          body: JSON.stringify({ batchId: 'h', coins: [{ ...e, url: 'not a url' }] }),
        },
      ],
      [
        '/api/redeem',
        {
          method: 'POST',
          headers: { ...auth(v.apiKey), 'content-type': 'application/json' },
          body: JSON.stringify({
            batchId: 'h',
            coins: [
              { ...e, epoch: '__proto__' },
              { ...e, userId: 'x'.repeat(128) },
              { ...e, coin: 'A'.repeat(4096) },
              { ...e, url: 'blob:http://127.0.0.1:4502/x' },
              { ...e, paidAt: '0' },
            ],
          }),
        },
      ],
      ['/api/redeem', { method: 'POST', headers: { authorization: 'Bearer', 'content-type': 'application/json' }, body: '{}' }],
      [
        '/api/vendors',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"__proto__": {"x": 1}, "origin": ["http://a.example"], "name": 1}',
        },
      ],
      ['/api/credit', { method: 'POST', headers: { 'content-type': `${MICROMINT_MIME}; charset=foo` }, body: 'x' }],
      ['/api/credit', { method: 'POST', headers: { 'content-type': MICROMINT_MIME, 'content-encoding': 'gzip' }, body: 'x' }],
      ['/api/credit', { method: 'POST', headers: { 'content-type': MICROMINT_MIME }, body: '' }],
      [
        '/api/credit',
        {
          method: 'POST',
          headers: { 'content-type': MICROMINT_MIME },
          body: `MicroMint-1.0\nRequest-Credit\nBroker: ${tb.base}\nUser-Id: x\nEpoch: ${fw.epoch.id}\nBalls: 1\nEnd-MicroMint\n`,
        },
      ],
      [
        '/api/credit',
        {
          method: 'POST',
          headers: { 'content-type': MICROMINT_MIME },
          body: `MicroMint-1.0\nRequest-Credit\nBroker: ${'/'.repeat(2000)}x\nUser-Id: ${fw.userId}\nEpoch: ${fw.epoch.id}\nBalls: 1\nData-Size: 16\nAAAAAAAAAAAAAAAAAAAAAA==\nEnd-MicroMint\n`,
        },
      ],
      [
        '/login',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip', origin: tb.base },
          body: 'x',
        },
      ],
      [
        '/login',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=foo', origin: tb.base }, body: 'x' },
      ],
      [
        '/login',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tb.base }, body: 'a=%E0&_csrf=%' },
      ],
      [
        '/login',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tb.base },
          body: Array.from({ length: 60 }, (_, i) => `a${i}=1`).join('&'),
        },
      ],
      ['/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: tb.base }, body: '{"email": "u@example.com"}' }],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(tb.base + path, { redirect: 'manual', ...init });
      await res.arrayBuffer();
      assert.ok(res.status >= 200 && res.status < 500, `${init.method ?? 'GET'} ${path}: ${res.status}`);
    }
    assert.equal((await fetch(`${tb.base}/api/stats`)).status, 200, 'still serving');
  });
});
