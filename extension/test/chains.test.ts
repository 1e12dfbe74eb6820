/**
 * PayWord chains in the wallet: opening one (committed, signed, authorized, recorded before the
 * broker is asked), paying from it (a range reserved and the payment written in one transaction;
 * the link verifies against the root and its MAC under the vendor's key), two payments at once, a
 * crash between reserving and sending, and what each answer of the vendor does.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCommitment, decodePaymentPayload, encodeHeader, readPaywordPayload, toBase64, X402_VERSION } from '@micromint/shared';
import { ChainOpener } from '../src/background/chain-opener.ts';
import { PaymentStep } from '../src/background/pay-step.ts';
import { ChainOpenError, PaywordBrokerClient } from '../src/background/payword-broker.ts';
import { classifyRetryResponse } from '../src/background/receipts.ts';
import type { SchemeContext } from '../src/background/schemes/types.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import {
  LinkPaymentError,
  openWallet,
  payLink,
  paymentById,
  pendingPaymentFor,
  recordConnection,
  walletKey,
  walletPublicKey,
  walletSummary,
  type ChainRecord,
  type WalletDb,
} from '../src/wallet/index.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, freshDbName, USER, VENDOR } from './helpers/mint.ts';
import { fakeBroker, paywordOffer, schemesOver, VENDOR_KEY, vendorCheck } from './helpers/payword.ts';

const want = (units = 1, value = 1) => ({ broker: BROKER, vendorId: VENDOR, vendorKey: toBase64(VENDOR_KEY.publicKey), value, units });

async function setup(o: { name?: string; balance?: number; connected?: boolean } = {}) {
  const name = o.name ?? freshDbName('chains');
  const db = await openWallet(name);
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, userId: USER });
  const broker = fakeBroker({ ...(o.balance !== undefined ? { balance: o.balance } : {}) });
  broker.connect(await walletPublicKey(db));
  await recordConnection(db, { broker: BROKER, userId: USER, connected: o.connected ?? true });
  const opener = new ChainOpener(new PaywordBrokerClient(broker.fetch));
  const ctx = async (): Promise<SchemeContext> => ({ db, settings: await settings.get(), now: Date.now(), log: () => undefined });
  const schemes = schemesOver(broker.fetch);
  const step = new PaymentStep({ db, settings, schemes });
  return { name, db, settings, broker, opener, ctx, step };
}

const chainOf = async (db: WalletDb): Promise<ChainRecord> => (await db.getAll('chains'))[0]!;
const pay = (db: WalletDb, path: string, units = 1, method = 'GET') =>
  payLink(db, { url: `${VENDOR}${path}`, method, want: want(units), requirement: paywordOffer(units) });

/** The 402 a vendor answers a refused payword payment with. */
const refusal = (url: string, reason: string, ext: Record<string, unknown>) => [
  {
    name: 'payment-required',
    value: challengeHeader(url, [paywordOffer(1)], { error: reason, extensions: { payword: { reason, ...ext } } }),
  },
];
const receipt = (chainId: string, index: number) => [
  {
    name: 'payment-response',
    value: encodeHeader({
      success: true,
      transaction: `pay_${index}`,
      network: 'micromint:x',
      extensions: { payword: { chainId, index, units: 1 } },
    }),
  },
];

test('a chain is committed, signed with the wallet key, recorded as opening, then authorized and held once', async () => {
  const { db, broker, opener, ctx } = await setup();
  const key = await walletKey(db);
  assert.equal((await walletKey(db)).publicKey.length, 32);
  assert.deepEqual((await walletKey(db)).publicKey, key.publicKey, 'the wallet key is made once');
  const at = await ctx();
  const chain = await opener.ensure(at, { ...want(1), length: 100 });
  assert.equal(chain.status, 'open');
  assert.deepEqual(broker.state.calls, ['GET /api/payword', 'POST /api/payword/chains']);
  assert.equal(broker.state.balances.get(USER), 10_000 - 100, 'the broker held length * value');
  const c = decodeCommitment(chain.commitment);
  assert.deepEqual(
    { broker: c.broker, userId: c.userId, vendorId: c.vendorId, length: c.length, value: c.value },
    { broker: BROKER, userId: USER, vendorId: VENDOR, length: 100, value: 1 },
  );
  assert.deepEqual(c.vendorKey, VENDOR_KEY.publicKey);
  assert.deepEqual(c.root, chain.root);
  assert.equal(c.expiresAt, Math.floor(at.now / 1000) + 7 * 86_400, 'expires after the reader’s chain lifetime');
  const stored = await chainOf(db);
  assert.equal(stored.next, 1);
  assert.equal(stored.sentCommitment, false);
  assert.equal(stored.seed.length, 32);
  assert.equal(stored.salt.length, 16);
  assert.equal(stored.chainSecret.length, 32);
  assert.ok(stored.checkpoints.some((p) => p.index === 100));
  assert.ok(stored.authorization && stored.authorization.length === 64);
  // A second ensure finds the open chain: no broker call, nothing held twice.
  await opener.ensure(await ctx(), { ...want(1), length: 100 });
  assert.equal(broker.state.calls.length, 2);
  assert.equal((await db.getAll('chains')).length, 1);
  db.close();
});

