import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BALL_BYTES,
  MICROMINT_MIME,
  buildCoin,
  coinId,
  encodeRequestCredit,
  epochFromJson,
  positions,
  setSuperbins,
  toBase64,
  toHex,
  userOffsets,
  vendorOffsets,
  verifyCoin,
  type FundsWithdrawn,
} from '@micromint/shared';
import { Browser, TestClock, coinsFor, decodeFundsWithdrawn, entry, forgeBall, postJson, startBroker, type TestBroker } from './helpers.ts';

const A = 'http://127.0.0.1:4101';
const B = 'http://127.0.0.1:4102';

describe('selling sets and redeeming coins', () => {
  let tb: TestBroker;
  let alice: Browser;
  let aliceId: string;
  let fw: FundsWithdrawn;
  let keyA: string;
  let keyB: string;
  let coinsA: Uint8Array[];
  let coinsB: Uint8Array[];
  const clock = new TestClock();
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const redeem = (key: string, body: unknown) => postJson(`${tb.base}/api/redeem`, body, auth(key));
  const me = async (key: string) =>
    (await fetch(`${tb.base}/api/vendors/me`, { headers: auth(key) })).json() as Promise<Record<string, number | string>>;
  const count = (table: string): Promise<number> => tb.sql.value<number>(`SELECT count(*) AS n FROM ${table}`);

  before(async () => {
    tb = await startBroker({ now: clock.now });
    alice = new Browser(tb.base);
    aliceId = await alice.signUp('alice@example.com');
    assert.equal((await alice.addFunds('5')).status, 303);
    fw = decodeFundsWithdrawn((await alice.buy(2)).text);
    const a = await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'Shop A' });
    const b = await postJson(`${tb.base}/api/vendors`, { origin: `${B}/`, name: 'Shop B' });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(b.json.vendorId, B);
    keyA = a.json.apiKey;
    keyB = b.json.apiKey;
    coinsA = coinsFor(fw, A);
    coinsB = coinsFor(fw, B);
  });
  after(() => tb.stop());

  test('epochs are published', async () => {
    const cur = await (await fetch(`${tb.base}/api/epochs/current`)).json();
    assert.equal(cur.broker, tb.base);
    assert.equal(cur.coinValueMills, 1);
    const p = epochFromJson(cur.epoch);
    assert.equal(p.id, tb.mint!.epoch.id);
    assert.deepEqual(p.key, tb.mint!.epoch.key);
    const byId = await fetch(`${tb.base}/api/epochs/${p.id}`);
    assert.deepEqual(await byId.json(), cur);
    const missing = await fetch(`${tb.base}/api/epochs/nope`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error, 'unknown_epoch');
  });

  test('a purchase: Funds-Withdrawn decodes, every ball verifies, sets follow the user offsets, balance debited', async () => {
    assert.equal(fw.userId, aliceId);
    assert.equal(fw.broker, tb.base);
    assert.equal(fw.sets.length, 2);
    for (const set of fw.sets) assert.deepEqual(set.superbins, setSuperbins(fw.epoch, aliceId, set.superbins[0]!));
    const price = fw.sets.reduce((n, s) => n + s.balls[0]!.size, 0);
    assert.equal(fw.coins, price);
    assert.equal(await tb.broker.store.accounts.balance('user', aliceId), 5000 - price);
    // Every ball of the sets is marked sold in the mint database.
    const sold = fw.sets.reduce((n, s) => n + s.balls.reduce((m, b) => m + b.size, 0), 0);
    assert.equal((await tb.broker.store.epochs.countByStatus(fw.epoch.id)).sold, sold);
    assert.ok(coinsA.length > 20, `${coinsA.length} coins for A`);
  });

  test('sets never overlap, across purchases and users', async () => {
    const bob = new Browser(tb.base);
    await bob.signUp('bob@example.com');
    await bob.addFunds('20');
    const bobFw = decodeFundsWithdrawn((await bob.buy(10)).text);
    const all = [...fw.sets, ...bobFw.sets].flatMap((s) => s.superbins);
    assert.equal(new Set(all).size, all.length, 'a superbin was sold twice');
    assert.equal(await count('set_superbins'), all.length);
  });

  let batch1: ReturnType<typeof entry>[];

  test('valid coins are credited one mill each', async () => {
    batch1 = coinsA.slice(0, 10).map((c) => entry(fw, c, A));
    const batch = batch1;
    const { status, json } = await redeem(keyA, { batchId: 'b1', coins: batch });
    assert.equal(status, 200);
    assert.equal(json.batchId, 'b1');
    assert.equal(json.credited, 10);
    assert.equal(json.creditedMills, 10);
    assert.deepEqual(
      json.results.map((r: { coinId: string; status: string }) => [r.coinId, r.status]),
      coinsA.slice(0, 10).map((c) => [coinId(c), 'credited']),
    );
    const m = await me(keyA);
    const { complaints, ...rest } = m;
    assert.deepEqual(rest, {
      vendorId: A,
      name: 'Shop A',
      balanceMills: 10,
      redeemedCoins: 10,
      refusedCoins: 0,
      doubleSpends: 0,
      paywordKey: null,
      clearedChains: 0,
      clearedLinks: 0,
      clearedMills: 0,
      disabled: false,
      disabledReason: null,
      disabledAt: null,
    });
    assert.deepEqual(
      [(complaints as any).complainers, (complaints as any).customers, (complaints as any).takingsMills, (complaints as any).met],
      [0, 1, 10, false],
    );
  });

  test('the same batchId replays the stored answer and pays nothing twice', async () => {
    const first = await redeem(keyA, { batchId: 'b1', coins: batch1 });
    assert.equal(first.status, 200);
    assert.equal(first.json.credited, 10);
    assert.ok(first.json.results.every((r: { status: string }) => r.status === 'credited'));
    assert.equal((await me(keyA)).balanceMills, 10);
    const other = await redeem(keyA, { batchId: 'b1', coins: coinsA.slice(10, 11).map((c) => entry(fw, c, A)) });
    assert.equal(other.status, 409);
    assert.equal(other.json.error, 'batch_mismatch');
    assert.equal((await me(keyA)).balanceMills, 10);
  });

  test('the same coins in a new batch are double spends: recorded, nobody paid', async () => {
    const batch = coinsA.slice(0, 3).map((c) => entry(fw, c, A));
    const { json } = await redeem(keyA, { batchId: 'b2', coins: batch });
    assert.equal(json.credited, 0);
    assert.deepEqual(
      json.results.map((r: { reason: string }) => r.reason),
      ['already-spent', 'already-spent', 'already-spent'],
    );
    const m = await me(keyA);
    assert.equal(m.balanceMills, 10);
    assert.equal(m.doubleSpends, 3);
    const ds = await tb.sql.rows<Record<string, string>>('SELECT * FROM double_spends ORDER BY id');
    assert.equal(ds.length, 3);
    assert.deepEqual(
      [ds[0]!.coin_id, ds[0]!.user_id, ds[0]!.vendor_id, ds[0]!.first_vendor_id, ds[0]!.batch_id, ds[0]!.reason],
      [coinId(coinsA[0]!), aliceId, A, A, 'b2', 'already-spent'],
    );
  });

  test('a coin whose first ball paid vendor A is a double spend at vendor B too', async () => {
    const paid = new Set(coinsA.slice(0, 10).map(coinId));
    const twin = coinsB.find((c) => paid.has(coinId(c)));
    assert.ok(twin, 'some first-superbin ball completes a coin for both vendors');
    const { json } = await redeem(keyB, { batchId: 'x1', coins: [entry(fw, twin, B)] });
    assert.deepEqual(json.results[0], { coinId: coinId(twin), status: 'refused', reason: 'already-spent' });
    assert.equal(await tb.sql.value('SELECT first_vendor_id FROM double_spends WHERE vendor_id = ?', B), A);
    assert.equal((await me(keyB)).balanceMills, 0);
  });

  test('a forged ball in the right slot passes the vendor check but not the broker', async () => {
    const coin = coinsA[11]!.slice();
    const i = 2;
    const original = coin.slice(i * BALL_BYTES, (i + 1) * BALL_BYTES);
    const check = verifyCoin(fw.epoch, coin, aliceId, A);
    assert.ok(check.ok);
    const forged = forgeBall(fw.epoch, original, { superbin: check.superbins[i]!, subbin: check.subbins[i]! });
    coin.set(forged, i * BALL_BYTES);
    assert.ok(verifyCoin(fw.epoch, coin, aliceId, A).ok, 'a vendor cannot tell');
    const { json } = await redeem(keyA, { batchId: 'f1', coins: [entry(fw, coin, A)] });
    assert.deepEqual(json.results[0], { coinId: coinId(coin), status: 'refused', reason: 'forged' });
    // The genuine coin is still good afterwards.
    const genuine = await redeem(keyA, { batchId: 'f2', coins: [entry(fw, coinsA[11]!, A)] });
    assert.equal(genuine.json.credited, 1);
  });

  test('coins for another vendor, or paid at another origin, are wrong-vendor', async () => {
    const forB = coinsB.find((c) => !coinsA.some((a) => coinId(a) === coinId(c)))!;
    const { json } = await redeem(keyA, {
      batchId: 'w1',
      coins: [entry(fw, forB, A), entry(fw, coinsA[12]!, A, { url: 'http://evil.example/x' })],
    });
    assert.deepEqual(
      json.results.map((r: { reason: string }) => r.reason),
      ['wrong-vendor', 'wrong-vendor'],
    );
    assert.equal(json.credited, 0);
  });

  test('a coin from a set never sold to that user is not-sold; another user ID is wrong-user', async () => {
    const store = tb.broker.store;
    const p = fw.epoch;
    const stranger = 'u_00000000deadbeef';
    const uh = userOffsets(p, stranger);
    const vh = vendorOffsets(p, A);
    const sold = await store.sets.soldSuperbins(p.id);
    let coin: Uint8Array | null = null;
    for (let sb = 0; sb < 2 ** p.u && !coin; sb++) {
      const superbins = positions(sb, uh, p.u);
      if (superbins.some((s) => sold.has(s))) continue;
      const balls = [];
      for (const s of superbins)
        balls.push(new Map((await store.epochs.ballsIn(p.id, s)).map((b) => [b.subbin, new Uint8Array(b.x)] as const)));
      const set = { superbins, balls };
      for (let s1 = 0; s1 < 2 ** p.v && !coin; s1++) coin = buildCoin(p, set, vh, s1);
    }
    assert.ok(coin, 'an unsold set holds a coin');
    const { json } = await redeem(keyA, {
      batchId: 'n1',
      coins: [entry(fw, coin, A, { userId: stranger }), entry(fw, coinsA[13]!, A, { userId: stranger })],
    });
    assert.deepEqual(
      json.results.map((r: { reason: string }) => r.reason),
      ['not-sold', 'wrong-user'],
    );
  });

  test('unknown epoch, expired and malformed coins are refused and set aside', async () => {
    const before = await count('rejected_coins');
    const { json } = await redeem(keyA, {
      batchId: 'r1',
      coins: [
        entry(fw, coinsA[14]!, A, { epoch: 'no-such-epoch' }),
        entry(fw, coinsA[14]!, A, { paidAt: '2999-01-01T00:00:00Z' }),
        { ...entry(fw, coinsA[14]!, A), coin: toBase64(new Uint8Array(20)) },
        { ...entry(fw, coinsA[14]!, A), coin: '***' },
      ],
    });
    assert.deepEqual(
      json.results.map((r: { reason: string }) => r.reason),
      ['unknown-epoch', 'expired', 'malformed', 'malformed'],
    );
    assert.equal(json.results[3].coinId, '');
    assert.equal(await count('rejected_coins'), before + 4);
    const reasons = await tb.sql.column("SELECT reason FROM rejected_coins WHERE batch_id = 'r1' ORDER BY id");
    assert.deepEqual(reasons, ['unknown-epoch', 'expired', 'malformed', 'malformed']);
  });

  test('bad requests get the right status and change nothing', async () => {
    const snapshot = () => Promise.all(['redemption_batches', 'redeemed', 'rejected_coins', 'ledger', 'double_spends'].map(count));
    const before = await snapshot();
    const coins = [entry(fw, coinsA[15]!, A)];
    const noKey = await postJson(`${tb.base}/api/redeem`, { batchId: 'z', coins });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.json.error, 'unauthorized');
    assert.equal((await postJson(`${tb.base}/api/redeem`, { batchId: 'z', coins }, auth('mmk_wrong-key-000000'))).status, 401);
    const badJson = await redeem(keyA, '{"batchId": "z", "coins": [');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.json.error, 'invalid_json');
    const huge = await redeem(keyA, JSON.stringify({ batchId: 'z', coins, pad: 'x'.repeat(5 * 1024 * 1024) }));
    assert.equal(huge.status, 413);
    assert.equal(huge.json.error, 'payload_too_large');
    assert.equal((await redeem(keyA, { batchId: 'z', coins: 'all of them' })).status, 400);
    assert.equal((await redeem(keyA, { batchId: 'z', coins: [] })).status, 422);
    assert.equal((await redeem(keyA, { batchId: 'z', coins: [{ ...coins[0], paidAt: 'yesterday' }] })).status, 422);
    assert.equal((await redeem(keyA, [1, 2])).status, 400);
    const text = await fetch(`${tb.base}/api/redeem`, {
      method: 'POST',
      headers: { ...auth(keyA), 'content-type': 'text/plain' },
      body: 'hi',
    });
    assert.equal(text.status, 415);
    assert.equal((await fetch(`${tb.base}/api/nowhere`)).status, 404);
    // Vendor registration.
    assert.equal((await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'again' })).status, 409);
    assert.equal((await postJson(`${tb.base}/api/vendors`, { origin: 'ftp://x.example', name: 'x' })).status, 422);
    assert.equal((await postJson(`${tb.base}/api/vendors`, { origin: 'http://x.example/shop', name: 'x' })).status, 422);
    assert.equal((await postJson(`${tb.base}/api/vendors`, { origin: 'http://x.example' })).status, 400);
    assert.equal((await postJson(`${tb.base}/api/vendors`, '{oops')).status, 400);
    assert.equal((await fetch(`${tb.base}/api/vendors/me`)).status, 401);
    assert.deepEqual(await snapshot(), before);
  });

  test('Request-Credit returns unspent first-superbin balls once; a returned ball cannot be spent', async () => {
    const store = tb.broker.store;
    const firstBalls = [...fw.sets[0]!.balls[0]!.values()];
    // The coins (first balls) of the first set that vendors redeemed.
    const redeemed = new Set<string>();
    for (const b of firstBalls) if (await store.vendors.redeemedBy(fw.epoch.id, toHex(b))) redeemed.add(toHex(b));
    const spentHere = firstBalls.filter((b) => redeemed.has(toHex(b))).length;
    assert.ok(spentHere > 0);
    const otherBall = [...fw.sets[0]!.balls[1]!.values()][0]!; // not a first-superbin ball: not a coin
    const message = encodeRequestCredit({ broker: tb.base, userId: aliceId, epoch: fw.epoch.id, balls: [...firstBalls, otherBall] });
    const send = (body: string, type = MICROMINT_MIME) =>
      fetch(`${tb.base}/api/credit`, { method: 'POST', headers: { 'content-type': type }, body });
    const balance0 = await store.accounts.balance('user', aliceId);
    // Returns open only when vendors' redemption period is over (returns.test.ts): until then, a 409.
    const { epoch } = await (await fetch(`${tb.base}/api/epochs/${fw.epoch.id}`)).json();
    const early = await send(message);
    assert.equal(early.status, 409);
    const refusal = await early.json();
    assert.deepEqual(Object.keys(refusal).sort(), ['error', 'message', 'returnsFrom']);
    assert.equal(refusal.error, 'returns_not_open');
    assert.equal(refusal.returnsFrom, epoch.returnsFrom);
    assert.match(refusal.message, new RegExp(`open at ${epoch.returnsFrom}`));
    assert.equal(await store.accounts.balance('user', aliceId), balance0);
    clock.set(epoch.returnsFrom);
    const res = await send(message);
    assert.equal(res.status, 200);
    const answer = await res.json();
    assert.equal(answer.credited, firstBalls.length - spentHere);
    assert.equal(answer.creditedMills, answer.credited);
    assert.deepEqual(
      answer.refused.map((r: { reason: string }) => r.reason).sort(),
      [...Array(spentHere).fill('already-spent'), 'not-sold'].sort(),
    );
    assert.equal(await store.accounts.balance('user', aliceId), balance0 + answer.credited);
    // Idempotent: the same message credits nothing more.
    const again = await (await send(message)).json();
    assert.equal(again.credited, 0);
    assert.equal(again.alreadyReturned, answer.credited);
    assert.equal(await store.accounts.balance('user', aliceId), balance0 + answer.credited);
    // Returns open means redemption closed: a vendor too late is told so.
    const returnedCoin = coinsB.find((c) => !redeemed.has(coinId(c)) && firstBalls.some((b) => toHex(b) === coinId(c)))!;
    const late = await redeem(keyB, { batchId: 'ret0', coins: [entry(fw, returnedCoin, B)] });
    assert.deepEqual(late.json.results[0], { coinId: coinId(returnedCoin), status: 'refused', reason: 'redemption-closed' });
    // Should the clock ever go back (or an operator lengthen the grace), a returned ball still pays nobody:
    // a coin whose first ball came back is a double spend with reason "returned".
    clock.set(Date.now());
    const { json } = await redeem(keyB, { batchId: 'ret1', coins: [entry(fw, returnedCoin, B)] });
    assert.deepEqual(json.results[0], { coinId: coinId(returnedCoin), status: 'refused', reason: 'returned' });
    const [ds] = await tb.sql.rows("SELECT reason, first_vendor_id FROM double_spends WHERE batch_id = 'ret1'");
    assert.deepEqual(ds, { reason: 'returned', first_vendor_id: null });
    clock.set(epoch.returnsFrom);
    // Bad Request-Credit requests change nothing.
    const balance1 = await store.accounts.balance('user', aliceId);
    assert.equal((await send('MicroMint-1.0\nGarbage\nEnd-MicroMint\n')).status, 400);
    assert.equal((await send(message, 'text/plain')).status, 415);
    assert.equal((await send(message.replace(tb.base, 'http://other.example'))).status, 422);
    assert.equal((await send('x'.repeat(3 * 1024 * 1024))).status, 413);
    const stranger = encodeRequestCredit({
      broker: tb.base,
      userId: 'u_0123456789abcdef',
      epoch: fw.epoch.id,
      balls: firstBalls.slice(0, 1),
    });
    assert.equal((await send(stranger)).status, 422);
    assert.equal(await store.accounts.balance('user', aliceId), balance1);
  });
});
