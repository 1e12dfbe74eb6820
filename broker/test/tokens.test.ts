/**
 * API tokens against a real broker on loopback with a real SQLite file: made on the account page (CSRF
 * checked, shown once, stored hashed), used on the token API (balance, purchases whose Funds-Withdrawn
 * message decodes, history, returns), a spending limit that refuses and changes nothing, a wallet key
 * connected with the token and a chain authorized for it (its hold charged to the token), revocation
 * (then 401, and the token's wallet key disconnected), bad input, the rate limit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { decodeFundsWithdrawn, decodeSendExpired, newAgreementKey, newSigningKey, toBase64 } from '@micromint/shared';
import { MAX_TOKENS_PER_USER } from '../src/core/tokens.ts';
import { TOKEN_CALLS_PER_MINUTE } from '../src/http/token-api.ts';
import { Browser, TestClock, chainRequestBody, makeChain, postJson, seconds, startBroker, type TestBroker } from './helpers.ts';

const V = 'http://127.0.0.1:4701';

/** Makes a token on the account page; returns the answer and the secret it shows. */
async function makeToken(b: Browser, name: string, limit = ''): Promise<{ status: number; page: string; secret: string | undefined }> {
  const csrf = await b.csrf('/account');
  const { res, text } = await b.post('/account/tokens', { name, limit }, { csrf });
  return { status: res.status, page: text, secret: /<code id="new-token"[^>]*>(mmt_[A-Za-z0-9_-]{43})<\/code>/.exec(text)?.[1] };
}