test('paying l units reveals j = next - 1 + l; the link verifies against the root and the MAC under the vendor key', async () => {
  const { db, broker, opener, ctx } = await setup();
  await opener.ensure(await ctx(), { ...want(1), length: 100 });
  const first = await pay(db, '/a');
  const second = await pay(db, '/b', 3, 'POST');
  assert.deepEqual([first.link?.index, first.link?.units, second.link?.index, second.link?.units], [1, 1, 4, 3]);
  assert.equal(second.price, 3, 'price in mills: units * value');
  assert.equal((await chainOf(db)).next, 5);
  for (const [p, method] of [
    [first, 'GET'],
    [second, 'POST'],
  ] as const) {
    const v = vendorCheck(p.header, { method, brokerKey: broker.key.publicKey });
    assert.equal(v.linkOk, true, 'h^j(w_j) is the committed root');
    assert.equal(v.macOk, true, 'the MAC binds the link to this method and URL');
    assert.equal(v.authorizationOk, true, 'the first payments carry the commitment and its authorization');
    assert.equal(vendorCheck(p.header, { method: method === 'GET' ? 'POST' : 'GET' }).macOk, false, 'not for another method');
    assert.equal(vendorCheck(p.header, { method, url: `${VENDOR}/other` }).macOk, false, 'nor for another URL');
  }
  db.close();
});

test('two payments at once from one chain get distinct ranges, and both are paid', async () => {
  const { db, opener, ctx, step } = await setup();
  await opener.ensure(await ctx(), { ...want(1), length: 100 });
  const [a, b, c] = await Promise.all([pay(db, '/tab-1', 2), pay(db, '/tab-2', 2), pay(db, '/tab-3', 1)]);
  const ranges = [a!, b!, c!].map((p) => [p.link!.index - p.link!.units + 1, p.link!.index] as const).sort((x, y) => x[0] - y[0]);
  assert.equal(ranges[0]![0], 1);
  for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]![0], ranges[i - 1]![1] + 1, 'ranges follow each other and never overlap');
  assert.equal(ranges.at(-1)![1], 5);
  assert.equal((await chainOf(db)).next, 6);
  const chainId = a!.link!.chainId;
  for (const p of [a!, b!, c!]) await step.settle(p.id, classifyRetryResponse(200, receipt(chainId, p.link!.index)));
  for (const p of [a!, b!, c!]) assert.equal((await paymentById(db, p.id)).state, 'paid');
  assert.equal((await chainOf(db)).sentCommitment, true);
  // Now the vendor knows the chain: the next payment leaves the commitment out.
  const d = await pay(db, '/d');
  assert.equal(d.link?.withCommitment, false);
  assert.equal(readPaywordPayload(decodePaymentPayload(d.header)).commitment, undefined);
  assert.equal(vendorCheck(d.header, { commitment: (await chainOf(db)).commitment }).linkOk, true);
  db.close();
});

test('a crash between reserving and sending never reuses the range: the pending payment goes out byte for byte', async () => {
  const { name, db, opener, ctx } = await setup();
  await opener.ensure(await ctx(), { ...want(1), length: 100 });
  const url = `${VENDOR}/crash`;
  const reserved = await payLink(db, { url, method: 'GET', want: want(2), requirement: paywordOffer(2) });
  db.close(); // the worker dies before the header left

  const again = await setup({ name });
  const pending = await pendingPaymentFor(again.db, url, VENDOR);
  assert.equal(pending?.header, reserved.header, 'the same bytes are resent');
  // Paying the URL again resends it; paying another URL takes the next range.
  const seen = { header: challengeHeader(url, [paywordOffer(2)]), url, seenAt: Date.now() };
  const challenge = again.step.read(seen, 1);
  assert.ok(!('refuse' in challenge));
  const next = await again.step.next(challenge, { onBrokerPage: false, confirmed: false, method: 'GET' });
  assert.ok(next.kind === 'send' && next.resent && next.payment.header === reserved.header);
  const other = await pay(again.db, '/after-crash');
  assert.equal(other.link?.index, 3, 'indices 1..2 stay with the payment that reserved them');
  again.db.close();
});

