/**
 * Redemption in batches (core/redeem-judge.ts, core/redeem.ts): a mixed batch gets, coin by coin and in
 * request order, the answer the protocol's checks give (docs/protocol.md section 7), and writes exactly
 * that: one redemption per coin, double spends recorded with who was paid first, refusals set aside, one
 * ledger line. A batch whose write fails changes nothing. Real server, real SQLite file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BALL_BYTES, coinId, fromBase64, slotOfBall, toBase64, verifyCoin, type FundsWithdrawn } from '@micromint/shared';
import { coinBytesOf } from '../src/core/redeem-request.ts';
import { Browser, coinsFor, decodeFundsWithdrawn, entry, forgeBall, postJson, startBroker, type TestBroker } from './helpers.ts';

const A = 'http://127.0.0.1:4801';
const B = 'http://127.0.0.1:4802';

/** A trigger that makes every write of a redeemed coin fail, as a full disk would, and its removal. */
const FAIL_REDEMPTION = {
  sqlite: {
    create: ["CREATE TEMP TRIGGER fail_redemption BEFORE INSERT ON redeemed BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
    drop: ['DROP TRIGGER fail_redemption'],
  },
  postgres: {
    create: [
      "CREATE FUNCTION fail_redemption() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
      'CREATE TRIGGER fail_redemption BEFORE INSERT ON redeemed FOR EACH ROW EXECUTE FUNCTION fail_redemption()',
    ],
    drop: ['DROP TRIGGER fail_redemption ON redeemed', 'DROP FUNCTION fail_redemption()'],
  },
};

describe('redemption in batches', () => {
  let tb: TestBroker;
  let fw: FundsWithdrawn;
  let bobFw: FundsWithdrawn;
  let keyA: string;
  let keyB: string;
  let coinsA: Uint8Array[];
  const redeem = (key: string, batchId: string, coins: unknown[]) =>
    postJson(`${tb.base}/api/redeem`, { batchId, coins }, { authorization: `Bearer ${key}` });
  const rows = (sql: string, ...args: unknown[]) => tb.sql.rows(sql, ...args);
  const statusOfCoin = async (coin: Uint8Array) => {
    const s = slotOfBall(fw.epoch, coin.subarray(0, BALL_BYTES));
    return (await tb.broker.store.epochs.ballAt(fw.epoch.id, s.superbin, s.subbin))?.status;
  };
  const statusesOf = (coins: Uint8Array[]) => Promise.all(coins.map(statusOfCoin));
  /** Checks that batch `batchId` of A redeemed exactly the coins `ids` (first balls) of `fw`'s epoch. */
  const assertRedeemed = async (batchId: string, ids: Set<string>) => {
    assert.equal(await tb.sql.value('SELECT sum(coins) FROM redeemed_batches WHERE vendor_id = ? AND batch_id = ?', A, batchId), ids.size);
    for (const id of ids) assert.equal(await tb.broker.store.vendors.redeemedBy(fw.epoch.id, id), A, id);
  };
  const reasons = (json: { results: { status: string; reason?: string }[] }) => json.results.map((r) => r.reason ?? r.status);

  before(async () => {
    tb = await startBroker();
    const alice = new Browser(tb.base);
    await alice.signUp('alice@example.com');
    await alice.addFunds('5');
    fw = decodeFundsWithdrawn((await alice.buy(3)).text);
    const bob = new Browser(tb.base);
    await bob.signUp('bob@example.com');
    await bob.addFunds('2');
    bobFw = decodeFundsWithdrawn((await bob.buy(1)).text);
    keyA = (await postJson(`${tb.base}/api/vendors`, { origin: A, name: 'Shop A' })).json.apiKey;
    keyB = (await postJson(`${tb.base}/api/vendors`, { origin: B, name: 'Shop B' })).json.apiKey;
    coinsA = coinsFor(fw, A);
    assert.ok(coinsA.length > 60, `${coinsA.length} coins`);
  });
  after(() => tb.stop());

  test('a mixed batch: each coin its own answer in request order, and exactly that written', async () => {
    const store = tb.broker.store;
    const p = fw.epoch;
    // Spent before the batch: at B, a coin whose first ball is also the first ball of one of A's coins.
    const paidAtB = coinsFor(fw, B).find((c) => coinsA.slice(10).some((a) => coinId(a) === coinId(c)))!;
    const twinAtA = coinsA.find((a) => coinId(a) === coinId(paidAtB))!;
    assert.equal((await redeem(keyB, 'b-first', [entry(fw, paidAtB, B)])).json.credited, 1);
    // A ball returned for credit, and a compromised ball, set as the broker's operations set them.
    const [returned, compromised] = [coinsA[5]!, coinsA[6]!];
    const slot = (c: Uint8Array, i: number) => slotOfBall(p, c.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES));
    await store.transaction(async () => {
      await store.epochs.setStatus(p.id, slot(returned, 0).superbin, slot(returned, 0).subbin, 'returned');
      await store.epochs.setStatus(p.id, slot(compromised, 2).superbin, slot(compromised, 2).subbin, 'compromised');
    });
    const forged = coinsA[7]!.slice();
    const check = verifyCoin(p, forged, fw.userId, A);
    assert.ok(check.ok);
    forged.set(
      forgeBall(p, forged.subarray(BALL_BYTES, 2 * BALL_BYTES), { superbin: check.superbins[1]!, subbin: check.subbins[1]! }),
      BALL_BYTES,
    );
    const duplicate = coinsA[8]!.slice();
    duplicate.copyWithin(BALL_BYTES, 0, BALL_BYTES);
    const noFixedBits = coinsA[9]!.slice();
    for (let n = 0; slotOfBall(p, noFixedBits.subarray(0, BALL_BYTES)).fixedOk; n++) noFixedBits[0] = n;
    const good = entry(fw, coinsA[0]!, A);
    const batch = [
      good,
      entry(fw, coinsA[1]!, A),
      good, // spent twice within the batch
      entry(fw, twinAtA, A), // spent against the database
      entry(fw, coinsA[2]!, A, { epoch: 'no-such-epoch' }),
      entry(fw, coinsA[3]!, A, { paidAt: '2999-01-01T00:00:00.000Z' }),
      entry(fw, returned, A),
      entry(fw, compromised, A),
      entry(fw, forged, A),
      entry(fw, duplicate, A),
      entry(fw, noFixedBits, A),
      entry(fw, coinsA[4]!, A, { userId: bobFw.userId }),
      entry(fw, coinsA[4]!, A, { url: 'http://elsewhere.example/x' }),
      entry(fw, coinsFor(bobFw, A)[0]!, A, { userId: bobFw.userId }),
      { ...entry(fw, coinsA[11]!, A), coin: toBase64(coinsA[11]!).replace(/.=$/, (m) => String.fromCharCode(m.charCodeAt(0) + 1) + '=') },
    ];
    const before = await store.accounts.balance('vendor', A);
    const { status, json } = await redeem(keyA, 'mixed', batch);
    assert.equal(status, 200);
    assert.deepEqual(reasons(json), [
      'credited',
      'credited',
      'already-spent',
      'already-spent',
      'unknown-epoch',
      'expired',
      'returned',
      'forged',
      'forged',
      'duplicate-ball',
      'fixed-bits',
      'wrong-user',
      'wrong-vendor',
      'credited',
      'malformed',
    ]);
    assert.deepEqual(
      json.results.map((r: { coinId: string }) => r.coinId),
      batch.map((e, i) => (i === batch.length - 1 ? '' : coinId(fromBase64(e.coin)))),
    );
    assert.equal(json.credited, 3);
    assert.equal(await store.accounts.balance('vendor', A), before + 3);
    const credited = [batch[0]!, batch[1]!, batch[13]!];
    await assertRedeemed('mixed', new Set(credited.map((e) => coinId(fromBase64(e.coin)))));
    // The SQLite view `redeemed_coins` shows each coin whole.
    if (store.kind === 'sqlite')
      assert.deepEqual(
        await rows("SELECT coin_id, user_id, url, paid_at FROM redeemed_coins WHERE batch_id = 'mixed' ORDER BY coin_id"),
        credited
          .map((e) => ({
            coin_id: coinId(fromBase64(e.coin)),
            user_id: e.userId,
            url: e.url,
            paid_at: e.paidAt,
          }))
          .sort((a, b) => (a.coin_id < b.coin_id ? -1 : 1)),
      );
    assert.deepEqual(
      await rows("SELECT coin_id, first_vendor_id, reason, attempts FROM double_spends WHERE batch_id = 'mixed' ORDER BY id"),
      [
        { coin_id: coinId(coinsA[0]!), first_vendor_id: A, reason: 'already-spent', attempts: 1 },
        { coin_id: coinId(twinAtA), first_vendor_id: B, reason: 'already-spent', attempts: 1 },
        { coin_id: coinId(returned), first_vendor_id: null, reason: 'returned', attempts: 1 },
      ],
    );
    const refused = reasons(json).filter((r) => r !== 'credited');
    assert.deepEqual(
      (await rows("SELECT reason FROM rejected_coins WHERE batch_id = 'mixed' ORDER BY id")).map((r) => r.reason),
      refused,
    );
    assert.equal(await store.refusals.total(A), refused.length);
    assert.deepEqual(await statusesOf([coinsA[0]!, coinsA[1]!, twinAtA, returned]), ['redeemed', 'redeemed', 'redeemed', 'returned']);
    assert.deepEqual(await statusesOf([coinsA[2]!, coinsA[3]!, coinsA[4]!]), ['sold', 'sold', 'sold'], 'refused coins keep their status');

    // Each coin judged alone gets the same answer as in the batch (those the batch did not change).
    for (const i of [4, 5, 7, 8, 9, 10, 11, 12, 14]) {
      const alone = await redeem(keyA, `alone-${i}`, [batch[i]]);
      assert.equal(reasons(alone.json)[0], reasons(json)[i], `coin ${i}`);
    }
    // The same batch again: the stored answer, nothing paid or recorded twice.
    const replay = await redeem(keyA, 'mixed', batch);
    assert.deepEqual(replay.json, json);
    assert.equal(await store.accounts.balance('vendor', A), before + 3);
    assert.equal((await rows("SELECT * FROM double_spends WHERE batch_id = 'mixed'")).length, 3);
  });

  test('every coin of the sets sent twice in one batch: each paid once, every repeat recorded', async () => {
    const fresh = coinsA.slice(20);
    const batch = [...fresh, ...fresh].map((c) => entry(fw, c, A));
    const before = await tb.broker.store.accounts.balance('vendor', A);
    const { json } = await redeem(keyA, 'twice', batch);
    const firstBalls = new Set(fresh.map(coinId));
    assert.equal(json.credited, firstBalls.size);
    assert.equal(await tb.broker.store.accounts.balance('vendor', A), before + firstBalls.size);
    assert.equal(reasons(json).filter((r) => r === 'already-spent').length, batch.length - firstBalls.size);
    await assertRedeemed('twice', firstBalls);
  });

  test('a batch whose write fails changes nothing, and a retry pays', async () => {
    const coins = coinsFor(bobFw, A)
      .slice(1, 6)
      .map((c) => entry(bobFw, c, A));
    const snapshot = async () => ({
      balance: await tb.broker.store.accounts.balance('vendor', A),
      statuses: await statusesOf(coins.map((e) => fromBase64(e.coin))),
      tables: await Promise.all(
        [
          'redeemed',
          'redeemed_batches',
          'redeemed_payers',
          'redeemed_pages',
          'double_spends',
          'rejected_coins',
          'redemption_batches',
          'ledger',
          'mint_flags',
        ].map((t) => tb.sql.value<number>(`SELECT count(*) FROM ${t}`)),
      ),
      flags: await rows('SELECT * FROM mint_flags ORDER BY id'),
    });
    const before = await snapshot();
    // The coins' rows are the last of the batch's redeemed-coin writes: the batch, payer and page rows go back too.
    const fail = FAIL_REDEMPTION[tb.broker.store.kind];
    for (const sql of fail.create) await tb.sql.rows(sql);
    try {
      assert.equal((await redeem(keyA, 'fails', coins)).status, 500);
    } finally {
      for (const sql of fail.drop) await tb.sql.rows(sql);
    }
    assert.deepEqual(await snapshot(), before);
    const retry = await redeem(keyA, 'fails', coins);
    assert.equal(retry.json.credited, coins.length);
  });

  test('coin bytes are read from exactly the base64 strings shared reads', () => {
    const coin = toBase64(coinsA[0]!);
    for (const s of [
      coin,
      coin.slice(0, -2),
      coin.slice(0, -1),
      `${coin}=`,
      coin.replace(/.=$/, 'B='),
      ` ${coin}`,
      coin.replace('+', '-'),
      'AAAA',
      'AA==',
      'AA=A',
      '====',
      'QQ==',
      'QR==',
      '@@@@',
    ]) {
      let want: string | undefined;
      try {
        want = Buffer.from(fromBase64(s)).toString('hex');
      } catch {
        want = undefined;
      }
      const got = coinBytesOf({ coin: s } as Parameters<typeof coinBytesOf>[0]);
      assert.equal(got && Buffer.from(got).toString('hex'), want, JSON.stringify(s));
    }
  });
});
