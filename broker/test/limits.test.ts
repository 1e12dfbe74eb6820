/**
 * Bounded storage and rates for what anyone can send: the flood of junk coins that grew the database by
 * 21 MB in three calls, one real coin sent 10,000 times, and the rate limits on registration, redemption
 * and Request-Credit. Real servers and SQLite files.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MICROMINT_MIME, encodeRequestCredit } from '@micromint/shared';
import { KEPT_PER_BATCH, KEPT_PER_VENDOR, KEPT_REFUSED_BATCHES, MAX_BATCH_COINS } from '../src/index.ts';
import { Browser, coinsFor, decodeFundsWithdrawn, entry, postJson, startBroker, type TestBroker } from './helpers.ts';

const FLOOD = 'http://127.0.0.1:4801';

describe("bounded storage for anyone's input", () => {
  let tb: TestBroker;
  let key: string;
  /** What the store takes on disk: the SQLite file's pages, or the schema's tables, indexes and TOAST. */
  const bytes = (): Promise<number> =>
    tb.broker.store.kind === 'sqlite'
      ? tb.sql.value<number>('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()')
      : tb.sql.value<number>(
          `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r'`,
        );
  const count = (sql: string): Promise<number> => tb.sql.value<number>(sql);
  const redeem = (body: unknown) => postJson(`${tb.base}/api/redeem`, body, { authorization: `Bearer ${key}` });
  /** `n` random coins, as an attacker sends them: 64 random bytes, long URLs. */
  const junk = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({
      epoch: tb.mint!.epoch.id,
      userId: 'u_0123456789abcdef',
      coin: randomBytes(64).toString('base64'),
      url: `${FLOOD}/${'x'.repeat(300)}/${tag}/${i}`,
      paidAt: new Date().toISOString(),
    }));

  before(async () => {
    tb = await startBroker({ redeemsPerMinute: 10_000, redeemsPerMinutePerAddress: 10_000 });
    key = (await postJson(`${tb.base}/api/vendors`, { origin: FLOOD, name: 'Flood' })).json.apiKey;
  });
  after(() => tb.stop());

  let first: { body: unknown; answer: unknown };

  test('three calls of 10,000 junk coins: every coin answered, every refusal counted, the database grows by little', async () => {
    const start = await bytes();
    for (let call = 0; call < 3; call++) {
      const body = { batchId: `flood-${call}`, coins: junk(MAX_BATCH_COINS, String(call)) };
      const r = await redeem(body);
      assert.equal(r.status, 200);
      assert.equal(r.json.results.length, MAX_BATCH_COINS);
      assert.equal(r.json.credited, 0);
      if (call === 0) first = { body, answer: r.json };
    }
    const growth = (await bytes()) - start;
    console.log(`# flood of 30,000 junk coins: database grew ${growth} bytes (was 21,213,184 when each refusal was a row)`);
    assert.ok(growth < 512 * 1024, `the database grew ${growth} bytes`);
    assert.equal(await count('SELECT count(*) FROM rejected_coins'), 3 * KEPT_PER_BATCH);
    assert.equal(await count('SELECT sum(count) FROM refusal_counts'), 30_000);
    assert.ok((await count('SELECT max(length(answer)) FROM redemption_batches')) <= MAX_BATCH_COINS + 20);
    assert.ok((await count('SELECT max(length(coin) + length(url)) FROM rejected_coins')) <= 256 + 512);
    const me = await (await fetch(`${tb.base}/api/vendors/me`, { headers: { authorization: `Bearer ${key}` } })).json();
    assert.equal(me.refusedCoins, 30_000);
  });

  test('the same batchId still replays the stored answer exactly, and storing nothing more', async () => {
    const start = await bytes();
    const again = await redeem(first.body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, first.answer);
    assert.equal(await bytes(), start);
    assert.equal(await count('SELECT sum(count) FROM refusal_counts'), 30_000, 'a replay counts nothing again');
  });

  test('more floods keep a vendor at its caps: refused coins kept in full, and answers of batches that paid nothing', async () => {
    for (let i = 0; i < KEPT_PER_VENDOR / KEPT_PER_BATCH + 2; i++)
      assert.equal((await redeem({ batchId: `more-${i}`, coins: junk(KEPT_PER_BATCH, `m${i}`) })).status, 200);
    assert.equal(await count('SELECT count(*) FROM rejected_coins'), KEPT_PER_VENDOR);
    for (let i = 0; i < KEPT_REFUSED_BATCHES + 5; i++)
      assert.equal((await redeem({ batchId: `tiny-${i}`, coins: junk(1, `t${i}`) })).status, 200);
    assert.equal(await count('SELECT count(*) FROM redemption_batches'), KEPT_REFUSED_BATCHES);
    assert.equal(await count("SELECT count(*) FROM redemption_batches WHERE batch_id = 'flood-0'"), 0, 'the oldest went first');
    // A pruned batch sent again is judged afresh: the same answer, and still nothing paid.
    const again = await redeem(first.body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, first.answer);
    assert.equal(await tb.broker.store.accounts.balance('vendor', FLOOD), 0);
  });

  test('one real coin sent 10,000 times is paid once and recorded as one double spend with its attempts', async () => {
    const u = new Browser(tb.base);
    await u.signUp('u@example.com');
    await u.addFunds('1');
    const fw = decodeFundsWithdrawn((await u.buy(1)).text);
    const coin = coinsFor(fw, FLOOD)[0]!;
    const r = await redeem({ batchId: 'one-coin', coins: Array.from({ length: MAX_BATCH_COINS }, () => entry(fw, coin, FLOOD)) });
    assert.equal(r.json.credited, 1);
    assert.equal(await tb.broker.store.accounts.balance('vendor', FLOOD), 1);
    assert.equal(await count('SELECT count(*) FROM double_spends'), 1);
    assert.equal(await count('SELECT attempts FROM double_spends'), MAX_BATCH_COINS - 1);
  });
});