test('unknown-chain: the same payment (index, link, MAC) once more with the commitment; a second one closes it', async () => {
  const { db, opener, ctx, step } = await setup();
  await opener.ensure(await ctx(), { ...want(1), length: 100 });
  const first = await pay(db, '/1');
  const chainId = first.link!.chainId;
  await step.settle(first.id, classifyRetryResponse(200, receipt(chainId, 1)));
  const p = await pay(db, '/2');
  assert.equal(p.link?.withCommitment, false);
  await step.settle(p.id, classifyRetryResponse(402, refusal(p.url, 'unknown-chain', { chainId })));
  const resent = await paymentById(db, p.id);
  assert.equal(resent.state, 'pending', 'it goes out again');
  const before = readPaywordPayload(decodePaymentPayload(p.header));
  const after = readPaywordPayload(decodePaymentPayload(resent.header));
  assert.deepEqual([after.index, after.units, after.chainId], [before.index, before.units, before.chainId]);
  assert.deepEqual(after.link, before.link);
  assert.deepEqual(after.mac, before.mac);
  const chain = await chainOf(db);
  assert.deepEqual(after.commitment, chain.commitment);
  assert.deepEqual(after.authorization, chain.authorization);
  assert.equal(vendorCheck(resent.header).macOk, true);
  assert.equal(chain.sentCommitment, false, 'later payments carry the commitment again until a receipt');
  assert.equal(chain.next, 3, 'the range is not given back');
  assert.equal((await pendingPaymentFor(db, p.url, VENDOR))?.header, resent.header, 'the next 402 of the URL resends this header');
  // The same answer again: the payment is closed, its range stays used.
  await step.settle(p.id, classifyRetryResponse(402, refusal(p.url, 'unknown-chain', { chainId })));
  assert.equal((await paymentById(db, p.id)).state, 'refused');
  assert.equal((await chainOf(db)).next, 3);
  assert.equal((await pay(db, '/3')).link?.withCommitment, true);
  db.close();
});

test('already-spent moves the next index above max(j, highestIndex); nonsense from the vendor moves nothing down', async () => {
  const { db, opener, ctx, step } = await setup();
  await opener.ensure(await ctx(), { ...want(1), length: 20 });
  const p = await pay(db, '/x');
  const chainId = p.link!.chainId;
  await step.settle(p.id, classifyRetryResponse(402, refusal(p.url, 'already-spent', { chainId, highestIndex: 7 })));
  assert.equal((await paymentById(db, p.id)).state, 'refused');
  assert.equal((await chainOf(db)).next, 8);
  assert.equal((await pay(db, '/y')).link?.index, 8, 'the wallet continues above what the vendor holds');
  // A highest index below j, another chain's, or beyond the chain: never down, never past the end.
  const q = await pay(db, '/z');
  await step.settle(q.id, classifyRetryResponse(402, refusal(q.url, 'already-spent', { chainId, highestIndex: 2 })));
  assert.equal((await chainOf(db)).next, 10);
  const r = await pay(db, '/w');
  await step.settle(r.id, classifyRetryResponse(402, refusal(r.url, 'already-spent', { chainId: 'ab'.repeat(16), highestIndex: 15 })));
  assert.equal((await chainOf(db)).next, 11, 'a highest index about another chain is ignored');
  const s = await pay(db, '/v');
  await step.settle(s.id, classifyRetryResponse(402, refusal(s.url, 'already-spent', { chainId, highestIndex: 10 ** 9 })));
  const chain = await chainOf(db);
  assert.equal(chain.next, 12, 'an index out of range is dropped by the reader');
  const t = await pay(db, '/u');
  await step.settle(t.id, classifyRetryResponse(402, refusal(t.url, 'already-spent', { chainId, highestIndex: 19 })));
  assert.equal((await chainOf(db)).next, 20);
  const last = await pay(db, '/last');
  assert.equal(last.link?.index, 20);
  assert.equal((await chainOf(db)).status, 'exhausted');
  await assert.rejects(pay(db, '/none'), (e: unknown) => e instanceof LinkPaymentError && e.code === 'no-chain');
  db.close();
});

