/**
 * PayWord at the broker, part 1: the broker's key and parameters, the vendor's key, connecting a wallet to
 * an account (CSRF and Origin checked) and authorizing chains (the contract's checks in order, the hold in
 * the balance, a retry holding once). Real servers on loopback, real SQLite files, chains built with
 * shared's functions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  decodeCommitment,
  encodeCommitment,
  fromBase64,
  micromintNetwork,
  newAgreementKey,
  newSigningKey,
  signRequest,
  toBase64,
  verifyAuthorization,
} from '@micromint/shared';
import { MAX_WALLET_KEYS, createBroker, paywordInfo } from '../src/index.ts';
import { Browser, TestClock, chainRequestBody, makeChain, postJson, seconds, startBroker, type TestBroker } from './helpers.ts';

const V = 'http://127.0.0.1:4601';

/** The `micromint-wallet` data block of an account page. */
function walletBlock(page: string): { broker: string; userId: string; walletKeys: string[] } {
  const m = /<script type="application\/json" class="micromint-wallet">([^<]*)<\/script>/.exec(page);
  assert.ok(m, 'the account page embeds the micromint-wallet block');
  return JSON.parse(m[1]!);
}

const balanceOnPage = (page: string): number => Number(/id="balance" data-mills="(-?\d+)"/.exec(page)![1]);