describe('rate limits per address and per key', () => {
  let tb: TestBroker;
  const A = 'http://127.0.0.1:4811';
  const B = 'http://127.0.0.1:4812';

  before(async () => {
    tb = await startBroker({ registrationsPerHour: 2, redeemsPerMinute: 2, redeemsPerMinutePerAddress: 4, creditsPerMinute: 2 });
  });
  after(() => tb.stop());

  let keyA: string;
  let keyB: string;

  test('vendor registration: the API and the site form share one budget per address; past it a 429 that stores nothing', async () => {
    keyA = (await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'A' })).json.apiKey;
    const b = new Browser(tb.base);
    await b.signUp('owner@example.com');
    const form = await b.post('/vendors', { origin: B, name: 'B' }, { csrf: await b.csrf('/vendors') });
    assert.equal(form.res.status, 201);
    keyB = /id="api-key">(mmk_[A-Za-z0-9_-]+)</.exec(form.text)![1]!;
    const res = await fetch(`${tb.base}/api/vendors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ origin: 'http://c.example', name: 'C' }),
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.ok(res.headers.get('ratelimit-policy'));
    const json = await res.json();
    assert.equal(json.error, 'rate_limited');
    assert.match(json.message, /at most 2 vendor registrations an hour/);
    assert.ok(json.retryAfterSeconds > 0);
    const page = await b.post('/vendors', { origin: 'http://d.example', name: 'D' }, { csrf: await b.csrf('/vendors') });
    assert.equal(page.res.status, 429);
    assert.match(page.text, /Too many registrations/);
    assert.equal((await tb.broker.store.vendors.all()).length, 2);
  });

  test('redemption: per API key, and per address over all keys; limited requests store nothing', async () => {
    const batches = () => tb.sql.value<number>('SELECT count(*) FROM redemption_batches');
    const coin = (origin: string) => ({
      epoch: tb.mint!.epoch.id,
      userId: 'u_0123456789abcdef',
      coin: 'AAAA',
      url: `${origin}/x`,
      paidAt: new Date().toISOString(),
    });
    const redeem = (key: string, origin: string, id: string) =>
      postJson(`${tb.base}/api/redeem`, { batchId: id, coins: [coin(origin)] }, { authorization: `Bearer ${key}` });
    assert.equal((await redeem(keyA, A, 'a1')).status, 200);
    assert.equal((await redeem(keyA, A, 'a2')).status, 200);
    const limited = await redeem(keyA, A, 'a3');
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error, 'rate_limited');
    assert.match(limited.json.message, /for one API key/);
    // The address has made 3 requests (the refused one counts there too): one more is allowed.
    assert.equal((await redeem(keyB, B, 'b1')).status, 200, 'another key has its own budget');
    const byAddress = await redeem(keyB, B, 'b2');
    assert.equal(byAddress.status, 429);
    assert.match(byAddress.json.message, /from one address/);
    assert.equal(await batches(), 3);
  });

  test('Request-Credit: per address, with the CORS header still set', async () => {
    const body = encodeRequestCredit({
      broker: tb.base,
      userId: 'u_0123456789abcdef',
      epoch: tb.mint!.epoch.id,
      balls: [new Uint8Array(16)],
    });
    const send = () => fetch(`${tb.base}/api/credit`, { method: 'POST', headers: { 'content-type': MICROMINT_MIME }, body });
    for (let i = 0; i < 2; i++) assert.notEqual((await send()).status, 429);
    const res = await send();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal((await res.json()).error, 'rate_limited');
  });
});