test('other refusals and given-back receipts burn the range; expiry and a changed vendor key end the chain', async () => {
  const { db, opener, ctx, step } = await setup();
  await opener.ensure(await ctx(), { ...want(1), length: 100 });
  const a = await pay(db, '/a');
  const chainId = a.link!.chainId;
  await step.settle(a.id, classifyRetryResponse(402, refusal(a.url, 'bad-mac', { chainId })));
  assert.equal((await paymentById(db, a.id)).state, 'refused');
  assert.equal((await chainOf(db)).status, 'open');
  assert.equal((await pay(db, '/a2')).link?.index, 2, 'index 1 is never revealed for another request');
  const b = await pay(db, '/b');
  const given = [
    {
      name: 'payment-response',
      value: encodeHeader({
        success: false,
        errorReason: 'not_served',
        transaction: '',
        network: 'micromint:x',
        extensions: { payword: { chainId, index: 3, units: 1, released: true } },
      }),
    },
  ];
  const out = classifyRetryResponse(500, given);
  assert.equal(out.kind, 'released');
  await step.settle(b.id, out);
  assert.equal((await paymentById(db, b.id)).state, 'released');
  assert.equal((await pay(db, '/c')).link?.index, 4, 'a revealed link cannot be un-revealed');
  // A 400 (the vendor could not read it) and a refusal without any payword entry: refused, burned.
  const d = await pay(db, '/d');
  await step.settle(d.id, classifyRetryResponse(400, []));
  assert.equal((await paymentById(db, d.id)).error, 'invalid_payment_header');
  const e = await pay(db, '/e');
  await step.settle(e.id, classifyRetryResponse(402, [{ name: 'payment-required', value: 'garbage' }]));
  assert.equal((await paymentById(db, e.id)).state, 'refused');
  const f = await pay(db, '/f');
  await step.settle(f.id, classifyRetryResponse(402, refusal(f.url, 'wrong-vendor-key', { chainId })));
  assert.equal((await chainOf(db)).status, 'closed');
  assert.equal((await chainOf(db)).error, 'wrong-vendor-key');
  await assert.rejects(pay(db, '/g'), LinkPaymentError);
  const summary = await walletSummary(db);
  assert.deepEqual(summary.chains, [], 'a closed chain is not an open one');
  db.close();
});

test('the summary reports coins, each open chain and the total in mills', async () => {
  const { db, opener, ctx } = await setup();
  await opener.ensure(await ctx(), { ...want(1, 2), length: 50 });
  await payLink(db, { url: `${VENDOR}/s`, method: 'GET', want: want(3, 2), requirement: paywordOffer(6, { linkValue: 2 }) });
  const s = await walletSummary(db);
  const chain = await chainOf(db);
  assert.deepEqual(s.chains, [
    {
      chainId: chain.id,
      vendorId: VENDOR,
      broker: BROKER,
      linksLeft: 47,
      value: 2,
      heldMills: 94,
      expiresAt: new Date(chain.expiresAt * 1000).toISOString(),
    },
  ]);
  assert.deepEqual([s.balance, s.coinsMills, s.chainsMills, s.totalMills], [0, 0, 94, 94]);
  assert.deepEqual(s.connections, [{ broker: BROKER, userId: USER, connected: true }]);
  assert.equal(s.payments[0]?.scheme, 'payword');
  assert.equal(s.payments[0]?.price, 6);
  db.close();
});

test('opening a chain: an answer lost after the broker held it is asked again with the same request and held once', async () => {
  const { db, broker, opener, ctx } = await setup();
  broker.state.mode = 'lose-answer';
  await assert.rejects(
    opener.ensure(await ctx(), { ...want(1), length: 100 }),
    (e: unknown) => e instanceof ChainOpenError && e.code === 'broker-unreachable',
  );
  const opening = await chainOf(db);
  assert.equal(opening.status, 'opening');
  assert.equal(broker.state.balances.get(USER), 10_000 - 100);
  broker.state.mode = 'ok';
  const open = await opener.ensure(await ctx(), { ...want(1), length: 100 });
  assert.equal(open.id, opening.id, 'the same chain, not a new one');
  assert.equal(broker.state.balances.get(USER), 10_000 - 100, 'held once');
  assert.equal((await db.getAll('chains')).length, 1);
  db.close();
});