describe('PayWord: keys, wallets and chain authorization', () => {
  let tb: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let apiKey: string;
  const clock = new TestClock();
  const wallet = newSigningKey();
  const vendorKey = newAgreementKey().publicKey;
  const chains = (body: unknown) => postJson(`${tb.base}/api/payword/chains`, body);
  const balance = () => tb.broker.store.accounts.balance('user', aliceId);
  const chain = (o: Partial<Parameters<typeof makeChain>[0]> = {}) =>
    makeChain({
      broker: tb.base,
      userId: aliceId,
      vendorId: V,
      vendorKey,
      length: 100,
      value: 2,
      expiresAt: seconds(clock.now()) + 600,
      ...o,
    });

  before(async () => {
    tb = await startBroker({ mint: false, now: clock.now, maxChainLength: 1000, maxChainExpirySeconds: 3600, chainGraceSeconds: 60 });
    alice = new Browser(tb.base);
    aliceId = await alice.signUp('alice@example.com');
    assert.equal((await alice.addFunds('1')).status, 303);
    apiKey = (await postJson(`${tb.base}/api/vendors`, { origin: V, name: 'Chain shop' })).json.apiKey;
  });
  after(() => tb.stop());

  test('GET /api/payword publishes the broker, its network, key and bounds; the key survives a restart', async () => {
    const res = await fetch(`${tb.base}/api/payword`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const info = await res.json();
    assert.deepEqual(
      { ...info, brokerKey: undefined },
      {
        broker: tb.base,
        network: micromintNetwork(tb.base),
        brokerKey: undefined,
        maxLength: 1000,
        maxValue: 1_000_000,
        maxExpirySeconds: 3600,
        clearGraceSeconds: 60,
      },
    );
    assert.equal(fromBase64(info.brokerKey).length, 32);
    // A second broker process on the same database signs with the same key.
    const again = await createBroker({ ...tb.storeOptions, publicUrl: tb.base });
    try {
      assert.equal((await paywordInfo(again.context)).brokerKey, info.brokerKey);
    } finally {
      await again.close();
    }
  });

  test('a vendor registers its X25519 key with its API key; a bad or low-order key is refused', async () => {
    const put = (body: unknown, key: string | null = apiKey) =>
      fetch(`${tb.base}/api/vendors/payword-key`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify(body),
      });
    assert.equal((await put({ key: toBase64(vendorKey) }, null)).status, 401);
    assert.equal((await put({ key: 42 })).status, 400);
    assert.equal((await put({ key: 'AAAA' })).status, 422);
    const lowOrder = await put({ key: toBase64(new Uint8Array(32)) });
    assert.equal(lowOrder.status, 422);
    assert.match((await lowOrder.json()).message, /low-order/);
    const other = newAgreementKey().publicKey;
    assert.deepEqual(await (await put({ key: toBase64(other) })).json(), { vendorId: V, key: toBase64(other) });
    const ok = await put({ key: toBase64(vendorKey) });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { vendorId: V, key: toBase64(vendorKey) });
    const me = await (await fetch(`${tb.base}/api/vendors/me`, { headers: { authorization: `Bearer ${apiKey}` } })).json();
    assert.equal(me.paywordKey, toBase64(vendorKey));
    const anon = new Browser(tb.base);
    const dash = await anon.vendorSignIn(apiKey);
    assert.ok(dash.text.includes(`<code id="vendor-payword-key">${toBase64(vendorKey)}</code>`));
  });

  test('connecting a wallet: the form is CSRF- and Origin-checked, the page then lists the key, at most 10 keys', async () => {
    let page = (await alice.get('/account')).text;
    assert.match(page, /<form class="stack micromint-connect-wallet" method="post" action="\/account\/wallet-key"/);
    assert.deepEqual(walletBlock(page), { broker: tb.base, userId: aliceId, walletKeys: [] });
    const key = toBase64(wallet.publicKey);
    const csrf = await alice.csrf('/account');
    assert.equal((await alice.post('/account/wallet-key', { walletKey: key })).res.status, 403, 'no CSRF token');
    assert.equal(
      (await alice.post('/account/wallet-key', { walletKey: key }, { csrf, origin: 'http://evil.example' })).res.status,
      403,
      'foreign origin',
    );
    assert.equal((await alice.post('/account/wallet-key', { walletKey: key }, { csrf, origin: null })).res.status, 403, 'no origin');
    assert.deepEqual(await tb.broker.store.paywordKeys.walletKeys(aliceId), []);
    const empty = await alice.connectWallet('');
    assert.equal(empty.res.status, 422);
    assert.match(empty.text, /wallet extension fills it in/);
    assert.equal((await alice.connectWallet(toBase64(new Uint8Array(32).fill(255)))).res.status, 422, 'not an Ed25519 point');
    const ok = await alice.connectWallet(key);
    assert.equal(ok.res.status, 303);
    assert.equal(ok.res.headers.get('location'), '/account?msg=wallet-connected#wallet');
    assert.equal((await alice.connectWallet(key)).res.status, 303, 'connecting it again changes nothing');
    page = (await alice.get('/account')).text;
    assert.deepEqual(walletBlock(page).walletKeys, [key]);
    assert.match(page, new RegExp(`<tr data-wallet-key="${key.replace(/[+/]/g, '\\$&')}">`));

    // Bounded: nine more fit, the eleventh is refused; a disconnected key can be connected again.
    const more = Array.from({ length: MAX_WALLET_KEYS - 1 }, () => toBase64(newSigningKey().publicKey));
    for (const k of more) assert.equal((await alice.connectWallet(k)).res.status, 303);
    const eleventh = await alice.connectWallet(toBase64(newSigningKey().publicKey));
    assert.equal(eleventh.res.status, 409);
    assert.match(eleventh.text, /at most 10 wallets/);
    for (const k of more) {
      const d = await alice.post('/account/wallet-key/delete', { walletKey: k }, { csrf: await alice.csrf('/account') });
      assert.equal(d.res.status, 303);
    }
    assert.equal(
      (await alice.post('/account/wallet-key/delete', { walletKey: more[0]! }, { csrf: await alice.csrf('/account') })).res.status,
      404,
    );
    assert.deepEqual(walletBlock((await alice.get('/account')).text).walletKeys, [key]);
  });

  test('authorizing a chain: 201 with an authorization under the broker key; the hold is in the balance; a retry holds once', async () => {
    const c = chain();
    const before = await balance();
    const r = await chains(chainRequestBody(c, wallet));
    assert.equal(r.status, 201);
    assert.deepEqual(Object.keys(r.json).sort(), ['authorization', 'balanceMills', 'chainId', 'heldMills']);
    assert.equal(r.json.chainId, c.chainId);
    assert.equal(r.json.heldMills, 200);
    assert.equal(r.json.balanceMills, before - 200);
    const brokerKey = fromBase64((await (await fetch(`${tb.base}/api/payword`)).json()).brokerKey);
    assert.ok(verifyAuthorization(brokerKey, fromBase64(r.json.authorization), c.bytes));
    const page = (await alice.get('/account')).text;
    assert.equal(balanceOnPage(page), before - 200);
    assert.match(page, new RegExp(`data-chain-id="${c.chainId}" data-status="held" data-held-mills="200" data-spent-mills="0"`));
    assert.match(page, /Chain opened \(held\)/);

    const retry = await chains(chainRequestBody(c, wallet));
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.json, r.json);
    assert.equal(await balance(), before - 200, 'a retry holds nothing twice');
    assert.equal(await tb.sql.value('SELECT count(*) FROM payword_chains'), 1);
  });

  test('every refusal in the contract order: the right status and code, nothing held', async () => {
    const before = await balance();
    const stranger = newSigningKey();
    const c = chain();
    const expect = async (body: unknown, status: number, error: string) => {
      const r = await chains(body);
      assert.equal(r.status, status, `${error}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error, error);
      assert.equal(typeof r.json.message, 'string');
      return r.json;
    };
    // 1. shape and size
    await expect('not json', 400, 'bad_request');
    await expect({ commitment: toBase64(c.bytes) }, 400, 'bad_request');
    const big = await fetch(`${tb.base}/api/payword/chains`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...chainRequestBody(c, wallet), pad: 'x'.repeat(17_000) }),
    });
    assert.equal(big.status, 400);
    assert.equal((await big.json()).error, 'bad_request');
    const text = await fetch(`${tb.base}/api/payword/chains`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(text.status, 400);
    // 2. commitment
    await expect({ ...chainRequestBody(c, wallet), commitment: toBase64(new Uint8Array(40)) }, 400, 'bad_commitment');
    await expect({ ...chainRequestBody(c, wallet), commitment: '!!!' }, 400, 'bad_commitment');
    await expect(chainRequestBody(chain({ broker: 'http://127.0.0.1:9' }), wallet), 400, 'wrong_broker');
    // A low-order chain key: no vendor could ever agree a MAC key with it, so nothing may be held for it.
    const lowOrder = encodeCommitment({ ...decodeCommitment(c.bytes), walletKey: new Uint8Array(32) });
    await expect(
      {
        commitment: toBase64(lowOrder),
        walletKey: toBase64(wallet.publicKey),
        signature: toBase64(signRequest(wallet.secretKey, lowOrder)),
      },
      400,
      'bad_commitment',
    );
    // 3. wallet
    await expect(chainRequestBody(c, stranger), 403, 'wallet_not_connected');
    await expect({ ...chainRequestBody(c, wallet), signature: toBase64(signRequest(stranger.secretKey, c.bytes)) }, 403, 'bad_signature');
    await expect(chainRequestBody(chain({ userId: 'u_0000000000000000' }), wallet), 403, 'wallet_not_connected');
    // 4. vendor
    await expect(chainRequestBody(chain({ vendorId: 'http://127.0.0.1:4699' }), wallet), 404, 'unknown_vendor');
    await expect(chainRequestBody(chain({ vendorKey: newAgreementKey().publicKey }), wallet), 409, 'vendor_key_mismatch');
    // 5. bounds
    await expect(chainRequestBody(chain({ length: 1001 }), wallet), 400, 'bad_commitment');
    await expect(chainRequestBody(chain({ expiresAt: seconds(clock.now()) + 3601 }), wallet), 400, 'bad_expiry');
    await expect(chainRequestBody(chain({ expiresAt: seconds(clock.now()) }), wallet), 400, 'bad_expiry');
    // The first failing check answers: the vendor (4) before the expiry (5), the wallet (3) before the vendor.
    await expect(chainRequestBody(chain({ vendorId: 'http://127.0.0.1:4699', expiresAt: 1 }), wallet), 404, 'unknown_vendor');
    await expect(chainRequestBody(chain({ vendorId: 'http://127.0.0.1:4699' }), stranger), 403, 'wallet_not_connected');
    // 7. funds
    const rich = await expect(chainRequestBody(chain({ length: 1000, value: 1000 }), wallet), 409, 'insufficient_funds');
    assert.equal(rich.balanceMills, before);
    assert.equal(await balance(), before, 'no refusal held anything');
    assert.equal(await tb.sql.value('SELECT count(*) FROM payword_chains'), 1);
  });

  test('a disabled vendor gets no chain; a retry is answered even when the balance no longer covers the chain', async () => {
    const c = chain({ length: 10, value: 1 });
    await tb.broker.store.vendors.disable(V, 'test', clock.now().toISOString());
    const r = await chains(chainRequestBody(c, wallet));
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'vendor_disabled');
    await tb.broker.store.vendors.enable(V, clock.now().toISOString());
    const first = await chains(chainRequestBody(c, wallet));
    assert.equal(first.status, 201);
    // Spend the rest of the balance on a chain; the first chain's retry (step 6) still comes before the funds (step 7).
    const rest = await balance();
    assert.equal((await chains(chainRequestBody(chain({ length: rest, value: 1 }), wallet))).status, 201);
    assert.equal(await balance(), 0);
    const retry = await chains(chainRequestBody(c, wallet));
    assert.equal(retry.status, 200);
    assert.equal(retry.json.authorization, first.json.authorization);
    assert.equal(retry.json.balanceMills, 0);
    assert.equal((await chains(chainRequestBody(chain({ length: 1, value: 1 }), wallet))).json.error, 'insufficient_funds');
  });

  test('the extension origin may call it: CORS preflight and answers allow any origin, with no credentials', async () => {
    const pre = await fetch(`${tb.base}/api/payword/chains`, {
      method: 'OPTIONS',
      headers: {
        origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.equal(pre.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'Content-Type');
    assert.equal(pre.headers.get('access-control-allow-credentials'), null);
    const refused = await fetch(`${tb.base}/api/payword/chains`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'chrome-extension://x' },
      body: '{}',
    });
    assert.equal(refused.headers.get('access-control-allow-origin'), '*');
    assert.equal(refused.headers.get('set-cookie'), null);
  });
});

describe('PayWord: chain requests are rate-limited per address and per proven user', () => {
  test('junk naming a user does not use up their budget; past it: 429 with Retry-After, nothing held', async () => {
    const clock = new TestClock();
    const tb = await startBroker({ mint: false, now: clock.now, chainsPerMinute: 2, chainsPerMinutePerAddress: 8 });
    try {
      const b = new Browser(tb.base);
      const userId = await b.signUp('rate@example.com');
      await b.addFunds('1');
      const vendorKey = newAgreementKey().publicKey;
      const { json: v } = await postJson(`${tb.base}/api/vendors`, { origin: V, name: 'Shop' });
      await fetch(`${tb.base}/api/vendors/payword-key`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${v.apiKey}` },
        body: JSON.stringify({ key: toBase64(vendorKey) }),
      });
      const wallet = newSigningKey();
      await b.connectWallet(toBase64(wallet.publicKey));
      const chain = () =>
        makeChain({ broker: tb.base, userId, vendorId: V, vendorKey, length: 10, value: 1, expiresAt: seconds(clock.now()) + 600 });
      const post = (body: unknown) => postJson(`${tb.base}/api/payword/chains`, body);
      // Three forged requests naming the user: refused, and not counted against the user.
      for (let i = 0; i < 3; i++) assert.equal((await post(chainRequestBody(chain(), newSigningKey()))).status, 403);
      assert.equal((await post(chainRequestBody(chain(), wallet))).status, 201);
      assert.equal((await post(chainRequestBody(chain(), wallet))).status, 201);
      const limited = await post(chainRequestBody(chain(), wallet));
      assert.equal(limited.status, 429);
      assert.equal(limited.json.error, 'rate_limited');
      assert.ok(Number(limited.json.retryAfterSeconds) >= 1);
      assert.equal(await tb.broker.store.accounts.balance('user', userId), 1000 - 20);
      // The address's budget (8) is spent by now too: 6 requests so far, then 2 more, then 429 before the body is read.
      await post({});
      await post({});
      const r = await fetch(`${tb.base}/api/payword/chains`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(r.status, 429);
      assert.ok(r.headers.get('retry-after'));
    } finally {
      await tb.stop();
    }
  });
});