/** Calls the token API. */
async function call(
  base: string,
  path: string,
  o: { token?: string | null; method?: string; body?: unknown; type?: string } = {},
): Promise<{ status: number; json: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = o.type ?? 'application/json';
  const res = await fetch(base + path, {
    method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: left as text for the assertion to show
  }
  return { status: res.status, json, headers: res.headers };
}

describe('API tokens', () => {
  let tb: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let token: string;
  const clock = new TestClock();
  const api = (path: string, o: Parameters<typeof call>[2] = {}) => call(tb.base, path, { token, ...o });
  const balance = () => tb.broker.store.accounts.balance('user', aliceId);
  /** What a refused call must leave as it was. */
  const snapshot = async () => ({
    balance: await balance(),
    withdrawals: (await tb.broker.store.sets.withdrawalsOfUser(aliceId)).length,
    chains: (await tb.broker.store.chains.ofUser(aliceId)).length,
    tokens: (await tb.broker.store.tokens.ofUser(aliceId)).map((t) => ({ id: t.id, spent: t.spentMills })),
  });

  before(async () => {
    tb = await startBroker({ now: clock.now });
    alice = new Browser(tb.base);
    aliceId = await alice.signUp('alice@example.com');
    assert.equal((await alice.addFunds('10')).status, 303);
  });
  after(() => tb.stop());

  test('a token is made on the account page, shown once, stored only as its hash', async () => {
    const made = await makeToken(alice, 'laptop script');
    assert.equal(made.status, 201);
    assert.ok(made.secret, 'the answer shows the new token');
    token = made.secret;
    assert.match(made.page, /<section class="card" id="tokens">/);
    const again = await alice.get('/account');
    assert.equal(again.res.status, 200);
    assert.ok(!again.text.includes(token), 'the account page never shows the secret again');
    assert.match(again.text, /<tr data-token-id="t_[0-9a-f]{16}" data-limit-mills="" data-spent-mills="0">/);
    const rows = await tb.sql.column<Buffer>('SELECT secret_hash FROM api_tokens');
    assert.equal(rows.length, 1);
    if ('dbPath' in tb.storeOptions)
      assert.ok(!readFileSync(tb.storeOptions.dbPath).includes(token), 'the database file does not hold the secret');
  });

  test('making a token needs the CSRF token and this site as origin, and a name', async () => {
    const before = await tb.broker.store.tokens.countOfUser(aliceId);
    assert.equal((await alice.post('/account/tokens', { name: 'x' })).res.status, 403, 'no CSRF token');
    const csrf = await alice.csrf('/account');
    assert.equal((await alice.post('/account/tokens', { name: 'x' }, { csrf, origin: 'http://evil.example' })).res.status, 403);
    assert.equal((await alice.post('/account/tokens', { name: '  ' }, { csrf })).res.status, 422, 'empty name');
    assert.equal((await alice.post('/account/tokens', { name: 'x', limit: 'lots' }, { csrf })).res.status, 422, 'bad limit');
    assert.equal(await tb.broker.store.tokens.countOfUser(aliceId), before);
  });

  test('GET /api/me answers the account; a missing, malformed or unknown token is 401', async () => {
    const me = await api('/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    assert.equal(me.headers.get('access-control-allow-origin'), null);
    assert.equal(me.json.userId, aliceId);
    assert.equal(me.json.broker, tb.base);
    assert.equal(me.json.balanceMills, 10_000);
    assert.equal(me.json.epoch.id, tb.mint!.epoch.id);
    assert.deepEqual(me.json.walletKeys, []);
    assert.equal(me.json.token.name, 'laptop script');
    assert.deepEqual([me.json.token.limitMills, me.json.token.spentMills, me.json.token.leftMills], [null, 0, null]);
    assert.equal(me.json.token.lastUsedAt, clock.now().toISOString());
    for (const bad of [null, 'mmt_short', `mmt_${'A'.repeat(43)}`, `${token}x`]) {
      const r = await call(tb.base, '/api/me', { token: bad });
      assert.equal(r.status, 401, String(bad));
      assert.equal(r.json.error, 'invalid_token');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer /);
    }
  });

  test('POST /api/sets buys through the page rules: the message decodes, history and the page show it', async () => {
    const before = await balance();
    const bought = await api('/api/sets', { body: { count: 2, requestId: 'job-1' } });
    assert.equal(bought.status, 201);
    const fw = decodeFundsWithdrawn(bought.json.message);
    assert.equal(fw.userId, aliceId);
    assert.equal(fw.broker, tb.base);
    assert.equal(fw.withdrawalId, bought.json.withdrawalId);
    assert.equal(fw.sets.length, 2);
    assert.equal(fw.coins, bought.json.coins);
    assert.equal(bought.json.priceMills, bought.json.coins);
    assert.equal(bought.json.balanceMills, before - bought.json.priceMills);
    assert.equal(await balance(), before - bought.json.priceMills);
    assert.deepEqual(bought.json.token, { limitMills: null, spentMills: bought.json.priceMills, leftMills: null });
    // The same purchase the page delivers, byte for byte.
    const mm = await alice.get(`/withdrawals/${bought.json.withdrawalId}.mm`);
    assert.equal(mm.text, bought.json.message);
    assert.equal((await api(`/api/withdrawals/${bought.json.withdrawalId}`)).json.message, bought.json.message);
    const list = await api('/api/withdrawals');
    assert.equal(list.json.withdrawals[0].withdrawalId, bought.json.withdrawalId);
    const history = await api('/api/history?limit=5');
    assert.equal(history.json.balanceMills, await balance());
    assert.deepEqual(
      { kind: history.json.entries[0].kind, ref: history.json.entries[0].ref, amount: history.json.entries[0].amountMills },
      { kind: 'purchase', ref: bought.json.withdrawalId, amount: -bought.json.priceMills },
    );
    assert.ok((await alice.get('/account')).text.includes(`data-withdrawal-id="${bought.json.withdrawalId}"`));

    // A lost answer, sent again with its requestId: the same purchase, nothing bought twice.
    const state = await snapshot();
    const replay = await api('/api/sets', { body: { count: 2, requestId: 'job-1' } });
    assert.equal(replay.status, 200);
    assert.equal(replay.json.withdrawalId, bought.json.withdrawalId);
    assert.equal(replay.json.message, bought.json.message);
    const mismatch = await api('/api/sets', { body: { count: 1, requestId: 'job-1' } });
    assert.equal(mismatch.status, 409);
    assert.equal(mismatch.json.error, 'request_mismatch');
    assert.deepEqual(await snapshot(), state);
  });

  test('bad input is a typed JSON error and changes nothing', async () => {
    const state = await snapshot();
    const cases: [NonNullable<Parameters<typeof call>[2]>, number, string][] = [
      [{ body: { count: 0 } }, 422, 'invalid_value'],
      [{ body: { count: 10_000 } }, 422, 'invalid_value'],
      [{ body: { count: '1' } }, 400, 'invalid_request'],
      [{ body: { count: 1.5 } }, 400, 'invalid_request'],
      [{ body: [1] }, 400, 'invalid_request'],
      [{ body: { count: 1, requestId: 'no spaces' } }, 422, 'invalid_value'],
      [{ body: '{"count":', type: 'application/json' }, 400, 'invalid_json'],
      [{ body: 'count=1', type: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
      [{ body: { count: 1, pad: 'x'.repeat(2000) } }, 413, 'payload_too_large'],
    ];
    for (const [o, status, error] of cases) {
      const r = await api('/api/sets', o);
      assert.equal(r.status, status, JSON.stringify(o.body));
      assert.equal(r.json.error, error);
      assert.ok(!/\n\s+at /.test(JSON.stringify(r.json)), 'no stack trace');
    }
    assert.equal((await api('/api/history?limit=0')).status, 422);
    assert.equal((await api('/api/withdrawals/w_0000000000000000')).status, 404);
    assert.equal((await api('/api/wallet-keys', { body: { walletKey: 'not a key' } })).json.error, 'invalid_wallet_key');
    assert.equal((await api('/api/wallet-keys', { body: { walletKey: 7 } })).status, 400);
    assert.deepEqual(await snapshot(), state);
  });

  test('a spending limit refuses a purchase over it with 403 and changes nothing', async () => {
    const tiny = (await makeToken(alice, 'one mill', '0.001')).secret!;
    const state = await snapshot();
    const r = await call(tb.base, '/api/sets', { token: tiny, body: { count: 1 } });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'spending_limit');
    assert.deepEqual([r.json.limitMills, r.json.spentMills, r.json.leftMills], [1, 0, 1]);
    assert.ok(r.json.neededMills > 1);
    assert.deepEqual(await snapshot(), state, 'no set sold, nothing debited, nothing spent');

    const capped = (await makeToken(alice, 'ten dollars', '$10')).secret!;
    const ok = await call(tb.base, '/api/sets', { token: capped, body: { count: 1 } });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.json.token, { limitMills: 10_000, spentMills: ok.json.priceMills, leftMills: 10_000 - ok.json.priceMills });
    const me = await call(tb.base, '/api/me', { token: capped });
    assert.equal(me.json.token.leftMills, 10_000 - ok.json.priceMills);
  });

  test('a wallet key connected with a token gets chains authorized; its holds count against the limit', async () => {
    const apiKey = (await postJson(`${tb.base}/api/vendors`, { origin: V, name: 'Chain shop' })).json.apiKey as string;
    const vendorKey = newAgreementKey().publicKey;
    const put = await fetch(`${tb.base}/api/vendors/payword-key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: toBase64(vendorKey) }),
    });
    assert.equal(put.status, 200);
    const limited = (await makeToken(alice, 'agent', '0.1')).secret!;
    const wallet = newSigningKey();
    const connected = await call(tb.base, '/api/wallet-keys', { token: limited, body: { walletKey: toBase64(wallet.publicKey) } });
    assert.deepEqual([connected.status, connected.json], [201, { walletKey: toBase64(wallet.publicKey), added: true }]);
    const again = await call(tb.base, '/api/wallet-keys', { token: limited, body: { walletKey: toBase64(wallet.publicKey) } });
    assert.deepEqual([again.status, again.json.added], [200, false]);
    assert.deepEqual((await call(tb.base, '/api/me', { token: limited })).json.walletKeys, [toBase64(wallet.publicKey)]);

    const chain = (length: number) =>
      makeChain({ broker: tb.base, userId: aliceId, vendorId: V, vendorKey, length, value: 1, expiresAt: seconds(clock.now()) + 600 });
    const before = await balance();
    const held = await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(chain(60), wallet));
    assert.equal(held.status, 201);
    assert.equal(held.json.heldMills, 60);
    assert.equal(await balance(), before - 60);
    assert.equal((await call(tb.base, '/api/me', { token: limited })).json.token.spentMills, 60);

    const state = await snapshot();
    const over = await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(chain(41), wallet));
    assert.equal(over.status, 403);
    assert.equal(over.json.error, 'spending_limit');
    assert.deepEqual([over.json.leftMills, over.json.neededMills], [40, 41]);
    assert.deepEqual(await snapshot(), state, 'nothing held');
    assert.equal((await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(chain(40), wallet))).status, 201);

    // Revoking the token disconnects the key it connected: no new chain for it.
    const id = (await tb.broker.store.tokens.ofUser(aliceId)).find((t) => t.name === 'agent')!.id;
    const csrf = await alice.csrf('/account');
    const revoked = await alice.post('/account/tokens/delete', { tokenId: id }, { csrf });
    assert.equal(revoked.res.status, 303);
    assert.equal(revoked.res.headers.get('location'), '/account?msg=token-revoked#tokens');
    assert.equal((await call(tb.base, '/api/me', { token: limited })).status, 401);
    assert.equal((await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(chain(1), wallet))).json.error, 'wallet_not_connected');
  });

  test('a key the token connected and the page disconnected is no longer the token’s', async () => {
    const readOnly = (await makeToken(alice, 'read only', '0')).secret!;
    const wallet = newSigningKey();
    const key = toBase64(wallet.publicKey);
    assert.equal((await call(tb.base, '/api/wallet-keys', { token: readOnly, body: { walletKey: key } })).status, 201);
    assert.ok(await tb.broker.store.tokens.tokenOfKey(aliceId, wallet.publicKey));
    let csrf = await alice.csrf('/account');
    assert.equal((await alice.post('/account/wallet-key/delete', { walletKey: key }, { csrf })).res.status, 303);
    assert.equal(await tb.broker.store.tokens.tokenOfKey(aliceId, wallet.publicKey), undefined);
    // Connected again on the page: the reader's own key, not limited by the token.
    assert.equal((await alice.connectWallet(key)).res.status, 303);
    const vendorKey = (await tb.broker.store.paywordKeys.vendorKey(V))!.key;
    const c = makeChain({
      broker: tb.base,
      userId: aliceId,
      vendorId: V,
      vendorKey,
      length: 5,
      value: 1,
      expiresAt: seconds(clock.now()) + 600,
    });
    assert.equal((await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(c, wallet))).status, 201);
    csrf = await alice.csrf('/account');
    await alice.post('/account/wallet-key/delete', { walletKey: key }, { csrf });
  });

  test('a revoked token is 401; DELETE /api/token revokes the token itself', async () => {
    const mine = (await makeToken(alice, 'to drop')).secret!;
    assert.equal((await call(tb.base, '/api/me', { token: mine })).status, 200);
    const del = await call(tb.base, '/api/token', { token: mine, method: 'DELETE' });
    assert.equal(del.status, 204);
    const after = await call(tb.base, '/api/sets', { token: mine, body: { count: 1 } });
    assert.deepEqual([after.status, after.json.error], [401, 'invalid_token']);
    const csrf = await alice.csrf('/account');
    assert.equal((await alice.post('/account/tokens/delete', { tokenId: 't_0000000000000000' }, { csrf })).res.status, 404);
  });

  test(`an account holds at most ${MAX_TOKENS_PER_USER} tokens`, async () => {
    while ((await tb.broker.store.tokens.countOfUser(aliceId)) < MAX_TOKENS_PER_USER)
      assert.equal((await makeToken(alice, 'more')).status, 201);
    const page = await alice.get('/account');
    assert.ok(!page.text.includes('id="token-form"'), 'the form gives way to a notice');
    const csrf = await alice.csrf('/account');
    assert.equal((await alice.post('/account/tokens', { name: 'one too many' }, { csrf })).res.status, 409);
    assert.equal(await tb.broker.store.tokens.countOfUser(aliceId), MAX_TOKENS_PER_USER);
  });

  test(`one token makes at most ${TOKEN_CALLS_PER_MINUTE} calls a minute`, async () => {
    const fresh = (await tb.broker.store.tokens.ofUser(aliceId))[0]!;
    const csrf = await alice.csrf('/account');
    await alice.post('/account/tokens/delete', { tokenId: fresh.id }, { csrf });
    const busy = (await makeToken(alice, 'busy')).secret!;
    for (let i = 0; i < TOKEN_CALLS_PER_MINUTE; i++) assert.equal((await call(tb.base, '/api/me', { token: busy })).status, 200);
    const limited = await call(tb.base, '/api/me', { token: busy });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await call(tb.base, '/api/me', { token })).status, 200, 'another token is not limited');
  });
  test('GET /api/returns gives the Send-Expired of epochs whose returns are open', async () => {
    const closed = await api('/api/returns');
    assert.equal(closed.status, 200);
    assert.equal(closed.json.returns.length, 1);
    assert.deepEqual([closed.json.returns[0].open, closed.json.returns[0].sendExpired], [false, null]);
    clock.set(Date.parse(closed.json.returns[0].returnsFrom) + 1000);
    const open = (await api('/api/returns')).json.returns[0];
    assert.equal(open.open, true);
    const se = decodeSendExpired(open.sendExpired);
    assert.deepEqual([se.userId, se.epoch, se.returnUrl], [aliceId, tb.mint!.epoch.id, `${tb.base}/api/credit`]);
  });
});