test('opening a chain: refusals hold nothing and are clear outcomes; a bad authorization is not used', async () => {
  const poor = await setup({ balance: 50 });
  await assert.rejects(
    poor.opener.ensure(await poor.ctx(), { ...want(1), length: 100 }),
    (e: unknown) => e instanceof ChainOpenError && e.code === 'insufficient_funds' && e.detail.neededMills === 100,
  );
  assert.deepEqual(await poor.db.getAll('chains'), [], 'a refused chain is dropped, secrets and all');
  poor.db.close();

  const stranger = await setup();
  stranger.broker.state.walletKeys.clear();
  await assert.rejects(
    stranger.opener.ensure(await stranger.ctx(), { ...want(1), length: 10 }),
    (e: unknown) => e instanceof ChainOpenError && e.code === 'wallet_not_connected',
  );
  assert.equal(
    (await stranger.db.get('brokers', BROKER))?.connected,
    false,
    'the wallet stops trying until the account page says otherwise',
  );
  await assert.rejects(
    stranger.opener.ensure(await stranger.ctx(), { ...want(1), length: 10 }),
    (e: unknown) => e instanceof ChainOpenError && e.code === 'not-connected',
  );
  stranger.db.close();

  const forged = await setup();
  forged.broker.state.mode = 'bad-authorization';
  await assert.rejects(
    forged.opener.ensure(await forged.ctx(), { ...want(1), length: 10 }),
    (e: unknown) => e instanceof ChainOpenError && e.code === 'bad-authorization',
  );
  assert.equal((await chainOf(forged.db)).status, 'closed');
  await assert.rejects(pay(forged.db, '/x'), LinkPaymentError);
  forged.db.close();

  const wrongKey = await setup();
  await assert.rejects(
    wrongKey.opener.ensure(await wrongKey.ctx(), { ...want(1), vendorKey: toBase64(new Uint8Array(32).fill(9)), length: 10 }),
    (e: unknown) => e instanceof ChainOpenError && (e.code === 'vendor_key_mismatch' || e.code === 'bad-vendor-key'),
  );
  wrongKey.db.close();
});

test('bad answers from the vendor never throw: unreadable extensions are dropped', () => {
  const odd = [
    { payword: 'x' },
    { payword: { chainId: 42, highestIndex: -1, index: 1.5, reason: '<script>' } },
    { payword: { highestIndex: Number.MAX_SAFE_INTEGER } },
    null,
  ];
  for (const extensions of odd) {
    const header = encodeHeader({
      x402Version: X402_VERSION,
      error: 'already-spent',
      resource: { url: `${VENDOR}/a` },
      accepts: [paywordOffer(1)],
      extensions,
    });
    const out = classifyRetryResponse(402, [{ name: 'payment-required', value: header }]);
    assert.equal(out.kind, 'refused');
    assert.ok(out.kind === 'refused' && (out.payword === undefined || Object.keys(out.payword).length === 0), JSON.stringify(extensions));
  }
});

test('bad answers from the broker never throw anything but a ChainOpenError, and only a 4xx means nothing was held', async () => {
  const answers: [number, string][] = [
    [200, 'not json'],
    [201, JSON.stringify({ chainId: 'x', authorization: 'AAAA' })],
    [201, JSON.stringify([1, 2])],
    [500, '<html>'],
    [409, JSON.stringify({ error: 'insufficient_funds', message: 'poor', balanceMills: 3, neededMills: -1 })],
    [403, JSON.stringify({ error: '<b>bad</b>' })],
  ];
  const request = { commitment: 'AA==', walletKey: 'AA==', signature: 'AA==' };
  const kinds: string[] = [];
  for (const [status, text] of answers) {
    const client = new PaywordBrokerClient(async () => ({ status, text: async () => text }));
    const r = await client.authorize(BROKER, request);
    kinds.push(`${r.kind}${r.kind === 'authorized' ? '' : `:${r.error.code}`}`);
    await assert.rejects(client.info(BROKER), ChainOpenError);
  }
  assert.deepEqual(kinds, [
    'unknown:bad-broker-answer',
    'unknown:bad-broker-answer',
    'unknown:bad-broker-answer',
    'unknown:http-500',
    'refused:insufficient_funds',
    'refused:http-403',
  ]);
  const down = new PaywordBrokerClient(async () => {
    throw new TypeError('fetch failed');
  });
  assert.equal((await down.authorize(BROKER, request)).kind, 'unknown');
  await assert.rejects(down.info(BROKER), (e: unknown) => e instanceof ChainOpenError && e.code === 'broker-unreachable');
  const poor = await new PaywordBrokerClient(async () => ({ status: 409, text: async () => answers[4]![1] })).authorize(BROKER, request);
  assert.ok(poor.kind === 'refused' && poor.error.detail.balanceMills === 3 && poor.error.detail.neededMills === undefined);
});
